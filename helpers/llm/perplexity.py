"""How surprised is a model by a text? Bits per character, and perplexity.

A model that predicts well gives the actual next token a high probability.
Add up -log2(probability) over a text and you get the bits the model would need
to encode it. Divided by the number of characters it is comparable between any
two models; divided by the number of tokens (perplexity = 2 ** bits per token)
it is not, because a token means one character to one model and a whole word to
another.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch.nn import functional as F

from ..core.errors import CourseError
from .generation import text_ids
from .tokens import document_start_id


@dataclass
class TextScore:
    """Total surprise of a model over some texts, with the counts needed to normalise it."""

    bits: float
    characters: int
    tokens: int

    @property
    def bits_per_character(self) -> float:
        return self.bits / self.characters

    @property
    def perplexity(self) -> float:
        """Per-token perplexity: as unsure as a fair choice among this many tokens, at each step."""
        return 2 ** (self.bits / self.tokens)


def passages(texts, length: int, count: int | None = None, min_characters: int = 40) -> list[str]:
    """Evaluation passages: texts of at least `min_characters`, cut to `length` characters,
    `count` of them evenly spread over the list (always the same ones)."""
    kept = [text.strip()[:length] for text in texts if len(text.strip()) >= min_characters]
    if not kept:
        raise CourseError(f"No text has at least {min_characters} characters: pass longer texts.")
    if count is None or count >= len(kept):
        return kept
    return [kept[i] for i in np.linspace(0, len(kept) - 1, count).round().astype(int)]


def _check_passages(texts) -> list[str]:
    if isinstance(texts, str) or not texts or not all(isinstance(t, str) and t for t in texts):
        raise CourseError("Pass a list of non-empty texts (e.g. from helpers.llm.perplexity.passages).")
    return list(texts)


@torch.no_grad()
def score_char_model(model, tokenizer, texts, start: str = "\n") -> TextScore:
    """Bits the character model needs for each text, reading it after `start` (a fresh paragraph)."""
    texts = _check_passages(texts)
    longest = max(map(len, texts))
    if longest > model.config.block_size:
        raise CourseError(
            f"A text has {longest} characters but the model reads at most {model.config.block_size}: "
            f"cut the passages to block_size (passages(texts, length=model.config.block_size))."
        )
    model.eval()
    nats = 0.0
    for text in texts:
        ids = torch.tensor([tokenizer.encode(start + text)])
        logits, _ = model(ids[:, :-1])
        nats += F.cross_entropy(logits[0], ids[0, 1:], reduction="sum").item()
    characters = sum(map(len, texts))
    return TextScore(bits=nats / math.log(2), characters=characters, tokens=characters)


@torch.no_grad()
def score_language_model(model, tokenizer, texts, batch_size: int = 8) -> TextScore:
    """Bits a Hugging Face model needs for each text, reading it as the start of a document."""
    texts = _check_passages(texts)
    start = document_start_id(tokenizer)
    sequences = [[start] + text_ids(tokenizer, text) for text in texts]
    nats = 0.0
    for i in range(0, len(sequences), batch_size):
        batch = sequences[i : i + batch_size]
        width = max(map(len, batch))
        ids = torch.full((len(batch), width), tokenizer.pad_token_id)
        targets = torch.full((len(batch), width), -100)  # -100: padding, not scored
        for row, sequence in enumerate(batch):
            ids[row, : len(sequence)] = torch.tensor(sequence)
            targets[row, : len(sequence)] = torch.tensor(sequence)
        mask = (targets != -100).long()
        logits = model(input_ids=ids.to(model.device), attention_mask=mask.to(model.device)).logits.float().cpu()
        nats += F.cross_entropy(
            logits[:, :-1].reshape(-1, logits.size(-1)), targets[:, 1:].reshape(-1), ignore_index=-100, reduction="sum"
        ).item()
    return TextScore(
        bits=nats / math.log(2), characters=sum(map(len, texts)), tokens=sum(len(s) - 1 for s in sequences)
    )


def score_table(scores: dict[tuple[str, str], TextScore]) -> pd.DataFrame:
    """One row per (model, text): bits per character (comparable) and per-token perplexity (not)."""
    rows = [
        {
            "model": model,
            "text": text,
            "characters": s.characters,
            "tokens": s.tokens,
            "bits per character": round(s.bits_per_character, 3),
            "perplexity per token": round(s.perplexity, 2),
        }
        for (model, text), s in scores.items()
    ]
    return pd.DataFrame(rows).set_index(["model", "text"])
