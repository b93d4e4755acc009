from dataclasses import replace

import pytest

from helpers.core.errors import CourseError
from helpers.experiments.advice import (
    Answers,
    Figures,
    cost_estimate,
    decision_form,
    duration,
    payback_months,
    recommend,
    render,
)

FIGURES = Figures(
    accuracy={"prompting": 0.4, "fine-tuning": 0.7, "hybrid": 0.72, "classical": 0.35},
    latency_s={"prompting": 1.0, "fine-tuning": 0.2, "hybrid": 0.4, "classical": 0.001},
    training_seconds=3600,
    examples_needed=500,
    probe_drop=0.1,
    accuracy_verdict="fine-tuning better",
    test_examples=300,
    classical_verdict="worse",
    classical_vs_prompting="worse",
    model="SmolLM2-135M",
)
# can fine-tune; no people's time counted, so the rules below turn on the measured figures alone
READY = Answers(labelled_examples=1000, changes="rarely", requests_per_month=100, price_per_hour=2.0, setup_hours=0)


@pytest.mark.parametrize(
    "changes, expected",
    [
        (dict(gpu_budget=False), "prompting"),  # 1. no resources
        (dict(ml_skills=False, priority="niche_accuracy"), "prompting"),  # 1. even for a niche
        (dict(labelled_examples=499, priority="niche_accuracy"), "prompting"),  # 3. too little data
        (dict(many_tasks=True, priority="niche_accuracy"), "fine-tuning"),  # 4. many tasks: an adapter for this one
        (dict(many_tasks=True), "prompting"),  # 5. many tasks, flexibility
        (dict(changes="weekly", priority="niche_accuracy"), "fine-tuning"),  # 4. the measurement, plus its upkeep
        (dict(changes="weekly"), "prompting"),  # 5. weekly changes, flexibility
        (dict(priority="niche_accuracy"), "fine-tuning"),  # 4. niche, stable
        (dict(priority="niche_accuracy", changes="monthly"), "fine-tuning"),  # 4. niche, monthly changes
        (dict(requests_per_month=10_000), "fine-tuning"),  # 5. training pays back fast
        (dict(), "prompting"),  # 5. training pays back too slowly
    ],
)
def test_every_rule_gives_its_recommendation_with_reasons(changes, expected):
    advice = recommend(replace(READY, **changes), FIGURES)
    assert advice.approach == expected
    assert advice.reasons and all(isinstance(reason, str) and reason for reason in advice.reasons)


@pytest.mark.parametrize(
    "verdict, expected",
    [("fine-tuning better", "fine-tuning"), ("too close to call", "prompting"), ("prompting better", "prompting")],
)
def test_an_accuracy_priority_gets_the_measured_best_and_a_tie_goes_to_the_cheaper(verdict, expected):
    advice = recommend(replace(READY, priority="niche_accuracy"), replace(FIGURES, accuracy_verdict=verdict))
    assert advice.approach == expected
    reasons = " ".join(advice.reasons)
    assert "300 test examples" in reasons and "SmolLM2-135M" in reasons
    assert ("too close to call" in reasons) == (verdict == "too close to call")
    assert ("A tie goes to the cheaper approach" in reasons) == (verdict == "too close to call")


def test_the_hybrid_is_advised_only_where_it_was_measured_better():
    niche = replace(READY, priority="niche_accuracy", changes="monthly")
    assert recommend(niche, FIGURES).approach == "fine-tuning"  # the hybrid was not measured better
    better = recommend(niche, replace(FIGURES, hybrid_verdict="better"))
    assert better.approach == "hybrid" and "better still (72%)" in " ".join(better.reasons)


def test_a_classical_classifier_that_ties_is_named_and_one_that_wins_is_advised():
    niche = replace(READY, priority="niche_accuracy")
    tie = recommend(niche, replace(FIGURES, classical_verdict="too close to call"))
    assert tie.approach == "fine-tuning" and "TF-IDF" in tie.reasons[-1] and "try it first" in tie.reasons[-1]
    win = recommend(niche, replace(FIGURES, classical_verdict="better"))
    assert win.approach == "classical" and "clearly more accurate" in win.reasons[0]
    assert "classical" in win.costs.index and win.costs.loc["classical", "one_time_dollars"] >= 0


def test_a_classical_classifier_level_with_the_advised_prompt_is_named_and_one_better_is_advised():
    tied = replace(FIGURES, accuracy_verdict="too close to call", classical_verdict="too close to call")
    niche = replace(READY, priority="niche_accuracy")
    tie = recommend(niche, replace(tied, classical_vs_prompting="too close to call"))
    assert tie.approach == "prompting" and "within chance of the best prompt" in tie.reasons[-1]
    win = recommend(niche, replace(tied, classical_vs_prompting="better"))
    assert win.approach == "classical" and "clearly more accurate than the best prompt" in win.reasons[0]
    scoring = replace(tied, classical_vs_prompting="too close to call", names={"prompting": "label scoring"})
    assert "within chance of prompting (label scoring)" in recommend(niche, scoring).reasons[-1]  # the family's best
    worse = recommend(niche, replace(tied, classical_vs_prompting="worse"))
    assert worse.approach == "prompting" and not any("TF-IDF" in reason for reason in worse.reasons)


def test_flexibility_first_says_why_when_fine_tuning_was_more_accurate():
    advice = recommend(replace(READY, changes="weekly"), FIGURES)
    assert advice.approach == "prompting" and "Speed and flexibility come first here." in advice.reasons[-1]


def test_no_negative_cost_is_ever_stated():
    advice = recommend(replace(READY, priority="niche_accuracy", many_tasks=True), replace(FIGURES, probe_drop=-0.08))
    assert "did not lower accuracy on general questions (the probe: +8%)" in " ".join(advice.reasons)
    assert "-8%" not in " ".join(advice.reasons)


def test_the_advice_follows_the_volume():
    # A day of a person's work ($400) and 1 h of GPU ($2) once; each request 0.8 s faster at $2/h.
    answers = replace(READY, setup_hours=8, dollars_per_work_hour=50)
    low, high = (recommend(replace(answers, requests_per_month=volume), FIGURES) for volume in (1_000, 10_000_000))
    assert low.approach == "prompting" and "repaid only after" in low.reasons[1] and "$402.00" in low.reasons[1]
    assert high.approach == "fine-tuning" and "in 2.7 days" in high.reasons[0]
    assert payback_months(high.costs, 10_000_000) == pytest.approx(402 / (0.8 / 3600 * 2 * 10_000_000), rel=1e-9)


def test_people_time_is_part_of_the_one_time_cost():
    cheap, dear = (
        cost_estimate(replace(READY, setup_hours=hours, dollars_per_work_hour=50), FIGURES) for hours in (0, 40)
    )
    assert dear.loc["fine-tuning", "one_time_dollars"] - cheap.loc["fine-tuning", "one_time_dollars"] == pytest.approx(
        2000
    )
    assert dear.loc["prompting", "one_time_dollars"] == 0
    assert recommend(replace(READY, requests_per_month=10_000, setup_hours=0), FIGURES).approach == "fine-tuning"
    assert recommend(replace(READY, requests_per_month=10_000, setup_hours=40), FIGURES).approach == "prompting"


@pytest.mark.parametrize(
    "months, words", [(0, "at once"), (0.01, "0.3 days"), (2.5, "2.5 months"), (float("inf"), "never")]
)
def test_payback_is_said_in_days_or_months(months, words):
    assert duration(months) == words


def test_no_crossover_measured_means_prompting():
    advice = recommend(replace(READY, priority="niche_accuracy"), replace(FIGURES, examples_needed=None))
    assert advice.approach == "prompting" and "never" in advice.reasons[0]


def test_the_missing_resources_are_named():
    advice = recommend(replace(READY, gpu_budget=False, time_to_train=False), FIGURES)
    assert "a GPU budget and time to train" in advice.reasons[0]


def test_cost_estimate_uses_measured_seconds_at_the_assumed_price():
    costs = cost_estimate(
        replace(READY, labelled_examples=300, dollars_per_label=0.5, requests_per_month=1000), FIGURES
    )
    assert costs.loc["prompting", "one_time_dollars"] == 0
    assert costs.loc["fine-tuning", "one_time_dollars"] == pytest.approx(2.0 + 200 * 0.5)  # 1 h at $2 + 200 labels
    assert costs.loc["prompting", "dollars_per_1000_requests"] == pytest.approx(2.0 / 3.6)
    assert costs.loc["hybrid", "dollars_per_month"] == pytest.approx(0.4 * 1000 / 3600 * 2)
    assert costs.loc["fine-tuning", "dollars_first_year"] == pytest.approx(102 + 12 * 0.2 * 1000 / 3600 * 2)


def test_payback_months():
    costs = cost_estimate(READY, FIGURES)  # $2 once, saves $0.80 / 3.6 per 1,000 requests
    assert payback_months(costs, 4500) == pytest.approx(1.0)
    assert payback_months(costs, 0) == float("inf")
    same_speed = cost_estimate(READY, replace(FIGURES, latency_s={k: 1.0 for k in FIGURES.latency_s}))
    assert payback_months(same_speed, 10_000) == float("inf")


def test_render_shows_the_approach_reasons_and_costs():
    html = render(recommend(READY, FIGURES))
    assert "Recommendation: prompting" in html and "<li>" in html and "$" in html and "fine-tuning" in html


def test_the_form_updates_its_advice_when_an_answer_changes():
    form = decision_form(FIGURES, READY)
    assert "Recommendation: prompting" in form.result.value
    form.controls["priority"].value = "niche_accuracy"
    assert "Recommendation: fine-tuning" in form.result.value
    form.controls["changes"].value = "monthly"
    assert "Recommendation: fine-tuning" in form.result.value and "retraining" in form.result.value
    form.controls["ml_skills"].value = False
    assert "Recommendation: prompting" in form.result.value and "ML skills" in form.result.value
    assert form.answers().ml_skills is False and form.answers().labelled_examples == 1000


@pytest.mark.parametrize(
    "call",
    [
        lambda: recommend(replace(READY, priority="cheap"), FIGURES),
        lambda: recommend(replace(READY, changes="daily"), FIGURES),
        lambda: recommend(replace(READY, labelled_examples=-1), FIGURES),
        lambda: recommend(replace(READY, price_per_hour="2"), FIGURES),
        lambda: recommend(READY, replace(FIGURES, accuracy={"prompting": 0.5})),
        lambda: decision_form(replace(FIGURES, latency_s={})),
        lambda: recommend(READY, replace(FIGURES, accuracy_verdict="better")),
        lambda: recommend(READY, replace(FIGURES, hybrid_verdict="fine-tuning better")),
        lambda: recommend(replace(READY, setup_hours=-1), FIGURES),
    ],
)
def test_bad_input_gets_a_course_error(call):
    with pytest.raises(CourseError):
        call()
