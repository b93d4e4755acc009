import json

import pandas as pd
import pytest

from helpers.core.errors import CourseError
from helpers.prompting.evaluation import score_answers
from helpers.prompting.tasks import MIN_PER_LABEL, REVIEWS, TICKETS, Task, get_task, parse_label, with_texts_cut


@pytest.mark.parametrize("task", [REVIEWS, TICKETS], ids=lambda t: t.name)
def test_a_course_task_reads_and_scores_answers_as_the_evaluation_does(task):
    rows = task.sample("test", 12)
    ideal = [task.answer(row) for _, row in rows.iterrows()]
    wrong = ideal[1:] + ideal[:1]  # each row gets another row's answer: mostly wrong, some fields right
    for answers in (ideal, wrong, ["no idea"] * len(rows), [f"Answer: {a.upper()}" for a in ideal]):
        expected = score_answers(answers, rows, task)["score"].tolist()
        assert [task.score(task.parse(a), row) for a, (_, row) in zip(answers, rows.iterrows())] == expected


def test_a_task_is_found_by_name_and_an_unknown_one_is_refused():
    assert get_task("reviews") is REVIEWS and get_task(TICKETS) is TICKETS
    with pytest.raises(CourseError, match="Unknown task 'emails'.*Task.from_file"):
        get_task("emails")
    with pytest.raises(CourseError, match="Unknown split 'dev'"):
        REVIEWS.split("dev")


def test_parse_label_finds_the_first_label_and_prefers_the_longer_one():
    labels = ("negative", "very_negative", "positive")
    assert parse_label("Very negative, sadly.", labels) == "very_negative"
    assert parse_label("positive, not negative", labels) == "positive"
    assert parse_label("VERY-NEGATIVE", labels) == "very_negative"
    assert parse_label("nonnegative", labels) is None
    assert parse_label("", labels) is None


def write_emails(path, per_label=20, sep=",", bom=False):
    teams = ["billing", "shipping", "tech support"]
    rows = [
        (f"Email {i} about {team}: please help with case {i * 7 + j}.", team)
        for j, team in enumerate(teams)
        for i in range(per_label)
    ]
    text = "\n".join([f"body{sep}team"] + [f'"{body}"{sep}{team}' for body, team in rows]) + "\n"
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    return rows


def test_a_csv_becomes_a_task_split_stratified_and_reproducibly(tmp_path):
    rows = write_emails(tmp_path / "emails.csv")
    task = Task.from_file(tmp_path / "emails.csv", text="body", label="team")
    splits = {name: task.split(name) for name in ("train", "validation", "test")}
    assert sum(len(frame) for frame in splits.values()) == len(rows)
    assert not set(splits["train"]["text"]) & (set(splits["validation"]["text"]) | set(splits["test"]["text"]))
    for frame in splits.values():  # every label in every split, in the same proportions (20 each: 10/4/6)
        assert frame["label"].value_counts().nunique() == 1 and set(frame["label"]) == set(task.labels)
    assert [len(splits[name]) for name in ("train", "validation", "test")] == [30, 12, 18]
    again = Task.from_file(tmp_path / "emails.csv", text="body", label="team")
    assert again.split("test").equals(splits["test"])
    assert task.labels == ("billing", "shipping", "tech support") and task.name == "emails"
    assert "as one of: billing, shipping, tech support" in task.instruction and task.input_name == "Body"
    assert task.paraphrases[0] == task.instruction and len(set(task.paraphrases)) == 3  # rewordings for consistency
    assert all("billing, shipping, tech support" in wording for wording in task.paraphrases)
    row = splits["test"].iloc[0]
    assert task.score(task.parse(f"It is {task.answer(row).upper()}."), row) == 1.0
    assert task.score(task.parse("no idea"), row) == 0.0


def test_excel_csv_with_semicolons_and_a_byte_order_mark_and_json_lines_read_the_same(tmp_path):
    write_emails(tmp_path / "excel.csv", sep=";", bom=True)
    rows = write_emails(tmp_path / "plain.csv")
    (tmp_path / "emails.jsonl").write_text("\n".join(json.dumps({"body": b, "team": t}) for b, t in rows) + "\n")
    tasks = [
        Task.from_file(tmp_path / name, text="body", label="team")
        for name in ("excel.csv", "plain.csv", "emails.jsonl")
    ]
    assert tasks[0].split("train").equals(tasks[1].split("train")) and tasks[2].split("test").equals(
        tasks[1].split("test")
    )


@pytest.mark.parametrize(
    "content, options, message",
    [
        (None, {}, "No file .*upload it"),
        ("body,team\nhi,a\n", {"text": "message"}, "no column 'message' for the text \\(columns: body, team\\)"),
        ("body,team\nhi,a\n", {"label": "body"}, "the text and the label are both the column 'body'"),
        (
            "body,team\n" + "".join(f"text {i},a\n" for i in range(10)) + "only one,b\n",
            {},
            f"too few examples of 'b' \\(1\\): each label needs at least {MIN_PER_LABEL}",
        ),
        ("body,team\n" + "".join(f"text {i},a\n" for i in range(10)), {}, "every example has the label 'a'"),
        (
            "body,team\n" + "".join(f"text {i},{missing}\n" for i, missing in enumerate(["", "NaN", "NA", "null"] * 3)),
            {},
            "no row is left with both a text and a label. Dropped 12 rows without a label",
        ),
        ("body,team\n", {}, "has no examples"),
        ("", {}, "is empty: save your table with a header row"),
        ("\ufeff", {}, "is empty \\(only a byte-order mark\\)"),
        ("body,team\nhi,a\n".encode("utf-16-le"), {}, "holds NUL characters.*UTF-16 without its byte-order mark"),
        (b"\xff\xfeb\x00o", {}, "starts with the byte-order mark of UTF-16 but is not UTF-16 text"),
    ],
)
def test_a_bad_file_gets_one_clear_message_naming_the_file_and_row(tmp_path, content, options, message):
    path = tmp_path / "labels.csv"
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(CourseError, match=message):
        Task.from_file(path, **{"text": "body", "label": "team", **options})


def comparable(text):
    return "".join(ch for ch in text.lower() if ch.isalnum())


def test_a_real_file_is_cleaned_and_every_change_is_said(tmp_path):
    rows = [
        (f"Ticket {i}: my {topic} needs attention, case {i}", label)
        for i in range(8)
        for topic, label in [("router", "Sports"), ("invoice", "high-priority")]
    ]
    rows += [(f"Another question {i} about the weather", "weather") for i in range(8)]
    rows += [(f"Headline {i}", "sports") for i in range(3)]  # 'Sports' spelt another way
    rows += [
        ("Ticket 1: my router needs attention, case 1", "Sports"),  # row 29: an exact repeat of row 4
        ("TICKET 2 my router needs attention case 2!!", "Sports"),  # row 30: a repeat but for case, punctuation
        ("Is this urgent?", "high_priority"),
        ("is this urgent", "weather"),  # rows 31-32: one text, two labels
        ("...", "weather"),
        ("", "weather"),  # rows 33-34: no letter or digit
        ("A text without a label", "NaN"),
        ("Another without", "null"),  # rows 35-36: no label
        ("Rare 1", "rare"),
        ("Rare 2", "rare"),
    ]  # rows 37-38: a label too rare to split
    path = tmp_path / "tickets.csv"
    path.write_text("body,team\n" + "".join(f'"{text}",{label}\n' for text, label in rows))
    task = Task.from_file(path, text="body", label="team")
    assert task.labels == ("Sports", "high-priority", "weather")
    assert task.notes == (
        "Dropped 2 rows without a label (an empty, NaN, NA or null cell is not a class): rows 35 and 36.",
        "Merged labels that differ only by case or separators: 'Sports' (10 rows) and 'sports' (3 rows) became "
        "'Sports'; "
        "'high-priority' (8 rows) and 'high_priority' (1 row) became 'high-priority'.",
        "Dropped 2 rows whose text has no letter or digit (empty, or only punctuation and symbols): rows 33 and 34.",
        "Dropped 2 rows holding 1 text given different labels (one text cannot teach or test two answers), e.g. "
        "'Is this urgent?' as 'high-priority' and 'weather' (rows 31 and 32).",
        "Dropped 2 repeated texts, keeping the first copy of each (1 differs from it only by case, spaces or "
        "punctuation), "
        "so that no text is in train and in test at once: rows 29 and 30.",
        "Dropped the label 'rare' (2): too few rows, each label needs at least 6, to learn from, to choose on and to "
        "test on; 3 labels remain.",
    )
    kept = pd.concat([task.split(split) for split in ("train", "validation", "test")])
    assert len(kept) == 16 + 8 + 3 and kept["text"].map(comparable).is_unique
    assert not kept["text"].str.contains("urgent|Rare|without").any()


def test_numbers_read_from_json_are_labels_as_written(tmp_path):
    lines = [{"body": f"Reading number {i} of the meter", "stars": [1, 2, 3.0][i % 3]} for i in range(30)]
    lines.append({"body": "No rating yet", "stars": None})
    (tmp_path / "ratings.jsonl").write_text("\n\n".join(json.dumps(line) for line in lines))  # (blank lines between)
    task = Task.from_file(tmp_path / "ratings.jsonl", text="body", label="stars")
    assert task.labels == ("1", "2", "3") and "as one of: 1, 2, 3." in task.instruction
    assert task.notes == ("Dropped 1 row without a label (an empty, NaN, NA or null cell is not a class): row 61.",)


@pytest.mark.parametrize(
    "encoding, said",
    [
        ("utf-16", "Read as UTF-16 (the file starts with its byte-order mark)."),
        ("cp1252", "Read as Windows-1252 (Western European): the file is not UTF-8."),
        ("latin-1", "Read as Latin-1: the file is not UTF-8."),
    ],
)
@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_utf16_and_latin1_files_are_read_and_their_encoding_said(tmp_path, encoding, said, kind):
    rows = [(f"Caf\u00e9 cr\u00e8me {i} co\u00fbte 3 \u20ac", "cher") for i in range(10)]
    rows += [(f"Plain message {i}", "bon march\u00e9") for i in range(10)]
    if encoding == "latin-1":  # a byte that Windows-1252 leaves undefined: only Latin-1 reads it
        rows = [(text.replace("\u20ac", "\x81"), label) for text, label in rows]
    lines = (
        ["body,team"] + [f"{text},{label}" for text, label in rows]
        if kind == "csv"
        else [json.dumps({"body": text, "team": label}, ensure_ascii=False) for text, label in rows]
    )
    (tmp_path / f"labels.{kind}").write_bytes("\n".join(lines).encode(encoding))
    task = Task.from_file(tmp_path / f"labels.{kind}", text="body", label="team")
    assert task.notes[0].startswith(said) and len(task.notes) == 1
    assert task.labels == ("bon march\u00e9", "cher")
    assert set(pd.concat([task.split(split) for split in ("train", "validation", "test")])["text"]) == {
        t for t, _ in rows
    }


def test_texts_too_long_for_the_model_are_cut_and_counted(tmp_path, tokenizer):
    rows = [(f"Short note {i} on billing", "billing") for i in range(8)] + [
        (f"Short note {i} on parcels", "shipping") for i in range(8)
    ]
    rows += [("parcel " * 2000, "shipping"), ("bill " * 900, "billing")]  # 2,000 tokens and 900: one too long
    path = tmp_path / "long.csv"
    path.write_text("body,team\n" + "".join(f"{text},{label}\n" for text, label in rows))
    estimated = Task.from_file(path, text="body", label="team", max_text_tokens=1000)
    assert estimated.notes == (
        "Cut 2 texts longer than 1,000 tokens (estimated at 3 characters a token) to the first "
        "1,000, so that the instruction, the text and the answer fit the model's context "
        "(rows 18 and 19).",
    )
    counted = Task.from_file(path, text="body", label="team", tokenizer=tokenizer, max_text_tokens=1000)
    assert counted.notes == (
        "Cut 1 text longer than 1,000 tokens (counted by the model's tokenizer) to the first 1,000, "
        "so that the instruction, the text and the answer fit the model's context (row 18).",
    )
    texts = pd.concat([counted.split(split) for split in ("train", "validation", "test")])["text"]
    assert max(len(tokenizer(text, add_special_tokens=False).input_ids) for text in texts) == 1000
    assert with_texts_cut(counted, tokenizer, 1000) is counted  # nothing more to cut
    again = with_texts_cut(counted, tokenizer, 500)
    assert again.notes[-1].startswith("Cut 2 texts longer than 500 tokens (counted by the model's tokenizer)")


def test_a_broken_json_line_and_an_unknown_format_are_named(tmp_path):
    (tmp_path / "labels.jsonl").write_text('{"body": "hi", "team": "a"}\n{"body": oops}\n')
    with pytest.raises(CourseError, match="labels.jsonl, line 2: not valid JSON"):
        Task.from_file(tmp_path / "labels.jsonl", text="body", label="team")
    (tmp_path / "labels.xlsx").write_bytes(b"PK")
    with pytest.raises(CourseError, match="Save As 'CSV UTF-8'"):
        Task.from_file(tmp_path / "labels.xlsx", text="body", label="team")
