"""The course data sets: sizes, balance, schema, leakage, loaders' errors, determinism."""
import json
import re
import subprocess
import sys
from collections import Counter
from itertools import combinations

import pytest

from helpers.config import DATA_DIR, REPO_ROOT
from helpers.data import (ISSUE_TYPES, ORDER_ID_PATTERN, PRODUCTS, REVIEW_LABELS, SPLITS, TICKET_FIELDS,
                          URGENCIES, balanced_sample, company_glossary, load_probe, load_replies, load_reviews,
                          load_tickets, probe_is_correct)
from helpers.errors import CourseError

MIN_REVIEWS = {"train": 1000, "validation": 150, "test": 250}
MIN_TICKETS = {"train": 400, "validation": 80, "test": 150}
NEAR_DUPLICATE_JACCARD = 0.6  # same threshold as data/make_data.py


def word_set(text):
    return frozenset(re.findall(r"[a-z0-9']+", text.lower()))


def max_jaccard(texts_a, texts_b):
    sets_b = [word_set(t) for t in texts_b]
    return max(len(a & b) / len(a | b) for a in map(word_set, texts_a) for b in sets_b)


@pytest.mark.parametrize("split", SPLITS)
def test_reviews_are_big_enough_and_balanced(split):
    reviews = load_reviews(split)
    assert list(reviews.columns) == ["text", "label"]
    assert len(reviews) >= MIN_REVIEWS[split]
    counts = Counter(reviews["label"])
    assert set(counts) == set(REVIEW_LABELS)
    assert len(set(counts.values())) == 1, counts


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


@pytest.mark.parametrize("load", [load_reviews, load_tickets])
def test_no_text_is_shared_or_nearly_shared_across_splits(load):
    texts = {split: load(split)["text"].tolist() for split in SPLITS}
    for a, b in combinations(SPLITS, 2):
        normalised = [{" ".join(t.lower().split()) for t in texts[s]} for s in (a, b)]
        assert not normalised[0] & normalised[1]
        assert max_jaccard(texts[a], texts[b]) < NEAR_DUPLICATE_JACCARD


def test_keyword_baseline_is_far_from_perfect():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    train, test = load_reviews("train"), load_reviews("test")
    words = CountVectorizer(binary=True).fit(train["text"])
    model = LogisticRegression(max_iter=2000).fit(words.transform(train["text"]), train["label"])
    accuracy = (model.predict(words.transform(test["text"])) == test["label"]).mean()
    assert 0.2 < accuracy < 0.7


def test_generator_rewrites_the_same_bytes(tmp_path):
    subprocess.run([sys.executable, str(REPO_ROOT / "data" / "make_data.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
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
    reviews = load_reviews("train")
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
    write(tmp_path, "reviews/train.csv", "text,label\nFine.,positive\nAwful.,terrible\n")
    with pytest.raises(CourseError, match=r"train\.csv, line 3: unknown label 'terrible'"):
        load_reviews("train", data_dir=tmp_path)


def test_missing_column_names_file_and_line(tmp_path):
    write(tmp_path, "reviews/test.csv", "text,stars\nFine.,4\n")
    with pytest.raises(CourseError, match=r"test\.csv, line 1: missing column"):
        load_reviews("test", data_dir=tmp_path)


def test_malformed_ticket_line_names_file_and_line(tmp_path):
    good = {"text": "Hi", "expected": {"product": PRODUCTS[0], "issue_type": "billing",
                                       "urgency": "low", "order_id": None}}
    write(tmp_path, "tickets/validation.jsonl", json.dumps(good) + "\n{not json\n")
    with pytest.raises(CourseError, match=r"validation\.jsonl, line 2: not valid JSON"):
        load_tickets("validation", data_dir=tmp_path)


def test_bad_ticket_field_names_file_and_line(tmp_path):
    bad = {"text": "Hi", "expected": {"product": PRODUCTS[0], "issue_type": "billing",
                                      "urgency": "low", "order_id": "12345"}}
    write(tmp_path, "tickets/train.jsonl", json.dumps(bad) + "\n")
    with pytest.raises(CourseError, match=r"train\.jsonl, line 1: order_id"):
        load_tickets("train", data_dir=tmp_path)


def test_bad_split_lists_the_valid_ones():
    with pytest.raises(CourseError, match="train, validation, test"):
        load_reviews("dev")


@pytest.mark.parametrize("split", ["train", "validation", "test"])
def test_every_reply_follows_the_house_style_and_answers_its_own_ticket(split):
    from helpers.style import check_reply
    replies, tickets = load_replies(split), load_tickets(split)
    assert list(replies["text"]) == list(tickets["text"])  # a reply for every ticket, in the same order
    assert list(replies["product"]) == list(tickets["product"]) and list(replies["order_id"]) == list(tickets["order_id"])
    for reply, facts in zip(replies["reply"], replies["facts"]):
        assert all(check_reply(reply, facts).values()), reply
    signed = replies["name"].notna()
    assert 0.5 < signed.mean() < 0.9  # both greetings occur
    assert all(text.endswith(name) for text, name in zip(replies["text"][signed], replies["name"][signed]))


def test_bad_reply_facts_name_file_and_line(tmp_path):
    (tmp_path / "replies").mkdir()
    line = {"text": "My P2 sparks.", "reply": "Hi there,", "facts": {"name": None, "product": "P2", "order_id": None,
                                                                    "issue_type": "defect"}}
    (tmp_path / "replies" / "train.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(CourseError, match=r"train.jsonl, line 1: facts must be"):
        load_replies("train", tmp_path)
