"""How sure can we be? An interval for every accuracy, and a paired test for two methods on the same examples.

    accuracy_interval(scores)                  # (accuracy, low, high): its 95% interval
    compare_paired(a_scores, b_scores)        # PairedComparison: difference, its 95% interval, sign-test p
    verdict(a_scores, b_scores)               # "A better", "B better" or "too close to call" (interval and sign test)

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
    a_better: int  # examples where A scored higher (right where B was wrong)
    b_better: int  # and the other way round
    difference: float  # accuracy_a - accuracy_b
    low: float  # its 95% interval
    high: float
    p_value: float  # exact sign test (McNemar's for right/wrong): could the differences be a coin's?

    @property
    def verdict(self) -> str:
        """'A better', 'B better' or 'too close to call': the interval of the difference must exclude zero and the
        sign test agree (p below 5%), so a handful of examples that all differ alike (a zero-width t interval) decide
        nothing."""
        if self.p_value >= 1 - CONFIDENCE:
            return "too close to call"
        if self.low > 0:
            return "A better"
        if self.high < 0:
            return "B better"
        return "too close to call"

    def describe(self, name_a: str = "A", name_b: str = "B") -> str:
        """One sentence with both accuracies, the difference, its interval, the test and the verdict."""
        winner = {"A better": f"{name_a} is better", "B better": f"{name_b} is better"}.get(
            self.verdict, "too close to call"
        )
        return (
            f"{name_a} {self.accuracy_a:.0%} vs {name_b} {self.accuracy_b:.0%} on the same {self.n} examples: "
            f"difference {self.difference:+.0%} (95% interval {self.low:+.0%} to {self.high:+.0%}; "
            f"{name_a} better on {self.a_better}, {name_b} on {self.b_better}; p = {self.p_value:.2g}): {winner}."
        )


def compare_paired(a_scores, b_scores, confidence: float = CONFIDENCE) -> PairedComparison:
    """Compare two methods answered on the same examples: per-example scores (True/False or 0..1), same order."""
    a, b = _as_scores(a_scores, "a_scores"), _as_scores(b_scores, "b_scores")
    if len(a) != len(b):
        raise CourseError(
            f"A paired comparison needs both methods on the same examples: got {len(a)} and {len(b)} outcomes."
        )
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
    lower = difference - math.sqrt(
        max((p_a - low_a) ** 2 - 2 * phi * (p_a - low_a) * (high_b - p_b) + (high_b - p_b) ** 2, 0)
    )
    upper = difference + math.sqrt(
        max((high_a - p_a) ** 2 - 2 * phi * (high_a - p_a) * (p_b - low_b) + (p_b - low_b) ** 2, 0)
    )
    return max(-1.0, lower), min(1.0, upper)


def verdict(a_scores, b_scores) -> str:
    """'A better', 'B better' or 'too close to call' for two methods on the same examples."""
    return compare_paired(a_scores, b_scores).verdict


# --- Methods trained several times: intervals over training seeds and examples ---------------------------------

BOOTSTRAP_REPLICATES = 4000


def _runs(run_scores, name: str) -> np.ndarray:
    """Per-run, per-example scores as a (runs, examples) array."""
    runs = [_as_scores(scores, name) for scores in run_scores]
    if not runs or len({len(run) for run in runs}) != 1:
        raise CourseError(
            f"{name} must be one or more runs, each with one score per example, all on the same examples."
        )
    return np.stack(runs)


def _bootstrap_means(runs: np.ndarray, examples: np.ndarray, rng) -> np.ndarray:
    """For each replicate (a row of `examples`, drawn with replacement), the mean over runs drawn with replacement."""
    per_run = runs[:, examples].mean(axis=-1)  # (runs, replicates)
    weights = rng.multinomial(len(runs), [1 / len(runs)] * len(runs), size=examples.shape[0]) / len(runs)
    return (weights * per_run.T).sum(axis=1)


def run_interval(run_scores, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """(mean accuracy, low, high) of a method run one or more times (training seeds, or draws of few-shot examples)
    on the same examples. One run: `accuracy_interval`. Several: a bootstrap over both the runs and the examples,
    so the interval covers what another training seed could give, not only another test sample."""
    runs = _runs(run_scores, "run_scores")
    if len(runs) == 1:
        return accuracy_interval(runs[0], confidence)
    rng = np.random.default_rng(0)
    means = _bootstrap_means(runs, rng.integers(0, runs.shape[1], (BOOTSTRAP_REPLICATES, runs.shape[1])), rng)
    low, high = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2])
    return float(runs.mean()), float(low), float(high)


def format_runs(run_scores) -> str:
    """'54% (49-58%, n=500, 3 runs: 51-56%)': the mean accuracy, its interval over runs and examples, and the
    spread of the runs' own accuracies; one run reads as `format_accuracy`. A run is a training seed of a fine-tune or
    a draw of a few-shot prompt's solved examples."""
    runs = _runs(run_scores, "run_scores")
    if len(runs) == 1:
        return format_accuracy(runs[0])
    accuracy, low, high = run_interval(runs)
    per_run = runs.mean(axis=1)
    return (
        f"{accuracy:.0%} ({100 * low:.0f}-{high:.0%}, n={runs.shape[1]}, {len(runs)} runs: "
        f"{100 * per_run.min():.0f}-{per_run.max():.0%})"
    )


@dataclass(frozen=True)
class MethodComparison:
    """Method A against method B on the same n examples, each run one or more times (seeds)."""

    n: int
    runs_a: int
    runs_b: int
    accuracy_a: float  # mean over A's runs
    accuracy_b: float
    difference: float  # accuracy_a - accuracy_b
    low: float  # its 95% interval, over examples and runs (one run each: `compare_paired`'s)
    high: float
    p_value: float  # one run each: the exact sign test; else the bootstrap's two-sided share
    runs_agree: bool  # every run of A against every run of B differs in the same direction
    runs_tie: bool  # every run of A scores exactly as every run of B

    @property
    def verdict(self) -> str:
        """'A better', 'B better' or 'too close to call': the interval must exclude zero (and, for one run each, the
        sign test agree, as `PairedComparison.verdict`)."""
        if self.p_value >= 1 - CONFIDENCE:
            return "too close to call"
        return "A better" if self.low > 0 else "B better" if self.high < 0 else "too close to call"

    def _runs_pattern(self) -> str:
        if self.runs_tie:
            return "every pair of runs scores the same"
        return f"{'every' if self.runs_agree else 'not every'} pair of runs differs the same way"

    def describe(self, name_a: str = "A", name_b: str = "B") -> str:
        """One sentence with both accuracies, the difference, its interval and the verdict (and the runs behind
        them)."""
        winner = {"A better": f"{name_a} is better", "B better": f"{name_b} is better"}.get(
            self.verdict, "too close to call"
        )
        runs = (
            ""
            if self.runs_a == self.runs_b == 1
            else (f"; {self.runs_a} and {self.runs_b} runs, interval over runs and examples, {self._runs_pattern()}")
        )
        return (
            f"{name_a} {self.accuracy_a:.0%} vs {name_b} {self.accuracy_b:.0%} on the same {self.n} examples: "
            f"difference {self.difference:+.0%} (95% interval {self.low:+.0%} to {self.high:+.0%}{runs}): {winner}."
        )


def compare_methods(a_runs, b_runs, confidence: float = CONFIDENCE) -> MethodComparison:
    """Compare two methods answered on the same examples, each given as a list of runs (per-example scores).

    One run each: exactly `compare_paired`. Otherwise a paired bootstrap: the same examples are drawn for both
    methods, and each method's runs are drawn with replacement, so the interval of the difference covers both
    the test sample and the training seeds."""
    a, b = _runs(a_runs, "a_runs"), _runs(b_runs, "b_runs")
    if a.shape[1] != b.shape[1]:
        raise CourseError(f"A comparison needs both methods on the same examples: got {a.shape[1]} and {b.shape[1]}.")
    signs = {np.sign(x.mean() - y.mean()) for x in a for y in b}
    agree, tie = len(signs) == 1 and 0 not in signs, signs == {0}
    if len(a) == len(b) == 1:
        paired = compare_paired(a[0], b[0], confidence)
        return MethodComparison(
            paired.n,
            1,
            1,
            paired.accuracy_a,
            paired.accuracy_b,
            paired.difference,
            paired.low,
            paired.high,
            paired.p_value,
            agree,
            tie,
        )
    rng = np.random.default_rng(0)
    examples = rng.integers(0, a.shape[1], (BOOTSTRAP_REPLICATES, a.shape[1]))
    differences = _bootstrap_means(a, examples, rng) - _bootstrap_means(b, examples, rng)
    low, high = np.quantile(differences, [(1 - confidence) / 2, (1 + confidence) / 2])
    p_value = min(1.0, 2 * min((differences <= 0).mean(), (differences >= 0).mean()))
    return MethodComparison(
        a.shape[1],
        len(a),
        len(b),
        float(a.mean()),
        float(b.mean()),
        float(a.mean() - b.mean()),
        float(low),
        float(high),
        float(p_value),
        agree,
        tie,
    )
