import pandas as pd
import pytest

from helpers.core.errors import CourseError
from helpers.prompting import tasks
from helpers.prompting.consistency import (
    UNPARSED,
    across_paraphrases,
    across_seeds,
    agreement,
    consistency,
    prediction_key,
    reworded,
)
from helpers.prompting.prompts import catalog, zero_shot_reviews, zero_shot_tickets
from helpers.prompting.tasks import REVIEWS as REVIEW_TASK
from helpers.prompting.tasks import get_task

REVIEWS = pd.DataFrame(
    {"text": ["I love it", "It broke", "Meh, half good"], "label": ["very_positive", "negative", "mixed"]}
)


def test_agreement_is_the_share_of_variants_giving_the_most_common_answer():
    predictions = pd.DataFrame(
        {
            "a": ["positive", "mixed", None],
            "b": ["positive", "negative", None],
            "c": ["positive", "negative", "mixed"],
            "d": ["positive", "positive", None],
        }
    )
    assert list(agreement(predictions)) == [1.0, 0.5, 0.75]
    assert consistency(predictions) == {"agreement": pytest.approx(0.75), "unanimous": pytest.approx(1 / 3)}


def test_prediction_key_makes_json_fields_comparable_and_names_unparsed_answers():
    assert prediction_key({"b": 1, "a": None}) == prediction_key({"a": None, "b": 1})
    assert prediction_key(None) == prediction_key(float("nan")) == UNPARSED
    assert prediction_key("mixed") == "mixed"


def test_reworded_replaces_the_instruction_in_every_turn():
    pool = pd.DataFrame({"text": ["Great", "Awful"], "label": ["very_positive", "very_negative"]})
    few_shot = catalog(tasks.REVIEWS, pool=pool, k=2)["few_shot_random"]
    messages = reworded(few_shot, tasks.REVIEWS, "NEW WORDING")("Nice kettle")
    user_turns = [m["content"] for m in messages if m["role"] == "user"]
    assert len(user_turns) == 3 and all(t.startswith("NEW WORDING") for t in user_turns)
    assert not any(REVIEW_TASK.instruction in t for t in user_turns)


def test_every_paraphrase_names_every_allowed_answer():
    for task, labels in [
        ("reviews", ["very_negative", "neutral", "very_positive"]),
        ("synthetic_reviews", ["very_negative", "mixed", "very_positive"]),
        ("tickets", ["Pulse Plug P2", "how_to", "medium", "HH-48213"]),
    ]:
        paraphrases = get_task(task).paraphrases
        assert len(paraphrases) >= 3 and paraphrases[0] == get_task(task).instruction
        assert all(label in wording for wording in paraphrases for label in labels)


def test_across_paraphrases_gives_one_column_and_one_summary_per_wording(tiny_model, tokenizer):
    predictions, summaries = across_paraphrases(
        tiny_model, tokenizer, zero_shot_reviews, REVIEWS, tasks.REVIEWS, max_new_tokens=3
    )
    assert predictions.shape == (3, len(REVIEW_TASK.paraphrases))
    assert list(summaries["variant"]) == list(predictions.columns)
    assert 0 <= consistency(predictions)["agreement"] <= 1


def test_across_seeds_samples_with_each_seed_and_is_reproducible(tiny_model, tokenizer):
    first, summaries = across_seeds(
        tiny_model, tokenizer, zero_shot_reviews, REVIEWS, tasks.REVIEWS, seeds=(0, 1), max_new_tokens=3
    )
    again, _ = across_seeds(
        tiny_model, tokenizer, zero_shot_reviews, REVIEWS, tasks.REVIEWS, seeds=(0, 1), max_new_tokens=3
    )
    assert list(first.columns) == ["seed 0", "seed 1"] and len(summaries) == 2
    assert first.map(prediction_key).equals(again.map(prediction_key))


@pytest.mark.parametrize(
    "call",
    [
        lambda m, t: agreement(pd.DataFrame({"only": ["mixed"]})),
        lambda m, t: reworded(zero_shot_reviews, tasks.REVIEWS, "  "),
        lambda m, t: reworded(zero_shot_tickets, tasks.REVIEWS, "New words")("text"),
        lambda m, t: across_paraphrases(m, t, zero_shot_reviews, REVIEWS, tasks.REVIEWS, wordings=["one"]),
        lambda m, t: across_seeds(m, t, zero_shot_reviews, REVIEWS, tasks.REVIEWS, seeds=(1, 1)),
        lambda m, t: across_seeds(m, t, zero_shot_reviews, REVIEWS, tasks.REVIEWS, temperature=0),
        lambda m, t: across_seeds(m, t, zero_shot_reviews, REVIEWS, "poems"),
    ],
)
def test_bad_input_gets_a_course_error(call, tiny_model, tokenizer):
    with pytest.raises(CourseError):
        call(tiny_model, tokenizer)
