"""A task: what the model reads, what it should answer, and how an answer is read and scored.

The course's tasks are values of one type, and a learner's own labelled file is one more:

    REVIEWS             real sentences from Amazon product reviews, five shades (`get_task("reviews")`)
    MOVIE_REVIEWS       real sentences from movie reviews, the same shades: another domain
    SYNTHETIC_REVIEWS   made-up reviews with a written labelling rule (and a shortcut: a closing verdict)
    TICKETS             support messages -> four JSON fields
    REPLIES             support messages -> a reply in Halcyon Home's house style (scored by its rules, notebook 07)
    Task.from_file("my_labels.csv", text="email", label="team")   your task, cleaned (`notes` says how) and split

Everything that differs between tasks lives on the Task: the instruction and its other wordings, the texts a
prompt engineer wrote for it (label definitions, a role, background, a strict format, a reasoning hint), how an
answer is parsed and scored. Every field is plain data or a short function, so a notebook can print a task and
see all of it.
"""

import codecs
import csv
import io
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.config import SEED
from ..core.errors import CourseError
from .data import (
    ISSUE_TYPES,
    PRODUCTS,
    REVIEW_LABELS,
    SPLITS,
    SYNTHETIC_LABELS,
    TICKET_FIELDS,
    URGENCIES,
    balanced_sample,
    company_glossary,
    load_movie_reviews,
    load_replies,
    load_reviews,
    load_synthetic_reviews,
    load_tickets,
)
from .house_style import HOUSE_STYLE, style_score


def _listed(labels) -> str:
    return ", ".join(labels)


REVIEW_INSTRUCTION = (
    f"Classify the sentiment of this sentence from a customer review as one of: {_listed(REVIEW_LABELS)}."
)
# The same request in other words, the instruction first (for `helpers.prompting.consistency.across_paraphrases`).
REVIEW_PARAPHRASES = (
    REVIEW_INSTRUCTION,
    f"What is the sentiment of the following review sentence? Choose from: {_listed(REVIEW_LABELS)}.",
    f"Read the sentence from a customer review below and say how the customer feels: {_listed(REVIEW_LABELS)}.",
    f"Sentiment label ({' / '.join(REVIEW_LABELS)}) for this review sentence:",
    f"Decide whether this review sentence is {_listed(REVIEW_LABELS[:-1])} or {REVIEW_LABELS[-1]}.",
    "You will see a sentence from a product review. Rate its sentiment with one of these labels: "
    f"{_listed(REVIEW_LABELS)}.",
)
REVIEW_DEFINITIONS = (
    "Labels:\n"
    '- very_positive: strong praise ("excellent", "I love it").\n'
    "- positive: mild praise, or a plus point stated plainly.\n"
    "- neutral: a fact, a question or a description with no opinion, or praise and complaint in balance.\n"
    "- negative: a mild complaint, or a minus point stated plainly.\n"
    '- very_negative: a strong complaint ("junk", "never buy this").'
)
REVIEW_CONTEXT = (
    "How the sentences were labelled: about 20 people rated each sentence from -4 (extremely negative) "
    "to +4 (extremely positive), 0 meaning neutral or no opinion. The label is the shade of their mean: "
    "between -0.5 and +0.5 neutral, from 0.5 to 1.5 (either way) negative or positive, beyond that "
    "very_negative or very_positive. A sentence that only describes the product or how it was used is "
    "neutral."
)
ANALYST = (
    "You are a meticulous customer-feedback analyst. You read reviews carefully and label their sentiment precisely."
)
LABEL_ONLY = "Reply with the label only, exactly as written above: one word, no punctuation, no explanation."
REASON_THEN_LABEL = (
    "First explain in one or two sentences what the reviewer feels, then write a last line 'Answer: <label>'."
)

MOVIE_INSTRUCTION = f"Classify the sentiment of this sentence from a movie review as one of: {_listed(REVIEW_LABELS)}."

SYNTHETIC_INSTRUCTION = f"Classify the sentiment of this customer review as one of: {_listed(SYNTHETIC_LABELS)}."
SYNTHETIC_PARAPHRASES = (
    SYNTHETIC_INSTRUCTION,
    f"What is the sentiment of the following review? Choose from: {_listed(SYNTHETIC_LABELS)}.",
    f"Read the customer review below and say how the customer feels: {_listed(SYNTHETIC_LABELS)}.",
    f"Sentiment label ({' / '.join(SYNTHETIC_LABELS)}) for this review:",
    f"Decide whether this review is {_listed(SYNTHETIC_LABELS[:-1])} or {SYNTHETIC_LABELS[-1]}.",
    f"You will see a product review. Rate its sentiment with one of these labels: {_listed(SYNTHETIC_LABELS)}.",
)
SYNTHETIC_DEFINITIONS = (
    "Labels:\n"
    "- very_positive: strong praise and no complaint at all.\n"
    "- positive: mild praise only, or strong praise with only mild complaints.\n"
    "- mixed: praise and complaints of equal strength.\n"
    "- negative: mild complaints only, or strong complaints with only mild praise.\n"
    "- very_negative: strong complaints and no praise at all."
)
SYNTHETIC_CONTEXT = (
    "How the reviews were labelled: every opinion about the product is praise or a complaint, "
    "mild or strong. Compare the strongest praise with the strongest complaint. 'Not very comfortable' "
    "is a mild complaint; sarcasm ('Oh great, it broke') is a strong complaint; opinions about other "
    "things (another shop, a previous model) do not count. A closing bottom line ('Overall, ...', "
    "'Verdict: ...') decides the label on its own."
)

TICKET_INSTRUCTION = (
    "Extract these fields from the support message as JSON: "
    "product (one of " + ", ".join(PRODUCTS) + "), "
    "issue_type (one of " + ", ".join(ISSUE_TYPES) + "), "
    "urgency (" + ", ".join(URGENCIES) + ") and "
    "order_id (like HH-48213, or null)."
)
TICKET_PARAPHRASES = (
    TICKET_INSTRUCTION,
    "Turn this support message into a JSON object with the keys product (one of "
    + ", ".join(PRODUCTS)
    + "), issue_type (one of "
    + ", ".join(ISSUE_TYPES)
    + "), urgency ("
    + ", ".join(URGENCIES)
    + ") and order_id (like HH-48213, or null).",
    "Read the customer's message and fill in JSON: which product ("
    + ", ".join(PRODUCTS)
    + "), what kind of issue ("
    + ", ".join(ISSUE_TYPES)
    + "), how urgent ("
    + ", ".join(URGENCIES)
    + ") and the order id (like HH-48213, or null if there is none).",
)
TICKET_DEFINITIONS = (
    "Fields:\n"
    "- product: the device the customer writes about, by its full catalogue name.\n"
    "- issue_type: billing (charges, subscription), delivery (shipping, parcel), defect (broken, faulty), "
    "account (login, app account), how_to (a question on using a feature), refund (money or item back).\n"
    "- urgency: high for a safety risk, a whole-home outage or a same-day deadline; low for a question "
    "with no rush; medium otherwise.\n"
    "- order_id: 'HH-' and five digits exactly as written, or null when the message has none."
)
_LABEL_PATTERN = re.compile(r"very[\s_-]*negative|very[\s_-]*positive|negative|positive|mixed")


def parse_review_label(text: str) -> str | None:
    """The first label of the made-up reviews named in an answer (after a last 'Answer:' if there is one), else None.

    Case, spaces and hyphens are forgiven: 'Very positive.' -> 'very_positive'.
    """
    text = str(text).lower()
    if "answer:" in text:
        text = text.rsplit("answer:", 1)[1]
    found = _LABEL_PATTERN.search(text)
    return re.sub(r"[\s_-]+", "_", found.group()) if found else None


def parse_answer_label(answer: str, labels: tuple[str, ...]) -> str | None:
    """The label an answer names first, read after a last 'Answer:' when there is one (a reasoned answer)."""
    text = str(answer)
    if "answer:" in text.lower():
        text = text[text.lower().rindex("answer:") + len("answer:") :]
    return parse_label(text, labels)


def parse_ticket_json(text: str) -> dict | None:
    """The first JSON object in an answer (code fences and chatter around it are fine), else None."""
    decoder = json.JSONDecoder()
    text = str(text)
    for start in [i for i, char in enumerate(text) if char == "{"]:
        try:
            value, _ = decoder.raw_decode(text, start)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value
    return None


def normalise_ticket(fields: dict) -> dict:
    """The four ticket fields in a comparable form: trimmed, lower case, 'null'/'' -> None."""

    def clean(value):
        if value is None:
            return None
        value = " ".join(str(value).split()).lower()
        return None if value in ("", "null", "none", "n/a") else value

    return {field: clean(fields.get(field)) for field in TICKET_FIELDS}


MIN_PER_LABEL = 6  # examples of each label a file needs: some to learn from, one or more to choose on and to test on
SPLIT_SHARES = {"validation": 0.2, "test": 0.3}  # of each label's examples; the rest is train
MISSING_LABELS = (
    "",
    "nan",
    "na",
    "n/a",
    "#n/a",
    "null",
)  # cells that mean "no label" (what spreadsheets and pandas write)
MAX_TEXT_TOKENS = 1500  # of the course model's 2,048-token context: the rest holds the instruction and the answer
CHARACTERS_PER_TOKEN = 3  # a cautious estimate where no tokenizer counts (English text averages about 4)


@dataclass(frozen=True)
class Task:
    """One task. `load(split)` gives a DataFrame with a `text` column and the answer's column(s)."""

    name: str
    instruction: str  # what the model is asked, before the input
    input_name: str  # the input's name in the prompt: "Review: ..."
    label_column: str  # the column a balanced sample (or a stratified split) balances
    load: Callable[[str], pd.DataFrame] = field(repr=False)
    answer: Callable[[pd.Series], str] = field(repr=False)  # the ideal answer to a row, as text
    parse: Callable[[str], object] = field(repr=False)  # a model's answer -> prediction (None: unreadable)
    score: Callable[[object, pd.Series], float] = field(repr=False)  # prediction, row -> 0..1
    labels: tuple[str, ...] = ()  # the allowed answers of a classification task (label scoring needs them)
    max_new_tokens: int = 8  # room for an answer
    paraphrases: tuple[str, ...] = ()  # the instruction, then the same request in other words (consistency)
    fields: tuple[str, ...] = ()  # an extraction task's JSON fields, each scored (its answer parses to a dict)
    # What a prompt engineer wrote for the task; a prompt pattern is offered only where its text exists.
    definitions: str | None = None  # what each label (field) means: the `explicit` pattern
    role: str | None = None  # a system prompt: the `role` pattern
    context: str | None = None  # background knowledge: the `context` pattern
    strict_format: str | None = None  # the exact form of the answer: the `strict_format` pattern
    reasoning: str | None = None  # reason first, then 'Answer: ...': the `chain_of_thought` pattern
    notes: tuple[str, ...] = ()  # what reading its file changed (`from_file`), one sentence each

    def split(self, split: str) -> pd.DataFrame:
        """One split ("train", "validation" or "test")."""
        if split not in SPLITS:
            raise CourseError(f"Unknown split {split!r}: use one of {', '.join(SPLITS)}.")
        return self.load(split)

    def sample(self, split: str, n: int, seed: int = SEED) -> pd.DataFrame:
        """`n` rows of a split spread evenly over the labels (all rows if it has fewer), renumbered from 0."""
        frame = self.split(split)
        return balanced_sample(frame, min(n, len(frame)), self.label_column, seed=seed).reset_index(drop=True)

    @classmethod
    def from_file(
        cls,
        path,
        text: str,
        label: str,
        name: str | None = None,
        seed: int = SEED,
        tokenizer=None,
        max_text_tokens: int = MAX_TEXT_TOKENS,
    ) -> "Task":
        """A classification task from your own labelled examples: a CSV file (also as Excel saves it) or JSON Lines,
        in UTF-8, UTF-16 or Latin-1.

        One row per example: `text` names the input column, `label` the answer column. The rows are cleaned first
        (`clean_examples`: rows without a label or a text, repeated texts, labels spelt two ways, labels too rare to
        split, texts too long for the model, counted with `tokenizer` where given) and every change is a sentence in
        `notes`. Then they are split into train, validation and test with a fixed seed, each label in the same
        proportions.
        """
        path = Path(path)
        if text == label:
            raise CourseError(
                f"{path}: the text and the label are both the column {text!r}; name the column with the "
                "text to classify and the column with its label."
            )
        frame, encoding = _read_table(path)
        for role, column in (("text", text), ("label", label)):
            if column not in frame.columns:
                raise CourseError(
                    f"{path}: no column {column!r} for the {role} (columns: {', '.join(map(str, frame.columns))})."
                )
        table = pd.DataFrame({"text": frame[text].map(_clean), "label": frame[label].map(_label_text)})
        table, notes = clean_examples(table, path, tokenizer, max_text_tokens)
        splits = stratified_split(table, "label", seed)
        labels = tuple(sorted(table["label"].unique()))
        listed = ", ".join(labels)
        what = text.replace("_", " ")
        return cls(
            name=name or path.stem,
            instruction=f"Classify this {what} as one of: {listed}.",
            input_name=what.capitalize(),
            label_column="label",
            load=splits.__getitem__,
            answer=lambda row: str(row["label"]),
            parse=lambda answer: parse_label(answer, labels),
            score=lambda prediction, row: float(prediction == row["label"]),
            labels=labels,
            paraphrases=(
                f"Classify this {what} as one of: {listed}.",
                f"Which of these labels fits the {what} below? Choose from: {listed}.",
                f"Read the {what} and answer with one label ({listed}).",
            ),
            notes=tuple(_encoding_notes(encoding) + notes),
        )


# --- Reading a file: its encoding, then its rows --------------------------------------------------------------

BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)  # (UTF-32's marks first: longer)
GUESSED_ENCODINGS = ("utf-8", "cp1252", "latin-1")  # without a mark; Excel on Windows saves "CSV" in cp1252
ENCODING_NAMES = {
    "utf-16": "UTF-16",
    "utf-32": "UTF-32",
    "cp1252": "Windows-1252 (Western European)",
    "latin-1": "Latin-1",
}


def _decoded(path: Path) -> tuple[str, str]:
    """The text of a file and its encoding: a byte-order mark decides (UTF-8, UTF-16, UTF-32); without one, UTF-8,
    else Windows-1252, else Latin-1 (which reads any byte)."""
    raw = path.read_bytes()
    mark = next((encoding for mark, encoding in BYTE_ORDER_MARKS if raw.startswith(mark)), None)
    for encoding in (mark,) if mark else GUESSED_ENCODINGS:
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        name = ENCODING_NAMES[mark]
        raise CourseError(
            f"{path} starts with the byte-order mark of {name} but is not {name} text (cut short?): save "
            "it again as 'CSV UTF-8'."
        )
    if "\x00" in text:
        raise CourseError(
            f"{path} holds NUL characters, so it is not plain text (UTF-16 without its byte-order mark, or "
            "a spreadsheet's own format?): save it as 'CSV UTF-8'."
        )
    return text, encoding


def _encoding_notes(encoding: str) -> list[str]:
    """A sentence when a file was not UTF-8: how it was read."""
    if encoding in ("utf-8", "utf-8-sig"):
        return []
    if encoding in ("utf-16", "utf-32"):
        return [f"Read as {ENCODING_NAMES[encoding]} (the file starts with its byte-order mark)."]
    return [
        f"Read as {ENCODING_NAMES[encoding]}: the file is not UTF-8. If accented letters look wrong in the report, "
        "save it as 'CSV UTF-8' and run again."
    ]


def _read_table(path: Path) -> tuple[pd.DataFrame, str]:
    """A CSV (comma, semicolon or tab) or JSON Lines file, every cell as text, and the file's encoding (`_decoded`).
    The index is the row's place in the file (see `_row_number`)."""
    if not path.is_file():
        raise CourseError(
            f"No file {path}: check the name and the folder (on Colab, upload it with the file browser "
            "on the left; on Binder, drag it into JupyterLab's file list)."
        )
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".json", ".csv", ".tsv", ".txt"):
        raise CourseError(
            f"{path}: a {path.suffix or 'extensionless'} file; give a .csv (Excel: Save As 'CSV UTF-8') "
            "or a .jsonl file."
        )
    text, encoding = _decoded(path)
    if not text.strip():
        raise CourseError(
            f"{path} is empty{' (only a byte-order mark)' if path.stat().st_size else ''}: save your "
            "table with a header row naming its columns (e.g. text,label), then one row per example."
        )
    frame = _json_lines(path, text) if suffix in (".jsonl", ".json") else _csv_table(path, text)
    if frame.empty:
        raise CourseError(f"{path} has no examples.")
    return frame, encoding


def _json_lines(path: Path, text: str) -> pd.DataFrame:
    """One row per non-blank line, each a JSON object; the index is the line's number less one."""
    rows, numbers = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                row = json.loads(line)
            except json.JSONDecodeError as error:
                raise CourseError(
                    f"{path}, line {number}: not valid JSON ({error.msg}). Each line must be one "
                    'object like {"text": "...", "label": "..."}.'
                ) from None
            if not isinstance(row, dict):
                raise CourseError(
                    f"{path}, line {number}: each line must be one JSON object, not {type(row).__name__}."
                )
            rows.append(row)
            numbers.append(number - 1)
    return pd.DataFrame(rows, index=numbers)


def _csv_table(path: Path, text: str) -> pd.DataFrame:
    """A CSV table (its separator sniffed: comma, semicolon or tab), every cell as text."""
    try:
        delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    try:
        return pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)
    except pd.errors.ParserError as error:
        raise CourseError(f"{path}: cannot read it as CSV ({str(error).strip()}). Save it as 'CSV UTF-8'.") from None


def _clean(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else " ".join(str(value).split())


def _label_text(value) -> str:
    """A label cell as text: a whole number as itself (JSON's 3 and 3.0, or pandas' 3.0 where a value is missing,
    become "3"); an empty or missing cell as ""."""
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return _clean(value)


def _row_number(path: Path, index: int) -> int:
    """The number a learner sees: the line in a CSV (after its header), the line in a JSON Lines file."""
    return index + (1 if path.suffix.lower() in (".jsonl", ".json") else 2)


def _rows(path: Path, index, shown: int = 5) -> str:
    """'rows 4, 9 and 12' (the first few of many: 'rows 4, 9, 12, 15, 20 and 7 more')."""
    numbers = [str(_row_number(path, i)) for i in index]
    if len(numbers) == 1:
        return f"row {numbers[0]}"
    if len(numbers) > shown:
        return f"rows {', '.join(numbers[:shown])} and {len(numbers) - shown} more"
    return f"rows {', '.join(numbers[:-1])} and {numbers[-1]}"


def _counted(count: int, thing: str) -> str:
    """'1 row', '3 rows'."""
    return f"{count} {thing}{'' if count == 1 else 's'}"


def _quoted(text: str, width: int = 60) -> str:
    return repr(text if len(text) <= width else text[: width - 3] + "...")


# --- Cleaning a file's rows: each step drops or changes rows and says so -----------------------------------------


def clean_examples(
    table: pd.DataFrame, path: Path, tokenizer=None, max_text_tokens: int = MAX_TEXT_TOKENS
) -> tuple[pd.DataFrame, list[str]]:
    """The rows of a labelled file that a task can use, and one sentence for each change made.

    `table` has the columns text and label, indexed by the row's place in the file. In order: rows without a label
    dropped, labels that differ only by case or separators merged, texts without a letter or digit dropped, a text
    given different labels dropped with all its copies, repeated texts (also when they differ only by case, spaces or
    punctuation) dropped but the first, texts too long for the model cut, and labels too rare to split dropped (a task
    needs two labels that are not)."""
    notes = []
    for step in (_without_missing_labels, _merged_labels, _without_empty_texts, _without_repeats):
        table, said = step(table, path)
        notes += said
    if table.empty:
        raise CourseError(
            f"{path}: no row is left with both a text and a label. {' '.join(notes)} Check the column names."
        )
    texts = cut_texts(table["text"], max_text_tokens, tokenizer)
    cut = texts != table["text"]
    if cut.any():
        notes.append(_cut_note(int(cut.sum()), max_text_tokens, tokenizer) + f" ({_rows(path, table.index[cut])}).")
        table = table.assign(text=texts)
    table, said = _frequent_labels(table, path)
    return table, notes + said


def _without_missing_labels(table: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[str]]:
    missing = table["label"].str.casefold().isin(MISSING_LABELS)
    if not missing.any():
        return table, []
    return table[~missing], [
        f"Dropped {_counted(missing.sum(), 'row')} without a label (an empty, NaN, NA or null cell "
        f"is not a class): {_rows(path, table.index[missing])}."
    ]


def _label_key(label: str) -> str:
    """What two spellings of one label share: 'High-Priority', 'high_priority', 'high priority' -> 'high_priority'."""
    return re.sub(r"[\s_-]+", "_", label.casefold()).strip("_")


def _merged_labels(table: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Labels that differ only by case or separators as one (the commonest spelling; a tie: the first in the file):
    the model's answers, read by `parse_label`, could not tell them apart."""
    renamed, said = {}, []
    for _, spellings in table.groupby(table["label"].map(_label_key), sort=False)["label"]:
        counts = Counter(spellings)
        if len(counts) > 1:
            kept = counts.most_common(1)[0][0]
            renamed.update({spelling: kept for spelling in counts})
            said.append(
                " and ".join(f"{spelling!r} ({_counted(count, 'row')})" for spelling, count in counts.items())
                + f" became {kept!r}"
            )
    if not said:
        return table, []
    return table.assign(label=table["label"].replace(renamed)), [
        f"Merged labels that differ only by case or separators: {'; '.join(said)}."
    ]


def _comparable(text: str) -> str:
    """A text without case, spaces or punctuation: two texts that differ only so give the same."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


def _without_empty_texts(table: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[str]]:
    empty = table["text"].map(_comparable) == ""
    if not empty.any():
        return table, []
    return table[~empty], [
        f"Dropped {_counted(empty.sum(), 'row')} whose text has no letter or digit (empty, or only "
        f"punctuation and symbols): {_rows(path, table.index[empty])}."
    ]


def _without_repeats(table: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """A text given different labels goes with all its copies; of a repeated text, the first copy stays. Texts that
    differ only by case, spaces or punctuation count as one, so that no text lands in train and in test."""
    keys = table["text"].map(_comparable)
    conflicting = table.groupby(keys)["label"].transform("nunique") > 1
    notes = []
    if conflicting.any():
        first = table[conflicting].iloc[0]
        copies = table[conflicting & (keys == _comparable(first["text"]))]
        notes.append(
            f"Dropped {_counted(conflicting.sum(), 'row')} holding {_counted(keys[conflicting].nunique(), 'text')} "
            f"given different labels (one text cannot teach or test two answers), e.g. {_quoted(first['text'])} as "
            f"{' and '.join(map(repr, dict.fromkeys(copies['label'])))} ({_rows(path, copies.index)})."
        )
        table, keys = table[~conflicting], keys[~conflicting]
    repeated = keys.duplicated()
    if repeated.any():
        near = int((repeated & (table["text"] != table["text"].groupby(keys).transform("first"))).sum())
        alike = (
            f" ({near} {'differs' if near == 1 else 'differ'} from it only by case, spaces or punctuation)"
            if near
            else ""
        )
        notes.append(
            f"Dropped {_counted(repeated.sum(), 'repeated text')}, keeping the first copy of each{alike}, so that "
            f"no text is in train and in test at once: {_rows(path, table.index[repeated])}."
        )
    return table[~repeated], notes


def cut_texts(texts: pd.Series, max_tokens: int, tokenizer=None) -> pd.Series:
    """Each text cut to its first `max_tokens` tokens of `tokenizer` (without one: `CHARACTERS_PER_TOKEN` characters a
    token, a cautious estimate); shorter texts as they are."""
    if tokenizer is None:
        limit = max_tokens * CHARACTERS_PER_TOKEN
        return texts.map(lambda text: text if len(text) <= limit else text[:limit].strip())
    if texts.empty:
        return texts
    ids = tokenizer(list(texts), add_special_tokens=False, split_special_tokens=True).input_ids
    return pd.Series(
        [
            text if len(row) <= max_tokens else tokenizer.decode(row[:max_tokens]).rstrip("\ufffd").strip()
            for text, row in zip(texts, ids)
        ],
        index=texts.index,
    )


def _cut_note(count: int, max_tokens: int, tokenizer) -> str:
    counted = (
        "counted by the model's tokenizer"
        if tokenizer is not None
        else f"estimated at {CHARACTERS_PER_TOKEN} characters a token"
    )
    return (
        f"Cut {_counted(count, 'text')} longer than {max_tokens:,} tokens ({counted}) to the first {max_tokens:,}, "
        "so that the instruction, the text and the answer fit the model's context"
    )


def with_texts_cut(task: "Task", tokenizer, max_tokens: int = MAX_TEXT_TOKENS) -> "Task":
    """`task` with every text of its splits at most `max_tokens` tokens of `tokenizer`, and a note saying how many were
    cut; the task itself when every text fits."""
    splits = {split: task.split(split) for split in SPLITS}
    cut = {split: frame.assign(text=cut_texts(frame["text"], max_tokens, tokenizer)) for split, frame in splits.items()}
    count = sum(int((cut[split]["text"] != frame["text"]).sum()) for split, frame in splits.items())
    if not count:
        return task
    return replace(task, load=cut.__getitem__, notes=task.notes + (_cut_note(count, max_tokens, tokenizer) + ".",))


def _frequent_labels(table: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Labels with fewer than MIN_PER_LABEL rows dropped, as long as two labels remain (else a clear refusal)."""
    counts = table["label"].value_counts()
    if len(counts) < 2:
        raise CourseError(f"{path}: every example has the label {counts.index[0]!r}; a task needs two labels or more.")
    scarce = counts[counts < MIN_PER_LABEL]
    listed = ", ".join(f"{label!r} ({count})" for label, count in scarce.items())
    remaining = len(counts) - len(scarce)
    if remaining < 2:
        raise CourseError(
            f"{path}: too few examples of {listed}: each label needs at least {MIN_PER_LABEL}, to "
            "learn from, to choose on and to test on (30 or more each make the measurements conclusive)."
        )
    if scarce.empty:
        return table, []
    return table[~table["label"].isin(scarce.index)], [
        f"Dropped {'the label' if len(scarce) == 1 else 'the labels'} {listed}: too few rows, each label needs at "
        "least "
        f"{MIN_PER_LABEL}, to learn from, to choose on and to test on; {remaining} labels remain."
    ]


def stratified_split(table: pd.DataFrame, label_column: str, seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Train, validation and test with every label in the same proportions; the same rows for the same seed.

    Each label's rows are shuffled and cut by SPLIT_SHARES; every split gets at least one row of each label.
    """
    parts = {split: [] for split in SPLITS}
    for _, group in sorted(table.groupby(label_column), key=lambda kv: str(kv[0])):
        rows = group.sample(frac=1, random_state=seed)
        n_validation = max(1, round(len(rows) * SPLIT_SHARES["validation"]))
        n_test = max(1, round(len(rows) * SPLIT_SHARES["test"]))
        parts["validation"].append(rows.iloc[:n_validation])
        parts["test"].append(rows.iloc[n_validation : n_validation + n_test])
        parts["train"].append(rows.iloc[n_validation + n_test :])
    return {split: pd.concat(frames).sort_index().reset_index(drop=True) for split, frames in parts.items()}


def parse_label(answer: str, labels: tuple[str, ...]) -> str | None:
    """The label an answer names first (case, spaces, hyphens and underscores forgiven; the longest label wins
    where two start at the same place), else None."""

    def simple(text):
        return re.sub(r"[\s_-]+", " ", str(text).lower()).strip()

    text = simple(answer)
    found = [
        (match.start(), -len(label), label)
        for label in labels
        for match in [re.search(rf"(?<!\w){re.escape(simple(label))}(?!\w)", text)]
        if match
    ]
    return min(found)[2] if found else None


def _ticket_answer(row) -> str:
    return json.dumps({name: row["expected"][name] for name in TICKET_FIELDS})


def _ticket_score(prediction, row) -> float:
    """The share of the four fields the prediction got right (0 when unreadable)."""
    if prediction is None:
        return 0.0
    wanted = normalise_ticket(row["expected"])
    return sum(prediction[name] == wanted[name] for name in TICKET_FIELDS) / len(TICKET_FIELDS)


def _parse_ticket(answer: str):
    fields = parse_ticket_json(answer)
    return None if fields is None else normalise_ticket(fields)


def _label_task(name, instruction, input_name, load, labels, **texts) -> Task:
    """A classification task whose answer is one of `labels` (a reasoned answer's label comes after 'Answer:')."""
    return Task(
        name=name,
        instruction=instruction,
        input_name=input_name,
        label_column="label",
        load=load,
        answer=lambda row: str(row["label"]),
        parse=lambda answer: parse_answer_label(answer, labels),
        score=lambda prediction, row: float(prediction == row["label"]),
        labels=labels,
        max_new_tokens=8,
        **texts,
    )


REVIEWS = _label_task(
    "reviews",
    REVIEW_INSTRUCTION,
    "Review",
    load_reviews,
    REVIEW_LABELS,
    paraphrases=REVIEW_PARAPHRASES,
    definitions=REVIEW_DEFINITIONS,
    role=ANALYST,
    context=REVIEW_CONTEXT,
    strict_format=LABEL_ONLY,
    reasoning=REASON_THEN_LABEL,
)
MOVIE_REVIEWS = _label_task(
    "movie_reviews", MOVIE_INSTRUCTION, "Review", load_movie_reviews, REVIEW_LABELS, paraphrases=(MOVIE_INSTRUCTION,)
)
SYNTHETIC_REVIEWS = Task(
    name="synthetic_reviews",
    instruction=SYNTHETIC_INSTRUCTION,
    input_name="Review",
    label_column="label",
    load=load_synthetic_reviews,
    answer=lambda row: str(row["label"]),
    parse=parse_review_label,
    score=lambda prediction, row: float(prediction == row["label"]),
    labels=SYNTHETIC_LABELS,
    max_new_tokens=8,
    paraphrases=SYNTHETIC_PARAPHRASES,
    definitions=SYNTHETIC_DEFINITIONS,
    role=ANALYST,
    context=SYNTHETIC_CONTEXT,
    strict_format=LABEL_ONLY,
    reasoning=REASON_THEN_LABEL,
)
TICKETS = Task(
    name="tickets",
    instruction=TICKET_INSTRUCTION,
    input_name="Message",
    label_column="issue_type",
    load=load_tickets,
    answer=_ticket_answer,
    parse=_parse_ticket,
    score=_ticket_score,
    max_new_tokens=64,
    paraphrases=TICKET_PARAPHRASES,
    fields=TICKET_FIELDS,
    definitions=TICKET_DEFINITIONS,
    role="You are a support-desk assistant at Halcyon Home. You turn customer messages into clean, structured "
    "ticket data.",
    context="Context:\n" + company_glossary(),
    strict_format=(
        "Reply with one JSON object on one line and nothing else, for example "
        '{"product": "Pulse Plug P2", "issue_type": "defect", "urgency": "medium", "order_id": null}'
    ),
    reasoning="First note in one or two sentences what the customer needs, then write a last line "
    "'Answer: <JSON object>'.",
)
REPLY_INSTRUCTION = "Write Halcyon Home's reply to this customer message."
REPLIES = Task(
    name="replies",
    instruction=REPLY_INSTRUCTION,
    input_name="Message",
    label_column="issue_type",
    load=load_replies,
    answer=lambda row: row["reply"],  # the house-style reply the data set pairs with the ticket
    parse=lambda answer: answer.strip(),  # a reply is read as it is: every rule is checked on its text
    score=lambda reply, row: style_score(reply, row["facts"]),  # the share of house-style rules it meets
    max_new_tokens=128,
    paraphrases=(REPLY_INSTRUCTION,),
    role=HOUSE_STYLE,  # the prompt engineer's lever: the style guide as a system prompt
)
COURSE_TASKS = {task.name: task for task in (REVIEWS, MOVIE_REVIEWS, SYNTHETIC_REVIEWS, TICKETS, REPLIES)}


def get_task(task) -> Task:
    """A Task, given one or the name of a course task ("reviews", "movie_reviews", "synthetic_reviews", "tickets",
    "replies")."""
    if isinstance(task, Task):
        return task
    if task not in COURSE_TASKS:
        raise CourseError(
            f"Unknown task {task!r}: use one of {', '.join(map(repr, COURSE_TASKS))} or a Task "
            "(e.g. Task.from_file(...))."
        )
    return COURSE_TASKS[task]


def require_task(task) -> Task:
    """The Task itself: everything below the entry points takes a Task, resolved once from a name by `get_task`."""
    if isinstance(task, Task):
        return task
    if isinstance(task, str) and task in COURSE_TASKS:
        raise CourseError(f"Expected a Task, got the name {task!r}: pass get_task({task!r}).")
    raise CourseError(
        f"Unknown task {task!r}: pass a Task, a course task (get_task with one of "
        f"{', '.join(map(repr, COURSE_TASKS))}) or your own (Task.from_file(...))."
    )
