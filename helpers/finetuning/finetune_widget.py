"""The fine-tuning control panel of notebook 04: pick hyperparameters, press Run, watch the loss fall.

    app = FineTuneApp(load_base, train_df, test_df)   # load_base() -> (model, tokenizer), a fresh base model
    app                                                # in a notebook: shows the panel

Run trains a LoRA adapter on the reviews in a background thread, so the panel
stays responsive: the progress bar and the loss chart update after every step,
and Stop (or the notebook's own stop button ■) ends training after the current
step, keeping what was learnt and the loss history (`app.result`). Then the test reviews are answered with the same
evaluation as every prompt (`helpers.prompting.evaluation.evaluate`): accuracy and a
confusion matrix appear below.

Every part is an attribute (`app.learning_rate`, `app.run_button`, `app.status`, ...),
so tests set values, call `app.run(background=False)` and read the results.
"""

import gc
import html
import signal
import threading

import ipywidgets as widgets
from matplotlib.figure import Figure

from ..core.errors import CourseError
from ..core.plots import figure_png, plot_confusion, plot_loss
from ..prompting.data import REVIEW_LABELS, balanced_sample
from ..prompting.evaluation import evaluate
from ..prompting.prompts import zero_shot_reviews
from ..prompting.tasks import REVIEWS
from .training import LINEAR_MODULES, LORA_LEARNING_RATE, LORA_RANK, add_lora, steps_for_epochs, task_examples, train

TRAIN_SIZES = (25, 50, 100, 200, 500, 1000, 2000)
STYLE = {"description_width": "150px"}


def _controls(n_train: int, train_examples: int, steps: int, batch_size: int):
    sizes = [n for n in TRAIN_SIZES if n < n_train] + [n_train]
    train_examples = max([n for n in sizes if n <= train_examples], default=sizes[0])
    return dict(
        learning_rate=widgets.FloatLogSlider(
            value=LORA_LEARNING_RATE,  # the reference run's choice (training.py)
            base=10,
            min=-5,
            max=-2,
            step=0.25,
            readout_format=".1e",
            description="learning rate",
            style=STYLE,
        ),
        rank=widgets.Dropdown(
            options=[1, 2, 4, 8, 16, 32, 64], value=LORA_RANK, description="LoRA rank r", style=STYLE
        ),
        alpha=widgets.Dropdown(
            options=[1, 2, 4, 8, 16, 32, 64, 128], value=2 * LORA_RANK, description="LoRA alpha", style=STYLE
        ),
        target_modules=widgets.SelectMultiple(
            options=LINEAR_MODULES, value=LINEAR_MODULES, rows=7, description="target modules", style=STYLE
        ),
        steps=widgets.IntSlider(value=steps, min=1, max=1000, description="steps", style=STYLE),
        batch_size=widgets.Dropdown(options=[1, 2, 4, 8, 16], value=batch_size, description="batch size", style=STYLE),
        train_examples=widgets.Dropdown(
            options=sizes, value=train_examples, description="training examples", style=STYLE
        ),
    )


class FineTuneApp(widgets.VBox):
    """Hyperparameters in; a LoRA adapter, its live loss curve, test accuracy and confusion matrix out."""

    def __init__(
        self,
        load_base,
        train_df,
        test_df,
        train_examples: int = 200,
        steps: int = 50,
        batch_size: int = 4,
        checkpointing: bool = False,
        seed: int = 0,
    ):
        if len(train_df) == 0 or len(test_df) == 0:
            raise CourseError("FineTuneApp needs training and test reviews: pass two non-empty DataFrames.")
        self.load_base, self.train_df, self.test_df = load_base, train_df, test_df
        self.checkpointing, self.seed = checkpointing, seed
        self.result = self.model = self.details = self.thread = None
        self._stop = threading.Event()
        for name, control in _controls(len(train_df), train_examples, steps, batch_size).items():
            setattr(self, name, control)
        self.epochs = widgets.HTML()
        self.run_button = widgets.Button(description="Run", button_style="primary", icon="play")
        self.stop_button = widgets.Button(description="Stop", icon="stop", disabled=True)
        self.progress = widgets.IntProgress(value=0, min=0, max=steps, description="step")
        self.status = widgets.HTML("Choose the settings and press Run.")
        self.loss_chart = widgets.Image(format="png")
        self.score = widgets.HTML()
        self.confusion_chart = widgets.Image(format="png")
        for control in (self.steps, self.batch_size, self.train_examples):
            control.observe(self._show_epochs, names="value")
        self.run_button.on_click(lambda _: self.run())
        self.stop_button.on_click(lambda _: self.stop())
        self._show_epochs()
        settings = widgets.VBox(
            [
                self.learning_rate,
                self.rank,
                self.alpha,
                self.target_modules,
                self.train_examples,
                self.batch_size,
                self.steps,
                self.epochs,
            ]
        )
        buttons = widgets.HBox([self.run_button, self.stop_button, self.progress])
        charts = widgets.HBox([self.loss_chart, self.confusion_chart])
        super().__init__([settings, buttons, self.status, self.score, charts])

    def settings(self) -> dict:
        """The chosen hyperparameters, as `add_lora` and `train` take them."""
        return {
            "learning_rate": self.learning_rate.value,
            "rank": self.rank.value,
            "alpha": self.alpha.value,
            "target_modules": tuple(self.target_modules.value),
            "steps": self.steps.value,
            "batch_size": self.batch_size.value,
            "train_examples": self.train_examples.value,
        }

    def _show_epochs(self, change=None):
        epochs = self.steps.value * self.batch_size.value / self.train_examples.value
        self.epochs.value = (
            f"= each training example seen about <b>{epochs:.1f}</b> times "
            f"(1 epoch = {steps_for_epochs(self.train_examples.value, self.batch_size.value, 1)} steps)"
        )

    def run(self, background: bool = True):
        """Train and evaluate with the current settings: in a thread (the Run button), or here and now."""
        if self.thread is not None and self.thread.is_alive():
            self.status.value = "Already training: press Stop first."
            return
        self._stop.clear()
        self.run_button.disabled, self.stop_button.disabled = True, False
        if background:
            self._stop_on_kernel_interrupt()
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()
        else:
            self._run()

    def _stop_on_kernel_interrupt(self):
        """Let the notebook's stop button (■, a SIGINT to the kernel) stop the training thread too.

        Training runs in a thread, so the kernel is idle meanwhile, and ipykernel ignores SIGINT while idle:
        it restores `kernel.saved_sigint_handler` after each message. Setting that to our handler makes ■
        call `stop()` while the panel trains (and do nothing otherwise, as before).
        """

        def on_interrupt(signum, frame):
            if self.thread is not None and self.thread.is_alive():
                self.stop()

        try:
            kernel = get_ipython().kernel  # noqa: F821  (defined inside IPython only)
        except (NameError, AttributeError):
            kernel = None
        if kernel is not None and hasattr(kernel, "saved_sigint_handler"):
            kernel.saved_sigint_handler = on_interrupt
        elif threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, on_interrupt)

    def stop(self):
        """End training after the current step; what was learnt so far is kept and evaluated."""
        self._stop.set()
        self.status.value = "Stopping after this step..."

    def _run(self):
        try:
            self._train_and_evaluate(**self.settings())
        except CourseError as error:
            self.status.value = f"<span style='color:#b00'>⚠️ {html.escape(str(error))}</span>"
        except Exception as error:  # a thread's error would otherwise vanish silently
            self.status.value = f"<span style='color:#b00'>⚠️ {type(error).__name__}: {html.escape(str(error))}</span>"
            raise
        finally:
            self.run_button.disabled, self.stop_button.disabled = False, True

    def _train_and_evaluate(self, learning_rate, rank, alpha, target_modules, steps, batch_size, train_examples):
        self.result = self.model = self.details = None
        self.score.value, self.confusion_chart.value = "", b""
        gc.collect()  # let the previous run's model go before loading a fresh one
        self.status.value = "Loading a fresh base model..."
        model, tokenizer = self.load_base()
        model = add_lora(model, rank=rank, alpha=alpha, target_modules=target_modules)
        data = balanced_sample(self.train_df, train_examples, seed=self.seed)
        examples = task_examples(tokenizer, data, REVIEWS)
        self.progress.max, self.progress.value = steps, 0
        losses = []

        def on_step(step, loss):
            losses.append(loss)
            self.progress.value = step
            self.status.value = f"Training: step {step} of {steps}, loss {loss:.3f}"
            self.loss_chart.value = self._loss_png(losses, steps)

        self.status.value = "Training..."
        self.result = train(
            model,
            tokenizer,
            examples,
            steps=steps,
            batch_size=batch_size,
            learning_rate=learning_rate,
            checkpointing=self.checkpointing,
            seed=self.seed,
            progress=False,
            on_step=on_step,
            should_stop=self._stop.is_set,
        )
        self.model = self.result.model
        done = len(self.result.losses)
        stopped = f"Stopped after {done} of {steps} steps" if self.result.interrupted else f"Trained {done} steps"
        self.status.value = f"{stopped}; answering {len(self.test_df)} test reviews..."
        summary, self.details = evaluate(self.model, tokenizer, zero_shot_reviews, self.test_df, REVIEWS)
        accuracy = summary["accuracy"].iloc[0]
        self.score.value = (
            f"<b>Test accuracy: {accuracy:.0%}</b> on {len(self.test_df)} reviews "
            f"(chance: {1 / len(REVIEW_LABELS):.0%}); final training loss {self.result.losses[-1]:.3f}"
            if done
            else "<b>No step was trained.</b>"
        )
        self.confusion_chart.value = self._confusion_png()
        self.status.value = f"{stopped} ({self.result.seconds_per_step:.1f} s per step). Done."  # last: all is shown

    def _loss_png(self, losses, steps) -> bytes:
        figure = Figure(figsize=(5, 3.2))
        ax = figure.add_subplot()
        plot_loss(losses, title="Training loss (live)", ax=ax, smooth=max(2, min(20, steps // 10)))
        ax.set_xlim(0, steps + 1)
        return figure_png(figure)

    def _confusion_png(self) -> bytes:
        figure = Figure(figsize=(5, 4))
        plot_confusion(
            self.details, list(REVIEW_LABELS), title="Test reviews: true vs predicted", ax=figure.add_subplot()
        )
        return figure_png(figure)
