"""Ask for something the fine-tuning did not cover: a coarser label, or a star rating.

    three_way = VARIATIONS["three_way"]
    summary, details = evaluate_variation(model, tokenizer, three_way, test_df)            # the instruction only
    summary, details = evaluate_variation(model, tokenizer, three_way, test_df, examples)  # plus solved examples
    path = iteration(default_settings("reviews"))    # notebook 06's experiment (a HybridPath: path.table), cached

A variation is a new instruction, its allowed answers, and how the five review
labels translate into them, so that the same held-out reviews can be scored
without labelling anything again: a task of its own (`Variation.task`), measured by
`helpers.prompting.evaluation.evaluate` like any other. The model fine-tuned on the five labels never
saw these instructions: whether it follows them, or keeps answering with the
labels it was trained on, is what `follows_format` measures.
"""

import functools
import re
from dataclasses import dataclass
from functools import partial

import pandas as pd

from ..core.errors import CourseError
from ..llm.models import load_model
from ..prompting.data import REVIEW_LABELS, load_reviews
from ..prompting.evaluation import EVAL_BATCH, evaluate
from ..prompting.prompts import choose_examples, few_shot, zero_shot, zero_shot_reviews
from ..prompting.tasks import REVIEWS, Task
from .cache import cached
from .comparison import Settings, load_lora, results_of


@dataclass(frozen=True)
class Variation:
    """A new way to ask about a review: instruction, allowed answers, and the translation of the five labels."""

    name: str
    instruction: str
    answers: tuple
    from_label: dict

    def expected(self, labels) -> list:
        """The answers this variation expects for reviews with the given five-way labels."""
        return [self.from_label[label] for label in labels]

    def translate(self, reviews: pd.DataFrame) -> pd.DataFrame:
        """Reviews with their label translated into this variation's answers."""
        return reviews.assign(label=self.expected(reviews["label"]))

    @property
    def task(self) -> Task:
        """The variation as a task: its instruction and answers, on the reviews with translated labels."""
        return Task(
            name=self.name,
            instruction=self.instruction,
            input_name=REVIEWS.input_name,
            label_column="label",
            load=lambda split: self.translate(load_reviews(split)),
            answer=lambda row: str(row["label"]),
            parse=partial(parse_variation, self),
            score=lambda prediction, row: float(prediction == row["label"]),
            labels=self.answers,
            max_new_tokens=8,
        )


VARIATIONS = {
    "three_way": Variation(
        "three-way sentiment",
        "Classify the sentiment of this customer review as one of: negative, neutral, positive.",
        ("negative", "neutral", "positive"),
        {
            "very_negative": "negative",
            "negative": "negative",
            "neutral": "neutral",
            "positive": "positive",
            "very_positive": "positive",
        },
    ),
    "stars": Variation(
        "star rating",
        "Rate this customer review from 1 to 5 stars (1 = very negative, 5 = very positive). "
        "Answer with the number only.",
        ("1", "2", "3", "4", "5"),
        dict(zip(REVIEW_LABELS, ("1", "2", "3", "4", "5"))),
    ),
}


def variation_prompt(variation: Variation, text: str, examples: pd.DataFrame | None = None) -> list[dict]:
    """Chat messages: solved examples in the new format (if any) as earlier turns, then the review."""
    if examples is None:
        return zero_shot(text, variation.task)
    return few_shot(text, variation.translate(examples), variation.task)


def parse_variation(variation: Variation, answer: str) -> str | None:
    """The first allowed answer named in the text as a whole word ('very_negative' is not 'negative'), else None."""
    options = "|".join(re.escape(a) for a in sorted(variation.answers, key=len, reverse=True))
    found = re.search(rf"(?<![\w-])({options})(?![\w-])", str(answer).lower())
    return found.group(1) if found else None


def evaluate_variation(
    model,
    tokenizer,
    variation: Variation,
    df: pd.DataFrame,
    examples: pd.DataFrame | None = None,
    max_new_tokens: int = 8,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ask every review of `df` (columns text, label) with the variation's instruction: (one-row summary, details).

    summary: variation, shots, n, accuracy, follows_format (share of answers that are an allowed answer),
    latency_s, prompt_tokens. details: as `evaluate`'s, `expected` being the translated label.
    """
    if len(df) == 0:
        raise CourseError("The data split is empty: pass a DataFrame with at least one review.")
    summary, details = evaluate(
        model,
        tokenizer,
        partial(variation_prompt, variation, examples=examples),
        variation.translate(df),
        variation.task,
        name=variation.name,
        max_new_tokens=max_new_tokens,
        batch_size=EVAL_BATCH,
    )
    summary = pd.DataFrame(
        [
            {
                "variation": variation.name,
                "shots": 0 if examples is None else len(examples),
                "n": len(details),
                "accuracy": summary.loc[0, "accuracy"],
                "follows_format": 1 - summary.loc[0, "unparseable_rate"],
                "latency_s": summary.loc[0, "latency_s"],
                "prompt_tokens": summary.loc[0, "prompt_tokens"],
            }
        ]
    )
    return summary, details


def mapped_scores(details: pd.DataFrame, variation: Variation) -> list[float]:
    """Per example, right (1) or wrong (0) on a variation when five-way predictions (from
    `helpers.prompting.evaluation.evaluate`)
    are translated by code."""
    predicted = details["prediction"].map(lambda label: variation.from_label.get(label))
    return [float(right) for right in predicted == details["expected"].map(variation.from_label)]


def mapped_accuracy(details: pd.DataFrame, variation: Variation) -> float:
    """Accuracy on a variation when five-way predictions are translated by code (`mapped_scores`)."""
    return float(sum(mapped_scores(details, variation)) / len(details))


@dataclass(frozen=True, eq=False)
class HybridPath:
    """What `iteration` measured (or the reference's, read back by `reference.iteration`)."""

    settings: Settings
    # one row per (step, model, variation, shots), with accuracy, follows_format, latency_s, prompt_tokens,
    # seconds_to_build (training seconds needed before the step could run), runs, n and run_scores (per run, per test
    # review: for comparisons over runs and examples); a fine-tuned model's rows are the mean over its training seeds
    table: pd.DataFrame

    @property
    def n(self) -> int:
        """The test reviews every variation was asked on."""
        return int(self.table["n"].min())  # (the first two steps may have been measured on more)


def iteration(settings: Settings, n_test: int | None = None, progress: bool = True) -> HybridPath:
    """Notebook 06's path: prompt, fine-tune, then prompt the fine-tuned model for variations it was not trained on.
    `n_test`: the variations are asked on that many test reviews (balanced over labels; default: the head-to-head's
    test rows)."""
    if settings.task.name != "reviews":
        raise CourseError("The variations are about reviews: pass default_settings('reviews').")

    def compute(folder):
        results = results_of(settings, ("lora",), progress)  # the prompts and the LoRA fine-tune it builds on
        test = settings.rows("test", n_test)
        examples = choose_examples(settings.rows("train"), settings.k, settings.task, "balanced")
        training = results.loc["LoRA fine-tune", "training_seconds"]
        rows = [
            _step(
                "1. prompt",
                "base",
                "five labels",
                results.loc["best prompt"],
                0.0,
                shots=results.loc["best prompt", "labelled_examples"],
            ),
            _step("2. fine-tune", "fine-tuned", "five labels", results.loc["LoRA fine-tune"], training),
        ]
        runs = {}
        for model_name, seed in [("base", None)] + [("fine-tuned", seed) for seed in settings.seeds]:
            # each model is cached on its own, so a stopped run resumes with the next one
            key = {**settings.key(), "n_test": n_test, "seed": seed}
            measure = functools.partial(_variations_of, settings, test, examples, model_name, seed, training)
            for row in cached("iteration-run", key, measure):
                runs.setdefault((row["step"], model_name, row["variation"], row["shots"]), []).append(row)
        for measured in runs.values():
            table = pd.DataFrame(measured).drop(columns="scores")
            rows.append(
                {
                    **measured[0],
                    **table.select_dtypes("number").mean().to_dict(),
                    "runs": len(measured),
                    "run_scores": [row["scores"] for row in measured],
                }
            )
        table = pd.DataFrame(rows).drop(columns="scores", errors="ignore")
        return table.assign(
            runs=table["runs"].astype(int),
            shots=table["shots"].astype(int),
            n=table["run_scores"].map(lambda runs: len(runs[0])),
        )

    return HybridPath(settings, cached("iteration", {**settings.key(), "n_test": n_test}, compute))


def _variations_of(settings: Settings, test, examples, model_name: str, seed, training: float, folder) -> list[dict]:
    """One model's rows of the hybrid path (the base for seed None, else a seed's fine-tune): every variation asked
    with and without solved examples, and (a fine-tune) its five labels translated by code."""
    model, tokenizer = load_model(settings.model_id) if seed is None else load_lora(settings, seed)
    rows = []
    for variation in VARIATIONS.values():
        for shots in (None, examples):
            summary, details = evaluate_variation(model, tokenizer, variation, test, shots)
            rows.append(
                {
                    **_step(
                        "3. prompt for a variation",
                        model_name,
                        variation.name,
                        summary.iloc[0],
                        0.0 if seed is None else training,
                        shots=summary.loc[0, "shots"],
                    ),
                    "scores": [float(score) for score in details["score"]],
                }
            )
    if seed is not None:
        _, details = evaluate(model, tokenizer, zero_shot_reviews, test, settings.task, batch_size=EVAL_BATCH)
        for variation in VARIATIONS.values():
            rows.append(
                {
                    "step": "3b. translate its five labels by code",
                    "model": model_name,
                    "variation": variation.name,
                    "shots": 0,
                    "accuracy": mapped_accuracy(details, variation),
                    "scores": mapped_scores(details, variation),
                    "follows_format": details["parsed"].mean(),
                    "latency_s": details["seconds"].mean(),
                    "prompt_tokens": details["prompt_tokens"].mean(),
                    "seconds_to_build": training,
                }
            )
    return rows


def _step(step: str, model: str, variation: str, row, seconds_to_build: float, shots: int = 0) -> dict:
    """One row of the iteration table from a results or summary row."""
    return {
        "step": step,
        "model": model,
        "variation": variation,
        "shots": int(shots),
        "runs": int(row.get("runs", 1)),
        "run_scores": [list(scores) for scores in row["run_scores"]] if "run_scores" in row else None,
        "accuracy": row["accuracy"],
        "follows_format": row.get("follows_format", 1 - row.get("unparseable_rate", 0.0)),
        "latency_s": row["latency_s"],
        "prompt_tokens": row["prompt_tokens"],
        "seconds_to_build": seconds_to_build,
    }
