"""Swiss army knife vs scalpel: what a fine-tune costs outside its task.

    versatility(default_settings("reviews"), default_settings("tickets"))   # {"table", "probe"}, cached

The base model and the model LoRA fine-tuned in the head-to-head (`helpers.comparison`), each
asked the general probe (`data/probe`) and the other task, zero-shot.
"""
from dataclasses import asdict

import pandas as pd

from .cache import cached
from .comparison import EVAL_BATCH, Settings, head_to_head, load_lora
from .config import SEED, quick_or_full
from .data import balanced_sample, load_probe, probe_is_correct
from .errors import CourseError
from .evaluation import evaluate
from .generation import generate_batch
from .models import free_memory, load_model
from .prompts import zero_shot


def probe_sample(n: int | None = None) -> pd.DataFrame:
    """`n` questions of the general probe, balanced over their kinds (fixed by the seed); all of them for None."""
    probe = load_probe()
    if n is None:
        return probe
    return balanced_sample(probe, min(n, len(probe)), "kind", seed=SEED).reset_index(drop=True)


def probe_score(model, tokenizer, probe: pd.DataFrame, max_new_tokens: int = 24) -> pd.DataFrame:
    """Answer each general probe question (greedy); one row per question with the answer and whether it is right."""
    answers = generate_batch(model, tokenizer, list(probe["question"]), max_new_tokens=max_new_tokens, batch_size=EVAL_BATCH)
    return probe.assign(answer=[a.text for a in answers],
                        correct=[probe_is_correct(a.text, accepted) for a, accepted in zip(answers, probe["answers"])])


def versatility(settings: Settings, other: Settings, n_probe: int | None = None, progress: bool = True) -> dict:
    """The base model and the model LoRA fine-tuned on `settings.task`, on three things:
    that task (from the head-to-head), the general probe, and the other task (`other.task`), asked zero-shot.

    Returns {"table": one row per model, "probe": the probe answers of both models}.
    """
    if other.task == settings.task:
        raise CourseError("Pass the settings of the other task as `other` (e.g. tickets after a reviews fine-tune).")
    n_probe = quick_or_full(6, None) if n_probe is None else n_probe

    def compute(folder):
        probe = probe_sample(n_probe)
        results = head_to_head(settings, progress)["results"]
        other_test = other.rows("test")
        rows, answers = [], {}
        for name, approach in [("base model", "zero-shot"), (f"fine-tuned on {settings.task}", "LoRA fine-tune")]:
            model = None
            free_memory()
            model, tokenizer = load_model(settings.model_id) if approach == "zero-shot" else load_lora(settings)
            answers[name] = probe_score(model, tokenizer, probe)
            summary, _ = evaluate(model, tokenizer, lambda t: zero_shot(t, other.task), other_test, other.task,
                                  batch_size=EVAL_BATCH)
            rows.append({"model": name, f"{settings.task}_accuracy": results.loc[approach, "accuracy"],
                         "probe_questions": len(probe), "probe_accuracy": answers[name]["correct"].mean(),
                         f"{other.task}_accuracy": summary.loc[0, "accuracy"],
                         **({f"{other.task}_json_valid_rate": summary.loc[0, "json_valid_rate"]}
                            if "json_valid_rate" in summary else {})})
        return {"table": pd.DataFrame(rows).set_index("model"), "probe": answers}
    return cached("versatility", {**asdict(settings), "other": asdict(other), "n_probe": n_probe}, compute)
