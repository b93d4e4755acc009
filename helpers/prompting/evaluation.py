"""Measure a prompt pattern, or any predictor, on a data split: one function, one tidy table.

    summary, details = evaluate(model, tokenizer, zero_shot_reviews, test_df, REVIEWS)
    runs = evaluate_patterns(model, tokenizer, {"zero_shot": zero_shot_reviews, "role": partial(role, task=REVIEWS)},
                             test_df, REVIEWS)
                                             # {name: (summary, details)}, all prompts answered in shared batches

`task` is a `helpers.prompting.tasks.Task` (its parser, scorer and labels are used); `get_task(name)` gives a course
task.
`summary` is a one-row DataFrame (stack several with `pd.concat`):
    pattern, task, method, n, accuracy, unparseable_rate, latency_s, prompt_tokens, output_tokens
    and for tickets also json_valid_rate, exact_match and one accuracy per field.
`details` has one row per example: text, expected, answer (raw text), prediction,
    parsed, correct, score (1/0; tickets: the share of right fields, and one column per field; replies: the share
    of house-style rules met),
    prompt_tokens, output_tokens, seconds.

Three ways to read the model's answer (`method`):
    "generate"  decode an answer (greedy by default) and parse it
    "vote"      self-consistency: sample `n_samples` answers, keep the most common parsed one
    "score"     label scoring (reviews only): the label with the highest log-likelihood wins,
                so the answer is always one of the labels

Ticket accuracy is the mean of the four field accuracies; an answer that is not a
JSON object gets every field wrong. The same functions serve any model (a
fine-tuned one included) and any predictor: `evaluate_predictor(predict, df, task)`.

Notebook 02 saves its table with `save_results(table, "prompt_patterns")`; later
notebooks read it back with `load_results("prompt_patterns")` and `best_pattern(...)`.
"""

import json
import time
from collections import Counter
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from ..core.config import cache_dir, quick_or_full
from ..core.errors import CourseError
from ..llm.generation import count_tokens, generate_batch, score_labels
from .prompts import INJECTED_LABEL, delimited, inject, zero_shot
from .tasks import (  # the parsers are re-exported
    Task,
    normalise_ticket,  # noqa: F401
    parse_review_label,  # noqa: F401
    parse_ticket_json,  # noqa: F401
    require_task,
)

METHODS = ("generate", "vote", "score")
EVAL_BATCH = (
    16  # examples the experiments answer together (fewer when their prompts are long: generation.token_batches)
)


def score_answers(answers: list[str], df: pd.DataFrame, task: Task, predictions=None) -> pd.DataFrame:
    """One row per example: the raw answer, its parsed prediction and whether it is right.

    `predictions` (optional) replaces parsing, e.g. the labels picked by label scoring.
    """
    require_task(task)
    if len(answers) != len(df):
        raise CourseError(f"Got {len(answers)} answers for {len(df)} examples: give exactly one answer per row.")
    if predictions is None:
        predictions = [task.parse(answer) for answer in answers]
    rows = pd.DataFrame({"text": list(df["text"]), "answer": list(answers), "prediction": list(predictions)})
    rows["parsed"] = rows["prediction"].notna()
    answers = [task.answer(row) for _, row in df.iterrows()]  # the ideal answers, as text
    if task.fields:  # the fields, parsed
        rows["expected"] = [json.loads(a) for a in answers]
    else:  # the label, or (a task whose answer is free text: the replies) the ideal answer itself
        rows["expected"] = list(df[task.label_column]) if task.labels else answers
    for field in task.fields:  # an extraction task: each field right or wrong (the ideal answer parsed alike)
        wanted = [task.parse(a)[field] for a in answers]
        rows[f"{field}_ok"] = [p is not None and p[field] == w for p, w in zip(rows["prediction"], wanted)]
    rows["score"] = [float(task.score(p, row)) for p, (_, row) in zip(rows["prediction"], df.iterrows())]
    rows["correct"] = rows["score"] == 1.0
    return rows


def example_scores(predictions, df: pd.DataFrame, task: Task) -> list[float]:
    """Per example, what accuracy averages: 1 or 0 for a review label, the share of right fields for a ticket.

    The input of a paired comparison (`helpers.core.statistics.compare_paired`) of two methods on `df`.
    """
    predictions = [None if isinstance(p, float) and p != p else p for p in predictions]  # NaN: unparsed
    return [float(score) for score in score_answers([""] * len(df), df, task, predictions=predictions)["score"]]


def summarize(details: pd.DataFrame, pattern: str, task: Task, method: str = "generate") -> pd.DataFrame:
    """The one-row summary of a `details` table (see the module docstring for the columns)."""
    summary = {"pattern": pattern, "task": require_task(task).name, "method": method, "n": len(details)}
    summary["accuracy"] = details["score"].mean()  # tickets: the mean of the four field accuracies
    if task.fields:  # tickets: four fields of JSON
        fields = {field: details[f"{field}_ok"].mean() for field in task.fields}
        summary["json_valid_rate"] = details["parsed"].mean()
        summary["exact_match"] = details["correct"].mean()
        summary.update({f"{field}_accuracy": value for field, value in fields.items()})
    summary["unparseable_rate"] = 1 - details["parsed"].mean()
    for column, name in [
        ("seconds", "latency_s"),
        ("prompt_tokens", "prompt_tokens"),
        ("output_tokens", "output_tokens"),
    ]:
        summary[name] = details[column].mean() if column in details else np.nan
    return pd.DataFrame([summary])


def _majority(predictions: list):
    """The most common parsed prediction (first seen wins a tie), or None if none parsed."""
    keys = [json.dumps(p, sort_keys=True) for p in predictions if p is not None]
    return json.loads(Counter(keys).most_common(1)[0][0]) if keys else None


def evaluate(
    model,
    tokenizer,
    pattern,
    df: pd.DataFrame,
    task: Task,
    method: str = "generate",
    *,
    name: str | None = None,
    **options,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run `pattern` (a function text -> chat messages) over every row of `df`; return (summary, details).

    Options as in `evaluate_patterns`.
    """
    name = name or getattr(pattern, "__name__", None) or getattr(getattr(pattern, "func", None), "__name__", "pattern")
    return evaluate_patterns(model, tokenizer, {name: pattern}, df, task, method, **options)[name]


def evaluate_patterns(
    model,
    tokenizer,
    patterns: dict,
    df: pd.DataFrame,
    task: Task,
    method: str = "generate",
    *,
    max_new_tokens: int | None = None,
    temperature: float | None = None,
    top_p: float = 1.0,
    n_samples: int = 5,
    seed: int = 0,
    batch_size: int = 8,
    progress: bool = False,
) -> dict:
    """Several patterns (name -> pattern) over every row of `df`: {name: (summary, details)}.

    All their prompts are answered together, `batch_size` at a time, so a few
    patterns on a few examples fill one batch instead of one batch each.
    temperature: 0 (greedy) for "generate" unless given; 0.7 for "vote".
    max_new_tokens: 8 for reviews and 64 for tickets unless given (give more for chain-of-thought).
    """
    require_task(task)
    if method not in METHODS:
        raise CourseError(f"Unknown method {method!r}: use one of {', '.join(METHODS)}.")
    if len(df) == 0:
        raise CourseError("The data split is empty: pass a DataFrame with at least one row.")
    if not patterns:
        raise CourseError("Give at least one prompt pattern to evaluate.")
    prompts = [pattern(text) for pattern in patterns.values() for text in df["text"]]
    max_new_tokens = max_new_tokens or task.max_new_tokens

    if method == "score":
        allowed = task.labels
        if not allowed:
            raise CourseError(
                "Label scoring needs a fixed list of answers; tickets are free JSON: use method='generate'."
            )
        began = time.perf_counter()
        scores = score_labels(model, tokenizer, prompts, list(allowed), batch_size=batch_size, progress=progress)
        seconds = (time.perf_counter() - began) / len(prompts)
        labels = [allowed[i] for i in scores.argmax(axis=1)]
        answers = pd.DataFrame(
            {
                "answer": labels,
                "prediction": labels,
                "output_tokens": 0,
                "seconds": seconds,
                "prompt_tokens": [count_tokens(tokenizer, prompt) for prompt in prompts],
            }
        )
    else:
        samples = n_samples if method == "vote" else 1
        if method == "vote" and (isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1):
            raise CourseError(f"n_samples must be a whole number of at least 1 (got {n_samples!r}); 5 is a good start.")
        temperature = (0.7 if method == "vote" else 0.0) if temperature is None else temperature
        if method == "vote" and temperature == 0:
            raise CourseError(
                "Self-consistency needs varied samples: use a temperature above 0 (e.g. 0.7) with method='vote'."
            )
        outputs = generate_batch(
            model,
            tokenizer,
            [p for p in prompts for _ in range(samples)],
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            top_p=top_p,
            seed=seed,
            batch_size=batch_size,
            progress=progress,
        )
        groups = [outputs[i * samples : (i + 1) * samples] for i in range(len(prompts))]
        answers = pd.DataFrame(
            {
                "answer": [group[0].text if samples == 1 else " | ".join(g.text for g in group) for group in groups],
                "prediction": [_majority([task.parse(g.text) for g in group]) for group in groups],
                **{
                    column: [sum(getattr(g, column) for g in group) for group in groups]
                    for column in ("prompt_tokens", "output_tokens", "seconds")
                },
            }
        )

    results = {}
    for i, name in enumerate(patterns):  # the prompts are in pattern order, len(df) each
        mine = answers.iloc[i * len(df) : (i + 1) * len(df)]
        details = score_answers(list(mine["answer"]), df, task, predictions=list(mine["prediction"]))
        for column in ("prompt_tokens", "output_tokens", "seconds"):
            details[column] = mine[column].to_numpy()
        results[name] = summarize(details, name, task, method), details
    return results


def evaluate_predictor(
    predict, df: pd.DataFrame, task: Task, name: str = "predictor"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Evaluate any function `predict(list of texts) -> list of answer texts` the same way as a prompt."""
    require_task(task)
    if len(df) == 0:
        raise CourseError("The data split is empty: pass a DataFrame with at least one row.")
    began = time.perf_counter()
    answers = list(predict(list(df["text"])))
    seconds = (time.perf_counter() - began) / len(df)
    details = score_answers([str(a) for a in answers], df, task)
    details["seconds"] = seconds
    return summarize(details, name, task, "predictor"), details


def review_plan(pattern_names) -> list[tuple[str, str, dict]]:
    """Notebook 02's measurements on the reviews: (pattern, method, `evaluate` options) for each.

    Every pattern is read from its generated answer (chain-of-thought gets room to reason);
    zero-shot also by a majority vote over samples; the most promising patterns also by
    label scoring (in quick mode only zero-shot, and fewer samples in the vote).
    """
    scored = quick_or_full(["zero_shot"], ["zero_shot", "explicit", "context", "few_shot_balanced"])
    return (
        [(name, "generate", {"max_new_tokens": 40} if name == "chain_of_thought" else {}) for name in pattern_names]
        + [("zero_shot", "vote", {"n_samples": quick_or_full(3, 5)})]
        + [(name, "score", {}) for name in scored if name in pattern_names]
    )


INJECTION_CONDITIONS = ("clean review, zero-shot", "injected, zero-shot", "injected, delimited + task restated")


@dataclass(frozen=True, eq=False)
class Injection:
    """What `measure_injection` measured (or the reference's, read back by `reference.injection`)."""

    summary: pd.DataFrame  # one row per condition and method, with `answered_attacker_label`
    examples: pd.DataFrame  # one row per condition, method and review: example, prediction, hijacked

    @property
    def n(self) -> int:
        """The victims every condition was asked about."""
        return int(self.examples["example"].max()) + 1

    def hijacked(self) -> dict:
        """{(condition, method): per review, did the attacker's label win?}: for paired comparisons."""
        return {
            key: [bool(flag) for flag in rows.sort_values("example")["hijacked"]]
            for key, rows in self.examples.groupby(["condition", "method"], sort=False)
        }


def measure_injection(
    model, tokenizer, victims: pd.DataFrame, task: Task, methods=("generate", "score"), progress: bool = False
) -> Injection:
    """How often a prompt injection moves the answer to the attacker's label (`prompts.INJECTED_LABEL`).

    `victims` (reviews of `task` whose true label is far from it) are asked three ways: clean with the zero-shot
    prompt, with the injection appended, and injected but fenced by `prompts.delimited`.
    """
    from tqdm.auto import tqdm

    hostile = victims.assign(text=victims["text"].map(inject))
    plain, fenced = partial(zero_shot, task=require_task(task)), partial(delimited, task=task)
    conditions = dict(zip(INJECTION_CONDITIONS, [(plain, victims), (plain, hostile), (fenced, hostile)]))
    rows, examples = [], []
    for condition, (pattern, data) in tqdm(conditions.items(), desc="conditions", disable=not progress):
        for method in methods:
            summary, details = evaluate(model, tokenizer, pattern, data, task, method, name=condition)
            flags = details["prediction"] == INJECTED_LABEL
            rows.append(summary.assign(answered_attacker_label=float(flags.mean())))
            examples.append(
                pd.DataFrame(
                    {
                        "condition": condition,
                        "method": method,
                        "example": range(len(data)),
                        "prediction": details["prediction"].to_numpy(),
                        "hijacked": flags.to_numpy(),
                    }
                )
            )
    return Injection(pd.concat(rows, ignore_index=True), pd.concat(examples, ignore_index=True))


def best_pattern(results: pd.DataFrame, task: Task) -> pd.Series:
    """The row of the most accurate pattern (and method) of a task in a results table; fewer prompt tokens break
    ties."""
    name = require_task(task).name
    rows = results[results["task"] == name]
    if rows.empty:
        raise CourseError(f"The results table has no rows for task {name!r}: evaluate some patterns first.")
    return rows.sort_values(["accuracy", "prompt_tokens"], ascending=[False, True], kind="stable").iloc[0]


def results_path(name: str):
    """Where a results table called `name` is kept: the course cache, never the repository."""
    return cache_dir() / "results" / f"{name}.csv"


def save_results(results: pd.DataFrame, name: str):
    """Keep a results table for later notebooks; returns the file's path."""
    path = results_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    results.to_csv(path, index=False)
    return path


def load_results(name: str) -> pd.DataFrame:
    """A results table saved by an earlier notebook (e.g. 'prompt_patterns' by notebook 02)."""
    path = results_path(name)
    if not path.exists():
        raise CourseError(
            f"No saved results {name!r} yet ({path}): run the notebook that measures them first "
            "(notebook 02 for 'prompt_patterns')."
        )
    return pd.read_csv(path)
