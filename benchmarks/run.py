"""How long a learner waits and how much memory the course needs, measured on this machine.

    python benchmarks/run.py                    # model load, generation, playground, LoRA
    python benchmarks/run.py --gpu              # add fine-tune throughput: our helper vs a plain Trainer (CUDA)
    python benchmarks/run.py --output /tmp/other.md   # another file, not results.md

Time and memory per notebook are not here: `benchmarks/cells.py --summary` writes them, cell by cell, into the one
table the README shows (benchmarks/notebook_times.md).
It prints a Markdown table and writes it, with the machine and the command, to benchmarks/results.md
(or --output), again after every row, so a long run that is stopped keeps what it measured.
This is a script, not a test: timings depend on the machine and on what else runs on it.
"""

import argparse
import copy
import datetime
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402

from helpers.core.environment import machine_summary  # noqa: E402
from helpers.experiments.style import sample_replies, styled_request  # noqa: E402
from helpers.finetuning.training import add_lora, collate, task_examples, train  # noqa: E402
from helpers.llm import kvcache, models  # noqa: E402
from helpers.llm.generation import generate, generate_batch  # noqa: E402
from helpers.llm.models import load_model  # noqa: E402
from helpers.prompting.data import balanced_sample, load_reviews  # noqa: E402
from helpers.prompting.tasks import REVIEWS  # noqa: E402

RESULTS = REPO_ROOT / "benchmarks" / "results.md"
MB = 1e6
# A fresh Python process: import first, then time only load_model; report its own peak memory.
LOAD_IN_FRESH_PROCESS = """
import resource, time
from helpers.llm.models import load_model
start = time.perf_counter()
load_model(device="cpu")
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


@dataclass
class Row:
    benchmark: str
    value: float
    unit: str
    setting: str

    def markdown(self) -> str:
        value = f"{self.value:,.0f}" if abs(self.value) >= 100 else f"{self.value:.3g}"
        return f"| {self.benchmark} | {value} | {self.unit} | {self.setting} |"


def model_load() -> list[Row]:
    """Cold: an empty cache, so the packaged GGUF file is converted. Warm: the cached copy is read."""
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "COURSE_CACHE": cache}
        for kind in ("cold", "warm"):
            done = subprocess.run(
                [sys.executable, "-c", LOAD_IN_FRESH_PROCESS],
                env=env,
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                check=True,
            )
            seconds, peak = map(float, done.stdout.split()[-2:])
            setting = "empty cache: GGUF converted to safetensors" if kind == "cold" else "cached safetensors"
            rows.append(Row(f"model load, {kind}", seconds, "s", f"{setting}, fresh process, CPU"))
            rows.append(Row(f"model load, {kind}: peak memory", peak / MB, "MB", "resident memory of that process"))
    return rows


def median_time(function, repeats: int):
    """Median seconds of `repeats` calls after one warm-up call; also the last result."""
    function()
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def generation(model, tokenizer, repeats: int = 3) -> list[Row]:
    device = model.device.type
    seconds, _ = median_time(
        lambda: generate(model, tokenizer, "What is the capital of France? Answer in one word.", max_new_tokens=8),
        repeats,
    )
    rows = [Row("generation latency, one-word answer", seconds, "s", f"greedy, median of {repeats}, {device}")]
    story = "Write a long story about a robot who learns to paint."
    seconds, answer = median_time(lambda: generate(model, tokenizer, story, max_new_tokens=64), repeats)
    rows.append(
        Row(
            "generation, 1 prompt",
            answer.output_tokens / seconds,
            "tokens/s",
            f"{answer.output_tokens} new tokens, greedy, median of {repeats}, {device}",
        )
    )
    prompts = [f"{story} Give it the name number {i}." for i in range(8)]
    seconds, answers = median_time(lambda: generate_batch(model, tokenizer, prompts, max_new_tokens=64), 1)
    rows.append(
        Row(
            "generation, batch of 8",
            sum(a.output_tokens for a in answers) / seconds,
            "tokens/s",
            f"64 new tokens each at most, greedy, {device}",
        )
    )
    return rows


def few_shot_reading(model, tokenizer, repeats: int = 3) -> list[Row]:
    """Reading eight 3-shot prompts (notebook 07's house-style requests, up to the first token of the answers):
    their shared beginning read once (`helpers.llm.kvcache`), and every prompt read whole, as before."""
    examples = sample_replies("train", 3)
    prompts = [styled_request(text, examples=examples) for text in sample_replies("test", 8)["text"]]
    read = lambda: generate_batch(model, tokenizer, prompts, max_new_tokens=1, batch_size=8)  # noqa: E731
    shared, answers = median_time(read, repeats)
    sharing = kvcache.prefix_groups
    kvcache.prefix_groups = lambda prompt_ids: [([row], 0) for row in range(len(prompt_ids))]  # nothing shared
    try:
        whole, _ = median_time(read, repeats)
    finally:
        kvcache.prefix_groups = sharing
    setting = (
        f"8 prompts of {min(a.prompt_tokens for a in answers)}-{max(a.prompt_tokens for a in answers)} tokens, "
        f"median of {repeats}, {model.device.type}"
    )
    return [
        Row("few-shot prompts read, shared beginning once", shared, "s", setting),
        Row("few-shot prompts read, each whole", whole, "s", setting),
        Row(
            "few-shot prompts read: whole time / shared time", whole / shared, "x", "same prompts, one after the other"
        ),
    ]


def playground_latency(model, tokenizer, repeats: int = 3) -> list[Row]:
    """What a playground user waits for: a 32-token answer, streamed, and its first token, in the course's
    arithmetic and in float32 (`COURSE_BFLOAT16=0`), so the ratio shows what bfloat16 products buy here
    (once where the course computes in float32 anyway)."""
    prompt, rows, seconds, course_setting = "Write a haiku about the sea.", [], {}, models.BFLOAT16_ALLOWED
    course = models.arithmetic(model.device)
    for name, allowed in [(course, course_setting)] + ([("float32", False)] if course != "float32" else []):
        models.BFLOAT16_ALLOWED = allowed
        try:
            total, answer = median_time(
                lambda: generate(model, tokenizer, prompt, max_new_tokens=32, on_text=lambda piece: None), repeats
            )
        finally:
            models.BFLOAT16_ALLOWED = course_setting
        seconds[name] = total
        setting = (
            f"{answer.output_tokens} new tokens, streamed, greedy, median of {repeats}, {model.device.type}, "
            f"{name} products"
        )
        rows += [
            Row(f"playground answer, {name}", total, "s", setting),
            Row(f"playground first token, {name}", answer.first_token_seconds, "s", setting),
        ]
    if len(seconds) == 2:
        fast = next(name for name in seconds if name != "float32")
        rows.append(
            Row(
                f"playground answer: float32 time / {fast} time",
                seconds["float32"] / seconds[fast],
                "x",
                "same prompt, same machine, one after the other",
            )
        )
    return rows


def review_examples(tokenizer, n: int = 64) -> list[dict]:
    """Training examples from the course's review data: zero-shot prompt -> label."""
    reviews = balanced_sample(load_reviews("train"), n)
    return task_examples(tokenizer, reviews, REVIEWS)


def mean_tokens(examples) -> float:
    return statistics.mean(len(example["input_ids"]) for example in examples)


def lora_step(model, tokenizer, steps: int = 8, batch_size: int = 8, repeats: int = 3) -> list[Row]:
    """Train a LoRA adapter on `model` itself (it is changed), as a notebook does: one model in memory; then
    answer with the fine-tuned model (its base weights frozen under the adapter)."""
    examples = review_examples(tokenizer)
    result = train(add_lora(model, rank=8), tokenizer, examples, steps=steps, batch_size=batch_size, progress=False)
    setting = (
        f"LoRA r=8 on q_proj, v_proj, batch {batch_size} x {mean_tokens(examples):.0f} tokens on average, "
        f"mean of {steps} steps, {model.device.type}"
    )
    story = "Write a long story about a robot who learns to paint."
    seconds, answer = median_time(lambda: generate(result.model, tokenizer, story, max_new_tokens=64), repeats)
    return [
        Row("LoRA step time", result.seconds_per_step, "s", setting),
        Row("LoRA training", batch_size * mean_tokens(examples) / result.seconds_per_step, "tokens/s", setting),
        Row(
            "LoRA training: peak memory",
            result.peak_memory_bytes / MB,
            "MB",
            "GPU memory allocated" if model.device.type == "cuda" else "resident memory of this process",
        ),
        Row(
            "generation with the LoRA model, 1 prompt",
            answer.output_tokens / seconds,
            "tokens/s",
            f"{answer.output_tokens} new tokens, greedy, median of {repeats}, {model.device.type}",
        ),
    ]


def trainer_versus_helper(model, tokenizer, steps: int = 50, batch_size: int = 16, n_examples: int = 256) -> list[Row]:
    """Fine-tune throughput of helpers.finetuning.training.train vs transformers' Trainer with default settings:
    same model, same LoRA adapter, same examples, same batch size, learning rate and number of steps."""
    from transformers import Trainer, TrainingArguments

    examples = review_examples(tokenizer, n=n_examples)
    tokens = steps * batch_size * mean_tokens(examples)

    def timed(run):
        if model.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        run()
        if model.device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    ours = timed(
        lambda: train(
            add_lora(copy.deepcopy(model).float(), rank=8),
            tokenizer,
            examples,
            steps=steps,
            batch_size=batch_size,
            progress=False,
        )
    )
    with tempfile.TemporaryDirectory() as output:
        arguments = TrainingArguments(
            output_dir=output,
            per_device_train_batch_size=batch_size,
            max_steps=steps,
            learning_rate=2e-4,
            report_to=[],
            save_strategy="no",
            disable_tqdm=True,
        )
        trainer = Trainer(
            model=add_lora(copy.deepcopy(model).float(), rank=8),
            args=arguments,
            train_dataset=examples,
            data_collator=lambda batch: collate(batch, tokenizer.pad_token_id),
        )
        theirs = timed(trainer.train)
    device = torch.cuda.get_device_name(0) if model.device.type == "cuda" else "cpu"
    setting = (
        f"LoRA r=8, {steps} steps of batch {batch_size}, {mean_tokens(examples):.0f} tokens per example on average, "
        f"{device}"
    )
    return [
        Row("fine-tune, our helper (train)", tokens / ours, "tokens/s", setting),
        Row("fine-tune, transformers Trainer (defaults)", tokens / theirs, "tokens/s", setting),
        Row("fine-tune throughput ratio, helper / Trainer", theirs / ours, "x", "same run, same data"),
    ]


def write_results(rows: list[Row], command: str, notes: list[str], load_before: float, output: Path) -> str:
    machine = ", ".join(f"{key} {value}" for key, value in machine_summary().items())
    load_after, busy = os.getloadavg()[0], max(load_before, os.getloadavg()[0]) > os.cpu_count()
    notes = [
        f"Load average (1 min) of the machine: {load_before:.1f} at the start, {load_after:.1f} at the end"
        + (": other work shared the CPU, so these timings are slower than on an idle machine." if busy else "."),
        *notes,
    ]
    table = "\n".join(
        ["| benchmark | value | unit | setting |", "|---|---:|---|---|", *(row.markdown() for row in rows)]
    )
    text = (
        f"# Benchmark results\n\nMeasured {datetime.date.today()} with `{command}` on: {machine}; "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads.\n\n{table}\n"
    )
    text += "\n" + "\n".join(f"- {note}" for note in notes) + "\n"
    output.write_text(text)
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-model", action="store_true", help="skip the model, generation and LoRA rows")
    parser.add_argument(
        "--gpu", action="store_true", help="also compare our fine-tune helper with a plain Trainer on CUDA"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS,
        help=f"where to write the table (default: {RESULTS.relative_to(REPO_ROOT)})",
    )
    args = parser.parse_args()
    notes, load_before, rows = [], os.getloadavg()[0], []
    command = "python benchmarks/run.py " + " ".join(sys.argv[1:])

    def add(new_rows):  # print each row as soon as it is measured, and keep the file up to date
        for row in new_rows:
            print(row.markdown(), flush=True)
            rows.append(row)
            write_results(rows, command, notes + ["Run in progress: rows so far."], load_before, args.output)

    model = None
    if not args.skip_model:
        add(model_load())
        model, tokenizer = load_model()
        add(generation(model, tokenizer))
        add(few_shot_reading(model, tokenizer))
        add(playground_latency(model, tokenizer))
        add(lora_step(model, tokenizer))
    if args.gpu:
        if torch.cuda.is_available():
            add(trainer_versus_helper(*load_model()))
        else:
            notes.append("--gpu asked, but no CUDA GPU here: the helper-vs-Trainer comparison was skipped.")
            print(notes[-1])
    print("\n" + write_results(rows, command, notes, load_before, args.output))
    print(f"\nWritten to {args.output}")


if __name__ == "__main__":
    main()
