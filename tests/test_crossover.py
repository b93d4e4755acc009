"""The learning curve's crossing point (against every prompt that could use as many examples, over runs and examples)
and its chart; its run on a tiny model is in test_verdicts (it feeds the claims)."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from fakes import scores

from helpers.core.errors import CourseError
from helpers.core.plots import plot_crossover
from helpers.experiments.crossover import FINE_TUNE, PROMPT, crossover, crossover_point


def test_crossover_point_is_where_fine_tuning_beats_every_usable_prompt():
    table = pd.DataFrame(
        {
            "method": ["zero-shot", PROMPT, PROMPT] + [FINE_TUNE] * 3,
            "labelled_examples": [0, 5, 20, 10, 50, 200],
            "run_scores": [
                [scores(30)],
                [scores(50)],
                [scores(60)],
                [scores(45)] * 3,
                [scores(55)] * 3,
                [scores(80)] * 3,
            ],
        }
    )
    assert crossover_point(table) == 200  # at 50 examples, the 20-shot prompt (60%) still wins
    table.at[4, "run_scores"] = [scores(75)] * 3
    assert crossover_point(table) == 50
    table.at[4, "run_scores"] = [scores(75), scores(60), scores(50)]  # one seed of three no better than the prompt
    assert crossover_point(table) == 200
    table["run_scores"] = [[scores(90)]] * 3 + [[scores(10)] * 3] * 3
    assert crossover_point(table) is None


def test_fine_tuning_sizes_must_leave_room_for_the_head_to_heads_own(tiny_course):
    with pytest.raises(CourseError, match="from 1 to below n_train=6"):
        crossover(tiny_course("reviews"), sizes=(6,), progress=False)


@pytest.mark.slow
def test_the_curve_builds_on_the_lora_fine_tune_alone(tiny_course):
    """The curve needs the prompts and the LoRA recipe, not the full fine-tune: it can be measured beside it."""
    from helpers.experiments.cache import entry

    settings = tiny_course("reviews", seeds=(0,), draws=(0,))
    table = crossover(settings, sizes=(3,), progress=False).table
    assert (
        not entry("head-to-head-full", settings.key()).exists() and entry("head-to-head-lora", settings.key()).exists()
    )
    tuned = table[table["method"] == FINE_TUNE].set_index("labelled_examples")
    assert list(tuned.index) == [3, 6] and all(len(scores) == 3 for scores in tuned["scores"])


@pytest.mark.slow
def test_a_stopped_curve_resumes_from_its_cached_runs_without_training_again(tiny_course, monkeypatch):
    """Each prompt draw and fine-tune seed of the curve is kept as it is measured: the reference's curve takes hours."""
    import shutil

    import helpers.experiments.crossover as crossover_module
    from helpers.experiments.cache import entry

    settings = tiny_course("reviews", seeds=(0, 1), draws=(0,))
    first = crossover(settings, sizes=(3,), progress=False).table
    shutil.rmtree(entry("crossover", {**settings.key(), "sizes": (3,)}))  # stopped after every run was measured
    monkeypatch.setattr(crossover_module, "train_recipe", lambda *args, **kwargs: pytest.fail("trained again"))
    monkeypatch.setattr(crossover_module, "load_model", lambda *args, **kwargs: pytest.fail("asked again"))
    again = crossover(settings, sizes=(3,), progress=False).table
    assert again["run_scores"].tolist() == first["run_scores"].tolist()


def test_chart_of_the_crossover():
    table = pd.DataFrame(
        {
            "method": ["zero-shot", PROMPT, FINE_TUNE],
            "labelled_examples": [0, 5, 20],
            "accuracy": [0.3, 0.4, 0.6],
            "accuracy_low": [0.2, 0.3, 0.5],
            "accuracy_high": [0.4, 0.5, 0.7],
            "prompt_tokens": [80.0, 400.0, 80.0],
        }
    )
    ax = plot_crossover(table, point=20)
    assert ax.get_xscale() == "symlog" and "labelled examples" in ax.get_xlabel()
    plt.close("all")
