"""Charts the notebooks share: next-token probabilities, loss curves (also live), compute on a log scale."""
import io

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure


def plot_next_tokens(table, title: str = "Next-token probabilities", ax=None):
    """Horizontal bars, most probable token on top, from a `helpers.tokens.top_tokens` table."""
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.35 * len(table) + 1.2))
    ax.barh(table["token"][::-1], table["probability"][::-1], color="#4c78a8")
    for y, p in enumerate(table["probability"][::-1]):
        ax.text(p + 0.01, y, f"{p:.2f}", va="center", fontsize=8)
    ax.set_xlim(0, 1.1)
    ax.set_xlabel("probability of being the next token")
    ax.set_ylabel("token (quoted: a leading space is part of it)")
    ax.set_title(title)
    return ax


def figure_png(figure: Figure, dpi: int = 80) -> bytes:
    """A figure as PNG bytes (for an ipywidgets Image)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def plot_loss(losses, title: str = "Training loss", ax=None, smooth: int = 20):
    """Loss per step (faint) and its running mean over `smooth` steps."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    steps = np.arange(1, len(losses) + 1)
    ax.plot(steps, losses, color="#4c78a8", alpha=0.3, label="loss at each step")
    if len(losses) >= smooth:
        mean = np.convolve(losses, np.ones(smooth) / smooth, mode="valid")
        ax.plot(steps[smooth - 1:], mean, color="#4c78a8", label=f"mean of the last {smooth} steps")
    ax.set_xlabel("training step")
    ax.set_ylabel("cross-entropy loss (nats per token)")
    ax.set_title(title)
    ax.legend()
    return ax


class LiveLossPlot:
    """A loss chart that redraws in place while training runs: pass `live.update` as the callback.

    Outside a notebook (tests, scripts) it only draws, it displays nothing.
    """

    def __init__(self, title: str = "Training loss (live)"):
        self.title = title
        self.figure = Figure(figsize=(7, 3.5))  # not managed by pyplot: shown only through the handle
        self.handle = None

    def update(self, run):
        self.figure.clear()
        plot_loss(run.losses, title=f"{self.title}: step {run.steps}", ax=self.figure.add_subplot())
        try:
            from IPython import get_ipython
            from IPython.display import display
        except ImportError:
            return
        if get_ipython() is None:
            return
        if self.handle is None:
            self.handle = display(self.figure, display_id=True)
        else:
            self.handle.update(self.figure)


def plot_compute(table, title: str = "Pre-training compute, on a log scale"):
    """Grouped bars (log scale) of parameters, training tokens and FLOPs, one colour per model."""
    quantities = list(table.columns)
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.8 / len(table)
    for i, (name, row) in enumerate(table.iterrows()):
        positions = np.arange(len(quantities)) + i * width
        ax.bar(positions, row[quantities].astype(float), width, label=name)
        for x, value in zip(positions, row[quantities]):
            ax.text(x, value * 1.5, f"{value:.1e}", ha="center", fontsize=8)
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(quantities)) + width * (len(table) - 1) / 2, quantities)
    ax.set_ylabel("count (log scale: each gridline is 10x)")
    ax.set_title(title)
    ax.legend()
    return ax
