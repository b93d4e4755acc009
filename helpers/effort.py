"""What each approach costs a person, not a machine: prompts written and tried, tokens typed, examples labelled.

    written_tokens(tokenizer, "reviews", "explicit")   # tokens a person wrote for that pattern
    effort_table(tokenizer, run, crossover_table)      # prompting vs fine-tuning, side by side

A prompt engineer writes instructions and tries them; a fine-tune needs labelled examples and one short
instruction. Both need labelled validation examples to choose with. The seed article says prompting effort
can approach fine-tuning effort; this puts numbers from the course's own runs on both sides.
"""
import pandas as pd

from .prompts import catalog
from .statistics import compare_paired


def written_tokens(tokenizer, task: str, pattern: str) -> int:
    """Tokens of the text a person wrote for a pattern: its messages without the input. A few-shot pattern
    repeats the zero-shot instruction around labelled examples, so a person wrote the zero-shot instruction."""
    name = "zero_shot" if pattern.startswith("few_shot") else pattern
    messages = catalog(task)[name]("X")
    count = lambda text: len(tokenizer(text, add_special_tokens=False).input_ids)  # noqa: E731
    return sum(count(message["content"]) for message in messages) - count("X")


def effort_table(tokenizer, run: dict, crossover_table: pd.DataFrame) -> pd.DataFrame:
    """Prompting vs fine-tuning on one task: what a person did for each (reviews: the crossover's LoRA sizes).

    `run` is a head-to-head result (its "candidates" were tried on validation, its "best prompt" won);
    fine-tuning needed the fewest labelled examples whose LoRA is not worse than the best prompt on the
    same test examples (paired test), trying the sizes of the crossover from the smallest.
    """
    results, candidates, settings = run["results"], run["candidates"], run["settings"]
    best = results.loc["best prompt"]
    lora = crossover_table[crossover_table["method"] == "LoRA fine-tune"].sort_values("labelled_examples")
    tried, reached = 0, None
    for _, row in lora.iterrows():
        tried += 1
        if compare_paired(row["scores"], best["scores"]).verdict != "B better":
            reached = row
            break
    prompting = {"attempts (prompts or training runs tried)": len(candidates),
                 "tokens written by hand": sum(written_tokens(tokenizer, settings.task, p) for p in candidates["pattern"]),
                 "labelled examples it uses": int(best["labelled_examples"]),
                 "labelled validation examples (to choose)": settings.n_validation,
                 "test accuracy": f"{best['accuracy']:.0%} ({best['prompt']})"}
    fine_tuning = {"attempts (prompts or training runs tried)": tried,
                   "tokens written by hand": written_tokens(tokenizer, settings.task, "zero_shot"),
                   "labelled examples it uses": (int(reached["labelled_examples"]) if reached is not None
                                                 else f"more than {int(lora['labelled_examples'].max())}"),
                   "labelled validation examples (to choose)": settings.n_validation,
                   "test accuracy": (f"{reached['accuracy']:.0%} (LoRA, not worse than the best prompt)" if reached is not None
                                     else "never matched the best prompt")}
    return pd.DataFrame({"prompting": prompting, "fine-tuning": fine_tuning})
