import json

import pytest

from helpers.errors import CourseError
from helpers.evaluation import score_answers
from helpers.tasks import MIN_PER_LABEL, REVIEWS, TICKETS, Task, get_task, parse_label


@pytest.mark.parametrize("task", [REVIEWS, TICKETS], ids=lambda t: t.name)
def test_a_course_task_reads_and_scores_answers_as_the_evaluation_does(task):
    rows = task.sample("test", 12)
    ideal = [task.answer(row) for _, row in rows.iterrows()]
    wrong = ideal[1:] + ideal[:1]  # each row gets another row's answer: mostly wrong, some fields right
    for answers in (ideal, wrong, ["no idea"] * len(rows), [f"Answer: {a.upper()}" for a in ideal]):
        expected = score_answers(answers, rows, task.name)["score"].tolist()
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
    rows = [(f"Email {i} about {team}: please help with case {i * 7 + j}.", team)
            for j, team in enumerate(teams) for i in range(per_label)]
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
    tasks = [Task.from_file(tmp_path / name, text="body", label="team") for name in ("excel.csv", "plain.csv", "emails.jsonl")]
    assert tasks[0].split("train").equals(tasks[1].split("train")) and tasks[2].split("test").equals(tasks[1].split("test"))


@pytest.mark.parametrize("content, options, message", [
    (None, {}, "No file .*upload it"),
    ("body,team\nhi,a\n", {"text": "message"}, "no column 'message' for the text \\(columns: body, team\\)"),
    ("body,team\n" + "".join(f"text {i},a\ntext b{i},b\n" for i in range(8)) + ",a\n", {}, "row 18: empty text"),
    ("body,team\n" + "".join(f"text {i},a\ntext b{i},b\n" for i in range(8)) + "text 3,b\n", {},
     "row 18: the same text as row 8"),
    ("body,team\n" + "".join(f"text {i},a\n" for i in range(10)) + "only one,b\n", {},
     f"too few examples of 'b' \\(1\\): each label needs at least {MIN_PER_LABEL}"),
    ("body,team\n" + "".join(f"text {i},a\n" for i in range(10)), {}, "every example has the label 'a'"),
    ("body,team\n", {}, "has no examples"),
])
def test_a_bad_file_gets_one_clear_message_naming_the_file_and_row(tmp_path, content, options, message):
    path = tmp_path / "labels.csv"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CourseError, match=message):
        Task.from_file(path, **{"text": "body", "label": "team", **options})


def test_a_broken_json_line_and_an_unknown_format_are_named(tmp_path):
    (tmp_path / "labels.jsonl").write_text('{"body": "hi", "team": "a"}\n{"body": oops}\n')
    with pytest.raises(CourseError, match="labels.jsonl, line 2: not valid JSON"):
        Task.from_file(tmp_path / "labels.jsonl", text="body", label="team")
    (tmp_path / "labels.xlsx").write_bytes(b"PK")
    with pytest.raises(CourseError, match="Save As 'CSV UTF-8'"):
        Task.from_file(tmp_path / "labels.xlsx", text="body", label="team")
