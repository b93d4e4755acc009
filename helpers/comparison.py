"""The head-to-head: five ways to do one task, measured on the same held-out examples.

    settings = default_settings("reviews")          # sizes follow COURSE_QUICK
    run = head_to_head(settings)                    # {"results", "candidates", "losses"}, cached
    with_dollars(run["results"], price_per_hour=2.00)
    seed_table(run["results"], price_per_hour=2.00) # the seed article's table, every cell measured

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
one-time training cost (`helpers.costs`). Two more experiments use the same
machinery: `crossover` (accuracy against labelled examples, in the prompt or as
training data) and `versatility` (the general probe, and the other task, before
and after a fine-tune).

Results are cached (`helpers.cache`, as JSON) in `cache_dir()/results/`, keyed by
the settings, the data files, the versions of torch, transformers and peft, and
`cache.CACHE_VERSION`: change any of these and the experiment runs again. After
editing a helper, delete the folder (or raise CACHE_VERSION) to measure again.
Nothing in the cache ships with the course.
"""
from dataclasses import asdict, dataclass, field

import pandas as pd
from tqdm.auto import tqdm

from .baselines import tfidf_predictions
from .cache import cached, entry
from .config import SEED, quick_or_full
from .consistency import PARAPHRASES, across_paraphrases, across_seeds, agreement, consistency, prediction_key
from .costs import cost_per_1000_requests, dollars, tokens_trained, training_flops
from .data import balanced_sample, load_probe, probe_is_correct
from .errors import CourseError
from .evaluation import best_pattern, evaluate, evaluate_patterns, example_scores
from .generation import generate_batch
from .models import count_parameters, default_model_id, free_memory, load_model
from .prompts import answer_text, catalog, check_task, make_few_shot, zero_shot
from .statistics import compare_paired
from .tasks import get_task
from .training import add_lora, load_adapter, make_fully_trainable, sft_examples, train

APPROACHES = ("zero-shot", "best prompt", "LoRA fine-tune", "full fine-tune", "hybrid")
PROMPT_CANDIDATES = ("explicit", "context", "strict_format", "few_shot_balanced", "few_shot_similar")
EVAL_BATCH = 16  # examples answered together: one batch per run in quick mode


@dataclass(frozen=True)
class Settings:
    """Everything that decides a head-to-head's numbers (and so its cache key)."""
    task: str
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


def default_settings(task: str, quick: bool | None = None) -> Settings:
    """The course's sizes for a task: tiny in quick mode (CI), cut down for a laptop CPU in full mode.

    `quick` defaults to COURSE_QUICK. On a GPU, ask for larger sizes with
    `dataclasses.replace(settings, n_test=...)`; `helpers.reference.settings` gives the reference run's.
    """
    check_task(task)
    pick = (lambda q, f: quick_or_full(q, f)) if quick is None else (lambda q, f: q if quick else f)
    common = dict(n_wordings=pick(2, 3), seeds=pick((0, 1), (0, 1, 2)))
    if task == "reviews":
        return Settings(task, n_test=pick(5, 60), n_validation=pick(5, 30), n_train=pick(10, 256), steps=pick(3, 48),
                        batch_size=pick(4, 8), k=4, **common)
    return Settings(task, n_test=pick(2, 24), n_validation=pick(2, 12), n_train=pick(6, 96), steps=pick(2, 24),
                    batch_size=pick(3, 8), k=2, **common)


# --- Data, models, one measurement -----------------------------------------------------------------

def load_split(task: str, split: str, n: int) -> pd.DataFrame:
    """`n` examples of a split, balanced over labels (reviews) or issue types (tickets), fixed by the seed."""
    check_task(task)
    return get_task(task).sample(split, n, seed=SEED)


def fine_tune(settings: Settings, kind: str = "lora", n_train: int | None = None, progress: bool = True):
    """Train a fresh copy of the base model on `n_train` labelled examples: (model, tokenizer, info).

    The examples are the canonical zero-shot prompt and its ideal answer, so the
    fine-tuned model is asked exactly as the zero-shot baseline is.
    info: labelled_examples, steps, training_seconds, training_flops, trainable_parameters, parameters, losses.
    """
    if kind not in ("lora", "full"):
        raise CourseError(f"Unknown kind of fine-tune {kind!r}: use 'lora' or 'full'.")
    n_train = settings.n_train if n_train is None else n_train
    model, tokenizer = load_model(settings.model_id)
    data = load_split(settings.task, "train", n_train)
    examples = sft_examples(tokenizer, [zero_shot(text, settings.task) for text in data["text"]],
                            [answer_text(row, settings.task) for _, row in data.iterrows()])
    if kind == "lora":
        model, learning_rate = add_lora(model, rank=settings.lora_rank), settings.lora_learning_rate
        optimizer = "adamw"
    else:  # as in notebook 04: the memory-light Adafactor and a frozen token embedding fit 2 GB
        model, learning_rate = make_fully_trainable(model, freeze_embeddings=True), settings.full_learning_rate
        optimizer = "adafactor"
    result = train(model, tokenizer, examples, steps=settings.steps, batch_size=settings.batch_size,
                   learning_rate=learning_rate, optimizer=optimizer, seed=SEED, progress=progress,
                   checkpointing=model.device.type == "cpu")  # less memory on a laptop (notebook 04, section 10)
    if result.interrupted:
        raise CourseError(f"The fine-tune was stopped after {len(result.losses)} of {settings.steps} steps. A comparison needs "
                          "the whole run, so nothing was cached: run the cell again to measure it (or use quick mode).")
    steps = len(result.losses)
    info = {"labelled_examples": n_train, "steps": steps, "training_seconds": result.seconds_per_step * steps,
            "training_flops": training_flops(count_parameters(model), tokens_trained(examples, steps, settings.batch_size),
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
    wordings = PARAPHRASES[settings.task][:settings.n_wordings]
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


# --- Experiment 1: the head-to-head ---------------------------------------------------------------

def choose_prompt(settings: Settings, progress: bool = True) -> tuple[str, pd.DataFrame]:
    """Notebook 02's comparison rerun on the validation split: (name of the best pattern, table of candidates)."""
    def compute(folder):
        model, tokenizer = load_model(settings.model_id)
        validation = load_split(settings.task, "validation", settings.n_validation)
        patterns = catalog(settings.task, pool=load_split(settings.task, "train", settings.n_train), k=settings.k)
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
        train_data = load_split(settings.task, "train", settings.n_train)
        best = catalog(settings.task, pool=train_data, k=settings.k)[best_name]
        test = load_split(settings.task, "test", settings.n_test)
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
        model, tokenizer, info = fine_tune(settings, step, progress=progress)
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


def _format_count(n: float) -> str:
    return f"{n / 1e6:.2f} M" if n >= 1e5 else f"{n:,.0f}"


def seed_table(results: pd.DataFrame, price_per_hour: float) -> pd.DataFrame:
    """The seed article's comparison table, rebuilt: its eight aspects as rows, our five approaches as columns,
    every cell written from a measured number."""
    r = with_dollars(results, price_per_hour)
    tickets = "json_valid_rate" in r
    best = {"accuracy": r["accuracy"].idxmax(), "paraphrase_agreement": r["paraphrase_agreement"].idxmax(),
            "dollars_per_1000_requests": r["dollars_per_1000_requests"].idxmin(),
            "labelled_examples": r["labelled_examples"].idxmin(), "training_seconds": r["training_seconds"].idxmin()}
    strengths = {"accuracy": "most accurate", "paraphrase_agreement": "steadiest over wordings",
                 "dollars_per_1000_requests": "cheapest per request", "labelled_examples": "fewest labels",
                 "training_seconds": "nothing to train"}
    columns = {}
    for approach, row in r.iterrows():
        trained = row["trainable_parameters"]
        performance = f"accuracy {row['accuracy']:.0%}"
        if tickets:
            performance += f" (fields), JSON valid {row['json_valid_rate']:.0%}"
        size_mb = 4 * trained / 1e6  # float32: 4 bytes per trained weight
        columns[approach] = {
            "Definition": (f"weights changed: {_format_count(trained)} of {_format_count(row['parameters'])}; "
                           f"prompt: {row['prompt']}"),
            "Use case": f"accuracy {row['accuracy'] - r['accuracy'].max():+.0%} vs the best approach on this task",
            "Data requirement": f"{row['labelled_examples']:.0f} labelled examples",
            "Cost": (f"once: {row['training_seconds']:.0f} s here, {row['training_flops']:.1e} FLOPs, "
                     f"${row['training_dollars']:.3f}; per 1,000 requests: ${row['dollars_per_1000_requests']:.3f}"
                     f" ({row['prompt_tokens']:.0f} prompt tokens, {row['latency_s']:.2f} s each)"),
            "Flexibility": ("change it: edit the prompt (0 s)" if trained == 0 else
                            f"change it: retrain ({row['training_seconds']:.0f} s here)")
                           + f"; accuracy over wordings {row['accuracy_worst_wording']:.0%}-{row['accuracy_best_wording']:.0%}",
            "Performance": (f"{performance}; same answer over wordings {row['paraphrase_agreement']:.0%}, "
                            f"over seeds {row['seed_agreement']:.0%}"),
            "Deployment complexity": ("ship a prompt" if trained == 0 else
                                      f"ship {size_mb:.1f} MB of new weights" + (" and a prompt" if approach == "hybrid" else "")),
            "When to use": ", ".join(label for column, label in strengths.items() if best[column] == approach) or "-",
        }
    return pd.DataFrame(columns)


# --- Experiment 2: the crossover ------------------------------------------------------------------

BASELINE = "TF-IDF + logistic regression"


def crossover(settings: Settings, shots=None, sizes=None, progress: bool = True) -> pd.DataFrame:
    """Accuracy against labelled examples used: as few-shot examples in the prompt, as LoRA training data,
    and (reviews) as training data of the classical baseline (`helpers.baselines`), all on the same test examples.

    Every fine-tune trains the same number of steps, so only the number of distinct
    examples changes. The largest size is the head-to-head's own LoRA fine-tune and
    0 shots its zero-shot row (reused, not rerun).
    Returns one row per point: method, labelled_examples, accuracy, prompt_tokens, latency_s, training_seconds,
    scores (per test example), n.
    """
    shots = tuple(quick_or_full((1,), (1, 4, 16)) if shots is None else shots)
    sizes = tuple(quick_or_full((4,), (16, 64)) if sizes is None else sizes)
    if any(n >= settings.n_train or n < 1 for n in sizes):
        raise CourseError(f"Fine-tuning sizes must be from 1 to below n_train={settings.n_train} (that point comes from the head-to-head).")

    def compute(folder):
        results = head_to_head(settings, progress)["results"]
        pool = load_split(settings.task, "train", settings.n_train)
        test = load_split(settings.task, "test", settings.n_test)
        rows = [{"method": "few-shot prompt", "labelled_examples": 0, **_point(results.loc["zero-shot"])},
                {"method": "LoRA fine-tune", "labelled_examples": settings.n_train, **_point(results.loc["LoRA fine-tune"])}]
        if settings.task == "reviews":  # a label classifier; tickets are four fields of JSON
            for n in (*sizes, settings.n_train):
                data = load_split(settings.task, "train", n)
                predictions = tfidf_predictions(data["text"], data["label"], test["text"])
                scores = example_scores(predictions, test, settings.task)
                rows.append({"method": BASELINE, "labelled_examples": n, "accuracy": sum(scores) / len(scores),
                             "prompt_tokens": float("nan"), "latency_s": float("nan"), "training_seconds": 0.0,
                             "scores": scores})
        model, tokenizer = load_model(settings.model_id)
        for k in tqdm(shots, desc="few-shot prompts", disable=not progress):
            pattern = make_few_shot(pool, k, "balanced", settings.task)
            summary, details = evaluate(model, tokenizer, pattern, test, settings.task, batch_size=EVAL_BATCH)
            rows.append({"method": "few-shot prompt", "labelled_examples": k, **_point(summary.iloc[0], details)})
        for n in sizes:
            model = None
            free_memory()
            model, tokenizer, info = fine_tune(settings, "lora", n_train=n, progress=progress)
            summary, details = evaluate(model, tokenizer, lambda t: zero_shot(t, settings.task), test, settings.task,
                                        batch_size=EVAL_BATCH)
            rows.append({"method": "LoRA fine-tune", "labelled_examples": n,
                         **_point(summary.iloc[0], details, training_seconds=info["training_seconds"])})
        return pd.DataFrame(rows).sort_values(["method", "labelled_examples"], kind="stable").reset_index(drop=True)
    table = cached("crossover", {**asdict(settings), "shots": shots, "sizes": sizes}, compute)
    return table.assign(n=settings.n_test)  # the test examples behind every accuracy


def _point(row, details: pd.DataFrame | None = None, training_seconds: float = 0.0) -> dict:
    """The columns of a crossover point, from a head-to-head results row or an `evaluate` summary and details."""
    return {"accuracy": row["accuracy"], "prompt_tokens": row["prompt_tokens"], "latency_s": row["latency_s"],
            "training_seconds": row.get("training_seconds", training_seconds),
            "scores": list(row["scores"]) if details is None else list(details["score"])}


def crossover_point(table: pd.DataFrame) -> int | None:
    """The fewest labelled examples with which fine-tuning beats every prompt that could use that many,
    each compared on the same test examples (paired; the 95% interval of the difference above 0);
    None if it never does."""
    prompts = table[table["method"] == "few-shot prompt"]
    for _, row in table[table["method"] == "LoRA fine-tune"].sort_values("labelled_examples").iterrows():
        usable = prompts[prompts["labelled_examples"] <= row["labelled_examples"]]
        if all(compare_paired(row["scores"], prompt["scores"]).verdict == "A better" for _, prompt in usable.iterrows()):
            return int(row["labelled_examples"])
    return None


# --- Experiment 3: Swiss army knife vs scalpel ------------------------------------------------------

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
        probe = load_probe()
        if n_probe is not None:
            probe = balanced_sample(probe, min(n_probe, len(probe)), "kind", seed=SEED).reset_index(drop=True)
        results = head_to_head(settings, progress)["results"]
        other_test = load_split(other.task, "test", other.n_test)
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
                         **({f"{other.task}_json_valid_rate": summary.loc[0, "json_valid_rate"]} if other.task == "tickets" else {})})
        return {"table": pd.DataFrame(rows).set_index("model"), "probe": answers}
    return cached("versatility", {**asdict(settings), "other": asdict(other), "n_probe": n_probe}, compute)


def decision_figures(results: pd.DataFrame, crossover_table: pd.DataFrame, versatility_table: pd.DataFrame):
    """The measured numbers the decision helper uses as defaults (prompting = the best prompt, fine-tuning = LoRA),
    from a head-to-head's results (yours, or the reference's), a crossover table and a versatility table."""
    from .decision import Figures, accuracy_verdict
    names = {"prompting": "best prompt", "fine-tuning": "LoRA fine-tune", "hybrid": "hybrid"}
    probe = versatility_table["probe_accuracy"]
    paired = compare_paired(results.loc["LoRA fine-tune", "scores"], results.loc["best prompt", "scores"])
    verdict = accuracy_verdict(paired)
    return Figures(accuracy={a: float(results.loc[n, "accuracy"]) for a, n in names.items()},
                   latency_s={a: float(results.loc[n, "latency_s"]) for a, n in names.items()},
                   training_seconds=float(results.loc["LoRA fine-tune", "training_seconds"]),
                   examples_needed=crossover_point(crossover_table), probe_drop=float(probe.iloc[0] - probe.iloc[1]),
                   accuracy_verdict=verdict, test_examples=paired.n)



# --- Conclusions: the seed's claims against our numbers ------------------------------------------------

def _verdict(ours, theirs) -> tuple[str, str]:
    """(verdict, note) for a claim that `ours` scores higher than `theirs`, per-example scores on the same
    examples: 'agrees' or 'disagrees' when the 95% interval of the paired difference excludes 0, else
    'too close to call'."""
    result = compare_paired(ours, theirs)
    note = (f"gap {result.difference:+.0%}, 95% interval {result.low:+.0%} to {result.high:+.0%} "
            f"on the same {result.n} examples (paired)")
    return {"A better": "agrees", "B better": "disagrees"}.get(result.verdict, "too close to call"), note


def _claim(claim: str, measured: str, verdict: str, note: str = "") -> dict:
    return {"claim": claim, "measured": measured, "verdict": verdict, "note": note}


def seed_claims(runs: dict, crossover_table: pd.DataFrame, versatile: dict) -> pd.DataFrame:
    """The seed article's main claims, each with what we measured, a verdict and a note.

    runs: task -> head_to_head(...) result; versatile: versatility(...). Verdicts: agrees, disagrees, partly,
    or too close to call. Accuracy claims compare the LoRA fine-tune with the best prompt (chosen on the
    validation split) example by example on the same test examples: a gap counts only when its 95%
    interval excludes zero, and a gap that does not is never scored as agreement.
    """
    rows = []
    for task, run in runs.items():
        r = run["results"]
        tuned, prompted = r.loc["LoRA fine-tune"], r.loc["best prompt"]
        rows.append(_claim(f"Fine-tuning is more accurate on a specific task ({task})",
                           f"LoRA fine-tune {tuned['accuracy']:.0%} vs best prompt ({prompted['prompt']}) {prompted['accuracy']:.0%}",
                           *_verdict(tuned["scores"], prompted["scores"])))
        rows.append(_claim(f"Fine-tuned answers change less when the instruction is reworded ({task})",
                           f"same answer over wordings: LoRA fine-tune {tuned['paraphrase_agreement']:.0%} vs best prompt "
                           f"{prompted['paraphrase_agreement']:.0%}",
                           *_verdict(tuned["agreement_scores"], prompted["agreement_scores"])))
        extra = prompted["prompt_tokens"] - tuned["prompt_tokens"]
        rows.append(_claim(f"Prompting is the cheap option ({task})",
                           f"no training (the LoRA fine-tune took {tuned['training_flops']:.1e} FLOPs), "
                           f"but the best prompt reads {extra:+.0f} tokens per request compared with the fine-tuned model",
                           "partly" if extra > 0 else "agrees",
                           "cheaper to start; dearer per request, so volume decides" if extra > 0 else "cheaper to start and to run"))
    point = crossover_point(crossover_table)
    largest = int(crossover_table["labelled_examples"].max())
    rows.append(_claim("Fine-tuning needs a labelled data set; prompting needs little or none",
                       f"fine-tuning beat every usable prompt from {point} labelled examples" if point is not None
                       else f"fine-tuning did not clearly beat prompting with up to {largest} labelled examples",
                       "agrees" if point is not None else "too close to call",
                       "paired on the same test examples" if point is not None else
                       "no difference beyond chance on these test examples: this run cannot tell"))
    base, tuned = list(versatile["probe"].values())
    rows.append(_claim("A fine-tuned model loses versatility (Swiss army knife vs scalpel)",
                       f"general probe: base {base['correct'].mean():.0%}, fine-tuned {tuned['correct'].mean():.0%}",
                       *_verdict(base["correct"], tuned["correct"])))
    return pd.DataFrame(rows)
