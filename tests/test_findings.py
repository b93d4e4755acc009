"""Every finding sentence follows its numbers: fed cases where the finding must flip, it flips."""

import pandas as pd
from fakes import fake_results, scores

from helpers.experiments import findings


def test_family_findings_name_the_best_of_each_family_on_validation_and_flip_with_the_data():
    results = fake_results()  # accuracy 20%, 30%, ... in APPROACHES order; validation the same
    sentences = findings.family_findings(results)
    assert sentences[0].startswith(
        "The best fine-tune on validation (full fine-tune) against the best prompting "
        "approach on validation (label scoring)"
    )
    assert sentences[0].endswith("full fine-tune is better.")
    results.at["full fine-tune", "run_scores"] = [scores(41), scores(39), scores(40)]  # now level with label scoring
    assert findings.family_findings(results)[0].endswith("too close to call.")
    results.at["full fine-tune", "run_scores"] = [scores(10)] * 3  # now clearly worse
    assert findings.family_findings(results)[0].endswith("label scoring is better.")


def test_the_winner_shares_the_lead_when_the_runner_up_is_within_chance():
    results = fake_results()
    assert "clearly ahead of every other approach (the next, full fine-tune: 70%)" in findings.best_on_test(results)
    results.at["full fine-tune", "run_scores"] = [scores(79)] * 3
    results.loc["full fine-tune", "accuracy"] = 0.79
    assert findings.best_on_test(results).endswith("but full fine-tune is within chance of it: a shared lead.")


def test_the_ceiling_finding_says_below_level_or_above():
    results = fake_results()  # the best: 80% on 100 examples
    assert "below what one person scores" in findings.ceiling_finding(results, [0.95] * 500)
    assert "level with one person" in findings.ceiling_finding(results, [0.8] * 500)
    assert "above what one person scores" in findings.ceiling_finding(results, [0.5] * 500)


def test_a_shortcut_shows_where_the_cue_carries_the_score():
    results = fake_results().loc[["zero-shot", "LoRA fine-tune"]]
    results.at["zero-shot", "run_scores"] = [[1.0, 0.0, 0.0, 0.0] * 25]  # 25%, spread evenly: no cue
    results.at["LoRA fine-tune", "run_scores"] = [[1.0] * 50 + [0.0] * 40 + [1.0] * 10] * 3  # right with the cue
    flags = [True] * 50 + [False] * 50
    table = findings.shortcut_table(results, flags)
    assert list(table["n"]) == [50, 50, 50, 50] and list(table["runs"]) == [1, 1, 3, 3]
    sentence = findings.shortcut_finding(table)
    assert sentence.startswith(
        "LoRA fine-tune scores 100% on the examples with a closing bottom line and 20% on the "
        "others, a gap beyond chance"
    )
    results.at["LoRA fine-tune", "run_scores"] = [[1.0, 0.0] * 50] * 3  # the same with and without the cue
    assert "within chance" in findings.shortcut_finding(findings.shortcut_table(results, flags))


def test_generalisation_flags_memorised_wording_only_beyond_chance():
    results = fake_results()
    results["validation_accuracy"] = results["accuracy"]
    results.loc["LoRA fine-tune", "validation_accuracy"] = 0.95  # 60% on unseen test wordings
    assert "it learned the examples' wording more than the task" in findings.generalisation_finding(results)
    results.loc["LoRA fine-tune", "validation_accuracy"] = 0.63  # within the test interval
    assert "did not just memorise wordings" in findings.generalisation_finding(results)


def test_a_defence_counts_only_when_the_task_still_works():
    conditions = ["clean", "injected", "defended"]
    flags = {
        ("clean", "generate"): [False] * 100,
        ("injected", "generate"): [True] * 90 + [False] * 10,
        ("defended", "generate"): [True] * 18 + [False] * 82,
    }

    def summary(accuracy, unparseable):
        return pd.DataFrame(
            {
                "pattern": conditions,
                "method": "generate",
                "accuracy": [0.5, 0.1, accuracy],
                "unparseable_rate": [0.0, 0.0, unparseable],
                "answered_attacker_label": [0.0, 0.9, 0.18],
            }
        )

    assert findings.defence_finding(summary(0.0, 0.82), flags).endswith("by breaking the task, so it does not count.")
    assert findings.defence_finding(summary(0.45, 0.02), flags).endswith(
        "The defence works: fewer hijacks beyond chance, and the task still done."
    )
    flags["defended", "generate"] = [True] * 88 + [False] * 12
    assert findings.defence_finding(summary(0.45, 0.02), flags).endswith("does not cut hijacking beyond chance.")


def test_the_hybrid_paths_winner_is_only_a_winner_beyond_chance():
    table = pd.DataFrame(
        {
            "step": ["3. prompt for a variation", "3b. translate its five labels by code"],
            "model": ["fine-tuned", "fine-tuned"],
            "variation": ["three-way"] * 2,
            "shots": [0, 0],
            "accuracy": [0.51, 0.51],
            "run_scores": [[scores(51)] * 3, [scores(51)] * 3],
        }
    )
    tie = findings.iteration_findings(table)[0]
    assert "no way is clearly the most accurate" in tie and "the most accurate way was" not in tie
    assert tie.endswith("within chance of it: '3b. translate its five labels by code' with the fine-tuned model.")
    table.at[1, "run_scores"], table.at[1, "accuracy"] = [scores(90)] * 3, 0.9
    assert findings.iteration_findings(table)[0].startswith("three-way: the most accurate way was '3b. translate")
    assert findings.iteration_findings(table)[0].endswith("clearly ahead of every other way.")
