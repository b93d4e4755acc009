"""Prompt or fine-tune *your* task? Notebook 05's head-to-head on your own labelled file, as a command.

    python -m helpers.decide --data data/headlines/headlines.csv --text headline --label section
    python -m helpers.decide --data my.csv --text review --label stars --output my_report
    COURSE_QUICK=1 python -m helpers.decide ...   # small sizes: a minute, to try the flow

Your file is split into train, validation and test (`helpers.tasks.Task.from_file`). On the same test rows:

    zero-shot       the instruction only
    best prompt     few-shot, k solved training rows in the prompt (the same k for all, or the k most
                    similar to each input): whichever of zero-shot and the two scored best on validation
    label scoring   the zero-shot prompt, read as the label the model finds most likely
    TF-IDF          a classical classifier (logistic regression) trained on the training rows: the yardstick
    LoRA fine-tune  the model trained on the training rows, asked with the zero-shot prompt
    hybrid          the fine-tuned model asked with the best prompt

Every accuracy has its 95% interval and every approach a paired verdict against the best prompt. The
learning curve (LoRA trained on a quarter, a half and all of the training rows) says whether labelling
more would pay; latency, prompt tokens and cost per 1,000 requests come with each approach; and the
decision helper (`helpers.decision`) is fed with these numbers. The command writes report.md (with its
plots as PNG files) and results.json into the output folder, all at once when everything is measured.
"""
import argparse
import html
import json
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import matplotlib
import pandas as pd
from tqdm.auto import tqdm

from .baselines import chance_accuracy, tfidf_predictions
from .comparison import EVAL_BATCH, fine_tune
from .config import QUICK, SEED
from .costs import DEFAULT_PRICE_PER_HOUR, cost_per_1000_requests
from .data import balanced_sample
from .decision import Answers, Figures, accuracy_verdict, recommend
from .errors import CourseError
from .evaluation import best_pattern, evaluate, evaluate_patterns, evaluate_predictor
from .files import MARK, output_folder, partial_folder, replace_folder  # noqa: F401 (MARK: what a report folder holds)
from .models import count_parameters, default_model_id, free_memory, load_model
from .plots import figure_png, plot_approaches, plot_learning_curve
from .prompts import catalog
from .statistics import accuracy_interval, compare_paired
from .tasks import Task
from .training import steps_for_epochs
from .versatility import probe_sample, probe_score  # the general probe of notebook 05
PROMPT_CANDIDATES = ("zero_shot", "few_shot_balanced", "few_shot_similar")
APPROACHES = ("zero-shot", "best prompt", "label scoring", "TF-IDF", "LoRA fine-tune", "hybrid")


@dataclass(frozen=True)
class DecideSettings:
    """Sizes and training settings; `None` sizes take every row of the split."""
    n_train: int | None = None
    n_validation: int | None = None
    n_test: int | None = None
    k: int = 4                      # solved examples in a few-shot prompt
    epochs: float = 2.0             # passes over the training rows (at least 8 steps)
    batch_size: int = 8
    lora_rank: int = 8
    learning_rate: float = 1e-3
    curve: tuple = (0.25, 0.5)      # shares of the training rows for the learning curve's smaller fine-tunes
    n_probe: int | None = None      # general questions asked before and after (versatility)
    price_per_hour: float = DEFAULT_PRICE_PER_HOUR


def default_settings(quick: bool | None = None) -> DecideSettings:
    """Every row in full mode; a taste in quick mode (COURSE_QUICK): 32 training, 12 validation, 24 test rows,
    batches of 4 and one smaller fine-tune (half the rows) for the learning curve."""
    quick = QUICK if quick is None else quick
    return DecideSettings(n_train=32, n_validation=12, n_test=24, k=2, epochs=1.0, batch_size=4, curve=(0.5,),
                          n_probe=6) if quick else DecideSettings()


def _rows(task: Task, split: str, n: int | None) -> pd.DataFrame:
    return task.sample(split, len(task.split(split)) if n is None else n)


def _fine_tune(model_id, task: Task, rows: pd.DataFrame, settings: DecideSettings, progress: bool):
    """A fresh copy of the model with a LoRA adapter trained on `rows` (`settings.epochs` passes, at least
    8 steps): (model, tokenizer, training seconds)."""
    steps = max(8, steps_for_epochs(len(rows), settings.batch_size, settings.epochs))
    model, tokenizer, info = fine_tune(task, rows, kind="lora", steps=steps, batch_size=settings.batch_size,
                                       learning_rate=settings.learning_rate, lora_rank=settings.lora_rank,
                                       model_id=model_id, progress=progress)
    return model, tokenizer, info["training_seconds"]


def _row(approach: str, summary: pd.DataFrame, details: pd.DataFrame, labelled: int, training_seconds: float,
         price_per_hour: float) -> dict:
    accuracy, low, high = accuracy_interval(details["score"])
    latency = float(summary.loc[0, "latency_s"])
    return {"approach": approach, "accuracy": accuracy, "low": low, "high": high, "n": len(details),
            "latency_s": latency, "prompt_tokens": float(summary.loc[0, "prompt_tokens"]), "labelled_examples": labelled,
            "training_seconds": training_seconds, "cost_per_1000": cost_per_1000_requests(latency, price_per_hour),
            "scores": [float(s) for s in details["score"]]}


def measure_task(task: Task, model_id: str | None = None, settings: DecideSettings | None = None,
                 progress: bool = True) -> dict:
    """Every approach on the same test rows of `task`: {"results", "candidates", "curve", "verdicts", "probe",
    "advice", "settings", "seconds"} (see the module docstring)."""
    settings = settings or default_settings()
    began = time.perf_counter()
    train_rows, validation, test = (_rows(task, split, n) for split, n in
                                    (("train", settings.n_train), ("validation", settings.n_validation), ("test", settings.n_test)))
    steps = tqdm(total=5 + len(settings.curve), desc="measuring your task", disable=not progress)
    model, tokenizer = load_model(model_id)
    patterns = catalog(task, pool=train_rows, k=min(settings.k, len(train_rows)))
    runs = evaluate_patterns(model, tokenizer, {name: patterns[name] for name in PROMPT_CANDIDATES}, validation, task,
                             batch_size=EVAL_BATCH)
    candidates = pd.concat([summary for summary, _ in runs.values()], ignore_index=True)
    best = best_pattern(candidates, task)["pattern"]
    shots = {"few_shot_balanced": settings.k, "few_shot_similar": len(train_rows)}.get(best, 0)
    steps.update()

    rows = []
    for approach, pattern, labelled in (("zero-shot", patterns["zero_shot"], 0), ("best prompt", patterns[best], shots)):
        summary, details = evaluate(model, tokenizer, pattern, test, task, batch_size=EVAL_BATCH)
        rows.append(_row(approach, summary, details, labelled, 0.0, settings.price_per_hour))
    summary, details = evaluate(model, tokenizer, patterns["zero_shot"], test, task, "score", batch_size=EVAL_BATCH)
    rows.append(_row("label scoring", summary, details, 0, 0.0, settings.price_per_hour))
    summary, details = evaluate_predictor(lambda texts: tfidf_predictions(train_rows["text"], train_rows["label"], texts),
                                          test, task, "TF-IDF")
    rows.append(_row("TF-IDF", summary.assign(prompt_tokens=0.0), details, len(train_rows), 0.0, settings.price_per_hour))
    probe = probe_sample(settings.n_probe)
    probe_before = probe_score(model, tokenizer, probe)["correct"].mean()
    parameters = count_parameters(model)
    del model
    free_memory()
    steps.update()

    lora, tokenizer, seconds = _fine_tune(model_id, task, train_rows, settings, progress)
    for approach, pattern in (("LoRA fine-tune", patterns["zero_shot"]), ("hybrid", patterns[best])):
        summary, details = evaluate(lora, tokenizer, pattern, test, task, batch_size=EVAL_BATCH)
        rows.append(_row(approach, summary, details, len(train_rows), seconds, settings.price_per_hour))
    probe_after = probe_score(lora, tokenizer, probe)["correct"].mean()
    del lora
    free_memory()
    steps.update()

    results = pd.DataFrame(rows).set_index("approach").loc[list(APPROACHES)]
    curve = [{"train_examples": len(train_rows), "accuracy": results.loc["LoRA fine-tune", "accuracy"],
              "scores": results.loc["LoRA fine-tune", "scores"]}]
    for share in settings.curve:
        n = max(len(task.labels), round(share * len(train_rows)))
        model, tokenizer, _ = _fine_tune(model_id, task, balanced_sample(train_rows, n, "label", seed=SEED), settings, progress)
        _, details = evaluate(model, tokenizer, patterns["zero_shot"], test, task, batch_size=EVAL_BATCH)
        curve.append({"train_examples": n, "accuracy": float(details["score"].mean()), "scores": list(details["score"])})
        del model
        free_memory()
        steps.update()
    curve = pd.DataFrame(curve).sort_values("train_examples").reset_index(drop=True)

    best_scores = results.loc["best prompt", "scores"]
    verdicts = {approach: compare_paired(results.loc[approach, "scores"], best_scores)
                for approach in APPROACHES if approach != "best prompt"}
    needed = next((int(row["train_examples"]) for _, row in curve.iterrows()
                   if compare_paired(row["scores"], best_scores).verdict == "A better"), None)
    names = {"prompting": "best prompt", "fine-tuning": "LoRA fine-tune", "hybrid": "hybrid"}
    figures = Figures(accuracy={a: float(results.loc[n, "accuracy"]) for a, n in names.items()},
                      latency_s={a: float(results.loc[n, "latency_s"]) for a, n in names.items()},
                      training_seconds=seconds, examples_needed=needed, probe_drop=float(probe_before - probe_after),
                      accuracy_verdict=accuracy_verdict(verdicts["LoRA fine-tune"]), test_examples=len(test))
    advice = recommend(Answers(priority="niche_accuracy", labelled_examples=len(train_rows),
                               price_per_hour=settings.price_per_hour), figures)
    steps.update()
    steps.close()
    return {"task": task, "model": model_id or default_model_id(), "parameters": parameters, "results": results,
            "candidates": candidates, "curve": curve, "verdicts": verdicts, "chance": chance_accuracy(task.labels),
            "probe": {"questions": len(probe), "before": float(probe_before), "after": float(probe_after)},
            "advice": advice, "settings": settings, "seconds": time.perf_counter() - began,
            "sizes": {"train": len(train_rows), "validation": len(validation), "test": len(test)}}


def markdown_text(text) -> str:
    """Text from your file or command line, shown as itself in Markdown: HTML and Markdown marks are escaped, so a label
    like `<img src=x onerror=...>` or `**bold**` is printed, never rendered or run by a Markdown viewer."""
    return re.sub(r"([\\`*_{}\[\]()#+!|~>-])", r"\\\1", html.escape(str(text), quote=False))


def report_markdown(measured: dict) -> str:
    """The report: what was measured, the table, the verdicts, the learning curve and the advice."""
    task, results, sizes = measured["task"], measured["results"], measured["sizes"]
    lines = [f"# Prompt or fine-tune? Your task: {markdown_text(task.name)}", "",
             f"{markdown_text(task.instruction)} Measured with {markdown_text(measured['model'])} on {sizes['test']} test rows "
             f"({sizes['train']} to train on, {sizes['validation']} to choose the prompt on), "
             f"in {measured['seconds'] / 60:.1f} minutes. Guessing scores {measured['chance']:.0%}.", "",
             "| approach | accuracy (95% interval) | vs the best prompt | latency | prompt tokens | labelled rows | "
             "cost per 1,000 requests |", "|---|---|---|---:|---:|---:|---:|"]
    for approach, row in results.iterrows():
        paired = measured["verdicts"].get(approach)
        against = "—" if paired is None else (f"{paired.difference:+.0%} ({paired.low:+.0%} to {paired.high:+.0%}): "
                                               f"{ {'A better': 'better', 'B better': 'worse'}.get(paired.verdict, 'too close to call') }")
        lines.append(f"| {approach} | {row['accuracy']:.0%} ({row['low']:.0%}-{row['high']:.0%}) | {against} | "
                     f"{row['latency_s']:.3f} s | {row['prompt_tokens']:.0f} | {row['labelled_examples']} | "
                     f"${row['cost_per_1000']:.3f} |")
    best = measured["candidates"].sort_values("accuracy", ascending=False)
    lines += ["", f"The best prompt, chosen on validation: **{best_pattern(measured['candidates'], task)['pattern']}** "
              f"({', '.join(f'{r.pattern} {r.accuracy:.0%}' for r in best.itertuples())}).", "",
              "![accuracy of each approach](approaches.png)", "", "## Would more labelled rows pay?", "",
              "| training rows | LoRA accuracy |", "|---:|---:|"]
    lines += [f"| {row.train_examples} | {row.accuracy:.0%} |" for row in measured["curve"].itertuples()]
    probe = measured["probe"]
    lines += ["", "![learning curve](learning_curve.png)", "",
              f"General questions (the course's probe, {probe['questions']}): {probe['before']:.0%} before the fine-tune, "
              f"{probe['after']:.0%} after.", "", f"## Advice: {measured['advice'].approach}", ""]
    lines += [f"- {reason}" for reason in measured["advice"].reasons]
    lines += ["", "The advice assumes accuracy on this niche task matters most; notebook 06's decision helper weighs "
              "your own answers (budget, rate of change, request volume)."]
    return "\n".join(lines) + "\n"


def write_report(measured: dict, folder) -> Path:
    """report.md, approaches.png, learning_curve.png and results.json in `folder`, replaced as a whole (only a folder
    the course wrote: `files.output_folder` says why another is refused)."""
    matplotlib.use("Agg")
    folder = output_folder(folder, "The report's folder")
    partial = partial_folder(folder)
    results = measured["results"]
    (partial / "approaches.png").write_bytes(figure_png(plot_approaches(results, chance=measured["chance"]).figure))
    baselines = {"best prompt": results.loc["best prompt", "accuracy"], "TF-IDF": results.loc["TF-IDF", "accuracy"]}
    curve = plot_learning_curve(measured["curve"], baselines, ylabel="accuracy on your test rows")
    (partial / "learning_curve.png").write_bytes(figure_png(curve.figure))
    (partial / "report.md").write_text(report_markdown(measured))
    data = {"task": measured["task"].name, "model": measured["model"], "sizes": measured["sizes"],
            "seconds": measured["seconds"], "settings": asdict(measured["settings"]),
            "results": results.reset_index().to_dict(orient="records"),
            "candidates": measured["candidates"].to_dict(orient="records"),
            "curve": measured["curve"].to_dict(orient="records"), "probe": measured["probe"],
            "verdicts": {a: asdict(v) | {"verdict": v.verdict} for a, v in measured["verdicts"].items()},
            "advice": {"approach": measured["advice"].approach, "reasons": measured["advice"].reasons}}
    (partial / "results.json").write_text(json.dumps(data, indent=1, default=float))
    replace_folder(partial, folder)
    return folder / "report.md"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Prompt or fine-tune? The head-to-head on your own labelled file.")
    parser.add_argument("--data", required=True, help="a CSV (Excel: Save As 'CSV UTF-8') or JSON Lines file")
    parser.add_argument("--text", required=True, help="the column with the text to classify")
    parser.add_argument("--label", required=True, help="the column with its label")
    parser.add_argument("--model", default=None, help="a Hugging Face model id (default: the course model)")
    parser.add_argument("--output", default=None, help="the report's folder (default: decide-<file name>); a folder "
                        "holding files the course did not write is refused, never replaced")
    args = parser.parse_args(argv)
    try:
        task = Task.from_file(args.data, text=args.text, label=args.label)
        folder = output_folder(args.output or f"decide-{task.name}", "--output")  # before hours of measuring
        measured = measure_task(task, args.model)
        report = write_report(measured, folder)
    except CourseError as error:
        raise SystemExit(f"helpers.decide: {error}") from None
    print(report.read_text())
    print(f"Written to {report.parent}/ (report.md, results.json and the plots).")


if __name__ == "__main__":
    main()
