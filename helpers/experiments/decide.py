"""Prompt or fine-tune *your* task? Notebook 05's head-to-head on your own labelled file, as a command.

    python -m helpers.experiments.decide --data data/headlines/headlines.csv --text headline --label section
    python -m helpers.experiments.decide --data my.csv --text review --label stars --minutes 60 --output my_report
    COURSE_QUICK=1 python -m helpers.experiments.decide ...   # small sizes: a few minutes, to try the flow

Your file is read and cleaned by `helpers.prompting.tasks.Task.from_file` (rows without a label, repeated texts,
labels spelt
two ways, labels too rare to split, texts too long for the model: each change is a note in the report) and split into
train, validation and test. On the same test rows:

    zero-shot       the instruction only
    best prompt     few-shot, k solved training rows in the prompt (the same k for all, or the k most
                    similar to each input): whichever of zero-shot and the two scored best on validation
    label scoring   the zero-shot prompt, read as the label the model finds most likely
    TF-IDF          a classical classifier (logistic regression) trained on the training rows: the yardstick
    LoRA fine-tune  the model trained on the training rows, asked with the zero-shot prompt
    hybrid          the fine-tuned model asked with the best prompt

Both sides get the same care, on the same validation rows: the prompt side chooses among its prompts (and the
prompting family's best among zero-shot, label scoring and the best prompt), and the fine-tune its learning rate and
passes (`tuning.choose_recipe`, the rates of `tuning.LEARNING_RATES["lora"]`); the chosen recipe is then trained from
several seeds (`tuning.train_recipe`). Every accuracy has its 95% interval over runs and test rows, and every
approach a verdict against the prompting family's best (`statistics.compare_methods`). The
learning curve (the recipe trained on a quarter and a half of the training rows) says whether labelling more would
pay; latency, prompt tokens and cost per 1,000 requests come with each approach; chance and the majority label are
the floor; and the decision helper (`helpers.experiments.advice`) is fed with these numbers.

A run fits a time budget (`--minutes`, 15 by default: a coffee break). `plan_run` times a training step and a batch
of answers on this machine, estimates every step from them, and cuts the rows (then the learning curve, the seeds and
the passes) until the plan's own time and the estimate fit 85% of the budget (the rest absorbs the estimate's error);
the plan is printed first and the report says what was cut. Every step is cached as soon as it is measured
(`helpers.experiments.cache`), keyed by the task's rows, the model and the settings it depends on: a stopped run
resumes with the next step. report.md (with its plots) and results.json are written together,
only when everything is measured.
"""

import argparse
import functools
import hashlib
import html
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..core.config import QUICK, SEED
from ..core.costs import DEFAULT_PRICE_PER_HOUR, cost_per_1000_requests
from ..core.errors import CourseError
from ..core.files import MARK, output_folder, partial_folder, replace_folder  # noqa: F401 (MARK: what a report folder holds)
from ..core.plots import figure_png, plot_approaches, plot_learning_curve
from ..core.statistics import compare_methods, format_runs, run_interval
from ..finetuning.tuning import LEARNING_RATES, Recipe, choose_recipe, fine_tune, train_recipe
from ..llm.generation import count_tokens, text_ids
from ..llm.memory import free_memory
from ..llm.models import count_parameters, default_model_id, load_model, load_tokenizer, short_name
from ..prompting.data import SPLITS, balanced_sample
from ..prompting.evaluation import EVAL_BATCH, best_pattern, evaluate, evaluate_patterns, evaluate_predictor
from ..prompting.prompts import catalog, zero_shot
from ..prompting.tasks import MAX_TEXT_TOKENS, Task, with_texts_cut
from . import comparison
from .advice import Answers, Figures, accuracy_verdict, compared, recommend
from .baselines import chance_accuracy, majority_predictions, tfidf_predictions
from .cache import cached, run_keeper
from .versatility import probe_sample, probe_score  # the general probe of notebook 05

PROMPT_CANDIDATES = ("zero_shot", "few_shot_balanced", "few_shot_similar")
PROMPTING = ("zero-shot", "label scoring", "best prompt")  # the prompting family, cheapest first (a tie goes to it)
# the head-to-head's approaches but the full fine-tune, which no laptop budget of minutes holds
APPROACHES = tuple(approach for approach in comparison.APPROACHES if approach != "full fine-tune")
DEFAULT_MINUTES = 15  # a coffee break
MIN_ROWS = {"train": 32, "validation": 16, "test": 40}  # the budget cuts no split below this (nor 4 rows a label)
BUDGET_SHARE = 0.85  # of the minutes asked for, what the plan and the estimated steps may take: room for the estimate's
# error (a step's time varies with its batch's longest text: on 3,708 review sentences, 10 minutes estimated as 8.3
# took 10.7) and the report
TIMED_STEPS = 4  # training steps timed by the plan (each batch's longest text sets its time: a few average it out)


@dataclass(frozen=True)
class DecideSettings:
    """Sizes and training settings; `None` sizes take every row of the split."""

    n_train: int | None = None
    n_validation: int | None = None
    n_test: int | None = None
    k: int = 4  # solved examples in a few-shot prompt
    max_passes: int = 3  # the longest fine-tune tried, in passes over the training rows (validation picks)
    learning_rates: tuple = LEARNING_RATES["lora"]  # the LoRA learning rates tried (`tuning.choose_recipe`)
    seeds: tuple = (0, 1, 2)  # training seeds of the chosen recipe (the first is the search's own run)
    batch_size: int = 8
    lora_rank: int = 8
    curve: tuple = (0.25, 0.5)  # shares of the training rows for the learning curve's smaller fine-tunes
    n_probe: int | None = None  # general questions asked before and after (versatility)
    price_per_hour: float = DEFAULT_PRICE_PER_HOUR


def default_settings(quick: bool | None = None) -> DecideSettings:
    """Every row in full mode; a taste in quick mode (COURSE_QUICK): 32 training, 12 validation, 24 test rows,
    batches of 4, one pass, two seeds and one smaller fine-tune (half the rows) for the learning curve."""
    quick = QUICK if quick is None else quick
    return (
        DecideSettings(
            n_train=32,
            n_validation=12,
            n_test=24,
            k=2,
            max_passes=1,
            seeds=(0, 1),
            batch_size=4,
            curve=(0.5,),
            n_probe=6,
        )
        if quick
        else DecideSettings()
    )


def check_minutes(minutes) -> None:
    """A time budget is a positive number of minutes."""
    if isinstance(minutes, bool) or not isinstance(minutes, (int, float)) or not 0 < minutes < math.inf:
        raise CourseError(
            f"minutes must be a positive number of minutes (got {minutes!r}); {DEFAULT_MINUTES} is a coffee break."
        )


# --- The plan: what fits the model's context, what fits the time budget --------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Seconds on this machine (`plan_run` times them); the defaults, a laptop CPU's guess, where nothing was timed."""

    load: float = 2.0  # a fresh copy of the model (every fine-tune starts from one)
    train_step: float = 2.0  # one optimizer step on a batch of training rows
    answer: float = 0.1  # one zero-shot answer, in a batch
    few_shot_answer: float = 0.3  # one few-shot answer (its solved examples read first)
    tuned_answer: float = 0.13  # one zero-shot answer of a LoRA fine-tuned model (its adapters cost a little)
    planning: float = 0.0  # the plan itself, before any step: loading, cutting texts to the context, these timings


@dataclass(frozen=True)
class Plan:
    """What `measure_task` will do, and how long each step should take here."""

    task: Task  # the task, its texts cut to fit the model's context
    settings: DecideSettings  # every size a number of rows
    notes: tuple  # what was changed or cut to fit the context and the budget, one sentence each
    seconds: dict  # step -> estimated seconds on this machine
    minutes: float | None  # the budget asked for (None: no budget)
    timing: Timing
    timed: bool  # whether `timing` was measured here (else the defaults' guess)


@dataclass(frozen=True, eq=False)
class Decision:
    """What `measure_task` measured: every number of the report (`write_report`)."""

    task: Task
    model: str  # the model's id
    parameters: int  # the model's
    results: pd.DataFrame  # one row per approach (APPROACHES): accuracy, interval, validation, cost, run_scores
    candidates: pd.DataFrame  # the prompt choice on validation (label scoring's row too)
    best: str  # the best written prompt
    prompting: str  # the prompting family's best on validation: what every verdict compares with
    search: pd.DataFrame  # the fine-tune's recipe search on validation
    search_seconds: float
    recipe: dict  # the recipe chosen on validation (`tuning.Recipe` as a dict)
    curve: pd.DataFrame  # the learning curve: training rows -> LoRA accuracy
    verdicts: dict  # approach -> `statistics.MethodComparison` against `prompting`
    chance: float
    majority: dict  # {"label", "accuracy"}: always answering the commonest training label
    probe: dict  # {"questions", "before", "after"}: the general probe before and after the fine-tune
    advice: object  # `advice.Advice`
    settings: DecideSettings  # as measured (after the budget's cuts)
    plan: Plan
    sizes: dict  # split -> rows
    seconds: float  # measuring, in this run or an earlier one
    step_seconds: dict  # step -> seconds
    resumed: int  # steps read from the course cache
    steps: int

    @property
    def n(self) -> int:
        """The test rows behind every accuracy."""
        return self.sizes["test"]


def plan_run(
    task: Task, model_id: str | None = None, settings: DecideSettings | None = None, minutes: float | None = None
) -> Plan:
    """The texts cut to fit the model's context, few-shot prompts that fit it, every size counted; with `minutes`,
    a few steps timed here (`time_steps`, once per task, model and settings: a rerun makes the same plan, so it
    resumes) and the run cut to fit that budget (`fit_budget`)."""
    if minutes is not None:
        check_minutes(minutes)
    began = time.perf_counter()
    model, tokenizer = load_model(model_id)
    context = model.config.max_position_embeddings
    del model
    free_memory()
    task = with_texts_cut(task, tokenizer, text_limit(task, tokenizer, context))
    quick = settings is None and QUICK
    settings, notes = shots_that_fit(task, tokenizer, with_sizes(task, settings or default_settings()), context)
    notes += quick_notes(task, settings) if quick else []
    timing = Timing()
    if minutes is not None:
        key = {"rows": rows_digest(task), "model": model_id or default_model_id(), "settings": asdict(settings)}
        timing = Timing(
            **cached(
                "decide-timing",
                key,
                lambda folder: asdict(time_steps(task, settings, model_id)) | {"planning": time.perf_counter() - began},
            )
        )
        settings, cuts = fit_budget(task, settings, timing, minutes)
        notes += cuts
    return Plan(
        task,
        settings,
        tuple(notes),
        estimate_seconds(task, settings, timing),
        minutes,
        timing,
        timed=minutes is not None,
    )


def text_limit(task: Task, tokenizer, context: int) -> int:
    """The most tokens a text may have: MAX_TEXT_TOKENS, or less where the model's context is shorter than the
    instruction, a text of that many tokens and the answer."""
    return min(MAX_TEXT_TOKENS, context - count_tokens(tokenizer, zero_shot("x", task)) - 2 * task.max_new_tokens)


def with_sizes(task: Task, settings: DecideSettings) -> DecideSettings:
    """The settings with every size the number of rows it takes (`None`: the whole split; never more than it has)."""
    return replace(
        settings,
        **{f"n_{split}": min(len(task.split(split)), getattr(settings, f"n_{split}") or math.inf) for split in SPLITS},
    )


def shots_that_fit(task: Task, tokenizer, settings: DecideSettings, context: int) -> tuple[DecideSettings, list[str]]:
    """Fewer solved examples in a few-shot prompt where the longest texts would not fit the model's context beside
    the input (none: the prompt side is zero-shot), and a note saying so."""
    lengths = {
        split: sorted(
            map(
                len,
                tokenizer(
                    list(task.split(split)["text"]), add_special_tokens=False, split_special_tokens=True
                ).input_ids,
            ),
            reverse=True,
        )
        for split in SPLITS
    }
    pool, longest_input = lengths["train"], max(lengths[split][0] for split in SPLITS)
    turn = (
        count_tokens(tokenizer, zero_shot("x", task))
        + max(len(text_ids(tokenizer, label)) for label in task.labels)
        + 2
    )
    k = settings.k
    while k and sum(pool[:k]) + longest_input + (k + 1) * turn + task.max_new_tokens > context:
        k -= 1
    if k == settings.k:
        return settings, []
    if k:
        return replace(settings, k=k), [
            f"Few-shot prompts hold {k} solved examples, not {settings.k}: with the longest "
            f"texts, more would not fit the model's context of {context:,} tokens."
        ]
    return replace(settings, k=0), [
        f"No few-shot prompt: beside the longest texts, not even one solved example fits the "
        f"model's context of {context:,} tokens, so the prompt side is zero-shot."
    ]


def quick_notes(task: Task, settings: DecideSettings) -> list[str]:
    """What quick mode leaves out, said (its sizes are a taste of the flow, not a budget's cut)."""
    names = {"train": "training", "validation": "validation", "test": "test"}
    sizes = listed(
        [f"{getattr(settings, f'n_{split}'):,} of {len(task.split(split)):,} {names[split]} rows" for split in SPLITS]
    )
    return [f"Quick mode (COURSE_QUICK): {sizes}, a taste of the flow; unset COURSE_QUICK to measure for real."]


def answer_seconds(model, tokenizer, task: Task, settings: DecideSettings) -> tuple[float, float]:
    """Seconds per answer here, in a batch of training rows: zero-shot, and few-shot (the mean of the two few-shot
    prompts: the same solved examples for all, or the most similar to each input)."""
    pool = task.sample("train", settings.n_train)
    seconds = [
        float(summary.loc[0, "latency_s"])
        for summary, _ in evaluate_patterns(
            model,
            tokenizer,
            prompt_patterns(task, pool, settings.k),
            pool.head(EVAL_BATCH),
            task,
            batch_size=EVAL_BATCH,
        ).values()
    ]
    return seconds[0], float(np.mean(seconds[1:] or seconds))


def time_steps(task: Task, settings: DecideSettings, model_id: str | None) -> Timing:
    """Time here what a measurement repeats: loading the model, a batch of zero-shot and of few-shot answers,
    TIMED_STEPS LoRA training steps and a batch of the fine-tuned model's answers."""
    began = time.perf_counter()
    model, tokenizer = load_model(model_id)
    loading = time.perf_counter() - began
    answer, few_shot_answer = answer_seconds(model, tokenizer, task, settings)
    del model
    free_memory()
    train_step, tuned_answer = tuned_seconds(task, settings, model_id)
    return Timing(loading, train_step, answer, few_shot_answer, tuned_answer)


def tuned_seconds(task: Task, settings: DecideSettings, model_id: str | None) -> tuple[float, float]:
    """Seconds here per training step (TIMED_STEPS steps of a LoRA fine-tune on training rows) and per zero-shot
    answer of the fine-tuned model (a batch of training rows)."""
    rows = task.sample("train", min(settings.n_train, max(TIMED_STEPS * settings.batch_size, EVAL_BATCH)))
    model, tokenizer, info = fine_tune(
        task,
        rows.head(TIMED_STEPS * settings.batch_size),
        kind="lora",
        learning_rate=settings.learning_rates[0],
        passes=1,
        batch_size=settings.batch_size,
        lora_rank=settings.lora_rank,
        model_id=model_id,
        progress=False,
    )
    summary, _ = evaluate(
        model, tokenizer, lambda text: zero_shot(text, task), rows.head(EVAL_BATCH), task, batch_size=EVAL_BATCH
    )
    return info["training_seconds"] / info["steps"], float(summary.loc[0, "latency_s"])


def curve_sizes(task: Task, settings: DecideSettings) -> list[int]:
    """Training rows of the learning curve's smaller fine-tunes (`settings.curve` of the training rows, at least one
    per label), smallest first."""
    sizes = {max(len(task.labels), round(share * settings.n_train)) for share in settings.curve}
    return sorted(size for size in sizes if size < settings.n_train)


@functools.cache
def probe_questions(n_probe: int | None) -> int:
    """How many questions of the general probe a run asks."""
    return len(probe_sample(n_probe))


def estimate_seconds(task: Task, settings: DecideSettings, timing: Timing) -> dict:
    """Seconds each step of `measure_task` should take here: step name -> seconds (settings with sizes as numbers)."""
    few = timing.few_shot_answer if settings.k else timing.answer
    shots = 2 if settings.k else 0  # few-shot candidates
    tuned_few = few * timing.tuned_answer / timing.answer  # the fine-tuned model with the best prompt

    def training(rows):
        return timing.load + settings.max_passes * math.ceil(rows / settings.batch_size) * timing.train_step

    probe = 3 * probe_questions(settings.n_probe) * timing.answer  # (answers three times as long as a label)
    tuned = settings.n_test * (timing.tuned_answer + tuned_few)  # a fine-tune asked zero-shot and with the best prompt
    steps = {
        "choosing the prompt": timing.load + settings.n_validation * (2 * timing.answer + shots * few),  # (+ scoring)
        "prompts on the test rows": timing.load + settings.n_test * (2 * timing.answer + few) + probe,
        "choosing the fine-tune's recipe": len(settings.learning_rates)
        * (training(settings.n_train) + settings.max_passes * settings.n_validation * timing.tuned_answer)
        + timing.load
        + tuned
        + probe * timing.tuned_answer / timing.answer,
    }
    steps |= {f"fine-tune, seed {seed}": training(settings.n_train) + tuned for seed in settings.seeds[1:]}
    steps |= {
        f"fine-tune on {rows} rows": training(rows) + settings.n_test * timing.tuned_answer
        for rows in curve_sizes(task, settings)
    }
    return steps


def lighter_protocols(settings: DecideSettings) -> list[DecideSettings]:
    """The settings, then lighter ones in the order the budget cuts them: one smaller fine-tune for the learning
    curve, two seeds, two passes, one pass (at least three learning rates and two seeds always)."""
    cuts = (
        lambda s: replace(s, curve=s.curve[-1:]),
        lambda s: replace(s, seeds=s.seeds[:2]),
        lambda s: replace(s, max_passes=min(s.max_passes, 2)),
        lambda s: replace(s, max_passes=1),
    )
    protocols = [settings]
    for cut in cuts:
        if cut(protocols[-1]) != protocols[-1]:
            protocols.append(cut(protocols[-1]))
    return protocols


def scaled(task: Task, settings: DecideSettings, scale: float) -> DecideSettings:
    """Every split's rows times `scale`, down to MIN_ROWS (and 4 a label) at the least."""

    def rows(split):
        full = getattr(settings, f"n_{split}")
        return min(full, max(MIN_ROWS[split], 4 * len(task.labels), round(scale * full)))

    return replace(settings, **{f"n_{split}": rows(split) for split in SPLITS})


def fit_budget(
    task: Task, settings: DecideSettings, timing: Timing, minutes: float
) -> tuple[DecideSettings, list[str]]:
    """The largest settings whose estimate fits `minutes` (BUDGET_SHARE of them, less what the plan took): the rows
    cut first (every split in proportion, down to MIN_ROWS), then the protocol (`lighter_protocols`); notes say what
    was cut, or that even the least is too long."""
    available = BUDGET_SHARE * 60 * minutes - timing.planning
    for protocol in lighter_protocols(settings):
        for scale in (0.85**step for step in range(100)):
            trial = scaled(task, protocol, scale)
            if sum(estimate_seconds(task, trial, timing).values()) <= available:
                return trial, budget_cuts(settings, trial, minutes)
            if trial == scaled(task, protocol, 0):
                break
    needed = (sum(estimate_seconds(task, trial, timing).values()) + timing.planning) / 60
    return trial, budget_cuts(settings, trial, minutes) + [
        f"Even this takes about {needed:.1f} minutes here, more than the {minutes:g} asked: measuring it all the same "
        f"(stop it with Ctrl-C; run the command again to go on, or give --minutes {math.ceil(needed)})."
    ]


def counted(count, thing: str, things: str | None = None) -> str:
    """'1 pass', '3 passes', '2,600 rows', '0.5 minutes'."""
    number = f"{count:,}" if isinstance(count, int) else f"{count:g}"
    return f"{number} {thing if count == 1 else things or thing + 's'}"


def listed(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return " and ".join([", ".join(items[:-1]), items[-1]] if len(items) > 1 else items)


def budget_cuts(full: DecideSettings, cut: DecideSettings, minutes: float) -> list[str]:
    """One sentence for each thing the budget cut: the rows, the learning curve, the seeds, the passes."""
    fit = f"to fit {counted(minutes, 'minute')}"
    uses = {
        "train": "trained on {} of {} training rows",
        "validation": "chose on {} of {} validation rows",
        "test": "tested on {} of {} test rows",
    }
    rows = listed(
        [
            uses[split].format(f"{getattr(cut, f'n_{split}'):,}", f"{getattr(full, f'n_{split}'):,}")
            for split in SPLITS
            if getattr(cut, f"n_{split}") < getattr(full, f"n_{split}")
        ]
    )
    notes = [f"{rows[0].upper()}{rows[1:]} {fit}."] if rows else []
    if len(cut.curve) < len(full.curve):
        notes.append(
            f"The learning curve has {counted(len(cut.curve), 'smaller fine-tune')}, not {len(full.curve)}, {fit}."
        )
    if len(cut.seeds) < len(full.seeds):
        notes.append(f"The fine-tune is trained from {counted(len(cut.seeds), 'seed')}, not {len(full.seeds)}, {fit}.")
    if cut.max_passes < full.max_passes:
        notes.append(
            f"Fine-tunes are tried up to {counted(cut.max_passes, 'pass', 'passes')} over the training rows, "
            f"not {full.max_passes}, {fit}."
        )
    return notes


def duration(seconds: float) -> str:
    """'about 40 seconds', 'about 14 minutes'."""
    return f"about {seconds:.0f} seconds" if seconds < 90 else f"about {seconds / 60:.0f} minutes"


def describe_plan(plan: Plan, model_id: str | None = None) -> str:
    """What the run will do and about how long it takes here, printed before it starts."""
    s = plan.settings
    prompts = f"zero-shot and two few-shot prompts ({s.k} solved examples)" if s.k else "zero-shot only"
    curve = ", ".join(f"{rows} rows" for rows in curve_sizes(plan.task, s)) or "none"
    how = (
        f"timed here: a training step {plan.timing.train_step:.2f} s, an answer {plan.timing.answer:.2f} s"
        if plan.timed
        else "a rough guess, nothing was timed (give a budget in minutes to time it)"
    )
    rates = ", ".join(f"{rate:g}" for rate in s.learning_rates)
    lines = [
        f"Measuring {plan.task.name} with {model_id or default_model_id()} on {s.n_train:,} training, "
        f"{s.n_validation:,} validation and {s.n_test:,} test rows.",
        f"Prompts: {prompts}, the best chosen on validation. LoRA: learning rates {rates} for up to "
        f"{counted(s.max_passes, 'pass', 'passes')}, the best chosen on validation, then trained from seeds "
        f"{', '.join(map(str, s.seeds))}. Learning curve: {curve}.",
        f"Estimated time: {duration(sum(plan.seconds.values()))} of measuring ({how}"
        + (f"; planning took {plan.timing.planning:.0f} s" if plan.timing.planning else "")
        + ").",
    ]
    return "\n".join(lines + [f"- {note}" for note in plan.task.notes + plan.notes])


# --- The measurement, step by step (each step cached) ---------------------------------------------------------------


def rows_digest(task: Task) -> str:
    """A digest of what a measurement reads of `task`: its instruction, labels and every split's rows (for a file,
    its content as cleaned and split)."""
    digest = hashlib.sha256(
        json.dumps([task.name, task.instruction, task.input_name, list(task.labels), task.max_new_tokens]).encode()
    )
    for split in SPLITS:
        digest.update(task.split(split)[["text", task.label_column]].to_json(orient="values").encode())
    return digest.hexdigest()[:16]


Step = Callable[[Path], dict]  # a measured step: compute(its cache folder) -> its numbers
PROMPT_FIELDS = ("n_train", "n_validation", "n_test", "k", "n_probe")  # what the prompt side's numbers depend on
TUNING_FIELDS = PROMPT_FIELDS + ("learning_rates", "max_passes", "batch_size", "lora_rank")  # and the fine-tunes'


def step_key(plan: Plan, digest: str, model_id: str | None, fields: tuple, **more) -> dict:
    """A step's cache key: the task's rows, the model, and the settings the step depends on (so that a run with other
    seeds or another learning curve reuses the steps it shares)."""
    return {
        "rows": digest,
        "model": model_id or default_model_id(),
        **{name: getattr(plan.settings, name) for name in fields},
        **more,
    }


def in_proportion(frame: pd.DataFrame, n: int, label_column: str) -> pd.DataFrame:
    """`n` rows of a split with its labels in the split's proportions (all rows if it has no more), renumbered:
    accuracy on them is accuracy on rows like yours, imbalance included."""
    if n >= len(frame):
        return frame.reset_index(drop=True)
    shares = frame[label_column].value_counts() * n / len(frame)
    counts = np.floor(shares).astype(int)
    counts[(shares - counts).sort_values(ascending=False, kind="stable").index[: n - counts.sum()]] += 1  # the rest
    picked = [group.sample(counts[label], random_state=SEED) for label, group in frame.groupby(label_column)]
    return pd.concat(picked).sort_index().reset_index(drop=True)


def measured_rows(plan: Plan) -> dict:
    """The rows every approach uses: training rows spread over the labels, validation and test rows in proportion."""
    task, s = plan.task, plan.settings
    return {
        "train": task.sample("train", s.n_train),
        "validation": in_proportion(task.split("validation"), s.n_validation, task.label_column),
        "test": in_proportion(task.split("test"), s.n_test, task.label_column),
    }


def prompt_patterns(task: Task, pool: pd.DataFrame, k: int) -> dict:
    """The prompt candidates: zero-shot and, with k > 0 solved rows of `pool`, the two few-shot prompts."""
    patterns = catalog(task, pool=pool, k=min(k, len(pool)))
    return {name: patterns[name] for name in (PROMPT_CANDIDATES if k else PROMPT_CANDIDATES[:1])}


def _run(summary: pd.DataFrame, details: pd.DataFrame, training_seconds: float = 0.0) -> dict:
    """One run of one approach on the test rows: per-row scores, latency, prompt tokens, training seconds."""
    return {
        "scores": [float(score) for score in details["score"]],
        "latency_s": float(summary.loc[0, "latency_s"]),
        "prompt_tokens": float(summary.loc[0, "prompt_tokens"]),
        "training_seconds": float(training_seconds),
    }


def _timed(compute: Step, measured_now: list) -> Step:
    """`compute`, with the seconds it took in its result; `measured_now` learns that it ran (not read from cache)."""

    def run(folder):
        began = time.perf_counter()
        value = compute(folder)
        measured_now.append(True)
        return {**value, "seconds": time.perf_counter() - began}

    return run


# Each step below is a `compute(folder) -> dict` for `cache.cached`: it loads its own model, so it can run alone.


def choose_prompt(plan: Plan, rows: dict, model_id, progress: bool) -> Step:
    """The prompt candidates on the validation rows, and label scoring: {"best": the best prompt's name,
    "candidates": one row per candidate (method "generate"; label scoring: "score")}."""

    def compute(folder):
        model, tokenizer = load_model(model_id)
        patterns = prompt_patterns(plan.task, rows["train"], plan.settings.k)
        runs = evaluate_patterns(
            model,
            tokenizer,
            patterns,
            rows["validation"],
            plan.task,
            batch_size=EVAL_BATCH,
            progress=progress,
        )
        candidates = pd.concat([summary for summary, _ in runs.values()], ignore_index=True)
        best = best_pattern(candidates, plan.task)["pattern"]
        scoring, _ = evaluate(
            model, tokenizer, patterns["zero_shot"], rows["validation"], plan.task, "score", batch_size=EVAL_BATCH
        )
        return {"best": best, "candidates": pd.concat([candidates, scoring], ignore_index=True)}

    return compute


def prompt_side(plan: Plan, rows: dict, best: str, model_id, progress: bool) -> Step:
    """Zero-shot, the best prompt, label scoring and TF-IDF on the test rows, and the base model on the probe."""

    def compute(folder):
        task, train, test = plan.task, rows["train"], rows["test"]
        model, tokenizer = load_model(model_id)
        patterns = prompt_patterns(task, train, plan.settings.k)
        runs = {
            approach: _run(
                *evaluate(
                    model, tokenizer, patterns[pattern], test, task, method, batch_size=EVAL_BATCH, progress=progress
                )
            )
            for approach, pattern, method in (
                ("zero-shot", "zero_shot", "generate"),
                ("best prompt", best, "generate"),
                ("label scoring", "zero_shot", "score"),
            )
        }
        labels = train[task.label_column]
        summary, details = evaluate_predictor(
            lambda texts: tfidf_predictions(train["text"], labels, texts), test, task, "TF-IDF"
        )
        runs["TF-IDF"] = _run(summary.assign(prompt_tokens=0.0), details)
        probe = probe_score(model, tokenizer, probe_sample(plan.settings.n_probe))["correct"].mean()
        return {"runs": runs, "probe": float(probe), "parameters": count_parameters(model)}

    return compute


def tuned_runs(model, tokenizer, plan: Plan, rows: dict, best: str, info: dict, progress: bool) -> dict:
    """A fine-tuned model on the test rows, asked zero-shot (LoRA fine-tune) and with the best prompt (hybrid)."""
    patterns = prompt_patterns(plan.task, rows["train"], plan.settings.k)
    return {
        approach: _run(
            *evaluate(
                model, tokenizer, patterns[pattern], rows["test"], plan.task, batch_size=EVAL_BATCH, progress=progress
            ),
            training_seconds=info["training_seconds"],
        )
        for approach, pattern in (("LoRA fine-tune", "zero_shot"), ("hybrid", best))
    }


def recipe_side(plan: Plan, rows: dict, best: str, model_id, progress: bool, key: dict) -> Step:
    """The LoRA recipe chosen on validation (every learning rate, the best pass), its run (the first seed) on the test
    rows and on the probe. Each learning rate's run is cached on its own (under the step's `key` and its rate), so
    a search stopped half-way goes on with the next rate."""

    def compute(folder):
        s = plan.settings
        recipe, search, model, tokenizer, info = choose_recipe(
            plan.task,
            rows["train"],
            rows["validation"],
            "lora",
            folder,
            learning_rates=s.learning_rates,
            max_passes=s.max_passes,
            batch_size=s.batch_size,
            lora_rank=s.lora_rank,
            model_id=model_id,
            progress=progress,
            keep=run_keeper("decide-recipe-run", key),
        )
        runs = tuned_runs(model, tokenizer, plan, rows, best, info, progress)
        probe = probe_score(model, tokenizer, probe_sample(s.n_probe))["correct"].mean()
        search_seconds = float(search.groupby("learning_rate")["training_seconds"].max().sum())
        return {
            "recipe": asdict(recipe),
            "search": search,
            "search_seconds": search_seconds,
            "runs": runs,
            "probe": float(probe),
        }

    return compute


def seed_side(plan: Plan, rows: dict, best: str, recipe: Recipe, seed: int, model_id, progress: bool) -> Step:
    """The recipe trained from another seed, on the test rows."""

    def compute(folder):
        model, tokenizer, info = train_recipe(plan.task, rows["train"], recipe, seed, model_id, progress)
        return {"runs": tuned_runs(model, tokenizer, plan, rows, best, info, progress)}

    return compute


def curve_point(plan: Plan, rows: dict, recipe: Recipe, n: int, model_id, progress: bool) -> Step:
    """The recipe (first seed) trained on `n` of the training rows, asked zero-shot on the test rows."""

    def compute(folder):
        fewer = balanced_sample(rows["train"], n, plan.task.label_column, seed=SEED)
        model, tokenizer, info = train_recipe(plan.task, fewer, recipe, plan.settings.seeds[0], model_id, progress)
        summary, details = evaluate(
            model,
            tokenizer,
            lambda text: zero_shot(text, plan.task),
            rows["test"],
            plan.task,
            batch_size=EVAL_BATCH,
            progress=progress,
        )
        return {"train_examples": n, "run": _run(summary, details, info["training_seconds"])}

    return compute


def measure_task(
    task: Task,
    model_id: str | None = None,
    settings: DecideSettings | None = None,
    progress: bool = True,
    minutes: float | None = None,
) -> Decision:
    """Every approach on the same test rows of `task` (see the module docstring), step by step, each step cached.

    With `minutes`, the run is timed and cut to fit that budget first (`plan_run`); with `progress`, the plan is
    printed and the steps share a progress bar weighted by their estimates (so its time left is an estimate too).
    """
    plan = plan_run(task, model_id, settings, minutes)
    if progress:
        print(describe_plan(plan, model_id), flush=True)
    rows, digest, seconds, resumed = measured_rows(plan), rows_digest(plan.task), {}, []
    bar = tqdm(
        total=max(1, round(sum(plan.seconds.values()))),
        unit="s",
        desc="measuring your task",
        disable=not progress,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {elapsed}<{remaining} {postfix}",
    )

    def step(name: str, kind: str, fields: tuple, compute, **more) -> dict:
        bar.set_postfix_str(name)
        measured_now = []
        value = cached(kind, step_key(plan, digest, model_id, fields, **more), _timed(compute, measured_now))
        seconds[name] = value["seconds"]
        resumed.extend([] if measured_now else [name])
        bar.update(round(plan.seconds.get(name, 0)))
        return value

    s = plan.settings
    choice = step(
        "choosing the prompt",
        "decide-prompt-choice",
        PROMPT_FIELDS,
        choose_prompt(plan, rows, model_id, progress),
        candidates=PROMPTING,  # (label scoring is chosen on validation too)
    )
    best = choice["best"]
    prompts = step(
        "prompts on the test rows", "decide-prompts", PROMPT_FIELDS, prompt_side(plan, rows, best, model_id, progress)
    )
    tuned = step(
        "choosing the fine-tune's recipe",
        "decide-recipe",
        TUNING_FIELDS,
        recipe_side(plan, rows, best, model_id, progress, step_key(plan, digest, model_id, TUNING_FIELDS)),
    )
    recipe = Recipe(**tuned["recipe"])
    seeds = [
        step(
            f"fine-tune, seed {seed}",
            "decide-seed",
            TUNING_FIELDS,
            seed_side(plan, rows, best, recipe, seed, model_id, progress),
            seed=seed,
            recipe=asdict(recipe),
        )
        for seed in s.seeds[1:]
    ]
    points = [
        step(
            f"fine-tune on {n} rows",
            "decide-curve",
            TUNING_FIELDS,
            curve_point(plan, rows, recipe, n, model_id, progress),
            train_examples=n,
            seed=s.seeds[0],
            recipe=asdict(recipe),
        )
        for n in curve_sizes(plan.task, s)
    ]
    bar.close()
    runs = {approach: [run] for approach, run in prompts["runs"].items()}
    runs |= {
        approach: [tuned["runs"][approach]] + [seed["runs"][approach] for seed in seeds]
        for approach in ("LoRA fine-tune", "hybrid")
    }
    return Decision(
        **summarize(plan, model_id, rows, runs, choice, prompts, tuned, points),
        seconds=float(sum(seconds.values())),
        step_seconds=seconds,
        resumed=len(resumed),
        steps=len(seconds),
    )


# --- From the runs to the numbers of the report ---------------------------------------------------------------------


def approach_row(approach: str, runs: list[dict], labelled: int, price_per_hour: float) -> dict:
    """One approach's row from its runs (one per seed): accuracy with its interval over runs and rows, the mean per
    row (`scores`), every run's scores (`run_scores`), mean latency, prompt tokens and training seconds, and cost."""
    run_scores = [run["scores"] for run in runs]
    accuracy, low, high = run_interval(run_scores)
    latency = float(np.mean([run["latency_s"] for run in runs]))
    return {
        "approach": approach,
        "accuracy": accuracy,
        "low": low,
        "high": high,
        "n": len(run_scores[0]),
        "runs": len(runs),
        "accuracy_text": format_runs(run_scores),
        "latency_s": latency,
        "prompt_tokens": float(np.mean([run["prompt_tokens"] for run in runs])),
        "labelled_examples": labelled,
        "training_seconds": float(np.mean([run["training_seconds"] for run in runs])),
        "cost_per_1000": cost_per_1000_requests(latency, price_per_hour),
        "scores": [float(score) for score in np.mean(run_scores, axis=0)],
        "run_scores": run_scores,
    }


def majority_baseline(task: Task, test: pd.DataFrame) -> dict:
    """Always answering the commonest training label: {"label", "accuracy" on the test rows}."""
    label = majority_predictions(task.split("train")[task.label_column], 1)[0]
    return {"label": label, "accuracy": float((test[task.label_column] == label).mean())}


def learning_curve(points: list[dict], lora: dict) -> pd.DataFrame:
    """The learning curve: each smaller fine-tune (one seed) and the whole training set (every seed), by size."""
    rows = [{"train_examples": point["train_examples"], "run_scores": [point["run"]["scores"]]} for point in points]
    rows.append({"train_examples": lora["labelled_examples"], "run_scores": lora["run_scores"]})
    for row in rows:
        row["accuracy"], row["low"], row["high"] = run_interval(row["run_scores"])
        row["runs"], row["scores"] = len(row["run_scores"]), [float(x) for x in np.mean(row["run_scores"], axis=0)]
    return pd.DataFrame(rows).sort_values("train_examples", kind="stable").reset_index(drop=True)


def prompting_validation(candidates: pd.DataFrame, best: str) -> dict:
    """Each prompting approach's accuracy on the validation rows (`choose_prompt`'s candidates): what chooses the
    family's best."""
    generated = candidates[candidates["method"] == "generate"].set_index("pattern")["accuracy"]
    scored = candidates.loc[candidates["method"] == "score", "accuracy"]
    return {
        "zero-shot": float(generated["zero_shot"]),
        "label scoring": float(scored.iloc[0]),
        "best prompt": float(generated[best]),
    }


def best_prompting(validation: dict) -> str:
    """The prompting approach that did best on validation; a tie goes to the cheaper (PROMPTING's order)."""
    return max(PROMPTING, key=lambda approach: validation[approach])


def summarize(
    plan: Plan, model_id, rows: dict, runs: dict, choice: dict, prompts: dict, tuned: dict, points: list[dict]
) -> dict:
    """The measured numbers (the fields of a `Decision` but its timings): the results table, verdicts against the best
    prompting approach (chosen on validation), the learning curve and the advice."""
    s, task = plan.settings, plan.task
    shots = {"few_shot_balanced": s.k, "few_shot_similar": len(rows["train"])}.get(choice["best"], 0)
    labelled = {"zero-shot": 0, "best prompt": shots, "label scoring": 0}
    results = pd.DataFrame(
        [
            approach_row(approach, runs[approach], labelled.get(approach, len(rows["train"])), s.price_per_hour)
            for approach in APPROACHES
        ]
    ).set_index("approach")
    validation = prompting_validation(choice["candidates"], choice["best"])
    validation["LoRA fine-tune"] = float(tuned["search"]["validation_accuracy"].max())  # the chosen recipe's
    results["validation_accuracy"] = pd.Series(validation)
    prompting = best_prompting(validation)
    best_runs = results.loc[prompting, "run_scores"]
    verdicts = {
        approach: compare_methods(results.loc[approach, "run_scores"], best_runs)
        for approach in APPROACHES
        if approach != prompting
    }
    curve = learning_curve(points, results.loc["LoRA fine-tune"].to_dict())
    needed = next(
        (
            int(row.train_examples)
            for row in curve.itertuples()
            if compare_methods(row.run_scores, best_runs).verdict == "A better"
        ),
        None,
    )
    names = {"prompting": prompting, "fine-tuning": "LoRA fine-tune", "hybrid": "hybrid", "classical": "TF-IDF"}
    probe = {"questions": probe_questions(s.n_probe), "before": prompts["probe"], "after": tuned["probe"]}
    lora_runs = results.loc["LoRA fine-tune", "run_scores"]
    figures = Figures(
        accuracy={a: float(results.loc[n, "accuracy"]) for a, n in names.items()},
        latency_s={a: float(results.loc[n, "latency_s"]) for a, n in names.items()},
        training_seconds=float(results.loc["LoRA fine-tune", "training_seconds"]),
        examples_needed=needed,
        probe_drop=probe["before"] - probe["after"],
        accuracy_verdict=accuracy_verdict(verdicts["LoRA fine-tune"]),
        test_examples=len(rows["test"]),
        hybrid_verdict=compared(compare_methods(results.loc["hybrid", "run_scores"], lora_runs)),
        classical_verdict=compared(compare_methods(results.loc["TF-IDF", "run_scores"], lora_runs)),
        classical_vs_prompting=compared(verdicts["TF-IDF"]),
        names=names,
        model=short_name(model_id or default_model_id()),
    )
    advice = recommend(
        Answers(priority="niche_accuracy", labelled_examples=len(rows["train"]), price_per_hour=s.price_per_hour),
        figures,
    )
    return {
        "task": task,
        "model": model_id or default_model_id(),
        "parameters": prompts["parameters"],
        "results": results,
        "candidates": choice["candidates"],
        "best": choice["best"],
        "prompting": prompting,
        "search": tuned["search"],
        "search_seconds": tuned["search_seconds"],
        "recipe": tuned["recipe"],
        "curve": curve,
        "verdicts": verdicts,
        "chance": chance_accuracy(task.labels),
        "majority": majority_baseline(task, rows["test"]),
        "probe": probe,
        "advice": advice,
        "settings": s,
        "plan": plan,
        "sizes": {split: len(rows[split]) for split in SPLITS},
    }


# --- The report -----------------------------------------------------------------------------------------------------


def markdown_text(text) -> str:
    """Text from your file or command line, shown as itself in Markdown: HTML and Markdown marks are escaped, so a label
    like `<img src=x onerror=...>` or `**bold**` is printed, never rendered or run by a Markdown viewer."""
    return re.sub(r"([\\`*_{}\[\]()#+!|~>-])", r"\\\1", html.escape(str(text), quote=False))


def _against(paired) -> str:
    """A verdict against the best prompting approach, as a table cell."""
    if paired is None:
        return "—"
    verdict = {"A better": "better", "B better": "worse"}.get(paired.verdict, "too close to call")
    return f"{paired.difference:+.0%} ({paired.low:+.0%} to {paired.high:+.0%}): {verdict}"


def _timing_sentence(measured: Decision) -> str:
    """How long the measurement took, beside the estimate, and whether an earlier run's steps were reused."""
    plan = measured.plan
    sentence = (
        f"Measuring took {measured.seconds / 60:.1f} minutes (estimated beforehand: "
        f"{duration(sum(plan.seconds.values()))}{'' if plan.timed else ', a rough guess'})."
    )
    if measured.resumed:
        sentence += (
            f" {measured.resumed} of its {measured.steps} steps came from the course cache, measured by an "
            "earlier run with the same rows and settings."
        )
    return sentence


def report_markdown(measured: Decision) -> str:
    """The report: what was measured, the table, the verdicts, the recipe, the learning curve, what was done to the
    rows and to fit the run, and the advice."""
    task, results, sizes, majority = measured.task, measured.results, measured.sizes, measured.majority
    recipe, plan = measured.recipe, measured.plan
    rates = ", ".join(f"{rate:g}" for rate in measured.settings.learning_rates)
    lines = [
        f"# Prompt or fine-tune? Your task: {markdown_text(task.name)}",
        "",
        f"{markdown_text(task.instruction)} Measured with {markdown_text(measured.model)} on {sizes['test']} test "
        f"rows ({sizes['train']} to train on, {sizes['validation']} to choose the prompt and the fine-tune's recipe "
        f"on). Guessing scores {measured.chance:.0%}; always answering '{markdown_text(majority['label'])}' (the "
        f"commonest training label) scores {majority['accuracy']:.0%}.",
        "",
        f"| approach | accuracy (95% interval) | validation | vs {measured.prompting} | latency | prompt tokens | "
        "labelled rows | cost per 1,000 requests |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    for approach, row in results.iterrows():
        validation = "—" if pd.isna(row["validation_accuracy"]) else f"{row['validation_accuracy']:.0%}"
        lines.append(
            f"| {approach} | {row['accuracy_text']} | {validation} | {_against(measured.verdicts.get(approach))} | "
            f"{row['latency_s']:.3f} s | {row['prompt_tokens']:.0f} | {row['labelled_examples']} | "
            f"${row['cost_per_1000']:.3f} |"
        )
    candidates = measured.candidates
    best = candidates[candidates["method"] == "generate"].sort_values("accuracy", ascending=False)
    lines += [
        "",
        "A fine-tuned approach's interval covers its training seeds and the test rows; a verdict needs the "
        "interval of the difference to exclude zero. Each family is represented by its member that did best on the "
        "validation rows (a tie goes to the cheaper), never by its test score.",
        "",
        f"The best prompting approach, chosen on validation: **{measured.prompting}**. The best prompt among the "
        f"written ones: **{measured.best}** "
        f"({', '.join(f'{r.pattern} {r.accuracy:.0%}' for r in best.itertuples())}).",
        f"The fine-tune's recipe, chosen on validation: learning rate {recipe['learning_rate']:g}, "
        f"{counted(recipe['passes'], 'pass', 'passes')} (tried: {rates}, up to "
        f"{counted(recipe['max_passes'], 'pass', 'passes')}; {measured.search_seconds / 60:.1f} minutes of "
        f"training), then trained from {results.loc['LoRA fine-tune', 'runs']} seeds.",
        "",
        "![accuracy of each approach](approaches.png)",
        "",
        "## Would more labelled rows pay?",
        "",
        "| training rows | LoRA accuracy (95% interval) |",
        "|---:|---:|",
    ]
    lines += [f"| {row.train_examples} | {format_runs(row.run_scores)} |" for row in measured.curve.itertuples()]
    probe = measured.probe
    lines += [
        "",
        "![learning curve](learning_curve.png)",
        "",
        f"General questions (the course's probe, {probe['questions']}): {probe['before']:.0%} before the fine-tune, "
        f"{probe['after']:.0%} after.",
        "",
        "## Your rows",
        "",
    ]
    lines += [f"- {markdown_text(note)}" for note in task.notes] or ["- Every row of the file was used as it is."]
    lines += ["", "## This run", "", f"- {_timing_sentence(measured)}"]
    lines += [f"- {markdown_text(note)}" for note in plan.notes]
    lines += ["", f"## Advice: {measured.advice.approach}", ""]
    lines += [f"- {reason}" for reason in measured.advice.reasons]
    lines += [
        "",
        "The advice assumes accuracy on this niche task matters most; notebook 06's decision helper weighs "
        "your own answers (budget, rate of change, request volume).",
    ]
    return "\n".join(lines) + "\n"


def results_data(measured: Decision) -> dict:
    """Every number of the report, and every decision about the rows and the run, as JSON-ready values."""
    plan = measured.plan
    return {
        "task": measured.task.name,
        "model": measured.model,
        "sizes": measured.sizes,
        "seconds": measured.seconds,
        "step_seconds": measured.step_seconds,
        "estimated_seconds": plan.seconds,
        "minutes": plan.minutes,
        "resumed_steps": measured.resumed,
        "settings": asdict(measured.settings),
        "data_notes": list(measured.task.notes),
        "run_notes": list(plan.notes),
        "chance": measured.chance,
        "majority": measured.majority,
        "results": measured.results.reset_index().to_dict(orient="records"),
        "candidates": measured.candidates.to_dict(orient="records"),
        "best_prompt": measured.best,
        "best_prompting": measured.prompting,
        "recipe": measured.recipe,
        "search": measured.search.to_dict(orient="records"),
        "curve": measured.curve.to_dict(orient="records"),
        "probe": measured.probe,
        "verdicts": {a: asdict(v) | {"verdict": v.verdict} for a, v in measured.verdicts.items()},
        "advice": {"approach": measured.advice.approach, "reasons": measured.advice.reasons},
    }


def write_report(measured: Decision, folder) -> Path:
    """report.md, approaches.png, learning_curve.png and results.json in `folder`, replaced as a whole (only a folder
    the course wrote: `files.output_folder` says why another is refused)."""
    matplotlib.use("Agg")
    folder = output_folder(folder, "The report's folder")
    partial = partial_folder(folder)
    results = measured.results
    (partial / "approaches.png").write_bytes(figure_png(plot_approaches(results, chance=measured.chance).figure))
    baselines = {approach: results.loc[approach, "accuracy"] for approach in (measured.prompting, "TF-IDF")}
    curve = plot_learning_curve(measured.curve, baselines, ylabel="accuracy on your test rows")
    (partial / "learning_curve.png").write_bytes(figure_png(curve.figure))
    (partial / "report.md").write_text(report_markdown(measured))
    (partial / "results.json").write_text(json.dumps(results_data(measured), indent=1, default=float))
    replace_folder(partial, folder)
    return folder / "report.md"


def main(argv=None):
    parser = argparse.ArgumentParser(description="Prompt or fine-tune? The head-to-head on your own labelled file.")
    parser.add_argument("--data", required=True, help="a CSV (Excel: Save As 'CSV UTF-8') or JSON Lines file")
    parser.add_argument("--text", required=True, help="the column with the text to classify")
    parser.add_argument("--label", required=True, help="the column with its label")
    parser.add_argument("--model", default=None, help="a Hugging Face model id (default: the course model)")
    parser.add_argument(
        "--minutes",
        type=float,
        default=DEFAULT_MINUTES,
        help="how long the run may take on this "
        f"machine (default {DEFAULT_MINUTES}: a coffee break); the rows, then the learning curve, the "
        "seeds and the passes are cut to fit",
    )
    parser.add_argument(
        "--output",
        default=None,
        help="the report's folder (default: decide-<file name>); a folder "
        "holding files the course did not write is refused, never replaced",
    )
    args = parser.parse_args(argv)
    try:
        check_minutes(args.minutes)
        task = Task.from_file(args.data, text=args.text, label=args.label, tokenizer=load_tokenizer(args.model))
        folder = output_folder(args.output or f"decide-{task.name}", "--output")  # before hours of measuring
        measured = measure_task(task, args.model, minutes=args.minutes)
        report = write_report(measured, folder)
    except CourseError as error:
        raise SystemExit(f"helpers.experiments.decide: {error}") from None
    except KeyboardInterrupt:
        raise SystemExit(
            "helpers.experiments.decide: stopped. The steps measured so far are kept in the course cache: run the same "
            "command again to go on from there."
        ) from None
    print(report.read_text())
    print(f"Written to {report.parent}/ (report.md, results.json and the plots).")


if __name__ == "__main__":
    main()
