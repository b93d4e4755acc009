"""The head-to-head machinery, run end to end on a tiny random model (fast), plus its pure table logic."""
from dataclasses import asdict, replace

import matplotlib.pyplot as plt
import pandas as pd
import pytest

import helpers.comparison as comparison
import helpers.tasks as tasks
from helpers.comparison import (APPROACHES, Settings, crossover, crossover_point, decision_figures, seed_claims,
                                default_settings, head_to_head, load_lora, seed_table, versatility, with_dollars)
from helpers.errors import CourseError
from helpers.models import tiny_random_model
from helpers.plots import plot_crossover, plot_head_to_head, plot_versatility

TINY = dict(n_test=3, n_validation=2, n_train=6, steps=1, batch_size=2, k=1, n_wordings=2, seeds=(0, 1), model_id="tiny")


@pytest.fixture
def tiny_course(monkeypatch, tmp_path, tokenizer):
    """Every model the experiments load is a fresh tiny random model; the cache is a temporary folder."""
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    loads = []

    def load_model(model_id=None, device=None, dtype=None):
        loads.append(model_id)
        return tiny_random_model(tokenizer), tokenizer
    monkeypatch.setattr(comparison, "load_model", load_model)
    monkeypatch.setattr(comparison, "PROMPT_CANDIDATES", ("strict_format", "few_shot_balanced"))
    for task in ("reviews", "tickets"):  # a random model never stops by itself: keep its answers short
        monkeypatch.setitem(tasks.COURSE_TASKS, task, replace(tasks.COURSE_TASKS[task], max_new_tokens=3))
    return loads


def test_default_settings_follow_the_task():
    reviews, tickets = default_settings("reviews"), default_settings("tickets")
    assert reviews.task == "reviews" and tickets.task == "tickets" and len(reviews.seeds) >= 2
    with pytest.raises(CourseError):
        default_settings("poems")


def test_head_to_head_measures_every_approach_and_caches(tiny_course, tokenizer):
    settings = Settings("reviews", **TINY)
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
    loads = len(tiny_course)
    assert head_to_head(settings, progress=False)["results"].equals(results) and len(tiny_course) == loads  # cached
    model, _ = load_lora(settings)
    assert any("lora" in name for name, _ in model.named_parameters())


def test_an_interrupted_fine_tune_is_never_cached_as_finished(tiny_course, monkeypatch):
    real_train = comparison.train

    def stopped_at_step_1(*args, **kwargs):  # the stop button, pressed during the first fine-tune
        def stop(step, loss):
            raise KeyboardInterrupt
        return real_train(*args, **kwargs, on_step=stop)
    monkeypatch.setattr(comparison, "train", stopped_at_step_1)
    settings = Settings("reviews", **{**TINY, "steps": 2})
    with pytest.raises(CourseError, match="stopped after 1 of 2 steps.*nothing was cached"):
        head_to_head(settings, progress=False)
    assert not comparison.entry("head-to-head", asdict(settings)).exists()
    monkeypatch.setattr(comparison, "train", real_train)
    assert head_to_head(settings, progress=False)["losses"]["LoRA fine-tune"]  # measured in full the next time


def test_tickets_results_have_json_validity(tiny_course):
    results = head_to_head(Settings("tickets", **{**TINY, "n_test": 2}), progress=False)["results"]
    assert "json_valid_rate" in results and "urgency_accuracy" in results
    table = seed_table(results, price_per_hour=2.0)
    assert "JSON valid" in table.loc["Performance", "zero-shot"]


def test_crossover_versatility_and_decision_figures(tiny_course):
    reviews, tickets = Settings("reviews", **TINY), Settings("tickets", **{**TINY, "n_test": 2})
    table = crossover(reviews, shots=(1,), sizes=(2,), progress=False)
    assert list(table["method"].unique()) == ["LoRA fine-tune", comparison.BASELINE, "few-shot prompt"]
    assert sorted(table["labelled_examples"]) == [0, 1, 2, 2, 6, 6]
    assert all(len(scores) == reviews.n_test for scores in table["scores"])  # per test example, for paired tests
    assert table["accuracy"].tolist() == pytest.approx([sum(scores) / len(scores) for scores in table["scores"]])
    with pytest.raises(CourseError):
        crossover(reviews, shots=(1,), sizes=(6,), progress=False)
    versatile = versatility(reviews, tickets, n_probe=3, progress=False)
    assert list(versatile["table"].index) == ["base model", "fine-tuned on reviews"]
    claims = seed_claims({"reviews": head_to_head(reviews, progress=False)}, table, versatile)
    assert len(claims) == 5 and set(claims["verdict"]) <= {"agrees", "disagrees", "partly", "too close to call"}
    assert {"reviews_accuracy", "probe_accuracy", "tickets_accuracy", "tickets_json_valid_rate"} <= set(versatile["table"])
    assert len(versatile["probe"]["base model"]) == 3
    figures = decision_figures(head_to_head(reviews, progress=False)["results"], table, versatile["table"])
    assert set(figures.accuracy) == {"prompting", "fine-tuning", "hybrid"} and figures.training_seconds > 0
    assert figures.accuracy_verdict in ("fine-tuning better", "prompting better", "too close to call")
    assert figures.test_examples == reviews.n_test
    with pytest.raises(CourseError):
        versatility(reviews, reviews)


def scores(right: int, n: int = 100) -> list[float]:
    """Per-example scores of a method that gets the first `right` of `n` examples right."""
    return [1.0] * right + [0.0] * (n - right)


def test_crossover_point_is_where_fine_tuning_beats_every_usable_prompt():
    table = pd.DataFrame({"method": ["few-shot prompt"] * 3 + ["LoRA fine-tune"] * 3,
                          "labelled_examples": [0, 5, 20, 10, 50, 200],
                          "scores": [scores(30), scores(50), scores(60), scores(45), scores(55), scores(80)]})
    assert crossover_point(table) == 200  # at 50 examples, the 20-shot prompt (60%) still wins
    table.at[4, "scores"] = scores(75)
    assert crossover_point(table) == 50
    table.at[4, "scores"] = scores(64)  # 64% vs 60% on the same 100 examples: within chance
    assert crossover_point(table) == 200
    table["scores"] = [scores(90)] * 3 + [scores(10)] * 3
    assert crossover_point(table) is None


def fake_results() -> pd.DataFrame:
    rows = []
    for i, approach in enumerate(APPROACHES):
        trained = [0, 0, 1e5, 1.3e8, 1e5][i]
        rows.append({"approach": approach, "prompt": "zero_shot", "accuracy": 0.2 + 0.1 * i, "labelled_examples": [0, 5, 100, 100, 100][i],
                     "training_seconds": 0.0 if trained == 0 else 60.0, "training_flops": 0.0 if trained == 0 else 1e15,
                     "trainable_parameters": trained, "parameters": 1.35e8, "latency_s": [0.2, 0.5, 0.2, 0.2, 0.5][i],
                     "prompt_tokens": 80.0, "paraphrase_agreement": 0.5 + 0.1 * i, "seed_agreement": 0.7,
                     "accuracy_worst_wording": 0.1, "accuracy_best_wording": 0.6,
                     "scores": scores(20 + 10 * i), "agreement_scores": [0.5 + 0.1 * i] * 100})
    return pd.DataFrame(rows).set_index("approach")


def test_with_dollars_prices_the_measured_seconds():
    priced = with_dollars(fake_results(), price_per_hour=3.6)
    assert priced.loc["LoRA fine-tune", "training_dollars"] == pytest.approx(0.06)
    assert priced.loc["zero-shot", "dollars_per_1000_requests"] == pytest.approx(0.2)


def test_seed_table_has_the_seed_aspects_and_our_approaches():
    table = seed_table(fake_results(), price_per_hour=2.0)
    assert list(table.index) == ["Definition", "Use case", "Data requirement", "Cost", "Flexibility", "Performance",
                                 "Deployment complexity", "When to use"]
    assert list(table.columns) == list(APPROACHES)
    assert "edit the prompt" in table.loc["Flexibility", "zero-shot"] and "retrain" in table.loc["Flexibility", "hybrid"]
    assert "most accurate" in table.loc["When to use", "hybrid"]
    assert "fewest labels" in table.loc["When to use", "zero-shot"]
    assert table.loc["Data requirement", "best prompt"] == "5 labelled examples"
    assert "0.4 MB" in table.loc["Deployment complexity", "LoRA fine-tune"]


def test_charts_of_the_head_to_head_crossover_and_versatility():
    axes = plot_head_to_head(with_dollars(fake_results(), 2.0))
    assert len(axes) == 4 and len(axes[0].patches) == len(APPROACHES) and len(axes[1].patches) == 2 * len(APPROACHES)
    table = pd.DataFrame({"method": ["few-shot prompt", "few-shot prompt", "LoRA fine-tune"], "labelled_examples": [0, 5, 20],
                          "accuracy": [0.3, 0.4, 0.6], "prompt_tokens": [80.0, 400.0, 80.0]})
    ax = plot_crossover(table, point=20)
    assert len(ax.lines) == 3 and ax.get_xscale() == "symlog" and "labelled examples" in ax.get_xlabel()
    assert len(plot_crossover(table, point=None).lines) == 2
    versatile = pd.DataFrame({"reviews_accuracy": [0.3, 0.6], "probe_questions": [10, 10], "probe_accuracy": [0.5, 0.3],
                              "tickets_accuracy": [0.2, 0.0]}, index=["base model", "fine-tuned on reviews"])
    ax = plot_versatility(versatile)
    assert len(ax.patches) == 6 and [t.get_text() for t in ax.get_xticklabels()] == ["reviews", "probe", "tickets"]
    plt.close("all")


def probe_answers(right: int, n: int = 50) -> pd.DataFrame:
    return pd.DataFrame({"correct": [True] * right + [False] * (n - right)})


def test_seed_claims_give_a_verdict_from_the_numbers():
    results = fake_results()  # LoRA 40% vs best prompt 30%, the LoRA right on every example the prompt gets
    crossing = pd.DataFrame({"method": ["few-shot prompt", "LoRA fine-tune"], "labelled_examples": [5, 100],
                             "scores": [scores(30), scores(60)]})
    versatile = {"probe": {"base model": probe_answers(40), "fine-tuned on reviews": probe_answers(10)}}
    claims = seed_claims({"reviews": {"results": results}}, crossing, versatile)
    verdicts = dict(zip(claims["claim"], claims["verdict"]))
    assert verdicts["Fine-tuning is more accurate on a specific task (reviews)"] == "agrees"
    assert "LoRA fine-tune 40% vs best prompt (zero_shot) 30%" in claims["measured"].iloc[0]
    assert "on the same 100 examples (paired)" in claims["note"].iloc[0]
    assert verdicts["A fine-tuned model loses versatility (Swiss army knife vs scalpel)"] == "agrees"
    assert verdicts["Fine-tuning needs a labelled data set; prompting needs little or none"] == "agrees"
    assert "from 100 labelled examples" in claims["measured"].iloc[3]
    assert set(claims["verdict"]) <= {"agrees", "disagrees", "partly", "too close to call"}


def test_a_gap_within_chance_is_never_agreement():
    close = fake_results()
    close.at["LoRA fine-tune", "scores"] = scores(33)  # 33% vs 30% on the same 100 examples
    crossing = pd.DataFrame({"method": ["few-shot prompt", "LoRA fine-tune"], "labelled_examples": [5, 100],
                             "scores": [scores(30), scores(33)]})
    versatile = {"probe": {"base model": probe_answers(25), "fine-tuned on reviews": probe_answers(23)}}
    claims = seed_claims({"reviews": {"results": close}}, crossing, versatile)
    assert claims["verdict"].iloc[0] == claims["verdict"].iloc[-1] == "too close to call"
    assert claims["verdict"].iloc[3] == "too close to call"  # no crossover in this run: the claim is not confirmed
    assert "did not clearly beat prompting" in claims["measured"].iloc[3]


def test_a_clearly_worse_fine_tune_disagrees():
    worse = fake_results()
    worse.at["LoRA fine-tune", "scores"] = scores(0)
    crossing = pd.DataFrame({"method": ["few-shot prompt", "LoRA fine-tune"], "labelled_examples": [5, 100],
                             "scores": [scores(30), scores(60)]})
    versatile = {"probe": {"base model": probe_answers(25), "fine-tuned on reviews": probe_answers(25)}}
    assert seed_claims({"reviews": {"results": worse}}, crossing, versatile)["verdict"].iloc[0] == "disagrees"
