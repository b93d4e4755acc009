"""The course data sets, loaded as pandas DataFrames and checked on load.

    reviews            real sentences from Amazon product reviews, five shades   load_reviews("train")
    movie_reviews      real sentences from movie reviews (out of domain)          load_movie_reviews("test")
    synthetic_reviews  made-up reviews with a written labelling rule              load_synthetic_reviews("train")
    tickets            support messages -> JSON fields to extract                 load_tickets("train")
    replies            the same messages -> replies in house style                load_replies("train")
    probe              ~50 easy questions to measure versatility                  load_probe()

The real sentences were rated by about 20 people each (Hutto & Gilbert 2014); they are fetched from PyPI at setup
(`helpers.prompting.fetch`), never committed, and cut into five shades and fixed splits here (data/reviews/README.md).
The other files are written by `python data/make_data.py`. Each folder's README.md is its data card. Every loader
checks what it reads: a missing column, an unknown label or a malformed JSON line raises `CourseError` naming the
file and line.
"""

import contextlib
import csv
import functools
import hashlib
import json
import re
import string
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.config import DATA_DIR
from ..core.errors import CourseError

SPLITS = ("train", "validation", "test")

REVIEW_LABELS = ("very_negative", "negative", "neutral", "positive", "very_positive")  # the real sentences' shades
SYNTHETIC_LABELS = ("very_negative", "negative", "mixed", "positive", "very_positive")  # the made-up reviews' labels
# Cut points on the size of a rating (-4..+4), halfway between whole scores, the same on both sides: one rater's score
# and a mean rating get the same shade (-4..-2 very negative, -1 negative, 0 neutral, +1 positive, +2..+4 very
# positive).
SHADE_CUTS = (0.5, 1.5)
REAL_SPLIT_SIZES = {"validation": 300, "test": 500}  # sentences, whole reviews at a time; the rest is train

PRODUCTS = (
    "Orbit Hub X2",
    "Ember T3 Thermostat",
    "Halo Cam 360",
    "Glint Bulb G9",
    "Sentinel Lock S4",
    "Drift Speaker Mini",
    "Tidewater Leak Sensor",
    "Pulse Plug P2",
)
ISSUE_TYPES = ("billing", "delivery", "defect", "account", "how_to", "refund")
URGENCIES = ("low", "medium", "high")
TICKET_FIELDS = ("product", "issue_type", "urgency", "order_id")
ORDER_ID_PATTERN = re.compile(r"HH-\d{5}")  # e.g. "HH-48213"
PROBE_KINDS = ("fact", "arithmetic", "instruction")

REGENERATE = "Run `python data/make_data.py` to rewrite the course data."

GLOSSARY = """\
Halcyon Home sells smart-home devices. Products (canonical name, then what customers often call it):
- Orbit Hub X2: the central hub ("the X2", "the hub", "OHX2"). A red halo on the hub means it is offline: nothing in the home responds.
- Ember T3 Thermostat: heating control ("the T3", "Ember"). A thermal trip is an overheating shutdown.
- Halo Cam 360: indoor/outdoor camera ("the 360", "HC360").
- Glint Bulb G9: smart bulbs ("Glints", "G9s").
- Sentinel Lock S4: front-door smart lock ("the S4", "Sentinel").
- Drift Speaker Mini: small speaker with voice control ("the Drift", "Drift Mini").
- Tidewater Leak Sensor: water-leak puck ("Tidewater", "the leak puck").
- Pulse Plug P2: smart plug ("the P2", "Pulse plug").
Jargon:
- Sync-Lock fault: a device stuck in pairing, it will not join the hub (a defect).
- Orbit tier / Orbit Plus tier: the paid monthly subscription (billing).
- Courier Pass: our delivery tracking code (delivery).
- Keyring: the customer login and app account (account).
- Swap-Back: our return-for-refund programme (refund).
- Scenes and Routines: app automations customers ask how to set up (how_to).
Order ids look like HH-48213 ("HH-" and five digits); case numbers, invoice numbers (INV-...), phone numbers, dates and prices are not order ids.
Urgency: high = a safety risk (smoke, sparks, burning smell, overheating, water leak, door will not lock), a whole-home outage, or it must be solved today/tonight; low = a question or a request that says there is no rush; medium = everything else."""


def company_glossary() -> str:
    """A short description of Halcyon Home's products and jargon, for prompts."""
    return GLOSSARY


def _path(data_dir, *parts) -> Path:
    path = Path(data_dir if data_dir is not None else DATA_DIR).joinpath(*parts)
    if not path.exists():
        raise CourseError(f"{path} is missing. {REGENERATE}")
    return path


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise CourseError(f"Unknown split {split!r}: use one of {', '.join(SPLITS)}.")


@contextlib.contextmanager
def _reading(path: Path):
    """Open a data file as UTF-8 (a byte-order mark, as Excel writes, is fine); name the file in any read error."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            yield f
    except UnicodeDecodeError as error:
        raise CourseError(
            f"{path} is not UTF-8 text (byte {error.start}: {error.reason}). Save it as UTF-8 "
            f"(in Excel: 'CSV UTF-8'). {REGENERATE}"
        ) from None
    except csv.Error as error:
        raise CourseError(f"{path}: not a readable CSV file ({error}). {REGENERATE}") from None


def _check_rows(rows: list, path: Path, key) -> None:
    """No empty split, no example twice (it would count twice in every accuracy)."""
    if not rows:
        raise CourseError(f"{path} has no examples. {REGENERATE}")
    seen = {}
    for number, row in enumerate(rows, start=1):
        first = seen.setdefault(key(row), number)
        if first != number:
            raise CourseError(f"{path}: example {number} repeats example {first}. Remove the duplicate. {REGENERATE}")


def shade(rating: float) -> str:
    """The shade of a rating on the -4..+4 scale (a mean of raters, or one rater's whole score): neutral below 0.5 in
    size, very positive or very negative from 1.5 on."""
    return REVIEW_LABELS[2 + int(_shade_steps(rating))]


def _shade_steps(ratings):
    """Shades as -2..2 (very negative .. very positive), for one rating or an array of them."""
    return np.sign(ratings) * np.digitize(np.abs(ratings), SHADE_CUTS)


def _read_rated(path: Path) -> list[list[str]]:
    """The tab-separated lines of one fetched file (UTF-8 with a byte-order mark, Windows line ends)."""
    return [line.split("\t") for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()]


@functools.cache
def rated_sentences(source: str = "amazonReviewSnippets") -> pd.DataFrame:
    """Every usable sentence of one fetched source: id, review (the review it comes from), text, mean rating,
    ratings (each rater's score), label (its shade), agreement (how often one rater's shade matches the shade of
    the others' mean).

    Cleaned as the data card says: sentences without a letter dropped; a text repeated with the same shade kept
    once; a text repeated with different shades dropped (no one label is right).
    """
    from .fetch import ratings_file

    texts = {row[0]: "\t".join(row[2:]).strip() for row in _read_rated(ratings_file(source, "GroundTruth"))}
    rows = []
    for row in _read_rated(ratings_file(source, "anonDataRatings")):
        ratings = [int(value) for value in json.loads(row[3])]
        rows.append(
            {
                "id": row[0],
                "review": row[0].split("_")[0] if "_" in row[0] else row[0],
                "text": texts[row[0]],
                "mean": float(row[1]),
                "ratings": ratings,
            }
        )
    frame = pd.DataFrame(rows)
    frame["label"] = frame["mean"].map(shade)
    frame["agreement"] = frame["ratings"].map(rater_agreement)
    frame = frame[frame["text"].str.contains(r"[^\W\d_]", regex=True)]
    shades = frame.groupby("text")["label"].nunique()
    frame = frame[frame["text"].map(shades) == 1].drop_duplicates("text")
    return frame.reset_index(drop=True)


def rater_agreement(ratings) -> float:
    """The share of raters whose own shade equals the shade of the other raters' mean: what one careful person
    scores against everyone else, the ceiling a model (scored against all the raters' mean) is judged against."""
    ratings = np.asarray(ratings, dtype=float)
    others = (ratings.sum() - ratings) / (len(ratings) - 1)
    return float(np.mean(_shade_steps(ratings) == _shade_steps(others)))


def real_splits(source: str = "amazonReviewSnippets") -> dict[str, pd.DataFrame]:
    """Fixed, disjoint splits of a fetched source, whole reviews at a time (no review has sentences in two splits).

    Reviews are taken in the order of a hash of their id: validation until it holds REAL_SPLIT_SIZES["validation"]
    sentences, then test likewise, the rest is train. The same split on every machine, whatever the file order.
    """
    frame = rated_sentences(source)
    order = sorted(
        frame["review"].unique(), key=lambda review: hashlib.sha256(f"{source} {review}".encode()).hexdigest()
    )
    sizes = frame.groupby("review").size()
    assigned, counts = {}, {"validation": 0, "test": 0}
    for review in order:
        split = next((name for name, limit in REAL_SPLIT_SIZES.items() if counts[name] < limit), "train")
        assigned[review] = split
        if split != "train":
            counts[split] += int(sizes[review])
    return {split: frame[frame["review"].map(assigned) == split].reset_index(drop=True) for split in SPLITS}


def load_reviews(split: str) -> pd.DataFrame:
    """Real sentences from Amazon product reviews (Hu & Liu 2004, rated by Hutto & Gilbert 2014) of one split:
    columns text, label, plus id, review, mean, ratings and agreement (see `rated_sentences`)."""
    _check_split(split)
    return real_splits("amazonReviewSnippets")[split].copy()


def real_reviews_report() -> str:
    """The figures quoted in data/reviews/README.md, computed from the fetched files: per source and split, the
    sentences (and reviews), sentences per shade and the raters' agreement (a test checks the card quotes them)."""
    from .fetch import ratings_file

    lines = []
    for source, name in (("amazonReviewSnippets", "product reviews"), ("movieReviewSnippets", "movie reviews")):
        sentences = rated_sentences(source)
        lines.append(
            f"{name}: {len(_read_rated(ratings_file(source, 'GroundTruth')))} sentences in the source, "
            f"{len(sentences)} kept"
        )
        for split, frame in real_splits(source).items():
            counts = frame["label"].value_counts().reindex(REVIEW_LABELS, fill_value=0)
            grouped = frame["review"].nunique() < len(frame)  # (movie sentences carry no review id)
            lines.append(
                f"  {split:<10} {len(frame):>5} sentences"
                + (f" from {frame['review'].nunique():>3} reviews" if grouped else "")
                + "  "
                + "  ".join(f"{label}={count}" for label, count in counts.items())
                + f"  one rater vs the others {frame['agreement'].mean():.3f}"
            )
    return "\n".join(lines)


def load_movie_reviews(split: str) -> pd.DataFrame:
    """Real sentences from movie reviews (Pang & Lee 2005, rated by Hutto & Gilbert 2014): another domain, with the
    same shades. Each sentence is its own group (the source gives no review ids)."""
    _check_split(split)
    return real_splits("movieReviewSnippets")[split].copy()


# How a made-up review's closing bottom line opens (`data/make_data.py` writes them). Such a line decides the label on
# its own: a shortcut a model can learn instead of reading the review (notebook 05 measures who takes it).
BOTTOM_LINE = (
    "Overall,",
    "All in all,",
    "Bottom line:",
    "In the end,",
    "On balance,",
    "All told,",
    "Verdict:",
    "To sum up,",
    "Long story short,",
    "Having said all that,",
)
_CLOSING = re.compile(r"(?:^|[.!?]\s+)(?:" + "|".join(map(re.escape, BOTTOM_LINE)) + r")[^.!?]*[.!?]?\s*$")


def has_closing_verdict(text: str) -> bool:
    """Whether a made-up review ends with a bottom line ('Overall, it's superb.') that fixes its label."""
    return bool(_CLOSING.search(str(text)))


def load_synthetic_reviews(split: str, data_dir=None) -> pd.DataFrame:
    """The made-up reviews of one split as a DataFrame with columns text, label (data/synthetic_reviews)."""
    _check_split(split)
    path = _path(data_dir, "synthetic_reviews", f"{split}.csv")
    with _reading(path) as f:
        reader = csv.DictReader(f)
        missing = {"text", "label"} - set(reader.fieldnames or [])
        if missing:
            raise CourseError(
                f"{path}, line 1: missing column(s) {sorted(missing)}; the header must be 'text,label'. {REGENERATE}"
            )
        rows = []
        for row in reader:
            where = f"{path}, line {reader.line_num}"
            if row["label"] not in SYNTHETIC_LABELS:
                raise CourseError(
                    f"{where}: unknown label {row['label']!r}; "
                    f"expected one of {', '.join(SYNTHETIC_LABELS)}. {REGENERATE}"
                )
            if not (row["text"] or "").strip():
                raise CourseError(f"{where}: empty review text. {REGENERATE}")
            rows.append({"text": row["text"], "label": row["label"]})
    _check_rows(rows, path, key=lambda row: row["text"])
    return pd.DataFrame(rows, columns=["text", "label"])


def _check_expected(expected, where: str) -> None:
    """Raise CourseError unless `expected` is a valid ticket answer."""
    if not isinstance(expected, dict) or set(expected) != set(TICKET_FIELDS):
        raise CourseError(
            f"{where}: 'expected' must be an object with exactly the keys {', '.join(TICKET_FIELDS)}. {REGENERATE}"
        )
    allowed = {"product": PRODUCTS, "issue_type": ISSUE_TYPES, "urgency": URGENCIES}
    for field, values in allowed.items():
        if expected[field] not in values:
            raise CourseError(
                f"{where}: unknown {field} {expected[field]!r}; expected one of {', '.join(values)}. {REGENERATE}"
            )
    _check_order_id(expected["order_id"], where)


def _check_order_id(order_id, where: str) -> None:
    if order_id is not None and not (isinstance(order_id, str) and ORDER_ID_PATTERN.fullmatch(order_id)):
        raise CourseError(f"{where}: order_id {order_id!r} is neither null nor like 'HH-48213'. {REGENERATE}")


def _read_jsonl(path, keys: tuple[str, ...]):
    """Yield `(where, record)` for each line of a JSON Lines file, checking that it is JSON with `keys`."""
    with _reading(path) as f:
        for line_number, line in enumerate(f, start=1):
            where = f"{path}, line {line_number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise CourseError(f"{where}: not valid JSON ({error.msg}). {REGENERATE}") from None
            if not isinstance(record, dict) or not set(keys) <= set(record):
                raise CourseError(f"{where}: each line needs the keys {', '.join(keys)}. {REGENERATE}")
            text = record.get("text", record.get("question"))
            if not isinstance(text, str) or not text.strip():
                raise CourseError(f"{where}: the text is empty or not a string. {REGENERATE}")
            yield where, record


def load_tickets(split: str, data_dir=None) -> pd.DataFrame:
    """Support tickets of one split: columns text, expected (dict) and one per field."""
    _check_split(split)
    rows = []
    path = _path(data_dir, "tickets", f"{split}.jsonl")
    for where, record in _read_jsonl(path, ("text", "expected")):
        _check_expected(record["expected"], where)
        rows.append({"text": record["text"], "expected": record["expected"], **record["expected"]})
    _check_rows(rows, path, key=lambda row: row["text"])
    return pd.DataFrame(rows, columns=["text", "expected", *TICKET_FIELDS])


REPLY_FACTS = ("name", "product", "order_id", "issue_type")


def load_replies(split: str, data_dir=None) -> pd.DataFrame:
    """Tickets and Halcyon Home's house-style replies: columns text, reply, facts (dict) and one per fact."""
    _check_split(split)
    rows = []
    path = _path(data_dir, "replies", f"{split}.jsonl")
    for where, record in _read_jsonl(path, ("text", "reply", "facts")):
        facts = record["facts"]
        if (
            not isinstance(facts, dict)
            or set(facts) != set(REPLY_FACTS)
            or facts["product"] not in PRODUCTS
            or facts["issue_type"] not in ISSUE_TYPES
            or not (facts["name"] is None or isinstance(facts["name"], str))
        ):
            raise CourseError(
                f"{where}: facts must be {{'name': a first name or null, 'product': one of the products, "
                f"'order_id': 'HH-12345' or null, 'issue_type': one of {', '.join(ISSUE_TYPES)}}}. {REGENERATE}"
            )
        _check_order_id(facts["order_id"], where)
        if not isinstance(record["reply"], str) or not record["reply"].strip():
            raise CourseError(f"{where}: the reply is empty or not a string. {REGENERATE}")
        rows.append({"text": record["text"], "reply": record["reply"], "facts": facts, **facts})
    _check_rows(rows, path, key=lambda row: row["text"])
    return pd.DataFrame(rows, columns=["text", "reply", "facts", *REPLY_FACTS])


def data_files(sets=("probe", "reviews", "synthetic_reviews", "tickets"), data_dir=None) -> list[Path]:
    """The files of some data sets (by default those of notebooks 02 to 06), in a fixed order: what results depend on.
    The real reviews' are the fetched files (checked against the archive's hash when they were unpacked)."""
    root = Path(data_dir) if data_dir is not None else DATA_DIR
    files = []
    for folder in sets:
        if folder == "reviews" and data_dir is None:
            from .fetch import ensure_fetched

            files += sorted(ensure_fetched().glob("*_*.txt"))
        else:
            files += sorted(p for p in (root / folder).glob("*") if p.suffix in (".csv", ".jsonl"))
    return files


def load_probe(data_dir=None) -> pd.DataFrame:
    """The versatility probe: columns question, answers (list of str), kind."""
    rows = []
    path = _path(data_dir, "probe", "probe.jsonl")
    for where, item in _read_jsonl(path, ("question", "answers", "kind")):
        answers = item["answers"]
        if (
            item["kind"] not in PROBE_KINDS
            or not isinstance(answers, list)
            or not answers
            or not all(isinstance(a, str) and a.strip() for a in answers)
        ):
            raise CourseError(
                f"{where}: kind must be one of {', '.join(PROBE_KINDS)} and answers a non-empty "
                f'list of texts, e.g. ["Paris"] (not "Paris"). {REGENERATE}'
            )
        rows.append({"question": item["question"], "answers": list(answers), "kind": item["kind"]})
    _check_rows(rows, path, key=lambda row: row["question"])
    return pd.DataFrame(rows, columns=["question", "answers", "kind"])


def _normalise(text: str) -> str:
    """Lower case, punctuation turned into spaces, runs of spaces collapsed."""
    table = str.maketrans({c: " " for c in string.punctuation})
    return " ".join(text.lower().translate(table).split())


def probe_is_correct(answer_text: str, accepted: list[str]) -> bool:
    """True when any accepted answer appears in the model's answer as whole words.

    Matching ignores case and punctuation: "Paris." and "It is PARIS!" both
    match "paris", but "4" does not match inside "14".
    """
    answer = f" {_normalise(answer_text)} "
    return any(f" {_normalise(a)} " in answer for a in accepted if _normalise(a))


def balanced_sample(df: pd.DataFrame, n: int, label_column: str = "label", seed: int = 0) -> pd.DataFrame:
    """`n` rows spread as evenly as possible over the labels, same rows for the same seed.

    Rows come out interleaved (one of each label in turn), keeping their
    original index so callers can drop them from another set.
    """
    if label_column not in df.columns:
        raise CourseError(f"balanced_sample: no column {label_column!r} (columns: {', '.join(map(str, df.columns))}).")
    if not 0 <= n <= len(df):
        raise CourseError(f"balanced_sample: asked for {n} rows but the table has {len(df)}.")
    groups = [
        group.sample(frac=1, random_state=seed)
        for _, group in sorted(df.groupby(label_column), key=lambda kv: str(kv[0]))
    ]
    picked = []
    for round_number in range(max((len(g) for g in groups), default=0)):
        for group in groups:
            if len(picked) < n and round_number < len(group):
                picked.append(group.index[round_number])
    return df.loc[picked]
