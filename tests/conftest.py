"""Shared fixtures: the real tokenizer, a tiny random model of the same architecture, the real model."""
import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never touch a hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from helpers import models  # noqa: E402
from helpers.models import load_model, load_tokenizer, tiny_random_model  # noqa: E402


@pytest.fixture(scope="session")
def tokenizer():
    """The packaged model's tokenizer (converted once into the course cache)."""
    return load_tokenizer()


@pytest.fixture(scope="session")
def tiny_model(tokenizer):
    """A 2-layer, randomly initialised Llama with the real vocabulary: fast, no download."""
    return tiny_random_model(tokenizer)


@pytest.fixture(scope="session")
def real_model():
    """The packaged SmolLM2-135M-Instruct on CPU, as `(model, tokenizer)`."""
    return load_model(device="cpu")


@pytest.fixture
def float32_arithmetic(monkeypatch):
    """Every matrix product in float32, even on chips with fast bfloat16 (`models.fast_arithmetic`):
    for tests that check two ways of computing the same numbers agree to float32 precision."""
    monkeypatch.setattr(models, "BFLOAT16_ALLOWED", False)
