import importlib

from helpers.core import config


def test_quick_switch_reads_the_environment(monkeypatch):
    for value, expected in [("1", True), ("true", True), ("0", False), ("", False), ("false", False)]:
        monkeypatch.setenv("COURSE_QUICK", value)
        assert importlib.reload(config).QUICK is expected
        assert config.quick_or_full("q", "f") == ("q" if expected else "f")
    monkeypatch.undo()  # restore the real environment, and the module that reads it
    importlib.reload(config)


def test_cache_dir_honours_course_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path / "c"))
    assert config.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()


def test_switches_parse_strictly_and_an_empty_cache_means_the_default(monkeypatch, tmp_path):
    import pytest

    from helpers.core.errors import CourseError

    for value, expected in [("on", True), ("YES", True), ("off", False), ("No", False), (" 1 ", True)]:
        monkeypatch.setenv("COURSE_QUICK", value)
        assert config.switch("COURSE_QUICK", not expected) is expected
    for value in ("2", "offf", "maybe"):
        monkeypatch.setenv("COURSE_BFLOAT16", value)
        with pytest.raises(CourseError, match="neither on nor off"):
            config.switch("COURSE_BFLOAT16", True)
    monkeypatch.setenv("COURSE_BFLOAT16", "")
    assert config.switch("COURSE_BFLOAT16", True) is True
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("COURSE_CACHE", "  ")
    monkeypatch.chdir(tmp_path)
    assert config.cache_dir() == tmp_path / "ft-vs-pe"  # not the current folder
