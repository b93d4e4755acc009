"""The head-to-head machinery, run end to end on a tiny random model (fast), plus its pure table logic."""
from dataclasses import asdict

import matplotlib.pyplot as plt
import pytest

from fakes import fake_results

import helpers.comparison as comparison
import helpers.tasks as tasks
from helpers.comparison import APPROACHES, Settings, default_settings, fine_tune, head_to_head, load_lora, with_dollars
from helpers.errors import CourseError
from helpers.plots import plot_head_to_head


def test_default_settings_follow_the_task():
    reviews, tickets = default_settings("reviews"), default_settings("tickets")
    assert reviews.task == "reviews" and tickets.task == "tickets" and len(reviews.seeds) >= 2
    with pytest.raises(CourseError):
        default_settings("poems")
    assert Settings("reviews", 3, 2, 6, 1, 2, 1, 2, (0, 1)).rows("test").equals(tasks.REVIEWS.sample("test", 3))


def test_fine_tune_trains_on_the_rows_of_any_task(tiny_loads, tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("note,tag\n" + "".join(f"note number {i},{'yes' if i % 2 else 'no'}\n" for i in range(20)))
    task = tasks.Task.from_file(path, text="note", label="tag")
    model, _, info = fine_tune(task, task.split("train"), steps=2, batch_size=2, model_id="tiny", progress=False)
    assert info["labelled_examples"] == len(task.split("train")) and len(info["losses"]) == info["steps"] == 2
    assert 0 < info["trainable_parameters"] < info["parameters"] and info["training_flops"] > 0
    assert any("lora" in name for name, _ in model.named_parameters())
    with pytest.raises(CourseError, match="Unknown kind of fine-tune"):
        fine_tune(task, task.split("train"), kind="qlora", steps=1)


def test_head_to_head_measures_every_approach_and_caches(tiny_course, tiny_loads):
    settings = tiny_course("reviews")
    run = head_to_head(settings, progress=False)
    results = run["results"]
    assert list(results.index) == list(APPROACHES)
    assert results.loc["zero-shot", "labelled_examples"] == 0 and results.loc["zero-shot", "training_flops"] == 0
    assert results.loc["LoRA fine-tune", "labelled_examples"] == 6
    assert 0 < results.loc["LoRA fine-tune", "trainable_parameters"] < results.loc["full fine-tune", "trainable_parameters"]
    assert results.loc["full fine-tune", "training_flops"] > results.loc["LoRA fine-tune", "training_flops"] > 0
    assert results.loc["hybrid", "prompt"] == results.loc["best prompt", "prompt"] in ("strict_format", "few_shot_balanced")
    assert results[["accuracy", "paraphrase_agreement", "seed_agreement"]].stack().between(0, 1).all()
    assert set(run["losses"]) == {"LoRA fine-tune", "full fine-tune"}
    loads = len(tiny_loads)
    assert head_to_head(settings, progress=False)["results"].equals(results) and len(tiny_loads) == loads  # cached
    model, _ = load_lora(settings)
    assert any("lora" in name for name, _ in model.named_parameters())


def test_an_interrupted_fine_tune_is_never_cached_as_finished(tiny_course, monkeypatch):
    real_train = comparison.train

    def stopped_at_step_1(*args, **kwargs):  # the stop button, pressed during the first fine-tune
        def stop(step, loss):
            raise KeyboardInterrupt
        return real_train(*args, **kwargs, on_step=stop)
    monkeypatch.setattr(comparison, "train", stopped_at_step_1)
    settings = tiny_course("reviews", steps=2)
    with pytest.raises(CourseError, match="stopped after 1 of 2 steps.*nothing was cached"):
        head_to_head(settings, progress=False)
    assert not comparison.entry("head-to-head", asdict(settings)).exists()
    monkeypatch.setattr(comparison, "train", real_train)
    assert head_to_head(settings, progress=False)["losses"]["LoRA fine-tune"]  # measured in full the next time


def test_tickets_results_have_json_validity(tiny_course):
    results = head_to_head(tiny_course("tickets", n_test=2), progress=False)["results"]
    assert "json_valid_rate" in results and "urgency_accuracy" in results


def test_with_dollars_prices_the_measured_seconds():
    priced = with_dollars(fake_results(), price_per_hour=3.6)
    assert priced.loc["LoRA fine-tune", "training_dollars"] == pytest.approx(0.06)
    assert priced.loc["zero-shot", "dollars_per_1000_requests"] == pytest.approx(0.2)


def test_chart_of_the_head_to_head():
    axes = plot_head_to_head(with_dollars(fake_results(), 2.0))
    assert len(axes) == 4 and len(axes[0].patches) == len(APPROACHES) and len(axes[1].patches) == 2 * len(APPROACHES)
    plt.close("all")
