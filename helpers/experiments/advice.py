"""Prompting, fine-tuning or both? The seed article's checklist as a few explicit rules, fed with measured numbers.

    figures = Figures(accuracy=..., latency_s=..., training_seconds=..., examples_needed=..., probe_drop=...)
    advice = recommend(Answers(priority="niche_accuracy", labelled_examples=2000), figures)
    advice.approach, advice.reasons, advice.costs
    decision_form(figures)        # the same, as an ipywidgets form

The rules, checked in this order (the first that applies decides):
  1. no GPU budget, no time to train or no ML skills        -> prompting
  2. the best prompt was clearly more accurate (measured)    -> prompting
  3. fine-tuning never beat prompting at any size measured,
     or you have fewer labelled examples than it needed     -> prompting
  4. accuracy in a niche matters most: the most accurate approach as measured; a tie (too close to call) goes to
     the cheaper one, prompting; the hybrid only where it was measured better than the fine-tune alone. Weekly or
     monthly changes and many tasks add what they cost (retraining, an adapter per task), they do not overrule
     the measurement.
  5. speed and flexibility matter most: prompting when one model serves many tasks or requirements change weekly;
     otherwise fine-tuning when its cheaper requests pay back its one-time cost within PAYBACK_MONTHS
  6. a classical classifier (TF-IDF) measured level with or better than the advice is named as the cheaper choice,
     and recommended where it was clearly better

Every reason quotes a measured figure (and the model it was measured with), and the cost estimate uses the measured
latencies and training time at a price the learner sets, plus the people's time a fine-tune takes (setup hours, an
assumption), so whether it pays back depends on the request volume. An approach measured worse on what the learner
said matters is never advised without saying why.
"""

import math
from dataclasses import dataclass, field, replace

import pandas as pd

from ..core.costs import DEFAULT_PRICE_PER_HOUR, break_even_requests, cost_per_1000_requests, dollars
from ..core.errors import CourseError

APPROACHES = ("prompting", "fine-tuning", "hybrid")  # always measured; "classical" where the task has labels
ADVICE = (*APPROACHES, "classical")  # what the helper can recommend
PRIORITIES = ("niche_accuracy", "speed_flexibility")
CHANGE_RATES = ("rarely", "monthly", "weekly")
PAYBACK_MONTHS = 3  # rule of thumb: training must pay for itself within a quarter
DEFAULT_DOLLARS_PER_LABEL = 0.10  # assumption: what one more labelled example costs to write and check
DEFAULT_SETUP_HOURS = 8  # assumption: a person's day to prepare the data, train, check and deploy
DEFAULT_DOLLARS_PER_WORK_HOUR = 50  # assumption: what an hour of that person's time costs
VERDICTS = ("fine-tuning better", "prompting better", "too close to call")
COMPARED = ("better", "worse", "too close to call")  # the hybrid (classical) against the fine-tune (the best model)


@dataclass
class Answers:
    """The seed's questions, and two prices (assumptions) the cost estimate needs."""

    priority: str = "speed_flexibility"  # what matters most: "niche_accuracy" or "speed_flexibility"
    gpu_budget: bool = True  # money for GPU hours
    time_to_train: bool = True  # weeks to collect data, train and redeploy
    ml_skills: bool = True  # someone who can train and maintain a model
    labelled_examples: int = 0  # labelled examples you have for the task
    changes: str = "monthly"  # how often requirements change: "rarely", "monthly", "weekly"
    many_tasks: bool = False  # must one model serve many different tasks?
    requests_per_month: int = 10_000  # expected request volume
    price_per_hour: float = DEFAULT_PRICE_PER_HOUR  # assumption: dollars per machine hour
    dollars_per_label: float = DEFAULT_DOLLARS_PER_LABEL  # assumption: cost of one more labelled example
    setup_hours: float = DEFAULT_SETUP_HOURS  # assumption: people's time to fine-tune and deploy once
    dollars_per_work_hour: float = DEFAULT_DOLLARS_PER_WORK_HOUR  # assumption: cost of one hour of it


@dataclass
class Figures:
    """Measured numbers the advice rests on (notebook 05 measures them)."""

    accuracy: dict  # approach -> accuracy on the held-out test split (0-1)
    latency_s: dict  # approach -> seconds per request on the machine that measured it
    training_seconds: float  # seconds one fine-tune took on that machine
    examples_needed: int | None  # labelled examples from which fine-tuning beat prompting; None: it never did
    probe_drop: float  # general-probe accuracy lost by fine-tuning (base minus fine-tuned)
    accuracy_verdict: str = "too close to call"  # fine-tuned vs best prompt on the same test examples (paired)
    test_examples: int = 0  # how many test examples that verdict rests on
    hybrid_verdict: str = "too close to call"  # the hybrid against the fine-tune ("fine-tuning better": the hybrid)
    classical_verdict: str = "too close to call"  # the classical yardstick against the fine-tune (same wording)
    classical_vs_prompting: str = "too close to call"  # the classical yardstick against the best prompt
    names: dict = field(default_factory=dict)  # approach -> the measured approach behind it (e.g. "label scoring")
    model: str = ""  # the model the figures were measured with


@dataclass
class Recommendation:
    """The advice: an approach, the reasons in order, and a cost estimate per approach."""

    approach: str
    reasons: list = field(default_factory=list)
    costs: pd.DataFrame | None = None


def accuracy_verdict(fine_tuned_vs_prompt) -> str:
    """The helper's verdict from a comparison (`statistics.compare_methods` or `compare_paired`) of the fine-tuned model
    (A) against the best prompt (B) on the same test examples."""
    return {"A better": "fine-tuning better", "B better": "prompting better"}.get(
        fine_tuned_vs_prompt.verdict, "too close to call"
    )


def compared(a_vs_b) -> str:
    """'better', 'worse' or 'too close to call' for approach A against B, from a comparison's verdict."""
    return {"A better": "better", "B better": "worse"}.get(a_vs_b.verdict, "too close to call")


def check_answers(answers: Answers) -> None:
    """Refuse answers outside the allowed choices, with the valid ones."""
    if answers.priority not in PRIORITIES:
        raise CourseError(f"Unknown priority {answers.priority!r}: use one of {', '.join(PRIORITIES)}.")
    if answers.changes not in CHANGE_RATES:
        raise CourseError(f"Unknown rate of change {answers.changes!r}: use one of {', '.join(CHANGE_RATES)}.")
    for name in (
        "labelled_examples",
        "requests_per_month",
        "price_per_hour",
        "dollars_per_label",
        "setup_hours",
        "dollars_per_work_hour",
    ):
        value = getattr(answers, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise CourseError(f"{name} must be a number of at least 0 (got {value!r}).")


def check_figures(figures: Figures) -> None:
    """Refuse figures that miss an approach or carry an unknown verdict."""
    if figures.accuracy_verdict not in VERDICTS:
        raise CourseError(f"Unknown accuracy verdict {figures.accuracy_verdict!r}: use one of {', '.join(VERDICTS)}.")
    for name in ("hybrid_verdict", "classical_verdict", "classical_vs_prompting"):
        if getattr(figures, name) not in COMPARED:
            raise CourseError(f"Unknown {name} {getattr(figures, name)!r}: use one of {', '.join(COMPARED)}.")
    for name in ("accuracy", "latency_s"):
        missing = [a for a in APPROACHES if a not in getattr(figures, name)]
        if missing:
            raise CourseError(
                f"Figures.{name} has no value for {', '.join(missing)}: give one for each of {', '.join(APPROACHES)}."
            )


def cost_estimate(answers: Answers, figures: Figures) -> pd.DataFrame:
    """One row per approach: measured accuracy, one-time cost, cost per 1,000 requests, per month and first year.

    A fine-tune's one-time cost: the measured training time at the machine price, the labels still to write,
    and the people's setup time; a classical classifier's: the same labels and setup time, no GPU."""
    labels = max(0, (figures.examples_needed or 0) - answers.labelled_examples) * answers.dollars_per_label
    setup = answers.setup_hours * answers.dollars_per_work_hour
    one_time = {
        "prompting": 0.0,
        "classical": labels + setup,
        "fine-tuning": dollars(figures.training_seconds, answers.price_per_hour) + labels + setup,
    }
    one_time["hybrid"] = one_time["fine-tuning"]
    rows = []
    for approach in figures.accuracy:
        per_1000 = cost_per_1000_requests(figures.latency_s[approach], answers.price_per_hour)
        per_month = per_1000 * answers.requests_per_month / 1000
        rows.append(
            {
                "approach": approach,
                "accuracy": figures.accuracy[approach],
                "one_time_dollars": one_time[approach],
                "dollars_per_1000_requests": per_1000,
                "dollars_per_month": per_month,
                "dollars_first_year": one_time[approach] + 12 * per_month,
            }
        )
    return pd.DataFrame(rows).set_index("approach")


def payback_months(costs: pd.DataFrame, requests_per_month: float) -> float:
    """Months until fine-tuning's cheaper requests repay its one-time cost, compared with prompting."""
    requests = break_even_requests(
        costs.loc["fine-tuning", "one_time_dollars"],
        costs.loc["prompting", "dollars_per_1000_requests"],
        costs.loc["fine-tuning", "dollars_per_1000_requests"],
    )
    if requests == 0:
        return 0.0
    return requests / requests_per_month if requests_per_month > 0 else math.inf


def duration(months: float) -> str:
    """A payback time in words: days under a month, months after; 'never' for infinity."""
    if math.isinf(months):
        return "never"
    if months == 0:
        return "at once"
    return f"{months * 30:.1f} days" if months < 1 else f"{months:.1f} months"


def accuracy_reason(figures: Figures, approach: str = "fine-tuning") -> str:
    """What the measurement says about an approach's accuracy against the best prompt, and how sure it is."""
    measured = f" with {figures.model}" if figures.model else ""
    gap = f"{approach} {figures.accuracy[approach]:.0%} vs prompting {figures.accuracy['prompting']:.0%}"
    if figures.accuracy_verdict == "fine-tuning better":
        return f"Measured{measured}: {gap}, a clear lead on {figures.test_examples} test examples."
    if figures.accuracy_verdict == "prompting better":
        return (
            f"Measured{measured}: {gap}: prompting was clearly more accurate on {figures.test_examples} test examples."
        )
    return (
        f"Measured{measured}: {gap}, too close to call on {figures.test_examples} test examples: neither is "
        "clearly more accurate."
    )


def prompting_side(figures: Figures) -> str:
    """How the advice names the prompting side: the best prompt, or the prompting approach that did best on
    validation where it is another (e.g. "prompting (label scoring)")."""
    name = figures.names.get("prompting", "best prompt")
    return "the best prompt" if name == "best prompt" else f"prompting ({name})"


def versatility_reason(figures: Figures) -> str:
    """What fine-tuning did to general questions (the probe), in words that never state a negative cost."""
    if figures.probe_drop > 0:
        return f"Fine-tuning cost {figures.probe_drop:.0%} of accuracy on general questions (the probe)."
    return f"Fine-tuning did not lower accuracy on general questions (the probe: {-figures.probe_drop:+.0%})."


def recommend(answers: Answers, figures: Figures) -> Recommendation:
    """Apply the rules in the module docstring; return the approach, the reasons and the cost estimate."""
    check_answers(answers)
    check_figures(figures)
    costs = cost_estimate(answers, figures)
    accuracy = figures.accuracy

    def advice(approach, *reasons):
        return _with_classical(Recommendation(approach, list(reasons), costs), figures, answers)

    missing = [
        name
        for name, ok in [
            ("a GPU budget", answers.gpu_budget),
            ("time to train", answers.time_to_train),
            ("ML skills", answers.ml_skills),
        ]
        if not ok
    ]
    if missing:
        return advice(
            "prompting",
            f"Fine-tuning needs a GPU budget, time to train and ML skills; you lack {' and '.join(missing)}.",
            f"{prompting_side(figures).capitalize()} reached {accuracy['prompting']:.0%} accuracy with no training.",
            *([accuracy_reason(figures)] if figures.accuracy_verdict == "fine-tuning better" else []),
        )
    if figures.accuracy_verdict == "prompting better":
        return advice("prompting", accuracy_reason(figures))
    if figures.examples_needed is None:
        return advice(
            "prompting",
            f"In these measurements fine-tuning never clearly beat {prompting_side(figures)} at any number of "
            "labelled examples tried.",
            accuracy_reason(figures),
        )
    if answers.labelled_examples < figures.examples_needed:
        return advice(
            "prompting",
            f"Fine-tuning beat prompting only from about {figures.examples_needed} labelled examples; "
            f"you have {answers.labelled_examples}. Show a few of them in the prompt instead.",
            f"Label at least {figures.examples_needed - answers.labelled_examples} more before fine-tuning; "
            "the table's one-time cost includes them.",
        )
    upkeep = {
        "weekly": "Requirements change every week: each change means relabelling and retraining "
        f"({figures.training_seconds:.0f} s of training here, and a person's time).",
        "monthly": "Requirements change monthly: plan a retraining with each change.",
        "rarely": "The task is stable: train once.",
    }[answers.changes]
    if answers.priority == "niche_accuracy":
        if figures.accuracy_verdict == "too close to call":
            return advice(
                "prompting",
                accuracy_reason(figures),
                "A tie goes to the cheaper approach: a prompt needs no "
                "training, no labelled data set and no new model to deploy.",
            )
        tuned = "hybrid" if figures.hybrid_verdict == "better" else "fine-tuning"
        reasons = [accuracy_reason(figures)]
        if tuned == "hybrid":
            reasons.append(
                f"Asking the fine-tuned model with the best prompt was better still ({accuracy['hybrid']:.0%})."
            )
        if answers.many_tasks:
            reasons.append(
                versatility_reason(figures) + " Keep the base model for the other tasks and switch the "
                "fine-tune (a LoRA adapter) on for this one."
            )
        return advice(tuned, *reasons, upkeep)
    if answers.many_tasks or answers.changes == "weekly":
        why = (
            versatility_reason(figures) + " One prompted base model switches between tasks by changing the prompt."
            if answers.many_tasks
            else "Requirements change every week: a prompt is changed in minutes, a fine-tune must be redone."
        )
        return advice(
            "prompting",
            why,
            *(
                [accuracy_reason(figures) + " Speed and flexibility come first here."]
                if figures.accuracy_verdict == "fine-tuning better"
                else []
            ),
        )
    months = payback_months(costs, answers.requests_per_month)
    one_time = costs.loc["fine-tuning", "one_time_dollars"]
    if months <= PAYBACK_MONTHS:
        return advice(
            "fine-tuning",
            f"At {answers.requests_per_month:,} requests a month, the fine-tuned model's shorter, faster "
            f"requests repay its one-time cost (${one_time:,.2f}) in {duration(months)}.",
            accuracy_reason(figures),
            upkeep,
        )
    payback = "never" if math.isinf(months) else f"only after {duration(months)}"
    return advice(
        "prompting",
        "Speed and flexibility matter most, and a prompt changes instantly.",
        f"At {answers.requests_per_month:,} requests a month, the fine-tune's one-time cost (${one_time:,.2f}) "
        f"would be repaid {payback}.",
        accuracy_reason(figures),
    )


def _with_classical(advice: Recommendation, figures: Figures, answers: Answers) -> Recommendation:
    """Rule 6: a classical classifier that was measured clearly better than the approach advised is the advice; one
    level with it is named as the cheaper choice (it needs the labelled data, no GPU)."""
    if "classical" not in figures.accuracy or answers.labelled_examples < (figures.examples_needed or 0):
        return advice
    measured = (
        f"A classical classifier (TF-IDF + logistic regression) on the same labelled data: "
        f"{figures.accuracy['classical']:.0%}"
    )
    against, verdict = (
        (prompting_side(figures), figures.classical_vs_prompting)
        if advice.approach == "prompting"
        else ("the fine-tune", figures.classical_verdict)
    )
    if verdict == "better":
        return Recommendation(
            "classical", [measured + f", clearly more accurate than {against}.", *advice.reasons], advice.costs
        )
    if verdict == "too close to call":
        advice.reasons.append(
            measured + f", within chance of {against}, at a fraction of its cost per request: try it first."
        )
    return advice


def render(recommendation: Recommendation) -> str:
    """The recommendation as a small HTML block: approach, reasons, cost table."""
    reasons = "".join(f"<li>{reason}</li>" for reason in recommendation.reasons)
    money = "${:,.2f}".format
    table = recommendation.costs.to_html(
        formatters={
            "accuracy": "{:.0%}".format,
            "one_time_dollars": money,
            "dollars_per_1000_requests": "${:,.4f}".format,
            "dollars_per_month": money,
            "dollars_first_year": money,
        }
    )
    return f"<h4>Recommendation: {recommendation.approach}</h4><ul>{reasons}</ul>{table}"


def decision_form(figures: Figures, answers: Answers | None = None):
    """An ipywidgets form with the seed's questions; the advice below it updates on every change.

    Returns the form (a VBox); `form.answers()` reads the current answers and
    `form.result` is the HTML widget that shows the advice.
    """
    import ipywidgets as widgets

    check_figures(figures)
    answers = answers or Answers()
    wide = {"description_width": "260px"}
    controls = {
        "priority": widgets.ToggleButtons(
            options=[("Accuracy in a niche", "niche_accuracy"), ("Speed and flexibility", "speed_flexibility")],
            value=answers.priority,
            description="What matters most?",
            style=wide,
        ),
        "gpu_budget": widgets.Checkbox(value=answers.gpu_budget, description="We have a GPU budget"),
        "time_to_train": widgets.Checkbox(
            value=answers.time_to_train, description="We have time to train and redeploy"
        ),
        "ml_skills": widgets.Checkbox(value=answers.ml_skills, description="We have ML skills in the team"),
        "labelled_examples": widgets.BoundedIntText(
            value=answers.labelled_examples, min=0, max=10_000_000, description="Labelled examples we have:", style=wide
        ),
        "changes": widgets.ToggleButtons(
            options=list(CHANGE_RATES), value=answers.changes, description="Requirements change:", style=wide
        ),
        "many_tasks": widgets.Checkbox(value=answers.many_tasks, description="One model must serve many tasks"),
        "requests_per_month": widgets.BoundedIntText(
            value=answers.requests_per_month, min=0, max=10**12, description="Requests per month:", style=wide
        ),
        "price_per_hour": widgets.BoundedFloatText(
            value=answers.price_per_hour,
            min=0,
            max=1000,
            step=0.1,
            description="Assumed $ per machine hour:",
            style=wide,
        ),
        "dollars_per_label": widgets.BoundedFloatText(
            value=answers.dollars_per_label,
            min=0,
            max=1000,
            step=0.01,
            description="Assumed $ per new label:",
            style=wide,
        ),
        "setup_hours": widgets.BoundedFloatText(
            value=answers.setup_hours,
            min=0,
            max=10_000,
            step=1,
            description="Assumed hours of work to fine-tune once:",
            style=wide,
        ),
        "dollars_per_work_hour": widgets.BoundedFloatText(
            value=answers.dollars_per_work_hour,
            min=0,
            max=10_000,
            step=1,
            description="Assumed $ per hour of that work:",
            style=wide,
        ),
    }
    result = widgets.HTML()

    def current_answers() -> Answers:
        return replace(answers, **{name: control.value for name, control in controls.items()})

    def update(_=None):
        result.value = render(recommend(current_answers(), figures))

    for control in controls.values():
        control.observe(update, names="value")
    update()
    form = widgets.VBox(list(controls.values()) + [result])
    form.controls, form.result, form.answers = controls, result, current_answers
    return form
