import matplotlib.pyplot as plt
import pandas as pd

from helpers.core.plots import (
    LiveLossPlot,
    figure_png,
    near_groups,
    plot_accuracy_vs_tokens,
    plot_approaches,
    plot_compute,
    plot_learning_curve,
    plot_loss,
    plot_next_tokens,
    plot_size_curve,
    plot_style_rules,
)
from helpers.llm.pretraining import TrainingRun


def test_next_token_chart_has_one_bar_per_token_most_probable_on_top():
    table = pd.DataFrame({"token": ["' Paris'", "' the'"], "id": [1, 2], "probability": [0.8, 0.1]})
    ax = plot_next_tokens(table)
    assert len(ax.patches) == 2
    assert [label.get_text() for label in ax.get_yticklabels()] == ["' the'", "' Paris'"]
    assert "probability" in ax.get_xlabel()
    plt.close("all")


def test_loss_plot_draws_steps_and_a_running_mean():
    ax = plot_loss([3.0 - i / 100 for i in range(50)], smooth=10)
    assert len(ax.lines) == 2 and "loss" in ax.get_ylabel()
    assert len(plot_loss([3.0, 2.0], smooth=10).lines) == 1  # too short for a mean
    plt.close("all")


def test_live_plot_redraws_without_a_notebook():
    live = LiveLossPlot()
    live.update(TrainingRun(losses=[3.0, 2.5, 2.0]))
    assert live.handle is None  # nothing to display outside IPython
    assert "step 3" in live.figure.axes[0].get_title()
    assert figure_png(live.figure).startswith(b"\x89PNG")


def test_compute_chart_is_log_scale_with_one_colour_per_model():
    table = pd.DataFrame({"parameters": [1e6, 1e8], "FLOPs": [1e13, 1e21]}, index=["tiny", "big"])
    ax = plot_compute(table)
    assert ax.get_yscale() == "log" and len(ax.patches) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["tiny", "big"]
    plt.close("all")


def test_learning_curve_labels_only_the_measured_sizes():
    ax = plot_learning_curve(
        pd.DataFrame({"train_examples": [10, 20, 40], "accuracy": [0.3, 0.3, 0.4]}), {"zero-shot prompt": 0.2}
    )
    assert [label.get_text() for label in ax.get_xticklabels()] == ["10", "20", "40"]
    assert len(ax.xaxis.get_minorticklocs()) == 0
    plt.close(ax.figure)


def test_accuracy_vs_tokens_numbers_points_and_never_overprints_labels():
    results = pd.DataFrame(
        {
            "pattern": ["zero_shot", "explicit", "few_shot", "few_shot k=16"],
            "method": ["generate", "generate", "score", "generate"],
            "prompt_tokens": [88.0, 90.0, 400.0, 1200.0],
            "accuracy": [0.2, 0.2, 0.2, 0.4],
        }
    )
    assert near_groups(results["prompt_tokens"].to_numpy(), results["accuracy"].to_numpy()) == [[0, 1], [2], [3]]
    ax = plot_accuracy_vs_tokens(results)
    texts = [t.get_text() for t in ax.texts]
    assert sorted(texts[:3]) == ["1,2", "3", "4"]  # one label per group of coinciding points
    assert "1  zero_shot (generate)" in texts[-1] and " 4  few_shot k=16 (generate)" in texts[-1]
    plt.close("all")


def test_style_rules_chart_has_a_bar_per_rule_and_approach_and_an_interval_on_the_score():
    rules = ("greeting", "sign_off")
    results = pd.DataFrame(
        {
            "greeting": [0.0, 1.0],
            "sign_off": [0.5, 1.0],
            "style_score": [0.25, 1.0],
            "scores": [[0.0, 0.5], [1.0, 1.0]],
        },
        index=["prompt", "LoRA"],
    )
    ax = plot_style_rules(results, rules)
    assert len(ax.patches) == 2 * 3  # 2 approaches x (2 rules + the score)
    assert [tick.get_text() for tick in ax.get_yticklabels()] == ["greeting", "sign_off", "style score"]
    assert sorted(p.get_width() for p in ax.patches) == [0.0, 0.25, 0.5, 1.0, 1.0, 1.0]
    assert "25%" in [text.get_text() for text in ax.texts]  # the score's label, placed beyond its interval
    plt.close(ax.figure)


def test_size_curve_chart_has_a_line_per_pattern_on_a_log_axis():
    table = pd.DataFrame(
        {
            "model": ["tiny", "tiny", "big", "big"],
            "parameters": [10, 10, 1000, 1000],
            "pattern": ["zero-shot", "3-shot"] * 2,
            "n": [2] * 4,
            "accuracy": [0.0, 0.0, 0.5, 1.0],
            "scores": [[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [1.0, 1.0]],
        }
    )
    ax = plot_size_curve(table)
    assert ax.get_xscale() == "log" and [t.get_text() for t in ax.get_legend().get_texts()] == ["zero-shot", "3-shot"]
    assert [list(line.get_ydata()) for line in ax.get_lines()[:1]] == [[0.0, 0.5]]
    assert [text.get_text() for text in ax.texts] == ["tiny", "big"]
    plt.close(ax.figure)


def test_approaches_chart_has_a_bar_per_approach_with_its_interval_and_the_guessing_line():
    results = pd.DataFrame(
        {"accuracy": [0.3, 0.6], "low": [0.2, 0.5], "high": [0.45, 0.7]}, index=["zero-shot", "LoRA"]
    )
    ax = plot_approaches(results, chance=0.25)
    assert [bar.get_width() for bar in ax.patches] == [0.6, 0.3]  # the first approach on top
    assert [t.get_text() for t in ax.get_yticklabels()] == ["LoRA", "zero-shot"]
    assert ax.lines and "guessing (25%)" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(ax.figure)
