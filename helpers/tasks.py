"""A task: what the model reads, what it should answer, and how an answer is read and scored.

The course's two tasks are two values of one type, and a learner's own labelled file is a third:

    REVIEWS, TICKETS                                      the course's tasks (`get_task("reviews")`)
    Task.from_file("my_labels.csv", text="email", label="team")   your task, split train/validation/test

Every field is plain data or a short function, so a notebook can print a task and see all of it.
"""
import csv
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import SEED
from .data import (ISSUE_TYPES, PRODUCTS, REVIEW_LABELS, SPLITS, TICKET_FIELDS, URGENCIES, balanced_sample, load_reviews,
                   load_tickets)
from .errors import CourseError

REVIEW_INSTRUCTION = ("Classify the sentiment of this customer review as one of: "
                      + ", ".join(REVIEW_LABELS) + ".")
TICKET_INSTRUCTION = ("Extract these fields from the support message as JSON: "
                      "product (one of " + ", ".join(PRODUCTS) + "), "
                      "issue_type (one of " + ", ".join(ISSUE_TYPES) + "), "
                      "urgency (" + ", ".join(URGENCIES) + ") and "
                      "order_id (like HH-48213, or null).")
# The same request in other words, the instruction first (for `helpers.consistency.across_paraphrases`).
REVIEW_PARAPHRASES = (
    REVIEW_INSTRUCTION,
    "What is the sentiment of the following review? Choose from: " + ", ".join(REVIEW_LABELS) + ".",
    "Read the customer review below and say how the customer feels: " + ", ".join(REVIEW_LABELS) + ".",
    "Sentiment label (" + " / ".join(REVIEW_LABELS) + ") for this review:",
    "Decide whether this review is " + ", ".join(REVIEW_LABELS[:-1]) + " or " + REVIEW_LABELS[-1] + ".",
    "You will see a product review. Rate its sentiment with one of these labels: " + ", ".join(REVIEW_LABELS) + ".",
)
TICKET_PARAPHRASES = (
    TICKET_INSTRUCTION,
    "Turn this support message into a JSON object with the keys product (one of " + ", ".join(PRODUCTS)
    + "), issue_type (one of " + ", ".join(ISSUE_TYPES) + "), urgency (" + ", ".join(URGENCIES)
    + ") and order_id (like HH-48213, or null).",
    "Read the customer's message and fill in JSON: which product (" + ", ".join(PRODUCTS)
    + "), what kind of issue (" + ", ".join(ISSUE_TYPES) + "), how urgent (" + ", ".join(URGENCIES)
    + ") and the order id (like HH-48213, or null if there is none).",
)
_LABEL_PATTERN = re.compile(r"very[\s_-]*negative|very[\s_-]*positive|negative|positive|mixed")


def parse_review_label(text: str) -> str | None:
    """The first review label named in an answer (after a last 'Answer:' if there is one), else None.

    Case, spaces and hyphens are forgiven: 'Very positive.' -> 'very_positive'.
    """
    text = str(text).lower()
    if "answer:" in text:
        text = text.rsplit("answer:", 1)[1]
    found = _LABEL_PATTERN.search(text)
    return re.sub(r"[\s_-]+", "_", found.group()) if found else None


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


@dataclass(frozen=True)
class Task:
    """One task. `load(split)` gives a DataFrame with a `text` column and the answer's column(s)."""
    name: str
    instruction: str                       # what the model is asked, before the input
    input_name: str                        # the input's name in the prompt: "Review: ..."
    label_column: str                      # the column a balanced sample (or a stratified split) balances
    load: Callable[[str], pd.DataFrame] = field(repr=False)
    answer: Callable[[pd.Series], str] = field(repr=False)           # the ideal answer to a row, as text
    parse: Callable[[str], object] = field(repr=False)               # a model's answer -> prediction (None: unreadable)
    score: Callable[[object, pd.Series], float] = field(repr=False)  # prediction, row -> 0..1
    labels: tuple[str, ...] = ()           # the allowed answers of a classification task (label scoring needs them)
    max_new_tokens: int = 8                # room for an answer
    paraphrases: tuple[str, ...] = ()      # the instruction, then the same request in other words (consistency)

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
    def from_file(cls, path, text: str, label: str, name: str | None = None, seed: int = SEED) -> "Task":
        """A classification task from your own labelled examples: a CSV file (also as Excel saves it) or JSON Lines.

        One row per example: `text` names the input column, `label` the answer column. The rows are split
        into train, validation and test with a fixed seed, each label in the same proportions.
        """
        path = Path(path)
        frame = _read_table(path)
        for role, column in (("text", text), ("label", label)):
            if column not in frame.columns:
                raise CourseError(f"{path}: no column {column!r} for the {role} (columns: {', '.join(map(str, frame.columns))}).")
        table = pd.DataFrame({"text": frame[text].map(_clean), "label": frame[label].map(_clean)})
        for column, what in (("text", "text"), ("label", "label")):
            empty = table.index[table[column] == ""]
            if len(empty):
                raise CourseError(f"{path}, row {_row_number(path, empty[0])}: empty {what} in column "
                                  f"{text if column == 'text' else label!r}. Fill it in or delete the row.")
        repeated = table.index[table.duplicated("text")]
        if len(repeated):
            first = table.index[(table["text"] == table.loc[repeated[0], "text"])][0]
            raise CourseError(f"{path}, row {_row_number(path, repeated[0])}: the same text as row {_row_number(path, first)}. "
                              "A repeated example could land in train and test at once: delete one.")
        counts = table["label"].value_counts()
        if len(counts) < 2:
            raise CourseError(f"{path}: every example has the label {counts.index[0]!r}; a task needs two labels or more.")
        scarce = counts[counts < MIN_PER_LABEL]
        if len(scarce):
            listed = ", ".join(f"{label!r} ({count})" for label, count in scarce.items())
            raise CourseError(f"{path}: too few examples of {listed}: each label needs at least {MIN_PER_LABEL}, to "
                              "learn from, to choose on and to test on (30 or more each make the measurements conclusive).")
        splits = stratified_split(table, "label", seed)
        labels = tuple(sorted(counts.index))
        listed = ", ".join(labels)
        what = text.replace("_", " ")
        return cls(name=name or path.stem, instruction=f"Classify this {what} as one of: {listed}.",
                   input_name=what.capitalize(), label_column="label", load=splits.__getitem__,
                   answer=lambda row: str(row["label"]), parse=lambda answer: parse_label(answer, labels),
                   score=lambda prediction, row: float(prediction == row["label"]), labels=labels,
                   paraphrases=(f"Classify this {what} as one of: {listed}.",
                                f"Which of these labels fits the {what} below? Choose from: {listed}.",
                                f"Read the {what} and answer with one label ({listed})."))


def _read_table(path: Path) -> pd.DataFrame:
    """A CSV (comma or semicolon, with or without Excel's byte-order mark) or JSON Lines file, every cell as text."""
    if not path.is_file():
        raise CourseError(f"No file {path}: check the name and the folder (on Colab, upload it with the file browser "
                          "on the left; on Binder, drag it into JupyterLab's file list).")
    if path.suffix.lower() in (".jsonl", ".json"):
        rows = []
        for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as error:
                    raise CourseError(f"{path}, line {number}: not valid JSON ({error.msg}). Each line must be one "
                                      'object like {"text": "...", "label": "..."}.') from None
                if not isinstance(row, dict):
                    raise CourseError(f"{path}, line {number}: each line must be one JSON object, not {type(row).__name__}.")
                rows.append(row)
        frame = pd.DataFrame(rows)
    elif path.suffix.lower() in (".csv", ".tsv", ".txt"):
        try:
            sample = path.read_text(encoding="utf-8-sig")[:4096]
            try:
                delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
            except csv.Error:
                delimiter = ","
            frame = pd.read_csv(path, sep=delimiter, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (pd.errors.ParserError, UnicodeDecodeError) as error:
            raise CourseError(f"{path}: cannot read it as CSV ({str(error).strip()}). Save it as 'CSV UTF-8'.") from None
    else:
        raise CourseError(f"{path}: a {path.suffix or 'extensionless'} file; give a .csv (Excel: Save As 'CSV UTF-8') "
                          "or a .jsonl file.")
    if frame.empty:
        raise CourseError(f"{path} has no examples.")
    return frame


def _clean(value) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else " ".join(str(value).split())


def _row_number(path: Path, index: int) -> int:
    """The number a learner sees: the line in a CSV (after its header), the line in a JSON Lines file."""
    return index + (1 if path.suffix.lower() in (".jsonl", ".json") else 2)


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
        parts["test"].append(rows.iloc[n_validation:n_validation + n_test])
        parts["train"].append(rows.iloc[n_validation + n_test:])
    return {split: pd.concat(frames).sort_index().reset_index(drop=True) for split, frames in parts.items()}


def parse_label(answer: str, labels: tuple[str, ...]) -> str | None:
    """The label an answer names first (case, spaces, hyphens and underscores forgiven; the longest label wins
    where two start at the same place), else None."""
    def simple(text):
        return re.sub(r"[\s_-]+", " ", str(text).lower()).strip()
    text = simple(answer)
    found = [(match.start(), -len(label), label) for label in labels
             for match in [re.search(rf"(?<!\w){re.escape(simple(label))}(?!\w)", text)] if match]
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


REVIEWS = Task(name="reviews", instruction=REVIEW_INSTRUCTION, input_name="Review", label_column="label",
               load=load_reviews, answer=lambda row: str(row["label"]), parse=parse_review_label,
               score=lambda prediction, row: float(prediction == row["label"]), labels=REVIEW_LABELS, max_new_tokens=8,
               paraphrases=REVIEW_PARAPHRASES)
TICKETS = Task(name="tickets", instruction=TICKET_INSTRUCTION, input_name="Message",
               label_column="issue_type", load=load_tickets, answer=_ticket_answer, parse=_parse_ticket,
               score=_ticket_score, max_new_tokens=64, paraphrases=TICKET_PARAPHRASES)
COURSE_TASKS = {task.name: task for task in (REVIEWS, TICKETS)}


def get_task(task) -> Task:
    """A Task, given one or the name of a course task ("reviews", "tickets")."""
    if isinstance(task, Task):
        return task
    if task not in COURSE_TASKS:
        raise CourseError(f"Unknown task {task!r}: use 'reviews', 'tickets' or a Task (e.g. Task.from_file(...)).")
    return COURSE_TASKS[task]
