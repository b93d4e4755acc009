from helpers import environment


def test_pins_are_read_from_the_constraints_file(tmp_path):
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("torch==2.13.0\nPyYAML==6.0\n# comment\nnot a pin\n")
    assert environment.pinned_versions(constraints) == {"torch": "2.13.0", "pyyaml": "6.0"}


def test_report_flags_differences_and_missing_packages(monkeypatch):
    monkeypatch.setattr(environment, "pinned_versions", lambda: {"torch": "2.13.0", "pandas": "0.1", "nothere": "1.0"})
    monkeypatch.setattr(environment, "installed_version", lambda p: {"torch": "2.13.0+cpu", "pandas": "3.1.1"}.get(p))
    report = environment.version_report(("torch", "pandas", "nothere"))
    assert report["status"].to_dict() == {"torch": "ok", "pandas": "differs", "nothere": "missing"}
    warnings = environment.version_warnings(report)
    assert len(warnings) == 2 and "pandas: tested with 0.1, you have 3.1.1" in warnings[0] and "make setup" in warnings[1]


def test_this_environment_matches_the_pins():
    report = environment.version_report()
    assert environment.version_warnings(report) == [], report


def test_machine_summary_has_the_facts_a_learner_needs():
    summary = environment.machine_summary()
    assert summary["cpu cores"] >= 1 and summary["memory (GB)"] > 0
    assert set(summary) >= {"python", "CUDA GPU", "Apple MPS"}
