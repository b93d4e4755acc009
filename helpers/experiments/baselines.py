"""The yardsticks every result is read against: chance, the majority label, and a classical classifier.

    chance_accuracy(labels)                                   # 1 / number of labels
    majority_predictions(train_labels, n)                     # always the commonest training label
    tfidf_predictions(train_texts, train_labels, test_texts)  # TF-IDF + logistic regression

The classical baseline is what an engineer tries before any language model: count the words of each
labelled text (TF-IDF weights), fit a logistic regression, predict. It trains in about a second on a CPU
from the same labelled examples a fine-tune gets, so a fine-tune or a prompt means something only when
it beats it. scikit-learn does the work; nothing here is part of the lesson's machinery.
"""

from collections import Counter

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from ..core.config import SEED
from ..core.errors import CourseError


def chance_accuracy(labels) -> float:
    """What guessing uniformly among the labels scores on average."""
    labels = set(labels)
    if not labels:
        raise CourseError("Chance needs at least one label.")
    return 1 / len(labels)


def majority_predictions(train_labels, n: int) -> list:
    """`n` predictions, all the most common label of the training data (ties: the first seen)."""
    counts = Counter(train_labels)
    if not counts:
        raise CourseError("The majority baseline needs at least one labelled training example.")
    return [counts.most_common(1)[0][0]] * n


def tfidf_predictions(train_texts, train_labels, test_texts) -> list:
    """Train TF-IDF (words and word pairs) + logistic regression on the labelled texts; predict the test texts."""
    train_texts, train_labels = list(train_texts), list(train_labels)
    if len(train_texts) != len(train_labels):
        raise CourseError(
            f"Got {len(train_texts)} training texts but {len(train_labels)} labels: give one label per text."
        )
    if len(set(train_labels)) < 2:
        raise CourseError("The classical baseline needs labelled examples of at least two different labels.")
    classifier = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), LogisticRegression(max_iter=2000, random_state=SEED)
    )
    return list(classifier.fit(train_texts, train_labels).predict(list(test_texts)))
