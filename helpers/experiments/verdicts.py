"""The seed article, checked against our numbers: its comparison table rebuilt, its claims judged.

    seed_table(run.results, price_per_hour=2.00)         # its eight aspects x our approaches, every cell measured
    seed_claims({"reviews": run}, curve, versatile)      # each claim: measured, verdict, note
    decision_figures(run, curve, versatile)              # the decision helper's defaults

(`run` a HeadToHead, `curve` a LearningCurve, `versatile` a Versatility: yours, or the reference's.)

Families are compared through their best member on validation (`comparison.best_of`), and a verdict counts a gap
only when its 95% interval, over test examples and training seeds (`statistics.compare_methods`), excludes zero.
"""

import numpy as np
import pandas as pd

from ..core.statistics import compare_methods, compare_paired, format_runs
from .advice import Figures, accuracy_verdict, compared
from .comparison import HeadToHead, best_of, with_dollars
from .crossover import LearningCurve, crossover_point
from .versatility import Versatility


def _format_count(n: float) -> str:
    return f"{n / 1e6:.2f} M" if n >= 1e5 else f"{n:,.0f}"


def strengths(results: pd.DataFrame) -> dict:
    """For the approaches not clearly less accurate than the most accurate one (over runs and examples): which is the
    most accurate, the steadiest over wordings, the cheapest per request, the one needing the fewest labels and the
    one with nothing to train. An approach that is clearly worse is never praised for anything else."""
    leader = results["accuracy"].idxmax()
    contenders = [
        approach
        for approach in results.index
        if approach == leader
        or compare_methods(results.loc[approach, "run_scores"], results.loc[leader, "run_scores"]).verdict != "B better"
    ]
    r = results.loc[contenders]
    found = {"most accurate": [leader], "within chance of the most accurate": [a for a in contenders if a != leader]}
    if "paraphrase_agreement" in r and r["paraphrase_agreement"].notna().any():
        found["steadiest over wordings"] = [r["paraphrase_agreement"].idxmax()]
    found["cheapest per request"] = [r["latency_s"].idxmin()]
    found["fewest labels"] = [r["labelled_examples"].idxmin()]
    found["nothing to train"] = list(r.index[(r["training_seconds"] == 0) & (r["family"] != "classical")])
    return found


def seed_table(results: pd.DataFrame, price_per_hour: float, versatile: pd.DataFrame | None = None) -> pd.DataFrame:
    """The seed article's comparison table, rebuilt: its eight aspects as rows, our approaches as columns, every cell
    written from a measured number. `versatile` (a versatility table) fills the use case with what each model does
    outside the task."""
    r = with_dollars(results, price_per_hour)
    tickets = "json_valid_rate" in r
    praise = {
        approach: [label for label, members in strengths(results).items() if approach in members]
        for approach in results.index
    }
    columns = {}
    for approach, row in r.iterrows():
        trained, classical = row["trainable_parameters"], row["family"] == "classical"
        performance = format_runs(row["run_scores"])
        if tickets:
            performance += f" (fields), JSON valid {row['json_valid_rate']:.0%}"
        size_mb = 4 * trained / 1e6  # float32: 4 bytes per trained weight
        columns[approach] = {
            "Definition": (
                "no language model: word counts and a logistic regression"
                if classical
                else f"weights changed: {_format_count(trained)} of {_format_count(row['parameters'])}; "
                f"prompt: {row['prompt']}"
            ),
            "Use case": _use_case(row, versatile),
            "Data requirement": f"{row['labelled_examples']:.0f} labelled examples",
            "Cost": (
                f"once: {row['training_seconds']:.0f} s of training here ({_selection(row)}), "
                f"{row['training_flops']:.1e} FLOPs, ${row['training_dollars']:.3f}; per 1,000 requests: "
                f"${row['dollars_per_1000_requests']:.3f} ({row['prompt_tokens']:.0f} prompt tokens, "
                f"{row['latency_s']:.3f} s each)"
            ),
            "Flexibility": (
                "change it: edit the prompt (0 s)"
                if trained == 0 and not classical
                else f"change it: relabel and retrain ({row['training_seconds']:.0f} s here)"
            )
            + (
                f"; accuracy over wordings {row['accuracy_worst_wording']:.0%}-{row['accuracy_best_wording']:.0%}"
                if pd.notna(row.get("accuracy_worst_wording"))
                else ""
            ),
            "Performance": performance
            + (
                f"; same answer over wordings {row['paraphrase_agreement']:.0%}, over sampling "
                f"seeds {row['seed_agreement']:.0%}"
                if pd.notna(row.get("paraphrase_agreement"))
                else ""
            ),
            "Deployment complexity": (
                "ship a prompt"
                if trained == 0 and not classical
                else "ship a small classifier"
                if classical
                else f"ship {size_mb:.1f} MB of new weights" + (" and a prompt" if approach == "hybrid" else "")
            ),
            "When to use": ", ".join(praise[approach]) or "clearly less accurate than the best: not on this task",
        }
    return pd.DataFrame(columns)


def _selection(row) -> str:
    """What choosing the approach's recipe cost, where it was chosen by training."""
    seconds = row.get("selection_seconds")
    return (
        "nothing to choose by training"
        if seconds is None or pd.isna(seconds)
        else f"{seconds:.0f} s more to choose its learning rate and passes"
    )


def _use_case(row, versatile: pd.DataFrame | None) -> str:
    """What the approach's model serves: this task only, or any task (with what it scores elsewhere, if measured)."""
    if row["family"] == "classical":
        return "this task only (its labels)"
    tuned = row["trainable_parameters"] > 0
    if versatile is None:
        return "this task only: the weights were specialised" if tuned else "any task: the model is unchanged"
    model = versatile.loc[versatile.index[1] if tuned else versatile.index[0]]
    elsewhere = ", ".join(
        f"{column.removesuffix('_accuracy').replace('_', ' ')} {value:.0%}"
        for column, value in model.items()
        if column.endswith("_accuracy")
    )
    return ("specialised: " if tuned else "any task, the model unchanged: ") + elsewhere


def decision_figures(run: HeadToHead, curve: LearningCurve, versatile: Versatility, model: str = "") -> Figures:
    """The measured numbers the decision helper uses as defaults, from a head-to-head (yours, or the reference's), a
    learning curve and a versatility result: prompting and fine-tuning are each family's best on validation, the
    classical yardstick TF-IDF (where measured)."""
    results = run.results
    names = {
        "prompting": best_of(results, "prompting"),
        "fine-tuning": best_of(results, "fine-tuning"),
        "hybrid": "hybrid",
    }
    if "TF-IDF" in results.index:
        names["classical"] = "TF-IDF"
    tuned_vs_prompt = compare_methods(
        results.loc[names["fine-tuning"], "run_scores"], results.loc[names["prompting"], "run_scores"]
    )
    runs = versatile.runs
    base, tuned = list(runs)
    return Figures(
        accuracy={a: float(results.loc[n, "accuracy"]) for a, n in names.items()},
        latency_s={a: float(results.loc[n, "latency_s"]) for a, n in names.items()},
        training_seconds=float(results.loc[names["fine-tuning"], "training_seconds"]),
        examples_needed=crossover_point(curve.table),
        probe_drop=float(np.mean(runs[base]["probe"]) - np.mean(runs[tuned]["probe"])),
        accuracy_verdict=accuracy_verdict(tuned_vs_prompt),
        test_examples=tuned_vs_prompt.n,
        hybrid_verdict=compared(
            compare_methods(results.loc["hybrid", "run_scores"], results.loc[names["fine-tuning"], "run_scores"])
        ),
        classical_verdict=(
            compared(
                compare_methods(results.loc["TF-IDF", "run_scores"], results.loc[names["fine-tuning"], "run_scores"])
            )
            if "classical" in names
            else "too close to call"
        ),
        classical_vs_prompting=(
            compared(
                compare_methods(results.loc["TF-IDF", "run_scores"], results.loc[names["prompting"], "run_scores"])
            )
            if "classical" in names
            else "too close to call"
        ),
        names=names,
        model=model,
    )


def _verdict(comparison, claim_holds_if: str = "A better") -> tuple[str, str]:
    """(verdict, note) for a claim that A beats B: 'agrees' or 'disagrees' when the interval excludes 0, else
    'too close to call'."""
    runs = getattr(comparison, "runs_a", 1), getattr(comparison, "runs_b", 1)  # (a paired comparison: one run each)
    note = (
        f"gap {comparison.difference:+.0%}, 95% interval {comparison.low:+.0%} to {comparison.high:+.0%} "
        f"on the same {comparison.n} examples"
        + (f", {runs[0]} and {runs[1]} runs" if runs[0] * runs[1] > 1 else " (paired)")
    )
    opposite = "B better" if claim_holds_if == "A better" else "A better"
    return {claim_holds_if: "agrees", opposite: "disagrees"}.get(comparison.verdict, "too close to call"), note


def _claim(claim: str, measured: str, verdict: str, note: str = "") -> dict:
    return {"claim": claim, "measured": measured, "verdict": verdict, "note": note}


def seed_claims(runs: dict, curve: LearningCurve, versatile: Versatility) -> pd.DataFrame:
    """The seed article's main claims, each with what we measured, a verdict and a note.

    runs: task -> a `HeadToHead`. Verdicts: agrees, disagrees, partly, or too
    close to call. Each family is represented by its best member on validation; a gap counts only when its 95%
    interval (over examples and training seeds) excludes zero, and a claim the numbers cannot confirm is never
    scored as agreement.
    """
    rows = []
    for task, run in runs.items():
        r = run.results
        tuned_name, prompt_name = best_of(r, "fine-tuning"), best_of(r, "prompting")
        tuned, prompted = r.loc[tuned_name], r.loc[prompt_name]
        rows.append(
            _claim(
                f"Fine-tuning is more accurate on a specific task ({task})",
                f"{tuned_name} {format_runs(tuned['run_scores'])} vs {prompt_name} "
                f"{format_runs(prompted['run_scores'])} (each its family's best on validation)",
                *_verdict(compare_methods(tuned["run_scores"], prompted["run_scores"])),
            )
        )
        if isinstance(tuned.get("agreement_scores"), list) and isinstance(prompted.get("agreement_scores"), list):
            rows.append(
                _claim(
                    f"Fine-tuned answers change less when the instruction is reworded ({task})",
                    f"same answer over wordings: {tuned_name} {tuned['paraphrase_agreement']:.0%} vs "
                    f"{prompt_name} {prompted['paraphrase_agreement']:.0%}",
                    *_verdict(compare_paired(tuned["agreement_scores"], prompted["agreement_scores"])),
                )
            )
        extra = prompted["prompt_tokens"] - tuned["prompt_tokens"]
        rows.append(
            _claim(
                f"Prompting is the cheap option ({task})",
                f"no training (the fine-tune took {tuned['training_seconds']:.0f} s and {tuned['training_flops']:.1e} "
                f"FLOPs, {tuned.get('selection_seconds', 0):.0f} s more to choose its recipe), and "
                f"{prompt_name} reads {extra:+.0f} tokens per request compared with the fine-tuned model",
                "partly" if extra > 0 else "agrees",
                "cheaper to start; dearer per request, so volume decides"
                if extra > 0
                else "cheaper to start and to run",
            )
        )
        free = [name for name in ("zero-shot", "label scoring") if name in r.index]
        if prompted["labelled_examples"] == 0:
            rows.append(
                _claim(
                    f"Prompting needs little or no labelled data ({task})",
                    f"the best prompting approach, {prompt_name}, uses no labelled example",
                    "agrees",
                    "it was chosen on labelled validation examples all the same",
                )
            )
        else:
            free_best = max(free, key=lambda name: r.loc[name, "validation_accuracy"])
            verdict, note = _verdict(
                compare_methods(r.loc[free_best, "run_scores"], prompted["run_scores"]), "A better"
            )
            verdict = {"disagrees": "disagrees", "agrees": "agrees"}.get(
                verdict, "agrees"
            )  # no loss without data: agrees
            rows.append(
                _claim(
                    f"Prompting needs little or no labelled data ({task})",
                    f"without labelled examples ({free_best}) {r.loc[free_best, 'accuracy']:.0%}; with "
                    f"{prompted['labelled_examples']:.0f} ({prompt_name}) {prompted['accuracy']:.0%}",
                    verdict,
                    note
                    + (
                        "; the data-free prompt is not clearly worse"
                        if verdict == "agrees"
                        else "; here the prompt needed labelled examples too"
                    ),
                )
            )
    point = crossover_point(curve.table)
    largest = int(curve.table["labelled_examples"].max())
    rows.append(
        _claim(
            "Fine-tuning needs a labelled data set before it pays off",
            f"fine-tuning beat every usable prompt from {point} labelled examples"
            if point is not None
            else f"fine-tuning did not clearly beat prompting with up to {largest} labelled examples",
            "agrees" if point is not None else "too close to call",
            "over training seeds and the same test examples"
            if point is not None
            else "no difference beyond chance at any size measured: this run cannot tell",
        )
    )
    measures = versatile.runs
    base, tuned = list(measures)
    for measure in measures[base]:
        comparison = compare_methods(measures[base][measure], measures[tuned][measure])
        rows.append(
            _claim(
                f"A fine-tuned model loses versatility: {measure.replace('_', ' ')} (Swiss army knife vs scalpel)",
                f"base {comparison.accuracy_a:.0%}, fine-tuned {comparison.accuracy_b:.0%}",
                *_verdict(comparison),
            )
        )
    return pd.DataFrame(rows)
