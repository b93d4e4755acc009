"""Memory: freed pages go back to the system (glibc), inside a training step and between models."""

import sys

import pytest
import torch

from helpers.llm import memory, models


def test_trimming_between_layers_trims_after_every_nth_layer_and_its_gradient_until_the_context_ends(
    monkeypatch, tokenizer
):
    trims = []
    monkeypatch.setattr(memory, "trim_memory", lambda: trims.append(1))
    monkeypatch.setattr(memory, "_glibc", lambda: object())
    model, ids = models.tiny_random_model(tokenizer, num_layers=4), torch.tensor([[1, 2, 3]])
    with memory.trimming_between_layers(model, every=2):
        with torch.no_grad():
            model(ids)
        assert len(trims) == 2  # after layers 2 and 4
        model(ids).logits.sum().backward()
        assert len(trims) == 2 + 2 + 2  # and once more after each one's gradient
    model(ids)
    assert len(trims) == 6  # the hooks are gone
    monkeypatch.setattr(memory, "_glibc", lambda: None)  # macOS, Windows, musl: nothing to trim
    with memory.trimming_between_layers(model, every=1):
        model(ids)
    assert len(trims) == 6


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="resident memory is read the Linux way here")
def test_free_memory_returns_an_unreferenced_model_to_the_system(tokenizer):
    import psutil

    process = psutil.Process()

    def resident():
        return process.memory_info().rss

    model = models.tiny_random_model(tokenizer, hidden_size=512, num_layers=4)  # ~120 MB of small and large tensors
    model.cycle = [model]  # a reference cycle, as models often have: only a garbage collection finds it
    before = resident()
    del model
    memory.free_memory()
    assert before - resident() > 60e6


def test_glibc_gives_large_blocks_their_own_pages_at_a_fixed_threshold(monkeypatch):
    calls = []

    class FakeGlibc:
        def mallopt(self, option, value):
            calls.append((option, value))

    monkeypatch.setattr(memory, "_glibc", lambda: FakeGlibc())
    memory.fix_mmap_threshold()
    assert calls == [(-3, 8 * 2**20)]  # M_MMAP_THRESHOLD: fixed, so glibc no longer raises it (see the docstring)
    monkeypatch.setattr(memory, "_glibc", lambda: None)  # macOS, Windows, musl: nothing to set
    memory.fix_mmap_threshold()
    assert len(calls) == 1


def test_the_allocator_is_found_where_it_is_glibc():
    import platform

    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    libc = memory._glibc()
    assert (libc is not None) == glibc
    if glibc:
        assert libc.mallopt(-3, memory.MMAP_THRESHOLD_BYTES) == 1  # glibc accepts the setting (1: success)
