from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from helpers.core.errors import CourseError
from helpers.core.plots import plot_iteration
from helpers.experiments.variations import (
    VARIATIONS,
    evaluate_variation,
    iteration,
    mapped_accuracy,
    parse_variation,
    variation_prompt,
)

REVIEWS = pd.DataFrame(
    {"text": ["I love it", "It broke", "It has two buttons"], "label": ["very_positive", "negative", "neutral"]}
)
THREE_WAY, STARS = VARIATIONS["three_way"], VARIATIONS["stars"]


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("positive", "positive"),
        ("Neutral.", "neutral"),
        ("very_negative", None),
        ("very-positive", None),
        ("Very negative", "negative"),
        ("mixed", None),
        ("", None),
    ],
)
def test_three_way_parsing_wants_one_of_the_new_labels(answer, expected):
    assert parse_variation(THREE_WAY, answer) == expected


@pytest.mark.parametrize(
    "answer, expected", [("4", "4"), ("5 stars", "5"), ("I'd say 2/5", "2"), ("1-5", None), ("10", None)]
)
def test_star_parsing(answer, expected):
    assert parse_variation(STARS, answer) == expected


def test_every_review_label_translates_into_every_variation():
    for variation in VARIATIONS.values():
        assert set(variation.expected(["very_negative", "negative", "neutral", "positive", "very_positive"])) <= set(
            variation.answers
        )
    assert STARS.expected(["very_negative", "very_positive"]) == ["1", "5"]


def test_variation_prompt_shows_examples_in_the_new_format():
    messages = variation_prompt(THREE_WAY, "Nice kettle", REVIEWS.iloc[:2])
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user"]
    assert [messages[1]["content"], messages[3]["content"]] == ["positive", "negative"]
    assert messages[-1]["content"].endswith("Review: Nice kettle") and THREE_WAY.instruction in messages[-1]["content"]
    with pytest.raises(CourseError):
        variation_prompt(THREE_WAY, "  ")


def test_evaluate_variation_scores_against_the_translated_labels(tiny_model, tokenizer):
    summary, details = evaluate_variation(tiny_model, tokenizer, STARS, REVIEWS, max_new_tokens=2)
    assert list(details["expected"]) == ["5", "2", "3"]
    assert summary.loc[0, "n"] == 3 and 0 <= summary.loc[0, "follows_format"] <= 1 and summary.loc[0, "shots"] == 0
    with pytest.raises(CourseError):
        evaluate_variation(tiny_model, tokenizer, STARS, REVIEWS.iloc[:0])


def test_mapped_accuracy_translates_five_way_predictions():
    details = pd.DataFrame(
        {"prediction": ["very_positive", "negative", None], "expected": ["positive", "very_negative", "neutral"]}
    )
    assert mapped_accuracy(details, THREE_WAY) == pytest.approx(2 / 3)
    assert mapped_accuracy(details, STARS) == 0


@pytest.mark.slow
def test_iteration_measures_each_step(tiny_course):
    settings = tiny_course("reviews")
    table = iteration(settings, progress=False).table
    assert list(table["step"].unique()) == [
        "1. prompt",
        "2. fine-tune",
        "3. prompt for a variation",
        "3b. translate its five labels by code",
    ]
    assert len(table) == 2 + 2 * len(VARIATIONS) * 2 + len(VARIATIONS)
    assert (table.loc[table["model"] == "base", "seconds_to_build"] == 0).all()
    assert (table.loc[table["model"] == "fine-tuned", "seconds_to_build"] > 0).all()
    assert (table.loc[table["model"] == "fine-tuned", "runs"] == len(settings.seeds)).all()  # every training seed
    assert all(
        len(runs) == n and all(len(scores) == size for scores in runs)
        for runs, n, size in zip(table["run_scores"], table["runs"], table["n"])
    )
    assert table["accuracy"].round(6).tolist() == [round(float(np.mean(runs)), 6) for runs in table["run_scores"]]
    assert len(plot_iteration(table).patches) == 2 * len(table)
    plt.close("all")
    with pytest.raises(CourseError):
        iteration(replace(settings, task="tickets"))
