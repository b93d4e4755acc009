"""The crossover: accuracy against labelled examples used, in the prompt or as training data.

    table = crossover(default_settings("reviews"))   # one row per (method, labelled examples), cached
    crossover_point(table)                           # the fewest examples with which fine-tuning clearly wins

Few-shot prompts with 1, 4, 16 solved examples, LoRA fine-tunes on 16, 64 and all
training examples and (for a task with labels) the classical TF-IDF baseline, all on the
head-to-head's test examples (`helpers.comparison`), so every point is compared paired.
"""
from dataclasses import asdict

import pandas as pd
from tqdm.auto import tqdm

from .baselines import tfidf_predictions
from .cache import cached
from .comparison import EVAL_BATCH, Settings, fine_tune, head_to_head
from .config import quick_or_full
from .errors import CourseError
from .evaluation import evaluate, example_scores
from .models import free_memory, load_model
from .prompts import make_few_shot, zero_shot
from .statistics import compare_paired
from .tasks import get_task

BASELINE = "TF-IDF + logistic regression"


def crossover(settings: Settings, shots=None, sizes=None, progress: bool = True) -> pd.DataFrame:
    """Accuracy against labelled examples used: as few-shot examples in the prompt, as LoRA training data,
    and (a task with labels) as training data of the classical baseline (`helpers.baselines`), all on the same test examples.

    Every fine-tune trains the same number of steps, so only the number of distinct
    examples changes. The largest size is the head-to-head's own LoRA fine-tune and
    0 shots its zero-shot row (reused, not rerun).
    Returns one row per point: method, labelled_examples, accuracy, prompt_tokens, latency_s, training_seconds,
    scores (per test example), n.
    """
    shots = tuple(quick_or_full((1,), (1, 4, 16)) if shots is None else shots)
    sizes = tuple(quick_or_full((4,), (16, 64)) if sizes is None else sizes)
    if any(n >= settings.n_train or n < 1 for n in sizes):
        raise CourseError(f"Fine-tuning sizes must be from 1 to below n_train={settings.n_train} (that point comes from the head-to-head).")

    def compute(folder):
        results = head_to_head(settings, progress)["results"]
        pool, test = settings.rows("train"), settings.rows("test")
        rows = [{"method": "few-shot prompt", "labelled_examples": 0, **_point(results.loc["zero-shot"])},
                {"method": "LoRA fine-tune", "labelled_examples": settings.n_train, **_point(results.loc["LoRA fine-tune"])}]
        task = get_task(settings.task)
        if task.labels:  # a label classifier (tickets are four fields of JSON)
            for n in (*sizes, settings.n_train):
                data = settings.rows("train", n)
                predictions = tfidf_predictions(data["text"], data[task.label_column], test["text"])
                scores = example_scores(predictions, test, settings.task)
                rows.append({"method": BASELINE, "labelled_examples": n, "accuracy": sum(scores) / len(scores),
                             "prompt_tokens": float("nan"), "latency_s": float("nan"), "training_seconds": 0.0,
                             "scores": scores})
        model, tokenizer = load_model(settings.model_id)
        for k in tqdm(shots, desc="few-shot prompts", disable=not progress):
            pattern = make_few_shot(pool, k, "balanced", settings.task)
            summary, details = evaluate(model, tokenizer, pattern, test, settings.task, batch_size=EVAL_BATCH)
            rows.append({"method": "few-shot prompt", "labelled_examples": k, **_point(summary.iloc[0], details)})
        for n in sizes:
            model = None
            free_memory()
            model, tokenizer, info = fine_tune(settings.task, settings.rows("train", n), **settings.training("lora"),
                                               progress=progress)
            summary, details = evaluate(model, tokenizer, lambda t: zero_shot(t, settings.task), test, settings.task,
                                        batch_size=EVAL_BATCH)
            rows.append({"method": "LoRA fine-tune", "labelled_examples": n,
                         **_point(summary.iloc[0], details, training_seconds=info["training_seconds"])})
        return pd.DataFrame(rows).sort_values(["method", "labelled_examples"], kind="stable").reset_index(drop=True)
    table = cached("crossover", {**asdict(settings), "shots": shots, "sizes": sizes}, compute)
    return table.assign(n=settings.n_test)  # the test examples behind every accuracy


def _point(row, details: pd.DataFrame | None = None, training_seconds: float = 0.0) -> dict:
    """The columns of a crossover point, from a head-to-head results row or an `evaluate` summary and details."""
    return {"accuracy": row["accuracy"], "prompt_tokens": row["prompt_tokens"], "latency_s": row["latency_s"],
            "training_seconds": row.get("training_seconds", training_seconds),
            "scores": list(row["scores"]) if details is None else list(details["score"])}


def crossover_point(table: pd.DataFrame) -> int | None:
    """The fewest labelled examples with which fine-tuning beats every prompt that could use that many,
    each compared on the same test examples (paired; the 95% interval of the difference above 0);
    None if it never does."""
    prompts = table[table["method"] == "few-shot prompt"]
    for _, row in table[table["method"] == "LoRA fine-tune"].sort_values("labelled_examples").iterrows():
        usable = prompts[prompts["labelled_examples"] <= row["labelled_examples"]]
        if all(compare_paired(row["scores"], prompt["scores"]).verdict == "A better" for _, prompt in usable.iterrows()):
            return int(row["labelled_examples"])
    return None
