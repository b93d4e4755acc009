"""Shared fixtures: the real tokenizer, a tiny random model of the same architecture, the real model."""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never touch a hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from helpers.llm import models  # noqa: E402
from helpers.llm.models import load_model, load_tokenizer, tiny_random_model  # noqa: E402

# `make test` runs two workers, each a whole file at a time (pytest-xdist, --dist loadfile): the longest files
# go first, so that no worker is left with a long notebook at the end while the other one has finished.
LONGEST_FIRST = (
    "notebooks/05_head_to_head.ipynb",
    "notebooks/07_house_style.ipynb",
    "notebooks/02_prompt_patterns.ipynb",
    "notebooks/08_your_task.ipynb",
    "notebooks/04_fine_tuning.ipynb",
    "notebooks/01_pretrained_models.ipynb",
    "tests/test_browser.py",
)


def pytest_collection_modifyitems(items):
    """Longest files first (`LONGEST_FIRST`), then the rest in their usual order; each file's tests keep theirs."""

    def rank(item):
        path = item.nodeid.split("::")[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)


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
def tiny_loads(monkeypatch, tokenizer):
    """Every model the experiments load (head-to-head, crossover, versatility, variations, house style, decide) is
    a fresh tiny random model; returns the list of model ids asked for."""
    from helpers.experiments import comparison, crossover, decide, style, variations, versatility
    from helpers.finetuning import tuning

    loads = []

    def load_model(model_id=None, device=None, dtype=None):
        loads.append(model_id)
        return tiny_random_model(tokenizer), tokenizer

    for module in (comparison, crossover, decide, style, tuning, variations, versatility):
        monkeypatch.setattr(module, "load_model", load_model)
    return loads


TINY_SIZES = dict(
    n_test=3,
    n_validation=2,
    n_train=6,
    batch_size=3,
    k=1,
    max_passes=2,
    seeds=(0, 1),
    draws=(0, 1),
    n_wordings=2,
    sampling_seeds=(0, 1),
    lora_learning_rates=(1e-3, 3e-3),
    full_learning_rates=(1e-3, 3e-3),
    model_id="tiny",
)


@pytest.fixture
def tiny_course(monkeypatch, tmp_path, tiny_loads):
    """The experiments on tiny random models, tiny sizes and short answers, cached in a temporary folder.
    Returns `settings(task, **changes)`: the head-to-head settings of that size."""
    from dataclasses import replace

    from helpers.experiments import comparison
    from helpers.prompting import tasks

    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    monkeypatch.setattr(comparison, "WRITTEN_CANDIDATES", ("zero_shot", "strict_format"))
    for task in (
        "reviews",
        "synthetic_reviews",
        "tickets",
    ):  # a random model never stops by itself: keep its answers short
        monkeypatch.setitem(tasks.COURSE_TASKS, task, replace(tasks.COURSE_TASKS[task], max_new_tokens=3))
    return lambda task, **changes: comparison.Settings(tasks.COURSE_TASKS[task], **{**TINY_SIZES, **changes})


@pytest.fixture
def float32_arithmetic(monkeypatch):
    """Every matrix product in float32, even on chips with fast bfloat16 (`models.fast_arithmetic`):
    for tests that check two ways of computing the same numbers agree to float32 precision."""
    monkeypatch.setattr(models, "BFLOAT16_ALLOWED", False)
