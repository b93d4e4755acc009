from dataclasses import replace

import pandas as pd

from helpers.comparison import default_settings
from helpers.effort import effort_table, written_tokens


def test_written_tokens_count_the_instruction_not_the_input(tokenizer):
    plain, explicit = written_tokens(tokenizer, "reviews", "zero_shot"), written_tokens(tokenizer, "reviews", "explicit")
    assert 5 < plain < explicit  # the label definitions are more writing
    assert written_tokens(tokenizer, "reviews", "few_shot_similar") == plain  # examples are data, not writing
    assert written_tokens(tokenizer, "tickets", "context") > written_tokens(tokenizer, "tickets", "zero_shot")


def _run(best_scores):
    results = pd.DataFrame({"accuracy": [sum(best_scores) / len(best_scores)], "labelled_examples": [4],
                            "prompt": ["few_shot_balanced"], "scores": [best_scores]}, index=["best prompt"])
    candidates = pd.DataFrame({"pattern": ["explicit", "few_shot_balanced"]})
    return {"results": results, "candidates": candidates, "settings": replace(default_settings("reviews"), n_validation=60)}


def _crossover(lora):
    return pd.DataFrame([{"method": "LoRA fine-tune", "labelled_examples": n, "accuracy": sum(s) / len(s), "scores": s}
                         for n, s in lora.items()] + [{"method": "few-shot prompt", "labelled_examples": 1,
                                                       "accuracy": 0.0, "scores": [0] * 40}])


def test_fine_tuning_needs_the_first_size_that_is_not_worse_than_the_best_prompt(tokenizer):
    best = [1] * 30 + [0] * 10                                     # 75%
    crossing = _crossover({16: [0] * 40, 64: [1] * 29 + [0] * 11, 256: [1] * 40})  # 0%: worse; 72%: as good
    table = effort_table(tokenizer, _run(best), crossing)
    assert table.loc["attempts (prompts or training runs tried)"].tolist() == [2, 2]
    assert table.loc["labelled examples it uses"].tolist() == [4, 64]
    assert table.loc["labelled validation examples (to choose)"].tolist() == [60, 60]
    assert table.loc["tokens written by hand", "prompting"] > table.loc["tokens written by hand", "fine-tuning"]


def test_a_fine_tune_that_never_matches_says_so(tokenizer):
    table = effort_table(tokenizer, _run([1] * 40), _crossover({16: [0] * 40, 64: [0] * 40}))
    assert table.loc["labelled examples it uses", "fine-tuning"] == "more than 64"
    assert table.loc["test accuracy", "fine-tuning"] == "never matched the best prompt"
    assert table.loc["attempts (prompts or training runs tried)", "fine-tuning"] == 2
