import pytest
import torch

from helpers.core.errors import CourseError
from helpers.llm.pretraining import (
    CharTokenizer,
    TrainingRun,
    compute_table,
    learning_rate_at,
    load_corpus,
    random_batch,
    sample_text,
    samples_table,
    train,
    words,
)
from helpers.llm.tinygpt import GPTConfig, TinyGPT

TEXT = "the cat sat on the mat. " * 40


def tiny_gpt(vocab_size, seed=0):
    torch.manual_seed(seed)
    return TinyGPT(GPTConfig(vocab_size=vocab_size, block_size=16, n_layer=1, n_head=2, n_embd=16))


def test_corpus_splits_are_fixed_disjoint_and_mostly_training():
    train_text, held_out = load_corpus("train"), load_corpus("held_out")
    assert len(train_text) > 5 * len(held_out) > 0
    assert held_out == load_corpus("held_out")
    assert held_out[:200] not in train_text
    with pytest.raises(CourseError, match="held_out"):
        load_corpus("test")


def test_char_tokenizer_round_trips_and_maps_unseen_characters_to_unknown():
    tokenizer = CharTokenizer("hello world")
    assert tokenizer.vocab_size == len(set("hello world")) + 1
    assert tokenizer.decode(tokenizer.encode("hello")) == "hello"
    assert tokenizer.encode("hz") == [tokenizer.ids["h"], 0]
    assert tokenizer.decode(tokenizer.encode("hz")) == "h" + CharTokenizer.UNKNOWN
    assert tokenizer.count_unknown("hazel") == 2
    with pytest.raises(CourseError):
        CharTokenizer("")


def test_batches_are_windows_and_targets_are_the_next_tokens():
    ids = torch.arange(100)
    x, y = random_batch(ids, batch_size=4, block_size=8, generator=torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (4, 8)
    assert torch.equal(y, x + 1) and torch.equal(x[:, 1:], x[:, :-1] + 1)


def test_learning_rate_warms_up_then_decays_to_a_tenth():
    rates = [learning_rate_at(step, 100, 1.0) for step in range(100)]
    assert rates[0] < rates[4] == 1.0
    assert all(a >= b for a, b in zip(rates[5:], rates[6:]))
    assert rates[-1] == pytest.approx(0.1, abs=0.01)


def test_training_lowers_the_loss_and_keeps_samples_at_checkpoints():
    tokenizer = CharTokenizer(TEXT)
    model = tiny_gpt(tokenizer.vocab_size)
    seen = []
    run = train(
        model,
        torch.tensor(tokenizer.encode(TEXT)),
        steps=60,
        batch_size=8,
        learning_rate=1e-2,
        tokenizer=tokenizer,
        sample_at=(0, 60),
        callback=lambda r: seen.append(r.steps),
        callback_every=20,
        progress=False,
    )
    assert run.steps == 60 and run.tokens_seen == 60 * 8 * 16 and not run.interrupted
    assert sum(run.losses[-10:]) / 10 < sum(run.losses[:10]) / 10 - 1.0
    assert sorted(run.samples) == [0, 60] and len(run.samples[60]) == 200
    assert seen == [20, 40, 60] and not model.training


def test_training_is_reproducible_with_a_seed():
    tokenizer = CharTokenizer(TEXT)
    ids = torch.tensor(tokenizer.encode(TEXT))
    runs = [train(tiny_gpt(tokenizer.vocab_size), ids, steps=5, batch_size=4, progress=False) for _ in range(2)]
    assert runs[0].losses == runs[1].losses


def test_interrupting_keeps_the_model_and_the_history(capsys):
    tokenizer = CharTokenizer(TEXT)

    def stop_at_step_6(run):
        if run.steps == 6:
            raise KeyboardInterrupt

    run = train(
        tiny_gpt(tokenizer.vocab_size),
        torch.tensor(tokenizer.encode(TEXT)),
        steps=50,
        batch_size=4,
        callback=stop_at_step_6,
        callback_every=3,
        progress=False,
    )
    assert run.interrupted and run.steps == 6
    assert "Stopped after 6 steps" in capsys.readouterr().out


def test_bad_training_settings_get_clear_messages():
    tokenizer = CharTokenizer(TEXT)
    model = tiny_gpt(tokenizer.vocab_size)
    ids = torch.tensor(tokenizer.encode(TEXT))
    with pytest.raises(CourseError, match="steps"):
        train(model, ids, steps=0)
    with pytest.raises(CourseError, match="block_size"):
        train(model, ids[:10], steps=1)
    with pytest.raises(CourseError, match="tokenizer"):
        train(model, ids, steps=1, sample_at=(0,))


def test_samples_are_reproducible_and_scored_for_real_words():
    tokenizer = CharTokenizer(TEXT)
    model = tiny_gpt(tokenizer.vocab_size)
    assert sample_text(model, tokenizer, 30, seed=3) == sample_text(model, tokenizer, 30, seed=3)
    run = TrainingRun(samples={10: "the cat xqz", 0: "zzz qq"})
    table = samples_table(run, set(words(TEXT)))
    assert list(table.index) == [0, 10]
    assert table["real words"].tolist() == [0.0, 0.67]


def test_compute_table_uses_six_n_d():
    table = compute_table({"small": (1e6, 1e7), "big": (1e8, 1e12)})
    assert table.loc["small", "FLOPs (6·N·D)"] == 6e13
    assert table.loc["big", "training tokens"] == 1e12
