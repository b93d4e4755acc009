"""The head-to-head on a learner's own file: measured on a CSV these tests write, with a tiny random model."""
import json

import pytest

import helpers.comparison as comparison
import helpers.decide as decide
from helpers.decision import APPROACHES as ADVICE
from helpers.tasks import Task
from helpers.training import TrainResult

SMALL = decide.DecideSettings(n_train=12, n_validation=4, n_test=8, k=2, epochs=1.0, batch_size=4, curve=(0.5,), n_probe=3)


@pytest.fixture
def emails(tmp_path):
    rows = [(f"Message {i}: my {topic} question number {i * 3 + j}", team)
            for j, (topic, team) in enumerate([("invoice", "billing"), ("parcel", "shipping"), ("password", "accounts")])
            for i in range(12)]
    path = tmp_path / "emails.csv"
    path.write_text("message,team\n" + "".join(f"{text},{team}\n" for text, team in rows))
    return Task.from_file(path, text="message", label="team")


def test_every_approach_is_measured_on_the_same_test_rows_with_intervals_and_verdicts(emails, tiny_loads):
    measured = decide.measure_task(emails, settings=SMALL, progress=False)
    results = measured["results"]
    assert list(results.index) == list(decide.APPROACHES)
    assert (results["n"] == measured["sizes"]["test"]).all() and measured["sizes"]["test"] == 8
    assert ((results["low"] <= results["accuracy"]) & (results["accuracy"] <= results["high"])).all()
    assert results["scores"].map(len).eq(8).all()
    assert set(measured["verdicts"]) == set(decide.APPROACHES) - {"best prompt"}
    assert results.loc["TF-IDF", "labelled_examples"] == 12 and results.loc["zero-shot", "training_seconds"] == 0
    assert results.loc["LoRA fine-tune", "training_seconds"] > 0
    assert list(measured["curve"]["train_examples"]) == [6, 12]
    assert measured["advice"].approach in ADVICE and measured["chance"] == pytest.approx(1 / 3)
    assert len(tiny_loads) == 3  # the base model, the fine-tune, the curve's smaller fine-tune


def test_the_report_and_results_are_written_together(emails, tiny_loads, tmp_path):
    measured = decide.measure_task(emails, settings=SMALL, progress=False)
    report = decide.write_report(measured, tmp_path / "report")
    written = sorted(p.name for p in report.parent.iterdir())
    assert written == [decide.MARK, "approaches.png", "learning_curve.png", "report.md", "results.json"]
    text = report.read_text()
    assert all(f"| {approach} |" in text for approach in decide.APPROACHES) and "## Advice:" in text
    data = json.loads((report.parent / "results.json").read_text())
    assert [row["accuracy"] for row in data["results"]] == list(measured["results"]["accuracy"])
    assert data["sizes"] == measured["sizes"] and data["advice"]["approach"] == measured["advice"].approach


def test_a_stopped_fine_tune_writes_nothing(emails, tiny_loads, monkeypatch, tmp_path):
    monkeypatch.setattr(comparison, "train", lambda model, *a, **k: TrainResult(model=model, losses=[1.0], interrupted=True))
    with pytest.raises(decide.CourseError, match="stopped after 1 of"):
        decide.measure_task(emails, settings=SMALL, progress=False)
    assert not (tmp_path / "report").exists()


def test_the_command_says_what_is_wrong_with_a_bad_file_in_one_line(tmp_path):
    (tmp_path / "few.csv").write_text("message,team\n" + "".join(f"text {i},{'a' if i % 2 else 'b'}\n" for i in range(6)))
    with pytest.raises(SystemExit, match=r"helpers.decide: .*few.csv: too few examples"):
        decide.main(["--data", str(tmp_path / "few.csv"), "--text", "message", "--label", "team"])
    with pytest.raises(SystemExit, match="no column 'body' for the text"):
        decide.main(["--data", str(tmp_path / "few.csv"), "--text", "body", "--label", "team"])


def test_an_output_folder_of_yours_is_refused_before_anything_is_measured(tmp_path, monkeypatch):
    data = tmp_path / "few.csv"
    data.write_text("message,team\n" + "".join(f"text number {i},{'a' if i % 2 else 'b'}\n" for i in range(40)))
    (tmp_path / "my_project").mkdir()
    (tmp_path / "my_project" / "thesis.tex").write_text("keep me")
    monkeypatch.setattr(decide, "measure_task", lambda *a, **k: pytest.fail("measured before checking the output"))
    for output, message in [(tmp_path / "my_project", "already holds files the course did not write"),
                            (tmp_path / "my_project" / "thesis.tex", "is an existing file"), (".", "is the current folder")]:
        with pytest.raises(SystemExit, match=message):
            decide.main(["--data", str(data), "--text", "message", "--label", "team", "--output", str(output)])
    assert [p.name for p in (tmp_path / "my_project").iterdir()] == ["thesis.tex"]


def test_text_from_the_file_is_printed_in_the_report_never_rendered(tmp_path, tiny_loads):
    hostile = "<img src=x onerror=alert(1)>"
    rows = [(f"Message {i} about topic {topic}", label) for i in range(12) for topic, label in
            [("invoice", "billing"), ("parcel", hostile), ("password", "**accounts**")]]
    path = tmp_path / "emails.csv"
    path.write_text("message,team\n" + "".join(f'{text},"{label}"\n' for text, label in rows))
    report = decide.report_markdown(decide.measure_task(Task.from_file(path, text="message", label="team"), settings=SMALL,
                                                        progress=False))
    assert hostile not in report and "**accounts**" not in report
    assert r"&lt;img src=x onerror=alert\(1\)&gt;" in report and r"\*\*accounts\*\*" in report
