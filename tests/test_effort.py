from dataclasses import replace

import pandas as pd
from fakes import fake_results

from helpers.experiments.comparison import HeadToHead, default_settings
from helpers.experiments.effort import effort_table, written_tokens
from helpers.prompting import tasks


def test_written_tokens_count_the_instruction_not_the_input(tokenizer):
    plain, explicit = (
        written_tokens(tokenizer, tasks.REVIEWS, "zero_shot"),
        written_tokens(tokenizer, tasks.REVIEWS, "explicit"),
    )
    assert 5 < plain < explicit  # the label definitions are more writing
    assert written_tokens(tokenizer, tasks.REVIEWS, "few_shot_similar") == plain  # examples are data, not writing
    assert written_tokens(tokenizer, tasks.TICKETS, "context") > written_tokens(tokenizer, tasks.TICKETS, "zero_shot")


def _run(best_scores):
    results = fake_results()
    results.at["best prompt", "run_scores"] = [best_scores]
    results.loc["best prompt", ["labelled_examples", "prompt"]] = [4, "few_shot_balanced"]
    tuned = results["family"] == "fine-tuning"
    results.loc[tuned, ["selection_runs", "selection_seconds", "selection_validation_answers"]] = [3, 600.0, 1800]
    candidates = pd.DataFrame(
        {
            "approach": ["best prompt"] * 3 + ["label scoring"],
            "n": [60] * 4,
            "pattern": ["explicit", "few_shot_balanced", "few_shot_balanced", "zero_shot"],
            "draw": [0, 0, 1, 0],
            "latency_s": [0.5, 1.0, 1.0, 0.2],
        }
    )
    return HeadToHead(replace(default_settings("reviews"), n_validation=60), results, candidates, search=pd.DataFrame())


def test_both_sides_read_as_chosen_on_validation_with_what_choosing_cost(tokenizer):
    table = effort_table(tokenizer, _run([1] * 30 + [0] * 10))
    assert table.loc["attempts (prompts or training runs tried)"].tolist() == [3, 3]  # 3 candidates; 3 learning rates
    assert table.loc["labelled examples it uses"].tolist() == [4, 100]
    assert table.loc["labelled validation examples (to choose)"].tolist() == [60, 60]
    assert table.loc["validation answers while choosing"].tolist() == [180, 1800]
    assert table.loc["machine minutes to choose"].tolist() == [2.5, 10.0]  # (0.5 + 1 + 1) s x 60 answers; 600 s
    assert table.loc["tokens written by hand", "prompting"] > table.loc["tokens written by hand", "fine-tuning"]
    assert (
        table.loc["test accuracy", "prompting"].startswith("75% (")
        and "full fine-tune, 3 seeds" in table.loc["test accuracy", "fine-tuning"]
    )
