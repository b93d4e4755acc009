"""What an approach costs: training compute once, then every request.

    flops = training_flops(n_parameters, n_tokens)                # ≈ 6·N·D for a full fine-tune
    one_time = dollars(training_seconds, price_per_hour=2.00)
    per_1000 = cost_per_1000_requests(latency_s, price_per_hour=2.00)

Training FLOPs: a forward pass costs about 2 FLOPs per parameter per token (one
multiply, one add). The backward pass costs about twice that: 2 for the gradient
with respect to the activations (needed to reach earlier layers, frozen or not)
and 2 for the gradient with respect to the weights (needed only for the weights
that train). So a full fine-tune costs ≈ 6·N·D and a LoRA fine-tune, where almost
every weight is frozen, ≈ 4·N·D, with N parameters and D training tokens.

Dollars: every price here is an *assumption* the learner sets (default: a GPU
rented at $2.00 an hour). Seconds are whatever was measured on the machine that
ran the work: on a laptop CPU that is far slower than the GPU whose price is
assumed, so `dollars(cpu_seconds)` is what the work would cost if that machine
were billed at the GPU's price. `gpu_seconds(flops, ...)` estimates the time on
a GPU from FLOPs, at a stated throughput, for the other view.
"""

import math

from .errors import CourseError

DEFAULT_PRICE_PER_HOUR = 2.00  # assumption: dollars per hour of a rented cloud GPU
DEFAULT_GPU_FLOPS = 65e12  # assumption: peak half-precision FLOP/s of an NVIDIA T4 (Colab's free GPU)
DEFAULT_UTILIZATION = 0.3  # assumption: share of peak a small fine-tune really uses


def _check_non_negative(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or value < 0:
        raise CourseError(f"{name} must be a number of at least 0 (got {value!r}).")
    return float(value)


def training_flops(n_parameters: int, n_tokens: int, n_trainable: int | None = None) -> float:
    """FLOPs to train on `n_tokens` tokens: 2·N·D forward + 2·N·D backward + 2·N_trainable·D for weight gradients.

    With every parameter trainable (the default) this is the well-known 6·N·D.
    """
    n_parameters = _check_non_negative("n_parameters", n_parameters)
    n_tokens = _check_non_negative("n_tokens", n_tokens)
    n_trainable = n_parameters if n_trainable is None else _check_non_negative("n_trainable", n_trainable)
    if n_trainable > n_parameters:
        raise CourseError(f"n_trainable ({n_trainable:.0f}) cannot exceed n_parameters ({n_parameters:.0f}).")
    return (4 * n_parameters + 2 * n_trainable) * n_tokens


def tokens_trained(examples: list[dict], steps: int, batch_size: int) -> int:
    """Tokens the model read while training: steps × batch size × the mean example length (no padding counted)."""
    if not examples:
        raise CourseError("No training examples: pass the list built by helpers.finetuning.training.sft_examples.")
    mean_length = sum(len(e["input_ids"]) for e in examples) / len(examples)
    return round(_check_non_negative("steps", steps) * _check_non_negative("batch_size", batch_size) * mean_length)


def dollars(seconds: float, price_per_hour: float = DEFAULT_PRICE_PER_HOUR) -> float:
    """What `seconds` of a machine cost at `price_per_hour` dollars an hour."""
    return _check_non_negative("seconds", seconds) / 3600 * _check_non_negative("price_per_hour", price_per_hour)


def gpu_seconds(
    flops: float, peak_flops_per_second: float = DEFAULT_GPU_FLOPS, utilization: float = DEFAULT_UTILIZATION
) -> float:
    """Estimated seconds on a GPU of the given peak throughput, of which `utilization` is really used."""
    flops = _check_non_negative("flops", flops)
    if not peak_flops_per_second > 0:
        raise CourseError(
            f"peak_flops_per_second must be positive (got {peak_flops_per_second!r}); a T4 does about 65e12."
        )
    if not 0 < utilization <= 1:
        raise CourseError(
            f"utilization must be above 0 and at most 1 (got {utilization!r}); 0.3 is typical for small models."
        )
    return flops / (peak_flops_per_second * utilization)


def cost_per_1000_requests(latency_s: float, price_per_hour: float = DEFAULT_PRICE_PER_HOUR) -> float:
    """Dollars for 1,000 requests served one after another, each taking `latency_s` seconds of the machine."""
    return dollars(1000 * _check_non_negative("latency_s", latency_s), price_per_hour)


def token_cost_per_1000_requests(
    prompt_tokens: float, output_tokens: float, input_price_per_million: float, output_price_per_million: float
) -> float:
    """Dollars for 1,000 requests through an API billed per token (input and output priced separately)."""
    prompt_tokens = _check_non_negative("prompt_tokens", prompt_tokens)
    output_tokens = _check_non_negative("output_tokens", output_tokens)
    return (
        1000
        * (
            prompt_tokens * _check_non_negative("input_price_per_million", input_price_per_million)
            + output_tokens * _check_non_negative("output_price_per_million", output_price_per_million)
        )
        / 1e6
    )


def break_even_requests(one_time_cost: float, cost_per_1000_before: float, cost_per_1000_after: float) -> float:
    """Requests after which a one-time cost (training) is paid back by cheaper requests; inf if it never is."""
    one_time_cost = _check_non_negative("one_time_cost", one_time_cost)
    saving = _check_non_negative("cost_per_1000_before", cost_per_1000_before) - _check_non_negative(
        "cost_per_1000_after", cost_per_1000_after
    )
    if saving <= 0:
        return math.inf if one_time_cost > 0 else 0.0
    return 1000 * one_time_cost / saving
