import pytest
import torch

from helpers.llm.generation import chat_text, generate, generate_batch
from helpers.llm.kvcache import prefix_groups, read_shared_prefix

FEW_SHOT = [
    {"role": "system", "content": "Label the sentiment of each review as positive or negative."},
    {"role": "user", "content": "Great food, friendly staff."},
    {"role": "assistant", "content": "positive"},
    {"role": "user", "content": "Cold soup and a long wait."},
    {"role": "assistant", "content": "negative"},
]
QUESTIONS = ["Lovely!", "The worst evening we have had in years, never again.", "Fine, I suppose, for the price."]


def test_prompts_are_grouped_by_the_beginning_they_share():
    first, second = list(range(100)), [0, 1] + list(range(300, 398))  # two few-shot prefixes, sharing 2 tokens
    prompts = [first + [900], second + [901], first + [902, 903], second + [904]]
    assert prefix_groups(prompts) == [([0, 2], 100), ([1, 3], 100)]
    assert prefix_groups([[1, 2, 3, 4], [1, 2, 3, 5, 6], [1, 2, 9]]) == [([0, 1, 2], 2)]
    assert prefix_groups([[1, 2, 3], [1, 2, 3]]) == [
        ([0, 1], 2)
    ]  # the same prompt twice: its last token is read per row
    assert prefix_groups([[1, 2], [3, 4]]) == [([0], 0), ([1], 0)]  # nothing shared
    assert prefix_groups([[1, 2, 3]]) == [([0], 0)]


def test_few_shot_prompts_read_their_shared_examples_once(tiny_model, tokenizer, monkeypatch, float32_arithmetic):
    prompts = [FEW_SHOT + [{"role": "user", "content": q}] for q in QUESTIONS]
    ids = [tokenizer(chat_text(tokenizer, p), add_special_tokens=False).input_ids for p in prompts]
    read = []
    original = tiny_model.forward
    monkeypatch.setattr(
        tiny_model, "forward", lambda *a, **kw: read.append(tuple(kw["input_ids"].shape)) or original(*a, **kw)
    )
    batched = generate_batch(tiny_model, tokenizer, prompts, max_new_tokens=6, batch_size=3)
    [(rows, shared)] = prefix_groups(ids)
    assert shared > 40 and read[0] == (1, shared)  # the examples, once
    assert read[1] == (3, max(map(len, ids)) - shared)  # then each prompt's own end
    monkeypatch.setattr(tiny_model, "forward", original)
    alone = [generate(tiny_model, tokenizer, p, max_new_tokens=6) for p in prompts]
    assert [g.text for g in batched] == [g.text for g in alone]
    assert [g.prompt_tokens for g in batched] == list(map(len, ids))


def test_two_patterns_in_one_batch_read_each_of_their_beginnings_once(
    tiny_model, tokenizer, monkeypatch, float32_arithmetic
):
    other = [
        {"role": "system", "content": "Say whether each review mentions food or service."},
        {"role": "user", "content": "The waiter forgot us."},
        {"role": "assistant", "content": "service"},
    ]
    prompts = [examples + [{"role": "user", "content": q}] for q in QUESTIONS[:2] for examples in (FEW_SHOT, other)]
    read = []
    original = tiny_model.forward
    monkeypatch.setattr(
        tiny_model, "forward", lambda *a, **kw: read.append(tuple(kw["input_ids"].shape)) or original(*a, **kw)
    )
    batched = generate_batch(tiny_model, tokenizer, prompts, max_new_tokens=6, batch_size=4)
    assert read[0][0] == 2  # one row per pattern
    monkeypatch.setattr(tiny_model, "forward", original)
    assert [g.text for g in batched] == [generate(tiny_model, tokenizer, p, max_new_tokens=6).text for p in prompts]


@pytest.mark.parametrize(
    "ids",
    [
        [[5, 6, 7, 8, 9], [5, 6, 7, 10], [5, 6, 11, 12, 13, 14]],
        [[5, 6, 7, 8, 9], [20, 21, 22, 8], [5, 6, 7, 10, 11], [20, 21, 22, 23, 24, 25], [30, 31]],
    ],
)
def test_a_batch_keeps_every_token_at_its_position_in_its_own_prompt(tiny_model, tokenizer, float32_arithmetic, ids):
    with torch.no_grad():
        batch = read_shared_prefix(tiny_model, ids, tokenizer.pad_token_id)
        rest = slice(batch.shared, None)
        logits = tiny_model(
            input_ids=batch.input_ids[:, rest],
            attention_mask=batch.attention_mask,
            position_ids=batch.position_ids[:, rest],
            **batch.cache,
        ).logits[:, -1]
        for row, prompt in enumerate(ids):
            alone = tiny_model(input_ids=torch.tensor([prompt])).logits[0, -1]
            torch.testing.assert_close(logits[row], alone, atol=1e-4, rtol=1e-4)
    if len(ids) == 3:
        pad = tokenizer.pad_token_id
        assert batch.shared == 2 and batch.input_ids.tolist()[1] == [5, 6, pad, pad, 7, 10]
