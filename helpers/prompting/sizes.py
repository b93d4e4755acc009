"""Does size matter? Models of very different sizes on the same questions, asked with the same prompt patterns.

    answer = chat_answerer(model, tokenizer)              # any Hugging Face chat model
    answer = text_answerer(tiny, chars)                   # notebook 01's tiny GPT: plain text, one line
    table = size_curve({"tiny GPT": (parameters, answer), ...}, probe)

Each pattern is a list of chat messages: the question alone ("zero-shot"), or three solved questions first
("3-shot"). A chat model reads them through its chat template; a model with no chat training (the tiny GPT)
reads the same conversation written out as plain text ("Q: ... A: ..."), the way base models were asked before
chat templates. One table row per (model, pattern): parameters, n, accuracy and the per-question `scores`.
"""

import pandas as pd
import torch

from ..llm.generation import generate_batch
from .data import probe_is_correct

SHOTS = (
    ("What colour is a ripe banana?", "Yellow"),
    ("How many days are in a week?", "7"),
    ("What is the opposite of 'hot'? Answer with one word.", "Cold"),
)
PATTERNS = ("zero-shot", "3-shot")


def probe_messages(question: str, pattern: str) -> list[dict]:
    """The question as chat messages, alone or after three solved questions."""
    shots = SHOTS if pattern == "3-shot" else ()
    turns = [turn for q, a in shots for turn in ({"role": "user", "content": q}, {"role": "assistant", "content": a})]
    return turns + [{"role": "user", "content": question}]


def chat_answerer(model, tokenizer, max_new_tokens: int = 24):
    """answer(list of message lists) -> list of answer texts, greedy, through the model's chat template."""
    return lambda conversations: [
        a.text for a in generate_batch(model, tokenizer, conversations, max_new_tokens=max_new_tokens)
    ]


def as_plain_text(messages: list[dict]) -> str:
    """A conversation written out for a model that never saw a chat template: 'Q: ...\\nA: ...\\n', ending in 'A:'."""
    return "".join(f"Q: {m['content']}\n" if m["role"] == "user" else f"A: {m['content']}\n" for m in messages) + "A:"


def text_answerer(model, char_tokenizer, max_characters: int = 40):
    """answer(...) for a character-level model such as notebook 01's tiny GPT: greedy, the first line it writes."""

    def answer(conversations):
        answers = []
        for messages in conversations:
            ids = torch.tensor([char_tokenizer.encode(as_plain_text(messages))])
            with torch.no_grad():
                written = model.generate(ids, max_characters, temperature=0)[0, ids.shape[1] :]
            answers.append(char_tokenizer.decode(written).strip().split("\n")[0])
        return answers

    return answer


def size_curve(models: dict, probe: pd.DataFrame) -> pd.DataFrame:
    """Every model on every probe question with every pattern: one row per (model, pattern), smallest model first.

    models: {name: (number of parameters, answer function)}."""
    rows = []
    for name, (parameters, answer) in models.items():
        for pattern in PATTERNS:
            answers = answer([probe_messages(question, pattern) for question in probe["question"]])
            scores = [float(probe_is_correct(text, accepted)) for text, accepted in zip(answers, probe["answers"])]
            rows.append(
                {
                    "model": name,
                    "parameters": int(parameters),
                    "pattern": pattern,
                    "n": len(scores),
                    "accuracy": sum(scores) / len(scores),
                    "scores": scores,
                    "answers": answers,
                }
            )
    return pd.DataFrame(rows).sort_values("parameters", kind="stable").reset_index(drop=True)
