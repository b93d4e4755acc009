"""House style (notebook 07): a style guide in the prompt, or the style learnt from examples by a fine-tune.

    run = style_experiment(default_settings())   # a HouseStyle: run.results, run.replies, run.choice, run.search, ...

The replies are one more Task (`helpers.prompting.tasks.REPLIES`: a ticket in, a reply out, scored by the share of
house-style rules it meets, `helpers.prompting.house_style`), so they go through the machinery of every other task:
`evaluate_patterns` answers and scores the prompts, `tuning.choose_recipe` chooses the fine-tune's learning rate and
passes on the validation tickets (as the prompt side chooses its number of examples there), and `tuning.train_recipe`
trains the chosen recipe from the other seeds. The prompt side (`style_prompts`), the fine-tune side
(`style_fine_tune`), each learning rate's run and each seed's measurement are cached on their own, so a run stopped
half-way resumes where it stopped, and a second process can measure the fine-tune side beside the first.
"""

import functools
import hashlib
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from ..core.config import QUICK, SEED
from ..finetuning.tuning import LEARNING_RATES, choose_recipe, train_recipe
from ..llm.memory import free_memory
from ..llm.models import default_model_id, load_model
from ..prompting.data import balanced_sample, data_files, load_replies
from ..prompting.evaluation import EVAL_BATCH, evaluate, evaluate_patterns
from ..prompting.house_style import RULES, check_reply
from ..prompting.prompts import few_shot, role, zero_shot
from ..prompting.tasks import REPLIES, Task
from .cache import cached, run_keeper, unclaimed_first


@dataclass(frozen=True)
class StyleSettings:
    """Sizes of the style experiment (quick mode shrinks them, like the other experiments)."""

    model_id: str
    n_train: int  # replies the LoRA fine-tune learns from (and the prompts' solved examples come from)
    n_validation: int  # tickets the number of examples in the prompt and the fine-tune's recipe are chosen on
    n_test: int  # tickets every approach is measured on
    shots: tuple = (1, 3)  # candidate numbers of solved examples in the prompt
    max_passes: int = 2  # the longest fine-tune tried, in passes over the training replies (validation picks)
    batch_size: int = 8
    learning_rates: tuple = LEARNING_RATES["lora"]  # the fine-tune's candidates, chosen on validation as `shots` are
    lora_rank: int = 8
    max_new_tokens: int = 128
    seeds: tuple = (0, 1, 2)  # training seeds of the fine-tune (adapter start and data order)


def default_settings(quick: bool | None = None) -> StyleSettings:
    """The house-style experiment's sizes: a taste in quick mode (COURSE_QUICK), the reference's in full mode (as
    `comparison.default_settings` and `decide.default_settings` size theirs)."""
    sizes = (
        dict(n_train=24, n_validation=6, n_test=8, max_passes=1, batch_size=4, seeds=(0,), learning_rates=(1e-3, 3e-3))
        if (QUICK if quick is None else quick)
        else dict(n_train=160, n_validation=24, n_test=60)
    )
    return StyleSettings(model_id=default_model_id(), **sizes)


def with_examples_name(k: int) -> str:
    return f"style guide + {k} example{'s' if k != 1 else ''}"


def sample_replies(split: str, n: int) -> pd.DataFrame:
    """`n` tickets of a split with their replies, balanced over issue types (fixed seed)."""
    return balanced_sample(load_replies(split), n, label_column="issue_type", seed=SEED)


# --- Asking for a reply -------------------------------------------------------------------------------


def reply_request(text: str, task: Task = REPLIES) -> list[dict]:
    """The plain request (the replies task's zero-shot prompt): what the base model gets with no style guide, and
    what the fine-tune learns from."""
    return zero_shot(text, task)


def styled_request(text: str, examples: pd.DataFrame | None = None, task: Task = REPLIES) -> list[dict]:
    """The prompt engineer's request: the house style as a system prompt, then solved examples as earlier turns."""
    if examples is None or examples.empty:
        return role(text, task)
    guide = role(text, task)[0]
    return [guide] + few_shot(text, examples, task)


def style_summary(name: str, details: pd.DataFrame, rows: pd.DataFrame) -> dict:
    """One approach's replies to `rows` (an `evaluate` details table) as a row: the mean style score, the share of
    replies that meet every rule, each rule's pass rate, the cost, and `scores` per reply."""
    checks = pd.DataFrame(
        [check_reply(answer, facts) for answer, facts in zip(details["answer"], rows["facts"])], columns=list(RULES)
    )
    return {
        "approach": name,
        "n": len(details),
        "style_score": details["score"].mean(),
        "all_rules": checks.all(axis=1).mean(),
        **checks.mean().to_dict(),
        "latency_s": details["seconds"].mean(),
        "prompt_tokens": details["prompt_tokens"].mean(),
        "output_tokens": details["output_tokens"].mean(),
        "scores": details["score"].tolist(),
    }


# --- The experiment -----------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HouseStyle:
    """What `style_experiment` measured (or the reference's, read back by `reference.house_style`)."""

    settings: StyleSettings
    results: pd.DataFrame  # one row per approach, with `scores` per test reply and `run_scores` per seed
    replies: dict  # approach -> the replies it wrote (a fine-tune: its first seed's)
    choice: pd.DataFrame  # the prompts' number of examples, chosen on validation
    search: pd.DataFrame  # the fine-tune's learning rates and passes on validation
    tickets: list  # the test tickets
    losses: dict = field(default_factory=dict)  # the fine-tune's losses per seed (not shipped in results/)

    @property
    def n(self) -> int:
        """The test tickets every approach replied to."""
        return len(self.tickets)


def _key(settings: StyleSettings) -> dict:
    """What the house-style entries are keyed on: the settings and the replies' data (not in the cache's own data
    fingerprint)."""
    data = hashlib.sha256(b"".join(path.read_bytes() for path in data_files(("replies",)))).hexdigest()
    return {**asdict(settings), "data": data}


def _splits(settings: StyleSettings) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The training, validation and test tickets (with their replies) of an experiment."""
    return tuple(
        sample_replies(split, n)
        for split, n in (("train", settings.n_train), ("validation", settings.n_validation), ("test", settings.n_test))
    )


def style_prompts(settings: StyleSettings, progress: bool = True) -> dict:
    """The prompt side (cached): the plain request, the style guide, and the guide with the number of examples
    chosen on the validation tickets, each on the test tickets. {"rows": one per prompt, "replies": prompt -> its
    replies, "choice": the validation table of the numbers of examples}."""
    task = replace(REPLIES, max_new_tokens=settings.max_new_tokens)

    def compute(folder):
        train, validation, test = _splits(settings)
        base, tokenizer = load_model(settings.model_id)
        ask = functools.partial(evaluate_patterns, base, tokenizer, task=task, batch_size=EVAL_BATCH, progress=progress)
        with_examples = {
            with_examples_name(k): functools.partial(styled_request, examples=train.head(k), task=task)
            for k in settings.shots
        }
        choice = pd.DataFrame(
            [
                {**style_summary(name, details, validation), "examples": k}
                for (name, (_, details)), k in zip(ask(with_examples, df=validation).items(), settings.shots)
            ]
        ).drop(columns="scores")
        best_k = int(choice.sort_values(["style_score", "examples"], ascending=[False, True]).iloc[0]["examples"])
        prompts = {
            "plain request": functools.partial(reply_request, task=task),
            "style guide": functools.partial(styled_request, task=task),
            with_examples_name(best_k): with_examples[with_examples_name(best_k)],
        }
        rows, replies = [], {}
        for (name, (_, details)), labelled in zip(ask(prompts, df=test).items(), (0, 0, best_k)):
            summary = style_summary(name, details, test)
            rows.append(
                {
                    **summary,
                    "labelled_examples": labelled,
                    "training_seconds": 0.0,
                    "runs": 1,
                    "run_scores": [summary["scores"]],
                }
            )
            replies[name] = details["answer"].tolist()
        return {"rows": rows, "replies": replies, "choice": choice}

    return cached("house-style-prompts", _key(settings), compute)


def style_fine_tune(settings: StyleSettings, progress: bool = True) -> dict:
    """The fine-tune side (cached, each learning rate's run and each seed's measurement on its own, so a second
    process can share the work): a LoRA fine-tune on `n_train` replies asked with the plain request, its learning
    rate and passes chosen on the validation tickets (the same care as the prompts' number of examples), then trained
    from every seed. {"row": the mean over seeds, "replies": the first seed's, "search", "losses" per seed}."""
    key, task = _key(settings), replace(REPLIES, max_new_tokens=settings.max_new_tokens)

    def compute(folder):
        train, validation, test = _splits(settings)
        recipe, search, chosen_model, tokenizer, chosen_info = choose_recipe(
            task,
            train,
            validation,
            "lora",
            folder,
            learning_rates=unclaimed_first("style-run", key, "learning_rate", settings.learning_rates),
            max_passes=settings.max_passes,
            batch_size=settings.batch_size,
            lora_rank=settings.lora_rank,
            model_id=settings.model_id,
            progress=progress,
            keep=run_keeper("style-run", key),
        )

        def measure_seed(out, seed):
            nonlocal chosen_model
            if seed == settings.seeds[0]:  # the search's winning checkpoint
                model, info, chosen_model = chosen_model, chosen_info, None
            else:
                free_memory()
                model, _, info = train_recipe(task, train, recipe, seed, settings.model_id, progress)
            plain = functools.partial(reply_request, task=task)
            summary, details = evaluate(model, tokenizer, plain, test, task, batch_size=EVAL_BATCH, progress=progress)
            return {
                "run": {**style_summary("LoRA fine-tune", details, test), "training_seconds": info["training_seconds"]},
                "replies": details["answer"].tolist(),
                "losses": info["losses"],
            }

        records = {  # the chosen recipe from every training seed, each an entry of its own: the row is their mean
            seed: cached("style-seed-run", {**key, "seed": seed}, lambda out, seed=seed: measure_seed(out, seed))
            for seed in unclaimed_first("style-seed-run", key, "seed", settings.seeds)
        }
        chosen_model = None
        runs = [records[seed]["run"] for seed in settings.seeds]
        row = {
            **runs[0],
            **pd.DataFrame(runs).select_dtypes("number").mean().to_dict(),
            "learning_rate": recipe.learning_rate,
            "passes": recipe.passes,
            "labelled_examples": settings.n_train,
            "runs": len(runs),
            "run_scores": [run["scores"] for run in runs],
            "scores": list(np.mean([run["scores"] for run in runs], axis=0)),
        }
        return {
            "row": row,
            "replies": records[settings.seeds[0]]["replies"],
            "search": search.rename(columns={"validation_accuracy": "style_score"}),
            "losses": {str(seed): records[seed]["losses"] for seed in settings.seeds},
        }

    return cached("house-style-lora", key, compute, shared=True)  # (a second process shares its runs)


def style_experiment(settings: StyleSettings, progress: bool = True) -> HouseStyle:
    """The base model with the plain request, with the style guide, and with the guide and examples (the number
    chosen on validation), against a LoRA fine-tune asked with the plain request (its recipe chosen on the same
    validation tickets): `style_prompts` and `style_fine_tune`, each cached."""

    def compute(folder):
        prompted = style_prompts(settings, progress)
        free_memory()  # one model at a time
        tuned = style_fine_tune(settings, progress)
        return {
            "results": pd.DataFrame([*prompted["rows"], tuned["row"]]),
            "replies": {**prompted["replies"], "LoRA fine-tune": tuned["replies"]},
            "choice": prompted["choice"],
            "search": tuned["search"],
            "losses": tuned["losses"],
            "tickets": _splits(settings)[2]["text"].tolist(),
        }

    result = cached("house-style", _key(settings), compute)
    return HouseStyle(settings, **{**result, "results": result["results"].set_index("approach")})
