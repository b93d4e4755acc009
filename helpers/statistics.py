"""How sure can we be? An interval for every accuracy, and a paired test for two methods on the same examples.

    accuracy_interval(scores)                  # (accuracy, low, high): its 95% interval
    compare_paired(a_scores, b_scores)        # PairedComparison: difference, its 95% interval, sign-test p
    verdict(a_scores, b_scores)               # "A better", "B better" or "too close to call" (interval and sign test agree)

An accuracy measured on n examples is a sample: on 5 examples a method that is right half the time
scores anywhere from 20% to 80%, so a single number needs its interval. Two methods answered on the
same examples are compared example by example (paired): only the examples where they differ say
which is better, and the exact sign test asks whether those differences lean one way more than a coin
would (for right/wrong outcomes this is McNemar's exact test). The difference's interval is, for
right/wrong outcomes, Newcombe's interval for paired proportions (method 10, built from Wilson
intervals: within -1..1 and sensible on small samples and at 0% or 100%); for scores between 0 and 1
(a ticket's share of correct fields) Student's t interval of the mean per-example difference, which
stays wide on a handful of examples, as it should.
"""
import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import binomtest, norm, t

from .errors import CourseError

CONFIDENCE = 0.95


def _as_scores(scores, name: str = "correct") -> np.ndarray:
    """Per-example scores as floats in [0, 1] (True/False count as 1/0)."""
    try:
        values = np.asarray(scores, dtype=float)
    except (TypeError, ValueError):
        raise CourseError(f"{name} must hold one number from 0 to 1 (or True/False) per example.") from None
    if values.ndim != 1 or len(values) == 0:
        raise CourseError(f"{name} must be a non-empty list of per-example outcomes, got shape {values.shape}.")
    if not ((values >= 0) & (values <= 1)).all():
        raise CourseError(f"{name} must hold one number from 0 to 1 (or True/False) per example.")
    return values


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of a proportion: `successes` out of `n`."""
    if n <= 0 or not 0 <= successes <= n:
        raise CourseError(f"Need 0 <= successes <= n and n >= 1 (got {successes} of {n}).")
    z = norm.ppf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))


def accuracy_interval(scores, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(accuracy, low, high) of per-example scores: the Wilson interval for right/wrong outcomes,
    Student's t interval of the mean for scores between 0 and 1 (clipped to 0..1)."""
    values = _as_scores(scores)
    if np.isin(values, (0, 1)).all():
        low, high = wilson_interval(int(values.sum()), len(values), confidence)
    else:
        low, high = _t_interval(values, confidence)
    return float(values.mean()), max(0.0, low), min(1.0, high)


def _t_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    """Student's t interval of the mean of `values`; one value says nothing about the spread: (-1, 1)."""
    if len(values) < 2:
        return -1.0, 1.0
    half = t.ppf(0.5 + confidence / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return float(values.mean() - half), float(values.mean() + half)


def format_accuracy(scores) -> str:
    """'72% (67-77%, n=300)': an accuracy as a learner should read it."""
    accuracy, low, high = accuracy_interval(scores)
    return f"{accuracy:.0%} ({100 * low:.0f}-{high:.0%}, n={len(_as_scores(scores))})"


@dataclass(frozen=True)
class PairedComparison:
    """Method A against method B on the same n examples."""
    n: int
    accuracy_a: float
    accuracy_b: float
    a_better: int           # examples where A scored higher (right where B was wrong)
    b_better: int           # and the other way round
    difference: float       # accuracy_a - accuracy_b
    low: float              # its 95% interval
    high: float
    p_value: float          # exact sign test (McNemar's for right/wrong): could the differences be a coin's?

    @property
    def verdict(self) -> str:
        """'A better', 'B better' or 'too close to call': the interval of the difference must exclude zero and the
        sign test agree (p below 5%), so a handful of examples that all differ alike (a zero-width t interval) decide nothing."""
        if self.p_value >= 1 - CONFIDENCE:
            return "too close to call"
        if self.low > 0:
            return "A better"
        if self.high < 0:
            return "B better"
        return "too close to call"

    def describe(self, name_a: str = "A", name_b: str = "B") -> str:
        """One sentence with both accuracies, the difference, its interval, the test and the verdict."""
        winner = {"A better": f"{name_a} is better", "B better": f"{name_b} is better"}.get(self.verdict, "too close to call")
        return (f"{name_a} {self.accuracy_a:.0%} vs {name_b} {self.accuracy_b:.0%} on the same {self.n} examples: "
                f"difference {self.difference:+.0%} (95% interval {self.low:+.0%} to {self.high:+.0%}; "
                f"{name_a} better on {self.a_better}, {name_b} on {self.b_better}; p = {self.p_value:.2g}): {winner}.")


def compare_paired(a_scores, b_scores, confidence: float = CONFIDENCE) -> PairedComparison:
    """Compare two methods answered on the same examples: per-example scores (True/False or 0..1), same order."""
    a, b = _as_scores(a_scores, "a_scores"), _as_scores(b_scores, "b_scores")
    if len(a) != len(b):
        raise CourseError(f"A paired comparison needs both methods on the same examples: got {len(a)} and {len(b)} outcomes.")
    n, a_better, b_better = len(a), int((a > b).sum()), int((b > a).sum())
    p_value = 1.0 if a_better + b_better == 0 else float(binomtest(a_better, a_better + b_better, 0.5).pvalue)
    difference = float(a.mean() - b.mean())
    if np.isin(a, (0, 1)).all() and np.isin(b, (0, 1)).all():
        both = int(((a == 1) & (b == 1)).sum())
        low, high = _newcombe_paired(both, a_better, b_better, n - both - a_better - b_better, confidence)
    else:
        low, high = _t_interval(a - b, confidence)
        low, high = max(-1.0, low), min(1.0, high)
    return PairedComparison(n, float(a.mean()), float(b.mean()), a_better, b_better, difference, low, high, p_value)


def _newcombe_paired(both: int, only_a: int, only_b: int, neither: int, confidence: float) -> tuple[float, float]:
    """Newcombe's (1998) method 10: interval of p_a - p_b for paired outcomes, from Wilson intervals."""
    n = both + only_a + only_b + neither
    p_a, p_b = (both + only_a) / n, (both + only_b) / n
    low_a, high_a = wilson_interval(both + only_a, n, confidence)
    low_b, high_b = wilson_interval(both + only_b, n, confidence)
    product = (both + only_a) * (neither + only_b) * (both + only_b) * (neither + only_a)
    cross = both * neither - only_a * only_b
    phi = 0.0 if product == 0 else (max(cross - n / 2, 0) if cross > 0 else cross) / math.sqrt(product)
    difference = p_a - p_b
    lower = difference - math.sqrt(max((p_a - low_a) ** 2 - 2 * phi * (p_a - low_a) * (high_b - p_b) + (high_b - p_b) ** 2, 0))
    upper = difference + math.sqrt(max((high_a - p_a) ** 2 - 2 * phi * (high_a - p_a) * (p_b - low_b) + (p_b - low_b) ** 2, 0))
    return max(-1.0, lower), min(1.0, upper)


def verdict(a_scores, b_scores) -> str:
    """'A better', 'B better' or 'too close to call' for two methods on the same examples."""
    return compare_paired(a_scores, b_scores).verdict
