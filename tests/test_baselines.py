import numpy as np
import pytest

from helpers.core.errors import CourseError
from helpers.experiments import baselines
from helpers.prompting.data import REVIEW_LABELS, load_reviews


def test_chance_and_majority():
    assert baselines.chance_accuracy(REVIEW_LABELS) == pytest.approx(0.2)
    assert baselines.majority_predictions(["mixed", "positive", "positive"], 3) == ["positive"] * 3


def test_tfidf_learns_words_that_carry_the_label():
    texts = ["great, I love it", "love it, great value", "awful, it broke", "broke at once, awful"]
    labels = ["positive", "positive", "negative", "negative"]
    assert baselines.tfidf_predictions(texts, labels, ["I love it", "it broke"]) == ["positive", "negative"]


def test_tfidf_on_the_reviews_is_a_real_yardstick():
    train, test = load_reviews("train"), load_reviews("test")
    predictions = baselines.tfidf_predictions(train["text"], train["label"], test["text"])
    accuracy = np.mean(np.array(predictions) == test["label"].to_numpy())
    majority = np.mean(np.array(baselines.majority_predictions(train["label"], len(test))) == test["label"].to_numpy())
    assert 0.4 < accuracy < 0.7 and accuracy > majority + 0.1  # well above always answering the commonest shade


@pytest.mark.parametrize(
    "texts, labels, message",
    [
        (["a", "b"], ["x"], "one label per text"),
        (["a", "b"], ["x", "x"], "at least two different labels"),
    ],
)
def test_bad_training_data_gets_a_clear_message(texts, labels, message):
    with pytest.raises(CourseError, match=message):
        baselines.tfidf_predictions(texts, labels, ["c"])


def test_majority_needs_data():
    with pytest.raises(CourseError, match="at least one labelled"):
        baselines.majority_predictions([], 3)
