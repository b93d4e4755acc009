"""What each approach costs a person, not a machine: prompts written and tried, tokens typed, examples labelled.

    written_tokens(tokenizer, REVIEWS, "explicit")     # tokens a person wrote for that pattern
    effort_table(tokenizer, run, crossover_table)      # prompting vs fine-tuning, side by side

A prompt engineer writes instructions and tries them; a fine-tune needs labelled examples, one short instruction and
training runs to choose its recipe. Both need labelled validation examples to choose with. The seed article says
prompting effort can approach fine-tuning effort; this puts numbers from the course's own runs on both sides.
"""

import pandas as pd

from ..core.statistics import format_runs
from ..llm.generation import text_ids
from ..prompting.prompts import catalog
from ..prompting.tasks import Task
from .comparison import HeadToHead, best_of


def written_tokens(tokenizer, task: Task, pattern: str) -> int:
    """Tokens of the text a person wrote for a pattern: its messages without the input. A few-shot pattern
    repeats the zero-shot instruction around labelled examples, so a person wrote the zero-shot instruction."""
    name = "zero_shot" if pattern.startswith("few_shot") else pattern
    messages = catalog(task)[name]("X")
    count = lambda text: len(text_ids(tokenizer, text))  # noqa: E731
    return sum(count(message["content"]) for message in messages) - count("X")


def effort_table(tokenizer, run: HeadToHead) -> pd.DataFrame:
    """Prompting vs fine-tuning on one task: what a person did for each, and what choosing each cost the machine.

    `run` is a head-to-head: its candidates were tried on validation and the best prompt won; the best
    fine-tune (on validation) chose its learning rate and passes on the same validation examples
    (`tuning.choose_recipe`). Both sides are read as chosen: nothing here is picked on the test split.
    """
    results, candidates, settings = run.results, run.candidates, run.settings
    best, tuned = results.loc["best prompt"], results.loc[best_of(results, "fine-tuning")]
    prompts = candidates[candidates["approach"] == "best prompt"]
    validation = len(settings.rows("validation"))
    prompting = {
        "attempts (prompts or training runs tried)": len(prompts),
        "tokens written by hand": sum(written_tokens(tokenizer, settings.task, p) for p in prompts["pattern"].unique()),
        "labelled examples it uses": int(best["labelled_examples"]),
        "labelled validation examples (to choose)": validation,
        "validation answers while choosing": int(prompts["n"].sum()),
        "machine minutes to choose": round(float((prompts["latency_s"] * prompts["n"]).sum()) / 60, 1),
        "test accuracy": f"{format_runs(best['run_scores'])} ({best['prompt']})",
    }
    fine_tuning = {
        "attempts (prompts or training runs tried)": int(tuned["selection_runs"]),
        "tokens written by hand": written_tokens(tokenizer, settings.task, "zero_shot"),
        "labelled examples it uses": int(tuned["labelled_examples"]),
        "labelled validation examples (to choose)": validation,
        "validation answers while choosing": int(tuned["selection_validation_answers"]),
        "machine minutes to choose": round(float(tuned["selection_seconds"]) / 60, 1),
        "test accuracy": f"{format_runs(tuned['run_scores'])} ({tuned.name}, {tuned['runs']:.0f} seeds)",
    }
    return pd.DataFrame({"prompting": prompting, "fine-tuning": fine_tuning})
