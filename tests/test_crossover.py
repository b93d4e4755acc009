"""The crossover's point (paired, against every prompt that could use as many examples) and its chart;
its run on a tiny model is in test_verdicts (it feeds the claims)."""
import matplotlib.pyplot as plt
import pandas as pd
import pytest
from fakes import scores

from helpers.crossover import crossover, crossover_point
from helpers.errors import CourseError
from helpers.plots import plot_crossover


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


def test_fine_tuning_sizes_must_leave_room_for_the_head_to_heads_own(tiny_course):
    with pytest.raises(CourseError, match="from 1 to below n_train=6"):
        crossover(tiny_course("reviews"), shots=(1,), sizes=(6,), progress=False)


def test_chart_of_the_crossover():
    table = pd.DataFrame({"method": ["few-shot prompt", "few-shot prompt", "LoRA fine-tune"], "labelled_examples": [0, 5, 20],
                          "accuracy": [0.3, 0.4, 0.6], "prompt_tokens": [80.0, 400.0, 80.0]})
    ax = plot_crossover(table, point=20)
    assert len(ax.lines) == 3 and ax.get_xscale() == "symlog" and "labelled examples" in ax.get_xlabel()
    assert len(plot_crossover(table, point=None).lines) == 2
    plt.close("all")
