"""The head-to-head machinery, run end to end on a tiny random model (fast), plus its pure table logic."""

import shutil

import matplotlib.pyplot as plt
import pandas as pd
import pytest
import torch
from fakes import fake_results

import helpers.experiments.comparison as comparison
import helpers.prompting.tasks as tasks
from helpers.core.errors import CourseError
from helpers.core.plots import plot_head_to_head
from helpers.experiments.comparison import (
    APPROACHES,
    Settings,
    best_of,
    default_settings,
    family_verdicts,
    head_to_head,
    load_lora,
    with_dollars,
)
from helpers.finetuning.tuning import fine_tune


def test_default_settings_follow_the_task():
    reviews, tickets = default_settings("reviews"), default_settings("tickets")
    assert reviews.task is tasks.REVIEWS and tickets.task is tasks.TICKETS and len(reviews.seeds) >= 2
    assert reviews.key()["task"] == "reviews"  # the cache is keyed on the task's name, as plain data
    full = default_settings("reviews", quick=False)
    assert len(full.seeds) >= 3 and len(full.lora_learning_rates) >= 3 and len(full.full_learning_rates) >= 3
    assert full.n_test is None and len(full.rows("test")) == len(tasks.REVIEWS.split("test"))  # the whole split
    with pytest.raises(CourseError):
        default_settings("poems")
    assert Settings(tasks.REVIEWS, 3, 2, 6, 1, 2, 1).rows("test").equals(tasks.REVIEWS.sample("test", 3))
    with pytest.raises(CourseError, match="pass get_task"):
        Settings("reviews", 3, 2, 6, 1, 2, 1)  # a name is resolved where it enters, not carried below


def test_fine_tune_trains_on_the_rows_of_any_task(tiny_loads, tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("note,tag\n" + "".join(f"note number {i},{'yes' if i % 2 else 'no'}\n" for i in range(20)))
    task = tasks.Task.from_file(path, text="note", label="tag")
    rows = task.split("train")
    model, _, info = fine_tune(
        task,
        rows,
        learning_rate=1e-3,
        passes=1,
        batch_size=5,
        model_id="tiny",
        progress=False,
        validation=task.split("validation"),
    )
    assert info["labelled_examples"] == len(rows) and len(info["losses"]) == info["steps"] == -(-len(rows) // 5)
    assert 0 < info["trainable_parameters"] < info["parameters"] and info["training_flops"] > 0
    assert len(info["validation"]) == 1 and 0 <= info["validation"][0] <= 1  # answered after its one pass
    assert {name.split(".")[-2] for name, p in model.named_parameters() if p.requires_grad} == {"default"}
    assert any("mlp.down_proj.lora" in name for name, _ in model.named_parameters())  # every linear layer
    with pytest.raises(CourseError, match="Unknown kind of fine-tune"):
        fine_tune(task, rows, kind="qlora", learning_rate=1e-3, passes=1)


def test_a_recipe_is_chosen_on_validation_and_another_seed_reproduces_its_schedule(tiny_loads, tmp_path, monkeypatch):
    import helpers.finetuning.tuning as tuning

    task = tasks.REVIEWS
    rows, validation = task.sample("train", 6), task.sample("validation", 4)
    scores = iter([0.2, 0.5, 0.4, 0.5])  # rate 1e-3: 20% then 50%; rate 3e-3: 40% then 50% (a tie: the first wins)
    monkeypatch.setattr(tuning, "evaluate", lambda *a, **k: (pd.DataFrame({"accuracy": [next(scores)]}), None))
    recipe, search, model, _, info = tuning.choose_recipe(
        task,
        rows,
        validation,
        "lora",
        tmp_path,
        learning_rates=(1e-3, 3e-3),
        max_passes=2,
        batch_size=3,
        model_id="tiny",
        progress=False,
    )
    assert (recipe.learning_rate, recipe.passes, recipe.max_passes) == (1e-3, 2, 2)
    assert list(search["validation_accuracy"]) == [0.2, 0.5, 0.4, 0.5] and list(search["passes"]) == [1, 2, 1, 2]
    assert not (tmp_path / "best.safetensors").exists() and len(info["losses"]) == info["steps"] == 4
    trained = dict(model.named_parameters())
    rerun, _, _ = tuning.fine_tune(
        task, rows, learning_rate=1e-3, passes=2, max_passes=2, batch_size=3, model_id="tiny", progress=False
    )
    for name, parameter in rerun.named_parameters():  # the checkpoint is the model that recipe trains from seed 0
        if parameter.requires_grad:
            assert torch.equal(parameter, trained[name]), name
    assert recipe.steps(6) == (4, 4) and tuning.Recipe("lora", 1e-3, 1, 3, 3).steps(6) == (2, 6)


@pytest.mark.slow
def test_head_to_head_measures_every_approach_with_its_runs_and_caches(tiny_course, tiny_loads):
    settings = tiny_course("reviews")
    run = head_to_head(settings, progress=False)
    results = run.results
    assert list(results.index) == list(APPROACHES)
    assert results.loc["zero-shot", "labelled_examples"] == 0 and results.loc["zero-shot", "training_flops"] == 0
    assert results.loc["LoRA fine-tune", "labelled_examples"] == 6 == results.loc["TF-IDF", "labelled_examples"]
    assert (
        0
        < results.loc["LoRA fine-tune", "trainable_parameters"]
        < results.loc["full fine-tune", "trainable_parameters"]
    )
    assert results.loc["full fine-tune", "training_flops"] > results.loc["LoRA fine-tune", "training_flops"] > 0
    assert results.loc["hybrid", "prompt"] == results.loc["best prompt", "prompt"]
    runs = {"LoRA fine-tune": 2, "full fine-tune": 2, "hybrid": 2, "zero-shot": 1, "label scoring": 1, "TF-IDF": 1}
    assert all(
        results.loc[approach, "runs"] == n == len(results.loc[approach, "run_scores"]) for approach, n in runs.items()
    )
    assert results.loc["best prompt", "runs"] == (
        2 if results.loc["best prompt", "prompt"] == "few_shot_balanced" else 1
    )
    assert results[["accuracy", "accuracy_low", "accuracy_high", "validation_accuracy"]].stack().between(0, 1).all()
    assert (results["accuracy_low"] <= results["accuracy"]).all() and (
        results["accuracy"] <= results["accuracy_high"]
    ).all()
    assert set(run.candidates["approach"]) == {"best prompt", "label scoring", "TF-IDF"}
    assert set(run.candidates.loc[run.candidates["pattern"] == "few_shot_balanced", "draw"]) == {0, 1}
    assert set(run.search["kind"]) == {"lora", "full"} and len(run.search) == 2 * 2 * 2  # kinds x rates x passes
    assert results.loc["LoRA fine-tune", "learning_rate"] == run.recipes["lora"]["learning_rate"]
    assert set(run.losses) == {"LoRA fine-tune", "full fine-tune"} and set(run.losses["LoRA fine-tune"]) == {
        "0",
        "1",
    }
    loads = len(tiny_loads)
    assert head_to_head(settings, progress=False).results.equals(results) and len(tiny_loads) == loads  # cached
    model, _ = load_lora(settings, seed=1)
    assert any("lora" in name for name, _ in model.named_parameters())
    verdicts = family_verdicts(results)
    assert [(a, b) for a, b, _ in verdicts][1] == ("LoRA fine-tune", "full fine-tune")
    assert verdicts[0][1] == best_of(results, "prompting") and verdicts[0][0] == best_of(results, "fine-tuning")


def test_families_are_judged_by_their_best_member_on_validation():
    results = fake_results()
    results["validation_accuracy"] = [0.3, 0.2, 0.25, 0.4, 0.5, 0.45, 0.1]  # a choice the test split never makes
    assert best_of(results, "prompting") == "zero-shot" and best_of(results, "fine-tuning") == "LoRA fine-tune"
    pairs = [(a, b) for a, b, _ in family_verdicts(results)]
    assert pairs == [
        ("LoRA fine-tune", "zero-shot"),
        ("LoRA fine-tune", "full fine-tune"),
        ("LoRA fine-tune", "TF-IDF"),
    ]
    results.loc["hybrid", "validation_accuracy"] = 0.6  # measured best on validation: then it is judged too
    assert ("hybrid", "LoRA fine-tune") in [(a, b) for a, b, _ in family_verdicts(results)]
    verdict = dict(((a, b), c) for a, b, c in family_verdicts(results))[("LoRA fine-tune", "zero-shot")]
    assert verdict.verdict == "A better" and verdict.runs_a == 3 and verdict.runs_b == 1  # 60% vs 20% on 100 examples


@pytest.mark.slow
def test_an_interrupted_fine_tune_is_never_cached_as_finished(tiny_course, monkeypatch):
    import helpers.finetuning.tuning as tuning

    real_train = tuning.train

    def stopped_at_step_1(*args, **kwargs):  # the stop button, pressed during the first fine-tune
        def stop(step, loss):
            raise KeyboardInterrupt

        return real_train(*args, **{**kwargs, "on_step": stop})

    monkeypatch.setattr(tuning, "train", stopped_at_step_1)
    settings = tiny_course("reviews")
    with pytest.raises(CourseError, match="stopped after 1 of 4 steps.*this one was not kept"):
        head_to_head(settings, progress=False)
    assert not comparison.entry("head-to-head", settings.key()).exists()
    assert not comparison.entry("head-to-head-lora", settings.key()).exists()
    assert comparison.entry("head-to-head-prompts", settings.key()).exists()  # the finished step is kept
    monkeypatch.setattr(tuning, "train", real_train)
    assert head_to_head(settings, progress=False).losses["LoRA fine-tune"]  # measured in full the next time


@pytest.mark.slow
def test_tickets_results_have_json_validity_and_no_label_only_approaches(tiny_course):
    results = head_to_head(tiny_course("tickets", n_test=2), progress=False).results
    assert "json_valid_rate" in results and "urgency_accuracy" in results and "exact_match" in results
    assert "label scoring" not in results.index and "TF-IDF" not in results.index


def test_with_dollars_prices_the_measured_seconds():
    priced = with_dollars(fake_results(), price_per_hour=3.6)
    assert priced.loc["LoRA fine-tune", "training_dollars"] == pytest.approx(0.06)
    assert priced.loc["zero-shot", "dollars_per_1000_requests"] == pytest.approx(0.2)


def test_chart_of_the_head_to_head():
    axes = plot_head_to_head(with_dollars(fake_results(), 2.0))
    assert len(axes) == 4 and len(axes[0].patches) == len(APPROACHES) and len(axes[1].patches) == 2 * len(APPROACHES)
    plt.close("all")


@pytest.mark.slow
def test_a_fine_tune_step_resumes_from_its_cached_runs_without_training_again(tiny_course, monkeypatch):
    import helpers.finetuning.tuning as tuning

    settings = tiny_course("reviews")
    first = comparison.fine_tuned_side(settings, "lora", progress=False)
    shutil.rmtree(comparison.entry("head-to-head-lora", settings.key()))  # stopped after every run was measured
    monkeypatch.setattr(tuning, "train", lambda *args, **kwargs: pytest.fail("trained again"))
    again = comparison.fine_tuned_side(settings, "lora", progress=False)
    assert again["recipe"] == first["recipe"] and again["losses"] == first["losses"]
    assert [row["run_scores"] for row in again["rows"]] == [row["run_scores"] for row in first["rows"]]
    assert all(
        (comparison.entry("head-to-head-lora", settings.key()) / f"adapter-seed{s}").is_dir() for s in settings.seeds
    )


def test_a_search_run_whose_checkpoint_was_not_kept_is_trained_again_here(tiny_loads, tmp_path):
    import helpers.finetuning.tuning as tuning

    task = tasks.REVIEWS
    rows, validation = task.sample("train", 6), task.sample("validation", 4)
    options = dict(learning_rates=(1e-3,), max_passes=1, batch_size=3, model_id="tiny", progress=False)
    kept = []

    def keep_nothing(rate, run):  # as a cache that cannot be written: the record comes back, the checkpoint does not
        out = tmp_path / "scratch"
        out.mkdir()
        record = run(out)
        shutil.rmtree(out)
        kept.append(rate)
        return record, out

    recipe, search, model, _, _ = tuning.choose_recipe(
        task, rows, validation, "lora", tmp_path / "here", keep=keep_nothing, **options
    )
    alone, alone_search, _, _, _ = tuning.choose_recipe(task, rows, validation, "lora", tmp_path / "alone", **options)
    same = ["learning_rate", "passes", "validation_accuracy"]  # (the seconds are timings)
    assert kept == [1e-3] and recipe == alone and search[same].equals(alone_search[same])
    assert not list((tmp_path / "here").glob("rate-*"))  # its own run is not left behind
