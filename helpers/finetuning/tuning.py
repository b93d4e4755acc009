"""A fine-tune, and its recipe chosen on validation as a prompt pattern is: the learning rate and the passes.

    recipe, search, model, tokenizer, info = choose_recipe(task, rows, validation, "lora", folder=folder)
    model, tokenizer, info = train_recipe(task, rows, recipe, seed=1)     # the same recipe, another training seed

A recipe is a kind of fine-tune ("lora": adapters on every linear layer, AdamW; "full": every weight but the token
embedding, Adafactor), a learning rate, and a number of passes over the training rows. Each candidate learning rate
trains for `max_passes` passes on a schedule whose rate falls to 0 at their end; after every pass the model answers
the validation rows with the canonical prompt, and the best (rate, pass) wins (ties: fewer passes, then the lower
rate). That checkpoint is the recipe's first seed; another seed (adapter start and data order) trains the same rate on
the same schedule and stops after the chosen passes. So both sides of the head-to-head are chosen the same way, on the
same validation rows, and what the choice cost (runs, seconds, validation answers) is counted.
"""

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from safetensors.torch import load_file, save_file

from ..core.costs import tokens_trained, training_flops
from ..core.errors import CourseError
from ..llm.models import count_parameters, load_model
from ..prompting.evaluation import EVAL_BATCH, evaluate
from ..prompting.prompts import zero_shot
from ..prompting.tasks import Task, require_task
from .training import LINEAR_MODULES, LORA_RANK, add_lora, make_fully_trainable, task_examples, train

KINDS = ("lora", "full")
LEARNING_RATES = {
    "lora": (3e-4, 1e-3, 3e-3),  # AdamW on the adapters
    "full": (1e-4, 3e-4, 1e-3),
}  # Adafactor: a step relative to each weight's size


@dataclass(frozen=True)
class Recipe:
    """How to fine-tune: what trains, how fast, for how long (chosen on validation by `choose_recipe`)."""

    kind: str
    learning_rate: float
    passes: int  # passes over the training rows
    max_passes: int  # the schedule's length in passes: the rate falls to 0 at its end
    batch_size: int
    lora_rank: int = LORA_RANK

    def steps(self, n_rows: int) -> tuple[int, int]:
        """(optimizer steps to run, steps of the whole schedule) for `n_rows` training rows."""
        per_pass = math.ceil(n_rows / self.batch_size)
        return self.passes * per_pass, self.max_passes * per_pass


def trainable_model(kind: str, model_id: str | None, seed: int, lora_rank: int = LORA_RANK):
    """A fresh copy of the base model made trainable: (model, tokenizer, optimizer name)."""
    if kind not in KINDS:
        raise CourseError(f"Unknown kind of fine-tune {kind!r}: use 'lora' or 'full'.")
    model, tokenizer = load_model(model_id)
    if kind == "lora":
        return (
            add_lora(model, rank=lora_rank, alpha=2 * lora_rank, target_modules=LINEAR_MODULES, seed=seed),
            tokenizer,
            "adamw",
        )
    return make_fully_trainable(model, freeze_embeddings=True), tokenizer, "adafactor"


def fine_tune(
    task: Task,
    rows: pd.DataFrame,
    *,
    kind: str = "lora",
    learning_rate: float,
    passes: int,
    max_passes: int | None = None,
    batch_size: int = 8,
    lora_rank: int = 8,
    seed: int = 0,
    model_id: str | None = None,
    validation: pd.DataFrame | None = None,
    on_pass=None,
    progress: bool = True,
):
    """Train a fresh copy of the base model on labelled `rows` of `task`: (model, tokenizer, info).

    The examples are the task's canonical zero-shot prompt and its ideal answer (`training.task_examples`), so the
    fine-tuned model is asked exactly as the zero-shot baseline is. `passes` of a schedule `max_passes` long (default:
    as long). With `validation`, the model answers it after every pass (`info["validation"]`: one accuracy per pass) and
    `on_pass(pass_number, accuracy, model)` is called. A stopped run raises CourseError: a measurement needs it whole.
    info: labelled_examples, steps, training_seconds, training_flops, trainable_parameters, parameters, losses,
    validation.
    """
    require_task(task)
    model, tokenizer, optimizer = trainable_model(kind, model_id, seed, lora_rank)
    examples = task_examples(tokenizer, rows, task)
    recipe = Recipe(kind, learning_rate, passes, max_passes or passes, batch_size, lora_rank)
    steps, schedule_steps = recipe.steps(len(examples))
    per_pass = steps // passes
    scores = []

    def after_step(step, loss):
        if validation is not None and step % per_pass == 0:
            model.eval()  # answer as a finished model does: with its cache, never through checkpointing
            summary, _ = evaluate(
                model,
                tokenizer,
                lambda text: zero_shot(text, task),
                validation,
                task,
                batch_size=EVAL_BATCH,
                progress=progress,
            )
            model.train()
            scores.append(float(summary.loc[0, "accuracy"]))
            if on_pass is not None:
                on_pass(step // per_pass, scores[-1], model)

    result = train(
        model,
        tokenizer,
        examples,
        steps=steps,
        schedule_steps=schedule_steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        optimizer=optimizer,
        seed=seed,
        progress=progress,
        on_step=after_step,
        checkpointing=model.device.type == "cpu",
    )  # less memory on a laptop (notebook 04, section 10)
    if result.interrupted:
        raise CourseError(
            f"The fine-tune was stopped after {len(result.losses)} of {steps} steps. A measurement needs the whole "
            "run, so this one was not kept: run it again to measure it (what was measured before it is kept), or use "
            "quick mode."
        )
    info = {
        "labelled_examples": len(rows),
        "steps": steps,
        "training_seconds": result.seconds_per_step * steps,
        "training_flops": training_flops(
            count_parameters(model), tokens_trained(examples, steps, batch_size), result.trainable_parameters
        ),
        "trainable_parameters": result.trainable_parameters,
        "parameters": count_parameters(model),
        "losses": result.losses,
        "validation": scores,
    }
    return result.model, tokenizer, info


def _trained_weights(model) -> dict:
    return {
        name: parameter.detach().cpu().clone()
        for name, parameter in model.named_parameters()
        if parameter.requires_grad
    }


def choose_recipe(
    task: Task,
    rows: pd.DataFrame,
    validation: pd.DataFrame,
    kind: str,
    folder,
    *,
    learning_rates=None,
    max_passes: int = 3,
    batch_size: int = 8,
    lora_rank: int = 8,
    model_id: str | None = None,
    progress: bool = True,
    keep=None,
):
    """Train one run per learning rate (seed 0), answer the validation rows after every pass, keep the best checkpoint.

    Returns (recipe, search, model, tokenizer, info): `search` has one row per (learning_rate, pass) with its
    validation accuracy and the training seconds it took to get there; `model` is the winning checkpoint (the
    recipe's seed 0); `info` as `fine_tune`'s, for that run. Each learning rate's run leaves its best checkpoint
    in a folder of its own: `folder/rate-<rate>`, or where `keep(rate, run)` says: given a function `run(folder)`
    that trains and returns the run's record, `keep` returns (the record, its folder), for example from a cache,
    so that a search stopped half-way resumes with the next learning rate.
    """
    learning_rates = LEARNING_RATES[kind] if learning_rates is None else learning_rates  # (taken one at a time)

    def run_of(rate):
        def run(out):
            best = {"accuracy": -1.0, "passes": 0}

            def keep_if_best(number, accuracy, model):
                if accuracy > best["accuracy"]:  # ties keep the earlier: fewer passes
                    best.update(accuracy=accuracy, passes=number)
                    save_file(_trained_weights(model), str(Path(out) / "best.safetensors"))

            model, _, info = fine_tune(
                task,
                rows,
                kind=kind,
                learning_rate=rate,
                passes=max_passes,
                batch_size=batch_size,
                lora_rank=lora_rank,
                model_id=model_id,
                validation=validation,
                on_pass=keep_if_best,
                progress=progress,
            )
            del model
            return {"info": info, **best}

        return run

    def here(rate):  # a run in `folder` itself
        out = Path(folder) / f"rate-{rate:g}"
        out.mkdir(parents=True, exist_ok=True)
        return run_of(rate)(out), out

    runs = {rate: keep(rate, run_of(rate)) if keep is not None else here(rate) for rate in learning_rates}
    learning_rates = sorted(runs)  # (measured in the order given: two processes may share the runs)
    runs = {rate: runs[rate] for rate in learning_rates}
    rows_out = [
        {
            "kind": kind,
            "learning_rate": rate,
            "passes": number + 1,
            "validation_accuracy": accuracy,
            "training_seconds": record["info"]["training_seconds"] / max_passes * (number + 1),
        }
        for rate, (record, _) in runs.items()
        for number, accuracy in enumerate(record["info"]["validation"])
    ]
    rate = max(learning_rates, key=lambda r: runs[r][0]["accuracy"])  # (the first of a tie: the lower rate)
    record, where = runs[rate]
    if not (Path(where) / "best.safetensors").exists():  # not kept (a cache that could not be written): train it here
        record, where = runs[rate] = here(rate)
    recipe = Recipe(kind, rate, record["passes"], max_passes, batch_size, lora_rank)
    model, tokenizer, _ = trainable_model(kind, model_id, seed=0, lora_rank=lora_rank)
    loaded = model.load_state_dict(load_file(str(Path(where) / "best.safetensors")), strict=False)
    if loaded.unexpected_keys:  # (the missing keys are the frozen weights, which the snapshot leaves out)
        raise CourseError(f"The best checkpoint does not fit the model: {loaded.unexpected_keys[:3]} ...")
    model.eval()
    for other, (_, folder_of) in runs.items():  # the checkpoints that lost are not needed again (a full one: ~0.4 GB)
        if Path(folder_of).parent == Path(folder):  # a run of this call's own: all of it goes
            shutil.rmtree(folder_of, ignore_errors=True)
        elif other != rate:
            (Path(folder_of) / "best.safetensors").unlink(missing_ok=True)
    steps, _ = recipe.steps(len(rows))
    run = record["info"]  # the run the checkpoint comes from, up to the chosen pass
    info = {
        **run,
        "steps": steps,
        "training_seconds": run["training_seconds"] * recipe.passes / max_passes,
        "training_flops": run["training_flops"] * recipe.passes / max_passes,
        "losses": run["losses"][:steps],
        "validation": run["validation"][: recipe.passes],
    }
    return recipe, pd.DataFrame(rows_out), model, tokenizer, info


def train_recipe(
    task: Task, rows: pd.DataFrame, recipe: Recipe, seed: int, model_id: str | None = None, progress: bool = True
):
    """The recipe trained again from another seed (adapter start and data order): (model, tokenizer, info)."""
    return fine_tune(
        task,
        rows,
        kind=recipe.kind,
        learning_rate=recipe.learning_rate,
        passes=recipe.passes,
        max_passes=recipe.max_passes,
        batch_size=recipe.batch_size,
        lora_rank=recipe.lora_rank,
        seed=seed,
        model_id=model_id,
        progress=progress,
    )
