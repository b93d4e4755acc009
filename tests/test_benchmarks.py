"""The benchmark script's machinery on a tiny model (the figures themselves come from `python benchmarks/run.py`)."""

import pytest
from scripts import benchmark_script


@pytest.fixture(scope="module")
def run():
    return benchmark_script("run")


def test_helper_and_trainer_both_train_and_give_a_ratio(run, tiny_model, tokenizer):
    # The --gpu comparison, run on the CPU: both loops must train the same adapter on the same data.
    ours, theirs, ratio = run.trainer_versus_helper(tiny_model, tokenizer, steps=2, batch_size=2, n_examples=8)
    assert ours.unit == theirs.unit == "tokens/s" and ours.value > 0 and theirs.value > 0
    assert ratio.unit == "x" and ratio.value == pytest.approx(ours.value / theirs.value)
    assert ours.setting == theirs.setting and "2 steps of batch 2" in ours.setting


def test_results_are_written_as_a_markdown_table(run, tmp_path):
    rows = [run.Row("model load, warm", 0.4641, "s", "cached"), run.Row("LoRA training", 222.3, "tokens/s", "r=8")]
    table = run.write_results(rows, "python benchmarks/run.py", ["a note"], 0.5, tmp_path / "results.md")
    text = (tmp_path / "results.md").read_text()
    assert table in text and "| model load, warm | 0.464 | s | cached |" in table and "| LoRA training | 222 |" in table
    assert "- a note" in text and "Load average" in text


def test_playground_latency_times_both_arithmetics_and_restores_the_course_one(run, tiny_model, tokenizer):
    from helpers.llm import models

    course_setting = models.BFLOAT16_ALLOWED  # COURSE_BFLOAT16 (`make test` sets 0)
    rows = run.playground_latency(tiny_model, tokenizer, repeats=1)
    fast = models.arithmetic(tiny_model.device)
    names = [row.benchmark for row in rows]
    assert f"playground answer, {fast}" in names and "playground first token, float32" in names
    assert len(names) == len(set(names))  # float32 is timed once where it is the course's arithmetic too
    assert all(row.value > 0 for row in rows) and models.BFLOAT16_ALLOWED == course_setting
    first, total = (
        next(row.value for row in rows if row.benchmark == f"playground {what}, float32")
        for what in ("first token", "answer")
    )
    assert first <= total
    assert any(name.startswith("playground answer: float32 time /") for name in names) == (fast == "bfloat16")


def test_few_shot_reading_times_both_ways_of_reading_and_restores_the_shared_one(
    run, tiny_model, tokenizer, monkeypatch
):
    from helpers.llm import kvcache

    shared_tokens = []
    grouping = kvcache.prefix_groups
    monkeypatch.setattr(
        kvcache, "prefix_groups", lambda ids: shared_tokens.append(grouping(ids)[0][1]) or grouping(ids)
    )
    counting = kvcache.prefix_groups
    shared, whole, ratio = run.few_shot_reading(tiny_model, tokenizer, repeats=1)
    assert shared_tokens and min(shared_tokens) > 100  # the shared rows really shared the examples
    assert shared.value > 0 and whole.value > 0 and ratio.value == pytest.approx(whole.value / shared.value)
    assert kvcache.prefix_groups is counting and "8 prompts of" in shared.setting


def test_the_readme_shows_the_one_table_of_time_and_memory_per_notebook():
    from helpers.core.config import REPO_ROOT

    table = (REPO_ROOT / "benchmarks" / "notebook_times.md").read_text()
    assert table in (REPO_ROOT / "README.md").read_text(), "copy benchmarks/notebook_times.md into the README"
    names = {path.stem for path in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")} == names


def test_the_summary_keeps_the_other_modes_figures(tmp_path):
    cells = benchmark_script("cells")
    path = tmp_path / "times.md"
    cells.write_summary({"00_setup": (12.0, 1300.0)}, "quick", "today, here", path)
    text = cells.write_summary({"00_setup": (700.0, 1900.0), "01_more": (60.0, 1024.0)}, "full", "later, there", path)
    assert "| `00_setup` | 12 s | 1.27 GB | 11.7 min | 1.86 GB |" in text
    assert "| `01_more` | not measured | not measured | 60 s | 1.00 GB |" in text
    assert "- quick mode: today, here" in text and "- full mode: later, there" in text
