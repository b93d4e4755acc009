import pandas as pd
import torch

from helpers.llm.pretraining import CharTokenizer
from helpers.llm.tinygpt import GPTConfig, TinyGPT
from helpers.prompting.sizes import PATTERNS, as_plain_text, chat_answerer, probe_messages, size_curve, text_answerer

PROBE = pd.DataFrame(
    {"question": ["What is 2 + 2?", "Name the capital of France."], "answers": [["4", "four"], ["Paris"]]}
)


def test_the_two_patterns_ask_the_same_question_with_and_without_solved_examples():
    plain, shots = probe_messages("What is 2 + 2?", "zero-shot"), probe_messages("What is 2 + 2?", "3-shot")
    assert plain == [{"role": "user", "content": "What is 2 + 2?"}] and shots[-1] == plain[0]
    assert [m["role"] for m in shots] == ["user", "assistant"] * 3 + ["user"]
    assert as_plain_text(shots).startswith("Q: What colour is a ripe banana?\nA: Yellow\n")
    assert as_plain_text(plain) == "Q: What is 2 + 2?\nA:"


def test_size_curve_scores_every_model_and_pattern_on_the_same_questions():
    always_right = lambda conversations: ["four" if "2 + 2" in c[-1]["content"] else "Paris" for c in conversations]  # noqa: E731
    never = lambda conversations: ["no idea"] * len(conversations)  # noqa: E731
    table = size_curve({"big": (1000, always_right), "small": (10, never)}, PROBE)
    assert list(table["model"]) == ["small", "small", "big", "big"] and list(table["pattern"]) == list(PATTERNS) * 2
    assert list(table["accuracy"]) == [0.0, 0.0, 1.0, 1.0] and (table["n"] == 2).all()
    assert table.loc[2, "scores"] == [1.0, 1.0] and table.loc[0, "answers"] == ["no idea", "no idea"]


def test_a_character_model_answers_one_line_and_a_chat_model_through_its_template(tiny_model, tokenizer):
    chars = CharTokenizer("QA: abc?\n")
    torch.manual_seed(0)
    tiny = TinyGPT(GPTConfig(vocab_size=chars.vocab_size, block_size=32, n_layer=1, n_head=1, n_embd=8))
    answers = text_answerer(tiny, chars, max_characters=12)([probe_messages("abc?", "zero-shot")])
    assert len(answers) == 1 and "\n" not in answers[0] and len(answers[0]) <= 12
    answers = chat_answerer(tiny_model, tokenizer, max_new_tokens=3)([probe_messages("Hi?", p) for p in PATTERNS])
    assert len(answers) == 2 and all(isinstance(a, str) for a in answers)
