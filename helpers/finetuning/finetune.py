"""The notebook's fine-tune as a command: the same code on a laptop CPU or on several GPUs.

    python -m helpers.finetuning.finetune --config configs/reviews_lora.json
    accelerate launch --num_processes 4 -m helpers.finetuning.finetune --config configs/reviews_lora.json
    ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 -m helpers.finetuning.finetune --config
    ...  # gloo

`accelerate launch` starts one process per GPU (or per CPU share, as the tests do); `accelerate.Accelerator` gives
each its device, wraps the model for data parallelism (every process trains on
its own slice of each batch, gradients are averaged) and shards the data. The
training loop is `helpers.finetuning.training.train`, unchanged. `batch_size` is per
process, so N processes train on N x batch_size examples per step: two processes with batches of 2 take the
same steps as one with batches of 4 (`tests/test_finetune.py` checks that their losses agree). The logged loss
of a step is the mean over the processes.

The config is a JSON object; every key is optional (defaults in DEFAULTS):
    task            a course task: "reviews", "movie_reviews", "synthetic_reviews", "tickets" or "replies" (the
                    house style; its test accuracy is the mean share of house-style rules a reply meets)
    model           a Hugging Face id, null for the course model, "tiny" for a tiny random one (tests)
    method          "lora" or "full"
    lora            {"rank", "alpha", "target_modules", "dropout"}
    optimizer       "adamw", "adafactor" or "sgd"
    learning_rate, batch_size, seed, checkpointing (see helpers.finetuning.training.train)
    epochs or steps how long to train (steps wins when given)
    train_examples  how many training examples (balanced over labels); null for all
    eval_examples   how many test examples to evaluate on; null for all, 0 for none
    output_dir      where the adapter (or model) and metrics.json go; null: the course cache, runs/<config name>.
                    `~` is your home; a folder holding files the course did not write is refused before training

Every setting's type and range is checked before a model loads. The main process saves
the adapter (or model) and metrics.json as soon as training ends (also when it was
interrupted: what was learnt is kept, marked "interrupted"), then evaluates on the test
split with `helpers.prompting.evaluation.evaluate` (the canonical zero-shot prompt, greedy answers,
with progress) and adds the test accuracy to metrics.json ("evaluated": true).
"""

import argparse
import json
import math
import shutil
import sys
from functools import partial
from pathlib import Path

from accelerate import Accelerator

from ..core.config import cache_dir
from ..core.errors import CourseError
from ..core.files import output_folder, partial_folder, replace_folder, write_text
from ..llm.models import load_model, load_tokenizer, tiny_random_model
from ..prompting.data import balanced_sample
from ..prompting.evaluation import evaluate
from ..prompting.prompts import zero_shot
from ..prompting.tasks import COURSE_TASKS, Task, get_task
from .training import (
    LINEAR_MODULES,
    LORA_LEARNING_RATE,
    LORA_RANK,
    OPTIMIZERS,
    add_lora,
    make_fully_trainable,
    steps_for_epochs,
    task_examples,
    train,
)

DEFAULTS = {
    "task": "reviews",
    "model": None,
    "method": "lora",
    "lora": {"rank": LORA_RANK, "alpha": 2 * LORA_RANK, "target_modules": list(LINEAR_MODULES), "dropout": 0.0},
    "optimizer": "adamw",
    "learning_rate": LORA_LEARNING_RATE,
    "batch_size": 8,
    "epochs": 1,
    "steps": None,
    "train_examples": None,
    "eval_examples": None,
    "checkpointing": False,
    "seed": 0,
    "output_dir": None,
}


def _whole(value, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# Each setting: a check of its value and what a valid one looks like (None is allowed where the default is None).
CHECKS = {
    "task": (lambda v: v in COURSE_TASKS, "one of " + ", ".join(map(repr, COURSE_TASKS))),
    "model": (
        lambda v: v is None or (isinstance(v, str) and v.strip() != ""),
        'null (the course model), a Hugging Face id or "tiny"',
    ),
    "method": (lambda v: v in ("lora", "full"), "'lora' or 'full'"),
    "optimizer": (lambda v: v in OPTIMIZERS, f"one of {', '.join(OPTIMIZERS)}"),
    "learning_rate": (lambda v: _number(v) and 0 < v <= 1, "a number above 0 and at most 1, e.g. 0.003"),
    "batch_size": (lambda v: _whole(v, 1), "a whole number of at least 1, e.g. 8"),
    "epochs": (lambda v: _whole(v, 1), "a whole number of at least 1"),
    "steps": (lambda v: v is None or _whole(v, 1), "null (use epochs) or a whole number of at least 1"),
    "train_examples": (lambda v: v is None or _whole(v, 1), "null (all) or a whole number of at least 1"),
    "eval_examples": (lambda v: v is None or _whole(v, 0), "null (all), 0 (none) or a whole number"),
    "checkpointing": (lambda v: isinstance(v, bool), "true or false"),
    "seed": (lambda v: _whole(v, 0), "a whole number of at least 0"),
    "output_dir": (
        lambda v: v is None or (isinstance(v, str) and v.strip() != ""),
        "null (the course cache) or a folder",
    ),
    "lora": (lambda v: isinstance(v, dict), 'an object of LoRA settings, like {"rank": 8}'),
}
LORA_CHECKS = {
    "rank": (lambda v: _whole(v, 1), "a whole number of at least 1, e.g. 8"),
    "alpha": (lambda v: _number(v) and v > 0, "a number above 0, e.g. 16"),
    "dropout": (lambda v: _number(v) and 0 <= v < 1, "a number from 0 up to (not including) 1"),
    "target_modules": (
        lambda v: isinstance(v, list) and len(v) > 0 and set(v) <= set(LINEAR_MODULES),
        f"a non-empty list of {', '.join(LINEAR_MODULES)}",
    ),
}


def _check(path: Path, given: dict, checks: dict, where: str = "") -> None:
    """Refuse unknown keys and values of the wrong type or range, naming the setting and a valid value."""
    unknown = sorted(set(given) - set(checks))
    if unknown:
        raise CourseError(
            f"{path}: unknown setting(s) {', '.join(where + key for key in unknown)}; "
            f"known: {', '.join(where + key for key in checks)}."
        )
    for key, value in given.items():
        valid, expected = checks[key]
        if not valid(value):
            raise CourseError(f"{path}: {where}{key} must be {expected} (got {json.dumps(value)}).")


def read_config(path) -> dict:
    """The config file merged over DEFAULTS, with every value's type and range checked before anything loads."""
    path = Path(path)
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "not found"
        raise CourseError(f"Config file {path} {what}: pass e.g. --config configs/reviews_lora.json.")
    try:
        given = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise CourseError(f"{path} is not valid JSON (line {error.lineno}: {error.msg}).") from None
    except UnicodeDecodeError:
        raise CourseError(f"{path} is not a UTF-8 text file: save the config as plain JSON.") from None
    if not isinstance(given, dict):
        raise CourseError(f'{path} must hold one JSON object of settings, like {{"method": "lora"}}.')
    _check(path, given, CHECKS)
    _check(path, given.get("lora", {}), LORA_CHECKS, where="lora.")
    config = {**DEFAULTS, **given, "lora": {**DEFAULTS["lora"], **given.get("lora", {})}}
    config["output_dir"] = str(
        output_folder(config["output_dir"] or cache_dir() / "runs" / path.stem, f"{path}: output_dir")
    )
    return config


def training_data(config: dict, task: Task, tokenizer) -> list[dict]:
    """Chat-form examples of the training split: the canonical prompt, then the ideal answer."""
    table = task.split("train")
    n = config["train_examples"]
    if n is not None:
        table = balanced_sample(table, n, label_column=task.label_column, seed=config["seed"])
    return task_examples(tokenizer, table, task)


def build_model(config: dict, device):
    """The base model on `device` (the tiny random one for tests), made trainable as configured."""
    if config["model"] == "tiny":
        tokenizer = load_tokenizer()
        model = tiny_random_model(tokenizer, seed=config["seed"]).to(device)
    else:
        model, tokenizer = load_model(config["model"], device=str(device))
    if config["method"] == "lora":
        lora = config["lora"]
        model = add_lora(model, lora["rank"], lora["alpha"], lora["target_modules"], lora["dropout"])
    else:
        model = make_fully_trainable(model)
    return model, tokenizer


def finished_run(folder: Path) -> bool:
    """Whether `folder` holds a run that trained to the end (its metrics.json says it was not interrupted)."""
    try:
        return json.loads((folder / "metrics.json").read_text()).get("interrupted") is False
    except (OSError, ValueError, AttributeError):
        return False


def save(folder: Path, model, tokenizer, metrics: dict) -> Path:
    """Write the model (LoRA: the adapter) and metrics.json into `folder` as one step: a new folder is filled
    beside it and swapped in, so a killed run never leaves a half-written folder or the old model's files.

    A stopped run never replaces a finished one: it is saved beside it, in `<folder>-stopped`. Returns the folder."""
    if metrics["interrupted"] and finished_run(folder):
        folder = folder.with_name(f"{folder.name}-stopped")
    partial = partial_folder(folder)
    try:
        model.save_pretrained(partial)  # LoRA: adapter_model.safetensors; full: model.safetensors
        tokenizer.save_pretrained(partial)
        (partial / "metrics.json").write_text(json.dumps(metrics, indent=2))
        replace_folder(partial, folder)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return folder


def run(config: dict) -> dict:
    """Train, save, then evaluate as `config` says; return the metrics (written to output_dir by the main process).

    The trained weights and the loss history are saved as soon as training ends, interrupted or not, so an
    evaluation problem (or a second Ctrl-C during it) never loses them; metrics.json then gains the test accuracy.
    """
    task = get_task(config["task"])  # the one place the config's task name is resolved
    accelerator = Accelerator()
    model, tokenizer = build_model(config, accelerator.device)
    examples = training_data(config, task, tokenizer)
    steps = config["steps"] or steps_for_epochs(
        len(examples), config["batch_size"] * accelerator.num_processes, config["epochs"]
    )

    def stop_if_diverged(step, loss):
        if not math.isfinite(loss):
            raise CourseError(
                f"The loss became {loss} at step {step}: learning_rate {config['learning_rate']} is too "
                "high for this run. Try a tenth of it; nothing was saved."
            )

    result = train(
        model,
        tokenizer,
        examples,
        steps=steps,
        batch_size=config["batch_size"],
        learning_rate=config["learning_rate"],
        optimizer=config["optimizer"],
        checkpointing=config["checkpointing"],
        seed=config["seed"],
        accelerator=accelerator,
        progress=accelerator.is_local_main_process,
        on_step=stop_if_diverged,
    )
    accelerator.wait_for_everyone()
    metrics = {
        "config": config,
        "processes": accelerator.num_processes,
        "device": str(accelerator.device),
        "train_examples": len(examples),
        "steps": len(result.losses),
        "interrupted": result.interrupted,
        "trainable_parameters": result.trainable_parameters,
        "seconds_per_step": result.seconds_per_step,
        "peak_memory_bytes": result.peak_memory_bytes,
        "optimizer_state_bytes": result.optimizer_state_bytes,
        "losses": result.losses,
        "evaluated": False,
    }
    if accelerator.is_main_process:
        model = accelerator.unwrap_model(result.model)
        output = save(Path(config["output_dir"]), model, tokenizer, metrics)
        metrics["saved_to"] = str(output)
        if config["eval_examples"] != 0 and not result.interrupted:
            test = task.split("test")
            if config["eval_examples"] is not None:
                test = balanced_sample(test, min(config["eval_examples"], len(test)), label_column=task.label_column)
            summary, _ = evaluate(
                model,
                tokenizer,
                partial(zero_shot, task=task),
                test,
                task,
                method="generate",
                name=f"fine-tuned ({config['method']})",
                progress=True,
            )
            metrics.update(test_accuracy=float(summary["accuracy"].iloc[0]), test_examples=len(test), evaluated=True)
            write_text(
                output / "metrics.json", json.dumps({k: v for k, v in metrics.items() if k != "saved_to"}, indent=2)
            )
    accelerator.wait_for_everyone()
    return metrics


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Fine-tune the course model as a JSON config says.")
    parser.add_argument("--config", required=True, help="path to a JSON config, e.g. configs/reviews_lora.json")
    args = parser.parse_args(argv)
    try:
        metrics = run(read_config(args.config))
    except CourseError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if "saved_to" in metrics:  # only the main process saves and prints
        accuracy = f", test accuracy {metrics['test_accuracy']:.1%}" if "test_accuracy" in metrics else ""
        stopped = " (stopped early: what was learnt is saved, not evaluated)" if metrics["interrupted"] else ""
        if metrics["saved_to"] != metrics["config"]["output_dir"]:
            stopped += f"; the finished run in {metrics['config']['output_dir']} is kept"
        print(
            f"{metrics['steps']} steps on {metrics['processes']} process(es), "
            f"{metrics['seconds_per_step']:.2f} s/step{accuracy}{stopped}; saved to {metrics['saved_to']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
