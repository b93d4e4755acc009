import math

import pytest
import torch

from helpers.core.errors import CourseError
from helpers.llm.perplexity import TextScore, passages, score_char_model, score_language_model, score_table
from helpers.llm.pretraining import CharTokenizer
from helpers.llm.tinygpt import GPTConfig, TinyGPT


def test_bits_per_character_and_perplexity_follow_from_the_counts():
    score = TextScore(bits=300.0, characters=100, tokens=25)
    assert score.bits_per_character == 3.0
    assert score.perplexity == 2**12


def test_passages_are_long_enough_cut_and_evenly_spread():
    texts = [f"text number {i:02d} " * 5 for i in range(10)] + ["short"]
    chosen = passages(texts, length=20, count=3)
    assert chosen == [texts[i].strip()[:20] for i in (0, 4, 9)]
    assert chosen == passages(texts, length=20, count=3)
    assert "short" not in passages(texts, length=20)
    with pytest.raises(CourseError, match="at least"):
        passages(["tiny"], length=20)


def test_an_untrained_char_model_is_about_as_surprised_as_uniform_guessing():
    tokenizer = CharTokenizer("abcdefgh\n")
    torch.manual_seed(0)
    model = TinyGPT(GPTConfig(vocab_size=tokenizer.vocab_size, block_size=16, n_layer=1, n_head=2, n_embd=16))
    score = score_char_model(model, tokenizer, ["abcabc", "hgfedcba"])
    assert score.characters == score.tokens == 14
    assert score.bits_per_character == pytest.approx(math.log2(tokenizer.vocab_size), abs=0.2)
    with pytest.raises(CourseError, match="block_size"):
        score_char_model(model, tokenizer, ["a" * 17])


def test_language_model_score_matches_the_model_loss(tiny_model, tokenizer):
    text = "The quick brown fox jumps over the lazy dog."
    score = score_language_model(tiny_model, tokenizer, [text])
    ids = torch.tensor([[0] + tokenizer(text, add_special_tokens=False).input_ids])
    with torch.no_grad():
        loss = tiny_model(input_ids=ids, labels=ids).loss.item()  # mean nats per predicted token
    assert score.tokens == ids.shape[1] - 1 and score.characters == len(text)
    assert score.bits == pytest.approx(loss * score.tokens / math.log(2), rel=1e-4)


def test_batching_and_padding_do_not_change_the_score(tiny_model, tokenizer):
    texts = ["Short one.", "A much longer sentence that needs padding in a batch.", "Third."]
    one_by_one = sum(score_language_model(tiny_model, tokenizer, [t]).bits for t in texts)
    assert score_language_model(tiny_model, tokenizer, texts, batch_size=3).bits == pytest.approx(one_by_one, rel=1e-4)


def test_empty_or_single_string_input_is_refused(tiny_model, tokenizer):
    with pytest.raises(CourseError, match="list of non-empty"):
        score_language_model(tiny_model, tokenizer, "not a list")
    with pytest.raises(CourseError, match="list of non-empty"):
        score_language_model(tiny_model, tokenizer, [])


def test_the_real_model_knows_english_better_than_random_characters(real_model):
    model, tokenizer = real_model
    english = score_language_model(model, tokenizer, ["The cat sat on the mat and looked out of the window."])
    noise = score_language_model(model, tokenizer, ["qzv wjx pkf brq tmz xlw hgd ncv"])
    assert english.bits_per_character < 2.5 < noise.bits_per_character


def test_score_table_has_one_row_per_model_and_text():
    table = score_table({("tiny", "docs"): TextScore(200.0, 100, 100), ("big", "docs"): TextScore(100.0, 100, 25)})
    assert table.loc[("big", "docs"), "bits per character"] == 1.0
    assert table.loc[("big", "docs"), "perplexity per token"] == 16.0
