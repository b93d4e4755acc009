"""The course data sets: sizes, balance, schema, leakage, loaders' errors, determinism."""

import json
import re
import subprocess
import sys
from collections import Counter
from itertools import combinations

import pytest

from helpers.core.config import DATA_DIR, REPO_ROOT
from helpers.core.errors import CourseError
from helpers.prompting.data import (
    ISSUE_TYPES,
    ORDER_ID_PATTERN,
    PRODUCTS,
    REAL_SPLIT_SIZES,
    REVIEW_LABELS,
    SPLITS,
    SYNTHETIC_LABELS,
    TICKET_FIELDS,
    URGENCIES,
    balanced_sample,
    company_glossary,
    has_closing_verdict,
    load_movie_reviews,
    load_probe,
    load_replies,
    load_reviews,
    load_synthetic_reviews,
    load_tickets,
    probe_is_correct,
    rated_sentences,
    rater_agreement,
    shade,
)

MIN_REVIEWS = {"train": 1000, "validation": 150, "test": 250}
MIN_TICKETS = {"train": 400, "validation": 80, "test": 150}
NEAR_DUPLICATE_JACCARD = 0.6  # same threshold as data/make_data.py


def word_set(text):
    return frozenset(re.findall(r"[a-z0-9']+", text.lower()))


def max_jaccard(texts_a, texts_b):
    sets_b = [word_set(t) for t in texts_b]
    return max(len(a & b) / len(a | b) for a in map(word_set, texts_a) for b in sets_b)


@pytest.mark.parametrize("split", SPLITS)
def test_synthetic_reviews_are_big_enough_and_balanced(split):
    reviews = load_synthetic_reviews(split)
    assert list(reviews.columns) == ["text", "label"]
    assert len(reviews) >= MIN_REVIEWS[split]
    counts = Counter(reviews["label"])
    assert set(counts) == set(SYNTHETIC_LABELS)
    assert len(set(counts.values())) == 1, counts


def test_shades_cut_halfway_between_whole_scores():
    assert [shade(score) for score in range(-4, 5)] == ["very_negative"] * 3 + list(REVIEW_LABELS[1:4]) + [
        "very_positive"
    ] * 3
    assert shade(-0.5) == "negative" and shade(0.5) == "positive" and shade(-0.45) == shade(0.45) == "neutral"
    assert shade(-1.5) == "very_negative" and shade(1.45) == "positive"
    assert rater_agreement([2, 2, 2, 2]) == 1.0
    assert rater_agreement([0] * 19 + [4]) == 0.95  # the one who says +4 disagrees with the others (neutral)


def test_the_real_reviews_are_cleaned_and_split_by_whole_reviews():
    sentences = rated_sentences()
    assert not sentences["text"].duplicated().any() and sentences["text"].str.contains(r"[A-Za-z]").all()
    assert 3600 < len(sentences) < 3708 and sentences["ratings"].map(len).eq(20).all()
    assert (sentences["label"] == sentences["mean"].map(shade)).all()
    splits = {split: load_reviews(split) for split in SPLITS}
    for split, size in REAL_SPLIT_SIZES.items():
        assert size <= len(splits[split]) < size + 80  # whole reviews until the size is reached
    for a, b in combinations(SPLITS, 2):
        assert not set(splits[a]["review"]) & set(splits[b]["review"])  # no review in two splits
    assert sum(map(len, splits.values())) == len(sentences)
    assert all(set(frame["label"]) == set(REVIEW_LABELS) for frame in splits.values())
    assert 0.5 < splits["test"]["agreement"].mean() < 0.9  # raters often disagree on the shade: a ceiling below 100%
    assert load_reviews("test").equals(splits["test"])  # fixed


def test_movie_sentences_are_another_domain_with_the_same_shades():
    test = load_movie_reviews("test")
    assert len(test) == REAL_SPLIT_SIZES["test"] and set(test["label"]) == set(REVIEW_LABELS)
    assert not set(test["text"]) & set(load_reviews("train")["text"])


def test_a_closing_bottom_line_is_found_where_the_generator_wrote_one():
    test = load_synthetic_reviews("test")
    flags = test["text"].map(has_closing_verdict)
    assert 0.3 < flags.mean() < 0.5
    assert has_closing_verdict("Nice lid. Bottom line: It's superb.") and not has_closing_verdict(
        "Overall, nice. It broke."
    )


@pytest.mark.parametrize("split", SPLITS)
def test_tickets_are_big_enough_and_well_formed(split):
    tickets = load_tickets(split)
    assert list(tickets.columns) == ["text", "expected", *TICKET_FIELDS]
    assert len(tickets) >= MIN_TICKETS[split]
    assert set(tickets["issue_type"]) == set(ISSUE_TYPES)
    assert len(set(Counter(tickets["issue_type"]).values())) == 1
    assert set(tickets["urgency"]) == set(URGENCIES)
    assert set(tickets["product"]) == set(PRODUCTS)
    ids = tickets["order_id"].dropna()
    assert all(ORDER_ID_PATTERN.fullmatch(i) for i in ids)
    assert 0.25 <= 1 - len(ids) / len(tickets) <= 0.6  # a good share has no order id
    assert all(set(e) == set(TICKET_FIELDS) for e in tickets["expected"])


def test_tickets_use_nicknames_and_decoy_numbers():
    tickets = load_tickets("train")
    not_canonical = [t for t, p in zip(tickets["text"], tickets["product"]) if p not in t]
    assert len(not_canonical) > len(tickets) / 3  # the product is often named by a nickname
    with_decoy = tickets["text"].str.contains(r"INV-|555-|SN \d|£|\$|case number")
    assert with_decoy.mean() > 0.2
    assert (with_decoy & tickets["order_id"].isna()).any()


def test_ticket_tests_use_only_wordings_and_nicknames_never_seen_in_training():
    sys.path.insert(0, str(DATA_DIR))
    from make_data import HELD_OUT_NICKNAMES, HELD_OUT_WORDINGS, ISSUES

    held_out = [
        template.split("{p}")[0].lower() for templates in ISSUES.values() for template in templates[-HELD_OUT_WORDINGS:]
    ]
    for split in ("train", "validation"):
        texts = load_tickets(split)["text"].str.lower()
        assert not any(
            texts.str.contains(nickname.lower(), regex=False).any() for nickname in HELD_OUT_NICKNAMES.values()
        )
        assert not any(texts.str.contains(start, regex=False).any() for start in held_out if len(start) > 12)
    test = load_tickets("test")
    assert all(
        HELD_OUT_NICKNAMES[product].lower() in text.lower() for text, product in zip(test["text"], test["product"])
    )


@pytest.mark.parametrize("load", [load_synthetic_reviews, load_tickets])
def test_no_text_is_shared_or_nearly_shared_across_splits(load):
    texts = {split: load(split)["text"].tolist() for split in SPLITS}
    for a, b in combinations(SPLITS, 2):
        normalised = [{" ".join(t.lower().split()) for t in texts[s]} for s in (a, b)]
        assert not normalised[0] & normalised[1]
        assert max_jaccard(texts[a], texts[b]) < NEAR_DUPLICATE_JACCARD


def test_keyword_baseline_is_far_from_perfect():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    train, test = load_synthetic_reviews("train"), load_synthetic_reviews("test")
    words = CountVectorizer(binary=True).fit(train["text"])
    model = LogisticRegression(max_iter=2000).fit(words.transform(train["text"]), train["label"])
    accuracy = (model.predict(words.transform(test["text"])) == test["label"]).mean()
    assert 0.2 < accuracy < 0.7


@pytest.mark.slow
def test_generator_rewrites_the_same_bytes(tmp_path):
    subprocess.run(
        [sys.executable, str(REPO_ROOT / "data" / "make_data.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.suffix in (".csv", ".jsonl"))
    assert len(written) == 11
    for relative in written:
        assert (tmp_path / relative).read_bytes() == (DATA_DIR / relative).read_bytes(), relative


def test_probe_loads_and_checker_matches_whole_words():
    probe = load_probe()
    assert 40 <= len(probe) <= 60
    assert set(probe["kind"]) == {"fact", "arithmetic", "instruction"}
    assert all(isinstance(a, list) and a for a in probe["answers"])
    assert probe_is_correct("The capital is PARIS.", ["Paris"])
    assert probe_is_correct("red,green,blue", ["red, green, blue"])
    assert not probe_is_correct("14", ["4"])
    assert not probe_is_correct("I don't know", ["no"])


def test_balanced_sample_is_balanced_and_deterministic():
    reviews = load_synthetic_reviews("train")
    sample = balanced_sample(reviews, 12)
    counts = Counter(sample["label"])
    assert len(sample) == 12 and max(counts.values()) - min(counts.values()) <= 1
    assert sample.index.equals(balanced_sample(reviews, 12).index)
    assert not sample.index.equals(balanced_sample(reviews, 12, seed=1).index)
    with pytest.raises(CourseError):
        balanced_sample(reviews, len(reviews) + 1)


def test_glossary_names_every_product():
    glossary = company_glossary()
    assert all(product in glossary for product in PRODUCTS)


# --- validation errors name the file and the line ---------------------------


def write(tmp_path, relative, text):
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_review_label_names_file_and_line(tmp_path):
    write(tmp_path, "synthetic_reviews/train.csv", "text,label\nFine.,positive\nAwful.,terrible\n")
    with pytest.raises(CourseError, match=r"train\.csv, line 3: unknown label 'terrible'"):
        load_synthetic_reviews("train", data_dir=tmp_path)


def test_missing_column_names_file_and_line(tmp_path):
    write(tmp_path, "synthetic_reviews/test.csv", "text,stars\nFine.,4\n")
    with pytest.raises(CourseError, match=r"test\.csv, line 1: missing column"):
        load_synthetic_reviews("test", data_dir=tmp_path)


def test_malformed_ticket_line_names_file_and_line(tmp_path):
    good = {
        "text": "Hi",
        "expected": {"product": PRODUCTS[0], "issue_type": "billing", "urgency": "low", "order_id": None},
    }
    write(tmp_path, "tickets/validation.jsonl", json.dumps(good) + "\n{not json\n")
    with pytest.raises(CourseError, match=r"validation\.jsonl, line 2: not valid JSON"):
        load_tickets("validation", data_dir=tmp_path)


def test_bad_ticket_field_names_file_and_line(tmp_path):
    bad = {
        "text": "Hi",
        "expected": {"product": PRODUCTS[0], "issue_type": "billing", "urgency": "low", "order_id": "12345"},
    }
    write(tmp_path, "tickets/train.jsonl", json.dumps(bad) + "\n")
    with pytest.raises(CourseError, match=r"train\.jsonl, line 1: order_id"):
        load_tickets("train", data_dir=tmp_path)


def test_bad_split_lists_the_valid_ones():
    with pytest.raises(CourseError, match="train, validation, test"):
        load_reviews("dev")


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_every_reply_follows_the_house_style_and_answers_its_own_ticket(split):
    from helpers.prompting.house_style import check_reply

    replies, tickets = load_replies(split), load_tickets(split)
    assert list(replies["text"]) == list(tickets["text"])  # a reply for every ticket, in the same order
    assert list(replies["product"]) == list(tickets["product"]) and list(replies["order_id"]) == list(
        tickets["order_id"]
    )
    for reply, facts in zip(replies["reply"], replies["facts"]):
        assert all(check_reply(reply, facts).values()), reply
    signed = replies["name"].notna()
    assert 0.5 < signed.mean() < 0.9  # both greetings occur
    assert all(text.endswith(name) for text, name in zip(replies["text"][signed], replies["name"][signed]))


def test_bad_reply_facts_name_file_and_line(tmp_path):
    (tmp_path / "replies").mkdir()
    line = {
        "text": "My P2 sparks.",
        "reply": "Hi there,",
        "facts": {"name": None, "product": "P2", "order_id": None, "issue_type": "defect"},
    }
    (tmp_path / "replies" / "train.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(CourseError, match=r"train.jsonl, line 1: facts must be"):
        load_replies("train", tmp_path)


@pytest.mark.slow
def test_the_data_cards_quote_the_figures_their_generators_print(tmp_path):
    from helpers.prompting.data import real_reviews_report

    assert real_reviews_report() in (DATA_DIR / "reviews" / "README.md").read_text()
    report = subprocess.run(
        [sys.executable, str(REPO_ROOT / "data" / "make_data.py"), "--report", "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    cards = {name: (DATA_DIR / name / "README.md").read_text() for name in ("tickets", "synthetic_reviews")}
    tickets = report[report.index("== tickets ==") + 1 : report.index("== tickets ==") + 4]
    assert all(line in cards["tickets"] for line in tickets + [line for line in report if line.startswith("tickets  ")])
    reviews = report[report.index("== reviews ==") + 1 : report.index("== tickets ==")]
    summary = [line for line in report if line.startswith("reviews  ")]
    assert all(line in cards["synthetic_reviews"] for line in reviews + summary)
