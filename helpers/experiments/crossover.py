"""The learning curve: accuracy against labelled examples, in the prompt or as training data.

    curve = crossover(default_settings("reviews"))   # a LearningCurve: one row per (method, labelled examples), cached
    crossover_point(curve.table)                     # the fewest examples with which fine-tuning clearly wins

At each number of labelled examples, on the head-to-head's test rows (`helpers.experiments.comparison`), so every
point is
compared paired: the best prompt of the head-to-head (chosen on validation) drawing its solved examples from those
rows only, a LoRA fine-tune trained on them with the head-to-head's recipe (the same learning rate and passes, so
only the data change) from every training seed, and (a task with labels) the classical TF-IDF baseline, also on the
whole training split. The largest fine-tuned point and 0 examples (zero-shot) are the head-to-head's own rows.
"""

import functools
from dataclasses import dataclass

import pandas as pd
from tqdm.auto import tqdm

from ..core.config import quick_or_full
from ..core.errors import CourseError
from ..core.statistics import compare_methods
from ..finetuning.tuning import Recipe, train_recipe
from ..llm.memory import free_memory
from ..llm.models import load_model
from ..prompting.evaluation import example_scores
from ..prompting.prompts import zero_shot
from .baselines import tfidf_predictions
from .cache import cached
from .comparison import Settings, combined, fine_tuned_side, measure_run, prompt_patterns, results_of

BASELINE = "TF-IDF + logistic regression"
PROMPT, FINE_TUNE = "best prompt", "LoRA fine-tune"


@dataclass(frozen=True, eq=False)
class LearningCurve:
    """What `crossover` measured (or the reference's, read back by `reference.crossover`)."""

    settings: Settings
    # one row per point: method, labelled_examples, runs, accuracy, accuracy_low, accuracy_high, prompt_tokens,
    # latency_s, training_seconds, scores (mean per test example), run_scores, n
    table: pd.DataFrame

    @property
    def n(self) -> int:
        """The test examples behind every point."""
        return int(self.table["n"].max())


def crossover(settings: Settings, sizes=None, progress: bool = True) -> LearningCurve:
    """Accuracy against labelled examples used, every point on the same test rows (see the module docstring)."""
    sizes = tuple(quick_or_full((4,), (32, 64)) if sizes is None else sizes)
    if any(n >= settings.n_train or n < 1 for n in sizes):
        raise CourseError(
            f"Fine-tuning sizes must be from 1 to below n_train={settings.n_train} (that point comes from "
            "the head-to-head)."
        )

    run_key = settings.key()  # each prompt draw and fine-tune seed is cached on its own: a stopped curve resumes

    def compute(folder):
        task = settings.task
        results = results_of(settings, ("lora",), progress)  # the prompts and the LoRA fine-tune it builds on
        recipe = Recipe(**fine_tuned_side(settings, "lora", progress)["recipe"])
        test, best = settings.rows("test"), results.loc["best prompt", "prompt"]
        rows = [
            _point("zero-shot", 0, results.loc["zero-shot"]),
            _point(PROMPT, settings.n_train, results.loc[PROMPT]),
            _point(FINE_TUNE, settings.n_train, results.loc[FINE_TUNE]),
        ]
        if task.labels:  # a label classifier (tickets are four fields of JSON)
            whole = len(task.split("train"))
            for n in (*sizes, settings.n_train, whole):
                data = settings.rows("train", n)
                scores = example_scores(
                    tfidf_predictions(data["text"], data[task.label_column], test["text"]), test, task
                )
                rows.append(
                    _point(
                        BASELINE,
                        n,
                        combined(
                            "TF-IDF", [{"scores": scores, "prompt_tokens": float("nan"), "latency_s": float("nan")}]
                        ),
                    )
                )
        base = functools.cache(lambda: load_model(settings.model_id))  # loaded once, and only if a run is missing

        def prompt_run(folder, n, pattern):
            model, tokenizer = base()
            return measure_run(model, tokenizer, pattern, test, settings, consistent=False, progress=progress)

        def fine_tune_run(folder, n, seed):
            free_memory()
            model, tokenizer, info = train_recipe(
                task, settings.rows("train", n), recipe, seed, settings.model_id, progress
            )
            plain = lambda text: zero_shot(text, task)  # noqa: E731
            run = measure_run(model, tokenizer, plain, test, settings, consistent=False, progress=progress)
            return {"training_seconds": info["training_seconds"], **run}

        for n in tqdm(sizes, desc="prompts", disable=not progress):
            patterns = prompt_patterns(settings, settings.rows("train", n))[best]
            runs = [
                cached(
                    "crossover-run",
                    {**run_key, "method": PROMPT, "labelled_examples": n, "draw": draw},
                    functools.partial(prompt_run, n=n, pattern=pattern),
                )
                for draw, pattern in enumerate(patterns)
            ]
            rows.append(_point(PROMPT, n, combined(PROMPT, runs)))
        base = None
        for n in tqdm(sizes, desc="fine-tunes", disable=not progress):
            runs = [
                cached(
                    "crossover-run",
                    {**run_key, "method": FINE_TUNE, "labelled_examples": n, "seed": seed},
                    functools.partial(fine_tune_run, n=n, seed=seed),
                )
                for seed in settings.seeds
            ]
            rows.append(_point(FINE_TUNE, n, combined(FINE_TUNE, runs)))
        return pd.DataFrame(rows).sort_values(["method", "labelled_examples"], kind="stable").reset_index(drop=True)

    table = cached("crossover", {**settings.key(), "sizes": sizes}, compute)
    return LearningCurve(settings, table.assign(n=table["scores"].map(len)))  # (n: the test examples of each point)


def _point(method: str, labelled: int, row) -> dict:
    """The columns of a learning-curve point, from a head-to-head results row or a `comparison.combined` row."""
    return {
        "method": method,
        "labelled_examples": labelled,
        "runs": row["runs"],
        "accuracy": row["accuracy"],
        "accuracy_low": row["accuracy_low"],
        "accuracy_high": row["accuracy_high"],
        "prompt_tokens": row["prompt_tokens"],
        "latency_s": row["latency_s"],
        "training_seconds": row.get("training_seconds", 0.0),
        "scores": list(row["scores"]),
        "run_scores": [list(scores) for scores in row["run_scores"]],
    }


def crossover_point(table: pd.DataFrame) -> int | None:
    """The fewest labelled examples with which fine-tuning beats every prompt that could use as many (and zero-shot),
    each compared on the same test examples over runs and examples (`statistics.compare_methods`); None if never."""
    prompts = table[table["method"].isin([PROMPT, "zero-shot"])]
    for _, row in table[table["method"] == FINE_TUNE].sort_values("labelled_examples").iterrows():
        usable = prompts[prompts["labelled_examples"] <= row["labelled_examples"]]
        if all(
            compare_methods(row["run_scores"], prompt["run_scores"]).verdict == "A better"
            for _, prompt in usable.iterrows()
        ):
            return int(row["labelled_examples"])
    return None
