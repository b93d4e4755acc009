"""Tokens: how a tokenizer cuts text, and which token a model expects next.

A language model never sees letters or words, only token ids: numbers that
stand for pieces of text. These helpers make the pieces visible (coloured in a
notebook), count them, and show the model's probabilities for the next token.
"""

import html
import re
from dataclasses import dataclass

import ipywidgets as widgets
import pandas as pd
import torch
from matplotlib.figure import Figure

from ..core.errors import CourseError
from ..core.plots import figure_png, plot_next_tokens
from .generation import text_ids

COLOURS = ("#fde2e4", "#d7f0dd", "#dbe7fb", "#fff1c1", "#ead9f7")  # alternate so that neighbours differ
CONTINUATION = "▪"  # a token that carries another byte of a character already shown


def document_start_id(tokenizer) -> int:
    """The id the model saw at the start of every training document (`<|endoftext|>` for SmolLM2)."""
    if "<|endoftext|>" in tokenizer.get_vocab():
        return tokenizer.convert_tokens_to_ids("<|endoftext|>")
    return tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id


def _check_text(text) -> str:
    if not isinstance(text, str) or not text:
        raise CourseError(f"Expected some text (a non-empty string), got {text!r}.")
    return text


@dataclass
class TokenView:
    """A text cut into tokens: ids, and the piece of text each one stands for."""

    text: str
    ids: list[int]
    pieces: list[str]

    def __len__(self):
        return len(self.ids)

    def __repr__(self):
        shown = "".join(f"[{piece}]" for piece in self.pieces).replace("\n", "↵")
        return f"{len(self.ids)} tokens for {len(self.text)} characters: {shown}"

    def _repr_html_(self):
        spans = []
        for i, (token_id, piece) in enumerate(zip(self.ids, self.pieces)):
            shown = html.escape(piece).replace("\n", "↵<br>")
            spans.append(
                f'<span title="id {token_id}" style="background:{COLOURS[i % len(COLOURS)]};'
                f'white-space:pre;border-radius:3px;padding:1px 0;font-family:monospace">{shown}</span>'
            )
        return (
            f"<div style='line-height:1.9'>{''.join(spans)}</div>"
            f"<small>{len(self.ids)} tokens for {len(self.text)} characters (hover a token to see its id)</small>"
        )


def show_tokens(tokenizer, text: str) -> TokenView:
    """Cut `text` into tokens. Pieces come from character offsets, so accents and emoji stay readable;
    a character that needs several byte tokens is shown once, its extra tokens as ▪."""
    encoding = tokenizer(
        _check_text(text),
        add_special_tokens=False,
        split_special_tokens=True,  # typed text is text
        return_offsets_mapping=True,
    )
    pieces, shown_up_to = [], 0
    for start, end in encoding.offset_mapping:
        if end <= shown_up_to:
            pieces.append(CONTINUATION)
        else:
            pieces.append(text[max(start, shown_up_to) : end])
            shown_up_to = end
    return TokenView(text, list(encoding.input_ids), pieces)


def token_table(tokenizer, examples: dict[str, str]) -> pd.DataFrame:
    """For each named text: characters, words, tokens, and characters per token."""
    rows = []
    for name, text in examples.items():
        tokens = len(show_tokens(tokenizer, text))
        rows.append(
            {
                "example": name,
                "characters": len(text),
                "words": len(re.findall(r"\S+", text)),
                "tokens": tokens,
                "characters per token": round(len(text) / tokens, 2),
            }
        )
    return pd.DataFrame(rows).set_index("example")


def next_token_logits(model, tokenizer, prefix: str) -> torch.Tensor:
    """The model's scores (logits) for every token of the vocabulary to come right after `prefix`."""
    ids = [document_start_id(tokenizer)] + text_ids(tokenizer, _check_text(prefix))
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids], device=model.device)).logits
    return logits[0, -1].float().cpu()


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """softmax(logits / T): T < 1 sharpens, T > 1 flattens; T = 0 is greedy (all mass on the best token)."""
    if not 0 <= temperature <= 5:
        raise CourseError(f"temperature must be between 0 (greedy) and 5 (got {temperature!r}).")
    if temperature == 0:
        return torch.nn.functional.one_hot(logits.argmax(), len(logits)).float()
    return torch.softmax(logits / temperature, dim=-1)


def top_tokens(probabilities: torch.Tensor, tokenizer, k: int = 10) -> pd.DataFrame:
    """The `k` most probable tokens: rank, the token's text (quoted, so spaces show), id and probability."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(probabilities):
        raise CourseError(f"k must be a whole number from 1 to {len(probabilities)} (got {k!r}); 10 is a good start.")
    values, ids = probabilities.topk(k)
    return pd.DataFrame(
        {
            "token": [repr(tokenizer.decode([i])) for i in ids.tolist()],
            "id": ids.tolist(),
            "probability": [round(v, 4) for v in values.tolist()],
        },
        index=pd.RangeIndex(1, k + 1, name="rank"),
    )


def next_tokens(model, tokenizer, prefix: str, k: int = 10, temperature: float = 1.0) -> pd.DataFrame:
    """The top-k next tokens after `prefix` and their probabilities at this temperature."""
    return top_tokens(apply_temperature(next_token_logits(model, tokenizer, prefix), temperature), tokenizer, k)


def temperature_table(logits: torch.Tensor, tokenizer, temperatures=(0, 0.5, 1.0, 2.0), k: int = 5) -> pd.DataFrame:
    """The probabilities of the same top-k tokens (ranked at temperature 1) at several temperatures."""
    top = top_tokens(apply_temperature(logits, 1.0), tokenizer, k)
    columns = {f"T = {t}": apply_temperature(logits, t)[top["id"].tolist()].numpy().round(4) for t in temperatures}
    return pd.DataFrame(columns, index=pd.Index(top["token"], name="token"))


def draw_next_tokens(logits: torch.Tensor, tokenizer, temperature: float, draws: int = 20, seed: int = 0) -> pd.Series:
    """Sample the next token `draws` times (seeded): how often each token came up."""
    generator = torch.Generator().manual_seed(seed)
    ids = torch.multinomial(apply_temperature(logits, temperature), draws, replacement=True, generator=generator)
    counts = pd.Series([repr(tokenizer.decode([i])) for i in ids.tolist()]).value_counts()
    return counts.rename_axis("token").rename(f"times drawn at T = {temperature}")


class NextTokenExplorer(widgets.VBox):
    """Type a prefix, move the temperature: the chart shows the model's top-k next tokens.

    The model runs once per prefix; moving the slider only re-scales the stored
    scores, so it redraws instantly. `explorer.table` holds what the chart shows.
    """

    def __init__(
        self, model, tokenizer, prefix: str = "The capital of France is", k: int = 10, temperature: float = 1.0
    ):
        self.model, self.tokenizer, self.k = model, tokenizer, k
        self.prefix = widgets.Text(
            value=prefix, description="prefix", continuous_update=False, layout=widgets.Layout(width="95%")
        )
        self.temperature = widgets.FloatSlider(
            value=temperature, min=0.0, max=2.0, step=0.1, description="temperature", readout_format=".1f"
        )
        self.chart = widgets.Image(format="png")
        self.summary = widgets.HTML()
        self.table = None
        self.logits = None
        super().__init__([self.prefix, self.temperature, self.chart, self.summary])
        self.prefix.observe(self._on_prefix, names="value")
        self.temperature.observe(self._redraw, names="value")
        self._on_prefix()

    def __repr__(self):  # the plain-text view (what nbval compares): short and stable
        return f"NextTokenExplorer(prefix={self.prefix.value!r}, temperature={self.temperature.value})"

    def _on_prefix(self, change=None):
        if not self.prefix.value.strip():
            self.summary.value = "⚠️ Type a few words in the prefix box first."
            return
        self.logits = next_token_logits(self.model, self.tokenizer, self.prefix.value)
        self._redraw()

    def _redraw(self, change=None):
        if self.logits is None:
            return
        temperature = self.temperature.value
        self.table = top_tokens(apply_temperature(self.logits, temperature), self.tokenizer, self.k)
        figure = Figure(figsize=(6, 0.35 * self.k + 1.2))
        plot_next_tokens(
            self.table, title=f"After {self.prefix.value!r} at temperature {temperature:.1f}", ax=figure.add_subplot()
        )
        self.chart.value = figure_png(figure)
        best = self.table.iloc[0]
        self.summary.value = f"Greedy decoding always writes <b>{html.escape(best['token'])}</b>. " + (
            f"Sampling at temperature {temperature:.1f} writes it with probability {best['probability']:.2f}; "
            f"the {self.k} tokens shown hold {self.table['probability'].sum():.2f} of the probability."
            if temperature > 0
            else "At temperature 0, sampling is greedy: the top token gets all the probability."
        )
