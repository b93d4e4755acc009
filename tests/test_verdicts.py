"""The seed article's table and claims, judged from numbers: made-up ones with known answers, then tiny real runs."""
import pandas as pd
import pytest
from fakes import fake_results, probe_answers, scores

from helpers.comparison import APPROACHES, head_to_head
from helpers.crossover import BASELINE, crossover
from helpers.verdicts import decision_figures, seed_claims, seed_table
from helpers.versatility import versatility


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


def test_seed_table_of_a_json_task_names_json_validity():
    table = seed_table(fake_results().assign(json_valid_rate=0.25), price_per_hour=2.0)
    assert "JSON valid 25%" in table.loc["Performance", "zero-shot"]


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


def test_claims_and_decision_figures_from_tiny_runs_of_every_experiment(tiny_course):
    reviews, tickets = tiny_course("reviews"), tiny_course("tickets", n_test=2)
    table = crossover(reviews, shots=(1,), sizes=(2,), progress=False)
    assert list(table["method"].unique()) == ["LoRA fine-tune", BASELINE, "few-shot prompt"]
    assert sorted(table["labelled_examples"]) == [0, 1, 2, 2, 6, 6]
    assert all(len(scores) == reviews.n_test for scores in table["scores"])  # per test example, for paired tests
    assert table["accuracy"].tolist() == pytest.approx([sum(scores) / len(scores) for scores in table["scores"]])
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
