"""Ask for something the fine-tuning did not cover: a coarser label, or a star rating.

    three_way = VARIATIONS["three_way"]
    summary, details = evaluate_variation(model, tokenizer, three_way, test_df)            # the instruction only
    summary, details = evaluate_variation(model, tokenizer, three_way, test_df, examples)  # plus solved examples
    steps = iteration(default_settings("reviews"))   # notebook 06's experiment, cached

A variation is a new instruction, its allowed answers, and how the five review
labels translate into them, so that the same held-out reviews can be scored
without labelling anything again: a task of its own (`Variation.task`), measured by
`helpers.evaluation.evaluate` like any other. The model fine-tuned on the five labels never
saw these instructions: whether it follows them, or keeps answering with the
labels it was trained on, is what `follows_format` measures.
"""
import re
from dataclasses import asdict, dataclass
from functools import partial

import pandas as pd

from .cache import cached
from .comparison import EVAL_BATCH, Settings, head_to_head, load_lora
from .data import REVIEW_LABELS, load_reviews
from .errors import CourseError
from .evaluation import evaluate
from .models import load_model
from .prompts import choose_examples, few_shot, zero_shot, zero_shot_reviews
from .tasks import REVIEWS, Task


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
        return Task(name=self.name, instruction=self.instruction, input_name=REVIEWS.input_name, label_column="label",
                    load=lambda split: self.translate(load_reviews(split)), answer=lambda row: str(row["label"]),
                    parse=partial(parse_variation, self), score=lambda prediction, row: float(prediction == row["label"]),
                    labels=self.answers, max_new_tokens=8)


VARIATIONS = {
    "three_way": Variation(
        "three-way sentiment",
        "Classify the sentiment of this customer review as one of: negative, neutral, positive.",
        ("negative", "neutral", "positive"),
        {"very_negative": "negative", "negative": "negative", "mixed": "neutral",
         "positive": "positive", "very_positive": "positive"}),
    "stars": Variation(
        "star rating",
        "Rate this customer review from 1 to 5 stars (1 = very negative, 5 = very positive). Answer with the number only.",
        ("1", "2", "3", "4", "5"),
        dict(zip(REVIEW_LABELS, ("1", "2", "3", "4", "5")))),
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


def evaluate_variation(model, tokenizer, variation: Variation, df: pd.DataFrame, examples: pd.DataFrame | None = None,
                       max_new_tokens: int = 8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ask every review of `df` (columns text, label) with the variation's instruction: (one-row summary, details).

    summary: variation, shots, n, accuracy, follows_format (share of answers that are an allowed answer),
    latency_s, prompt_tokens. details: as `evaluate`'s, `expected` being the translated label.
    """
    if len(df) == 0:
        raise CourseError("The data split is empty: pass a DataFrame with at least one review.")
    summary, details = evaluate(model, tokenizer, partial(variation_prompt, variation, examples=examples),
                                variation.translate(df), variation.task, name=variation.name,
                                max_new_tokens=max_new_tokens, batch_size=EVAL_BATCH)
    summary = pd.DataFrame([{"variation": variation.name, "shots": 0 if examples is None else len(examples),
                             "n": len(details), "accuracy": summary.loc[0, "accuracy"],
                             "follows_format": 1 - summary.loc[0, "unparseable_rate"],
                             "latency_s": summary.loc[0, "latency_s"], "prompt_tokens": summary.loc[0, "prompt_tokens"]}])
    return summary, details


def mapped_accuracy(details: pd.DataFrame, variation: Variation) -> float:
    """Accuracy on a variation when five-way predictions (from `helpers.evaluation.evaluate`) are translated by code."""
    predicted = details["prediction"].map(lambda label: variation.from_label.get(label))
    return float((predicted == details["expected"].map(variation.from_label)).mean())


def iteration(settings: Settings, progress: bool = True) -> pd.DataFrame:
    """Notebook 06's path: prompt, fine-tune, then prompt the fine-tuned model for variations it was not trained on.

    One row per (step, model, variation, shots), with accuracy, follows_format,
    latency_s, prompt_tokens and seconds_to_build (training seconds needed before the step could run).
    """
    if settings.task != "reviews":
        raise CourseError("The variations are about reviews: pass default_settings('reviews').")

    def compute(folder):
        results = head_to_head(settings, progress)["results"]
        test = settings.rows("test")
        examples = choose_examples(settings.rows("train"), settings.k, "balanced")
        training = results.loc["LoRA fine-tune", "training_seconds"]
        rows = [_step("1. prompt", "base", "five labels", results.loc["best prompt"], 0.0,
                      shots=results.loc["best prompt", "labelled_examples"]),
                _step("2. fine-tune", "fine-tuned", "five labels", results.loc["LoRA fine-tune"], training)]
        for model_name in ("base", "fine-tuned"):
            model, tokenizer = load_model(settings.model_id) if model_name == "base" else load_lora(settings)
            for variation in VARIATIONS.values():
                for shots in (None, examples):
                    summary, _ = evaluate_variation(model, tokenizer, variation, test, shots)
                    rows.append(_step("3. prompt for a variation", model_name, variation.name, summary.iloc[0],
                                      0.0 if model_name == "base" else training, shots=summary.loc[0, "shots"]))
            if model_name == "fine-tuned":
                _, details = evaluate(model, tokenizer, zero_shot_reviews, test, "reviews", batch_size=EVAL_BATCH)
                for variation in VARIATIONS.values():
                    rows.append({"step": "3b. translate its five labels by code", "model": model_name,
                                 "variation": variation.name, "shots": 0, "accuracy": mapped_accuracy(details, variation),
                                 "follows_format": details["parsed"].mean(), "latency_s": details["seconds"].mean(),
                                 "prompt_tokens": details["prompt_tokens"].mean(), "seconds_to_build": training})
        return pd.DataFrame(rows)
    return cached("iteration", asdict(settings), compute)


def _step(step: str, model: str, variation: str, row, seconds_to_build: float, shots: int = 0) -> dict:
    """One row of the iteration table from a results or summary row."""
    return {"step": step, "model": model, "variation": variation, "shots": int(shots), "accuracy": row["accuracy"],
            "follows_format": row.get("follows_format", 1 - row.get("unparseable_rate", 0.0)),
            "latency_s": row["latency_s"], "prompt_tokens": row["prompt_tokens"], "seconds_to_build": seconds_to_build}
