import pytest
from packaging.version import Version

from helpers.core import environment
from helpers.core.config import REPO_ROOT


def test_pins_are_read_from_the_constraints_file(tmp_path):
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("torch==2.13.0\nPyYAML==6.0\njupyter_core==5.9.1\n# comment\nnot a pin\n")
    assert environment.pinned_versions(constraints) == {"torch": "2.13.0", "pyyaml": "6.0", "jupyter-core": "5.9.1"}


def test_floors_are_read_from_pyproject(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\ndependencies = ["torch>=2.9", "peft>=0.18,!=0.19.0", "tqdm"]\n')
    assert environment.oldest_supported_versions(pyproject) == {"torch": "2.9", "peft": "0.18"}


@pytest.mark.parametrize(
    "installed, status",
    [
        ("2.9.0+cpu", "ok"),
        ("2.13.0", "ok"),
        ("2.11.0", "ok"),
        ("2.8.1", "older than tested"),
        ("2.14.0", "newer than tested"),
        ("2.13.1.dev0", "newer than tested"),
        (None, "missing"),
    ],
)
def test_report_places_each_version_in_the_tested_range(monkeypatch, installed, status):
    monkeypatch.setattr(environment, "pinned_versions", lambda: {"torch": "2.13.0"})
    monkeypatch.setattr(environment, "oldest_supported_versions", lambda: {"torch": "2.9"})
    monkeypatch.setattr(environment, "installed_version", lambda package: installed)
    report = environment.version_report(("torch",))
    assert report.loc["torch", "status"] == status and report.loc["torch", "tested"] == "2.9 to 2.13.0"
    warnings = environment.version_warnings(report)
    if status == "ok":
        assert warnings == []
    else:
        (warning,) = warnings
        assert warning.startswith(f"torch{' ' + installed if installed else ''}: {status} (2.9 to 2.13.0); ")
        assert {
            "missing": "make setup",
            "older than tested": "pip install -U torch",
            "newer than tested": "install the tested version",
        }[status] in warning


def test_every_key_package_has_a_tested_range():
    floors, pins = environment.oldest_supported_versions(), environment.pinned_versions()
    for package in environment.KEY_PACKAGES:
        assert package in floors and package in pins, package
        assert Version(floors[package]) <= Version(pins[package]), package


def test_this_environment_is_in_the_tested_range():
    report = environment.version_report()
    assert environment.version_warnings(report) == [], report


def test_machine_summary_has_the_facts_a_learner_needs():
    summary = environment.machine_summary()
    assert summary["cpu cores"] >= 1 and summary["memory (GB)"] > 0
    assert set(summary) >= {"python", "CUDA GPU", "Apple MPS"}


@pytest.mark.parametrize("freeze", sorted((REPO_ROOT / "tests" / "versions").glob("colab-*.txt")), ids=lambda p: p.stem)
def test_colab_runtimes_satisfy_the_declared_floors(freeze):
    # make test-colab installs the course into each runtime's versions: pip must not need to upgrade them.
    colab = environment.pinned_versions(freeze)
    for package, floor in environment.oldest_supported_versions().items():
        if package in colab:
            assert Version(Version(colab[package]).base_version) >= Version(floor), (freeze.name, package)
