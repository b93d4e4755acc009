"""Charts the notebooks share: next-token probabilities, loss curves (also live), compute on a log scale,
and the prompt-pattern charts of notebook 02 (scores, ticket fields, the plateau, cost, spread)."""

import io

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .statistics import accuracy_interval


def plot_next_tokens(table, title: str = "Next-token probabilities", ax=None):
    """Horizontal bars, most probable token on top, from a `helpers.llm.tokens.top_tokens` table."""
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
        ax.plot(steps[smooth - 1 :], mean, color="#4c78a8", label=f"mean of the last {smooth} steps")
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
    ax.set_ylabel("count (log scale)")
    ax.set_title(title)
    ax.legend()
    return ax


def _pattern_labels(results):
    return [f"{row.pattern} ({row.method})" for row in results.itertuples()]


def plot_pattern_scores(results, title: str = "Accuracy of each prompt pattern", chance: float | None = None, ax=None):
    """Horizontal bars of accuracy, one per row of an `evaluate` results table (best on top)."""
    results = results.sort_values("accuracy", kind="stable")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * len(results) + 1.4))
    ax.barh(_pattern_labels(results), results["accuracy"], color="#4c78a8")
    for y, value in enumerate(results["accuracy"]):
        ax.text(value + 0.01, y, f"{value:.0%}", va="center", fontsize=8)
    if chance is not None:
        ax.axvline(chance, color="grey", linestyle="--", label=f"chance ({chance:.0%})")
        ax.legend(loc="lower right")
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("accuracy on the test examples (share correct)")
    ax.set_ylabel("pattern (how the answer is read)")
    ax.set_title(title)
    return ax


def plot_approaches(results, title: str = "Your task: accuracy of each approach", chance: float | None = None):
    """Horizontal bars of accuracy with their 95% intervals, one per approach (`helpers.experiments.decide`'s
    results)."""
    _, ax = plt.subplots(figsize=(7, 0.4 * len(results) + 1.4))
    names = list(results.index)[::-1]
    rows = results.loc[names]
    ax.barh(
        names,
        rows["accuracy"],
        color="#4c78a8",
        xerr=[rows["accuracy"] - rows["low"], rows["high"] - rows["accuracy"]],
        capsize=3,
    )
    for y, value in enumerate(rows["accuracy"]):
        ax.text(min(value + 0.02, 0.95), y + 0.25, f"{value:.0%}", fontsize=8)
    if chance is not None:
        ax.axvline(chance, color="grey", linestyle="--", label=f"guessing ({chance:.0%})")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlim(0, 1.05)
    ax.set_xlabel("accuracy on the test rows, with its 95% interval")
    ax.set_title(title)
    return ax


def plot_field_accuracy(results, title: str = "Ticket extraction: accuracy of each field"):
    """Grouped bars: for each pattern, the accuracy of every ticket field and the JSON-valid rate."""
    columns = ["json_valid_rate", "product_accuracy", "issue_type_accuracy", "urgency_accuracy", "order_id_accuracy"]
    table = results[columns].set_axis(_pattern_labels(results))
    ax = table.plot.bar(figsize=(8, 4), width=0.8, rot=20)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("pattern (how the answer is read)")
    ax.set_ylabel("share of tickets")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    return ax


def plot_plateau(curve, title: str = "Accuracy vs number of examples in the prompt"):
    """Accuracy (left axis) and prompt tokens (right axis) against k, from a table with columns k, accuracy,
    prompt_tokens."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    for method, rows in curve.groupby("method", sort=False):
        ax.plot(rows["k"], rows["accuracy"], marker="o", label=f"accuracy ({method})")
    ax.set_xlabel("k, solved examples shown in the prompt")
    ax.set_ylabel("accuracy (share correct)")
    ax.set_ylim(0, 1)
    tokens = ax.twinx()
    per_k = curve.groupby("k")["prompt_tokens"].mean()
    tokens.plot(per_k.index, per_k.values, color="grey", linestyle=":", marker=".", label="prompt tokens")
    tokens.set_ylabel("prompt tokens per request (dotted)")
    ax.legend(loc="upper left")
    ax.set_title(title)
    return ax


def plot_accuracy_vs_tokens(results, title: str = "What accuracy costs: accuracy vs prompt tokens"):
    """Prompt tokens per request (log scale) against accuracy, one numbered point per row of a results table.

    The key beside the chart names each number. Points that (nearly) coincide share
    one label, e.g. "2,5,9"; labels alternate above and below, so they do not print over each other.
    """
    tokens, accuracy = results["prompt_tokens"].to_numpy(float), results["accuracy"].to_numpy(float)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ax.scatter(tokens, accuracy, color="#4c78a8")
    below = {}  # neighbours at the same height take turns above and below their point
    for members in near_groups(tokens, accuracy):
        x, y = tokens[members[0]], accuracy[members[0]]
        height = round(y, 2)
        ax.annotate(
            ",".join(str(i + 1) for i in members),
            (x, y),
            textcoords="offset points",
            xytext=(4, -11 if below.get(height) else 4),
            fontsize=8,
        )
        below[height] = not below.get(height)
    key = "\n".join(f"{i + 1:>2}  {label}" for i, label in enumerate(_pattern_labels(results)))
    ax.text(1.03, 1.0, key, transform=ax.transAxes, va="top", fontsize=7, family="monospace")
    ax.set_xscale("log")
    ax.set_xlabel("prompt tokens per request (log scale; self-consistency counts every sample)")
    ax.set_ylabel("accuracy (share correct)")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    return ax


def near_groups(tokens, accuracy, log_gap: float = 0.06, accuracy_gap: float = 0.04) -> list[list[int]]:
    """Indices of points close enough on the chart to share a label (within a gap on both axes)."""
    groups = []
    for i in sorted(range(len(tokens)), key=lambda i: (tokens[i], accuracy[i])):
        home = next(
            (
                g
                for g in groups
                if abs(np.log10(tokens[i] / tokens[g[0]])) < log_gap
                and abs(accuracy[i] - accuracy[g[0]]) < accuracy_gap
            ),
            None,
        )
        if home is None:
            groups.append([i])
        else:
            home.append(i)
    return [sorted(group) for group in groups]


def plot_spread(summaries, column: str = "variant", title: str = "Accuracy spread", ax=None):
    """Accuracy of each variant (a wording, a seed) as dots, with their mean and range."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3))
    for y, (group, rows) in enumerate(summaries.groupby("group", sort=False)):
        ax.scatter(rows["accuracy"], [y] * len(rows), color="#4c78a8", zorder=3)
        low, high = rows["accuracy"].min(), rows["accuracy"].max()
        ax.hlines(y, low, high, color="#4c78a8", alpha=0.4, linewidth=6)
        ax.text(high + 0.02, y, f"range {low:.0%}–{high:.0%}", va="center", fontsize=8)
    ax.set_yticks(range(summaries["group"].nunique()), list(dict.fromkeys(summaries["group"])))
    ax.set_xlim(0, 1.1)
    ax.set_xlabel("accuracy (share correct); each dot is one variant")
    ax.set_title(title)
    return ax


def plot_head_to_head(results, title: str = "Head-to-head on the same test examples", ceiling: float | None = None):
    """Four panels, one bar per approach: accuracy (with its 95% interval over examples and runs, each run's own
    accuracy as a dot, and `ceiling`, the human agreement, as a line), consistency, seconds per request, dollars per
    1,000 requests.

    `results` is `helpers.experiments.comparison.with_dollars(...)`: one row per approach.
    """
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.8))
    names = list(results.index)
    colours = [f"C{i}" for i in range(len(names))]
    panels = [
        ("accuracy", "accuracy (share correct)"),
        (None, "same answer (share of examples' variants)"),
        ("latency_s", "seconds per request (this machine)"),
        ("dollars_per_1000_requests", "$ per 1,000 requests"),
    ]
    x = np.arange(len(names))
    for ax, (column, label) in zip(axes, panels):
        if column is None:  # consistency: two bars per approach (an approach without a measure shows none)
            ax.bar(x - 0.2, results["paraphrase_agreement"].fillna(0), 0.4, color=colours, label="over wordings")
            ax.bar(
                x + 0.2,
                results["seed_agreement"].fillna(0),
                0.4,
                color=colours,
                alpha=0.5,
                hatch="//",
                label="over sampling seeds",
            )
            ax.set_ylim(0, 1.05)
            ax.legend(fontsize=8, loc="lower right")
            ax.set_title("consistency")
        else:
            ax.bar(x, results[column], color=colours)
            ax.set_title(column.replace("_", " "))
            if column == "accuracy":
                ax.set_ylim(0, 1.05)
                if {"accuracy_low", "accuracy_high"} <= set(results.columns):
                    ax.errorbar(
                        x,
                        results["accuracy"],
                        fmt="none",
                        ecolor="black",
                        capsize=3,
                        yerr=[
                            results["accuracy"] - results["accuracy_low"],
                            results["accuracy_high"] - results["accuracy"],
                        ],
                    )
                if "run_scores" in results:
                    for i, runs in enumerate(results["run_scores"]):
                        if len(runs) > 1:
                            ax.scatter([i] * len(runs), [np.mean(run) for run in runs], color="black", s=8, zorder=3)
                if ceiling is not None:
                    ax.axhline(ceiling, color="green", linestyle="-.", linewidth=1, label="one rater vs the others")
                    ax.legend(fontsize=7, loc="upper left")
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
        ax.set_ylabel(label, fontsize=8)
    fig.suptitle(title)
    fig.tight_layout()
    return axes


def plot_recipe_search(search, title: str = "Choosing each fine-tune's recipe on validation"):
    """Validation accuracy after every pass, one line per (kind, learning rate): what `tuning.choose_recipe` saw."""
    kinds = list(dict.fromkeys(search["kind"]))
    fig, axes = plt.subplots(1, len(kinds), figsize=(5 * len(kinds), 3.4), sharey=True, squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        rows = search[search["kind"] == kind]
        for rate, runs in rows.groupby("learning_rate"):
            ax.plot(runs["passes"], runs["validation_accuracy"], marker="o", label=f"learning rate {rate:g}")
        best = rows.loc[rows["validation_accuracy"].idxmax()]
        ax.scatter(
            [best["passes"]],
            [best["validation_accuracy"]],
            s=120,
            facecolors="none",
            edgecolors="black",
            label="chosen",
        )
        ax.set_xticks(sorted(rows["passes"].unique()))
        ax.set_xlabel("passes over the training examples")
        ax.set_title({"lora": "LoRA", "full": "full fine-tune"}.get(kind, kind))
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel("validation accuracy")
    fig.suptitle(title)
    fig.tight_layout()
    return axes[0]


def plot_shortcut(table, title: str = "With and without the cue"):
    """Grouped bars from `findings.shortcut_table`: each approach's accuracy on the examples with the cue and without,
    with 95% intervals."""
    subsets = list(dict.fromkeys(table["subset"]))
    approaches = list(dict.fromkeys(table["approach"]))
    fig, ax = plt.subplots(figsize=(9, 3.6))
    x = np.arange(len(approaches))
    for i, subset in enumerate(subsets):
        rows = table[table["subset"] == subset].set_index("approach").loc[approaches]
        ax.bar(
            x + (i - 0.5) * 0.4,
            rows["accuracy"],
            0.4,
            label=f"{subset} (n={rows['n'].iloc[0]})",
            yerr=[rows["accuracy"] - rows["low"], rows["high"] - rows["accuracy"]],
            capsize=3,
            alpha=1 - 0.4 * i,
        )
    ax.set_xticks(x, approaches, rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("accuracy (95% interval)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_crossover(
    table,
    point=None,
    title: str = "Where fine-tuning overtakes prompting",
    chance: float | None = None,
    ceiling: float | None = None,
):
    """Accuracy against labelled examples used, in the prompt, as fine-tuning data and (if measured) by the classical
    baseline, on one chart; zero-shot sits at 0.

    `table` is `helpers.experiments.crossover.crossover(...)` (its `accuracy_low` and `accuracy_high` give each point
    its 95%
    interval over runs and examples); `point` the crossover (or None); each prompt point is labelled with its prompt
    tokens per request; `ceiling` draws the human agreement, `chance` guessing.
    """
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for (method, rows), marker in zip(table.groupby("method", sort=True), "os^Dv"):
        rows = rows.sort_values("labelled_examples")
        (line,) = ax.plot(rows["labelled_examples"], rows["accuracy"], marker=marker, label=method)
        if {"accuracy_low", "accuracy_high"} <= set(rows.columns):
            ax.errorbar(
                rows["labelled_examples"],
                rows["accuracy"],
                fmt="none",
                ecolor=line.get_color(),
                alpha=0.5,
                yerr=[rows["accuracy"] - rows["accuracy_low"], rows["accuracy_high"] - rows["accuracy"]],
                capsize=3,
            )
        if method == "best prompt":
            for x, y, tokens in zip(rows["labelled_examples"], rows["accuracy"], rows["prompt_tokens"]):
                ax.annotate(f"{tokens:.0f} tok", (x, y), textcoords="offset points", xytext=(4, 6), fontsize=7)
    if point is not None:
        ax.axvline(point, color="grey", linestyle="--", label=f"fine-tuning ahead from {point} examples")
    if chance is not None:
        ax.axhline(chance, color="black", linestyle=":", linewidth=1, label=f"chance ({chance:.0%})")
    if ceiling is not None:
        ax.axhline(
            ceiling, color="green", linestyle="-.", linewidth=1, label=f"one rater vs the others ({ceiling:.0%})"
        )
    ax.set_xscale("symlog", linthresh=1)
    largest = table["labelled_examples"].max()
    ax.set_xlim(-0.3, largest * 1.6)  # no negative counts; room for the largest point's marker
    ticks = [n for n in (0, 1, 4, 16, 64, 256, 1024, 4096) if n <= largest * 1.6]
    ax.set_xticks(ticks, [str(n) for n in ticks])
    ax.set_xlabel("labelled examples used (log scale; 0 = zero-shot)")
    ax.set_ylabel("accuracy on the test examples (bars: 95% interval)")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_versatility(table, title: str = "Swiss army knife vs scalpel"):
    """Grouped bars: for each model (rows), its accuracy on every measured task (columns ending in _accuracy)."""
    columns = [c for c in table.columns if c.endswith("_accuracy")]
    ax = table[columns].rename(columns=lambda c: c.removesuffix("_accuracy")).T.plot.bar(figsize=(7, 3.8), rot=0)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("what the model is asked to do")
    ax.set_ylabel("accuracy (share correct)")
    ax.set_title(title)
    return ax


def plot_iteration(table, title: str = "Prompt, fine-tune, then prompt the fine-tuned model"):
    """Horizontal bars of accuracy, one per row of `helpers.experiments.variations.iteration(...).table`, in order,
    top to bottom."""
    labels = [
        f"{r.step}: {r.model}, {r.variation}" + (f", {r.shots} examples" if r.shots else "") for r in table.itertuples()
    ]
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(table) + 1.4))
    y = np.arange(len(table))[::-1]
    ax.barh(y, table["accuracy"], color=["C0" if m == "base" else "C1" for m in table["model"]])
    ax.barh(y, table["follows_format"], fill=False, edgecolor="grey", linestyle=":")
    for yy, value in zip(y, table["accuracy"]):
        ax.text(value + 0.01, yy, f"{value:.0%}", va="center", fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 1.1)
    ax.set_xlabel("accuracy (bars); dotted outline: share of answers in the requested format")
    ax.set_title(title)
    return ax


def plot_loss_curves(curves: dict, title: str = "Training loss", smooth: int = 10, ax=None):
    """Several runs on one chart (name -> losses per step): each step faint, its running mean solid."""
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.5))
    for color, (name, losses) in zip(("C0", "C1", "C2", "C3"), curves.items()):
        steps = np.arange(1, len(losses) + 1)
        ax.plot(steps, losses, color=color, alpha=0.25)
        window = max(1, min(smooth, len(losses)))
        mean = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax.plot(steps[window - 1 :], mean, color=color, label=f"{name} (mean of {window} steps)")
    ax.set_xlabel("training step")
    ax.set_ylabel("cross-entropy loss on the answer tokens (nats per token)")
    ax.set_title(title)
    ax.legend()
    return ax


def plot_confusion(details, labels, title: str = "Confusion matrix", ax=None):
    """Counts of (true label, predicted label) from an `evaluate` details table; unreadable answers get a column."""
    predicted = ["(unreadable)" if p is None or p != p else p for p in details["prediction"]]  # p != p: NaN
    columns = list(labels) + (["(unreadable)"] if "(unreadable)" in predicted else [])
    counts = np.zeros((len(labels), len(columns)), dtype=int)
    for true, guess in zip(details["expected"], predicted):
        counts[list(labels).index(true), columns.index(guess)] += 1
    if ax is None:
        _, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.imshow(counts, cmap="Blues")
    for (row, column), n in np.ndenumerate(counts):
        ax.text(column, row, n, ha="center", va="center", color="white" if n > counts.max() / 2 else "black")
    ax.set_xticks(range(len(columns)), columns, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    ax.set_title(title)
    return ax


def plot_learning_curve(
    curve,
    baselines: dict | None = None,
    title: str = "How much data does fine-tuning need?",
    ylabel: str = "accuracy on the test reviews",
):
    """Test accuracy against the number of training examples (log scale), with flat lines for baselines; a `TF-IDF`
    column (the classical classifier on the same examples) is drawn as a second curve."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.plot(curve["train_examples"], curve["accuracy"], marker="o", color="C1", label="LoRA fine-tune")
    if "TF-IDF" in curve:
        ax.plot(curve["train_examples"], curve["TF-IDF"], marker="s", color="C4", label="TF-IDF, same examples")
    for (name, accuracy), color in zip((baselines or {}).items(), ("grey", "C0", "C2")):
        ax.axhline(accuracy, color=color, linestyle="--", label=name)
    ax.set_xscale("log")
    ax.set_xticks(list(curve["train_examples"]), [str(n) for n in curve["train_examples"]])
    ax.minorticks_off()  # only the measured sizes are labelled (a log axis would add e.g. "3x10^1")
    ax.set_xlabel("labelled training examples (log scale)")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_style_rules(results, rules, title: str = "Which house-style rules each approach meets"):
    """Grouped horizontal bars: for each rule, the share of replies that meet it, one bar per approach;
    the last group is the style score (the mean over rules) with its 95% interval."""
    fig, ax = plt.subplots(figsize=(8, 0.55 * (len(rules) + 1) * max(1, len(results) / 3) + 1))
    rows = list(rules) + ["style score"]
    height = 0.8 / len(results)
    for i, (approach, row) in enumerate(results.iterrows()):
        y = np.arange(len(rows)) + i * height
        values = [row[rule] for rule in rules] + [row["style_score"]]
        bars = ax.barh(y, values, height, color=f"C{i}", label=approach)
        _, low, high = accuracy_interval(row["scores"])
        ax.errorbar(values[-1], y[-1], xerr=[[values[-1] - low], [high - values[-1]]], color="black", capsize=3)
        ax.bar_label(bars, [f"{value:.0%}" for value in values[:-1]] + [""], fontsize=7, padding=2)
        ax.text(high + 0.01, y[-1], f"{values[-1]:.0%}", va="center", fontsize=7)  # beyond its interval's whisker
    ax.set_yticks(np.arange(len(rows)) + 0.4 - height / 2, rows)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xlabel(f"share of replies meeting the rule ({len(results['scores'].iloc[0])} replies each)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    fig.tight_layout()
    return ax


def plot_size_curve(table, title: str = "Accuracy on the probe against model size"):
    """One line per prompt pattern: accuracy (with its 95% interval) against parameters, on a log scale."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for i, (pattern, rows) in enumerate(table.groupby("pattern", sort=False)):
        intervals = np.array([accuracy_interval(scores)[1:] for scores in rows["scores"]])
        ax.errorbar(
            rows["parameters"],
            rows["accuracy"],
            yerr=[rows["accuracy"] - intervals[:, 0], intervals[:, 1] - rows["accuracy"]],
            marker="o",
            capsize=3,
            color=f"C{i}",
            label=pattern,
        )
    for _, row in table.drop_duplicates("model").iterrows():
        ax.annotate(row["model"], (row["parameters"], 1.02), ha="center", fontsize=8)
    ax.set_xscale("log")
    ax.margins(x=0.15)  # room for the names above the first and last points
    ax.set_ylim(-0.02, 1.1)
    ax.set_xlabel("parameters (log scale)")
    ax.set_ylabel(f"share of {table['n'].max()} questions right")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="center left")
    fig.tight_layout()
    return ax
