"""The head-to-head on a learner's own file: measured on a CSV these tests write, with a tiny random model."""

import json
from dataclasses import replace

import pandas as pd
import pytest

import helpers.experiments.decide as decide
import helpers.finetuning.tuning as tuning
from helpers.core.statistics import MethodComparison
from helpers.experiments.advice import ADVICE
from helpers.finetuning.training import TrainResult
from helpers.prompting.tasks import Task

SMALL = decide.DecideSettings(
    n_train=12,
    n_validation=4,
    n_test=8,
    k=2,
    max_passes=2,
    learning_rates=(1e-3, 3e-3, 1e-2),
    seeds=(0, 1),
    batch_size=4,
    curve=(0.5,),
    n_probe=3,
)
TIMING = decide.Timing(load=2.0, train_step=1.5, answer=0.1, few_shot_answer=0.3, tuned_answer=0.13)  # a laptop's


@pytest.fixture(autouse=True)
def course_cache(monkeypatch, tmp_path, tokenizer):
    """Every test measures into its own cache; the command's tokenizer is the session's (no conversion)."""
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(decide, "load_tokenizer", lambda model_id=None: tokenizer)


def write_emails(path, per_team=12, extra=""):
    rows = [
        (f"Message {i}: my {topic} question number {i * 3 + j}", team)
        for j, (topic, team) in enumerate([("invoice", "billing"), ("parcel", "shipping"), ("password", "accounts")])
        for i in range(per_team)
    ]
    path.write_text("message,team\n" + "".join(f"{text},{team}\n" for text, team in rows) + extra)
    return path


@pytest.fixture
def emails(tmp_path):
    task = Task.from_file(write_emails(tmp_path / "emails.csv"), text="message", label="team")
    return replace(task, max_new_tokens=3)  # a random model never stops by itself: keep its answers short


@pytest.mark.slow
def test_every_approach_is_measured_on_the_same_test_rows_with_intervals_over_seeds_and_verdicts(emails, tiny_loads):
    measured = decide.measure_task(emails, settings=SMALL, progress=False)
    results = measured.results
    assert list(results.index) == list(decide.APPROACHES)
    assert measured.sizes == {"train": 12, "validation": 4, "test": 8} and (results["n"] == 8).all()
    assert ((results["low"] <= results["accuracy"]) & (results["accuracy"] <= results["high"])).all()
    assert results["runs"].to_dict() == {
        "zero-shot": 1,
        "best prompt": 1,
        "label scoring": 1,
        "TF-IDF": 1,
        "LoRA fine-tune": 2,
        "hybrid": 2,
    }  # every seed of the recipe
    assert all(len(scores) == 8 for runs in results["run_scores"] for scores in runs)
    assert all(isinstance(v, MethodComparison) for v in measured.verdicts.values())
    # the prompting family's best, chosen on the validation rows (label scoring among them), is what all is compared to
    candidates = measured.candidates
    assert set(candidates["method"]) == {"generate", "score"} and (candidates["n"] == 4).all()
    validation = results["validation_accuracy"]
    assert measured.prompting == decide.best_prompting(validation.to_dict())
    assert validation["label scoring"] == candidates.loc[candidates["method"] == "score", "accuracy"].iloc[0]
    assert set(measured.verdicts) == set(decide.APPROACHES) - {measured.prompting}
    assert measured.verdicts["LoRA fine-tune"].runs_a == 2 and measured.verdicts["TF-IDF"].runs_a == 1
    # the recipe: every learning rate tried for up to max_passes, validated after every pass, the best one kept
    search = measured.search
    assert sorted(set(search["learning_rate"])) == list(SMALL.learning_rates) and set(search["passes"]) == {1, 2}
    best = search.sort_values(
        ["validation_accuracy", "learning_rate", "passes"], ascending=[False, True, True], kind="stable"
    ).iloc[0]  # (ties: the lower rate, then fewer passes)
    assert (measured.recipe["learning_rate"], measured.recipe["passes"]) == (
        best["learning_rate"],
        best["passes"],
    )
    assert results.loc["TF-IDF", "labelled_examples"] == 12 and results.loc["zero-shot", "training_seconds"] == 0
    assert results.loc["LoRA fine-tune", "training_seconds"] > 0
    assert list(measured.curve["train_examples"]) == [6, 12] and list(measured.curve["runs"]) == [1, 2]
    assert measured.advice.approach in ADVICE and measured.chance == pytest.approx(1 / 3)
    assert measured.resumed == 0 and measured.steps == 5
    # fresh copies of the model: the plan, the prompt choice, the prompts, one per learning rate and the best
    # checkpoint, the second seed, the learning curve's smaller fine-tune
    assert len(tiny_loads) == 1 + 2 + 3 + 1 + 1 + 1


def test_the_prompting_family_is_its_best_member_on_validation_and_a_tie_goes_to_the_cheaper():
    assert decide.best_prompting({"zero-shot": 0.2, "label scoring": 0.5, "best prompt": 0.3}) == "label scoring"
    assert decide.best_prompting({"zero-shot": 0.2, "label scoring": 0.3, "best prompt": 0.5}) == "best prompt"
    assert decide.best_prompting({"zero-shot": 0.5, "label scoring": 0.5, "best prompt": 0.5}) == "zero-shot"
    candidates = pd.DataFrame(
        {
            "pattern": ["zero_shot", "few_shot_balanced", "few_shot_similar", "zero_shot"],
            "method": ["generate", "generate", "generate", "score"],
            "accuracy": [0.1, 0.4, 0.3, 0.6],
        }
    )
    assert decide.prompting_validation(candidates, "few_shot_balanced") == {
        "zero-shot": 0.1,
        "label scoring": 0.6,
        "best prompt": 0.4,
    }


@pytest.mark.slow
def test_a_stopped_run_goes_on_where_it_stopped(emails, tiny_loads, monkeypatch):
    def stopped(task, rows, recipe, seed, model_id=None, progress=True):
        if len(rows) < 12:  # the learning curve's fine-tune, the last step
            raise KeyboardInterrupt
        return tuning.train_recipe(task, rows, recipe, seed, model_id, progress)

    monkeypatch.setattr(decide, "train_recipe", stopped)
    with pytest.raises(KeyboardInterrupt):
        decide.measure_task(emails, settings=SMALL, progress=False)
    monkeypatch.setattr(decide, "train_recipe", tuning.train_recipe)
    measured_before = len(tiny_loads)
    measured = decide.measure_task(emails, settings=SMALL, progress=False)
    assert measured.resumed == 4 and measured.steps == 5  # only the learning curve's step was measured again
    assert len(tiny_loads) - measured_before == 2  # the plan's model and the curve's fine-tune
    again = decide.measure_task(emails, settings=SMALL, progress=False)
    assert again.resumed == 5 and again.results["accuracy"].equals(measured.results["accuracy"])


@pytest.mark.slow
def test_a_recipe_search_stopped_half_way_goes_on_with_the_next_learning_rate(emails, tiny_loads, monkeypatch):
    real_train, calls = tuning.train, []

    def stopped_in_the_second_run(*args, **kwargs):
        calls.append(kwargs["learning_rate"])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_train(*args, **kwargs)

    monkeypatch.setattr(tuning, "train", stopped_in_the_second_run)
    with pytest.raises(KeyboardInterrupt):
        decide.measure_task(emails, settings=SMALL, progress=False)
    calls.clear()
    monkeypatch.setattr(
        tuning, "train", lambda *args, **kwargs: calls.append(kwargs["learning_rate"]) or real_train(*args, **kwargs)
    )
    measured = decide.measure_task(emails, settings=SMALL, progress=False)
    assert calls[:2] == list(SMALL.learning_rates[1:])  # the first rate's run came from the cache
    assert sorted(set(measured.search["learning_rate"])) == list(SMALL.learning_rates)


def test_a_stopped_fine_tune_writes_nothing(emails, tiny_loads, monkeypatch, tmp_path):
    monkeypatch.setattr(
        tuning, "train", lambda model, *a, **k: TrainResult(model=model, losses=[1.0], interrupted=True)
    )
    with pytest.raises(decide.CourseError, match="stopped after 1 of"):
        decide.measure_task(emails, settings=SMALL, progress=False)
    assert not (tmp_path / "report").exists()
    assert {path.name.rsplit("-", 1)[0] for path in (tmp_path / "cache" / "results").iterdir()} == {
        "decide-prompt-choice",
        "decide-prompts",
    }  # the steps before the fine-tune, and nothing of it


@pytest.mark.slow
def test_the_report_and_results_are_written_together_with_every_decision(tmp_path, tiny_loads):
    extra = "".join(f"Message {i}: my invoice question number {i * 3},billing\n" for i in range(2))  # two repeats
    task = replace(
        Task.from_file(write_emails(tmp_path / "emails.csv", extra=extra), text="message", label="team"),
        max_new_tokens=3,
    )
    measured = decide.measure_task(task, settings=SMALL, progress=False)
    report = decide.write_report(measured, tmp_path / "report")
    written = sorted(p.name for p in report.parent.iterdir())
    assert written == [decide.MARK, "approaches.png", "learning_curve.png", "report.md", "results.json"]
    text = report.read_text()
    assert all(f"| {approach} |" in text for approach in decide.APPROACHES) and "## Advice:" in text
    assert "Dropped 2 repeated texts" in text and "2 runs:" in text  # the data's notes; intervals over seeds
    majority = measured.majority
    assert (
        f"always answering '{majority['label']}' (the commonest training label) scores {majority['accuracy']:.0%}"
        in text
    )
    data = json.loads((report.parent / "results.json").read_text())
    assert [row["accuracy"] for row in data["results"]] == list(measured.results["accuracy"])
    assert data["sizes"] == measured.sizes and data["advice"]["approach"] == measured.advice.approach
    assert data["data_notes"] == list(task.notes) and data["data_notes"][0].startswith("Dropped 2 repeated texts")
    assert data["recipe"]["learning_rate"] in SMALL.learning_rates and data["verdicts"]["hybrid"]["runs_a"] == 2


def test_the_budget_cuts_the_rows_first_then_the_protocol_and_says_what(tmp_path):
    rows = "".join(f"Message {i} about topic {label},{label}\n" for i in range(400) for label in ("a", "b", "c"))
    (tmp_path / "big.csv").write_text("message,team\n" + rows)
    task = Task.from_file(tmp_path / "big.csv", text="message", label="team")
    full = decide.with_sizes(task, decide.DecideSettings())
    assert (full.n_train, full.n_validation, full.n_test) == (600, 240, 360)

    def minutes(settings):
        return sum(decide.estimate_seconds(task, settings, TIMING).values()) / 60

    roomy = minutes(full) / decide.BUDGET_SHARE + 0.1
    assert decide.fit_budget(task, full, TIMING, roomy) == (full, [])  # it fits: nothing is cut
    assert decide.fit_budget(task, full, TIMING, minutes(full))[0] != full  # the estimate alone leaves no room
    cut, notes = decide.fit_budget(task, full, TIMING, 15)
    assert minutes(cut) <= 15 * decide.BUDGET_SHARE
    assert (cut.seeds, cut.max_passes, cut.curve) == (full.seeds, full.max_passes, full.curve)
    planned, _ = decide.fit_budget(task, full, replace(TIMING, planning=180), 15)  # the plan took 3 of the minutes
    assert planned.n_train < cut.n_train and minutes(planned) + 3 <= 15 * decide.BUDGET_SHARE
    assert full.n_train > cut.n_train > decide.MIN_ROWS["train"] and cut.n_test < full.n_test
    assert notes == [
        f"Trained on {cut.n_train} of 600 training rows, chose on {cut.n_validation} of 240 validation rows "
        f"and tested on {cut.n_test} of 360 test rows to fit 15 minutes."
    ]
    least, notes = decide.fit_budget(task, full, TIMING, 1)
    assert (least.n_train, least.n_validation, least.n_test) == (
        32,
        16,
        40,
    ) and least.learning_rates == full.learning_rates
    assert (least.seeds, least.max_passes, least.curve) == ((0, 1), 1, (0.5,))  # still 3 rates and 2 seeds
    assert notes[1:4] == [
        "The learning curve has 1 smaller fine-tune, not 2, to fit 1 minute.",
        "The fine-tune is trained from 2 seeds, not 3, to fit 1 minute.",
        "Fine-tunes are tried up to 1 pass over the training rows, not 3, to fit 1 minute.",
    ]
    assert notes[-1].startswith(f"Even this takes about {minutes(least):.1f} minutes here, more than the 1 asked")


@pytest.mark.slow
def test_the_command_prints_its_plan_and_estimate_first_and_sizes_the_run_to_the_minutes(
    tmp_path, tiny_loads, capsys, monkeypatch
):
    monkeypatch.setattr(
        decide, "default_settings", lambda: replace(SMALL, n_train=None, n_validation=None, n_test=None)
    )
    monkeypatch.setattr(decide, "QUICK", False)
    path = write_emails(tmp_path / "emails.csv", per_team=60)  # 90 training rows
    decide.main(
        [
            "--data",
            str(path),
            "--text",
            "message",
            "--label",
            "team",
            "--minutes",
            "0.01",
            "--output",
            str(tmp_path / "report"),
        ]
    )
    out = capsys.readouterr().out
    assert out.index("Measuring emails with") < out.index("Estimated time: about") < out.index("# Prompt or fine-tune?")
    assert "timed here: a training step" in out
    data = json.loads((tmp_path / "report" / "results.json").read_text())
    assert data["minutes"] == 0.01 and data["sizes"]["train"] < 90  # under a second: fewer training rows
    assert data["run_notes"][0].startswith(f"Trained on {data['sizes']['train']} of 90 training rows")
    assert "to fit 0.01 minutes" in (tmp_path / "report" / "report.md").read_text()
    assert len(tiny_loads) == 1 + 2 + 1 + 1 + 3 + 1 + 1 + 1  # the plan, timing answers and a training step, the steps
    measured = len(tiny_loads)
    decide.main(
        [
            "--data",
            str(path),
            "--text",
            "message",
            "--label",
            "team",
            "--minutes",
            "0.01",
            "--output",
            str(tmp_path / "report"),
        ]
    )  # the same command again: the same plan, every step cached
    again = json.loads((tmp_path / "report" / "results.json").read_text())
    assert again["sizes"] == data["sizes"] and again["resumed_steps"] == len(again["step_seconds"]) == 5
    assert len(tiny_loads) == measured + 1  # only the plan's model, for its context


def test_quick_mode_measures_a_taste_and_says_so(tmp_path, tiny_loads, monkeypatch):
    monkeypatch.setattr(decide, "QUICK", True)
    task = Task.from_file(write_emails(tmp_path / "emails.csv", per_team=60), text="message", label="team")
    plan = decide.plan_run(task)
    assert plan.settings == decide.with_sizes(task, decide.default_settings(quick=True)) and not plan.timed
    assert plan.notes == (
        "Quick mode (COURSE_QUICK): 32 of 90 training rows, 12 of 36 validation rows and 24 of 54 test "
        "rows, a taste of the flow; unset COURSE_QUICK to measure for real.",
    )


def test_long_texts_are_cut_for_the_model_and_few_shot_prompts_fit_its_context(tmp_path, tiny_loads, tokenizer):
    extra = "".join(f"{' '.join(['invoice'] * 1800)} {i},billing\n" for i in range(8))  # 1,800 tokens: more than 1,500
    task = Task.from_file(
        write_emails(tmp_path / "emails.csv", extra=extra), text="message", label="team", max_text_tokens=10_000
    )
    plan = decide.plan_run(task, settings=SMALL)
    texts = pd.concat([plan.task.split(split) for split in ("train", "validation", "test")])["text"]
    assert max(len(tokenizer(text, add_special_tokens=False).input_ids) for text in texts) == 1500
    assert plan.task.notes[-1].startswith("Cut 8 texts longer than 1,500 tokens (counted by the model's tokenizer)")
    assert plan.settings.k == 0 and plan.notes == (
        "No few-shot prompt: beside the longest texts, not even one solved "
        "example fits the model's context of 2,048 tokens, so the prompt "
        "side is zero-shot.",
    )
    assert list(decide.prompt_patterns(plan.task, plan.task.split("train"), plan.settings.k)) == ["zero_shot"]


def test_test_rows_keep_the_file_s_proportions_and_the_majority_is_measured_on_them(tmp_path):
    rows = [(f"Message {i} on billing", "billing") for i in range(60)] + [
        (f"Message {i} on parcels", "shipping") for i in range(20)
    ]
    (tmp_path / "skewed.csv").write_text("message,team\n" + "".join(f"{t},{label}\n" for t, label in rows))
    task = Task.from_file(tmp_path / "skewed.csv", text="message", label="team")
    test = decide.in_proportion(task.split("test"), 12, "label")
    assert test["label"].value_counts().to_dict() == {"billing": 9, "shipping": 3}  # 3 to 1, as in the file
    assert decide.majority_baseline(task, test) == {"label": "billing", "accuracy": 0.75}


def test_the_command_says_what_is_wrong_with_a_bad_file_in_one_line(tmp_path):
    (tmp_path / "few.csv").write_text(
        "message,team\n" + "".join(f"text {i},{'a' if i % 2 else 'b'}\n" for i in range(6))
    )
    with pytest.raises(SystemExit, match=r"helpers.experiments.decide: .*few.csv: too few examples"):
        decide.main(["--data", str(tmp_path / "few.csv"), "--text", "message", "--label", "team"])
    with pytest.raises(SystemExit, match="no column 'body' for the text"):
        decide.main(["--data", str(tmp_path / "few.csv"), "--text", "body", "--label", "team"])
    with pytest.raises(SystemExit, match="the text and the label are both the column 'team'"):
        decide.main(["--data", str(tmp_path / "few.csv"), "--text", "team", "--label", "team"])
    with pytest.raises(
        SystemExit, match=r"helpers.experiments.decide: minutes must be a positive number of minutes \(got -5.0\)"
    ):
        decide.main(["--data", str(tmp_path / "few.csv"), "--text", "message", "--label", "team", "--minutes", "-5"])


def test_an_output_folder_of_yours_is_refused_before_anything_is_measured(tmp_path, monkeypatch):
    data = tmp_path / "few.csv"
    data.write_text("message,team\n" + "".join(f"text number {i},{'a' if i % 2 else 'b'}\n" for i in range(40)))
    (tmp_path / "my_project").mkdir()
    (tmp_path / "my_project" / "thesis.tex").write_text("keep me")
    monkeypatch.setattr(decide, "measure_task", lambda *a, **k: pytest.fail("measured before checking the output"))
    for output, message in [
        (tmp_path / "my_project", "already holds files the course did not write"),
        (tmp_path / "my_project" / "thesis.tex", "is an existing file"),
        (".", "is the current folder"),
    ]:
        with pytest.raises(SystemExit, match=message):
            decide.main(["--data", str(data), "--text", "message", "--label", "team", "--output", str(output)])
    assert [p.name for p in (tmp_path / "my_project").iterdir()] == ["thesis.tex"]


@pytest.mark.slow
def test_text_from_the_file_is_printed_in_the_report_never_rendered(tmp_path, tiny_loads):
    hostile = "<img src=x onerror=alert(1)>"
    rows = [
        (f"Message {i} about topic {topic}", label)
        for i in range(12)
        for topic, label in [("invoice", "billing"), ("parcel", hostile), ("password", "**accounts**")]
    ]
    rows += [("<b>Refund</b> please", "billing"), ("<b>refund</b> please!", hostile)]  # one text, two labels: a note
    path = tmp_path / "emails.csv"
    path.write_text("message,team\n" + "".join(f'"{text}","{label}"\n' for text, label in rows))
    task = replace(Task.from_file(path, text="message", label="team"), max_new_tokens=3)
    report = decide.report_markdown(decide.measure_task(task, settings=SMALL, progress=False))
    assert "given different labels" in report and "<b>" not in report
    assert hostile not in report and "**accounts**" not in report
    assert r"&lt;img src=x onerror=alert\(1\)&gt;" in report and r"\*\*accounts\*\*" in report
