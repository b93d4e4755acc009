"""Pre-training in small: a corpus that ships with Python, a character tokenizer,
a training loop, and the compute it costs.

The corpus is the reference documentation inside every Python installation
(`pydoc_data.topics`, the text `help("with")` prints): about half a megabyte of
English prose and code. One topic in ten is held out, always the same ones, so
the model is measured on text it never trained on.
"""

import math
import re
import time
from dataclasses import dataclass, field

import pandas as pd
import torch
from tqdm.auto import tqdm

from ..core.costs import training_flops
from ..core.errors import CourseError

HELD_OUT_EVERY = 10  # topics 0, 10, 20, ... (in alphabetical order) are held out
SMOLLM2_135M_TRAINING_TOKENS = 2e12  # published: Allal et al. 2025, "SmolLM2: When Smol Goes Big"; model card


def load_corpus(split: str = "train") -> str:
    """The Python reference docs as one string: 'train' (9 topics in 10) or 'held_out' (the rest)."""
    from pydoc_data.topics import topics

    if split not in ("train", "held_out"):
        raise CourseError(f"Unknown corpus split {split!r}: use 'train' or 'held_out'.")
    names = sorted(topics)
    held_out = split == "held_out"
    return "\n\n".join(topics[name] for i, name in enumerate(names) if (i % HELD_OUT_EVERY == 0) == held_out)


class CharTokenizer:
    """One token per character: the simplest tokenizer there is.

    The vocabulary is every character of the text it is built from, plus one
    `UNKNOWN` token (id 0) that stands for any character it has never seen.
    """

    UNKNOWN = "�"

    def __init__(self, text: str):
        if not text:
            raise CourseError("CharTokenizer needs some text to collect its characters from.")
        self.characters = [self.UNKNOWN] + sorted(set(text) - {self.UNKNOWN})
        self.ids = {character: i for i, character in enumerate(self.characters)}

    @property
    def vocab_size(self) -> int:
        return len(self.characters)

    def encode(self, text: str) -> list[int]:
        return [self.ids.get(character, 0) for character in text]

    def decode(self, ids) -> str:
        return "".join(self.characters[int(i)] for i in ids)

    def count_unknown(self, text: str) -> int:
        """How many characters of `text` this tokenizer has never seen."""
        return sum(character not in self.ids for character in text)


@dataclass
class TrainingRun:
    """What a training run leaves behind: the loss after every step and text sampled at checkpoints."""

    losses: list[float] = field(default_factory=list)
    samples: dict[int, str] = field(default_factory=dict)  # step -> generated text
    tokens_seen: int = 0
    seconds: float = 0.0
    interrupted: bool = False

    @property
    def steps(self) -> int:
        return len(self.losses)


def random_batch(ids: torch.Tensor, batch_size: int, block_size: int, generator: torch.Generator):
    """`batch_size` random windows of the text, and the same windows shifted by one: the next tokens."""
    starts = torch.randint(len(ids) - block_size, (batch_size,), generator=generator)
    x = torch.stack([ids[s : s + block_size] for s in starts.tolist()])
    y = torch.stack([ids[s + 1 : s + block_size + 1] for s in starts.tolist()])
    return x, y


def learning_rate_at(step: int, steps: int, peak: float) -> float:
    """Warm up linearly over the first 5% of steps, then decay along a cosine to a tenth of the peak."""
    warmup = max(1, steps // 20)
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def sample_text(
    model, tokenizer: CharTokenizer, length: int = 200, prompt: str = "The ", temperature: float = 0.8, seed: int = 0
) -> str:
    """Let the model write `length` characters after `prompt` (seeded, so the same weights write the same text)."""
    generator = torch.Generator().manual_seed(seed)
    idx = torch.tensor([tokenizer.encode(prompt)])
    was_training = model.training
    model.eval()
    out = model.generate(idx, length, temperature=temperature, generator=generator)
    model.train(was_training)
    return tokenizer.decode(out[0, idx.shape[1] :])


def train(
    model,
    ids: torch.Tensor,
    *,
    steps: int,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
    seed: int = 0,
    tokenizer: CharTokenizer | None = None,
    sample_at=(),
    callback=None,
    callback_every: int = 10,
    progress: bool = True,
) -> TrainingRun:
    """Train `model` to predict the next token of random windows of `ids`, for `steps` steps.

    tokenizer, sample_at: at these step numbers, save a text sample (needs the tokenizer).
    callback(run):        called every `callback_every` steps and after the last (e.g. a live loss plot).
    Interrupting (the stop button, Ctrl-C) ends training early and keeps the model and its history.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise CourseError(f"steps must be a positive whole number (got {steps!r}).")
    block_size = model.config.block_size
    if len(ids) <= block_size:
        raise CourseError(f"The training text has {len(ids)} tokens: it needs more than block_size={block_size}.")
    if sample_at and tokenizer is None:
        raise CourseError("Pass tokenizer=... so that samples can be turned back into text.")
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, betas=(0.9, 0.99), weight_decay=0.1)
    run = TrainingRun()
    model.train()
    started = time.perf_counter()
    try:
        for step in tqdm(range(steps), desc="pre-training", disable=not progress):
            if step in sample_at:
                run.samples[step] = sample_text(model, tokenizer, seed=seed)
            for group in optimizer.param_groups:
                group["lr"] = learning_rate_at(step, steps, learning_rate)
            x, y = random_batch(ids, batch_size, block_size, generator)
            _, loss = model(x, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            run.losses.append(loss.item())
            run.tokens_seen += x.numel()
            run.seconds = time.perf_counter() - started
            if callback is not None and (step + 1) % callback_every == 0:
                callback(run)
    except KeyboardInterrupt:
        run.interrupted = True
        print(f"Stopped after {run.steps} steps: the model and its loss history are kept.")
    if tokenizer is not None and not run.interrupted and steps in sample_at:
        run.samples[steps] = sample_text(model, tokenizer, seed=seed)
    model.eval()
    if callback is not None and run.steps % callback_every:  # draw the last steps too
        callback(run)
    return run


def words(text: str) -> list[str]:
    """The words of a text: runs of two or more letters, lower-cased (single letters say little)."""
    return re.findall(r"[a-z]{2,}", text.lower())


def samples_table(run: TrainingRun, vocabulary: set[str]) -> pd.DataFrame:
    """The text sampled at each checkpoint, with the share of its words that are real (found in `vocabulary`)."""
    rows = []
    for step, text in sorted(run.samples.items()):
        found = words(text)
        share = sum(word in vocabulary for word in found) / len(found) if found else 0.0
        rows.append({"step": step, "real words": round(share, 2), "sample": text})
    return pd.DataFrame(rows).set_index("step")


def compute_table(models: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """One row per model from `{name: (parameters, training tokens)}`, with FLOPs ≈ 6·N·D."""
    rows = [
        {"model": name, "parameters": float(n), "training tokens": float(d), "FLOPs (6·N·D)": training_flops(n, d)}
        for name, (n, d) in models.items()
    ]
    return pd.DataFrame(rows).set_index("model")
