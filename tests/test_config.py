import importlib

from helpers import config


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
