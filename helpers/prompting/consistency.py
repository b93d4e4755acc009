"""Consistency: does the model give the same answer when the question is asked differently, or again?

    predictions, summaries = across_paraphrases(model, tokenizer, zero_shot_reviews, df, REVIEWS)
    predictions, summaries = across_seeds(model, tokenizer, zero_shot_reviews, df, REVIEWS, seeds=(0, 1, 2))
    consistency(predictions)   # {"agreement": ..., "unanimous": ...}

Two sources of wobble, both named in the seed article:
  * the wording: the same instruction said in other words (the task's `paraphrases`;
    greedy decoding, so only the wording changes);
  * chance: the same prompt sampled at a temperature with different seeds.

`predictions` has one row per example and one column per variant (a wording or
a seed). For each example, *agreement* is the share of variants that give its
most common answer; `consistency` reports its mean, and the share of examples on
which every variant agrees (*unanimous*). An unparseable answer counts as an
answer of its own ("unparsed"), so a model that fails in the same way every time
is consistent, and accuracy is reported next to it.
"""

import json

import pandas as pd

from ..core.errors import CourseError
from .evaluation import evaluate, evaluate_patterns
from .tasks import Task, require_task

UNPARSED = "unparsed"


def reworded(pattern, task: Task, wording: str):
    """The same prompt pattern with the task instruction replaced by `wording` (in every turn, examples included)."""
    instruction = require_task(task).instruction
    if not str(wording).strip():
        raise CourseError("The new wording is empty: write the instruction in other words.")

    def pattern_with_wording(text):
        messages = pattern(text)
        if not any(instruction in str(m.get("content", "")) for m in messages):
            raise CourseError(
                "This pattern does not contain the task's standard instruction, so it cannot be reworded: "
                "use a pattern from helpers.prompting.prompts.catalog."
            )
        return [{**m, "content": str(m["content"]).replace(instruction, wording)} for m in messages]

    return pattern_with_wording


def prediction_key(prediction) -> str:
    """A comparable text for a parsed prediction: the label, the JSON fields in a fixed order, or 'unparsed'."""
    if prediction is None or (isinstance(prediction, float) and prediction != prediction):
        return UNPARSED
    if isinstance(prediction, dict):
        return json.dumps(prediction, sort_keys=True)
    return str(prediction)


def agreement(predictions: pd.DataFrame) -> pd.Series:
    """Per example (row): the share of variants (columns) that give the row's most common answer."""
    if predictions.shape[1] < 2:
        raise CourseError("Consistency needs at least two variants (two wordings or two seeds) to compare.")
    keys = predictions.map(prediction_key)
    return keys.apply(lambda row: row.value_counts().iloc[0] / len(row), axis=1)


def consistency(predictions: pd.DataFrame) -> dict:
    """Mean agreement over the examples, and the share of examples on which all variants agree."""
    per_example = agreement(predictions)
    return {"agreement": float(per_example.mean()), "unanimous": float((per_example == 1).mean())}


def _predictions_and_summaries(runs: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join several `evaluate` results (variant -> (summary, details)) into one table of each."""
    predictions = pd.DataFrame({variant: list(details["prediction"]) for variant, (_, details) in runs.items()})
    summaries = pd.concat(
        [summary.assign(variant=variant) for variant, (summary, _) in runs.items()], ignore_index=True
    )
    return predictions, summaries


def across_paraphrases(
    model, tokenizer, pattern, df: pd.DataFrame, task: Task, wordings=None, **evaluate_options
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Answers to every rewording of the instruction (greedy, all in shared batches):
    (predictions table, one summary row per wording)."""
    wordings = require_task(task).paraphrases if wordings is None else tuple(wordings)
    if len(wordings) < 2:
        raise CourseError("Give at least two wordings of the instruction to compare.")
    runs = evaluate_patterns(
        model,
        tokenizer,
        {f"wording {i}": reworded(pattern, task, wording) for i, wording in enumerate(wordings)},
        df,
        task,
        **evaluate_options,
    )
    return _predictions_and_summaries(runs)


def across_seeds(
    model,
    tokenizer,
    pattern,
    df: pd.DataFrame,
    task: Task,
    seeds=(0, 1, 2),
    temperature: float = 0.7,
    **evaluate_options,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Answers sampled at `temperature` with each seed: (predictions table, one summary row per seed)."""
    require_task(task)
    seeds = tuple(seeds)
    if len(seeds) < 2 or len(set(seeds)) < len(seeds):
        raise CourseError(f"Give at least two different seeds to compare (got {seeds!r}).")
    if not temperature > 0:
        raise CourseError(
            "Greedy decoding (temperature 0) gives the same answer for every seed: use a temperature above 0, e.g. 0.7."
        )
    runs = {
        f"seed {seed}": evaluate(
            model,
            tokenizer,
            pattern,
            df,
            task,
            temperature=temperature,
            seed=seed,
            name=f"seed {seed}",
            **evaluate_options,
        )
        for seed in seeds
    }
    return _predictions_and_summaries(runs)
