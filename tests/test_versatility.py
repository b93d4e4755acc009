"""Versatility: the probe scorer on a tiny model and the chart; the whole run is in test_verdicts."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from helpers.core.errors import CourseError
from helpers.core.plots import plot_versatility
from helpers.experiments.versatility import probe_sample, probe_score, versatility
from helpers.prompting.data import load_probe


def test_a_probe_sample_spreads_over_the_kinds_of_question_and_is_reproducible():
    everything, sample = load_probe(), probe_sample(6)
    assert len(probe_sample()) == len(everything) and len(sample) == 6
    assert sample["kind"].value_counts().max() - sample["kind"].value_counts().min() <= 1
    assert sample["kind"].nunique() == min(6, everything["kind"].nunique()) and sample.equals(probe_sample(6))
    assert len(probe_sample(10_000)) == len(everything)


def test_probe_score_answers_every_question_and_marks_it(tiny_model, tokenizer):
    probe = pd.DataFrame(
        {"question": ["What is 2 + 2?", "Name the capital of France."], "answers": [["4", "four"], ["Paris"]]}
    )
    answered = probe_score(tiny_model, tokenizer, probe, max_new_tokens=2)
    assert list(answered.columns) == ["question", "answers", "answer", "correct"] and len(answered) == 2
    assert answered["correct"].dtype == bool


def test_the_other_tasks_must_be_other_tasks(tiny_course):
    for others in ([tiny_course("reviews")], []):
        with pytest.raises(CourseError, match="settings of other tasks"):
            versatility(tiny_course("reviews"), others)


def test_chart_of_versatility():
    versatile = pd.DataFrame(
        {
            "reviews_accuracy": [0.3, 0.6],
            "probe_questions": [10, 10],
            "probe_accuracy": [0.5, 0.3],
            "tickets_accuracy": [0.2, 0.0],
        },
        index=["base model", "fine-tuned on reviews"],
    )
    ax = plot_versatility(versatile)
    assert len(ax.patches) == 6 and [t.get_text() for t in ax.get_xticklabels()] == ["reviews", "probe", "tickets"]
    plt.close("all")
