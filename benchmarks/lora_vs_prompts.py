"""Notebook 04's performance target, measured in full mode: does the LoRA fine-tune beat notebook 02's best
prompt pattern on the whole reviews test split by at least 30 accuracy points?

    .venv/bin/python benchmarks/lora_vs_prompts.py     # about an hour on 2 CPU cores

1. Notebook 02's measurements of the reviews (`helpers.prompting.evaluation.review_plan`, full mode: every pattern,
   the vote, label scoring) on the whole validation split, to choose the best prompt; then that prompt
   (and the zero-shot one) on all the test reviews. Choose on validation, report on test.
2. The LoRA fine-tune of `configs/reviews_lora.json` through `helpers.finetuning.finetune` (the notebook's training
   loop as a command), evaluated on the same test reviews with the zero-shot prompt; its metrics.json is
   reused when an earlier run of the same config left one.
Prints both and the margin, and writes them to benchmarks/lora_vs_prompts.md.
"""

import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.pop("COURSE_QUICK", None)  # full mode, whatever the shell says
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd  # noqa: E402
import torch  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from helpers.finetuning import finetune
from helpers.llm.memory import free_memory  # noqa: E402
from helpers.llm.models import load_model  # noqa: E402
from helpers.prompting import prompts  # noqa: E402
from helpers.prompting.data import balanced_sample, load_reviews  # noqa: E402
from helpers.prompting.evaluation import best_pattern, evaluate, review_plan  # noqa: E402

CONFIG = Path(__file__).resolve().parents[1] / "configs" / "reviews_lora.json"
TARGET_POINTS = 30


def prompt_results(validation: pd.DataFrame, test: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every measurement of notebook 02 (full mode) on `validation`, one row per pattern and method; then the
    best of them and zero-shot (greedy) on `test`."""
    model, tokenizer = load_model()
    patterns = prompts.catalog("reviews", pool=load_reviews("train"), k=4)
    plan = review_plan(patterns)
    rows = [
        evaluate(model, tokenizer, patterns[name], validation, "reviews", method, name=name, **options)[0]
        for name, method, options in tqdm(plan, desc="prompt patterns, validation")
    ]
    chosen = pd.concat(rows, ignore_index=True)
    best = best_pattern(chosen, "reviews")
    options = next(o for name, method, o in plan if (name, method) == (best.pattern, best.method))
    tested = [
        evaluate(model, tokenizer, patterns[name], test, "reviews", method, name=name, **extra)[0]
        for name, method, extra in [(best.pattern, best.method, options), ("zero_shot", "generate", {})]
    ]
    return chosen, pd.concat(tested, ignore_index=True)


def lora_metrics() -> dict:
    """metrics.json of the sample config's LoRA run (trained and evaluated now unless an earlier run left it)."""
    config = finetune.read_config(CONFIG)
    saved = Path(config["output_dir"]) / "metrics.json"
    if (
        saved.exists()
        and json.loads(saved.read_text())["config"] == config
        and json.loads(saved.read_text()).get("evaluated")
    ):
        return json.loads(saved.read_text())
    return finetune.run(config)


def markdown_table(frame: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table (pandas' own `to_markdown` needs the optional `tabulate`)."""
    rows = [list(frame.columns), ["---"] * len(frame.columns), *frame.astype(str).values.tolist()]
    return "\n".join("| " + " | ".join(map(str, row)) + " |" for row in rows)


def main():
    began = time.perf_counter()
    test = balanced_sample(load_reviews("test"), len(load_reviews("test")))
    validation = balanced_sample(load_reviews("validation"), len(load_reviews("validation")))
    chosen, tested = prompt_results(validation, test)
    free_memory()
    lora = lora_metrics()
    best = tested.iloc[0]
    margin = 100 * (lora["test_accuracy"] - best.accuracy)
    columns = ["pattern", "method", "accuracy", "unparseable_rate", "prompt_tokens", "latency_s"]
    table = chosen[columns].sort_values("accuracy", ascending=False, kind="stable").round(3)
    lines = [
        "# LoRA fine-tune vs notebook 02's best prompt (full mode)",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPU cores, torch {torch.__version__}"
        f"{', CUDA ' + torch.cuda.get_device_name() if torch.cuda.is_available() else ', no GPU'}.",
        f"Command: `python benchmarks/lora_vs_prompts.py`; {time.perf_counter() - began:.0f} s in all.",
        "",
        f"Test split: {len(test)} reviews ({len(test) // 5} per label). Chance: 20%.",
        "",
        f"## Prompt patterns (notebook 02's plan, full mode) on the {len(validation)} validation reviews",
        "",
        markdown_table(table),
        "",
        f"## The chosen prompt, and zero-shot, on the {len(test)} test reviews",
        "",
        markdown_table(tested[columns].round(3)),
        "",
        "## LoRA fine-tune (`configs/reviews_lora.json` through `helpers.finetuning.finetune`)",
        "",
        f"{lora['train_examples']} training examples, {lora['steps']} steps of {lora['config']['batch_size']}, "
        f"rank {lora['config']['lora']['rank']} on {', '.join(lora['config']['lora']['target_modules'])}, "
        f"{lora['seconds_per_step']:.2f} s/step on {lora['device']}; test accuracy "
        f"**{lora['test_accuracy']:.1%}** on {lora['test_examples']} test reviews (zero-shot prompt, greedy).",
        "",
        "## Target",
        "",
        f"Best prompt (chosen on validation): {best.pattern} ({best.method}) {best.accuracy:.1%} on test. "
        f"LoRA: {lora['test_accuracy']:.1%}. "
        f"Margin: **{margin:+.1f} points** (target: at least +{TARGET_POINTS}) -> "
        f"{'met' if margin >= TARGET_POINTS else 'NOT met'}.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    (Path(__file__).parent / "lora_vs_prompts.md").write_text(text)


if __name__ == "__main__":
    main()
