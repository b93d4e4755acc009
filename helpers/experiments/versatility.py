"""Swiss army knife vs scalpel: what a fine-tune costs outside its task.

    versatility(default_settings("reviews"), [default_settings("movie_reviews"), default_settings("tickets")])

The base model and the models LoRA fine-tuned in the head-to-head (`helpers.experiments.comparison`, every training
seed),
each asked the general probe (`data/probe`) and other tasks (another domain, another task), zero-shot.
"""

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.config import SEED, quick_or_full
from ..core.errors import CourseError
from ..llm.generation import generate_batch
from ..llm.memory import free_memory
from ..llm.models import load_model
from ..prompting.data import balanced_sample, load_probe, probe_is_correct
from ..prompting.evaluation import EVAL_BATCH, evaluate
from ..prompting.prompts import zero_shot
from .cache import cached
from .comparison import Settings, load_lora, results_of


def probe_sample(n: int | None = None) -> pd.DataFrame:
    """`n` questions of the general probe, balanced over their kinds (fixed by the seed); all of them for None."""
    probe = load_probe()
    if n is None:
        return probe
    return balanced_sample(probe, min(n, len(probe)), "kind", seed=SEED).reset_index(drop=True)


def probe_score(model, tokenizer, probe: pd.DataFrame, max_new_tokens: int = 24) -> pd.DataFrame:
    """Answer each general probe question (greedy); one row per question with the answer and whether it is right."""
    answers = generate_batch(
        model, tokenizer, list(probe["question"]), max_new_tokens=max_new_tokens, batch_size=EVAL_BATCH
    )
    return probe.assign(
        answer=[a.text for a in answers],
        correct=[probe_is_correct(a.text, accepted) for a, accepted in zip(answers, probe["answers"])],
    )


@dataclass(frozen=True, eq=False)
class Versatility:
    """What `versatility` measured (or the reference's, read back by `reference.versatility`)."""

    settings: Settings
    table: pd.DataFrame  # one row per model (fine-tuned: the mean over seeds, with `runs`)
    probe: dict  # model -> the probe answers of the base model and of the first seed
    runs: dict  # model -> measure ("probe" or a task's name) -> per-example scores per run (`compare_methods`)

    @property
    def n(self) -> int:
        """The probe questions every model answered."""
        return int(self.table["probe_questions"].max())


def versatility(settings: Settings, others, n_probe: int | None = None, progress: bool = True) -> Versatility:
    """The base model and the models LoRA fine-tuned on `settings.task` (every training seed of the head-to-head),
    each on: that task (from the head-to-head), the general probe, and every task of `others` (settings of other
    tasks, e.g. another domain of the same task and a different task), asked zero-shot."""
    others = tuple(others)
    if any(other.task.name == settings.task.name for other in others) or not others:
        raise CourseError(
            "Pass the settings of other tasks as `others` (e.g. movie reviews and tickets after a reviews fine-tune)."
        )
    n_probe = quick_or_full(6, None) if n_probe is None else n_probe
    key = {**settings.key(), "others": [other.key() for other in others], "n_probe": n_probe}

    def measure_model(folder, seed):
        """One model (the base for None, else a seed's fine-tune) on the probe and on every other task."""
        free_memory()
        model, tokenizer = load_model(settings.model_id) if seed is None else load_lora(settings, seed)
        scores = {}
        for other in others:
            _, details = evaluate(
                model,
                tokenizer,
                lambda t, task=other.task: zero_shot(t, task),
                other.rows("test"),
                other.task,
                batch_size=EVAL_BATCH,
            )
            scores[other.task.name] = [float(score) for score in details["score"]]
        return {"probe": probe_score(model, tokenizer, probe_sample(n_probe)), "scores": scores}

    def compute(folder):
        probe = probe_sample(n_probe)
        results = results_of(settings, ("lora",), progress)  # the prompts and the LoRA fine-tune it builds on
        tuned = f"fine-tuned on {settings.task.name}"
        answers, runs = {}, {"base model": {}, tuned: {}}
        for name, seed in [("base model", None)] + [(tuned, seed) for seed in settings.seeds]:
            # each model is cached on its own, so a stopped run resumes with the next one
            measured = cached("versatility-run", {**key, "seed": seed}, functools.partial(measure_model, seed=seed))
            answers.setdefault(name, measured["probe"])
            runs[name].setdefault("probe", []).append([float(c) for c in measured["probe"]["correct"]])
            for other in others:
                runs[name].setdefault(other.task.name, []).append(measured["scores"][other.task.name])
        rows = []
        for name, approach in [("base model", "zero-shot"), (tuned, "LoRA fine-tune")]:
            rows.append(
                {
                    "model": name,
                    "runs": len(runs[name]["probe"]),
                    f"{settings.task.name}_accuracy": results.loc[approach, "accuracy"],
                    "probe_questions": len(probe),
                    "probe_accuracy": float(np.mean(runs[name]["probe"])),
                    **{f"{other.task.name}_accuracy": float(np.mean(runs[name][other.task.name])) for other in others},
                }
            )
        return {"table": pd.DataFrame(rows).set_index("model"), "probe": answers, "runs": runs}

    return Versatility(settings, **cached("versatility", key, compute))
