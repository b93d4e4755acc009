import pandas as pd
import pytest

from helpers.core.errors import CourseError
from helpers.prompting import playground
from helpers.prompting.playground import build_messages, build_playground, fill_template, parse_examples

REVIEWS = pd.DataFrame(
    {
        "text": ["I love it", "It broke", "Meh", "Great", "Awful"],
        "label": ["very_positive", "negative", "mixed", "positive", "very_negative"],
    }
)
TICKETS = pd.DataFrame(
    {
        "text": ["My P2 sparks! HH-12345"],
        "issue_type": ["defect"],
        "expected": [{"product": "Pulse Plug P2", "issue_type": "defect", "urgency": "high", "order_id": "HH-12345"}],
    }
)


@pytest.fixture
def app(tiny_model, tokenizer):
    app = build_playground(tiny_model, tokenizer, load=lambda task, split: REVIEWS if task == "reviews" else TICKETS)
    app.max_new_tokens.value = 4
    return app


def test_fill_template_and_examples():
    assert fill_template('Say {"a": 1} for {input}', "x") == 'Say {"a": 1} for x'
    assert parse_examples("good => positive\n\n bad  =>  negative ") == [("good", "positive"), ("bad", "negative")]
    messages = build_messages("Be brief.", "Q: {input}", "new", "old => answer")
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    assert messages[-1]["content"] == "Q: new" and messages[2]["content"] == "answer"


@pytest.mark.parametrize(
    "template, examples, message",
    [
        ("", "", "template is empty"),
        ("   ", "", "template is empty"),
        ("Classify this review", "", "no {input} slot"),
        ("{input}", "just a line", "has no '=>'"),
        ("{input}", "=> positive", "both sides"),
    ],
)
def test_prompt_mistakes_raise_clear_errors(template, examples, message):
    with pytest.raises(CourseError, match=message):
        build_messages("", template, "text", examples)


def test_both_tabs_carry_their_titles(app):
    # Set per tab, so ipywidgets 7 (Colab) shows them as well as ipywidgets 8.
    assert [app.tabs.get_title(index) for index in range(len(app.tabs.children))] == list(playground.TAB_TITLES)


def test_run_shows_the_answer_with_tokens_and_latency(app):
    app.run_button.click()
    assert "prompt tokens" in app.output_text and "output tokens" in app.output_text and app.output_text.endswith(" s")
    assert "prompt tokens" in app.output.value  # what the learner sees
    assert f"{app.answer.prompt_tokens} prompt tokens" in app.output_text and app.answer.text in app.output_text


def test_the_answer_is_streamed_into_the_output_area(app):
    shown = []
    app.output.observe(lambda change: shown.append(change["new"]), names="value")
    app.max_new_tokens.value = 12
    app.run_button.click()
    partial = [value for value in shown if "▌" in value]
    assert partial, "the output area should show the answer while it is being written"
    assert f"first token after {app.answer.first_token_seconds:.2f} s" in app.output_text
    assert "▌" not in app.output.value  # the finished answer replaces the cursor


def test_greedy_runs_are_repeatable_and_examples_cost_tokens(app):
    def answer_and_prompt_tokens():
        answer, cost = app.run().split("— ")
        return answer, int(cost.split()[0])

    first = answer_and_prompt_tokens()
    assert answer_and_prompt_tokens() == first
    app.examples.value = "It is great => positive\nIt is bad => negative"
    assert answer_and_prompt_tokens()[1] > first[1]


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(template=""), "template is empty"),
        (dict(template="Classify the review."), "no {input} slot"),
        (dict(input="  "), "input is empty"),
        (dict(examples="no arrow here"), "has no '=>'"),
    ],
)
def test_bad_input_shows_a_message_and_the_app_keeps_working(app, change, message):
    good = {name: getattr(app, name).value for name in change}
    for name, value in change.items():
        getattr(app, name).value = value
    app.run_button.click()
    assert app.output_text.startswith("⚠️") and message in app.output_text
    for name, value in good.items():
        getattr(app, name).value = value
    app.run_button.click()
    assert "prompt tokens" in app.output_text


def test_extreme_slider_values_are_clamped_and_still_answer(app):
    app.temperature.value, app.top_p.value, app.max_new_tokens.value = 99, 0, 10_000
    assert (app.temperature.value, app.top_p.value, app.max_new_tokens.value) == (2.0, 0.05, 256)
    app.max_new_tokens.value = 3
    app.run_button.click()
    assert "prompt tokens" in app.output_text
    app.max_new_tokens.value = -5
    assert app.max_new_tokens.value == 1


def test_unexpected_errors_are_shown_not_raised(app, monkeypatch):
    monkeypatch.setattr("helpers.prompting.playground.generate", lambda *a, **k: 1 / 0)
    app.run_button.click()
    assert "Unexpected problem (ZeroDivisionError)" in app.output_text


def test_compare_scores_both_prompts_on_the_same_examples(app):
    app.n_examples.value = 3
    app.compare_button.click()
    assert app.compare_text.startswith("Accuracy on 3 validation examples")
    assert list(app.compare_results["pattern"]) == ["A", "B"] and (app.compare_results["n"] == 3).all()
    accuracy = app.compare_results.set_index("pattern")["accuracy"]
    paired = app.compare_paired  # B against A on the same three examples
    assert paired.n == 3 and paired.difference == pytest.approx(accuracy["B"] - accuracy["A"])
    assert (
        paired.verdict == "too close to call" and paired.describe("B", "A") in app.compare_text
    )  # 3 examples decide nothing
    app.method.value = "score"
    app.compare_button.click()
    assert (app.compare_results["unparseable_rate"] == 0).all()


def test_compare_reports_mistakes_in_either_prompt_and_unsupported_methods(app):
    app.prompt_b.template.value = "no slot"
    app.compare_button.click()
    assert "no {input} slot" in app.compare_text
    app.prompt_b.template.value = "{input}"
    app.task.value, app.method.value = "tickets", "score"
    app.compare_button.click()
    assert app.compare_text.startswith("⚠️") and "method='generate'" in app.compare_text
    app.method.value = "generate"
    app.compare_button.click()
    assert app.compare_text.startswith("Accuracy on 1 validation examples")
