"""The fine-tuning panel without a browser (tiny random model), and the charts it and notebook 04 draw."""

import builtins
import signal
import time

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from helpers.core.errors import CourseError
from helpers.core.plots import plot_confusion, plot_learning_curve, plot_loss_curves
from helpers.finetuning.finetune_widget import FineTuneApp
from helpers.finetuning.training import LORA_LEARNING_RATE
from helpers.llm.models import tiny_random_model
from helpers.prompting.data import REVIEW_LABELS, balanced_sample, load_reviews

PNG = b"\x89PNG"


@pytest.fixture
def app(tokenizer):
    train_df = balanced_sample(load_reviews("train"), 30)
    test_df = balanced_sample(load_reviews("test"), 5)
    app = FineTuneApp(
        lambda: (tiny_random_model(tokenizer), tokenizer), train_df, test_df, train_examples=25, steps=3, batch_size=2
    )
    app.rank.value, app.alpha.value, app.target_modules.value = 4, 8, ("q_proj", "v_proj")
    return app


def test_settings_and_epochs(app):
    assert app.settings() == {
        "learning_rate": pytest.approx(LORA_LEARNING_RATE),
        "rank": 4,
        "alpha": 8,
        "target_modules": ("q_proj", "v_proj"),
        "steps": 3,
        "batch_size": 2,
        "train_examples": 25,
    }
    assert list(app.train_examples.options) == [25, 30]
    app.steps.value = 25
    assert "<b>2.0</b> times" in app.epochs.value  # 25 steps x 2 examples / 25 examples


def test_run_trains_evaluates_and_draws(app):
    shown_when_done = []  # a reader (the browser test, a learner) takes "Done." to mean every result is on screen
    app.status.observe(
        lambda change: (
            shown_when_done.append((app.score.value, bytes(app.confusion_chart.value)))
            if "Done." in change["new"]
            else None
        ),
        names="value",
    )
    app.run(background=False)
    assert (
        len(shown_when_done) == 1 and "Test accuracy" in shown_when_done[0][0] and shown_when_done[0][1].startswith(PNG)
    )
    assert app.progress.value == 3 and len(app.result.losses) == 3 and not app.result.interrupted
    assert "Trained 3 steps" in app.status.value and "Done" in app.status.value
    assert "Test accuracy" in app.score.value and len(app.details) == 5
    assert bytes(app.loss_chart.value).startswith(PNG) and bytes(app.confusion_chart.value).startswith(PNG)
    assert not app.run_button.disabled and app.stop_button.disabled


def test_stop_keeps_what_was_trained(app):
    app.steps.value = 1000
    app.run_button.click()  # trains in a background thread
    deadline = time.time() + 300
    while app.progress.value < 1 and time.time() < deadline:
        time.sleep(0.05)
    app.run()  # a second run while one is going is refused
    assert "Already training" in app.status.value
    app.stop_button.click()
    app.thread.join(timeout=300)
    assert app.result.interrupted and 1 <= len(app.result.losses) < 1000
    assert "Stopped after" in app.status.value and "Test accuracy" in app.score.value
    assert not app.run_button.disabled


def test_the_kernels_stop_button_stops_the_training_thread(app, monkeypatch):
    # ipykernel ignores SIGINT while idle and restores kernel.saved_sigint_handler after each message:
    # the panel puts its own handler there, so the notebook's stop button reaches the training thread.
    kernel = type("Kernel", (), {"saved_sigint_handler": signal.SIG_IGN})()
    monkeypatch.setitem(builtins.__dict__, "get_ipython", lambda: type("Shell", (), {"kernel": kernel})())
    app.steps.value = 1000
    app.run_button.click()
    deadline = time.time() + 300
    while app.progress.value < 1 and time.time() < deadline:
        time.sleep(0.05)
    kernel.saved_sigint_handler(signal.SIGINT, None)  # what ■ does once ipykernel has restored the handler
    app.thread.join(timeout=300)
    assert app.result.interrupted and 1 <= len(app.result.losses) < 1000 and "Stopped after" in app.status.value
    finished = app.status.value
    kernel.saved_sigint_handler(signal.SIGINT, None)  # when nothing trains, ■ changes nothing
    assert app.status.value == finished


def test_a_bad_setting_shows_a_message_and_the_panel_keeps_working(app):
    app.target_modules.value = ()
    app.run(background=False)
    assert "⚠️" in app.status.value and "target_modules" in app.status.value
    assert not app.run_button.disabled and app.stop_button.disabled


def test_empty_data_is_refused(tokenizer):
    with pytest.raises(CourseError, match="non-empty"):
        FineTuneApp(lambda: None, pd.DataFrame(columns=["text", "label"]), load_reviews("test"))


def test_confusion_matrix_counts_and_unreadable_answers():
    details = pd.DataFrame({"expected": ["neutral", "neutral", "positive"], "prediction": ["neutral", None, "neutral"]})
    ax = plot_confusion(details, list(REVIEW_LABELS))
    counts = ax.images[0].get_array()
    assert counts.shape == (5, 6)  # five labels, plus a column for unreadable answers
    assert counts[2, 2] == 1 and counts[2, 5] == 1 and counts[3, 2] == 1 and counts.sum() == 3
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "(unreadable)"
    plt.close("all")


def test_loss_curves_and_learning_curve():
    ax = plot_loss_curves({"LoRA": [3, 2, 1, 0.5], "full": [3, 2.5, 2]}, smooth=2)
    assert len(ax.lines) == 4 and [t.get_text() for t in ax.get_legend().get_texts()][0].startswith("LoRA")
    curve = pd.DataFrame({"train_examples": [25, 50, 100], "accuracy": [0.3, 0.5, 0.7]})
    ax = plot_learning_curve(curve, {"zero-shot prompt": 0.25})
    assert len(ax.lines) == 2 and ax.get_xscale() == "log" and "training examples" in ax.get_xlabel()
    plt.close("all")
