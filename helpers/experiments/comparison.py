"""The head-to-head: every way to do one task, each given the same care, measured on the same held-out examples.

    settings = default_settings("reviews")          # sizes follow COURSE_QUICK
    run = head_to_head(settings)                    # a HeadToHead: run.results, run.candidates, run.search, ...
    family_verdicts(run.results)                    # the best prompt against the best fine-tune, chosen on validation

The approaches, in families (`FAMILIES`):
    prompting     zero-shot (the instruction only), best prompt (the pattern that won on validation), label scoring
                  (the zero-shot prompt read as the label the model finds most likely; tasks with labels)
    classical     TF-IDF + logistic regression on the same labelled rows (tasks with labels): the yardstick
    fine-tuning   LoRA (adapters on every linear layer) and full fine-tune (every weight but the embedding)
    hybrid        the LoRA fine-tuned model asked with the best prompt

The same care on both sides, chosen on the same validation rows (`helpers.finetuning.tuning`): the prompt side tries
every
written pattern and few-shot prompts (several draws of their solved examples); each fine-tune kind tries several
learning rates and keeps the best number of passes. Every fine-tuned approach is then trained with
`settings.seeds` (adapter start and data order) and every draw-based prompt with `settings.draws`: each approach
keeps its runs (`run_scores`, one list of per-example scores per run), and its interval covers runs and examples
(`statistics.run_interval`, `statistics.compare_methods`).

For each approach: accuracy (tickets: mean field accuracy, JSON-valid rate, exact match), its interval and the
spread of its runs, validation accuracy (what chose it), consistency across rewordings and sampling seeds (first
run, `helpers.prompting.consistency`), latency, prompt tokens, labelled examples, training cost, and what choosing it
cost.

Every step is cached as soon as it is measured (`helpers.experiments.cache`): an interrupted run resumes with the
next step.
"""

import shutil
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import pandas as pd

from ..core.config import SEED, quick_or_full
from ..core.costs import cost_per_1000_requests, dollars
from ..core.errors import CourseError
from ..core.statistics import compare_methods, run_interval
from ..finetuning.training import load_adapter
from ..finetuning.tuning import KINDS, LEARNING_RATES, choose_recipe, train_recipe
from ..llm.memory import free_memory
from ..llm.models import count_parameters, default_model_id, load_model
from ..prompting.consistency import across_paraphrases, across_seeds, agreement, consistency, prediction_key
from ..prompting.evaluation import EVAL_BATCH, evaluate, evaluate_patterns, evaluate_predictor
from ..prompting.prompts import catalog, make_few_shot, zero_shot
from ..prompting.tasks import Task, get_task, require_task
from .baselines import tfidf_predictions
from .cache import cached, entry, run_keeper, unclaimed_first

APPROACHES = ("zero-shot", "best prompt", "label scoring", "TF-IDF", "LoRA fine-tune", "full fine-tune", "hybrid")
FAMILIES = {
    "prompting": ("zero-shot", "best prompt", "label scoring"),
    "classical": ("TF-IDF",),
    "fine-tuning": ("LoRA fine-tune", "full fine-tune"),
    "hybrid": ("hybrid",),
}
WRITTEN_CANDIDATES = ("zero_shot", "explicit", "role", "context", "strict_format")  # chain of thought: notebook 02
FEW_SHOT = ("few_shot_balanced", "few_shot_similar")
NAMES = {"lora": "LoRA fine-tune", "full": "full fine-tune"}
TRAINING_DETAILS = ("labelled_examples", "training_seconds", "training_flops", "trainable_parameters", "parameters")


@dataclass(frozen=True)
class Settings:
    """Everything that decides a head-to-head's numbers (and so its cache key)."""

    task: Task  # a course task (`default_settings` resolves its name)
    n_test: int | None  # test examples every approach answers (None: the whole split)
    n_validation: int | None  # validation examples every choice is made on (None: the whole split)
    n_train: int  # labelled training examples: the fine-tunes' data and the few-shot prompts' pool
    batch_size: int
    k: int  # solved examples in a few-shot prompt
    max_passes: int  # the longest fine-tune tried, in passes over the training rows
    seeds: tuple = (0, 1, 2)  # training seeds of every fine-tuned approach
    draws: tuple = (0, 1, 2)  # draws of the solved examples of a fixed few-shot prompt
    n_wordings: int = 3  # wordings of the instruction compared for consistency
    sampling_seeds: tuple = (0, 1, 2)  # sampling seeds compared for consistency
    n_consistency: int | None = None  # test examples the consistency runs use (None: all of them)
    lora_rank: int = 8
    lora_learning_rates: tuple = LEARNING_RATES["lora"]
    full_learning_rates: tuple = LEARNING_RATES["full"]
    model_id: str = field(default_factory=default_model_id)

    def __post_init__(self):
        require_task(self.task)

    def key(self) -> dict:
        """The settings as plain data, the task by its name: what the cache is keyed on."""
        return {**{f.name: getattr(self, f.name) for f in fields(self)}, "task": self.task.name}

    def rows(self, split: str, n: int | None = None) -> pd.DataFrame:
        """Rows of a split: the settings' own number by default, balanced over labels and fixed by the seed; None
        (for validation and test) means the whole split as it is."""
        n = {"train": self.n_train, "validation": self.n_validation, "test": self.n_test}[split] if n is None else n
        return self.task.split(split).reset_index(drop=True) if n is None else self.task.sample(split, n, seed=SEED)

    def learning_rates(self, kind: str) -> tuple:
        return {"lora": self.lora_learning_rates, "full": self.full_learning_rates}[kind]


@dataclass(frozen=True, eq=False)
class HeadToHead:
    """What a head-to-head measured (`head_to_head`, or the reference's, read back by `reference.head_to_head`)."""

    settings: Settings
    results: pd.DataFrame  # one row per approach, in the order of APPROACHES
    candidates: pd.DataFrame  # the prompt choice on validation: one row per candidate and draw
    search: pd.DataFrame  # the fine-tunes' recipe search on validation: one row per kind, learning rate and pass
    recipes: dict = field(default_factory=dict)  # the recipe each fine-tune kind chose (not shipped in results/)
    losses: dict = field(default_factory=dict)  # per fine-tune and seed (not shipped in results/)

    @property
    def n(self) -> int:
        """The test examples behind every accuracy."""
        return len(self.results["scores"].iloc[0])


# The course's sizes per task: (quick mode, full mode); None: the whole split. Full mode is the reference's: sized so
# that every experiment of benchmarks/reference.py fits hours, not days, on 2 CPU cores (tickets answer in JSON, four
# times as long as a label, so they get fewer rows).
SIZES = {
    "reviews": dict(
        n_test=(6, None),
        n_validation=(4, None),
        n_train=(8, 128),
        batch_size=(4, 8),
        k=(2, 8),
        max_passes=(1, 3),
        n_consistency=(4, 40),
    ),
    "synthetic_reviews": dict(
        n_test=(5, None),
        n_validation=(4, 100),
        n_train=(8, 64),
        batch_size=(4, 8),
        k=(2, 8),
        max_passes=(1, 2),
        n_consistency=(4, 40),
    ),
    "movie_reviews": dict(
        n_test=(6, None),
        n_validation=(4, None),
        n_train=(8, 128),
        batch_size=(4, 8),
        k=(2, 8),
        max_passes=(1, 3),
        n_consistency=(4, 40),
    ),
    "tickets": dict(
        n_test=(2, 102),
        n_validation=(2, 48),
        n_train=(6, 48),
        batch_size=(3, 8),
        k=(2, 2),
        max_passes=(1, 2),
        n_consistency=(2, 16),
    ),
}
# Quick mode (CI, a first look) keeps the protocol's shape at its smallest: two learning rates, two seeds, two draws.
QUICK_PROTOCOL = dict(
    seeds=(0, 1),
    draws=(0, 1),
    n_wordings=2,
    sampling_seeds=(0, 1),
    lora_learning_rates=LEARNING_RATES["lora"][1:],
    full_learning_rates=LEARNING_RATES["full"][1:],
)


def default_settings(task: str | Task, quick: bool | None = None) -> Settings:
    """The course's sizes for a task: tiny in quick mode (CI), sized for a laptop CPU in full mode.

    `quick` defaults to COURSE_QUICK. On a GPU, ask for larger sizes with
    `dataclasses.replace(settings, n_train=...)`; `helpers.experiments.reference.settings` gives the reference run's.
    """
    task = get_task(task)  # where a task's name enters
    name = task.name
    if name not in SIZES:
        raise CourseError(
            f"The course's sizes are for its tasks ({', '.join(SIZES)}); measure task {name!r} with "
            "helpers.experiments.decide (notebook 08), which sizes itself to your file."
        )
    pick = (lambda q, f: quick_or_full(q, f)) if quick is None else (lambda q, f: q if quick else f)
    sizes = {key: pick(*values) for key, values in SIZES[name].items()}
    return Settings(task, **sizes, **pick(QUICK_PROTOCOL, {}))


# --- One run of one approach, and the runs of an approach combined ----------------------------------------


def measure_run(
    model, tokenizer, pattern, test: pd.DataFrame, settings: Settings, consistent: bool, progress: bool = False
) -> dict:
    """Accuracy and costs of one (model, prompt pattern) on the test rows; with `consistent`, also its consistency
    over wordings of the instruction and sampling seeds on the first `settings.n_consistency` rows."""
    task = settings.task
    summary, details = evaluate(model, tokenizer, pattern, test, task, batch_size=EVAL_BATCH, progress=progress)
    row = summary.iloc[0].drop(["pattern", "method", "task"]).to_dict()
    row.update(
        scores=[float(s) for s in details["score"]], predictions=[prediction_key(p) for p in details["prediction"]]
    )
    if consistent:
        subset = test if settings.n_consistency is None else test.head(settings.n_consistency)
        by_wording, summaries = across_paraphrases(
            model,
            tokenizer,
            pattern,
            subset,
            task,
            wordings=task.paraphrases[: settings.n_wordings],
            batch_size=EVAL_BATCH,
            progress=progress,
        )
        by_seed, _ = across_seeds(
            model,
            tokenizer,
            pattern,
            subset,
            task,
            seeds=settings.sampling_seeds,
            batch_size=EVAL_BATCH,
            progress=progress,
        )
        row.update(
            paraphrase_agreement=consistency(by_wording)["agreement"],
            seed_agreement=consistency(by_seed)["agreement"],
            consistency_examples=len(subset),
            accuracy_worst_wording=summaries["accuracy"].min(),
            accuracy_best_wording=summaries["accuracy"].max(),
            agreement_scores=[float(value) for value in agreement(by_wording)],
        )
    return row


def combined(approach: str, runs: list[dict], **extra) -> dict:
    """One results row from an approach's runs: numbers averaged over the runs, the first run's consistency and
    predictions, every run's scores (`run_scores`), the mean per example (`scores`), the interval and the spread."""
    run_scores = [run["scores"] for run in runs]
    accuracy, low, high = run_interval(run_scores)
    per_run = [float(np.mean(scores)) for scores in run_scores]
    numbers = {
        key: float(np.mean([run[key] for run in runs]))
        for key, value in runs[0].items()
        if isinstance(value, (int, float, np.number)) and not isinstance(value, bool) and all(key in r for r in runs)
    }
    first = {key: value for key, value in runs[0].items() if key not in numbers}
    family = next(name for name, members in FAMILIES.items() if approach in members)
    return {
        **first,
        **numbers,
        "approach": approach,
        "family": family,
        "runs": len(runs),
        "accuracy": accuracy,
        "accuracy_low": low,
        "accuracy_high": high,
        "accuracy_min": min(per_run),
        "accuracy_max": max(per_run),
        "run_scores": run_scores,
        "scores": list(np.mean(run_scores, axis=0)),
        **extra,
    }


# --- The prompt side: patterns chosen on validation ---------------------------------------------------------


def prompt_patterns(settings: Settings, pool: pd.DataFrame | None = None) -> dict:
    """The prompt candidates of a head-to-head: name -> list of patterns (several draws of a fixed few-shot prompt)."""
    task = settings.task
    pool = settings.rows("train") if pool is None else pool
    written = catalog(task)
    patterns = {name: [written[name]] for name in WRITTEN_CANDIDATES if name in written}
    k = min(settings.k, len(pool))
    patterns["few_shot_balanced"] = [make_few_shot(pool, k, task, "balanced", seed=draw) for draw in settings.draws]
    patterns["few_shot_similar"] = [make_few_shot(pool, k, task, "similar")]
    return patterns


def choose_prompt(settings: Settings, progress: bool = True) -> tuple[str, pd.DataFrame]:
    """Every prompt candidate (and label scoring, and TF-IDF) on the validation rows: (the best pattern's name,
    one row per candidate and draw). The best pattern has the highest mean accuracy over its draws."""

    def compute(folder):
        task = settings.task
        model, tokenizer = load_model(settings.model_id)
        validation, pool = settings.rows("validation"), settings.rows("train")
        candidates = {
            (name, draw): pattern
            for name, patterns in prompt_patterns(settings, pool).items()
            for draw, pattern in enumerate(patterns)
        }
        runs = evaluate_patterns(
            model,
            tokenizer,
            {f"{name} {draw}": p for (name, draw), p in candidates.items()},
            validation,
            task,
            batch_size=EVAL_BATCH,
            progress=progress,
        )
        rows = [
            summary.assign(pattern=name, draw=draw, approach="best prompt")
            for (name, draw), (summary, _) in zip(candidates, runs.values())
        ]
        if task.labels:
            summary, _ = evaluate(
                model, tokenizer, lambda text: zero_shot(text, task), validation, task, "score", batch_size=EVAL_BATCH
            )
            rows.append(summary.assign(pattern="zero_shot", draw=0, approach="label scoring"))
            summary, _ = evaluate_predictor(
                lambda texts: tfidf_predictions(pool["text"], pool[task.label_column], texts),
                validation,
                task,
                "TF-IDF",
            )
            rows.append(summary.assign(pattern="", draw=0, approach="TF-IDF"))
        table = pd.concat(rows, ignore_index=True)
        prompts = table[table["approach"] == "best prompt"]
        means = prompts.groupby("pattern", sort=False).agg(
            accuracy=("accuracy", "mean"), prompt_tokens=("prompt_tokens", "mean")
        )
        best = means.sort_values(["accuracy", "prompt_tokens"], ascending=[False, True], kind="stable").index[0]
        return best, table

    return cached("prompt-choice", settings.key(), compute)


def prompt_side(settings: Settings, progress: bool = True) -> dict:
    """Zero-shot, the best prompt (each draw), label scoring and TF-IDF on the test rows (cached)."""

    def compute(folder):
        task = settings.task
        best, candidates = choose_prompt(settings, progress)
        validation = {
            approach: _validation_of(candidates, approach, pattern)
            for approach, pattern in [
                ("zero-shot", "zero_shot"),
                ("best prompt", best),
                ("label scoring", "zero_shot"),
                ("TF-IDF", ""),
            ]
        }
        pool, test = settings.rows("train"), settings.rows("test")
        model, tokenizer = load_model(settings.model_id)
        untrained = {
            "training_seconds": 0.0,
            "training_flops": 0.0,
            "trainable_parameters": 0,
            "parameters": count_parameters(model),
        }
        zero = [
            {
                **measure_run(
                    model,
                    tokenizer,
                    lambda text: zero_shot(text, task),
                    test,
                    settings,
                    consistent=True,
                    progress=progress,
                )
            }
        ]
        shots = {"few_shot_balanced": settings.k, "few_shot_similar": settings.n_train}.get(
            best, 0
        )  # labelled rows used
        best_runs = [
            measure_run(model, tokenizer, pattern, test, settings, consistent=draw == 0, progress=progress)
            for draw, pattern in enumerate(prompt_patterns(settings, pool)[best])
        ]
        rows = [
            combined(
                "zero-shot",
                zero,
                prompt="zero_shot",
                labelled_examples=0,
                validation_accuracy=validation["zero-shot"],
                **untrained,
            ),
            combined(
                "best prompt",
                best_runs,
                prompt=best,
                labelled_examples=shots,
                validation_accuracy=validation["best prompt"],
                **untrained,
            ),
        ]
        if task.labels:
            summary, details = evaluate(
                model, tokenizer, lambda text: zero_shot(text, task), test, task, "score", batch_size=EVAL_BATCH
            )
            scored = {
                **summary.iloc[0].drop(["pattern", "method", "task"]).to_dict(),
                "scores": [float(s) for s in details["score"]],
                "predictions": list(details["prediction"]),
            }
            rows.append(
                combined(
                    "label scoring",
                    [scored],
                    prompt="zero_shot",
                    labelled_examples=0,
                    validation_accuracy=validation["label scoring"],
                    **untrained,
                )
            )
            summary, details = evaluate_predictor(
                lambda texts: tfidf_predictions(pool["text"], pool[task.label_column], texts), test, task, "TF-IDF"
            )
            classical = {
                **summary.iloc[0].drop(["pattern", "method", "task"]).to_dict(),
                "prompt_tokens": 0.0,
                "scores": [float(s) for s in details["score"]],
                "predictions": list(details["prediction"]),
            }
            rows.append(
                combined(
                    "TF-IDF",
                    [classical],
                    prompt="",
                    labelled_examples=len(pool),
                    validation_accuracy=validation["TF-IDF"],
                    training_seconds=0.0,
                    training_flops=0.0,
                    trainable_parameters=0,
                    parameters=0,
                )
            )
        return {"rows": rows}

    def _validation_of(candidates: pd.DataFrame, approach: str, pattern: str) -> float:
        """An approach's validation accuracy in the prompt choice (the mean over draws); zero-shot is a candidate."""
        approach = "best prompt" if approach == "zero-shot" else approach
        rows = candidates[(candidates["approach"] == approach) & (candidates["pattern"] == pattern)]
        return float(rows["accuracy"].mean())

    return cached("head-to-head-prompts", settings.key(), compute)


# --- The fine-tuning side: recipes chosen on validation, several seeds -------------------------------------


def fine_tuned_side(settings: Settings, kind: str, progress: bool = True) -> dict:
    """One kind of fine-tune ("lora" or "full", cached): its recipe chosen on validation (seed 0), then every seed
    trained and measured. LoRA also gives the hybrid (each seed asked with the best prompt) and keeps each seed's
    adapter in its cache folder. Each learning rate's run and each seed's measurement is cached on its own, so a
    step that takes longer than a sitting resumes where it stopped."""
    key = settings.key()

    def compute(folder):
        task = settings.task
        best, _ = choose_prompt(settings, progress)
        pool, validation, test = settings.rows("train"), settings.rows("validation"), settings.rows("test")
        best_patterns = prompt_patterns(settings, pool)[best]
        plain = lambda text: zero_shot(text, task)  # noqa: E731  the canonical instruction, as in training
        free_memory()  # one model at a time
        recipe, search, chosen_model, tokenizer, chosen_info = choose_recipe(
            task,
            pool,
            validation,
            kind,
            folder,
            learning_rates=unclaimed_first(
                "recipe-run", {**key, "kind": kind}, "learning_rate", settings.learning_rates(kind)
            ),
            max_passes=settings.max_passes,
            batch_size=settings.batch_size,
            lora_rank=settings.lora_rank,
            model_id=settings.model_id,
            progress=progress,
            keep=run_keeper("recipe-run", {**key, "kind": kind}),
        )
        selection = {
            "selection_runs": len(settings.learning_rates(kind)),
            "selection_seconds": float(search.groupby("learning_rate")["training_seconds"].max().sum()),
            "selection_validation_answers": len(validation) * len(search),
        }

        def measure_seed(out, seed):
            """The seed's fine-tune (seed 0: the search's winning checkpoint) on validation and test."""
            nonlocal chosen_model
            if seed == settings.seeds[0]:
                model, info, chosen_model = chosen_model, chosen_info, None
            else:
                free_memory()
                model, _, info = train_recipe(task, pool, recipe, seed, settings.model_id, progress)
            summary, _ = evaluate(model, tokenizer, plain, validation, task, batch_size=EVAL_BATCH, progress=progress)
            details = {name: info[name] for name in TRAINING_DETAILS}
            first = seed == settings.seeds[0]
            record = {
                "run": {
                    **details,
                    "validation_accuracy": float(summary.loc[0, "accuracy"]),
                    **measure_run(model, tokenizer, plain, test, settings, consistent=first, progress=progress),
                },
                "losses": info["losses"],
            }
            if kind == "lora":
                record["hybrid"] = {
                    **details,
                    **measure_run(
                        model, tokenizer, best_patterns[0], test, settings, consistent=first, progress=progress
                    ),
                }
                if first:  # (the first seed only: long prompts on every validation row are slow)
                    summary, _ = evaluate(
                        model, tokenizer, best_patterns[0], validation, task, batch_size=EVAL_BATCH, progress=progress
                    )
                    record["hybrid_validation"] = float(summary.loc[0, "accuracy"])
                model.save_pretrained(out / "adapter")
            return record

        records = {  # each seed's measurement is an entry of its own (a second process may measure some of them)
            seed: cached(
                "seed-run", {**key, "kind": kind, "seed": seed}, lambda out, seed=seed: measure_seed(out, seed)
            )
            for seed in unclaimed_first("seed-run", {**key, "kind": kind}, "seed", settings.seeds)
        }
        runs, hybrid, losses, hybrid_validation = [], [], {}, None
        for seed in settings.seeds:
            seed_key, record = {**key, "kind": kind, "seed": seed}, records[seed]
            runs.append(record["run"])
            losses[seed] = record["losses"]
            if kind == "lora":
                hybrid.append(record["hybrid"])
                hybrid_validation = record.get("hybrid_validation", hybrid_validation)  # (the first seed's)
                shutil.copytree(entry("seed-run", seed_key) / "adapter", folder / f"adapter-seed{seed}")
        chosen_model = None
        chosen = {"learning_rate": recipe.learning_rate, "passes": recipe.passes, **selection}
        rows = [combined(NAMES[kind], runs, prompt="zero_shot", **chosen)]
        if kind == "lora":
            rows.append(combined("hybrid", hybrid, prompt=best, validation_accuracy=hybrid_validation, **chosen))
        return {"rows": rows, "search": search, "recipe": asdict(recipe), "losses": losses}

    return cached(f"head-to-head-{kind}", key, compute, shared=True)  # (a second process shares its runs)


def results_of(settings: Settings, kinds=KINDS, progress: bool = True) -> pd.DataFrame:
    """The results rows of the prompt side and of the fine-tune kinds asked for (each side cached on its own), one
    per approach, in the order of APPROACHES: what builds on the LoRA fine-tune (the learning curve, versatility,
    the hybrid path) needs no full fine-tune, so it can be measured beside it."""
    return _results([prompt_side(settings, progress), *(fine_tuned_side(settings, kind, progress) for kind in kinds)])


def _results(steps: list[dict]) -> pd.DataFrame:
    """The rows of measured sides as one table, one row per approach, in the order of APPROACHES."""
    rows = [row for step in steps for row in step["rows"]]
    order = [approach for approach in APPROACHES if approach in {row["approach"] for row in rows}]
    return pd.DataFrame(rows).set_index("approach").loc[order]


def head_to_head(settings: Settings, progress: bool = True) -> HeadToHead:
    """Measure every approach on the same test examples (cached step by step, as the fields of a `HeadToHead`; see the
    module docstring). The LoRA adapters are kept with their measurements (`load_lora`)."""

    def compute(folder):
        _, candidates = choose_prompt(settings, progress)
        prompted = prompt_side(settings, progress)  # (the prompt side first, as `results_of` measures it)
        steps = [fine_tuned_side(settings, kind, progress) for kind in KINDS]
        return {
            "results": _results([prompted, *steps]),
            "candidates": candidates,
            "search": pd.concat([step["search"] for step in steps], ignore_index=True),
            "recipes": {kind: step["recipe"] for kind, step in zip(KINDS, steps)},
            "losses": {
                NAMES[kind]: {str(seed): losses for seed, losses in step["losses"].items()}
                for kind, step in zip(KINDS, steps)
            },
        }

    return HeadToHead(settings, **cached("head-to-head", settings.key(), compute))


def load_lora(settings: Settings, seed: int | None = None):
    """A LoRA fine-tuned model of `head_to_head(settings)` (its first seed by default), from the cache (trained first
    if missing)."""
    fine_tuned_side(settings, "lora")
    model, tokenizer = load_model(settings.model_id)
    seed = settings.seeds[0] if seed is None else seed
    return load_adapter(model, entry("head-to-head-lora", settings.key()) / f"adapter-seed{seed}"), tokenizer


# --- Reading the results --------------------------------------------------------------------------------------


def best_of(results: pd.DataFrame, family: str) -> str:
    """The approach of a family with the highest validation accuracy (the test split never chooses)."""
    members = results[results["family"] == family]
    if members.empty:
        raise CourseError(f"No approach of the {family} family was measured.")
    return members["validation_accuracy"].fillna(-1).idxmax()


def family_verdicts(results: pd.DataFrame) -> list[tuple[str, str, object]]:
    """The comparisons a conclusion rests on, in order: the best prompting approach against the best fine-tuning
    approach (each chosen on validation), then LoRA against the full fine-tune, then the best fine-tune against the
    classical yardstick (where measured), then the hybrid against the best fine-tune if the hybrid did better on
    validation (its first seed against the fine-tune's mean over seeds).
    Each: (approach A, approach B, `statistics.MethodComparison`)."""
    prompting, tuned = best_of(results, "prompting"), best_of(results, "fine-tuning")
    pairs = [(tuned, prompting), ("LoRA fine-tune", "full fine-tune")]
    if "TF-IDF" in results.index:
        pairs.append((tuned, "TF-IDF"))
    if (
        "hybrid" in results.index
        and results.loc["hybrid", "validation_accuracy"] > results.loc[tuned, "validation_accuracy"]
    ):
        pairs.append(("hybrid", tuned))
    return [(a, b, compare_methods(results.loc[a, "run_scores"], results.loc[b, "run_scores"])) for a, b in pairs]


def with_dollars(results: pd.DataFrame, price_per_hour: float) -> pd.DataFrame:
    """The results with dollar columns at an assumed price per machine hour (seconds as measured here)."""
    results = results.copy()
    results["training_dollars"] = [dollars(s, price_per_hour) for s in results["training_seconds"]]
    results["dollars_per_1000_requests"] = [cost_per_1000_requests(s, price_per_hour) for s in results["latency_s"]]
    return results
