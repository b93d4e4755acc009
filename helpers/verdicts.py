"""The seed article, checked against our numbers: its comparison table rebuilt, its claims judged.

    seed_table(run["results"], price_per_hour=2.00)      # its eight aspects x our five approaches, every cell measured
    seed_claims(runs, crossover_table, versatility_run)  # each claim: measured, verdict, note
    decision_figures(results, crossover_table, versatility_table)   # the decision helper's defaults

A verdict counts a gap only when the 95% interval of the paired difference (same test
examples, `helpers.statistics.compare_paired`) excludes zero.
"""
import pandas as pd

from .comparison import with_dollars
from .crossover import crossover_point
from .decision import Figures, accuracy_verdict
from .statistics import compare_paired


def _format_count(n: float) -> str:
    return f"{n / 1e6:.2f} M" if n >= 1e5 else f"{n:,.0f}"


def seed_table(results: pd.DataFrame, price_per_hour: float) -> pd.DataFrame:
    """The seed article's comparison table, rebuilt: its eight aspects as rows, our five approaches as columns,
    every cell written from a measured number."""
    r = with_dollars(results, price_per_hour)
    tickets = "json_valid_rate" in r
    best = {"accuracy": r["accuracy"].idxmax(), "paraphrase_agreement": r["paraphrase_agreement"].idxmax(),
            "dollars_per_1000_requests": r["dollars_per_1000_requests"].idxmin(),
            "labelled_examples": r["labelled_examples"].idxmin(), "training_seconds": r["training_seconds"].idxmin()}
    strengths = {"accuracy": "most accurate", "paraphrase_agreement": "steadiest over wordings",
                 "dollars_per_1000_requests": "cheapest per request", "labelled_examples": "fewest labels",
                 "training_seconds": "nothing to train"}
    columns = {}
    for approach, row in r.iterrows():
        trained = row["trainable_parameters"]
        performance = f"accuracy {row['accuracy']:.0%}"
        if tickets:
            performance += f" (fields), JSON valid {row['json_valid_rate']:.0%}"
        size_mb = 4 * trained / 1e6  # float32: 4 bytes per trained weight
        columns[approach] = {
            "Definition": (f"weights changed: {_format_count(trained)} of {_format_count(row['parameters'])}; "
                           f"prompt: {row['prompt']}"),
            "Use case": f"accuracy {row['accuracy'] - r['accuracy'].max():+.0%} vs the best approach on this task",
            "Data requirement": f"{row['labelled_examples']:.0f} labelled examples",
            "Cost": (f"once: {row['training_seconds']:.0f} s here, {row['training_flops']:.1e} FLOPs, "
                     f"${row['training_dollars']:.3f}; per 1,000 requests: ${row['dollars_per_1000_requests']:.3f}"
                     f" ({row['prompt_tokens']:.0f} prompt tokens, {row['latency_s']:.2f} s each)"),
            "Flexibility": ("change it: edit the prompt (0 s)" if trained == 0 else
                            f"change it: retrain ({row['training_seconds']:.0f} s here)")
                           + f"; accuracy over wordings {row['accuracy_worst_wording']:.0%}-{row['accuracy_best_wording']:.0%}",
            "Performance": (f"{performance}; same answer over wordings {row['paraphrase_agreement']:.0%}, "
                            f"over seeds {row['seed_agreement']:.0%}"),
            "Deployment complexity": ("ship a prompt" if trained == 0 else
                                      f"ship {size_mb:.1f} MB of new weights" + (" and a prompt" if approach == "hybrid" else "")),
            "When to use": ", ".join(label for column, label in strengths.items() if best[column] == approach) or "-",
        }
    return pd.DataFrame(columns)


def decision_figures(results: pd.DataFrame, crossover_table: pd.DataFrame, versatility_table: pd.DataFrame):
    """The measured numbers the decision helper uses as defaults (prompting = the best prompt, fine-tuning = LoRA),
    from a head-to-head's results (yours, or the reference's), a crossover table and a versatility table."""
    names = {"prompting": "best prompt", "fine-tuning": "LoRA fine-tune", "hybrid": "hybrid"}
    probe = versatility_table["probe_accuracy"]
    paired = compare_paired(results.loc["LoRA fine-tune", "scores"], results.loc["best prompt", "scores"])
    verdict = accuracy_verdict(paired)
    return Figures(accuracy={a: float(results.loc[n, "accuracy"]) for a, n in names.items()},
                   latency_s={a: float(results.loc[n, "latency_s"]) for a, n in names.items()},
                   training_seconds=float(results.loc["LoRA fine-tune", "training_seconds"]),
                   examples_needed=crossover_point(crossover_table), probe_drop=float(probe.iloc[0] - probe.iloc[1]),
                   accuracy_verdict=verdict, test_examples=paired.n)


def _verdict(ours, theirs) -> tuple[str, str]:
    """(verdict, note) for a claim that `ours` scores higher than `theirs`, per-example scores on the same
    examples: 'agrees' or 'disagrees' when the 95% interval of the paired difference excludes 0, else
    'too close to call'."""
    result = compare_paired(ours, theirs)
    note = (f"gap {result.difference:+.0%}, 95% interval {result.low:+.0%} to {result.high:+.0%} "
            f"on the same {result.n} examples (paired)")
    return {"A better": "agrees", "B better": "disagrees"}.get(result.verdict, "too close to call"), note


def _claim(claim: str, measured: str, verdict: str, note: str = "") -> dict:
    return {"claim": claim, "measured": measured, "verdict": verdict, "note": note}


def seed_claims(runs: dict, crossover_table: pd.DataFrame, versatile: dict) -> pd.DataFrame:
    """The seed article's main claims, each with what we measured, a verdict and a note.

    runs: task -> head_to_head(...) result; versatile: versatility(...). Verdicts: agrees, disagrees, partly,
    or too close to call. Accuracy claims compare the LoRA fine-tune with the best prompt (chosen on the
    validation split) example by example on the same test examples: a gap counts only when its 95%
    interval excludes zero, and a gap that does not is never scored as agreement.
    """
    rows = []
    for task, run in runs.items():
        r = run["results"]
        tuned, prompted = r.loc["LoRA fine-tune"], r.loc["best prompt"]
        rows.append(_claim(f"Fine-tuning is more accurate on a specific task ({task})",
                           f"LoRA fine-tune {tuned['accuracy']:.0%} vs best prompt ({prompted['prompt']}) {prompted['accuracy']:.0%}",
                           *_verdict(tuned["scores"], prompted["scores"])))
        rows.append(_claim(f"Fine-tuned answers change less when the instruction is reworded ({task})",
                           f"same answer over wordings: LoRA fine-tune {tuned['paraphrase_agreement']:.0%} vs best prompt "
                           f"{prompted['paraphrase_agreement']:.0%}",
                           *_verdict(tuned["agreement_scores"], prompted["agreement_scores"])))
        extra = prompted["prompt_tokens"] - tuned["prompt_tokens"]
        rows.append(_claim(f"Prompting is the cheap option ({task})",
                           f"no training (the LoRA fine-tune took {tuned['training_flops']:.1e} FLOPs), "
                           f"but the best prompt reads {extra:+.0f} tokens per request compared with the fine-tuned model",
                           "partly" if extra > 0 else "agrees",
                           "cheaper to start; dearer per request, so volume decides" if extra > 0 else "cheaper to start and to run"))
    point = crossover_point(crossover_table)
    largest = int(crossover_table["labelled_examples"].max())
    rows.append(_claim("Fine-tuning needs a labelled data set; prompting needs little or none",
                       f"fine-tuning beat every usable prompt from {point} labelled examples" if point is not None
                       else f"fine-tuning did not clearly beat prompting with up to {largest} labelled examples",
                       "agrees" if point is not None else "too close to call",
                       "paired on the same test examples" if point is not None else
                       "no difference beyond chance on these test examples: this run cannot tell"))
    base, tuned = list(versatile["probe"].values())
    rows.append(_claim("A fine-tuned model loses versatility (Swiss army knife vs scalpel)",
                       f"general probe: base {base['correct'].mean():.0%}, fine-tuned {tuned['correct'].mean():.0%}",
                       *_verdict(base["correct"], tuned["correct"])))
    return pd.DataFrame(rows)
