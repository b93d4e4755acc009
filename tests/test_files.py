import pytest

from helpers.core import files
from helpers.core.errors import CourseError


def test_replace_folder_swaps_a_whole_folder_in(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "model.safetensors").write_text("old full model")
    (folder / files.MARK).write_text("{}")  # an earlier run of the course wrote it
    partial = files.partial_folder(folder)
    (partial / "adapter_model.safetensors").write_text("new adapter")
    files.replace_folder(partial, folder)
    assert sorted(p.name for p in folder.iterdir()) == [
        files.MARK,
        "adapter_model.safetensors",
    ]  # nothing of the old one mixed in
    assert [p.name for p in tmp_path.iterdir()] == ["model"]  # no partial or old copy left beside it


def test_replace_folder_creates_a_new_one(tmp_path):
    partial = files.partial_folder(tmp_path / "deep" / "new")
    (partial / "a.txt").write_text("a")
    files.replace_folder(partial, tmp_path / "deep" / "new")
    assert (tmp_path / "deep" / "new" / "a.txt").read_text() == "a"


def test_partial_folders_are_each_their_own(tmp_path):
    first, second = files.partial_folder(tmp_path / "x"), files.partial_folder(tmp_path / "x")
    assert first != second and first.is_dir() and second.is_dir()


def test_write_text_replaces_in_one_step(tmp_path):
    path = tmp_path / "metrics.json"
    path.write_text('{"evaluated": false}')
    files.write_text(path, '{"evaluated": true}')
    assert path.read_text() == '{"evaluated": true}' and [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_a_folder_of_yours_is_refused_before_any_work_and_kept_whole(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    project = tmp_path / "my_project"
    (project / "data").mkdir(parents=True)
    (project / "thesis.tex").write_text("three years of work")
    for path, message in [
        (project, "already holds files the course did not write"),
        (".", "is the current folder"),
        (project / "thesis.tex", "is an existing file"),
        (project / "thesis.tex" / "out", "which is a file"),
    ]:
        with pytest.raises(CourseError, match=message):
            files.output_folder(path)
    partial = files.partial_folder(project)
    with pytest.raises(CourseError, match="not replaced; the new results are in"):
        files.replace_folder(partial, project)
    assert (project / "thesis.tex").read_text() == "three years of work" and (project / "data").is_dir()
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("my_project.new-")]
    assert len(kept) == 1 and (kept[0] / files.MARK).is_file()  # the new results are not thrown away either


def test_a_folder_the_course_wrote_is_replaced_and_home_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    folder = files.output_folder("~/reports/mine")
    assert folder == tmp_path / "reports" / "mine"  # not a folder literally named "~"
    partial = files.partial_folder(folder)
    (partial / "report.md").write_text("first")
    files.replace_folder(partial, folder)
    assert files.output_folder(folder) == folder  # marked as the course's: may be replaced
    (tmp_path / "empty").mkdir()
    assert files.output_folder(tmp_path / "empty") == tmp_path / "empty"  # nothing in it to lose


def test_an_unwritable_place_is_refused_before_any_work(tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr(
        files.os, "access", lambda path, mode: asked.append(path) or False
    )  # as a read-only disk answers
    with pytest.raises(CourseError, match="cannot be written"):
        files.output_folder(tmp_path / "new" / "report")
    assert asked == [tmp_path]  # the nearest folder that exists is the one that must be writable
