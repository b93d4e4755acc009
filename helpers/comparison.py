"""The head-to-head: five ways to do one task, measured on the same held-out examples.

    settings = default_settings("reviews")          # sizes follow COURSE_QUICK
    run = head_to_head(settings)                    # {"results", "candidates", "losses"}, cached
    with_dollars(run["results"], price_per_hour=2.00)

The five approaches, all asked with the same canonical instruction:
    zero-shot        the base model, the short instruction only
    best prompt      the base model, the pattern that won on the validation split (notebook 02's comparison, rerun)
    LoRA fine-tune   the base model plus a LoRA adapter trained on labelled examples, short instruction
    full fine-tune   every weight but the token embedding trained (Adafactor) on the same examples, short instruction
    hybrid           the LoRA fine-tuned model asked with the best prompt

For each: accuracy (tickets: mean field accuracy and JSON-valid rate) with its per-example
scores (so two approaches are compared example by example, `helpers.statistics`), consistency
across rewordings of the instruction and across sampling seeds
(`helpers.consistency`), latency, prompt tokens, labelled examples used and the
one-time training cost (`helpers.costs`). The other experiments reuse this machinery:
`helpers.crossover` (accuracy against labelled examples), `helpers.versatility` (what a
fine-tune costs elsewhere) and `helpers.verdicts` (the seed article's table and claims, judged).

Results are cached (`helpers.cache`, as JSON) in `cache_dir()/results/`, keyed by
the settings, the data files, the versions of torch, transformers and peft, and
`cache.CACHE_VERSION`: change any of these and the experiment runs again. After
editing a helper, delete the folder (or raise CACHE_VERSION) to measure again.
Nothing in the cache ships with the course.
"""
from dataclasses import asdict, dataclass, field

import pandas as pd

from .cache import cached, entry
from .config import SEED, quick_or_full
from .consistency import across_paraphrases, across_seeds, agreement, consistency, prediction_key
from .costs import cost_per_1000_requests, dollars, tokens_trained, training_flops
from .errors import CourseError
from .evaluation import best_pattern, evaluate, evaluate_patterns, example_scores
from .models import count_parameters, default_model_id, free_memory, load_model
from .prompts import catalog, zero_shot
from .tasks import Task, get_task
from .training import add_lora, load_adapter, make_fully_trainable, task_examples, train

APPROACHES = ("zero-shot", "best prompt", "LoRA fine-tune", "full fine-tune", "hybrid")
PROMPT_CANDIDATES = ("explicit", "context", "strict_format", "few_shot_balanced", "few_shot_similar")
EVAL_BATCH = 16  # examples answered together: one batch per run in quick mode


@dataclass(frozen=True)
class Settings:
    """Everything that decides a head-to-head's numbers (and so its cache key)."""
    task: str                # a course task's name
    n_test: int              # held-out test examples every approach answers
    n_validation: int        # validation examples used to pick the best prompt
    n_train: int             # labelled training examples (fine-tuning data; few-shot examples come from them)
    steps: int               # optimizer steps of each fine-tune
    batch_size: int
    k: int                   # solved examples in a few-shot prompt (as in notebook 02)
    n_wordings: int          # wordings of the instruction compared for consistency
    seeds: tuple             # sampling seeds compared for consistency
    n_consistency: int | None = None  # test examples the consistency runs use (None: all of them)
    lora_rank: int = 8
    lora_learning_rate: float = 1e-3
    full_learning_rate: float = 1e-3  # Adafactor's step, relative to each weight's size (as in notebook 04)
    model_id: str = field(default_factory=default_model_id)

    def rows(self, split: str, n: int | None = None) -> pd.DataFrame:
        """`n` rows of a split (the settings' own size by default), balanced over labels, fixed by the seed."""
        sizes = {"train": self.n_train, "validation": self.n_validation, "test": self.n_test}
        return get_task(self.task).sample(split, sizes[split] if n is None else n, seed=SEED)

    def training(self, kind: str) -> dict:
        """The options of `fine_tune` for a fine-tune of this kind ("lora" or "full")."""
        rate = {"lora": self.lora_learning_rate, "full": self.full_learning_rate}.get(kind)
        return {"kind": kind, "steps": self.steps, "batch_size": self.batch_size, "learning_rate": rate,
                "lora_rank": self.lora_rank, "model_id": self.model_id}


# The course's sizes per task: (quick mode, full mode). Reviews have more data and one label to learn.
SIZES = {"reviews": dict(n_test=(5, 60), n_validation=(5, 30), n_train=(10, 256), steps=(3, 48), batch_size=(4, 8), k=(4, 4)),
         "tickets": dict(n_test=(2, 24), n_validation=(2, 12), n_train=(6, 96), steps=(2, 24), batch_size=(3, 8), k=(2, 2))}


def default_settings(task: str, quick: bool | None = None) -> Settings:
    """The course's sizes for a task: tiny in quick mode (CI), cut down for a laptop CPU in full mode.

    `quick` defaults to COURSE_QUICK. On a GPU, ask for larger sizes with
    `dataclasses.replace(settings, n_test=...)`; `helpers.reference.settings` gives the reference run's.
    """
    name = get_task(task).name
    if name not in SIZES:
        raise CourseError(f"The course's sizes are for its tasks ({', '.join(SIZES)}); measure task {name!r} with "
                          "helpers.decide (notebook 08), which sizes itself to your file.")
    pick = (lambda q, f: quick_or_full(q, f)) if quick is None else (lambda q, f: q if quick else f)
    sizes = {key: pick(*values) for key, values in SIZES[name].items()}
    return Settings(name, n_wordings=pick(2, 3), seeds=pick((0, 1), (0, 1, 2)), **sizes)


def fine_tune(task: str | Task, rows: pd.DataFrame, *, kind: str = "lora", steps: int, batch_size: int = 8,
              learning_rate: float = 1e-3, lora_rank: int = 8, model_id: str | None = None, progress: bool = True):
    """Train a fresh copy of the base model on labelled `rows` of `task`: (model, tokenizer, info).

    The examples are the task's canonical zero-shot prompt and its ideal answer (`training.task_examples`),
    so the fine-tuned model is asked exactly as the zero-shot baseline is. kind: "lora" (AdamW) or "full"
    (every weight but the token embedding, with the memory-light Adafactor, as in notebook 04).
    info: labelled_examples, steps, training_seconds, training_flops, trainable_parameters, parameters, losses.
    A stopped run raises CourseError: a measurement needs the whole run.
    """
    if kind not in ("lora", "full"):
        raise CourseError(f"Unknown kind of fine-tune {kind!r}: use 'lora' or 'full'.")
    model, tokenizer = load_model(model_id)
    examples = task_examples(tokenizer, rows, task)
    if kind == "lora":
        model, optimizer = add_lora(model, rank=lora_rank, seed=SEED), "adamw"
    else:
        model, optimizer = make_fully_trainable(model, freeze_embeddings=True), "adafactor"
    result = train(model, tokenizer, examples, steps=steps, batch_size=batch_size, learning_rate=learning_rate,
                   optimizer=optimizer, seed=SEED, progress=progress,
                   checkpointing=model.device.type == "cpu")  # less memory on a laptop (notebook 04, section 10)
    if result.interrupted:
        raise CourseError(f"The fine-tune was stopped after {len(result.losses)} of {steps} steps. A measurement needs "
                          "the whole run, so nothing was cached: run it again to measure it (or use quick mode).")
    done = len(result.losses)
    info = {"labelled_examples": len(rows), "steps": done, "training_seconds": result.seconds_per_step * done,
            "training_flops": training_flops(count_parameters(model), tokens_trained(examples, done, batch_size),
                                             result.trainable_parameters),
            "trainable_parameters": result.trainable_parameters, "parameters": count_parameters(model),
            "losses": result.losses}
    return result.model, tokenizer, info


def measure(model, tokenizer, pattern, test: pd.DataFrame, settings: Settings) -> dict:
    """Accuracy and costs of one (model, prompt pattern), plus its consistency over wordings and seeds.

    The canonical instruction answers every test example: accuracy, per-example `scores` and
    `predictions`. The wordings and seeds answer the first `settings.n_consistency` of them
    (`consistency_examples`); `agreement_scores` holds each one's agreement over the wordings.
    """
    subset = test if settings.n_consistency is None else test.head(settings.n_consistency)
    wordings = get_task(settings.task).paraphrases[:settings.n_wordings]
    by_wording, summaries = across_paraphrases(model, tokenizer, pattern, subset, settings.task, wordings=wordings,
                                                batch_size=EVAL_BATCH)
    by_seed, _ = across_seeds(model, tokenizer, pattern, subset, settings.task, seeds=settings.seeds, batch_size=EVAL_BATCH)
    if len(subset) == len(test):
        summary, predictions = summaries.iloc[0], by_wording.iloc[:, 0]
    else:
        summary, details = evaluate(model, tokenizer, pattern, test, settings.task, batch_size=EVAL_BATCH)
        summary, predictions = summary.iloc[0], details["prediction"]
    row = summary.drop(["pattern", "method", "variant"], errors="ignore").to_dict()
    row.update(paraphrase_agreement=consistency(by_wording)["agreement"],
               seed_agreement=consistency(by_seed)["agreement"], consistency_examples=len(subset),
               accuracy_worst_wording=summaries["accuracy"].min(), accuracy_best_wording=summaries["accuracy"].max(),
               scores=example_scores(predictions, test, settings.task),  # per example: for paired tests
               predictions=[prediction_key(p) for p in predictions],
               agreement_scores=[float(value) for value in agreement(by_wording)])
    return row


def choose_prompt(settings: Settings, progress: bool = True) -> tuple[str, pd.DataFrame]:
    """Notebook 02's comparison rerun on the validation split: (name of the best pattern, table of candidates)."""
    def compute(folder):
        model, tokenizer = load_model(settings.model_id)
        validation = settings.rows("validation")
        patterns = catalog(settings.task, pool=settings.rows("train"), k=settings.k)
        runs = evaluate_patterns(model, tokenizer, {name: patterns[name] for name in PROMPT_CANDIDATES}, validation,
                                 settings.task, batch_size=EVAL_BATCH, progress=progress)
        table = pd.concat([summary for summary, _ in runs.values()], ignore_index=True)
        return best_pattern(table, settings.task)["pattern"], table
    return cached("prompt-choice", asdict(settings), compute)


def head_to_head(settings: Settings, progress: bool = True) -> dict:
    """Measure the five approaches on the same test examples (cached; see the module docstring).

    Returns {"results": one row per approach, "candidates": the prompt choice table,
    "losses": training losses per fine-tune, "settings": settings}. Each approach is cached as soon as it is measured, so an
    interrupted run resumes with the next one; the LoRA adapter is saved with its measurements (`load_lora`).
    """
    def compute(folder):
        best_name, candidates = choose_prompt(settings, progress)
        rows = [_measured(settings, step, progress) for step in ("prompts", "lora", "full")]
        results = pd.DataFrame([row for step in rows for row in step["rows"]]).set_index("approach").loc[list(APPROACHES)]
        results["prompt"] = results["prompt"].fillna("zero_shot")
        losses = {step["name"]: step["losses"] for step in rows if "name" in step}
        return {"results": results, "candidates": candidates, "losses": losses}
    return {**cached("head-to-head", asdict(settings), compute), "settings": settings}


def _measured(settings: Settings, step: str, progress: bool) -> dict:
    """One cached step of the head-to-head: "prompts" (zero-shot and best prompt), "lora" (LoRA and hybrid,
    adapter saved) or "full" (full fine-tune). Returns {"rows": [...], and for a fine-tune "name", "losses"}."""
    def compute(folder):
        best_name, _ = choose_prompt(settings, progress)
        train_data = settings.rows("train")
        best = catalog(settings.task, pool=train_data, k=settings.k)[best_name]
        test = settings.rows("test")
        plain = lambda text: zero_shot(text, settings.task)  # noqa: E731  the canonical instruction, as in training
        if step == "prompts":
            base, tokenizer = load_model(settings.model_id)
            no_training = {"training_seconds": 0.0, "training_flops": 0.0, "trainable_parameters": 0,
                           "parameters": count_parameters(base)}
            # labelled examples the prompt needs: k fixed examples, or a pool to pick the k most similar from
            shots = {"few_shot_balanced": settings.k, "few_shot_similar": settings.n_train}.get(best_name, 0)
            return {"rows": [{"approach": "zero-shot", "labelled_examples": 0, **no_training,
                              **measure(base, tokenizer, plain, test, settings)},
                             {"approach": "best prompt", "prompt": best_name, "labelled_examples": shots, **no_training,
                              **measure(base, tokenizer, best, test, settings)}]}
        free_memory()  # one model at a time
        model, tokenizer, info = fine_tune(settings.task, train_data, **settings.training(step), progress=progress)
        name = {"lora": "LoRA fine-tune", "full": "full fine-tune"}[step]
        losses = info.pop("losses")
        rows = [{"approach": name, **info, **measure(model, tokenizer, plain, test, settings)}]
        if step == "lora":
            rows.append({"approach": "hybrid", "prompt": best_name, **info, **measure(model, tokenizer, best, test, settings)})
            model.save_pretrained(folder / "adapter")
        return {"rows": rows, "name": name, "losses": losses}
    return cached(f"head-to-head-{step}", asdict(settings), compute)


def load_lora(settings: Settings):
    """The LoRA fine-tuned model of `head_to_head(settings)`, from its cache (trained first if missing)."""
    _measured(settings, "lora", progress=True)
    model, tokenizer = load_model(settings.model_id)
    return load_adapter(model, entry("head-to-head-lora", asdict(settings)) / "adapter"), tokenizer


def with_dollars(results: pd.DataFrame, price_per_hour: float) -> pd.DataFrame:
    """The results with dollar columns at an assumed price per machine hour (seconds as measured here)."""
    results = results.copy()
    results["training_dollars"] = [dollars(s, price_per_hour) for s in results["training_seconds"]]
    results["dollars_per_1000_requests"] = [cost_per_1000_requests(s, price_per_hour) for s in results["latency_s"]]
    return results
