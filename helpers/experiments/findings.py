"""Findings in words, written from the numbers they rest on: one function per kind of finding.

    family_findings(results)                 # the best prompt against the best fine-tune, then LoRA against full, ...
    ceiling_finding(results, agreement)      # the best approach against one person's agreement with the others
    shortcut_finding(table)                  # who scores by a cue the task did not mean
    generalisation_finding(results)          # wordings seen in training (validation) against unseen ones (test)
    defence_finding(summary, flags)          # does a prompt-injection defence work, with the task still done?

A notebook prints these sentences instead of writing a result in its prose, so a sentence can never contradict the
numbers of its cell: rerun on another model, or on more examples, and the sentences follow. Each names its numbers
with their interval and n, and says "too close to call" where the interval does not decide.
"""

import numpy as np
import pandas as pd

from ..core.statistics import accuracy_interval, compare_methods, format_accuracy, format_runs, run_interval
from .comparison import family_verdicts


def family_findings(results: pd.DataFrame) -> list[str]:
    """The comparisons a conclusion rests on (`comparison.family_verdicts`), one sentence each."""
    sentences = [
        f"{_role(results, a)} against {_role(results, b)}: {comparison.describe(a, b)}"
        for a, b, comparison in family_verdicts(results)
    ]
    return [sentence[0].upper() + sentence[1:] for sentence in sentences]


ROLES = {
    "prompting": "the best prompting approach on validation",
    "fine-tuning": "the best fine-tune on validation",
    "classical": "the classical yardstick",
    "hybrid": "the hybrid",
}


def _role(results: pd.DataFrame, approach: str) -> str:
    """How an approach came into a comparison: as its family's best on validation, or as itself."""
    family = results.loc[approach, "family"]
    members = results[results["family"] == family]
    if len(members) > 1 and members["validation_accuracy"].fillna(-1).idxmax() != approach:
        return approach
    return f"{ROLES[family]} ({approach})"


def best_on_test(results: pd.DataFrame) -> str:
    """'X is the most accurate approach on the test examples (...), clearly ahead of Y (...)' or, when the runner-up is
    within chance, which approaches share the lead."""
    ranked = results["accuracy"].sort_values(ascending=False)
    leader = ranked.index[0]
    tied = [
        other
        for other in ranked.index[1:]
        if compare_methods(results.loc[leader, "run_scores"], results.loc[other, "run_scores"]).verdict != "A better"
    ]
    lead = f"{leader} scores most ({format_runs(results.loc[leader, 'run_scores'])})"
    if not tied:
        runner = ranked.index[1]
        runner_up = results.loc[runner, "accuracy"]
        return f"{lead}, clearly ahead of every other approach (the next, {runner}: {runner_up:.0%})."
    return f"{lead}, but {', '.join(tied)} {'is' if len(tied) == 1 else 'are'} within chance of it: a shared lead."


def ceiling_finding(results: pd.DataFrame, agreement) -> str:
    """The best approach on test against human agreement on the same sentences (one rater against the others' mean):
    how much of the ceiling it reaches, and whether the gap is beyond chance."""
    best = results["accuracy"].idxmax()
    accuracy, low, high = run_interval(results.loc[best, "run_scores"])
    ceiling, ceiling_low, ceiling_high = accuracy_interval(agreement)
    if high < ceiling_low:
        verdict = "below what one person scores against the others: there is room to learn"
    elif low > ceiling_high:
        verdict = "above what one person scores against the others (it matches the raters' mean better than one rater)"
    else:
        verdict = "level with one person against the others, within chance: near the ceiling these labels allow"
    return (
        f"The best approach, {best}, reaches {accuracy:.0%} ({100 * low:.0f}-{high:.0%}); one rater agrees with the "
        f"others' shade on {format_accuracy(agreement)} of the same sentences. So it is {verdict}."
    )


def shortcut_table(results: pd.DataFrame, flags, names=("with the cue", "without")) -> pd.DataFrame:
    """Every approach's accuracy on the test examples that carry a cue (`flags`, one bool per test example) and on the
    others: approach, subset, n, runs, accuracy, low, high (intervals over runs and examples)."""
    flags = np.asarray(flags, dtype=bool)
    rows = []
    for approach, row in results.iterrows():
        for subset, keep in zip(names, (flags, ~flags)):
            runs = [list(np.asarray(scores)[keep]) for scores in row["run_scores"]]
            accuracy, low, high = run_interval(runs)
            rows.append(
                {
                    "approach": approach,
                    "subset": subset,
                    "n": int(keep.sum()),
                    "runs": len(runs),
                    "accuracy": accuracy,
                    "low": low,
                    "high": high,
                }
            )
    return pd.DataFrame(rows)


def shortcut_finding(table: pd.DataFrame, cue: str = "a closing bottom line") -> str:
    """From `shortcut_table`: the approach whose accuracy depends most on the cue, and whether the others' ranking
    holds without it. A gap counts when the two subsets' intervals do not overlap."""
    subsets = list(dict.fromkeys(table["subset"]))
    wide = table.pivot(index="approach", columns="subset", values="accuracy").loc[
        list(dict.fromkeys(table["approach"]))
    ]
    gap = (wide[subsets[0]] - wide[subsets[1]]).sort_values(ascending=False)
    leader = gap.index[0]
    rows = table.set_index(["approach", "subset"])
    apart = rows.loc[(leader, subsets[0]), "low"] > rows.loc[(leader, subsets[1]), "high"]
    without = wide[subsets[1]].sort_values(ascending=False)
    return (
        f"{leader} scores {wide.loc[leader, subsets[0]]:.0%} on the examples with {cue} and "
        f"{wide.loc[leader, subsets[1]]:.0%} on the others"
        + (", a gap beyond chance: much of its score comes from the cue" if apart else ", within chance")
        + f". Without the cue, the most accurate is {without.index[0]} ({without.iloc[0]:.0%}) and the least "
        f"{without.index[-1]} ({without.iloc[-1]:.0%})."
    )


def generalisation_finding(results: pd.DataFrame) -> str:
    """Validation (wordings and names seen in training) against test (held out) per approach: the approach that
    loses most, and whether that loss is beyond the test interval."""
    drop = (results["validation_accuracy"] - results["accuracy"]).dropna().sort_values(ascending=False)
    worst = drop.index[0]
    _, low, high = run_interval(results.loc[worst, "run_scores"])
    seen = results.loc[worst, "validation_accuracy"]
    beyond = seen > high
    return (
        f"{worst} scores {seen:.0%} on validation (the wordings of its training examples) and "
        f"{results.loc[worst, 'accuracy']:.0%} ({low:.0%}-{high:.0%}) on test, whose wordings and product names it "
        f"never saw: "
        + (
            "it learned the examples' wording more than the task."
            if beyond
            else "within chance, so it did not just memorise wordings."
        )
        + f" The smallest drop: {drop.index[-1]} ({drop.iloc[-1]:+.0%})."
    )


def defence_finding(summary: pd.DataFrame, flags: dict, method: str = "generate") -> str:
    """Injection: whether the defence cut hijacking beyond chance AND kept the task working (its task accuracy not
    clearly below the undefended prompt's, its answers readable). A defence that breaks the task does not count."""
    rows = summary[summary["method"] == method].set_index("pattern")
    attacked, defended = rows.index[1], rows.index[2]
    hijack = compare_methods([flags[defended, method]], [flags[attacked, method]])
    task = rows.loc[defended, "accuracy"], rows.loc[attacked, "accuracy"]
    broken = rows.loc[defended, "unparseable_rate"] > 0.5 or task[0] + 0.1 < task[1]
    cut = hijack.verdict == "B better"  # (A: hijacked with the defence, B: without it)
    story = (
        f"Hijacked answers: {rows.loc[attacked, 'answered_attacker_label']:.0%} without the defence, "
        f"{rows.loc[defended, 'answered_attacker_label']:.0%} with it; task accuracy {task[1]:.0%} without, "
        f"{task[0]:.0%} with it ({rows.loc[defended, 'unparseable_rate']:.0%} unreadable answers). "
    )
    if cut and not broken:
        return story + "The defence works: fewer hijacks beyond chance, and the task still done."
    if cut:
        return story + "The defence only seems to work: it cuts hijacks by breaking the task, so it does not count."
    return story + "The defence does not cut hijacking beyond chance."


def iteration_findings(table: pd.DataFrame) -> list[str]:
    """Notebook 06's path: for each new request (variation), the most accurate way to meet it and the ways within
    chance of it (over runs and the same test reviews), so that a tie is never called a win."""
    sentences = []
    asked = table[table["step"].str.startswith("3")]
    for variation, rows in asked.groupby("variation", sort=False):
        rows = rows.sort_values("accuracy", ascending=False)
        ways = [
            f"'{row.step}' with the {row.model} model" + (f" and {row.shots} examples" if row.shots else "")
            for row in rows.itertuples()
        ]
        leader = rows.iloc[0]
        tied = [
            way
            for way, (_, row) in zip(ways[1:], rows.iloc[1:].iterrows())
            if compare_methods(leader["run_scores"], row["run_scores"]).verdict != "A better"
        ]
        measured = format_runs(leader["run_scores"])
        if tied:
            sentences.append(
                f"{variation}: {ways[0]} scored most ({measured}), but no way is clearly the most accurate; within "
                f"chance of it: {'; '.join(tied)}."
            )
        else:
            sentences.append(
                f"{variation}: the most accurate way was {ways[0]} ({measured}), clearly ahead of every other way."
            )
    return sentences
