"""The reference run: every measurement the notebooks conclude from, at full size, written to results/.

    python benchmarks/reference.py            # 52 minutes on 2 CPU cores with bfloat16 products (2026-11-30); minutes on a GPU

Each experiment is cached as soon as it is measured (`helpers.cache`, as in notebooks 05 and 06), so a
stopped run resumes where it stopped. results/ is rewritten at the end, one tidy CSV per measurement with
every per-example answer, and results/provenance.json says when, where and on what it ran.
`helpers.reference` reads it back; `tests/test_reference.py` checks its fingerprint and quick runs against it.
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

from helpers import comparison, models, reference  # noqa: E402
from helpers.crossover import crossover  # noqa: E402
from helpers.tasks import get_task  # noqa: E402
from helpers.cache import cached  # noqa: E402
from helpers.config import REPO_ROOT  # noqa: E402
from helpers.evaluation import measure_injection  # noqa: E402
from helpers.files import write_text  # noqa: E402
from helpers.models import load_model  # noqa: E402
from helpers.style import style_experiment  # noqa: E402
from helpers.variations import iteration  # noqa: E402
from helpers.versatility import versatility  # noqa: E402


def injection(model_id: str):
    def compute(folder):
        model, tokenizer = load_model(model_id)
        return measure_injection(model, tokenizer, reference.injection_victims(), progress=True)
    return cached("injection", {"victims": len(reference.injection_victims()), "model_id": model_id}, compute)


def export(runs: dict, crossing: pd.DataFrame, versatile: dict, attack: tuple, path: pd.DataFrame, style: dict,
           folder: Path) -> None:
    """Write every measurement as tidy CSV: a summary table and one row per (method, test example)."""
    for task, run in runs.items():
        results = run["results"].reset_index()
        test = reference.settings(task).rows("test")
        scalar = [c for c in results.columns if c not in reference.SCALARS_DROPPED]
        reference.write_table(f"{task}_head_to_head", results[scalar], folder)
        results["agreement_scores"] = [list(a) + [float("nan")] * (len(s) - len(a))
                                       for a, s in zip(results["agreement_scores"], results["scores"])]
        examples = reference.per_example(results, ["approach"], ("scores", "predictions", "agreement_scores"))
        examples = examples.rename(columns={"scores": "score", "predictions": "prediction", "agreement_scores": "agreement"})
        examples["expected"] = examples["example"].map(lambda i: str(test.iloc[i][get_task(task).label_column]))
        reference.write_table(f"{task}_head_to_head_examples", examples, folder)
        reference.write_table(f"{task}_prompt_choice", run["candidates"], folder)
    reference.write_table("reviews_crossover", crossing.drop(columns=["scores", "n"]), folder)
    reference.write_table("reviews_crossover_examples",
                          reference.per_example(crossing, ["method", "labelled_examples"], ("scores",))
                          .rename(columns={"scores": "score"}), folder)
    reference.write_table("versatility", versatile["table"].reset_index(), folder)
    reference.write_table("versatility_probe", pd.concat([probe.assign(model=model) for model, probe in versatile["probe"].items()],
                                                         ignore_index=True), folder)
    summary, examples = attack
    reference.write_table("injection", summary, folder)
    reference.write_table("injection_examples", examples, folder)
    reference.write_table("iteration", path.assign(n=reference.settings("reviews").n_test), folder)
    results = style["results"].reset_index()
    reference.write_table("house_style", results.drop(columns="scores"), folder)
    results["replies"] = [style["replies"][approach] for approach in results["approach"]]
    reference.write_table("house_style_examples", reference.per_example(results, ["approach"], ("scores", "replies"))
                          .rename(columns={"scores": "score", "replies": "reply"}), folder)
    reference.write_table("house_style_choice", style["choice"], folder)
    reference.write_table("house_style_tickets", pd.DataFrame({"text": style["tickets"]}), folder)


def previous_seconds(folder: Path) -> dict:
    """Step times of an earlier run of the same experiments (their results are in the cache)."""
    try:
        record = reference.provenance(folder)
    except Exception:
        return {}
    return record.get("step_seconds", {}) if record.get("fingerprint") == reference.fingerprint() else {}


def machine() -> dict:
    import psutil
    import torch
    cores = os.cpu_count()
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu"
    summary = f"{device}" if device != "cpu" else f"{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else cores} CPU cores, no GPU"
    summary += f", {models.arithmetic(models.pick_device())} arithmetic"
    return {"summary": summary, "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_cores": cores, "torch_threads": torch.get_num_threads(), "device": device,
            "memory_gb": round(psutil.virtual_memory().total / 1e9, 1)}


def versions() -> dict:
    import peft
    import sklearn
    import torch
    import transformers
    return {"python": platform.python_version(), "torch": torch.__version__, "transformers": transformers.__version__,
            "peft": peft.__version__, "scikit-learn": sklearn.__version__, "pandas": pd.__version__}


def commit() -> str:
    def git(*args):
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + (" (with uncommitted changes)" if git("status", "--porcelain", "--", "helpers", "data", "benchmarks") else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, default=reference.RESULTS_DIR, help="folder to write (default: results/)")
    args = parser.parse_args()
    started, record = time.time(), {"status": "incomplete", "commit": commit()}  # the code that measures
    reviews, tickets = reference.settings("reviews"), reference.settings("tickets")
    steps = {"reviews head-to-head": lambda: comparison.head_to_head(reviews),
             "tickets head-to-head": lambda: comparison.head_to_head(tickets),
             "reviews crossover": lambda: crossover(reviews, **reference.CROSSOVER),
             "versatility": lambda: versatility(reviews, tickets, n_probe=None),
             "injection": lambda: injection(reviews.model_id),
             "hybrid path": lambda: iteration(reviews),
             "house style": lambda: style_experiment(reference.style_settings())}
    earlier = previous_seconds(args.output)
    done, seconds, from_cache = {}, {}, 0.0
    for name, step in tqdm(steps.items(), desc="reference run", unit="experiment"):
        tic = time.time()
        done[name] = step()
        seconds[name] = round(time.time() - tic, 1)
        print(f"{name}: {seconds[name]:.0f} s", flush=True)
        if seconds[name] < 5 and name in earlier:  # read from the cache: count the time it took when it was measured
            seconds[name] = earlier[name]
            from_cache += earlier[name]
    export({"reviews": done["reviews head-to-head"], "tickets": done["tickets head-to-head"]}, done["reviews crossover"],
           done["versatility"], done["injection"], done["hybrid path"], done["house style"], args.output)
    record.update(status="complete", date=datetime.date.today().isoformat(), machine=machine(),
                  versions=versions(), fingerprint=reference.fingerprint(),
                  wall_seconds=round(time.time() - started + from_cache),
                  step_seconds=seconds, settings={"reviews": vars(reviews), "tickets": vars(tickets),
                                                  "house style": vars(reference.style_settings())},
                  crossover=reference.CROSSOVER, command="python benchmarks/reference.py",
                  note="wall_seconds adds up the time each step took when it was measured (a resumed run reads "
                       "finished steps from the course cache)")
    reference.write_provenance(record, args.output)
    write_text(args.output / "README.md", reference.summary(args.output))
    print(f"Wrote {args.output} in {record['wall_seconds']} s")


if __name__ == "__main__":
    main()
