import pytest
import torch

from helpers.core.errors import CourseError
from helpers.llm.tokens import (
    CONTINUATION,
    NextTokenExplorer,
    apply_temperature,
    document_start_id,
    draw_next_tokens,
    next_tokens,
    show_tokens,
    temperature_table,
    token_table,
    top_tokens,
)


def test_pieces_put_back_together_give_the_text(tokenizer):
    text = "Tokenization isn't hard: 12345 + café!\nNew line."
    view = show_tokens(tokenizer, text)
    assert "".join(view.pieces) == text
    assert view.ids == tokenizer(text, add_special_tokens=False).input_ids
    assert len(view) == len(view.ids) == len(view.pieces)


def test_a_character_made_of_several_byte_tokens_is_shown_once(tokenizer):
    view = show_tokens(tokenizer, "日本語")
    assert "".join(p for p in view.pieces if p != CONTINUATION) == "日本語"
    assert CONTINUATION in view.pieces and len(view) > 3


def test_text_view_marks_boundaries_and_html_colours_them(tokenizer):
    view = show_tokens(tokenizer, "Hello world\n<b>")
    assert repr(view) == f"{len(view)} tokens for 15 characters: [Hello][ world][↵]" + "".join(
        f"[{p}]" for p in view.pieces[3:]
    )
    page = view._repr_html_()
    assert page.count("<span") == len(view) and "&lt;" in page and "id 19556" in page


def test_token_table_counts_characters_words_and_tokens(tokenizer):
    table = token_table(tokenizer, {"english": "The cat sat on the mat.", "digits": "1234567"})
    assert table.loc["english", "words"] == 6 and table.loc["english", "characters"] == 23
    assert table.loc["digits", "tokens"] == 7  # this tokenizer cuts numbers into single digits
    assert table.loc["digits", "characters per token"] == 1.0


def test_empty_text_is_refused(tokenizer):
    with pytest.raises(CourseError, match="non-empty"):
        show_tokens(tokenizer, "")


def test_documents_start_with_endoftext(tokenizer):
    assert tokenizer.convert_ids_to_tokens(document_start_id(tokenizer)) == "<|endoftext|>"


def test_temperature_reshapes_the_distribution():
    logits = torch.tensor([2.0, 1.0, 0.0])
    one = apply_temperature(logits, 1.0)
    assert torch.allclose(one, torch.softmax(logits, -1))
    assert apply_temperature(logits, 0.5)[0] > one[0] > apply_temperature(logits, 2.0)[0]
    assert apply_temperature(logits, 0).tolist() == [1.0, 0.0, 0.0]
    with pytest.raises(CourseError, match="temperature"):
        apply_temperature(logits, -0.1)


def test_top_tokens_are_sorted_and_checked(tokenizer):
    probabilities = torch.softmax(torch.arange(50.0), -1)
    table = top_tokens(probabilities, tokenizer, k=3)
    assert table["id"].tolist() == [49, 48, 47] and list(table.index) == [1, 2, 3]
    assert table["probability"].is_monotonic_decreasing
    with pytest.raises(CourseError, match="k must"):
        top_tokens(probabilities, tokenizer, k=0)


def test_temperature_table_follows_the_same_tokens_across_temperatures(tokenizer):
    logits = torch.arange(40.0) / 4
    table = temperature_table(logits, tokenizer, temperatures=(0, 1.0, 2.0), k=3)
    assert list(table.columns) == ["T = 0", "T = 1.0", "T = 2.0"] and len(table) == 3
    assert table["T = 0"].tolist() == [1.0, 0.0, 0.0]
    assert table["T = 2.0"].iloc[0] < table["T = 1.0"].iloc[0]


def test_draws_are_seeded_and_greedy_draws_always_pick_the_top_token(tokenizer):
    logits = torch.arange(40.0) / 4
    assert draw_next_tokens(logits, tokenizer, 0, draws=10).tolist() == [10]
    hot = draw_next_tokens(logits, tokenizer, 2.0, draws=50, seed=1)
    assert hot.sum() == 50 and len(hot) > 3
    assert hot.equals(draw_next_tokens(logits, tokenizer, 2.0, draws=50, seed=1))


def test_next_tokens_of_the_real_model(real_model):
    model, tokenizer = real_model
    table = next_tokens(model, tokenizer, "The capital of France is", k=5)
    assert table.iloc[0]["token"] == "' Paris'" and table.iloc[0]["probability"] > 0.5
    assert next_tokens(model, tokenizer, "The capital of France is", k=5, temperature=0).iloc[0]["probability"] == 1.0


def test_explorer_redraws_when_the_prefix_or_the_temperature_changes(tiny_model, tokenizer):
    explorer = NextTokenExplorer(tiny_model, tokenizer, prefix="Hello", k=4)
    first_chart, first_table = bytes(explorer.chart.value), explorer.table
    assert first_chart.startswith(b"\x89PNG") and len(first_table) == 4
    explorer.temperature.value = 0.0
    assert explorer.table["probability"].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert "temperature 0" in explorer.summary.value and bytes(explorer.chart.value) != first_chart
    explorer.temperature.value = 1.0
    explorer.prefix.value = "Something else entirely"
    assert not explorer.table.equals(first_table)
    assert repr(explorer) == "NextTokenExplorer(prefix='Something else entirely', temperature=1.0)"


def test_explorer_asks_for_text_when_the_prefix_is_empty(tiny_model, tokenizer):
    explorer = NextTokenExplorer(tiny_model, tokenizer, prefix="Hi", k=3)
    explorer.prefix.value = "  "
    assert "Type a few words" in explorer.summary.value
