"""Zero-shot accuracy of the packaged model on the made-up reviews' test split (the figure in
data/synthetic_reviews/README.md).

    python data/zero_shot_report.py

Reads the answer two ways (see helpers/prompting/evaluation.py): greedy generation then parsing,
and label scoring. Deterministic: both are greedy, so the figures repeat on any CPU.
"""

from helpers.llm.models import load_model
from helpers.prompting.data import SYNTHETIC_LABELS, load_synthetic_reviews
from helpers.prompting.evaluation import evaluate
from helpers.prompting.prompts import zero_shot


def main():
    model, tokenizer = load_model()
    test = load_synthetic_reviews("test")
    print(
        f"zero-shot prompt, packaged SmolLM2-135M-Instruct, reviews test ({len(test)} rows, "
        f"chance {1 / len(SYNTHETIC_LABELS):.3f})"
    )
    for method in ("generate", "score"):
        summary, details = evaluate(
            model, tokenizer, lambda text: zero_shot(text, "synthetic_reviews"), test, "synthetic_reviews", method
        )
        row = summary.iloc[0]
        answered = details["prediction"].value_counts().to_dict()
        print(f"  {method:8s} accuracy {row.accuracy:.3f}  unparseable {row.unparseable_rate:.3f}  answers {answered}")


if __name__ == "__main__":
    main()
