"""The notebook's fine-tune as a command: the same code on a laptop CPU or on several GPUs.

    python -m helpers.finetune --config configs/reviews_lora.json
    accelerate launch --num_processes 4 -m helpers.finetune --config configs/reviews_lora.json

`accelerate launch` starts one process per GPU; `accelerate.Accelerator` gives
each its device, wraps the model for data parallelism (every process trains on
its own slice of each batch, gradients are averaged) and shards the data. The
training loop is `helpers.training.train`, unchanged. `batch_size` is per
process, so N processes train on N x batch_size examples per step.

The config is a JSON object; every key is optional (defaults in DEFAULTS):
    task            "reviews" or "tickets"
    model           a Hugging Face id, null for the course model, "tiny" for a tiny random one (tests)
    method          "lora" or "full"
    lora            {"rank", "alpha", "target_modules", "dropout"}
    optimizer       "adamw", "adafactor" or "sgd"
    learning_rate, batch_size, seed, checkpointing (see helpers.training.train)
    epochs or steps how long to train (steps wins when given)
    train_examples  how many training examples (balanced over labels); null for all
    eval_examples   how many test examples to evaluate on; null for all, 0 for none
    output_dir      where the adapter (or model) and metrics.json go; null: the course cache, runs/<config name>

The main process evaluates on the test split with `helpers.evaluation.evaluate`
(the canonical zero-shot prompt, greedy answers) and writes metrics.json.
"""
import argparse
import json
import sys
from pathlib import Path

from accelerate import Accelerator

from .config import cache_dir
from .data import balanced_sample, load_reviews, load_tickets
from .errors import CourseError
from .evaluation import evaluate
from .models import load_model, load_tokenizer, tiny_random_model
from .prompts import answer_text, zero_shot_reviews, zero_shot_tickets
from .training import LINEAR_MODULES, OPTIMIZERS, add_lora, make_fully_trainable, sft_examples, steps_for_epochs, train

DEFAULTS = {
    "task": "reviews", "model": None, "method": "lora",
    "lora": {"rank": 16, "alpha": 32, "target_modules": list(LINEAR_MODULES), "dropout": 0.0},
    "optimizer": "adamw", "learning_rate": 5e-4, "batch_size": 8, "epochs": 1, "steps": None,
    "train_examples": None, "eval_examples": None, "checkpointing": False, "seed": 0,
    "output_dir": None,
}
PATTERNS = {"reviews": zero_shot_reviews, "tickets": zero_shot_tickets}
LOADERS = {"reviews": load_reviews, "tickets": load_tickets}
LABEL_COLUMNS = {"reviews": "label", "tickets": "issue_type"}


def read_config(path) -> dict:
    """The config file merged over DEFAULTS, with every value checked."""
    path = Path(path)
    if not path.exists():
        raise CourseError(f"Config file {path} not found: pass e.g. --config configs/reviews_lora.json.")
    try:
        given = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise CourseError(f"{path} is not valid JSON (line {error.lineno}: {error.msg}).") from None
    if not isinstance(given, dict):
        raise CourseError(f"{path} must hold one JSON object of settings, like {{\"method\": \"lora\"}}.")
    unknown = sorted(set(given) - set(DEFAULTS))
    if unknown:
        raise CourseError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(DEFAULTS)}.")
    config = {**DEFAULTS, **given, "lora": {**DEFAULTS["lora"], **given.get("lora", {})}}
    config["output_dir"] = config["output_dir"] or str(cache_dir() / "runs" / path.stem)
    if config["task"] not in PATTERNS:
        raise CourseError(f"{path}: task must be 'reviews' or 'tickets' (got {config['task']!r}).")
    if config["method"] not in ("lora", "full"):
        raise CourseError(f"{path}: method must be 'lora' or 'full' (got {config['method']!r}).")
    if config["optimizer"] not in OPTIMIZERS:
        raise CourseError(f"{path}: optimizer must be one of {', '.join(OPTIMIZERS)} (got {config['optimizer']!r}).")
    return config


def training_data(config: dict, tokenizer) -> list[dict]:
    """Chat-form examples of the training split: the canonical prompt, then the ideal answer."""
    task = config["task"]
    table = LOADERS[task]("train")
    n = config["train_examples"]
    if n is not None:
        table = balanced_sample(table, n, label_column=LABEL_COLUMNS[task], seed=config["seed"])
    prompts = [PATTERNS[task](text) for text in table["text"]]
    return sft_examples(tokenizer, prompts, [answer_text(row, task) for _, row in table.iterrows()])


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


def run(config: dict) -> dict:
    """Train and evaluate as `config` says; return the metrics (written to output_dir by the main process)."""
    accelerator = Accelerator()
    model, tokenizer = build_model(config, accelerator.device)
    examples = training_data(config, tokenizer)
    steps = config["steps"] or steps_for_epochs(len(examples), config["batch_size"] * accelerator.num_processes,
                                               config["epochs"])
    result = train(model, tokenizer, examples, steps=steps, batch_size=config["batch_size"],
                   learning_rate=config["learning_rate"], optimizer=config["optimizer"],
                   checkpointing=config["checkpointing"], seed=config["seed"], accelerator=accelerator,
                   progress=accelerator.is_local_main_process)
    accelerator.wait_for_everyone()
    metrics = {"config": config, "processes": accelerator.num_processes, "device": str(accelerator.device),
               "train_examples": len(examples), "steps": len(result.losses), "interrupted": result.interrupted,
               "trainable_parameters": result.trainable_parameters, "seconds_per_step": result.seconds_per_step,
               "peak_memory_bytes": result.peak_memory_bytes, "optimizer_state_bytes": result.optimizer_state_bytes,
               "losses": result.losses}
    if accelerator.is_main_process:
        model = accelerator.unwrap_model(result.model)
        if config["eval_examples"] != 0:
            task = config["task"]
            test = LOADERS[task]("test")
            if config["eval_examples"] is not None:
                test = balanced_sample(test, config["eval_examples"], label_column=LABEL_COLUMNS[task])
            summary, _ = evaluate(model, tokenizer, PATTERNS[task], test, task, method="generate",
                                  name=f"fine-tuned ({config['method']})")
            metrics["test_accuracy"] = float(summary["accuracy"].iloc[0])
            metrics["test_examples"] = len(test)
        output = Path(config["output_dir"])
        model.save_pretrained(output)  # LoRA: adapter_model.safetensors; full: model.safetensors
        tokenizer.save_pretrained(output)
        (output / "metrics.json").write_text(json.dumps(metrics, indent=2))
        metrics["saved_to"] = str(output)
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
        print(f"{metrics['steps']} steps on {metrics['processes']} process(es), "
              f"{metrics['seconds_per_step']:.2f} s/step{accuracy}; saved to {metrics['saved_to']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
