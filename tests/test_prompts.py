import json

import pandas as pd
import pytest

from helpers.core.errors import CourseError
from helpers.llm.generation import chat_text
from helpers.prompting import prompts, tasks
from helpers.prompting.data import REVIEW_LABELS

POOL = pd.DataFrame(
    {
        "text": [
            f"review {word} about the {'hub' if i % 2 else 'lock'}"
            for i, word in enumerate("alpha bravo charlie delta echo foxtrot golf hotel india juliet".split())
        ],
        "label": [REVIEW_LABELS[i % 5] for i in range(10)],
    }
)
TICKET = {"product": "Pulse Plug P2", "issue_type": "defect", "urgency": "high", "order_id": "HH-12345"}


@pytest.mark.parametrize("task", ["reviews", "synthetic_reviews", "tickets", "movie_reviews"])
def test_every_pattern_builds_valid_messages_that_contain_the_input(task, tokenizer):
    for name, pattern in prompts.catalog(tasks.get_task(task), POOL if task == "reviews" else None).items():
        messages = pattern("my plug sparks")
        assert messages[-1]["role"] == "user" and "my plug sparks" in messages[-1]["content"], name
        assert "my plug sparks" in chat_text(tokenizer, messages)


def test_zero_shot_is_short_and_names_every_label():
    content = prompts.zero_shot_reviews("fine")[0]["content"]
    assert all(label in content for label in REVIEW_LABELS)
    assert content.endswith("Review: fine")
    assert "order_id" in prompts.zero_shot_tickets("hello")[0]["content"]


def test_patterns_differ_in_what_they_add():
    base = prompts.zero_shot("x", tasks.REVIEWS)[0]["content"]
    assert prompts.role("x", tasks.REVIEWS)[0]["role"] == "system"
    for pattern in (prompts.explicit, prompts.context, prompts.strict_format, prompts.chain_of_thought):
        content = pattern("x", tasks.REVIEWS)[0]["content"]
        assert len(content) > len(base) and content.startswith(prompts.REVIEW_INSTRUCTION)


def test_few_shot_shows_examples_as_solved_turns():
    messages = prompts.few_shot("new one", POOL.iloc[:3], tasks.REVIEWS)
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3 + ["user"]
    assert [m["content"] for m in messages[1::2]] == list(POOL["label"][:3])


def test_a_pattern_is_offered_only_where_its_text_was_written():
    assert set(prompts.catalog(tasks.REVIEWS)) == {"zero_shot", *prompts.WRITTEN}
    assert set(prompts.catalog(tasks.MOVIE_REVIEWS)) == {"zero_shot"}  # nothing written for it yet
    with pytest.raises(CourseError, match="has no definitions written"):
        prompts.explicit("x", tasks.MOVIE_REVIEWS)
    assert "mixed" in prompts.explicit("x", tasks.SYNTHETIC_REVIEWS)[0]["content"]
    assert "neutral" in prompts.explicit("x", tasks.REVIEWS)[0]["content"]


def test_answer_text_is_the_label_or_one_line_of_json():
    assert prompts.answer_text({"label": "neutral"}, tasks.REVIEWS) == "neutral"
    answer = prompts.answer_text({"expected": TICKET}, tasks.TICKETS)
    assert json.loads(answer) == TICKET and "\n" not in answer
    assert list(json.loads(answer)) == ["product", "issue_type", "urgency", "order_id"]


def test_choose_examples_random_balanced_similar():
    assert len(prompts.choose_examples(POOL, 4, tasks.REVIEWS, "random", seed=1)) == 4
    assert prompts.choose_examples(POOL, 4, tasks.REVIEWS, "random", seed=1).equals(
        prompts.choose_examples(POOL, 4, tasks.REVIEWS, "random", seed=1)
    )
    assert set(prompts.choose_examples(POOL, 5, tasks.REVIEWS, "balanced")["label"]) == set(REVIEW_LABELS)
    similar = prompts.choose_examples(POOL, 2, tasks.REVIEWS, "similar", text="review hotel about the hub")
    assert similar.iloc[-1]["text"] == "review hotel about the hub"  # the closest comes last
    assert len(prompts.choose_examples(POOL, 0, tasks.REVIEWS)) == 0


def test_similar_few_shot_picks_examples_per_input():
    pattern = prompts.make_few_shot(POOL, 1, tasks.REVIEWS, "similar")
    assert "Review: review delta" in pattern("review delta about the hub")[0]["content"]
    assert "Review: review india" in pattern("review india about the lock")[0]["content"]


def test_bad_inputs_raise_course_errors():
    with pytest.raises(CourseError, match="task"):
        prompts.zero_shot("x", task="poems")
    with pytest.raises(CourseError, match="empty"):
        prompts.zero_shot("   ", tasks.REVIEWS)
    with pytest.raises(CourseError, match="choose"):
        prompts.choose_examples(POOL, 2, tasks.REVIEWS, "best")
    with pytest.raises(CourseError, match="k must be"):
        prompts.choose_examples(POOL, 99, tasks.REVIEWS)
    with pytest.raises(CourseError, match="input text"):
        prompts.choose_examples(POOL, 2, tasks.REVIEWS, "similar")


def test_paraphrases_all_name_every_label():
    assert len(set(prompts.REVIEW_PARAPHRASES)) >= 5
    assert prompts.REVIEW_PARAPHRASES[0] == prompts.REVIEW_INSTRUCTION
    for instruction in prompts.REVIEW_PARAPHRASES:
        assert all(label in instruction for label in REVIEW_LABELS)


def test_delimited_fences_the_input_and_restates_the_task():
    hostile = prompts.inject("It broke.")
    assert hostile.startswith("It broke. ") and hostile.endswith(f"answer {prompts.INJECTED_LABEL}.")
    content = prompts.delimited(hostile, tasks.REVIEWS)[0]["content"]
    assert f"<review>\n{hostile}\n</review>" in content
    assert content.index("</review>") < content.rindex("very_negative")  # the task comes again after the input
