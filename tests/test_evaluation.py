import pandas as pd
import pytest

from helpers.core.errors import CourseError
from helpers.llm.generation import count_tokens
from helpers.prompting import tasks
from helpers.prompting.evaluation import (
    best_pattern,
    evaluate,
    evaluate_patterns,
    evaluate_predictor,
    parse_review_label,
    parse_ticket_json,
    review_plan,
    score_answers,
)
from helpers.prompting.prompts import catalog, zero_shot_reviews, zero_shot_tickets

REVIEWS = pd.DataFrame(
    {"text": ["I love it", "It broke", "It has two buttons"], "label": ["very_positive", "negative", "neutral"]}
)
EXPECTED = [
    {"product": "Pulse Plug P2", "issue_type": "defect", "urgency": "high", "order_id": "HH-12345"},
    {"product": "Glint Bulb G9", "issue_type": "how_to", "urgency": "low", "order_id": None},
]
TICKETS = pd.DataFrame({"text": ["My P2 sparks! HH-12345", "How do I dim my G9s?"], "expected": EXPECTED})


@pytest.mark.parametrize(
    "answer, label",
    [
        ("very_positive", "very_positive"),
        ("Very positive.", "very_positive"),
        ("VERY-NEGATIVE", "very_negative"),
        ("The sentiment is mixed", "mixed"),
        ("negative", "negative"),
        ("I think positive.\nAnswer: negative", "negative"),
        ("I cannot tell", None),
        ("", None),
    ],
)
def test_parse_review_label(answer, label):
    assert parse_review_label(answer) == label


def test_parse_ticket_json_finds_the_object_in_chatter_and_fences():
    assert parse_ticket_json('Sure! ```json\n{"urgency": "low", "order_id": null}\n```') == {
        "urgency": "low",
        "order_id": None,
    }
    assert parse_ticket_json('{broken} then {"a": 1}') == {"a": 1}
    assert parse_ticket_json("no json here") is None
    assert parse_ticket_json('{"product": "Pulse Plug P2",') is None


def test_score_answers_for_reviews():
    details = score_answers(["Very positive!", "no idea", "negative"], REVIEWS, tasks.REVIEWS)
    assert list(details["prediction"].fillna("-")) == ["very_positive", "-", "negative"]
    assert list(details["correct"]) == [True, False, False]
    assert list(details["parsed"]) == [True, False, True]


def test_score_answers_for_tickets_counts_fields_and_forgives_case_and_null():
    answers = [
        '{"product": "pulse plug p2", "issue_type": "defect", "urgency": "High", "order_id": "HH-12345"}',
        '{"product": "Glint Bulb G9", "issue_type": "how_to", "urgency": "medium", "order_id": "null"}',
    ]
    details = score_answers(answers, TICKETS, tasks.TICKETS)
    assert list(details["correct"]) == [True, False]
    assert list(details["urgency_ok"]) == [True, False] and list(details["order_id_ok"]) == [True, True]
    invalid = score_answers(["not json", answers[1]], TICKETS, tasks.TICKETS)
    assert not invalid.loc[0, ["product_ok", "issue_type_ok", "urgency_ok", "order_id_ok"]].any()


def test_evaluate_generate_returns_a_tidy_summary_and_details(tiny_model, tokenizer):
    summary, details = evaluate(tiny_model, tokenizer, zero_shot_reviews, REVIEWS, tasks.REVIEWS, max_new_tokens=4)
    assert summary.shape[0] == 1 and summary.loc[0, "pattern"] == "zero_shot_reviews"
    assert {"accuracy", "unparseable_rate", "latency_s", "prompt_tokens", "output_tokens"} <= set(summary.columns)
    assert len(details) == 3 and (details["output_tokens"] <= 4).all() and (details["prompt_tokens"] > 20).all()
    again, _ = evaluate(tiny_model, tokenizer, zero_shot_reviews, REVIEWS, tasks.REVIEWS, max_new_tokens=4)
    assert again.loc[0, "accuracy"] == summary.loc[0, "accuracy"]  # greedy is deterministic


@pytest.mark.parametrize("method", ["generate", "score"])
def test_evaluate_patterns_answers_each_pattern_in_shared_batches(tiny_model, tokenizer, method):
    patterns = catalog(tasks.REVIEWS)
    chosen = {name: patterns[name] for name in ["zero_shot", "role", "explicit"]}
    runs = evaluate_patterns(
        tiny_model, tokenizer, chosen, REVIEWS, tasks.REVIEWS, method=method, max_new_tokens=3, batch_size=4
    )
    assert list(runs) == list(chosen)
    for name, (summary, details) in runs.items():  # each pattern gets its own prompts' answers back, in order
        assert summary.loc[0, "pattern"] == name and summary.loc[0, "method"] == method and len(details) == len(REVIEWS)
        assert list(details["prompt_tokens"]) == [count_tokens(tokenizer, chosen[name](t)) for t in REVIEWS["text"]]
        assert list(details["expected"]) == list(REVIEWS["label"])
    alone, _ = evaluate(
        tiny_model, tokenizer, chosen["role"], REVIEWS, tasks.REVIEWS, method=method, max_new_tokens=3, batch_size=4
    )
    assert alone.loc[0, "prompt_tokens"] == runs["role"][0].loc[0, "prompt_tokens"]
    with pytest.raises(CourseError, match="at least one prompt pattern"):
        evaluate_patterns(tiny_model, tokenizer, {}, REVIEWS, tasks.REVIEWS)


def test_evaluate_score_always_picks_a_label(tiny_model, tokenizer):
    summary, details = evaluate(
        tiny_model, tokenizer, zero_shot_reviews, REVIEWS, tasks.REVIEWS, method="score", name="scored"
    )
    assert summary.loc[0, "unparseable_rate"] == 0 and summary.loc[0, "method"] == "score"
    assert details["prediction"].isin(["very_negative", "negative", "neutral", "positive", "very_positive"]).all()


def test_evaluate_vote_counts_the_cost_of_every_sample(tiny_model, tokenizer):
    one, _ = evaluate(tiny_model, tokenizer, zero_shot_reviews, REVIEWS, tasks.REVIEWS, max_new_tokens=3)
    voted, details = evaluate(
        tiny_model, tokenizer, zero_shot_reviews, REVIEWS, tasks.REVIEWS, method="vote", n_samples=3, max_new_tokens=3
    )
    assert voted.loc[0, "prompt_tokens"] == 3 * one.loc[0, "prompt_tokens"]
    assert details["answer"].str.count(r" \| ").eq(2).all()


def test_evaluate_tickets_reports_json_validity(tiny_model, tokenizer):
    summary, _ = evaluate(tiny_model, tokenizer, zero_shot_tickets, TICKETS, task=tasks.TICKETS, max_new_tokens=4)
    assert {"json_valid_rate", "exact_match", "order_id_accuracy"} <= set(summary.columns)
    assert summary.loc[0, "json_valid_rate"] + summary.loc[0, "unparseable_rate"] == pytest.approx(1)


def test_evaluate_predictor_and_best_pattern():
    perfect, _ = evaluate_predictor(
        lambda texts: ["very_positive", "negative", "neutral"], REVIEWS, tasks.REVIEWS, name="oracle"
    )
    constant, _ = evaluate_predictor(
        lambda texts: ["neutral"] * len(texts), REVIEWS, tasks.REVIEWS, name="always neutral"
    )
    assert perfect.loc[0, "accuracy"] == 1 and constant.loc[0, "accuracy"] == pytest.approx(1 / 3)
    results = pd.concat([constant, perfect], ignore_index=True)
    assert best_pattern(results, tasks.REVIEWS)["pattern"] == "oracle"


def test_bad_requests_raise_course_errors(tiny_model, tokenizer):
    with pytest.raises(CourseError, match="method"):
        evaluate(tiny_model, tokenizer, zero_shot_reviews, REVIEWS, tasks.REVIEWS, method="guess")
    with pytest.raises(CourseError, match="tickets are free JSON"):
        evaluate(tiny_model, tokenizer, zero_shot_tickets, TICKETS, task=tasks.TICKETS, method="score")
    with pytest.raises(CourseError, match="temperature above 0"):
        evaluate(tiny_model, tokenizer, zero_shot_reviews, REVIEWS, tasks.REVIEWS, method="vote", temperature=0)
    with pytest.raises(CourseError, match="empty"):
        evaluate(tiny_model, tokenizer, zero_shot_reviews, REVIEWS.iloc[:0], tasks.REVIEWS)
    with pytest.raises(CourseError, match="one answer per row"):
        score_answers(["a"], REVIEWS, tasks.REVIEWS)
    with pytest.raises(CourseError, match="no rows"):
        best_pattern(pd.DataFrame({"task": ["reviews"], "accuracy": [1.0], "prompt_tokens": [3]}), tasks.TICKETS)


def test_saved_results(tmp_path, monkeypatch):
    from helpers.prompting.evaluation import load_results, save_results

    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    with pytest.raises(CourseError, match="notebook 02"):
        load_results("prompt_patterns")
    table, _ = evaluate_predictor(lambda texts: ["neutral"] * len(texts), REVIEWS, tasks.REVIEWS, name="always neutral")
    assert save_results(table, "prompt_patterns").parent == tmp_path / "results"
    assert load_results("prompt_patterns").loc[0, "pattern"] == "always neutral"


def test_charts_of_results_tables():
    import matplotlib

    matplotlib.use("Agg")
    from helpers.core.plots import (
        plot_accuracy_vs_tokens,
        plot_field_accuracy,
        plot_pattern_scores,
        plot_plateau,
        plot_spread,
    )

    results = pd.DataFrame(
        {
            "pattern": ["a", "b"],
            "method": ["generate", "score"],
            "accuracy": [0.2, 0.4],
            "prompt_tokens": [80, 800],
            "json_valid_rate": [1, 0.5],
            "product_accuracy": [0.5, 0.5],
            "issue_type_accuracy": [0.1, 0.2],
            "urgency_accuracy": [0.3, 0.3],
            "order_id_accuracy": [1, 1],
        }
    )
    ax = plot_pattern_scores(results, chance=0.2)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a (generate)", "b (score)"]
    assert ax.get_xlabel() and ax.get_title() and ax.get_legend()
    assert len(plot_field_accuracy(results).patches) == 10
    assert plot_accuracy_vs_tokens(results).get_xscale() == "log"
    curve = pd.DataFrame(
        {
            "k": [0, 1, 0, 1],
            "method": ["generate"] * 2 + ["score"] * 2,
            "accuracy": [0.2, 0.3, 0.2, 0.4],
            "prompt_tokens": [80, 160, 80, 160],
        }
    )
    assert len(plot_plateau(curve).lines) == 2
    spread = pd.DataFrame({"group": ["seeds"] * 3 + ["wordings"] * 2, "accuracy": [0.1, 0.2, 0.3, 0.2, 0.2]})
    assert "range 10%–30%" in [t.get_text() for t in plot_spread(spread).texts]


@pytest.mark.parametrize(
    "quick, scored, samples", [(True, ["zero_shot"], 3), (False, ["zero_shot", "explicit", "few_shot_balanced"], 5)]
)
def test_review_plan_measures_every_pattern_and_is_smaller_in_quick_mode(monkeypatch, quick, scored, samples):
    monkeypatch.setattr("helpers.core.config.QUICK", quick)
    names = ["zero_shot", "explicit", "chain_of_thought", "few_shot_balanced"]
    plan = review_plan(names)
    assert [name for name, method, _ in plan if method == "generate"] == names
    assert [name for name, method, _ in plan if method == "score"] == scored  # only patterns that exist
    assert [options for name, method, options in plan if method == "vote"] == [{"n_samples": samples}]
    assert dict(((name, method), options) for name, method, options in plan)["chain_of_thought", "generate"] == {
        "max_new_tokens": 40
    }
