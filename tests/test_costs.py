import math

import pytest

from helpers.core.costs import (
    break_even_requests,
    cost_per_1000_requests,
    dollars,
    gpu_seconds,
    token_cost_per_1000_requests,
    tokens_trained,
    training_flops,
)
from helpers.core.errors import CourseError


def test_training_flops_is_six_n_d_for_a_full_fine_tune_and_about_four_for_lora():
    assert training_flops(100, 10) == 6 * 100 * 10
    assert training_flops(100, 10, n_trainable=0) == 4 * 100 * 10
    assert training_flops(1_000_000, 10, n_trainable=1_000) == pytest.approx(4.002 * 1_000_000 * 10)


def test_tokens_trained_counts_steps_times_batch_times_mean_length():
    examples = [{"input_ids": [1] * 10}, {"input_ids": [1] * 20}]
    assert tokens_trained(examples, steps=3, batch_size=4) == 3 * 4 * 15


def test_dollars_and_cost_per_1000_requests():
    assert dollars(3600, 2.0) == pytest.approx(2.0)
    assert dollars(90, 4.0) == pytest.approx(0.1)
    assert cost_per_1000_requests(0.36, 10.0) == pytest.approx(1.0)  # 360 s of a $10/h machine


def test_gpu_seconds_divides_by_the_used_throughput():
    assert gpu_seconds(6e12, peak_flops_per_second=1e12, utilization=0.5) == pytest.approx(12.0)


def test_token_cost_prices_input_and_output_separately():
    assert token_cost_per_1000_requests(500, 10, 1.0, 4.0) == pytest.approx(1000 * (500 * 1 + 10 * 4) / 1e6)


def test_break_even_requests():
    assert break_even_requests(10.0, 3.0, 1.0) == pytest.approx(5000)
    assert break_even_requests(10.0, 1.0, 3.0) == math.inf
    assert break_even_requests(0.0, 1.0, 1.0) == 0.0


@pytest.mark.parametrize(
    "call",
    [
        lambda: training_flops(-1, 10),
        lambda: training_flops(10, 10, n_trainable=11),
        lambda: dollars(-5),
        lambda: dollars(5, price_per_hour="cheap"),
        lambda: gpu_seconds(1e12, utilization=0),
        lambda: gpu_seconds(1e12, peak_flops_per_second=0),
        lambda: tokens_trained([], 1, 1),
        lambda: cost_per_1000_requests(float("nan")),
    ],
)
def test_bad_input_gets_a_course_error(call):
    with pytest.raises(CourseError):
        call()
