"""House style: Halcyon Home's rules for replies to customers, and a checker that scores a reply against them.

    checks = check_reply(reply_text, facts)    # {rule: True/False} for the rules below (form, then content)
    style_score(reply_text, facts)             # the share of rules met, 0 to 1
    style_experiment(default_style_settings()) # notebook 07: a style guide in the prompt vs a LoRA fine-tune

`facts` is what the reply must get right about its ticket: the customer's first name (or None),
the product's canonical name, the order id (or None) and the issue type; each row of
data/replies/*.jsonl carries them. The rules are deliberately mechanical, so a machine can check
them on every reply; the data card (data/replies/README.md) shows replies that meet them all.
"""

import functools
import hashlib
import re
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from ..core.config import QUICK, SEED
from ..core.errors import CourseError
from ..finetuning.training import add_lora, load_adapter, sft_examples
from ..finetuning.training import train as train_model
from ..llm.generation import generate_batch
from ..llm.memory import free_memory
from ..llm.models import default_model_id, load_model
from ..prompting.data import PRODUCTS, REPLY_FACTS, balanced_sample, data_files, load_replies
from ..prompting.evaluation import EVAL_BATCH
from .cache import cached

SIGN_OFF = "Warm wishes,\nThe Halcyon Home team"
BANNED_PHRASES = ("unfortunately", "inconvenience", "dear ", "asap", "as soon as possible")
LENGTH = (30, 90)  # words between the greeting and the sign-off
_NEXT_STEP = re.compile(r"\bwithin (\d+) (hours|working days)\b")

HOUSE_STYLE = f"""\
Halcyon Home house style for replies to customers:
1. Greeting: the first line is "Hi <first name>," with the name the customer signed with, or "Hi there," if they gave none.
2. Product: call the product by its full name (for example "Orbit Hub X2"), never a nickname.
3. Order: quote the order number as HH- and five digits (for example "HH-48213"); if the customer gave none, ask for it ("order number").
4. Next step: promise one concrete next step with a time frame, "within 24 hours", "within 48 hours" or "within <N> working days".
5. Tone: calm and warm; no exclamation marks; never "unfortunately", "inconvenience", "Dear" or "as soon as possible".
6. Length: between {LENGTH[0]} and {LENGTH[1]} words between the greeting and the sign-off.
7. Sign-off: end with exactly two lines: "Warm wishes," then "The Halcyon Home team".
8. Facts: name only the customer's product and order number; never another product, never an order number they did not give.
9. Promises: state no policy or offer of your own (refusing refunds, warranty terms, discounts, compensation)."""

FORM_RULES = ("greeting", "product", "order", "next_step", "tone", "length", "sign_off")
CONTENT_RULES = ("true_facts", "no_invented_policy")  # what a reply says, not how: a fluent reply that invents fails
RULES = FORM_RULES + CONTENT_RULES
# Statements the company never makes: a reply that makes them invents a policy (refusals, terms, offers).
INVENTED_POLICY = re.compile(
    r"\bno refunds?\b|\bnon-?refundable\b|\bnot (be )?(eligible|covered|refundable)\b|\bwarrant(y|ies)\b|\bpolicy\b|"
    r"\b(can't|cannot|can not|won't|will not|don't|do not) (refund|replace|repair|offer|give|provide|accept|help)\b|"
    r"\bfree of charge\b|\bfree (replacement|repair|upgrade)\b|\bcompensat|\bvoucher|\bdiscount",
    re.IGNORECASE,
)
_ORDER_ID = re.compile(r"\bHH-?\s?\d{5}\b", re.IGNORECASE)


def check_reply(reply: str, facts: dict) -> dict:
    """Which of the house-style rules a reply meets: {rule: bool}, in the order of RULES (the form rules, then the
    content rules: only the ticket's own facts, and no invented policy)."""
    if not isinstance(reply, str):
        raise CourseError(f"A reply is a text (got {type(reply).__name__}).")
    missing = [key for key in REPLY_FACTS if key not in facts]
    if missing:
        raise CourseError(f"The facts of a reply need {', '.join(missing)} (see data/replies/README.md).")
    text = reply.strip().replace("\r\n", "\n")
    lines = text.split("\n")
    greeting = f"Hi {facts['name']}," if facts["name"] else "Hi there,"
    body = text[len(lines[0]) :]
    if body.rstrip().endswith(SIGN_OFF):
        body = body.rstrip()[: -len(SIGN_OFF)]
    lowered = text.lower()
    if facts["order_id"]:
        order = facts["order_id"] in text
    else:
        order = "order number" in lowered and re.search(r"HH-\d{5}", text) is None
    return {
        "greeting": lines[0].strip() == greeting,
        "product": facts["product"] in text,
        "order": order,
        "next_step": _NEXT_STEP.search(text) is not None,
        "tone": "!" not in text and not any(phrase in lowered for phrase in BANNED_PHRASES),
        "length": LENGTH[0] <= len(body.split()) <= LENGTH[1],
        "sign_off": text.endswith(SIGN_OFF),
        "true_facts": (
            not any(product in text for product in PRODUCTS if product != facts["product"])
            and all(
                re.sub(r"[\s-]", "", found).upper() == re.sub(r"-", "", facts["order_id"] or "")
                for found in _ORDER_ID.findall(text)
            )
        ),
        "no_invented_policy": INVENTED_POLICY.search(text) is None,
    }


def style_score(reply: str, facts: dict) -> float:
    """The share of the house-style rules a reply meets (1.0: all of them)."""
    checks = check_reply(reply, facts)
    return sum(checks.values()) / len(checks)


# --- Asking for a reply -------------------------------------------------------------------------------


def reply_request(text: str) -> list[dict]:
    """The plain request: what the base model gets with no style guide, and what the fine-tune learns from."""
    if not isinstance(text, str) or not text.strip():
        raise CourseError("A customer message is needed: a non-empty text.")
    return [{"role": "user", "content": f"Write Halcyon Home's reply to this customer message.\n\nMessage: {text}"}]


def styled_request(text: str, examples: pd.DataFrame | None = None) -> list[dict]:
    """The prompt engineer's request: the house style as a system prompt, then solved examples as earlier turns."""
    messages = [{"role": "system", "content": HOUSE_STYLE}]
    for _, example in (examples if examples is not None else pd.DataFrame()).iterrows():
        messages += [reply_request(example["text"])[0], {"role": "assistant", "content": example["reply"]}]
    return messages + reply_request(text)


def measure_style(
    model, tokenizer, request, replies: pd.DataFrame, *, name: str, max_new_tokens: int = 128, progress: bool = False
) -> tuple[dict, pd.DataFrame]:
    """Greedy replies to every ticket of `replies`, checked against the house style: (summary, one row per reply).

    summary: approach, n, style_score (mean share of rules met), all_rules (share of replies meeting all
    all of them), one pass rate per rule, latency_s, prompt_tokens, output_tokens, and `scores` per reply.
    """
    answers = generate_batch(
        model,
        tokenizer,
        [request(text) for text in replies["text"]],
        max_new_tokens=max_new_tokens,
        batch_size=EVAL_BATCH,
        progress=progress,
    )
    rows = []
    for answer, facts in zip(answers, replies["facts"]):
        checks = check_reply(answer.text, facts)
        rows.append(
            {
                "reply": answer.text,
                "score": sum(checks.values()) / len(checks),
                **checks,
                "prompt_tokens": answer.prompt_tokens,
                "output_tokens": answer.output_tokens,
                "seconds": answer.seconds,
            }
        )
    details = pd.DataFrame(rows)
    summary = {
        "approach": name,
        "n": len(details),
        "style_score": details["score"].mean(),
        "all_rules": details[list(RULES)].all(axis=1).mean(),
        **details[list(RULES)].mean().to_dict(),
        "latency_s": details["seconds"].mean(),
        "prompt_tokens": details["prompt_tokens"].mean(),
        "output_tokens": details["output_tokens"].mean(),
        "scores": details["score"].tolist(),
    }
    return summary, details


# --- The experiment: a style guide in the prompt, or the style learnt from examples -------------------


@dataclass(frozen=True)
class StyleSettings:
    """Sizes of the style experiment (quick mode shrinks them, like the other experiments)."""

    model_id: str
    n_train: int  # replies the LoRA fine-tune learns from
    n_validation: int  # tickets the number of examples in the prompt is chosen on
    n_test: int  # tickets every approach is measured on
    shots: tuple = (1, 3)  # candidate numbers of solved examples in the prompt
    steps: int = 64
    batch_size: int = 8
    learning_rates: tuple = (3e-4, 1e-3, 3e-3)  # the fine-tune's candidates, chosen on validation as `shots` are
    lora_rank: int = 8
    max_new_tokens: int = 128
    seeds: tuple = (0, 1, 2)  # training seeds of the fine-tune (adapter start and data order)


def default_style_settings(quick: bool | None = None) -> StyleSettings:
    sizes = (
        dict(n_train=24, n_validation=6, n_test=8, steps=6, batch_size=4, seeds=(0,), learning_rates=(1e-3, 3e-3))
        if (QUICK if quick is None else quick)
        else dict(n_train=160, n_validation=24, n_test=60, steps=20)
    )
    return StyleSettings(model_id=default_model_id(), **sizes)


def with_examples_name(k: int) -> str:
    return f"style guide + {k} example{'s' if k != 1 else ''}"


def sample_replies(split: str, n: int) -> pd.DataFrame:
    """`n` tickets of a split with their replies, balanced over issue types (fixed seed)."""
    return balanced_sample(load_replies(split), n, label_column="issue_type", seed=SEED)


def style_experiment(settings: StyleSettings, progress: bool = True) -> dict:
    """Measure the base model with the plain request, with the style guide, and with the guide and examples
    (the number chosen on validation), then a LoRA fine-tune on `n_train` replies asked with the plain request
    (its learning rate chosen on the same validation tickets, then trained from every seed).

    Returns {"results": DataFrame (one row per approach, with `scores` per test reply), "replies":
    {approach: the replies written}, "choice": the validation table of the prompts, "search": the validation table
    of the fine-tune's learning rates, "losses": the fine-tune's losses}. Cached.
    """
    data = hashlib.sha256(b"".join(path.read_bytes() for path in data_files(("replies",)))).hexdigest()
    key = {**asdict(settings), "data": data}  # the replies are not in the cache's own data fingerprint

    def compute(folder):
        train, validation = (
            sample_replies("train", settings.n_train),
            sample_replies("validation", settings.n_validation),
        )
        test = sample_replies("test", settings.n_test)
        base, tokenizer = load_model(settings.model_id)
        measure = functools.partial(measure_style, max_new_tokens=settings.max_new_tokens, progress=progress)
        with_examples = {k: functools.partial(styled_request, examples=train.head(k)) for k in settings.shots}
        choice = pd.DataFrame(
            [
                {**measure(base, tokenizer, request, validation, name=with_examples_name(k))[0], "examples": k}
                for k, request in with_examples.items()
            ]
        ).drop(columns="scores")
        best_k = int(choice.sort_values(["style_score", "examples"], ascending=[False, True]).iloc[0]["examples"])
        rows, replies = [], {}
        for name, request, labelled in [
            ("plain request", reply_request, 0),
            ("style guide", styled_request, 0),
            (with_examples_name(best_k), with_examples[best_k], best_k),
        ]:
            summary, details = measure(base, tokenizer, request, test, name=name)
            rows.append(
                {
                    **summary,
                    "labelled_examples": labelled,
                    "training_seconds": 0.0,
                    "runs": 1,
                    "run_scores": [summary["scores"]],
                }
            )
            replies[name] = details["reply"].tolist()
        base = None

        def fine_tuned(seed: int, learning_rate: float):
            free_memory()
            model, tokenizer = load_model(settings.model_id)
            model = add_lora(model, rank=settings.lora_rank, seed=seed)
            examples = sft_examples(tokenizer, [reply_request(text) for text in train["text"]], train["reply"])
            run = train_model(
                model,
                tokenizer,
                examples,
                steps=settings.steps,
                batch_size=settings.batch_size,
                learning_rate=learning_rate,
                seed=seed,
                progress=progress,
                checkpointing=model.device.type == "cpu",
            )
            if run.interrupted:
                raise CourseError(
                    f"The fine-tune was stopped after {len(run.losses)} of {settings.steps} steps; nothing "
                    "was cached. Run the cell again to measure it."
                )
            return run, tokenizer

        # The same care as the prompts: the learning rate is chosen on the validation tickets (the first seed), and
        # the best run is kept on disk, not in memory, while the next one trains.
        search, chosen, first = [], folder / "chosen-adapter", None
        for learning_rate in settings.learning_rates:
            run, tokenizer = fine_tuned(settings.seeds[0], learning_rate)
            summary, _ = measure(run.model, tokenizer, reply_request, validation, name=f"LoRA, {learning_rate:g}")
            if first is None or summary["style_score"] > max(row["style_score"] for row in search):
                run.model.save_pretrained(chosen)
                first = replace(run, model=None)
            search.append({"learning_rate": learning_rate, "style_score": summary["style_score"]})
            run = None
        search = pd.DataFrame(search)
        learning_rate = float(search.loc[search["style_score"].idxmax(), "learning_rate"])  # (the first of a tie)
        runs, losses = [], {}
        for seed in settings.seeds:  # the chosen recipe from every training seed: the row is their mean
            if seed == settings.seeds[0]:  # the search's own run, read back from disk
                free_memory()
                model, tokenizer = load_model(settings.model_id)
                run = replace(first, model=load_adapter(model, chosen))
            else:
                run, tokenizer = fine_tuned(seed, learning_rate)
            summary, details = measure(run.model, tokenizer, reply_request, test, name="LoRA fine-tune")
            runs.append({**summary, "training_seconds": run.seconds_per_step * len(run.losses)})
            replies.setdefault("LoRA fine-tune", details["reply"].tolist())  # the first seed's replies
            losses[str(seed)] = run.losses
            model = run = None
        numbers = pd.DataFrame(runs).select_dtypes("number").mean().to_dict()
        rows.append(
            {
                **runs[0],
                **numbers,
                "learning_rate": learning_rate,
                "labelled_examples": settings.n_train,
                "runs": len(runs),
                "run_scores": [run["scores"] for run in runs],
                "scores": list(np.mean([r["scores"] for r in runs], axis=0)),
            }
        )
        return {
            "results": pd.DataFrame(rows),
            "replies": replies,
            "choice": choice,
            "search": search,
            "losses": losses,
            "tickets": test["text"].tolist(),
        }

    result = cached("house-style", key, compute)
    result["results"] = result["results"].set_index("approach")
    return result
