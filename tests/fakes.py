"""Made-up results for the table and verdict logic: exact numbers, so every assertion knows its answer."""
import pandas as pd

from helpers.comparison import APPROACHES


def scores(right: int, n: int = 100) -> list[float]:
    """Per-example scores of a method that gets the first `right` of `n` examples right."""
    return [1.0] * right + [0.0] * (n - right)


def fake_results() -> pd.DataFrame:
    rows = []
    for i, approach in enumerate(APPROACHES):
        trained = [0, 0, 1e5, 1.3e8, 1e5][i]
        rows.append({"approach": approach, "prompt": "zero_shot", "accuracy": 0.2 + 0.1 * i, "labelled_examples": [0, 5, 100, 100, 100][i],
                     "training_seconds": 0.0 if trained == 0 else 60.0, "training_flops": 0.0 if trained == 0 else 1e15,
                     "trainable_parameters": trained, "parameters": 1.35e8, "latency_s": [0.2, 0.5, 0.2, 0.2, 0.5][i],
                     "prompt_tokens": 80.0, "paraphrase_agreement": 0.5 + 0.1 * i, "seed_agreement": 0.7,
                     "accuracy_worst_wording": 0.1, "accuracy_best_wording": 0.6,
                     "scores": scores(20 + 10 * i), "agreement_scores": [0.5 + 0.1 * i] * 100})
    return pd.DataFrame(rows).set_index("approach")


def probe_answers(right: int, n: int = 50) -> pd.DataFrame:
    return pd.DataFrame({"correct": [True] * right + [False] * (n - right)})
