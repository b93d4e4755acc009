import numpy as np
import pytest

from helpers.core import statistics
from helpers.core.errors import CourseError


@pytest.mark.parametrize(
    "successes, n, low, high",
    [
        (81, 263, 0.2553, 0.3662),  # Newcombe (1998, proportions), example (a): 81/263
        (15, 148, 0.0624, 0.1605),  # example (b)
        (0, 20, 0.0, 0.1611),  # example (c): none of 20
        (1, 29, 0.0061, 0.1718),  # example (d)
    ],
)
def test_wilson_interval_matches_published_values(successes, n, low, high):
    assert statistics.wilson_interval(successes, n) == pytest.approx((low, high), abs=1e-4)


def test_accuracy_interval_shrinks_with_more_examples():
    small = statistics.accuracy_interval([True, False] * 5)
    large = statistics.accuracy_interval([True, False] * 150)
    assert small[0] == large[0] == 0.5
    assert small[2] - small[1] > 0.5 and large[2] - large[1] < 0.12
    assert statistics.format_accuracy([True, False] * 150) == "50% (44-56%, n=300)"


def test_fractional_scores_get_a_t_interval():
    scores = [0.25, 0.5, 0.75, 1.0] * 50
    accuracy, low, high = statistics.accuracy_interval(scores)
    assert accuracy == 0.625 and 0.57 < low < accuracy < high < 0.68
    assert statistics.format_accuracy(scores).endswith("n=200)")


@pytest.mark.parametrize("bad", [[], [[True]], ["yes", "no"], [2, 0], [-0.5, 1]])
def test_scores_must_be_per_example_numbers_from_0_to_1(bad):
    with pytest.raises(CourseError):
        statistics.accuracy_interval(bad)


def test_paired_comparison_needs_the_same_examples():
    with pytest.raises(CourseError, match="same examples"):
        statistics.compare_paired([True, False], [True])


def test_mcnemar_counts_only_the_disagreements():
    # 90 examples both get right or wrong, then 10 disagreements all in A's favour: p = 2 * 0.5**10
    a = [True] * 50 + [False] * 40 + [True] * 10
    b = [True] * 50 + [False] * 40 + [False] * 10
    result = statistics.compare_paired(a, b)
    assert (result.a_better, result.b_better) == (10, 0)
    assert result.p_value == pytest.approx(2 * 0.5**10)
    assert result.difference == pytest.approx(0.10)
    assert result.verdict == "A better" and result.low > 0
    assert statistics.compare_paired(b, a).verdict == "B better"


def test_same_accuracy_on_the_same_examples_is_too_close_to_call():
    a = [True, False] * 50
    result = statistics.compare_paired(a, a)
    assert result.p_value == 1.0 and result.difference == 0 and result.verdict == "too close to call"
    assert result.low < 0 < result.high


def test_three_of_five_against_one_of_five_is_not_a_finding():
    # The kind of gap notebook 02 once called a finding: 60% vs 20% on five reviews.
    assert (
        statistics.verdict([True, True, True, False, False], [True, False, False, False, False]) == "too close to call"
    )


def test_newcombe_interval_agrees_with_a_paired_bootstrap():
    # Two correlated methods on 300 examples (as LoRA and a prompt on the reviews test split).
    rng = np.random.default_rng(0)
    a = rng.random(300) < 0.72
    b = np.where(rng.random(300) < 0.7, a, rng.random(300) < 0.34)
    result = statistics.compare_paired(a, b)
    draws = rng.integers(0, 300, size=(4000, 300))
    boot = a[draws].mean(axis=1) - b[draws].mean(axis=1)
    assert result.low == pytest.approx(np.quantile(boot, 0.025), abs=0.015)
    assert result.high == pytest.approx(np.quantile(boot, 0.975), abs=0.015)


def test_interval_stays_within_bounds_at_the_extremes():
    result = statistics.compare_paired([True] * 20, [False] * 20)
    assert result.difference == 1.0 and -1 <= result.low <= result.high <= 1 and result.verdict == "A better"
    result = statistics.compare_paired([True] * 20, [True] * 20)
    assert result.difference == 0 and result.verdict == "too close to call"


def test_describe_names_both_methods():
    text = statistics.compare_paired([True] * 8 + [False] * 2, [True] * 5 + [False] * 5).describe("LoRA", "prompt")
    assert text.startswith("LoRA 80% vs prompt 50% on the same 10 examples: difference +30%")
    assert "p = " in text and text.endswith(": too close to call.")
    assert statistics.compare_paired([True] * 30, [False] * 30).describe("LoRA", "prompt").endswith(": LoRA is better.")


def test_fractional_scores_get_a_t_interval_and_a_sign_test():
    # Tickets: each example scores the share of its four fields that are right.
    rng = np.random.default_rng(1)
    a = rng.choice([0, 0.25, 0.5, 0.75, 1], size=200, p=[0.1, 0.1, 0.2, 0.3, 0.3])
    b = np.clip(a - rng.choice([0, 0.25], size=200, p=[0.7, 0.3]), 0, 1)
    result = statistics.compare_paired(a, b)
    assert result.difference == pytest.approx(a.mean() - b.mean())
    assert 0 < result.low < result.difference < result.high and result.verdict == "A better"
    assert result.b_better == 0 and result.p_value < 1e-6
    half = 1.972 * np.std(a - b, ddof=1) / np.sqrt(200)  # Student's t, 199 degrees of freedom
    assert (result.low, result.high) == pytest.approx((result.difference - half, result.difference + half), abs=1e-3)


def test_two_examples_never_decide():
    # Two tickets, every field of one method wrong: a bootstrap would call it; a t interval does not.
    assert statistics.compare_paired([0, 0], [0.5, 0.25]).verdict == "too close to call"
    assert statistics.compare_paired([0.25], [1.0]).verdict == "too close to call"
    assert statistics.compare_paired([0, 0], [0.5, 0.5]).verdict == "too close to call"  # zero spread, two examples
    assert statistics.accuracy_interval([0.5]) == (0.5, 0.0, 1.0)


def test_several_runs_read_as_their_mean_interval_and_spread():
    runs = [[1.0] * 6 + [0.0] * 4, [1.0] * 4 + [0.0] * 6]  # two runs (seeds or draws) on the same 10 examples
    text = statistics.format_runs(runs)
    assert text.startswith("50% (") and text.endswith("n=10, 2 runs: 40-60%)")
    assert statistics.format_runs(runs[:1]) == statistics.format_accuracy(runs[0])  # one run: a plain accuracy


def test_several_runs_say_how_their_pairs_differ():
    zero, one = [0.0] * 20, [1.0] * 20
    half = [1.0] * 10 + [0.0] * 10
    same = statistics.compare_methods([zero, zero], [zero, zero, zero]).describe()
    assert "every pair of runs scores the same" in same and "too close to call" in same
    better = statistics.compare_methods([one, half], [zero, zero]).describe("tuned", "base")
    assert "every pair of runs differs the same way" in better and better.endswith("tuned is better.")
    mixed = statistics.compare_methods([half, one], [half, zero]).describe()
    assert "not every pair of runs differs the same way" in mixed
