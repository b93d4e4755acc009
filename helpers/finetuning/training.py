"""Supervised fine-tuning (SFT) of a chat model, small enough to read top to bottom.

    examples = sft_examples(tokenizer, prompts, answers)   # chat form, loss on the answer only
    examples = task_examples(tokenizer, rows, REVIEWS)       # the same, from labelled rows of a task
    model = add_lora(model, rank=8)                          # or make_fully_trainable(model)
    result = train(model, tokenizer, examples, steps=100)    # losses, seconds per step, peak memory

The training data are conversations: the prompt is the user turn and the
expected answer (a label, or JSON) is the assistant turn, exactly the text that
`helpers.llm.generation.score_labels` and `generate` score and produce. So a
fine-tuned model is measured with the very same evaluation code as a prompt.

Why a hand-written loop and not transformers' `Trainer`: the lesson is what a
training step costs. Here the step is five visible lines (forward, loss,
backward, optimizer step, zero the gradients), timed and measured for memory,
and a Ctrl-C / the notebook's stop button ends it cleanly with what was learnt
so far. `Trainer` does the same and more, behind callbacks and arguments.
The loop also accepts an `accelerate.Accelerator`, so that the command line
(`python -m helpers.finetuning.finetune`) runs the same code on one CPU or several GPUs.
"""

import gc
import json
import math
import os
import resource
import sys
import threading
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from tqdm.auto import tqdm

from ..core.errors import CourseError
from ..llm.generation import chat_ids, text_ids
from ..llm.memory import trim_memory, trimming_between_layers
from ..llm.models import count_parameters, fast_arithmetic
from ..prompting.prompts import zero_shot
from ..prompting.tasks import Task, require_task

IGNORE_INDEX = -100  # label value that PyTorch's cross-entropy skips: "no loss here"
LINEAR_MODULES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
# The course's one LoRA recipe: rank 8, alpha twice the rank, on every linear layer (tuning.trainable_model; add_lora
# alone adapts q_proj and v_proj unless told). Its learning rate is chosen on validation (tuning.choose_recipe); where
# nothing is chosen (the panel, the command line) the reference run's choice for reviews is the starting point (a
# test checks it against results/).
LORA_RANK = 8
LORA_LEARNING_RATE = 3e-3
OPTIMIZERS = ("adamw", "adafactor", "sgd")


# --- Data: conversations with the loss on the answer tokens only -------------------------------


def sft_example(tokenizer, prompt, answer: str, system: str | None = None) -> dict:
    """One training example: token ids of prompt + answer, and labels that are -100 on the prompt.

    `prompt` is a string or chat messages (as in `helpers.llm.generation`); the answer
    is followed by the end-of-turn token, so the model also learns to stop.
    """
    if not str(answer).strip():
        raise CourseError("An answer (the assistant turn) is empty: every training example needs its expected output.")
    prompt_ids = chat_ids(tokenizer, prompt, system)
    answer_ids = text_ids(tokenizer, str(answer)) + [tokenizer.eos_token_id]
    return {"input_ids": prompt_ids + answer_ids, "labels": [IGNORE_INDEX] * len(prompt_ids) + answer_ids}


def sft_examples(tokenizer, prompts, answers, system: str | None = None) -> list[dict]:
    """Training examples for many (prompt, answer) pairs; see `sft_example`."""
    prompts, answers = list(prompts), list(answers)
    if len(prompts) != len(answers):
        raise CourseError(f"Got {len(prompts)} prompts but {len(answers)} answers: give one answer per prompt.")
    if not prompts:
        raise CourseError("No training examples: give at least one (prompt, answer) pair.")
    return [sft_example(tokenizer, p, a, system) for p, a in zip(prompts, answers)]


def task_examples(tokenizer, rows, task: Task) -> list[dict]:
    """Training examples from labelled rows of a task: its canonical (zero-shot) prompt, then the ideal answer,
    so that a fine-tuned model is asked exactly as the zero-shot baseline is."""
    require_task(task)
    return sft_examples(
        tokenizer, [zero_shot(text, task) for text in rows["text"]], [task.answer(row) for _, row in rows.iterrows()]
    )


def collate(examples: list[dict], pad_token_id: int) -> dict:
    """Pad a batch on the left, as for generation: every answer then ends at the last position.
    Padding gets attention 0 and label -100, so it costs no loss."""
    width = max(len(e["input_ids"]) for e in examples)
    input_ids = torch.full((len(examples), width), pad_token_id)
    labels = torch.full((len(examples), width), IGNORE_INDEX)
    attention_mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, example in enumerate(examples):
        n = len(example["input_ids"])
        input_ids[row, width - n :] = torch.tensor(example["input_ids"])
        labels[row, width - n :] = torch.tensor(example["labels"])
        attention_mask[row, width - n :] = 1
    return {"input_ids": input_ids, "attention_mask": attention_mask, "labels": labels}


def answer_loss(model, batch: dict, rows_at_a_time: int = 2) -> torch.Tensor:
    """Mean cross-entropy over the answer tokens of a left-padded batch.

    Only the answers are scored, so only the last positions' logits are computed
    (a vocabulary-wide row per position is the largest tensor of a small model), and
    they are turned into float32 log-probabilities `rows_at_a_time` examples at a time:
    the same gradients as all at once, with a fraction of the memory for long answers.
    """
    width = int((batch["labels"] != IGNORE_INDEX).sum(dim=1).max())  # longest answer, in tokens
    logits = model(
        input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], logits_to_keep=width + 1, use_cache=False
    ).logits  # (a cache only helps generation)
    targets = batch["labels"][:, -width:]
    total = sum(
        torch.nn.functional.cross_entropy(
            logits[i : i + rows_at_a_time, :-1].flatten(0, 1).float(),  # t predicts t + 1
            targets[i : i + rows_at_a_time].flatten(),
            ignore_index=IGNORE_INDEX,
            reduction="sum",
        )
        for i in range(0, len(targets), rows_at_a_time)
    )
    return total / (targets != IGNORE_INDEX).sum()


def steps_for_epochs(n_examples: int, batch_size: int, epochs: float) -> int:
    """Optimizer steps needed to show every example `epochs` times."""
    return max(1, math.ceil(epochs * n_examples / batch_size))


# --- What is trained: a LoRA adapter, or every weight --------------------------------------------


def add_lora(
    model,
    rank: int = LORA_RANK,
    alpha: int = 2 * LORA_RANK,
    target_modules=("q_proj", "v_proj"),
    dropout: float = 0.0,
    seed: int | None = None,
):
    """Freeze the model and add LoRA adapters (two small matrices B·A of rank `rank`) to `target_modules`.

    Only the adapters train: each adapted weight W (d_out x d_in) becomes
    W + (alpha / rank) · B A with A (rank x d_in) and B (d_out x rank), B starting at zero.
    seed: fixes A's random start, so the same data train the same adapter whatever this process ran
    before (the experiments pass one); None draws it from torch's generator as it stands.
    """
    target_modules = list(target_modules)
    unknown = sorted(set(target_modules) - set(LINEAR_MODULES))
    if not target_modules or unknown:
        raise CourseError(
            f"target_modules must be a non-empty selection of {', '.join(LINEAR_MODULES)} (got {target_modules})."
        )
    if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
        raise CourseError(f"The LoRA rank must be a whole number of at least 1 (got {rank!r}); 4 to 32 is usual.")
    if alpha <= 0:
        raise CourseError(f"LoRA alpha must be positive (got {alpha!r}); alpha = 2 x rank is a common choice.")
    config = LoraConfig(
        r=rank,
        lora_alpha=alpha,
        target_modules=target_modules,
        lora_dropout=dropout,
        bias="none",
        task_type="CAUSAL_LM",
    )
    if seed is not None:
        torch.manual_seed(seed)
    with quiet_peft_deprecation():
        return get_peft_model(model, config)


def load_adapter(base_model, folder):
    """`base_model` with the LoRA adapter saved in `folder` (by `model.save_pretrained(folder)`) on top."""
    folder = Path(folder)
    if not (folder / "adapter_config.json").exists():
        raise CourseError(f"No LoRA adapter in {folder}: save one first with model.save_pretrained({str(folder)!r}).")
    try:
        metrics = json.loads((folder / "metrics.json").read_text())
    except (OSError, ValueError):
        metrics = {}
    if isinstance(metrics, dict) and metrics.get("interrupted"):
        print(
            f"Note: the adapter in {folder} comes from a fine-tune stopped after "
            f"{len(metrics.get('losses', []))} steps: "
            "it learnt less than a finished run.",
            flush=True,
        )
    with quiet_peft_deprecation():
        return PeftModel.from_pretrained(base_model, folder).eval()


@contextmanager
def quiet_peft_deprecation():
    """Hide one warning that is not the learner's to fix: peft asks transformers 5 for the
    old name `is_gradient_checkpointing` while wrapping a model."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)
        yield


def set_checkpointing(model, enabled: bool) -> None:
    """Turn activation checkpointing on or off (called gradient checkpointing before transformers 5)."""
    if not hasattr(model, "activation_checkpointing_enable"):  # an older transformers, as on Colab
        if enabled:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        else:
            model.gradient_checkpointing_disable()
    elif enabled:
        model.activation_checkpointing_enable(activation_checkpointing_kwargs={"use_reentrant": False})
    else:
        model.activation_checkpointing_disable()


def make_fully_trainable(model, freeze_embeddings: bool = False):
    """Full fine-tuning: every weight trains. Half-precision weights are turned to float32 first,
    because small updates (learning rate x gradient) would round away in bfloat16.

    freeze_embeddings: keep the token embedding matrix (the largest single matrix of a small model,
    often shared with the output layer) as it is, saving its gradient, optimizer state and the
    temporary copies of its update; every weight of every transformer block still trains.
    """
    if next(model.parameters()).dtype != torch.float32:
        model = model.float()
    for parameter in model.parameters():
        parameter.requires_grad_(True)
    if freeze_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    return model


def make_optimizer(model, name: str = "adamw", learning_rate: float = 2e-4):
    """An optimizer over the trainable parameters.

    adamw:     two running averages per trained parameter (8 extra bytes each in float32);
    adafactor: a row and a column average per weight matrix (almost no extra memory);
    sgd:       no memory of past steps at all.
    """
    parameters = [p for p in model.parameters() if p.requires_grad]
    if not parameters:
        raise CourseError(
            "Nothing to train: the model has no trainable parameters. Call add_lora(...) or make_fully_trainable(...) "
            "first."
        )
    if (
        isinstance(learning_rate, bool)
        or not isinstance(learning_rate, (int, float))
        or not 0 < learning_rate < math.inf
    ):
        raise CourseError(
            f"The learning rate must be a positive number (got {learning_rate!r}); try 2e-4 for LoRA, "
            "1e-5 to 1e-4 for a full fine-tune."
        )
    if name == "adamw":
        return torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=0.0)
    if name == "adafactor":
        return torch.optim.Adafactor(parameters, lr=learning_rate)
    if name == "sgd":
        return torch.optim.SGD(parameters, lr=learning_rate)
    raise CourseError(f"Unknown optimizer {name!r}: use one of {', '.join(OPTIMIZERS)}.")


# --- Memory accounting ---------------------------------------------------------------------------


def tensor_bytes(tensors) -> int:
    """Bytes held by some tensors."""
    return sum(t.numel() * t.element_size() for t in tensors)


def optimizer_state_bytes(optimizer) -> int:
    """Bytes the optimizer keeps between steps (e.g. AdamW's two moving averages)."""
    return tensor_bytes(v for state in optimizer.state.values() for v in state.values() if torch.is_tensor(v))


def process_peak_memory_bytes() -> int:
    """The most memory (resident set) this whole process has used since it started."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS reports bytes, Linux kilobytes


class PeakMemory:
    """Peak memory while a `with` block runs: CUDA memory allocated on a GPU, else the process's
    resident memory (sampled every few milliseconds, since the operating system's own peak can't be reset)."""

    def __init__(self, device):
        self.device = torch.device(device)
        self.peak_bytes = 0

    def __enter__(self):
        if self.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            import psutil

            process = psutil.Process(os.getpid())
            self._running = True
            self.peak_bytes = process.memory_info().rss

            def sample():
                while self._running:
                    self.peak_bytes = max(self.peak_bytes, process.memory_info().rss)
                    time.sleep(0.005)

            self._sampler = threading.Thread(target=sample, daemon=True)
            self._sampler.start()
        return self

    def __exit__(self, *exc_info):
        if self.device.type == "cuda":
            self.peak_bytes = torch.cuda.max_memory_allocated(self.device)
        else:
            self._running = False
            self._sampler.join()
        return False


# --- The training loop ---------------------------------------------------------------------------


@dataclass
class TrainResult:
    """What a training run produced and what it cost."""

    model: torch.nn.Module
    losses: list = field(default_factory=list)  # training loss after each step
    seconds_per_step: float = float("nan")
    peak_memory_bytes: int = 0  # see PeakMemory
    optimizer_state_bytes: int = 0
    trainable_parameters: int = 0
    interrupted: bool = False  # True when stopped early (Ctrl-C, stop button)


def oom_message(batch_size: int, full: bool) -> str:
    """What to do when a training step does not fit in GPU memory."""
    smaller = [
        f"batch_size={max(1, batch_size // 2)}",
        "shorter examples",
        "a smaller LoRA rank or fewer target modules",
    ]
    if full:
        smaller.append("LoRA instead of a full fine-tune (add_lora)")
    return (
        f"Out of GPU memory during training at batch size {batch_size}. Try a smaller setting: "
        f"{', '.join(smaller)}. If memory stays full, restart the kernel."
    )


def endless(loader):
    """Batches from `loader`, epoch after epoch (reshuffled each time)."""
    while True:
        yield from loader


def train(
    model,
    tokenizer,
    examples: list[dict],
    *,
    steps: int,
    batch_size: int = 8,
    learning_rate: float = 2e-4,
    optimizer: str = "adamw",
    checkpointing: bool = False,
    seed: int = 0,
    accelerator=None,
    progress: bool = True,
    on_step=None,
    should_stop=None,
    schedule_steps: int | None = None,
) -> TrainResult:
    """Train `model` on `examples` for `steps` optimizer steps; return a `TrainResult`.

    learning_rate:        the first step's; it then falls in a straight line to 0 at step `schedule_steps`
                          (default: the last step). Stopping before it gives exactly the model that a longer
                          run had at that step: a number of passes chosen on validation is reproduced so.
    optimizer:            "adamw", "adafactor" or "sgd" (see make_optimizer).
    checkpointing:        keep only each layer's input during the forward pass and recompute the rest
                          in the backward pass: much less memory, about a third more time.
    on_step(step, loss):  called after each step (e.g. to update a live plot).
    should_stop():        checked before each step; True ends training early (a stop button).
    Ctrl-C (the notebook's interrupt) also ends training early and keeps what was learnt so far.
    accelerator:          an `accelerate.Accelerator` (the command line uses one for several GPUs).
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise CourseError(f"steps must be a whole number of at least 1 (got {steps!r}).")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise CourseError(f"batch_size must be a whole number of at least 1 (got {batch_size!r}).")
    if not examples:
        raise CourseError("No training examples: build some with sft_examples(tokenizer, prompts, answers).")
    torch.manual_seed(seed)
    result = TrainResult(model=model, trainable_parameters=count_parameters(model, trainable_only=True))
    full = result.trainable_parameters == count_parameters(model)
    opt = make_optimizer(model, optimizer, learning_rate)
    if schedule_steps is not None and (
        isinstance(schedule_steps, bool) or not isinstance(schedule_steps, int) or schedule_steps < steps
    ):
        raise CourseError(f"schedule_steps must be a whole number of at least steps={steps} (got {schedule_steps!r}).")
    schedule = torch.optim.lr_scheduler.LinearLR(opt, 1.0, 0.0, total_iters=schedule_steps or steps)  # falls to 0
    loader = torch.utils.data.DataLoader(
        examples,
        batch_size=batch_size,
        shuffle=True,
        collate_fn=lambda batch: collate(batch, tokenizer.pad_token_id),
        generator=torch.Generator().manual_seed(seed),
    )
    if checkpointing:
        set_checkpointing(model, True)
    plain_model = model
    if accelerator is not None:
        model, opt, loader = accelerator.prepare(model, opt, loader)
        result.model = model
    device = accelerator.device if accelerator is not None else plain_model.device
    trainable = [p for p in model.parameters() if p.requires_grad]
    out_of_memory, step_seconds = False, 0.0
    model.train()
    bar = tqdm(total=steps, desc="training", disable=not progress)
    try:
        with PeakMemory(device) as memory, trimming_between_layers(plain_model):
            for batch in endless(loader):
                if len(result.losses) >= steps or (should_stop is not None and should_stop()):
                    break
                began = time.perf_counter()
                batch = {name: tensor.to(device) for name, tensor in batch.items()}
                with fast_arithmetic(device, keep_casts=False):  # bfloat16 products where the chip is fast at them
                    loss = answer_loss(model, batch)  # how wrong the answers are
                if accelerator is not None:
                    accelerator.backward(loss)  # (averages gradients over processes)
                else:
                    loss.backward()  # gradients of the trainable weights
                torch.nn.utils.clip_grad_norm_(trainable, 1.0)
                opt.step()  # update the trainable weights
                schedule.step()  # a slightly smaller learning rate next time
                opt.zero_grad(set_to_none=True)  # and free the gradients
                trim_memory()  # (and hand their pages back: memory stays flat)
                # several processes: each measured its own batch; log their mean, the loss of the whole step
                result.losses.append(
                    (accelerator.reduce(loss.detach(), "mean") if accelerator is not None else loss).item()
                )
                step_seconds += time.perf_counter() - began
                bar.update(1)
                bar.set_postfix(loss=f"{result.losses[-1]:.3f}")
                if on_step is not None:
                    on_step(len(result.losses), result.losses[-1])
    except KeyboardInterrupt:
        result.interrupted = True
    except torch.OutOfMemoryError:
        out_of_memory = True
    finally:
        bar.close()
        model.eval()
        if checkpointing:
            set_checkpointing(plain_model, False)
    if out_of_memory:  # outside the except block, so the error's tensors can be freed
        batch = loss = opt = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        raise CourseError(oom_message(batch_size, full))
    result.interrupted = result.interrupted or len(result.losses) < steps
    result.seconds_per_step = step_seconds / max(1, len(result.losses))
    result.peak_memory_bytes = memory.peak_bytes
    result.optimizer_state_bytes = optimizer_state_bytes(opt)
    return result
