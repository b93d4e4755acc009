import os
import time

import pytest

from helpers.core.errors import CourseError
from helpers.llm.models import tiny_random_model
from helpers.prompting.house_style import HOUSE_STYLE, RULES, SIGN_OFF, check_reply, style_score

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
def tiny_style(monkeypatch, tmp_path, tiny_loads):
    """The experiment on fresh tiny random models, with a temporary cache; the list of models loaded."""
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    return tiny_loads


TINY = dict(model_id="tiny", n_train=4, n_validation=2, n_test=3, batch_size=2, max_new_tokens=4)


def test_a_reply_is_a_task_scored_by_the_house_style():
    from helpers.prompting.evaluation import score_answers
    from helpers.prompting.prompts import catalog
    from helpers.prompting.tasks import REPLIES, get_task

    assert get_task("replies") is REPLIES and set(catalog(REPLIES)) == {"zero_shot", "role"}  # the guide: its role
    rows = REPLIES.split("test").head(2)
    details = score_answers([rows["reply"].iloc[0], "Hi there, thanks!"], rows, REPLIES)
    assert list(details["score"]) == [1.0, style_score("Hi there, thanks!", rows["facts"].iloc[1])]
    assert list(details["correct"]) == [True, False] and details["expected"].iloc[0] == rows["reply"].iloc[0]


@pytest.mark.slow
def test_the_style_experiment_measures_every_approach_on_the_same_tickets_and_caches(tiny_style):
    from helpers.experiments.style import StyleSettings, style_experiment

    settings = StyleSettings(**TINY, shots=(1, 2), max_passes=2, seeds=(0, 1), learning_rates=(1e-3, 3e-3))
    run = style_experiment(settings, progress=False)
    results = run.results
    assert list(results.index[:2]) == ["plain request", "style guide"] and results.index[-1] == "LoRA fine-tune"
    assert results.index[2] in ("style guide + 1 example", "style guide + 2 examples")
    assert set(run.choice["examples"]) == {1, 2} and set(run.losses) == {"0", "1"}  # a loss history per seed
    tuned = results.loc["LoRA fine-tune"]
    assert all(len(losses) == 2 * tuned["passes"] for losses in run.losses.values()) and tuned["runs"] == 2
    assert len(tuned["run_scores"]) == 2 and results.loc["style guide", "runs"] == 1
    for approach, row in results.iterrows():
        assert row["n"] == 3 and len(row["scores"]) == 3 and len(run.replies[approach]) == 3
        assert 0 <= row["style_score"] <= 1 and row["style_score"] == pytest.approx(sum(row["scores"]) / 3)
        assert 0 <= row["all_rules"] <= min(row[rule] for rule in RULES)
    assert tuned["training_seconds"] > 0 and tuned["labelled_examples"] == 4
    search = run.search  # the recipe chosen on validation (rate and passes), as the prompts' examples are
    assert sorted(set(search["learning_rate"])) == pytest.approx(settings.learning_rates)
    assert set(search["passes"]) == {1, 2}
    best = search.sort_values(["style_score", "passes", "learning_rate"], ascending=[False, True, True]).iloc[0]
    assert search["style_score"].max() == best["style_score"]
    chosen = search[(search["learning_rate"] == tuned["learning_rate"]) & (search["passes"] == tuned["passes"])]
    assert chosen["style_score"].iloc[0] == search["style_score"].max()
    assert (
        results.loc["style guide", "prompt_tokens"] > results.loc["plain request", "prompt_tokens"]
    )  # the guide costs
    loads = len(tiny_style)
    again = style_experiment(settings, progress=False)
    assert len(tiny_style) == loads and again.results.equals(results)  # read from the cache


@pytest.mark.slow
def test_a_stopped_style_fine_tune_is_not_cached_and_the_runs_before_it_are(tiny_style, monkeypatch):
    from helpers.experiments import style
    from helpers.finetuning import tuning

    real_train = tuning.train
    calls = []

    def stopped_in_the_second_run(*args, **kwargs):
        calls.append(1)
        result = real_train(*args, **({**kwargs, "steps": 1} if len(calls) == 2 else kwargs))
        result.interrupted = result.interrupted or len(calls) == 2
        return result

    monkeypatch.setattr(tuning, "train", stopped_in_the_second_run)
    settings = style.StyleSettings(
        **{**TINY, "n_test": 2}, shots=(1,), max_passes=1, seeds=(0,), learning_rates=(1e-3, 3e-3)
    )
    with pytest.raises(CourseError, match="stopped after 1 of 2 steps"):
        style.style_experiment(settings, progress=False)
    monkeypatch.setattr(tuning, "train", lambda *args, **kwargs: calls.append(1) or real_train(*args, **kwargs))
    run = style.style_experiment(settings, progress=False)
    assert len(calls) == 3 and len(run.losses["0"]) == 2  # the first rate's run came from the cache


@pytest.mark.slow
def test_the_fine_tune_side_can_be_measured_on_its_own_and_the_experiment_reuses_it(tiny_style, monkeypatch):
    """A second process can take the fine-tune side while the first answers with the prompts."""
    from helpers.experiments import style
    from helpers.experiments.cache import entry
    from helpers.finetuning import tuning

    settings = style.StyleSettings(
        **{**TINY, "n_test": 2}, shots=(1,), max_passes=1, seeds=(0,), learning_rates=(1e-3,)
    )
    tuned = style.style_fine_tune(settings, progress=False)
    assert not entry("house-style-prompts", style._key(settings)).exists()  # the prompts were not needed
    monkeypatch.setattr(tuning, "train", lambda *args, **kwargs: pytest.fail("trained again"))
    run = style.style_experiment(settings, progress=False)
    assert (
        run.results.loc["LoRA fine-tune", "scores"] == pytest.approx(tuned["row"]["scores"])
        and list(run.replies)[-1] == "LoRA fine-tune"
    )


@pytest.mark.slow
def test_the_fine_tune_does_not_depend_on_what_the_process_ran_before(tokenizer, tmp_path, monkeypatch, tiny_loads):
    import torch

    from helpers.experiments import style
    from helpers.finetuning import tuning

    def load_model(model_id=None, device=None, dtype=None):  # each load leaves the random numbers in another state
        tiny_loads.append(model_id)
        torch.rand(len(tiny_loads))
        return tiny_random_model(tokenizer), tokenizer

    monkeypatch.setattr(style, "load_model", load_model)
    monkeypatch.setattr(tuning, "load_model", load_model)
    settings = style.StyleSettings(
        **{**TINY, "n_test": 2}, shots=(1,), max_passes=1, seeds=(0,), learning_rates=(1e-3,)
    )
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "first"))
    first = style.style_experiment(settings, progress=False)
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "again"))  # an empty cache: measured again
    again = style.style_experiment(settings, progress=False)
    assert len(tiny_loads) == 6 and again.losses == first.losses  # each: the base, the fine-tune, its read-back
    assert again.results.loc["LoRA fine-tune", "scores"] == first.results.loc["LoRA fine-tune", "scores"]


SHARE = """
import os, sys, time
sys.path.insert(0, os.getcwd())
from helpers.experiments import style
from helpers.finetuning import tuning
from helpers.llm.models import load_tokenizer, tiny_random_model

tokenizer = load_tokenizer()  # (from the course cache, before the experiment gets a cache of its own)
os.environ["COURSE_CACHE"] = sys.argv[2]
style.load_model = tuning.load_model = lambda *args, **kwargs: (tiny_random_model(tokenizer), tokenizer)
real_train = tuning.train


def train(*args, **kwargs):  # each training this process does, slowed so that the two overlap
    with open(sys.argv[1], "a") as log:
        log.write(f"{os.getpid()}\\n")
    time.sleep(2)
    return real_train(*args, **kwargs)


tuning.train = train
settings = style.StyleSettings(model_id="tiny", n_train=4, n_validation=2, n_test=2, batch_size=2, max_new_tokens=4,
                               shots=(1,), max_passes=1, seeds=(0, 1, 2), learning_rates=(1e-3, 3e-3))
print(style.style_fine_tune(settings, progress=False)["row"]["scores"])
"""


@pytest.mark.slow
def test_two_processes_share_the_fine_tune_side_each_run_trained_once(tmp_path):
    """The reference runs two processes: the second takes the learning rates and seeds the first is not measuring."""
    import subprocess
    import sys

    from helpers.core.config import REPO_ROOT

    log = tmp_path / "trainings"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-c", SHARE, str(log), str(tmp_path / "cache")]
    first = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True)
    time.sleep(1)
    second = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True)
    outputs = [process.communicate(timeout=600)[0] for process in (first, second)]
    results = [output.splitlines()[-1] for output in outputs]
    assert first.returncode == second.returncode == 0 and results[0] == results[1]  # the same result for both
    trainings = log.read_text().split()
    assert len(trainings) == 2 + 2  # each learning rate once, each seed but the search's own once
    assert len(set(trainings)) == 2  # and both processes trained some of them
