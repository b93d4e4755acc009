"""Fine-tuning machinery on the tiny random model: data, loss masking, LoRA, the loop, memory, saving."""

import copy
import warnings

import pytest
import torch

from helpers.core.errors import CourseError
from helpers.finetuning import training
from helpers.finetuning.training import (
    IGNORE_INDEX,
    PeakMemory,
    add_lora,
    answer_loss,
    collate,
    load_adapter,
    make_fully_trainable,
    make_optimizer,
    sft_example,
    sft_examples,
    steps_for_epochs,
    train,
)
from helpers.llm.generation import chat_text
from helpers.llm.models import count_parameters, tiny_random_model

PROMPTS = ["Classify: I love it.", "Classify: It broke.", "Classify: Fine, I guess.", "Classify: Awful!"]
ANSWERS = ["positive", "negative", "mixed", "very_negative"]


@pytest.fixture
def model(tiny_model):
    """A private copy of the tiny model (LoRA and training change a model in place)."""
    return copy.deepcopy(tiny_model)


@pytest.fixture
def examples(tokenizer):
    return sft_examples(tokenizer, PROMPTS, ANSWERS)


def test_example_is_prompt_then_answer_with_loss_on_the_answer_only(tokenizer):
    example = sft_example(tokenizer, "Classify: I love it.", "positive")
    prompt_ids = tokenizer(chat_text(tokenizer, "Classify: I love it."), add_special_tokens=False).input_ids
    n = len(prompt_ids)
    assert example["input_ids"][:n] == prompt_ids
    assert example["labels"][:n] == [IGNORE_INDEX] * n
    assert example["labels"][n:] == example["input_ids"][n:]
    assert tokenizer.decode(example["input_ids"][n:]) == "positive<|im_end|>"  # the answer, then end-of-turn


def test_examples_refuse_mismatched_or_empty_input(tokenizer):
    with pytest.raises(CourseError, match="2 prompts but 1 answers"):
        sft_examples(tokenizer, PROMPTS[:2], ANSWERS[:1])
    with pytest.raises(CourseError, match="No training examples"):
        sft_examples(tokenizer, [], [])
    with pytest.raises(CourseError, match="empty"):
        sft_example(tokenizer, "Classify: ok", " ")


def test_collate_pads_on_the_left_without_loss_or_attention(tokenizer, examples):
    batch = collate(examples, tokenizer.pad_token_id)
    lengths = [len(e["input_ids"]) for e in examples]
    assert batch["input_ids"].shape == (len(examples), max(lengths))
    for row, n in enumerate(lengths):
        pad = max(lengths) - n
        assert batch["attention_mask"][row].tolist() == [0] * pad + [1] * n
        assert batch["labels"][row, :pad].eq(IGNORE_INDEX).all()
        assert batch["input_ids"][row, pad:].tolist() == examples[row]["input_ids"]


def test_answer_loss_equals_the_libraries_loss_on_the_same_labels(tokenizer, model, examples):
    batch = collate(examples, tokenizer.pad_token_id)
    with torch.no_grad():
        ours = answer_loss(model, batch)
        theirs = model(**batch).loss  # transformers: shift labels, mean cross-entropy over labels != -100
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-5)


def test_answer_loss_gives_the_same_gradients_whatever_rows_it_takes_at_a_time(tokenizer, model, examples):
    batch = collate(examples, tokenizer.pad_token_id)
    results = []
    for rows in (1, 2, len(examples)):  # the last: one cross-entropy over the whole batch
        model.zero_grad()
        loss = answer_loss(model, batch, rows_at_a_time=rows)
        loss.backward()
        results.append((loss.item(), [p.grad.clone() for p in model.parameters()]))
    model.zero_grad()
    (loss, grads), *others = results
    for other_loss, other_grads in others:
        assert other_loss == pytest.approx(loss, rel=1e-6)
        assert all(torch.equal(a, b) for a, b in zip(grads, other_grads))


def test_a_seeded_adapter_starts_the_same_whatever_ran_before(tiny_model):
    def start(seed):
        torch.rand(7)  # something else drew random numbers first
        lora = add_lora(copy.deepcopy(tiny_model), rank=4, seed=seed)
        return [p.detach().clone() for name, p in lora.named_parameters() if "lora_A" in name]

    first, again, other = start(3), start(3), start(4)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not all(torch.equal(a, b) for a, b in zip(first, other))


def test_lora_trains_only_the_small_matrices(model):
    total = count_parameters(model)
    lora = add_lora(model, rank=8, alpha=16, target_modules=("q_proj", "v_proj"))
    # per layer: q 64->64 and v 64->32 (2 of 4 heads for keys/values), each gets A (8 x in) and B (out x 8)
    assert count_parameters(lora, trainable_only=True) == 2 * (8 * (64 + 64) + 8 * (64 + 32))
    assert count_parameters(lora) == total + count_parameters(lora, trainable_only=True)


def test_lora_refuses_bad_settings(model):
    with pytest.raises(CourseError, match="target_modules"):
        add_lora(model, target_modules=["attention"])
    with pytest.raises(CourseError, match="rank"):
        add_lora(model, rank=0)
    with pytest.raises(CourseError, match="alpha"):
        add_lora(model, alpha=0)


def test_full_fine_tune_trains_everything_in_float32(model):
    full = make_fully_trainable(model.to(torch.bfloat16))
    assert count_parameters(full, trainable_only=True) == count_parameters(full)
    assert all(p.dtype == torch.float32 for p in full.parameters())


def test_full_fine_tune_can_keep_the_embeddings(model, tokenizer, examples):
    embeddings = model.get_input_embeddings().weight
    before = embeddings.detach().clone()
    full = make_fully_trainable(model, freeze_embeddings=True)
    assert count_parameters(full, trainable_only=True) == count_parameters(full) - embeddings.numel()
    train(full, tokenizer, examples, steps=2, batch_size=2, learning_rate=1e-2, progress=False)
    assert torch.equal(full.get_input_embeddings().weight, before)


def test_optimizers_and_their_memory(model, tokenizer, examples):
    with pytest.raises(CourseError, match="Nothing to train"):
        make_optimizer(model.requires_grad_(False))
    lora = add_lora(model, rank=4)
    with pytest.raises(CourseError, match="Unknown optimizer"):
        make_optimizer(lora, "lion")
    with pytest.raises(CourseError, match="learning rate"):
        make_optimizer(lora, "adamw", 0)
    n = count_parameters(lora, trainable_only=True)
    adamw = train(lora, tokenizer, examples, steps=1, batch_size=2, progress=False)
    assert 8 * n <= adamw.optimizer_state_bytes <= 8 * n + 64 * 100  # two float32 averages per weight (+ step counters)
    sgd = train(lora, tokenizer, examples, steps=1, batch_size=2, optimizer="sgd", progress=False)
    assert sgd.optimizer_state_bytes == 0
    adafactor = train(lora, tokenizer, examples, steps=1, batch_size=2, optimizer="adafactor", progress=False)
    assert 0 < adafactor.optimizer_state_bytes < adamw.optimizer_state_bytes


@pytest.mark.slow
def test_full_fine_tune_overfits_a_tiny_set(model, tokenizer, examples):
    result = train(
        make_fully_trainable(model), tokenizer, examples, steps=30, batch_size=4, learning_rate=1e-2, progress=False
    )
    assert len(result.losses) == 30 and not result.interrupted
    assert result.losses[-1] < 0.5 * result.losses[0]
    assert result.seconds_per_step > 0 and result.peak_memory_bytes > 0
    assert not result.model.training  # back in eval mode, ready to answer


def test_lora_lowers_the_loss(model, tokenizer, examples):
    result = train(
        add_lora(model, rank=8, target_modules=training.LINEAR_MODULES),
        tokenizer,
        examples,
        steps=30,
        batch_size=4,
        learning_rate=1e-2,
        progress=False,
    )
    assert result.losses[-1] < result.losses[0] - 0.3


def test_training_is_reproducible(tokenizer, examples):
    runs = [
        train(
            add_lora(tiny_random_model(tokenizer), rank=4),
            tokenizer,
            examples,
            steps=3,
            batch_size=2,
            learning_rate=1e-2,
            progress=False,
        ).losses
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def checkpointing_is_on(model) -> bool:
    """Read under its transformers 5 name where the model has it, else the old one (as `set_checkpointing` does)."""
    if hasattr(model, "activation_checkpointing_enable"):
        return model.is_activation_checkpointing
    return model.is_gradient_checkpointing


def test_checkpointing_is_on_only_while_training_and_keeps_the_losses(tokenizer, examples):
    """Activation checkpointing recomputes what it dropped: same losses, on only while training, no deprecation
    noise."""

    def run(checkpointing):
        during = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = add_lora(tiny_random_model(tokenizer), rank=4)

            def on_step(step, loss):
                during.append(checkpointing_is_on(model))

            losses = train(
                model,
                tokenizer,
                examples,
                steps=3,
                batch_size=2,
                learning_rate=1e-2,
                progress=False,
                checkpointing=checkpointing,
                on_step=on_step,
            ).losses
        assert not [w for w in caught if "deprecated" in str(w.message)]
        return losses, during, checkpointing_is_on(model)

    plain, with_checkpoints = run(False), run(True)
    assert plain[1] == [False] * 3 and with_checkpoints[1] == [True] * 3
    assert not with_checkpoints[2]  # switched off again after training
    assert with_checkpoints[0] == pytest.approx(plain[0], abs=1e-5)


def test_interrupt_keeps_the_model_and_the_loss_history(model, tokenizer, examples):
    def interrupt_at_step_3(step, loss):
        if step == 3:
            raise KeyboardInterrupt  # what the notebook's stop button (or Ctrl-C) does

    result = train(
        add_lora(model, rank=4),
        tokenizer,
        examples,
        steps=10,
        batch_size=2,
        progress=False,
        on_step=interrupt_at_step_3,
    )
    assert result.interrupted and len(result.losses) == 3
    assert result.model is not None and not result.model.training


def test_should_stop_ends_training_early(model, tokenizer, examples):
    seen = []
    result = train(
        add_lora(model, rank=4),
        tokenizer,
        examples,
        steps=10,
        batch_size=2,
        progress=False,
        on_step=lambda step, loss: seen.append(step),
        should_stop=lambda: len(seen) >= 2,
    )
    assert result.interrupted and len(result.losses) == 2


def test_out_of_memory_becomes_advice(model, tokenizer, examples, monkeypatch):
    def no_memory(model, batch):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(training, "answer_loss", no_memory)
    with pytest.raises(CourseError, match="Out of GPU memory.*batch_size=4.*LoRA instead"):
        train(make_fully_trainable(model), tokenizer, examples, steps=2, batch_size=8, progress=False)


def test_bad_training_settings(model, tokenizer, examples):
    lora = add_lora(model, rank=4)
    with pytest.raises(CourseError, match="steps"):
        train(lora, tokenizer, examples, steps=0, progress=False)
    with pytest.raises(CourseError, match="batch_size"):
        train(lora, tokenizer, examples, steps=1, batch_size=0, progress=False)
    with pytest.raises(CourseError, match="No training examples"):
        train(lora, tokenizer, [], steps=1, progress=False)


def test_steps_for_epochs():
    assert steps_for_epochs(100, 8, 1) == 13
    assert steps_for_epochs(100, 8, 2) == 25
    assert steps_for_epochs(3, 8, 0.1) == 1


def test_peak_memory_on_cpu_sees_a_large_allocation():
    with PeakMemory("cpu") as memory:
        block = torch.ones(50_000_000)  # 200 MB
        block.add_(1)
    del block
    assert memory.peak_bytes > 200e6


def test_adapter_round_trip_and_merge_give_the_same_logits(tokenizer, examples, tmp_path):
    trained = train(
        add_lora(tiny_random_model(tokenizer), rank=4),
        tokenizer,
        examples,
        steps=3,
        batch_size=2,
        learning_rate=1e-2,
        progress=False,
    ).model
    trained.save_pretrained(tmp_path)
    assert (tmp_path / "adapter_model.safetensors").exists()
    reloaded = load_adapter(tiny_random_model(tokenizer), tmp_path)  # a fresh copy of the same base weights
    batch = collate(examples, tokenizer.pad_token_id)
    inputs = {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    with torch.no_grad():
        before = trained(**inputs).logits
        after = reloaded(**inputs).logits
        merged = reloaded.merge_and_unload()(**inputs).logits
        base = tiny_random_model(tokenizer)(**inputs).logits
    assert torch.equal(before, after)
    assert torch.allclose(before, merged, atol=1e-5)
    assert not torch.allclose(before, base, atol=1e-3)  # the adapter did change the model


def test_load_adapter_from_an_empty_folder(model, tmp_path):
    with pytest.raises(CourseError, match="No LoRA adapter"):
        load_adapter(model, tmp_path)
