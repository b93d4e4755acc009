"""The seed article's table and claims, judged from numbers: made-up ones with known answers, then tiny real runs."""

import pandas as pd
import pytest
from fakes import fake_results, scores

from helpers.experiments.comparison import APPROACHES, HeadToHead, default_settings, head_to_head
from helpers.experiments.crossover import BASELINE, FINE_TUNE, PROMPT, LearningCurve, crossover
from helpers.experiments.verdicts import decision_figures, seed_claims, seed_table, strengths
from helpers.experiments.versatility import Versatility, versatility

SETTINGS = default_settings("reviews", quick=True)


def _run(results: pd.DataFrame) -> HeadToHead:
    return HeadToHead(SETTINGS, results, candidates=pd.DataFrame(), search=pd.DataFrame())


def _versatile(base_probe: int, tuned_probe: int) -> Versatility:
    runs = {
        "base model": {"probe": [scores(base_probe, 50)], "movie_reviews": [scores(30)]},
        "fine-tuned on reviews": {"probe": [scores(tuned_probe, 50)] * 3, "movie_reviews": [scores(30)] * 3},
    }
    return Versatility(SETTINGS, table=pd.DataFrame(), probe={}, runs=runs)


def _crossing(prompt: int, tuned: int) -> LearningCurve:
    table = pd.DataFrame(
        {
            "method": ["zero-shot", PROMPT, FINE_TUNE],
            "labelled_examples": [0, 5, 100],
            "run_scores": [[scores(20)], [scores(prompt)], [scores(tuned)] * 3],
        }
    )
    return LearningCurve(SETTINGS, table)


def test_seed_table_has_the_seed_aspects_and_our_approaches():
    table = seed_table(fake_results(), price_per_hour=2.0)
    assert list(table.index) == [
        "Definition",
        "Use case",
        "Data requirement",
        "Cost",
        "Flexibility",
        "Performance",
        "Deployment complexity",
        "When to use",
    ]
    assert list(table.columns) == list(APPROACHES)
    assert (
        "edit the prompt" in table.loc["Flexibility", "zero-shot"] and "retrain" in table.loc["Flexibility", "hybrid"]
    )
    assert "most accurate" in table.loc["When to use", "hybrid"]
    assert table.loc["When to use", "zero-shot"].startswith("clearly less accurate")  # never praised when clearly worse
    assert table.loc["Data requirement", "best prompt"] == "5 labelled examples"
    assert "0.4 MB" in table.loc["Deployment complexity", "LoRA fine-tune"]
    assert "word counts" in table.loc["Definition", "TF-IDF"] and "3 runs" in table.loc["Performance", "hybrid"]


def test_only_approaches_within_chance_of_the_best_are_praised():
    results = fake_results()
    results["paraphrase_agreement"] = [0.99, 0, 0, 0, 0, 0, 0.5]  # zero-shot is steadiest, but 20% vs 80%
    found = strengths(results)
    assert found["most accurate"] == ["hybrid"] and found["steadiest over wordings"] == ["hybrid"]
    results.at["zero-shot", "run_scores"] = [scores(79)]
    assert strengths(results)["steadiest over wordings"] == ["zero-shot"]


def test_seed_table_of_a_json_task_names_json_validity():
    table = seed_table(fake_results().assign(json_valid_rate=0.25), price_per_hour=2.0)
    assert "JSON valid 25%" in table.loc["Performance", "zero-shot"]


def test_seed_claims_compare_the_best_of_each_family_and_judge_the_data_claim_on_data_free_prompts():
    results = fake_results()  # best fine-tune on validation: full 70%; best prompting: label scoring 40% (no data)
    claims = seed_claims({"reviews": _run(results)}, _crossing(30, 60), _versatile(40, 10))
    verdicts = dict(zip(claims["claim"], claims["verdict"]))
    assert verdicts["Fine-tuning is more accurate on a specific task (reviews)"] == "agrees"
    assert claims["measured"].iloc[0].startswith("full fine-tune 70%")
    assert verdicts["Prompting needs little or no labelled data (reviews)"] == "agrees"  # label scoring uses none
    assert verdicts["A fine-tuned model loses versatility: probe (Swiss army knife vs scalpel)"] == "agrees"
    assert verdicts["Fine-tuning needs a labelled data set before it pays off"] == "agrees"
    assert set(claims["verdict"]) <= {"agrees", "disagrees", "partly", "too close to call"}


def test_the_data_claim_disagrees_when_only_a_prompt_with_examples_does_well():
    results = fake_results()
    results["validation_accuracy"] = [0.2, 0.9, 0.1, 0.1, 0.5, 0.5, 0.5]  # the best prompt (5 examples) wins validation
    results.at["best prompt", "run_scores"] = [scores(80)]
    results.loc["best prompt", "accuracy"] = 0.8
    claims = seed_claims({"reviews": _run(results)}, _crossing(30, 60), _versatile(25, 25))
    row = claims[claims["claim"] == "Prompting needs little or no labelled data (reviews)"].iloc[0]
    assert row["verdict"] == "disagrees" and "with 5 (best prompt) 80%" in row["measured"]


def test_a_gap_within_chance_is_never_agreement():
    close = fake_results()
    close.at["full fine-tune", "run_scores"] = [scores(41), scores(39), scores(40)]  # vs label scoring 40%
    claims = seed_claims({"reviews": _run(close)}, _crossing(60, 60), _versatile(25, 23))
    assert claims["verdict"].iloc[0] == claims["verdict"].iloc[-2] == "too close to call"
    learning = claims[claims["claim"] == "Fine-tuning needs a labelled data set before it pays off"].iloc[0]
    assert learning["verdict"] == "too close to call" and "did not clearly beat prompting" in learning["measured"]


@pytest.mark.slow
def test_claims_and_decision_figures_from_tiny_runs_of_every_experiment(tiny_course):
    reviews, movies, tickets = tiny_course("reviews"), tiny_course("movie_reviews"), tiny_course("tickets", n_test=2)
    curve = crossover(reviews, sizes=(2,), progress=False)
    table = curve.table
    assert set(table["method"]) == {"zero-shot", PROMPT, FINE_TUNE, BASELINE}
    assert all(len(scores) == reviews.n_test for scores in table["scores"])  # per test example, for paired tests
    assert table.loc[table["method"] == FINE_TUNE, "runs"].eq(len(reviews.seeds)).all()
    versatile = versatility(reviews, [movies, tickets], n_probe=3, progress=False)
    assert list(versatile.table.index) == ["base model", "fine-tuned on reviews"]
    assert {"reviews_accuracy", "probe_accuracy", "movie_reviews_accuracy", "tickets_accuracy"} <= set(versatile.table)
    run = head_to_head(reviews, progress=False)
    claims = seed_claims({"reviews": run}, curve, versatile)
    assert set(claims["verdict"]) <= {"agrees", "disagrees", "partly", "too close to call"}
    assert len(versatile.probe["base model"]) == 3
    figures = decision_figures(run, curve, versatile, model="tiny")
    assert set(figures.accuracy) == {"prompting", "fine-tuning", "hybrid", "classical"} and figures.training_seconds > 0
    assert figures.accuracy_verdict in ("fine-tuning better", "prompting better", "too close to call")
    assert figures.test_examples == reviews.n_test and figures.model == "tiny"
    pytest.importorskip("ipywidgets")
