import pytest

from helpers.core.errors import CourseError
from helpers.experiments.style import HOUSE_STYLE, RULES, SIGN_OFF, check_reply, style_score

FACTS = {"name": "Sofia", "product": "Pulse Plug P2", "order_id": "HH-29435", "issue_type": "delivery"}
GOOD = (
    "Hi Sofia,\n\nThank you for writing to us about your Pulse Plug P2. I have pulled up order HH-29435. Our delivery "
    "team is tracing the parcel now and will send you an update within 3 working days. We are here if you need "
    "anything else in the meantime.\n\n" + SIGN_OFF
)


def test_a_house_style_reply_meets_every_rule():
    assert check_reply(GOOD, FACTS) == {rule: True for rule in RULES}
    assert style_score(GOOD, FACTS) == 1.0


@pytest.mark.parametrize(
    "change, broken",
    [
        (lambda r: r.replace("Hi Sofia,", "Dear Sofia,"), {"greeting", "tone"}),
        (lambda r: r.replace("Hi Sofia,", "Hi there,"), {"greeting"}),
        (lambda r: r.replace("Pulse Plug P2", "P2"), {"product"}),
        (lambda r: r.replace("HH-29435", "HH 29435"), {"order"}),
        (lambda r: r.replace("within 3 working days", "soon"), {"next_step"}),
        (lambda r: r.replace("now and", "now!! And"), {"tone"}),
        (lambda r: r.replace("We are here", "Unfortunately we are here"), {"tone"}),
        (lambda r: r.replace("in the meantime.", "in the meantime. " + "More words. " * 30), {"length"}),
        (lambda r: "Hi Sofia,\n\nYour Pulse Plug P2, order HH-29435: within 2 hours.\n\n" + SIGN_OFF, {"length"}),
        (lambda r: r.replace(SIGN_OFF, "Best,\nSupport"), {"sign_off"}),
        (lambda r: r.replace(SIGN_OFF, "Warm wishes, The Halcyon Home team"), {"sign_off"}),
        # content: a fluent reply that makes things up fails, however well formed
        (lambda r: r.replace("We are here", "Your Orbit Hub X2 may be affected too. We are here"), {"true_facts"}),
        (lambda r: r.replace("order HH-29435.", "order HH-29435 and order HH-11111."), {"true_facts"}),
        (lambda r: r.replace("We are here", "We have no refunds for your device. We are here"), {"no_invented_policy"}),
        (lambda r: r.replace("We are here", "It is still under warranty. We are here"), {"no_invented_policy"}),
        (lambda r: r.replace("We are here", "We cannot replace it. We are here"), {"no_invented_policy"}),
    ],
)
def test_each_broken_rule_is_caught_and_only_that_one(change, broken):
    checks = check_reply(change(GOOD), FACTS)
    assert {rule for rule, ok in checks.items() if not ok} == broken
    assert style_score(change(GOOD), FACTS) == pytest.approx(1 - len(broken) / len(RULES))


def test_without_a_name_or_an_order_the_reply_greets_everyone_and_asks_for_the_number():
    facts = {**FACTS, "name": None, "order_id": None}
    reply = GOOD.replace("Hi Sofia,", "Hi there,").replace(
        "I have pulled up order HH-29435.", "Could you reply with your order number?"
    )
    assert all(check_reply(reply, facts).values())
    assert not check_reply(GOOD, facts)["order"]  # an order number the customer never gave is made up
    assert not check_reply(GOOD, facts)["true_facts"]


def test_the_style_guide_states_every_rule_the_checker_applies():
    assert HOUSE_STYLE.count("\n") + 1 == 1 + len(RULES)
    for words in (
        "Hi there,",
        "full name",
        "HH-",
        "within 24 hours",
        "exclamation",
        "words",
        "Warm wishes,",
        "never another product",
        "no policy",
    ):
        assert words in HOUSE_STYLE


def test_bad_input_gets_a_clear_message():
    with pytest.raises(CourseError, match="A reply is a text"):
        check_reply(None, FACTS)
    with pytest.raises(CourseError, match="need order_id"):
        check_reply(GOOD, {"name": "Sofia", "product": "Pulse Plug P2", "issue_type": "delivery"})


@pytest.fixture
def tiny_style(monkeypatch, tmp_path, tokenizer):
    """The experiment on fresh tiny random models, with a temporary cache; counts the models loaded."""
    from helpers.experiments import style
    from helpers.llm.models import tiny_random_model

    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    loads = []

    def load_model(model_id):
        loads.append(model_id)
        return tiny_random_model(tokenizer), tokenizer

    monkeypatch.setattr(style, "load_model", load_model)
    return loads


@pytest.mark.slow
def test_the_style_experiment_measures_every_approach_on_the_same_tickets_and_caches(tiny_style):
    from helpers.experiments.style import StyleSettings, style_experiment

    settings = StyleSettings(
        model_id="tiny",
        n_train=4,
        n_validation=2,
        n_test=3,
        shots=(1, 2),
        steps=2,
        batch_size=2,
        max_new_tokens=4,
        seeds=(0, 1),
    )
    run = style_experiment(settings, progress=False)
    results = run["results"]
    assert list(results.index[:2]) == ["plain request", "style guide"] and results.index[-1] == "LoRA fine-tune"
    assert results.index[2] in ("style guide + 1 example", "style guide + 2 examples")
    assert set(run["choice"]["examples"]) == {1, 2} and set(run["losses"]) == {"0", "1"}  # a loss history per seed
    assert all(len(losses) == 2 for losses in run["losses"].values()) and results.loc["LoRA fine-tune", "runs"] == 2
    assert len(results.loc["LoRA fine-tune", "run_scores"]) == 2 and results.loc["style guide", "runs"] == 1
    for approach, row in results.iterrows():
        assert row["n"] == 3 and len(row["scores"]) == 3 and len(run["replies"][approach]) == 3
        assert 0 <= row["style_score"] <= 1 and row["style_score"] == pytest.approx(sum(row["scores"]) / 3)
    assert (
        results.loc["LoRA fine-tune", "training_seconds"] > 0
        and results.loc["LoRA fine-tune", "labelled_examples"] == 4
    )
    search = run["search"]  # the fine-tune's learning rate chosen on validation, as the prompts' examples are
    assert list(search["learning_rate"]) == pytest.approx(settings.learning_rates)
    assert results.loc["LoRA fine-tune", "learning_rate"] == search.loc[search["style_score"].idxmax(), "learning_rate"]
    assert (
        results.loc["style guide", "prompt_tokens"] > results.loc["plain request", "prompt_tokens"]
    )  # the guide costs tokens
    loads = len(tiny_style)
    again = style_experiment(settings, progress=False)
    assert len(tiny_style) == loads and again["results"].equals(results)  # read from the cache


@pytest.mark.slow
def test_a_stopped_style_fine_tune_is_not_cached(tiny_style, monkeypatch):
    from helpers.experiments import style

    real_train = style.train_model

    def stopped(*args, **kwargs):
        result = real_train(*args, **{**kwargs, "steps": 1})
        result.interrupted = True
        return result

    monkeypatch.setattr(style, "train_model", stopped)
    settings = style.StyleSettings(
        model_id="tiny",
        n_train=4,
        n_validation=2,
        n_test=2,
        shots=(1,),
        steps=2,
        batch_size=2,
        max_new_tokens=3,
        seeds=(0,),
    )
    with pytest.raises(CourseError, match="stopped after 1 of 2 steps"):
        style.style_experiment(settings, progress=False)
    monkeypatch.setattr(style, "train_model", real_train)
    assert len(style.style_experiment(settings, progress=False)["losses"]["0"]) == 2


@pytest.mark.slow
def test_the_fine_tune_does_not_depend_on_what_the_process_ran_before(tokenizer, tmp_path, monkeypatch):
    import torch

    from helpers.experiments import style
    from helpers.llm.models import tiny_random_model

    loads = []

    def load_model(model_id):  # each load leaves the random numbers in another state, as other work in a process would
        loads.append(model_id)
        model = tiny_random_model(tokenizer)
        torch.rand(len(loads))
        return model, tokenizer

    monkeypatch.setattr(style, "load_model", load_model)
    settings = style.StyleSettings(
        model_id="tiny",
        n_train=4,
        n_validation=2,
        n_test=2,
        shots=(1,),
        steps=2,
        batch_size=2,
        max_new_tokens=3,
        seeds=(0,),
        learning_rates=(1e-3,),
    )
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "first"))
    first = style.style_experiment(settings, progress=False)
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "again"))  # an empty cache: measured again
    again = style.style_experiment(settings, progress=False)
    assert len(loads) == 6 and again["losses"] == first["losses"]  # each run: the base, the fine-tune, its read-back
