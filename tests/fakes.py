"""Made-up results for the table and verdict logic: exact numbers, so every assertion knows its answer."""

import pandas as pd

from helpers.experiments.comparison import APPROACHES, FAMILIES


def scores(right: int, n: int = 100) -> list[float]:
    """Per-example scores of a method that gets the first `right` of `n` examples right."""
    return [1.0] * right + [0.0] * (n - right)


def fake_results() -> pd.DataFrame:
    """One row per approach (APPROACHES), accuracy 20%, 30%, ... in that order; the fine-tuned ones run three times."""
    rows = []
    for i, approach in enumerate(APPROACHES):
        family = next(name for name, members in FAMILIES.items() if approach in members)
        tuned = family in ("fine-tuning", "hybrid")
        trained = {"LoRA fine-tune": 1e5, "full fine-tune": 1.3e8, "hybrid": 1e5}.get(approach, 0)
        runs = [scores(20 + 10 * i)] * (3 if tuned else 1)
        rows.append(
            {
                "approach": approach,
                "family": family,
                "prompt": "zero_shot",
                "runs": len(runs),
                "accuracy": 0.2 + 0.1 * i,
                "validation_accuracy": 0.2 + 0.1 * i,
                "labelled_examples": [0, 5, 0, 100, 100, 100, 100][i],
                "training_seconds": 60.0 if trained else 0.0,
                "training_flops": 1e15 if trained else 0.0,
                "trainable_parameters": trained,
                "parameters": 1.35e8,
                "latency_s": [0.2, 0.5, 0.2, 0.001, 0.2, 0.2, 0.5][i],
                "prompt_tokens": 80.0,
                "paraphrase_agreement": 0.5 + 0.05 * i,
                "seed_agreement": 0.7,
                "accuracy_worst_wording": 0.1,
                "accuracy_best_wording": 0.6,
                "learning_rate": 1e-3 if tuned else None,
                "passes": 2 if tuned else None,
                "scores": scores(20 + 10 * i),
                "run_scores": runs,
                "agreement_scores": [0.5 + 0.05 * i] * 100,
            }
        )
    return pd.DataFrame(rows).set_index("approach")


def probe_answers(right: int, n: int = 50) -> pd.DataFrame:
    return pd.DataFrame({"correct": [True] * right + [False] * (n - right)})
