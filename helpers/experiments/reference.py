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

import numpy as np
import pandas as pd

from ..core.config import REPO_ROOT
from ..core.errors import CourseError
from ..core.files import write_text
from ..core.statistics import format_runs
from ..llm.models import PACKAGED_MODEL, default_model_id, load_tokenizer, packaged_gguf_path, short_name
from ..prompting.data import data_files, load_reviews
from ..prompting.evaluation import Injection
from ..prompting.fetch import ARCHIVE_SHA256
from ..prompting.house_style import HOUSE_STYLE
from ..prompting.prompts import INJECTED_LABEL, INJECTION, catalog, delimited, inject, zero_shot
from ..prompting.tasks import REVIEWS
from .comparison import HeadToHead, Settings, default_settings, prompt_patterns
from .crossover import LearningCurve
from .effort import effort_table
from .style import HouseStyle, StyleSettings, reply_request, styled_request
from .style import default_settings as default_style_settings
from .variations import HybridPath
from .versatility import Versatility

RESULTS_DIR = REPO_ROOT / "results"
PROVENANCE = "provenance.json"
# Raise when the measuring code changes what the reference would measure (2: bfloat16 products; 3: generation
# batches of at most 4,096 prompt tokens and adapters seeded before they are made; 4: real reviews, recipes chosen
# on validation, several training seeds).
REFERENCE_VERSION = 4
HEAD_TO_HEADS = ("reviews", "synthetic_reviews", "tickets")
CROSSOVER_SIZES = (32, 64)  # labelled examples below the head-to-head's own, for the learning curve (reviews)
ITERATION_TEST = 200  # test reviews the hybrid path's variations are asked on (by the base and every fine-tune)


def settings(task: str, model_id: str | None = None) -> Settings:
    """The reference's settings of a task: full mode's (whole validation and test splits, recipes chosen on
    validation, three training seeds)."""
    full = default_settings(task, quick=False)
    return full if model_id is None else replace(full, model_id=model_id)


def style_settings(model_id: str | None = None) -> StyleSettings:
    """The reference's house-style experiment (notebook 07): full mode's sizes."""
    full = default_style_settings(quick=False)
    return full if model_id is None else replace(full, model_id=model_id)


def injection_victims() -> pd.DataFrame:
    """Every positive or very positive test review: the attacker wants them called very_negative."""
    test = load_reviews("test")
    return test[test["label"].isin(["positive", "very_positive"])].reset_index(drop=True)


def folder_for(model_id: str | None = None) -> Path:
    """Where a model's reference lives: results/ for the packaged SmolLM2-135M, results/<model>/ for another."""
    model_id = model_id or default_model_id()
    return RESULTS_DIR if model_id == PACKAGED_MODEL else RESULTS_DIR / short_name(model_id)


def shipped() -> dict[str, Path]:
    """Every reference shipped in results/, by model name (the packaged model's first)."""
    folders = {short_name(PACKAGED_MODEL): RESULTS_DIR}
    folders.update({path.parent.name: path.parent for path in sorted(RESULTS_DIR.glob(f"*/{PROVENANCE}"))})
    return {name: folder for name, folder in folders.items() if (folder / PROVENANCE).is_file()}


# --- The fingerprint: what defines the experiments ---------------------------------------------------


def _model_digest(model_id: str) -> str:
    if model_id != PACKAGED_MODEL:
        return model_id  # a hub id: its name is all there is to hash without the network
    return hashlib.sha256(packaged_gguf_path().read_bytes()).hexdigest()


def _rendered_prompts() -> dict:
    """Every prompt the reference asks, shown on two fixed examples per task: a change to any pattern,
    instruction, wording or injection changes the fingerprint."""
    rendered = {}
    for task in HEAD_TO_HEADS:
        run = settings(task)
        texts = list(run.rows("validation")["text"].head(2))
        patterns = {name: draws[0] for name, draws in prompt_patterns(run).items()}
        patterns.update(catalog(run.task))
        rendered[task] = {name: [pattern(text) for text in texts] for name, pattern in sorted(patterns.items())}
        rendered[task]["wordings"] = list(run.task.paraphrases)
    rendered["injection"] = [
        INJECTION,
        INJECTED_LABEL,
        delimited(inject("It broke."), REVIEWS),
        zero_shot("It broke.", REVIEWS),
    ]
    rendered["style"] = [HOUSE_STYLE, reply_request("It broke."), styled_request("It broke.")]
    return rendered


def fingerprint(model_id: str | None = None) -> str:
    """A digest of what the reference measured: data files (the fetched archive's hash among them), prompts, settings,
    the model file, REFERENCE_VERSION. Library versions are recorded in the provenance but not fingerprinted: the
    same course runs on several stacks."""
    digest = hashlib.sha256(f"reference {REFERENCE_VERSION} {ARCHIVE_SHA256}".encode())
    for path in data_files(("probe", "reviews", "synthetic_reviews", "tickets", "replies")):
        digest.update(path.name.encode() + path.read_bytes())
    definition = {
        "settings": {task: settings(task, model_id).key() for task in HEAD_TO_HEADS},
        "crossover": CROSSOVER_SIZES,
        "iteration": ITERATION_TEST,
        "style": asdict(style_settings(model_id)),
        "prompts": _rendered_prompts(),
        "model": _model_digest(model_id or default_model_id()),
    }
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
        raise CourseError(
            f"The reference has no {path.name} ({folder}): run `python benchmarks/reference.py` to measure it."
        )
    return pd.read_csv(path, keep_default_na=False, na_values=[""], float_precision="round_trip")  # exactly as written


def provenance(folder: Path = RESULTS_DIR) -> dict:
    """When, where and on what the reference was measured (`results/provenance.json`)."""
    path = folder / PROVENANCE
    if not path.exists():
        raise CourseError(f"No reference run in {folder}: run `python benchmarks/reference.py`.")
    try:
        record = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as error:
        raise CourseError(
            f"{path} is damaged ({type(error).__name__}): restore it with `git checkout {path}` or measure "
            "again with `python benchmarks/reference.py`."
        ) from None
    if not isinstance(record, dict):
        raise CourseError(f"{path} is damaged (not a JSON object): restore it with `git checkout {path}`.")
    return record


def file_digests(folder: Path = RESULTS_DIR) -> dict[str, str]:
    """The SHA-256 of every file the reference wrote in `folder` (all but the provenance, which records them)."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
        if path.is_file() and path.name != PROVENANCE
    }


def edited_files(folder: Path = RESULTS_DIR) -> list[str]:
    """The files of `folder` that differ from what the reference run wrote (edited, added or removed by hand)."""
    recorded, present = provenance(folder).get("files", {}), file_digests(folder)
    return sorted(name for name in set(recorded) | set(present) if recorded.get(name) != present.get(name))


def write_provenance(record: dict, folder: Path = RESULTS_DIR) -> None:
    """The provenance, with the digest of every other file in `folder` (written last, after them)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_text(
        folder / PROVENANCE, json.dumps({**record, "files": file_digests(folder)}, indent=2, sort_keys=True) + "\n"
    )


def per_example(table: pd.DataFrame, keys: list[str], lists: tuple[str, ...]) -> pd.DataFrame:
    """A table with list columns (one value per test example) as a tidy one: one row per key and example."""
    rows = []
    for _, row in table.iterrows():
        for i, values in enumerate(zip(*(row[column] for column in lists))):
            rows.append({**{key: row[key] for key in keys}, "example": i, **dict(zip(lists, values))})
    return pd.DataFrame(rows)


def per_run_example(table: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per key, run and example from a table whose `run_scores` column holds a list of runs' scores."""
    rows = []
    for _, row in table.iterrows():
        for run, scores in enumerate(row["run_scores"]):
            rows += [
                {**{key: row[key] for key in keys}, "run": run, "example": i, "score": score}
                for i, score in enumerate(scores)
            ]
    return pd.DataFrame(rows)


def _lists(examples: pd.DataFrame, keys: list[str], columns: tuple[str, ...]) -> pd.DataFrame:
    """The inverse of `per_example`: one row per key, one list per column."""
    ordered = examples.sort_values([*keys, "example"], kind="stable")
    return ordered.groupby(keys, sort=False)[list(columns)].agg(list).reset_index()


def _run_scores(examples: pd.DataFrame, keys: list[str]) -> pd.Series:
    """Per key, the list of runs' per-example scores, from a table with `run`, `example` and `score` columns."""
    ordered = examples.sort_values([*keys, "run", "example"], kind="stable")
    runs = ordered.groupby([*keys, "run"], sort=False)["score"].agg(list).reset_index()
    return runs.groupby(keys, sort=False)["score"].agg(list)


def head_to_head(task: str, folder: Path = RESULTS_DIR) -> HeadToHead:
    """The reference's head-to-head of `task`, as `comparison.head_to_head` returns it."""
    summary = read_table(f"{task}_head_to_head", folder).set_index("approach")
    examples = read_table(f"{task}_head_to_head_examples", folder)
    run_scores = _run_scores(examples, ["approach"])
    first = _lists(examples[examples["run"] == 0], ["approach"], ("prediction", "agreement")).set_index("approach")
    summary["run_scores"] = run_scores
    summary["scores"] = run_scores.map(lambda runs: list(np.mean(runs, axis=0)))
    summary["predictions"] = first["prediction"].map(lambda values: ["unparsed" if v != v else str(v) for v in values])
    summary["agreement_scores"] = first["agreement"].map(lambda values: [v for v in values if v == v])  # subset only
    return HeadToHead(
        settings(task),
        results=summary,
        candidates=read_table(f"{task}_prompt_choice", folder),
        search=read_table(f"{task}_recipe_search", folder),
    )


def crossover(folder: Path = RESULTS_DIR) -> LearningCurve:
    """The reference's learning curve (reviews), as `crossover.crossover` returns it."""
    summary = read_table("reviews_crossover", folder)
    run_scores = _run_scores(read_table("reviews_crossover_examples", folder), ["method", "labelled_examples"])
    table = summary.merge(run_scores.rename("run_scores").reset_index(), on=["method", "labelled_examples"])
    table["scores"] = table["run_scores"].map(lambda runs: list(np.mean(runs, axis=0)))
    return LearningCurve(settings("reviews"), table.assign(n=table["scores"].map(len)))


def versatility(folder: Path = RESULTS_DIR) -> Versatility:
    """The reference's versatility experiment, as `versatility.versatility` returns it."""
    probe = read_table("versatility_probe", folder)
    runs = _run_scores(read_table("versatility_examples", folder), ["model", "measure"])
    nested = {}
    for (model, measure), scores in runs.items():
        nested.setdefault(model, {})[measure] = scores
    return Versatility(
        settings("reviews"),
        table=read_table("versatility", folder).set_index("model"),
        probe={
            model: rows.drop(columns="model").reset_index(drop=True)
            for model, rows in probe.groupby("model", sort=False)
        },
        runs=nested,
    )


def injection(folder: Path = RESULTS_DIR) -> Injection:
    """The reference's injection experiment, as `evaluation.measure_injection` returns it."""
    return Injection(read_table("injection", folder), read_table("injection_examples", folder))


def iteration(folder: Path = RESULTS_DIR) -> HybridPath:
    """The reference's hybrid path (notebook 06), as `variations.iteration` returns it."""
    keys = ["step", "model", "variation", "shots"]
    table = read_table("iteration", folder)
    runs = _run_scores(read_table("iteration_examples", folder), keys).rename("run_scores").reset_index()
    return HybridPath(settings("reviews"), table.merge(runs, on=keys, how="left", sort=False))


def house_style(folder: Path = RESULTS_DIR) -> HouseStyle:
    """The reference's house-style experiment (notebook 07), as `style.style_experiment` returns it."""
    summary = read_table("house_style", folder).set_index("approach")
    examples = read_table("house_style_examples", folder)
    summary["run_scores"] = _run_scores(examples, ["approach"])
    summary["scores"] = summary["run_scores"].map(lambda runs: list(np.mean(runs, axis=0)))
    first = _lists(examples[examples["run"] == 0], ["approach"], ("reply",)).set_index("approach")
    replies = {
        approach: [text if isinstance(text, str) else "" for text in texts]  # an empty reply reads back as NaN
        for approach, texts in first["reply"].items()
    }
    return HouseStyle(
        style_settings(),
        results=summary,
        replies=replies,
        choice=read_table("house_style_choice", folder),
        search=read_table("house_style_search", folder),
        tickets=read_table("house_style_tickets", folder)["text"].tolist(),
    )


def human_agreement(folder: Path = RESULTS_DIR) -> pd.DataFrame:
    """Per test sentence of the real reviews: how often one rater's shade matched the others' (`data.rater_agreement`):
    the ceiling beside every accuracy on that task."""
    return read_table("reviews_human_agreement", folder)


def shortcut(folder: Path = RESULTS_DIR) -> pd.DataFrame:
    """Every approach on the made-up reviews with and without a closing bottom line (`data.has_closing_verdict`)."""
    return read_table("synthetic_reviews_shortcut", folder)


def summary(folder: Path = RESULTS_DIR) -> str:
    """The reference's findings as Markdown (results/README.md), every figure read from the tables in `folder`."""
    from ..core.statistics import compare_methods, format_accuracy
    from .comparison import family_verdicts
    from .crossover import crossover_point

    record = provenance(folder)
    lines = [
        "# The reference run",
        "",
        f"Measured with `{record['command']}` on {record['date']} ({record['machine']['summary']}, "
        f"torch {record['versions']['torch']}, transformers {record['versions']['transformers']}, "
        f"peft {record['versions']['peft']}), model {record.get('model', short_name(PACKAGED_MODEL))}, "
        f"commit {record['commit']}, in {record['wall_seconds'] / 60:.0f} minutes "
        f"(per step: {', '.join(f'{name} {s / 60:.0f} min' for name, s in record['step_seconds'].items())}). "
        "Every answer is in the CSV files beside this one; `helpers.experiments.reference` reads them. "
        "This page is written by the script from those files. "
        "Every finding holds for this model, at this size, on these data.",
        "",
    ]
    agreement = human_agreement(folder)
    for task in HEAD_TO_HEADS:
        run = head_to_head(task, folder)
        results, n = run.results, run.n
        lines += [
            f"## {task.replace('_', ' ').capitalize()}: {n} test examples",
            "",
            f"Fine-tunes and few-shot prompts draw on {record['settings'][task]['n_train']} of the "
            f"{len(run.settings.task.split('train')):,} training examples (sized for hours on CPUs, not days); every "
            f"choice is made on {len(run.settings.rows('validation'))} validation examples.",
            "",
            "| approach | accuracy (95% interval over examples and runs; runs' spread) | chosen on validation |",
            "|---|---|---|",
        ]
        for approach, row in results.iterrows():
            chosen = (
                f"{row['prompt']} ({row['validation_accuracy']:.0%} on validation)"
                if row["family"] == "prompting"
                else f"learning rate {row['learning_rate']:g}, {row['passes']:.0f} passes "
                f"({row['validation_accuracy']:.0%} on validation)"
                if row["family"] != "classical"
                else f"{row['validation_accuracy']:.0%} on validation"
            )
            lines.append(f"| {approach} | {format_runs(row['run_scores'])} | {chosen} |")
        if task == "reviews":
            lines += [
                "",
                f"Human agreement on these sentences (one rater against the others' mean): "
                f"{format_accuracy(agreement['agreement'])}.",
            ]
        lines += [""] + [f"- {comparison.describe(a, b)}" for a, b, comparison in family_verdicts(results)] + [""]
        effort = effort_table(load_tokenizer(record["settings"][task]["model_id"]), run)  # (the model measured)
        lines += [
            "What choosing each side cost, on the same validation examples:",
            "",
            "| | prompting | fine-tuning |",
            "|---|---|---|",
        ]
        lines += [f"| {aspect} | {row['prompting']} | {row['fine-tuning']} |" for aspect, row in effort.iterrows()] + [
            ""
        ]
    table = shortcut(folder)
    lines += [
        "## Shortcut: made-up reviews with and without a closing bottom line",
        "",
        "| approach | with a bottom line | without |",
        "|---|---|---|",
    ]
    for approach, rows in table.groupby("approach", sort=False):
        cells = {
            row["subset"]: f"{row['accuracy']:.0%} ({row['low']:.0%}-{row['high']:.0%}, n={row['n']})"
            for _, row in rows.iterrows()
        }
        lines.append(f"| {approach} | {cells.get('with a bottom line', '—')} | {cells.get('without', '—')} |")
    crossing = crossover(folder).table
    point = crossover_point(crossing)
    lines += [
        "",
        "## Labelled examples: in the prompt or as training data (reviews)",
        "",
        "| method | labelled examples | accuracy |",
        "|---|---|---|",
    ]
    lines += [
        f"| {row['method']} | {row['labelled_examples']} | {format_runs(row['run_scores'])} |"
        for _, row in crossing.iterrows()
    ]
    lines += [
        "",
        f"Fine-tuning beat every prompt that could use as many examples from {point} labelled examples on."
        if point is not None
        else "Fine-tuning did not clearly beat the prompts at any size measured.",
        "",
    ]
    runs = versatility(folder).runs
    base, tuned = list(runs)
    lines += ["## Versatility: what specialising cost", ""]
    lines += [
        f"- {measure}: {compare_methods(runs[tuned][measure], runs[base][measure]).describe(tuned, base)}"
        for measure in runs[base]
    ]
    style = house_style(folder).results
    lines += [
        "",
        "## House style: replies to tickets (notebook 07)",
        "",
        "| approach | style score (95% interval) | all the rules |",
        "|---|---|---|",
    ]
    lines += [
        f"| {approach} | {format_runs(row['run_scores'])} | {row['all_rules']:.0%} |"
        for approach, row in style.iterrows()
    ]
    injected = injection(folder)
    summary_table, flags = injected.summary, injected.hijacked()
    lines += [
        "",
        "## Prompt injection: answers moved to the attacker's label, and the task",
        "",
        "| condition | method | hijacked | task accuracy | unparseable |",
        "|---|---|---|---|---|",
    ]
    for _, row in summary_table.iterrows():
        lines.append(
            f"| {row['pattern']} | {row['method']} | {format_accuracy(flags[row['pattern'], row['method']])} | "
            f"{row['accuracy']:.0%} | {row['unparseable_rate']:.0%} |"
        )
    return "\n".join(lines) + "\n"


# --- Side by side, and which to conclude from --------------------------------------------------------


def larger(mine, reference, what: str = "test examples", folder: Path = RESULTS_DIR) -> tuple:
    """(the result to conclude from, a sentence saying which): yours if it measured at least as many
    examples as the reference, else the reference (any two results of one experiment: each knows its `n`)."""
    n_mine, n_reference = mine.n, reference.n
    if n_mine >= n_reference:
        return mine, f"Conclusions come from this run ({n_mine} {what}; the reference has {n_reference})."
    return reference, (
        f"This run measured {n_mine} {what}: too few to conclude from. Conclusions come "
        f"from the reference run ({n_reference} {what}, {where(folder)})."
    )


def where(folder: Path = RESULTS_DIR) -> str:
    """Where and when the reference was measured, in a few words."""
    record = provenance(folder)
    return f"measured on {record['date']} on {record['machine']['summary']}"


def side_by_side(mine: pd.DataFrame, reference: pd.DataFrame, mine_name: str = "this run") -> pd.DataFrame:
    """Accuracy of each approach with its 95% interval, n and runs: your run next to the reference (a dash where
    your run did not measure an approach)."""
    return (
        pd.DataFrame(
            {mine_name: mine["run_scores"].map(format_runs), "reference": reference["run_scores"].map(format_runs)}
        )
        .loc[list(reference.index)]
        .fillna("—")
    )


def every_model(task: str) -> pd.DataFrame:
    """Every shipped reference's head-to-head of `task` side by side: one column per model (`shipped`)."""
    columns = {
        name: head_to_head(task, folder).results["run_scores"].map(format_runs) for name, folder in shipped().items()
    }
    return pd.DataFrame(columns).fillna("—")


def consistent_with(quick_scores, reference_scores) -> bool:
    """Whether a quick run's accuracy lies within the reference's 95% interval widened by the quick run's own:
    what a working pipeline measuring the same thing on fewer examples should show (chance rarely fails it)."""
    from ..core.statistics import accuracy_interval

    quick, quick_low, quick_high = accuracy_interval(quick_scores)
    _, low, high = accuracy_interval(reference_scores)
    # below the reference, the quick run's upward margin counts; above it, its downward one
    return low - (quick_high - quick) <= quick <= high + (quick - quick_low)
