"""The reference run: every measurement the notebooks conclude from, at full size, shipped in `results/`.

A quick run (CI, Binder) answers a handful of examples: too few to conclude from. The reference run
answers the whole test splits once, with the course's full-mode training settings, and ships every
per-example answer as CSV, with `results/provenance.json` (when, where, on which machine and library
versions, and a fingerprint of what defines the experiments: data, prompts, settings, model file).

    python benchmarks/reference.py               # measure what is missing (resumes), then write results/
    run = reference.head_to_head("reviews")      # like comparison.head_to_head(...), read from results/
    evidence, source = reference.larger(mine, run)  # conclude from the larger sample

The notebooks show their own run beside the reference and draw conclusions from the larger of the two:
a full-size run of your own, or else the reference.
"""
import hashlib
import json
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd

from .comparison import Settings, default_settings
from .config import REPO_ROOT, SEED
from .data import balanced_sample, data_files, load_reviews
from .errors import CourseError
from .files import write_text
from .models import PACKAGED_MODEL, default_model_id, packaged_gguf_path
from .prompts import INJECTED_LABEL, INJECTION, catalog, delimited, inject, zero_shot
from .statistics import format_accuracy
from .style import HOUSE_STYLE, StyleSettings, default_style_settings, reply_request, styled_request
from .tasks import get_task

RESULTS_DIR = REPO_ROOT / "results"
PROVENANCE = "provenance.json"
# Raise when the measuring code changes what the reference would measure (2: bfloat16 products; 3: generation
# batches of at most 4,096 prompt tokens and adapters seeded before they are made).
REFERENCE_VERSION = 3
CROSSOVER = {"shots": (1, 4), "sizes": (16, 64)}  # labelled examples: in the prompt, and as LoRA training data
VALIDATION = {"reviews": 60, "tickets": 24}        # examples the best prompt is chosen on (twice full mode's)
CONSISTENCY = {"reviews": 40, "tickets": 16}       # test examples asked in other wordings and with other seeds


def settings(task: str) -> Settings:
    """The reference's settings: full mode's training, the whole test split; the best prompt chosen on twice
    full mode's validation examples, consistency measured on a part of the test split (it asks each example
    six more times: 3 wordings and 3 seeds). Sized to finish within an hour on 2 CPU cores."""
    full = default_settings(task, quick=False)
    n_test = len(get_task(task).split("test"))
    return replace(full, n_test=n_test, n_validation=VALIDATION[task], n_consistency=CONSISTENCY[task])


def style_settings() -> StyleSettings:
    """The reference's house-style experiment (notebook 07): full mode's sizes."""
    return default_style_settings(quick=False)


def injection_victims() -> pd.DataFrame:
    """Every positive or very positive test review: the attacker wants them called very_negative."""
    test = load_reviews("test")
    return test[test["label"].isin(["positive", "very_positive"])].reset_index(drop=True)


# --- The fingerprint: what defines the experiments ---------------------------------------------------

def _model_digest(model_id: str) -> str:
    if model_id != PACKAGED_MODEL:
        return model_id  # a hub id: its name is all there is to hash without the network
    return hashlib.sha256(packaged_gguf_path().read_bytes()).hexdigest()


def _rendered_prompts() -> dict:
    """Every prompt the reference asks, shown on two fixed examples per task: a change to any pattern,
    instruction, wording or injection changes the fingerprint."""
    rendered = {}
    for task in ("reviews", "tickets"):
        run = settings(task)
        frame = get_task(task).split("train")
        texts = list(frame["text"].head(2))
        pool = balanced_sample(frame, run.n_train, get_task(task).label_column, seed=SEED)
        patterns = catalog(task, pool=pool.reset_index(drop=True), k=run.k)
        rendered[task] = {name: [pattern(text) for text in texts] for name, pattern in sorted(patterns.items())}
        rendered[task]["wordings"] = list(get_task(task).paraphrases)
    rendered["injection"] = [INJECTION, INJECTED_LABEL, delimited(inject("It broke.")), zero_shot("It broke.")]
    rendered["style"] = [HOUSE_STYLE, reply_request("It broke."), styled_request("It broke.")]
    return rendered


def fingerprint() -> str:
    """A digest of what the reference measured: data files, prompts, settings, model file, REFERENCE_VERSION.

    Library versions are recorded in the provenance but not fingerprinted: the same course runs on several stacks.
    """
    digest = hashlib.sha256(f"reference {REFERENCE_VERSION}".encode())
    for path in data_files(("probe", "reviews", "tickets", "replies")):
        digest.update(path.name.encode() + path.read_bytes())
    definition = {"settings": {task: asdict(settings(task)) for task in ("reviews", "tickets")}, "crossover": CROSSOVER,
                  "style": asdict(style_settings()),
                  "prompts": _rendered_prompts(), "model": _model_digest(default_model_id())}
    digest.update(json.dumps(definition, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


# --- Writing and reading results/ ----------------------------------------------------------------------

def write_table(name: str, table: pd.DataFrame, folder: Path = RESULTS_DIR) -> Path:
    """Write `folder/name.csv` in one step (a reader never sees half of it)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    write_text(path, table.to_csv(index=False))
    return path


def read_table(name: str, folder: Path = RESULTS_DIR) -> pd.DataFrame:
    path = folder / f"{name}.csv"
    if not path.exists():
        raise CourseError(f"The reference has no {path.name} ({folder}): run `python benchmarks/reference.py` to measure it.")
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def provenance(folder: Path = RESULTS_DIR) -> dict:
    """When, where and on what the reference was measured (`results/provenance.json`)."""
    path = folder / PROVENANCE
    if not path.exists():
        raise CourseError(f"No reference run in {folder}: run `python benchmarks/reference.py`.")
    return json.loads(path.read_text())


def write_provenance(record: dict, folder: Path = RESULTS_DIR) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / PROVENANCE, json.dumps(record, indent=2, sort_keys=True) + "\n")


def per_example(table: pd.DataFrame, keys: list[str], lists: tuple[str, ...]) -> pd.DataFrame:
    """A table with list columns (one value per test example) as a tidy one: one row per key and example."""
    rows = []
    for _, row in table.iterrows():
        for i, values in enumerate(zip(*(row[column] for column in lists))):
            rows.append({**{key: row[key] for key in keys}, "example": i, **dict(zip(lists, values))})
    return pd.DataFrame(rows)


def _lists(examples: pd.DataFrame, keys: list[str], columns: tuple[str, ...]) -> pd.DataFrame:
    """The inverse of `per_example`: one row per key, one list per column."""
    ordered = examples.sort_values([*keys, "example"], kind="stable")
    return ordered.groupby(keys, sort=False)[list(columns)].agg(list).reset_index()


SCALARS_DROPPED = ("scores", "predictions", "agreement_scores")


def head_to_head(task: str, folder: Path = RESULTS_DIR) -> dict:
    """The reference's head-to-head of `task`, shaped like `comparison.head_to_head`'s result (plus "settings")."""
    summary = read_table(f"{task}_head_to_head", folder).set_index("approach")
    examples = _lists(read_table(f"{task}_head_to_head_examples", folder), ["approach"], ("score", "prediction", "agreement"))
    examples = examples.set_index("approach")
    summary["scores"] = examples["score"]
    summary["predictions"] = examples["prediction"]
    summary["agreement_scores"] = examples["agreement"].map(lambda values: [v for v in values if v == v])  # subset only
    return {"results": summary, "candidates": read_table(f"{task}_prompt_choice", folder), "settings": settings(task)}


def crossover(folder: Path = RESULTS_DIR) -> pd.DataFrame:
    """The reference's crossover table (reviews), shaped like `crossover.crossover`'s result."""
    summary = read_table("reviews_crossover", folder)
    examples = _lists(read_table("reviews_crossover_examples", folder), ["method", "labelled_examples"], ("score",))
    table = summary.merge(examples.rename(columns={"score": "scores"}), on=["method", "labelled_examples"])
    return table.assign(n=table["scores"].map(len))


def versatility(folder: Path = RESULTS_DIR) -> dict:
    """The reference's versatility experiment, shaped like `versatility.versatility`'s result."""
    probe = read_table("versatility_probe", folder)
    return {"table": read_table("versatility", folder).set_index("model"),
            "probe": {model: rows.drop(columns="model").reset_index(drop=True) for model, rows in probe.groupby("model", sort=False)}}


def injection(folder: Path = RESULTS_DIR) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The reference's injection experiment, shaped like `evaluation.measure_injection`'s result."""
    return read_table("injection", folder), read_table("injection_examples", folder)


def iteration(folder: Path = RESULTS_DIR) -> pd.DataFrame:
    """The reference's hybrid path (notebook 06), shaped like `variations.iteration`'s result, plus `n`."""
    return read_table("iteration", folder)


def house_style(folder: Path = RESULTS_DIR) -> dict:
    """The reference's house-style experiment (notebook 07), shaped like `style.style_experiment`'s result."""
    summary = read_table("house_style", folder).set_index("approach")
    examples = _lists(read_table("house_style_examples", folder), ["approach"], ("score", "reply")).set_index("approach")
    summary["scores"] = examples["score"]
    replies = {approach: [text if isinstance(text, str) else "" for text in texts]  # an empty reply reads back as NaN
               for approach, texts in examples["reply"].items()}
    return {"results": summary, "replies": replies, "choice": read_table("house_style_choice", folder),
            "tickets": read_table("house_style_tickets", folder)["text"].tolist()}


def summary(folder: Path = RESULTS_DIR) -> str:
    """The reference's findings as Markdown (results/README.md), every figure read from the tables in `folder`."""
    from .crossover import crossover_point
    from .evaluation import hijacked_flags
    from .statistics import compare_paired
    record = provenance(folder)
    lines = ["# The reference run", "",
             f"Measured with `{record['command']}` on {record['date']} ({record['machine']['summary']}, "
             f"torch {record['versions']['torch']}, transformers {record['versions']['transformers']}, "
             f"peft {record['versions']['peft']}), commit {record['commit']}, in {record['wall_seconds'] / 60:.0f} minutes "
             f"(per step: {', '.join(f'{name} {seconds / 60:.0f} min' for name, seconds in record['step_seconds'].items())}). "
             "Every answer is in the CSV files beside this one; `helpers.reference` reads them. This page is written "
             "by the script from those files.", ""]
    for task in ("reviews", "tickets"):
        run = head_to_head(task, folder)
        results, n = run["results"], sample_size(run)
        lines += [f"## {task.capitalize()}: {n} test examples", "",
                  f"Best prompt chosen on {run['settings'].n_validation} validation examples: "
                  f"`{results.loc['best prompt', 'prompt']}`.", "", "| approach | accuracy (95% interval) |", "|---|---|"]
        lines += [f"| {approach} | {format_accuracy(row['scores'])} |" for approach, row in results.iterrows()]
        lines += [""] + [f"- {compare_paired(results.loc[a, 'scores'], results.loc[b, 'scores']).describe(a, b)}"
                         for a, b in [("LoRA fine-tune", "best prompt"), ("full fine-tune", "best prompt"),
                                      ("full fine-tune", "LoRA fine-tune"), ("best prompt", "zero-shot")]] + [""]
    crossing = crossover(folder)
    point = crossover_point(crossing)
    lines += ["## Labelled examples: in the prompt or as training data (reviews)", "", "| method | labelled examples | accuracy |",
              "|---|---|---|"]
    lines += [f"| {row['method']} | {row['labelled_examples']} | {format_accuracy(row['scores'])} |" for _, row in crossing.iterrows()]
    lines += ["", f"Fine-tuning beat every prompt that could use as many examples from {point} labelled examples on."
              if point is not None else "Fine-tuning did not clearly beat the prompts at any size measured.", ""]
    base, tuned = versatility(folder)["probe"].values()
    lines += ["## Versatility", "", f"- {compare_paired(tuned['correct'], base['correct']).describe('fine-tuned on reviews', 'base model')} "
              "(general probe)", ""]
    style = house_style(folder)["results"]
    lines += ["## House style: replies to tickets (notebook 07)", "", "| approach | style score (95% interval) | all seven rules |",
              "|---|---|---|"]
    lines += [f"| {approach} | {format_accuracy(row['scores'])} | {row['all_rules']:.0%} |" for approach, row in style.iterrows()]
    best_prompt = style.drop(index=["LoRA fine-tune"])["style_score"].idxmax()
    lines += ["", f"- {compare_paired(style.loc['LoRA fine-tune', 'scores'], style.loc[best_prompt, 'scores']).describe('LoRA fine-tune', best_prompt)}", ""]
    flags = hijacked_flags(injection(folder)[1])
    lines += ["## Prompt injection: answers moved to the attacker's label", "", "| condition | generate | score |", "|---|---|---|"]
    for condition in dict.fromkeys(condition for condition, _ in flags):
        lines.append(f"| {condition} | {format_accuracy(flags[condition, 'generate'])} | {format_accuracy(flags[condition, 'score'])} |")
    return "\n".join(lines) + "\n"


# --- Side by side, and which to conclude from --------------------------------------------------------

def sample_size(run) -> int:
    """How many examples a result measured (yours or the reference's): test examples per approach of a
    head-to-head, test examples per point of a crossover table, probe questions of a versatility result."""
    if isinstance(run, pd.DataFrame):
        return int(run["n"].max())
    if "table" in run:
        return int(run["table"]["probe_questions"].max())
    return len(run["results"]["scores"].iloc[0])


def larger(mine, reference, what: str = "test examples", folder: Path = RESULTS_DIR) -> tuple:
    """(the result to conclude from, a sentence saying which): yours if it measured at least as many
    examples as the reference, else the reference. Works for head-to-heads, crossovers and versatility."""
    n_mine, n_reference = sample_size(mine), sample_size(reference)
    if n_mine >= n_reference:
        return mine, f"Conclusions come from this run ({n_mine} {what}; the reference has {n_reference})."
    return reference, (f"This run measured {n_mine} {what}: too few to conclude from. Conclusions come "
                       f"from the reference run ({n_reference} {what}, {where(folder)}).")


def where(folder: Path = RESULTS_DIR) -> str:
    """Where and when the reference was measured, in a few words."""
    record = provenance(folder)
    return f"measured on {record['date']} on {record['machine']['summary']}"


def side_by_side(mine: pd.DataFrame, reference: pd.DataFrame, mine_name: str = "this run") -> pd.DataFrame:
    """Accuracy of each approach with its 95% interval and n: your run next to the reference."""
    return pd.DataFrame({mine_name: mine["scores"].map(format_accuracy),
                         "reference": reference["scores"].map(format_accuracy)}).loc[list(reference.index)]


def consistent_with(quick_scores, reference_scores) -> bool:
    """Whether a quick run's accuracy lies within the reference's 95% interval widened by the quick run's own:
    what a working pipeline measuring the same thing on fewer examples should show (chance rarely fails it)."""
    from .statistics import accuracy_interval
    quick, quick_low, quick_high = accuracy_interval(quick_scores)
    _, low, high = accuracy_interval(reference_scores)
    # below the reference, the quick run's upward margin counts; above it, its downward one
    return low - (quick_high - quick) <= quick <= high + (quick - quick_low)
