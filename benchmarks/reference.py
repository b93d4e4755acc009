"""The reference run: every measurement the notebooks conclude from, at full size, written to results/.

    python benchmarks/reference.py                      # the packaged SmolLM2-135M -> results/
    python benchmarks/reference.py --model HuggingFaceTB/SmolLM2-360M-Instruct   # -> results/SmolLM2-360M/ (network)
    python benchmarks/reference.py --steps "reviews head-to-head"   # some steps only (no results/ written)

Each experiment is cached as soon as it is measured (`helpers.experiments.cache`, as in notebooks 05 and 06), so a
stopped run
resumes where it stopped. The results folder is written at the end, one tidy CSV per measurement with every
per-example answer of every run, and provenance.json says when, where and on what it ran (and the SHA-256 of every
other file, so that a hand edit shows). `helpers.experiments.reference` reads it back; `tests/test_reference.py`
checks its
fingerprint and quick runs against it. Wall time: see results/README.md (it records each step's minutes).
"""

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd  # noqa: E402
from tqdm.auto import tqdm  # noqa: E402

from helpers.core.config import REPO_ROOT  # noqa: E402
from helpers.core.files import output_folder  # noqa: E402
from helpers.experiments import comparison, reference
from helpers.experiments.cache import cached, measured_seconds, tracking  # noqa: E402
from helpers.experiments.crossover import crossover  # noqa: E402
from helpers.experiments.findings import shortcut_table  # noqa: E402
from helpers.experiments.style import style_experiment  # noqa: E402
from helpers.experiments.variations import iteration  # noqa: E402
from helpers.experiments.versatility import versatility  # noqa: E402
from helpers.llm import models  # noqa: E402
from helpers.llm.models import load_model  # noqa: E402
from helpers.prompting.data import has_closing_verdict  # noqa: E402
from helpers.prompting.evaluation import Injection, measure_injection  # noqa: E402

SCALAR_DROPPED = ("scores", "run_scores", "predictions", "agreement_scores")


def injection(settings: comparison.Settings) -> Injection:
    """The injection experiment on the reviews (cached on the victims' number and the model)."""

    def compute(folder):
        model, tokenizer = load_model(settings.model_id)
        injected = measure_injection(model, tokenizer, reference.injection_victims(), settings.task, progress=True)
        return injected.summary, injected.examples

    key = {"victims": len(reference.injection_victims()), "model_id": settings.model_id}
    return Injection(*cached("injection", key, compute))  # (cached as the pair of its tables)


def steps(model_id: str | None) -> dict:
    """The reference's experiments, in the order they run (the core first)."""
    run = {task: reference.settings(task, model_id) for task in reference.HEAD_TO_HEADS}
    others = [reference.settings("movie_reviews", model_id), run["tickets"]]
    return {
        "reviews head-to-head": lambda: comparison.head_to_head(run["reviews"]),
        "reviews learning curve": lambda: crossover(run["reviews"], sizes=reference.CROSSOVER_SIZES),
        "tickets head-to-head": lambda: comparison.head_to_head(run["tickets"]),
        "synthetic reviews head-to-head": lambda: comparison.head_to_head(run["synthetic_reviews"]),
        "versatility": lambda: versatility(run["reviews"], others, n_probe=None),
        "injection": lambda: injection(run["reviews"]),
        "hybrid path": lambda: iteration(run["reviews"], n_test=reference.ITERATION_TEST),
        "house style": lambda: style_experiment(reference.style_settings(model_id)),
    }


def export_head_to_head(task: str, run: comparison.HeadToHead, folder: Path) -> None:
    """A head-to-head as tidy tables: one row per approach, one per (approach, run, test example), the prompt choice
    and the recipe search on validation."""
    results = run.results.reset_index()
    test = run.settings.rows("test")
    reference.write_table(
        f"{task}_head_to_head", results[[c for c in results.columns if c not in SCALAR_DROPPED]], folder
    )
    examples = reference.per_run_example(results, ["approach"])
    first = results.set_index("approach")

    def first_run(column):  # the first run's value per example (consistency covers the first examples only)
        values = []
        for approach, run, i in zip(examples["approach"], examples["run"], examples["example"]):
            listed = first.loc[approach, column]
            values.append(listed[i] if run == 0 and isinstance(listed, list) and i < len(listed) else None)
        return values

    examples["prediction"], examples["agreement"] = first_run("predictions"), first_run("agreement_scores")
    column = run.settings.task.label_column
    examples["expected"] = examples["example"].map(lambda i: str(test.iloc[i][column]))
    reference.write_table(f"{task}_head_to_head_examples", examples, folder)
    reference.write_table(f"{task}_prompt_choice", run.candidates, folder)
    reference.write_table(f"{task}_recipe_search", run.search, folder)


def export_shortcut(run: comparison.HeadToHead, folder: Path) -> None:
    """Every approach on the made-up reviews whose closing bottom line fixes the label, and on the others."""
    flags = run.settings.rows("test")["text"].map(has_closing_verdict).to_numpy()
    table = shortcut_table(run.results, flags, names=("with a bottom line", "without"))
    reference.write_table("synthetic_reviews_shortcut", table, folder)


def export(done: dict, folder: Path) -> None:
    """Write every measurement as tidy CSV: summary tables and one row per (method, run, test example)."""
    for task in reference.HEAD_TO_HEADS:
        export_head_to_head(task, done[f"{task.replace('_', ' ')} head-to-head"], folder)
    export_shortcut(done["synthetic reviews head-to-head"], folder)
    test = reference.settings("reviews").rows("test")
    reference.write_table("reviews_human_agreement", test[["id", "review", "label", "mean", "agreement"]], folder)
    crossing = done["reviews learning curve"].table
    reference.write_table("reviews_crossover", crossing.drop(columns=["scores", "run_scores", "n"]), folder)
    reference.write_table(
        "reviews_crossover_examples", reference.per_run_example(crossing, ["method", "labelled_examples"]), folder
    )
    versatile = done["versatility"]
    reference.write_table("versatility", versatile.table.reset_index(), folder)
    reference.write_table(
        "versatility_probe",
        pd.concat([probe.assign(model=model) for model, probe in versatile.probe.items()], ignore_index=True),
        folder,
    )
    runs = pd.DataFrame(
        [
            {"model": model, "measure": measure, "run_scores": scores}
            for model, measures in versatile.runs.items()
            for measure, scores in measures.items()
        ]
    )
    reference.write_table("versatility_examples", reference.per_run_example(runs, ["model", "measure"]), folder)
    injected = done["injection"]
    reference.write_table("injection", injected.summary, folder)
    reference.write_table("injection_examples", injected.examples, folder)
    path = done["hybrid path"].table
    reference.write_table("iteration", path.drop(columns="run_scores"), folder)
    reference.write_table(
        "iteration_examples", reference.per_run_example(path, ["step", "model", "variation", "shots"]), folder
    )
    style = done["house style"]
    results = style.results.reset_index()
    reference.write_table("house_style", results.drop(columns=["scores", "run_scores"]), folder)
    examples = reference.per_run_example(results, ["approach"])
    examples["reply"] = [
        style.replies[approach][i] if run == 0 else None
        for approach, run, i in zip(examples["approach"], examples["run"], examples["example"])
    ]
    reference.write_table("house_style_examples", examples, folder)
    reference.write_table("house_style_choice", style.choice, folder)
    reference.write_table("house_style_search", style.search, folder)
    reference.write_table("house_style_tickets", pd.DataFrame({"text": style.tickets}), folder)


def machine() -> dict:
    import psutil
    import torch

    cores = os.cpu_count()
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    chip = "AVX-512 BF16" if "avx512_bf16" in flags or "amx_bf16" in flags else "AVX2 only" if "avx2" in flags else "?"
    summary = (
        f"{device}"
        if device != "cpu"
        else (
            f"{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else cores} CPU cores ({chip}), no GPU"
        )
    )
    summary += f", {models.arithmetic(models.pick_device())} arithmetic"
    return {
        "summary": summary,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_cores": cores,
        "torch_threads": torch.get_num_threads(),
        "device": device,
        "chip": chip,
        "memory_gb": round(psutil.virtual_memory().total / 1e9, 1),
    }


def versions() -> dict:
    import peft
    import sklearn
    import torch
    import transformers

    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
        "scikit-learn": sklearn.__version__,
        "pandas": pd.__version__,
    }


def commit() -> str:
    def git(*args):
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (
        " (with uncommitted changes)" if git("status", "--porcelain", "--", "helpers", "data", "benchmarks") else ""
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="a Hugging Face id (default: the packaged SmolLM2-135M-Instruct)")
    parser.add_argument(
        "--output", type=Path, default=None, help="folder to write (default: results/ or results/<model>/)"
    )
    parser.add_argument("--steps", nargs="*", default=None, help="measure only these steps (nothing is written)")
    args = parser.parse_args()
    model_id = args.model or models.default_model_id()
    output = args.output or reference.folder_for(model_id)
    if output != reference.RESULTS_DIR and args.output is not None:
        output = output_folder(output, "--output")  # a folder of yours is never replaced
    record = {"status": "incomplete", "commit": commit()}  # the code that measures
    plan = steps(model_id)
    unknown = sorted(set(args.steps or []) - set(plan))
    if unknown:
        raise SystemExit(f"Unknown step(s) {', '.join(unknown)}; the steps are: {', '.join(plan)}.")
    done, seconds, counted = {}, {}, set()
    for name, step in tqdm(plan.items(), desc="reference run", unit="experiment"):
        if args.steps and name not in args.steps:
            continue
        tic = time.time()
        with tracking() as used:
            done[name] = step()
        # the time its parts took when they were measured (this run or an earlier one: the cache keeps both); what an
        # earlier step already measured (the LoRA fine-tune the learning curve builds on) counts there only
        own = set(used) - counted
        counted |= own
        seconds[name] = round(max(measured_seconds(own), time.time() - tic), 1)
        print(f"{name}: {seconds[name]:.0f} s", flush=True)
    if args.steps:
        return
    export(done, output)
    record.update(
        status="complete",
        date=datetime.date.today().isoformat(),
        machine=machine(),
        versions=versions(),
        model=models.short_name(model_id),
        fingerprint=reference.fingerprint(model_id),
        wall_seconds=round(measured_seconds(counted) or sum(seconds.values())),
        step_seconds=seconds,
        settings={task: reference.settings(task, model_id).key() for task in reference.HEAD_TO_HEADS}
        | {"house style": vars(reference.style_settings(model_id))},
        crossover=reference.CROSSOVER_SIZES,
        command="python benchmarks/reference.py" + (f" --model {args.model}" if args.model else ""),
        note="step_seconds: the time the parts each step measured first took when they were measured, from the course "
        "cache's records (a run resumed over several sessions counts each part once, not the time to read it back; "
        "two steps measured at once by two processes each count their own, slower, time); wall_seconds: the time "
        "during which any part was being measured (parts measured at once count once)",
    )
    reference.write_provenance(record, output)
    from helpers.core.files import write_text

    write_text(output / "README.md", reference.summary(output))
    reference.write_provenance(record, output)  # again: its digests now cover README.md too
    print(f"Wrote {output} in {record['wall_seconds']} s")


if __name__ == "__main__":
    main()
