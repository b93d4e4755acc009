"""The bad-input sweep: what a hostile but fair learner types, and what faults a laptop throws at the course.

Each case in BAD_INPUTS must raise one `CourseError` whose message matches (a useful message, never a
traceback); each case in RECOVERIES must heal by itself with nothing lost. Tiny models only: the whole
sweep runs in seconds.
"""

import json
import math
import shutil
import types

import pandas as pd
import pytest

import helpers.experiments.cache as cache
import helpers.llm.models as models
from helpers.core import costs, files, statistics
from helpers.core.config import DATA_DIR
from helpers.core.errors import CourseError
from helpers.experiments import advice, baselines, comparison, crossover, decide, reference, variations, versatility
from helpers.finetuning import finetune, training, tuning
from helpers.llm import generation, perplexity, pretraining, tinygpt, tokens
from helpers.prompting import consistency, evaluation, playground, prompts, tasks
from helpers.prompting.data import balanced_sample, load_probe, load_reviews, load_synthetic_reviews, load_tickets
from helpers.prompting.tasks import Task

REVIEWS_HEADER = "text,label\n"
GOOD_TICKET = {
    "text": "My kettle broke",
    "expected": {"product": "Ember T3 Thermostat", "issue_type": "defect", "urgency": "low", "order_id": None},
}


def headlines() -> Task:
    """A task from a file: the course's example of "your own task"."""
    return Task.from_file(DATA_DIR / "headlines" / "headlines.csv", text="headline", label="section")


@pytest.fixture(scope="module")
def ctx(tokenizer, tmp_path_factory):
    """What the cases use: a tiny model, the real tokenizer, a scratch folder, a few reviews."""
    model = models.tiny_random_model(tokenizer)
    return types.SimpleNamespace(
        model=model,
        tokenizer=tokenizer,
        tmp=tmp_path_factory.mktemp("bad"),
        reviews=balanced_sample(load_reviews("train"), 10).reset_index(drop=True),
    )


def data_folder(ctx, name: str, kind: str, content) -> str:
    """A data folder holding one file, `kind/<split file>`, with `content` (text or bytes)."""
    folder = ctx.tmp / name
    file = {
        "synthetic_reviews": "synthetic_reviews/train.csv",
        "tickets": "tickets/train.jsonl",
        "probe": "probe/probe.jsonl",
    }[kind]
    path = folder / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(folder)


def reviews_file(ctx, name, content):
    return load_synthetic_reviews("train", data_dir=data_folder(ctx, name, "synthetic_reviews", content))


def tickets_file(ctx, name, lines):
    text = lines if isinstance(lines, (str, bytes)) else "\n".join(json.dumps(line) for line in lines) + "\n"
    return load_tickets("train", data_dir=data_folder(ctx, name, "tickets", text))


def labelled_file(ctx, name, content):
    """A learner's own labelled CSV (text, label) holding `content` (text or bytes), read as a task."""
    path = ctx.tmp / f"{name}.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return Task.from_file(path, text="text", label="label")


def probe_file(ctx, name, lines):
    return load_probe(data_dir=data_folder(ctx, name, "probe", "\n".join(json.dumps(line) for line in lines) + "\n"))


def ticket(**changes):
    return {**GOOD_TICKET, "expected": {**GOOD_TICKET["expected"], **changes}}


def ask(ctx, prompts_, **options):
    return generation.generate_batch(
        ctx.model, ctx.tokenizer, prompts_, max_new_tokens=options.pop("max_new_tokens", 2), **options
    )


LONG_PROMPT = "word " * 2100  # more tokens than the model's 2,048-token context
FIGURES = dict(
    accuracy={"prompting": 0.3, "fine-tuning": 0.7, "hybrid": 0.7},
    latency_s={"prompting": 1, "fine-tuning": 0.5, "hybrid": 1},
    training_seconds=100.0,
    examples_needed=64,
    probe_drop=0.1,
    accuracy_verdict="fine-tuning better",
    test_examples=300,
)

BAD_INPUTS = [
    # --- generation: prompts, sampling settings, batches, context --------------------------------------
    ("generation", lambda c: generation.to_messages(None), "A prompt is a text or a list of chat messages"),
    ("generation", lambda c: generation.to_messages(""), "The prompt is empty"),
    ("generation", lambda c: generation.to_messages("   \n"), "The prompt is empty"),
    ("generation", lambda c: generation.to_messages([]), "no user message"),
    ("generation", lambda c: generation.to_messages([{"role": "user", "content": " "}]), "no user message"),
    ("generation", lambda c: generation.to_messages([{"role": "system", "content": "Be nice"}]), "no user message"),
    ("generation", lambda c: generation.to_messages(["hi"]), "list of chat messages"),
    ("generation", lambda c: generation.to_messages(42), "got int"),
    ("generation", lambda c: generation.to_messages("hi", system=3), "system prompt must be a text"),
    ("generation", lambda c: generation.to_messages([{"role": "user", "content": None}]), "has no text"),
    ("generation", lambda c: generation.to_messages([{"role": "user", "content": ["hi"]}]), "got list"),
    ("generation", lambda c: generation.to_messages("half an emoji \udc80"), "not text .*remove it"),
    ("generation", lambda c: generation.to_messages("hi", system="\ud83d"), "A system message holds a character"),
    ("generation", lambda c: ask(c, "hi"), "Pass a list of prompts"),
    ("generation", lambda c: ask(c, {"role": "user", "content": "hi"}), "Pass a list of prompts"),
    ("generation", lambda c: ask(c, ["hi"], batch_size=0), "batch_size must be a whole number of at least 1"),
    ("generation", lambda c: ask(c, ["hi"], batch_size=-1), "batch_size must be"),
    ("generation", lambda c: ask(c, ["hi"], batch_size=2.5), "batch_size must be"),
    ("generation", lambda c: ask(c, ["hi"], batch_size=True), "batch_size must be"),
    ("generation", lambda c: ask(c, ["hi"], seed=2**63), "seed must be a whole number from 0 to 2\\*\\*63"),
    ("generation", lambda c: ask(c, ["hi"], seed=-1), "seed must be"),
    ("generation", lambda c: ask(c, ["hi"], seed="1"), "seed must be"),
    ("generation", lambda c: ask(c, ["hi"], temperature="0.7"), "temperature must be a number"),
    ("generation", lambda c: ask(c, ["hi"], temperature=-1), "temperature must be a number between 0"),
    ("generation", lambda c: ask(c, ["hi"], temperature=6), "temperature must be"),
    ("generation", lambda c: ask(c, ["hi"], temperature=math.nan), "temperature must be"),
    ("generation", lambda c: ask(c, ["hi"], temperature=None), "temperature must be"),
    ("generation", lambda c: ask(c, ["hi"], top_p=0), "top_p must be a number above 0"),
    ("generation", lambda c: ask(c, ["hi"], top_p=1.5), "top_p must be"),
    ("generation", lambda c: ask(c, ["hi"], top_p="1"), "top_p must be"),
    ("generation", lambda c: ask(c, ["hi"], top_k=-1), "top_k must be 0"),
    ("generation", lambda c: ask(c, ["hi"], top_k=1.5), "top_k must be"),
    ("generation", lambda c: ask(c, ["hi"], max_new_tokens=0), "max_new_tokens must be a whole number from 1"),
    ("generation", lambda c: ask(c, ["hi"], max_new_tokens=5000), "max_new_tokens must be"),
    ("generation", lambda c: ask(c, ["hi"], max_new_tokens=2.0), "max_new_tokens must be"),
    ("generation", lambda c: ask(c, ["hi"], max_new_tokens=True), "max_new_tokens must be"),
    ("generation", lambda c: ask(c, [LONG_PROMPT]), "exceeds the model's context of 2048 tokens"),
    ("generation", lambda c: ask(c, ["hi", None]), "A prompt is a text"),
    (
        "generation",
        lambda c: generation.to_messages([{"role": "user", "content": None}]),
        "its 'content' must be a string",
    ),
    ("generation", lambda c: generation.to_messages([{"role": "user", "content": ["hi"]}]), "got list"),
    ("generation", lambda c: generation.to_messages("half an emoji \ud83d"), "a character that is not text"),
    ("generation", lambda c: generation.generate(c.model, c.tokenizer, ""), "The prompt is empty"),
    ("generation", lambda c: generation.generate(c.model, c.tokenizer, None), "A prompt is a text"),
    (
        "generation",
        lambda c: generation.score_labels(c.model, c.tokenizer, ["hi"], "positive"),
        "a list of candidate labels",
    ),
    ("generation", lambda c: generation.score_labels(c.model, c.tokenizer, ["hi"], []), "a list of candidate labels"),
    (
        "generation",
        lambda c: generation.score_labels(c.model, c.tokenizer, ["hi"], ["", "no"]),
        "each a non-empty text",
    ),
    (
        "generation",
        lambda c: generation.score_labels(c.model, c.tokenizer, ["hi"], [1, 2]),
        "a list of candidate labels",
    ),
    (
        "generation",
        lambda c: generation.score_labels(c.model, c.tokenizer, ["hi"], ["yes"], batch_size=0),
        "batch_size must be",
    ),
    ("generation", lambda c: generation.score_labels(c.model, c.tokenizer, "hi", ["yes"]), "Pass a list of prompts"),
    (
        "generation",
        lambda c: generation.score_labels(c.model, c.tokenizer, [LONG_PROMPT], ["yes"]),
        "exceeds the model's context",
    ),
    # --- data files --------------------------------------------------------------------------------
    (
        "data",
        lambda c: reviews_file(c, "latin1", (REVIEWS_HEADER + "Très bon,positive\n").encode("latin-1")),
        "is not UTF-8 text",
    ),
    (
        "data",
        lambda c: reviews_file(c, "utf16", (REVIEWS_HEADER + "good,positive\n").encode("utf-16")),
        "is not UTF-8 text",
    ),
    (
        "data",
        lambda c: reviews_file(c, "huge", REVIEWS_HEADER + '"' + "x" * 200_000 + '",positive\n'),
        "not a readable CSV file",
    ),
    ("data", lambda c: reviews_file(c, "empty", REVIEWS_HEADER), "has no examples"),
    ("data", lambda c: reviews_file(c, "nothing", ""), "missing column"),
    (
        "data",
        lambda c: reviews_file(c, "twice", REVIEWS_HEADER + "good,positive\nbad,negative\ngood,positive\n"),
        "example 3 repeats example 1",
    ),
    ("data", lambda c: reviews_file(c, "columns", "review,label\ngood,positive\n"), r"missing column\(s\) \['text'\]"),
    ("data", lambda c: reviews_file(c, "label", REVIEWS_HEADER + "good,great\n"), "unknown label 'great'"),
    ("data", lambda c: reviews_file(c, "blank", REVIEWS_HEADER + "  ,positive\n"), "empty review text"),
    ("data", lambda c: load_synthetic_reviews("train", data_dir=c.tmp / "nowhere"), "is missing"),
    ("data", lambda c: load_reviews("dev"), "Unknown split 'dev'"),
    ("data", lambda c: load_tickets("holdout"), "Unknown split"),
    ("data", lambda c: tickets_file(c, "json", "{not json\n"), "not valid JSON"),
    ("data", lambda c: tickets_file(c, "keys", [{"text": "hi"}]), "needs the keys text, expected"),
    ("data", lambda c: tickets_file(c, "list", "[1, 2]\n"), "needs the keys"),
    ("data", lambda c: tickets_file(c, "text", [{**GOOD_TICKET, "text": " "}]), "the text is empty"),
    ("data", lambda c: tickets_file(c, "number", [{**GOOD_TICKET, "text": 7}]), "the text is empty or not a string"),
    ("data", lambda c: tickets_file(c, "product", [ticket(product="Toaster 9000")]), "unknown product"),
    ("data", lambda c: tickets_file(c, "issue", [ticket(issue_type="fire")]), "unknown issue_type"),
    ("data", lambda c: tickets_file(c, "urgency", [ticket(urgency="asap")]), "unknown urgency"),
    ("data", lambda c: tickets_file(c, "order", [ticket(order_id="12345")]), "order_id '12345' is neither null"),
    (
        "data",
        lambda c: tickets_file(c, "fields", [{**GOOD_TICKET, "expected": {"product": "Ember T3 Thermostat"}}]),
        "exactly the keys",
    ),
    ("data", lambda c: tickets_file(c, "dup", [GOOD_TICKET, GOOD_TICKET]), "example 2 repeats example 1"),
    ("data", lambda c: tickets_file(c, "none", ""), "has no examples"),
    ("data", lambda c: tickets_file(c, "utf16t", json.dumps(GOOD_TICKET).encode("utf-16")), "is not UTF-8 text"),
    (
        "data",
        lambda c: probe_file(c, "string", [{"question": "Capital of France?", "answers": "Paris", "kind": "fact"}]),
        "a non-empty list of texts",
    ),
    (
        "data",
        lambda c: probe_file(c, "noanswer", [{"question": "2+2?", "answers": [], "kind": "arithmetic"}]),
        "non-empty list",
    ),
    (
        "data",
        lambda c: probe_file(c, "blankanswer", [{"question": "2+2?", "answers": [" "], "kind": "arithmetic"}]),
        "non-empty list",
    ),
    (
        "data",
        lambda c: probe_file(c, "kind", [{"question": "2+2?", "answers": ["4"], "kind": "math"}]),
        "kind must be one of",
    ),
    (
        "data",
        lambda c: probe_file(c, "question", [{"question": "", "answers": ["4"], "kind": "arithmetic"}]),
        "the text is empty",
    ),
    (
        "data",
        lambda c: probe_file(c, "same", [{"question": "2+2?", "answers": ["4"], "kind": "arithmetic"}] * 2),
        "repeats",
    ),
    ("data", lambda c: balanced_sample(c.reviews, 11), "asked for 11 rows but the table has 10"),
    ("data", lambda c: balanced_sample(c.reviews, -1), "asked for -1 rows"),
    ("data", lambda c: balanced_sample(c.reviews, 2, "stars"), "no column 'stars'"),
    (
        "data",
        lambda c: Task.from_file(DATA_DIR / "headlines" / "headlines.csv", text="headline", label="headline"),
        "the text and the label are both the column 'headline'",
    ),
    ("data", lambda c: labelled_file(c, "mine-empty", ""), "is empty: save your table with a header row"),
    ("data", lambda c: labelled_file(c, "mine-bom", "\ufeff"), "is empty \\(only a byte-order mark\\)"),
    (
        "data",
        lambda c: labelled_file(c, "mine-utf16", (REVIEWS_HEADER + "good,positive\n").encode("utf-16-le")),
        "holds NUL characters",
    ),
    ("data", lambda c: labelled_file(c, "mine-cut", b"\xff\xfet\x00e"), "is not UTF-16 text \\(cut short\\?\\)"),
    (
        "data",
        lambda c: labelled_file(c, "mine-nolabel", REVIEWS_HEADER + "good,NaN\nbad,null\n"),
        "no row is left with both a text and a label",
    ),
    (
        "data",
        lambda c: labelled_file(c, "mine-rare", REVIEWS_HEADER + "".join(f"text {i},{i % 3}\n" for i in range(15))),
        "too few examples of '0' \\(5\\), '1' \\(5\\), '2' \\(5\\)",
    ),
    # --- prompts, evaluation, consistency ---------------------------------------------------------------
    ("prompts", lambda c: prompts.zero_shot("", tasks.REVIEWS), "The input text is empty"),
    ("prompts", lambda c: prompts.zero_shot(None, tasks.REVIEWS), "The input text is empty"),
    ("prompts", lambda c: prompts.zero_shot("ok", "poems"), "Unknown task 'poems'"),
    ("prompts", lambda c: prompts.catalog("poems"), "Unknown task"),
    ("prompts", lambda c: prompts.zero_shot("ok", "reviews"), r"got the name 'reviews': pass get_task\('reviews'\)"),
    (
        "prompts",
        lambda c: prompts.choose_examples(c.reviews, 2, tasks.REVIEWS, "best"),
        "Unknown way to choose examples 'best'",
    ),
    (
        "prompts",
        lambda c: prompts.choose_examples(c.reviews, 11, tasks.REVIEWS),
        "k must be a whole number from 0 to 10",
    ),
    ("prompts", lambda c: prompts.choose_examples(c.reviews, -1, tasks.REVIEWS), "k must be"),
    ("prompts", lambda c: prompts.choose_examples(c.reviews, 2.5, tasks.REVIEWS), "k must be"),
    ("prompts", lambda c: prompts.choose_examples(c.reviews, 2, tasks.REVIEWS, "similar"), "needs the input text"),
    ("prompts", lambda c: prompts.make_few_shot(c.reviews, 3, "poems", "random"), "Unknown task"),
    (
        "evaluation",
        lambda c: evaluation.evaluate(
            c.model, c.tokenizer, prompts.zero_shot_reviews, c.reviews, tasks.REVIEWS, "guess"
        ),
        "Unknown method 'guess'",
    ),
    (
        "evaluation",
        lambda c: evaluation.evaluate(
            c.model, c.tokenizer, prompts.zero_shot_reviews, c.reviews.head(0), tasks.REVIEWS
        ),
        "The data split is empty",
    ),
    (
        "evaluation",
        lambda c: evaluation.evaluate(
            c.model, c.tokenizer, prompts.zero_shot_tickets, load_tickets("test").head(2), tasks.TICKETS, "score"
        ),
        "Label scoring needs a fixed list",
    ),
    (
        "evaluation",
        lambda c: evaluation.evaluate(
            c.model, c.tokenizer, prompts.zero_shot_reviews, c.reviews.head(2), tasks.REVIEWS, "vote", n_samples=0
        ),
        "n_samples must be a whole number",
    ),
    (
        "evaluation",
        lambda c: evaluation.evaluate(
            c.model, c.tokenizer, prompts.zero_shot_reviews, c.reviews.head(2), tasks.REVIEWS, "vote", temperature=0
        ),
        "Self-consistency needs varied samples",
    ),
    (
        "evaluation",
        lambda c: evaluation.evaluate_patterns(c.model, c.tokenizer, {}, c.reviews, tasks.REVIEWS),
        "at least one prompt pattern",
    ),
    (
        "evaluation",
        lambda c: evaluation.evaluate(c.model, c.tokenizer, prompts.zero_shot_reviews, c.reviews.head(1), "poems"),
        "Unknown task",
    ),
    (
        "evaluation",
        lambda c: evaluation.best_pattern(
            pd.DataFrame({"task": ["tickets"], "accuracy": [1.0], "prompt_tokens": [1]}), tasks.REVIEWS
        ),
        "no rows for task 'reviews'",
    ),
    (
        "evaluation",
        lambda c: evaluation.score_answers(["positive"], c.reviews, tasks.REVIEWS),
        "Got 1 answers for 10 examples",
    ),
    (
        "evaluation",
        lambda c: evaluation.load_results("never_saved_anywhere"),
        "No saved results 'never_saved_anywhere'",
    ),
    (
        "consistency",
        lambda c: consistency.reworded(prompts.zero_shot_reviews, tasks.REVIEWS, " "),
        "The new wording is empty",
    ),
    (
        "consistency",
        lambda c: consistency.reworded(lambda t: [{"role": "user", "content": t}], tasks.REVIEWS, "Say it")("good"),
        "does not contain the task's standard instruction",
    ),
    ("consistency", lambda c: consistency.agreement(pd.DataFrame({"only": ["a", "b"]})), "at least two variants"),
    (
        "consistency",
        lambda c: consistency.across_paraphrases(
            c.model, c.tokenizer, prompts.zero_shot_reviews, c.reviews, tasks.REVIEWS, wordings=["one"]
        ),
        "at least two wordings",
    ),
    (
        "consistency",
        lambda c: consistency.across_seeds(
            c.model, c.tokenizer, prompts.zero_shot_reviews, c.reviews, tasks.REVIEWS, seeds=(1, 1)
        ),
        "at least two different seeds",
    ),
    (
        "consistency",
        lambda c: consistency.across_seeds(
            c.model, c.tokenizer, prompts.zero_shot_reviews, c.reviews, tasks.REVIEWS, temperature=0
        ),
        "Greedy decoding",
    ),
    # --- statistics, baselines, costs -------------------------------------------------------------------
    ("statistics", lambda c: statistics.compare_paired([1, 0], [1]), "same examples: got 2 and 1"),
    ("statistics", lambda c: statistics.compare_paired([], []), "non-empty list"),
    ("statistics", lambda c: statistics.accuracy_interval([0.5, 2]), "from 0 to 1"),
    ("statistics", lambda c: statistics.accuracy_interval(["yes", "no"]), "from 0 to 1"),
    ("statistics", lambda c: statistics.accuracy_interval([[1, 0], [0, 1]]), "non-empty list"),
    ("statistics", lambda c: statistics.wilson_interval(0, 0), "n >= 1"),
    ("statistics", lambda c: statistics.wilson_interval(5, 3), "successes <= n"),
    ("statistics", lambda c: statistics.format_accuracy([]), "non-empty list"),
    ("baselines", lambda c: baselines.chance_accuracy([]), "at least one label"),
    ("baselines", lambda c: baselines.majority_predictions([], 3), "at least one labelled training example"),
    ("baselines", lambda c: baselines.tfidf_predictions(["a", "b"], ["positive"], ["c"]), "one label per text"),
    (
        "baselines",
        lambda c: baselines.tfidf_predictions(["a", "b"], ["positive", "positive"], ["c"]),
        "at least two different labels",
    ),
    ("costs", lambda c: costs.dollars(-1, 2.0), "must be a number of at least 0"),
    ("costs", lambda c: costs.dollars(math.nan, 2.0), "must be a number of at least 0"),
    ("costs", lambda c: costs.dollars("60", 2.0), "must be a number"),
    ("costs", lambda c: costs.dollars(60, -2.0), "must be a number of at least 0"),
    ("costs", lambda c: costs.training_flops(100, 10, 1000), "cannot exceed n_parameters"),
    ("costs", lambda c: costs.tokens_trained([], 3, 2), "No training examples"),
    ("costs", lambda c: costs.gpu_seconds(1e12, peak_flops_per_second=0), "peak_flops_per_second must be positive"),
    ("costs", lambda c: costs.gpu_seconds(1e12, utilization=1.5), "utilization must be above 0 and at most 1"),
    ("costs", lambda c: costs.cost_per_1000_requests(-0.5, 2.0), "must be a number of at least 0"),
    # --- the decision helper -----------------------------------------------------------------------------
    (
        "decision",
        lambda c: advice.recommend(advice.Answers(priority="cheapest"), advice.Figures(**FIGURES)),
        "Unknown priority",
    ),
    (
        "decision",
        lambda c: advice.recommend(advice.Answers(changes="hourly"), advice.Figures(**FIGURES)),
        "Unknown rate of change",
    ),
    (
        "decision",
        lambda c: advice.recommend(advice.Answers(labelled_examples=-5), advice.Figures(**FIGURES)),
        "at least 0",
    ),
    (
        "decision",
        lambda c: advice.recommend(advice.Answers(requests_per_month="lots"), advice.Figures(**FIGURES)),
        "at least 0",
    ),
    (
        "decision",
        lambda c: advice.recommend(advice.Answers(labelled_examples=True), advice.Figures(**FIGURES)),
        "at least 0",
    ),
    (
        "decision",
        lambda c: advice.recommend(advice.Answers(), advice.Figures(**{**FIGURES, "accuracy_verdict": "maybe"})),
        "Unknown accuracy verdict",
    ),
    (
        "decision",
        lambda c: advice.recommend(advice.Answers(), advice.Figures(**{**FIGURES, "accuracy": {"prompting": 0.3}})),
        "has no value for fine-tuning, hybrid",
    ),
    # --- training -------------------------------------------------------------------------------------
    (
        "training",
        lambda c: training.sft_examples(c.tokenizer, [prompts.zero_shot_reviews("good")], []),
        "one answer per prompt",
    ),
    ("training", lambda c: training.sft_examples(c.tokenizer, [], []), "No training examples"),
    (
        "training",
        lambda c: training.sft_examples(c.tokenizer, [prompts.zero_shot_reviews("good")], [" "]),
        "An answer .* is empty",
    ),
    (
        "training",
        lambda c: training.add_lora(models.tiny_random_model(c.tokenizer), rank=0),
        "rank must be a whole number",
    ),
    ("training", lambda c: training.add_lora(models.tiny_random_model(c.tokenizer), rank=1.5), "rank must be"),
    ("training", lambda c: training.add_lora(models.tiny_random_model(c.tokenizer), alpha=0), "alpha must be positive"),
    (
        "training",
        lambda c: training.add_lora(models.tiny_random_model(c.tokenizer), target_modules=("q_prj",)),
        "target_modules must be",
    ),
    (
        "training",
        lambda c: training.add_lora(models.tiny_random_model(c.tokenizer), target_modules=()),
        "target_modules must be",
    ),
    (
        "training",
        lambda c: training.train(training.add_lora(models.tiny_random_model(c.tokenizer)), c.tokenizer, [{}], steps=0),
        "steps must be a whole number of at least 1",
    ),
    (
        "training",
        lambda c: training.train(
            training.add_lora(models.tiny_random_model(c.tokenizer)), c.tokenizer, [{}], steps=1, batch_size=0
        ),
        "batch_size must be",
    ),
    (
        "training",
        lambda c: training.train(training.add_lora(models.tiny_random_model(c.tokenizer)), c.tokenizer, [], steps=1),
        "No training examples",
    ),
    (
        "training",
        lambda c: training.train(
            models.tiny_random_model(c.tokenizer).requires_grad_(False), c.tokenizer, _examples(c), steps=1
        ),
        "Nothing to train",
    ),
    (
        "training",
        lambda c: training.train(
            training.add_lora(models.tiny_random_model(c.tokenizer)),
            c.tokenizer,
            _examples(c),
            steps=1,
            learning_rate=0,
        ),
        "learning rate must be a positive number",
    ),
    (
        "training",
        lambda c: training.train(
            training.add_lora(models.tiny_random_model(c.tokenizer)),
            c.tokenizer,
            _examples(c),
            steps=1,
            learning_rate="1e-3",
        ),
        "learning rate must be a positive number",
    ),
    (
        "training",
        lambda c: training.train(
            training.add_lora(models.tiny_random_model(c.tokenizer)),
            c.tokenizer,
            _examples(c),
            steps=1,
            optimizer="lion",
        ),
        "Unknown optimizer 'lion'",
    ),
    (
        "training",
        lambda c: training.load_adapter(models.tiny_random_model(c.tokenizer), c.tmp / "no_adapter"),
        "No LoRA adapter",
    ),
    # --- the playground -----------------------------------------------------------------------------------
    ("playground", lambda c: playground.fill_template("", "good"), "The template is empty"),
    ("playground", lambda c: playground.fill_template("Classify this", "good"), "has no {input} slot"),
    ("playground", lambda c: playground.parse_examples("good positive"), "Example line 1 has no '=>'"),
    (
        "playground",
        lambda c: playground.parse_examples("good => positive\n => negative"),
        "Example line 2 needs text on both sides",
    ),
    ("playground", lambda c: playground.parse_examples("good =>"), "needs text on both sides"),
    # --- models, devices and caches -------------------------------------------------------------------------
    ("models", lambda c: models.pick_device("tpu"), "Unknown device 'tpu'"),
    (
        "models",
        lambda c: models.pick_device("cuda") if not models.torch.cuda.is_available() else _raise("skip"),
        "not available",
    ),
    (
        "models",
        lambda c: models.load_model("no-such-org/no-such-model-xyz"),
        "Could not load model 'no-such-org/no-such-model-xyz'",
    ),
    ("models", lambda c: models.load_tokenizer("no-such-org/no-such-model-xyz"), "Leave COURSE_MODEL unset"),
    ("comparison", lambda c: comparison.default_settings("poems"), "Unknown task"),
    ("comparison", lambda c: comparison.default_settings(headlines()), "The course's sizes are for its tasks"),
    (
        "comparison",
        lambda c: decide.measure_task(headlines(), minutes=0),
        "minutes must be a positive number of minutes",
    ),
    ("comparison", lambda c: decide.measure_task(headlines(), minutes=math.nan), "minutes must be a positive number"),
    (
        "comparison",
        lambda c: tuning.fine_tune(
            tasks.REVIEWS, load_reviews("train").head(2), kind="qlora", learning_rate=1e-3, passes=1
        ),
        "Unknown kind of fine-tune",
    ),
    (
        "comparison",
        lambda c: crossover.crossover(comparison.default_settings("reviews"), sizes=(10_000,)),
        "Fine-tuning sizes must be from 1",
    ),
    (
        "comparison",
        lambda c: versatility.versatility(
            comparison.default_settings("reviews"), [comparison.default_settings("reviews")]
        ),
        "Pass the settings of other tasks",
    ),
    (
        "comparison",
        lambda c: versatility.versatility(comparison.default_settings("reviews"), []),
        "Pass the settings of other tasks",
    ),
    (
        "training",
        lambda c: training.train(
            training.add_lora(models.tiny_random_model(c.tokenizer)),
            c.tokenizer,
            _examples(c),
            steps=2,
            schedule_steps=1,
        ),
        "schedule_steps must be a whole number of at least steps=2",
    ),
    ("statistics", lambda c: statistics.compare_methods([[1, 0]], [[1, 0, 1]]), "on the same examples: got 2 and 3"),
    ("statistics", lambda c: statistics.run_interval([[1, 0], [1]]), "all on the same examples"),
    ("reference", lambda c: reference.provenance(_damaged_provenance(c)), "is damaged"),
    ("finetune", lambda c: finetune.read_config(c.tmp), "is a folder, not a file"),
    (
        "comparison",
        lambda c: variations.iteration(comparison.default_settings("tickets")),
        "The variations are about reviews",
    ),
    (
        "comparison",
        lambda c: variations.variation_prompt(variations.VARIATIONS["three_way"], " "),
        "The input text is empty: give the review",
    ),
    ("files", lambda c: files.output_folder("."), "is the current folder"),
    ("files", lambda c: files.output_folder(_user_folder(c)), "already holds files the course did not write"),
    ("files", lambda c: files.output_folder(_user_folder(c) / "thesis.tex"), "is an existing file"),
    ("files", lambda c: files.output_folder(_user_folder(c) / "thesis.tex" / "report"), "which is a file"),
    ("config", lambda c: _reload_config(COURSE_QUICK="off please"), "is neither on nor off"),
    ("config", lambda c: _reload_config(COURSE_BFLOAT16="2"), "COURSE_BFLOAT16='2' is neither on nor off"),
    ("reference", lambda c: reference.provenance(c.tmp), "run `python benchmarks/reference.py`"),
    (
        "reference",
        lambda c: reference.read_table("reviews_head_to_head", c.tmp),
        "The reference has no reviews_head_to_head.csv",
    ),
    # --- the course's own small models and text tools ----------------------------------------------------------
    ("tokens", lambda c: tokens.apply_temperature(models.torch.zeros(3), 9), "temperature must be between 0"),
    (
        "tokens",
        lambda c: tokens.top_tokens(models.torch.ones(5) / 5, c.tokenizer, k=0),
        "k must be a whole number from 1 to 5",
    ),
    (
        "perplexity",
        lambda c: perplexity.passages(["short"], 40, min_characters=50),
        "No text has at least 50 characters",
    ),
    ("perplexity", lambda c: perplexity._check_passages("one text"), "Pass a list of non-empty texts"),
    ("pretraining", lambda c: pretraining.load_corpus("validation"), "Unknown corpus split 'validation'"),
    ("pretraining", lambda c: pretraining.CharTokenizer(""), "needs some text"),
    (
        "tinygpt",
        lambda c: tinygpt.GPTConfig(vocab_size=10, n_layer=0),
        "GPTConfig.n_layer must be a positive whole number",
    ),
    ("tinygpt", lambda c: tinygpt.GPTConfig(vocab_size=10, n_embd=30, n_head=4), "must be divisible by n_head"),
]


def _damaged_provenance(c):
    folder = c.tmp / "damaged_results"
    folder.mkdir(exist_ok=True)
    (folder / "provenance.json").write_text('{"status": "complete", "fingerprint": ')  # cut off mid-write
    return folder


def _user_folder(c):
    """A folder of the learner's own: a thesis and a data folder the course must never touch."""
    folder = c.tmp / "my_project"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "thesis.tex").write_text("three years of work")
    return folder


def _reload_config(**environment):
    import importlib
    import os

    from helpers.core import config

    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        importlib.reload(config)
    finally:
        for name, value in saved.items():
            os.environ.pop(name) if value is None else os.environ.update({name: value})
        importlib.reload(config)


def _raise(message):
    raise CourseError(message + " (not available)")


def _examples(c):
    return training.sft_examples(c.tokenizer, [prompts.zero_shot_reviews("good")], ["positive"])


@pytest.mark.parametrize(
    "area, call, message", BAD_INPUTS, ids=[f"{area}-{i}" for i, (area, _, _) in enumerate(BAD_INPUTS)]
)
def test_a_bad_input_gets_one_clear_message(ctx, area, call, message):
    with pytest.raises(CourseError, match=message):
        call(ctx)


# --- Faults the course heals by itself, losing nothing ------------------------------------------------------


def test_a_byte_order_mark_is_fine(ctx):
    bom = "\ufeff"
    assert list(reviews_file(ctx, "bom", bom + REVIEWS_HEADER + "good,positive\n")["label"]) == ["positive"]
    assert len(tickets_file(ctx, "bomt", bom + json.dumps(GOOD_TICKET) + "\n")) == 1
    probe = load_probe(
        data_dir=data_folder(
            ctx, "bomp", "probe", bom + json.dumps({"question": "2+2?", "answers": ["4"], "kind": "arithmetic"})
        )
    )
    assert probe.loc[0, "answers"] == ["4"]


def test_an_empty_list_of_prompts_is_answered_with_nothing(ctx):
    assert generation.generate_batch(ctx.model, ctx.tokenizer, [], max_new_tokens=2) == []


@pytest.mark.parametrize("damage", ["truncated", "not json", "planted pickle", "partial folder"])
def test_a_damaged_cache_entry_is_measured_again_and_never_run(ctx, monkeypatch, damage):
    monkeypatch.setenv("COURSE_CACHE", str(ctx.tmp / f"cache-{damage}"))
    calls = []
    value = cache.cached("sweep", {"damage": damage}, lambda folder: calls.append(1) or {"accuracy": 0.5})
    folder = cache.entry("sweep", {"damage": damage})
    if damage == "truncated":
        (folder / cache.RESULT_FILE).write_text('{"accuracy": 0.')
    elif damage == "not json":
        (folder / cache.RESULT_FILE).write_bytes(b"\x80\x04\x95")
    elif damage == "planted pickle":
        (folder / cache.RESULT_FILE).unlink()
        (folder / "result.pkl").write_bytes(b"cos\nsystem\n(S'touch /tmp/pwned'\ntR.")  # would run code if unpickled
    else:
        (folder / cache.RESULT_FILE).unlink()
        (folder.parent / (folder.name + ".partial-1-x")).mkdir()
    again = cache.cached("sweep", {"damage": damage}, lambda folder: calls.append(1) or {"accuracy": 0.5})
    assert value == again == {"accuracy": 0.5} and len(calls) == 2


def test_a_computation_that_fails_stores_nothing(ctx, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(ctx.tmp / "cache-fail"))

    def interrupted(folder):
        (folder / "half.txt").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.cached("sweep", {"n": 1}, interrupted)
    assert not cache.entry("sweep", {"n": 1}).exists()
    assert list((ctx.tmp / "cache-fail" / "results").iterdir()) == []


def test_deleting_the_cache_while_measuring_loses_nothing(ctx, monkeypatch):
    # the README says: delete the results folder to measure again; doing it mid-run must not lose the run
    monkeypatch.setenv("COURSE_CACHE", str(ctx.tmp / "cache-deleted"))

    def measure_while_deleted(folder):
        shutil.rmtree(folder.parent)
        return {"accuracy": 0.7}

    assert cache.cached("sweep", {"n": 2}, measure_while_deleted) == {"accuracy": 0.7}
    assert cache.cached("sweep", {"n": 2}, lambda folder: pytest.fail("measured twice")) == {"accuracy": 0.7}


def test_a_broken_model_copy_is_converted_again_once(ctx, monkeypatch, tmp_path):
    # the packaged model's cached copy cannot be read (e.g. a truncated safetensors file): convert it again
    folder = tmp_path / models.PACKAGED_MODEL
    conversions, reads = [], []

    def packaged_model_dir():
        if not folder.exists():
            conversions.append(1)
            folder.mkdir()
        return folder

    def load(source):
        reads.append(source)
        if len(reads) == 1:
            raise RuntimeError("Error while deserializing header: incomplete metadata, file not fully covered")
        return "model"

    monkeypatch.setattr(models, "packaged_model_dir", packaged_model_dir)
    folder.mkdir()
    assert models._from_source(models.PACKAGED_MODEL, load) == "model"
    assert conversions == [1] and len(reads) == 2


@pytest.mark.parametrize(
    "code, cause", [(28, "the disk is full"), (13, "cannot be written"), (30, "cannot be written")]
)
def test_a_model_cache_that_cannot_be_written_names_the_cause(monkeypatch, tmp_path, code, cause):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))

    def convert(folder):
        raise OSError(code, "no")

    monkeypatch.setattr(models, "convert_packaged_model", convert)
    with pytest.raises(CourseError, match=f"{cause}.*COURSE_CACHE"):
        models.packaged_model_dir()


def test_an_unwritable_cache_folder_says_what_to_do(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COURSE_CACHE", str(blocker / "cache"))
    from helpers.core.config import cache_dir

    with pytest.raises(CourseError, match="Cannot create the course cache .*set COURSE_CACHE"):
        cache_dir()
