import json
import os
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest
from filelock import FileLock, Timeout

from helpers.experiments import cache


@pytest.fixture(autouse=True)
def empty_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    return tmp_path / "results"


def counting(value):
    """A compute function that records its calls and writes a file, as a fine-tune saves its adapter."""
    calls = []

    def compute(folder):
        calls.append(folder)
        (folder / "adapter.txt").write_text("weights")
        return value

    return compute, calls


def test_computes_once_and_keys_on_the_settings(empty_cache):
    compute, calls = counting({"answer": 1})
    assert cache.cached("demo", {"n": 1}, compute) == {"answer": 1}
    assert cache.cached("demo", {"n": 1}, compute) == {"answer": 1} and len(calls) == 1
    cache.cached("demo", {"n": 2}, compute)
    assert len(calls) == 2 and len(list(empty_cache.glob("demo-*/adapter.txt"))) == 2
    assert sorted(p.name.split("-")[0] for p in empty_cache.iterdir()) == ["demo", "demo"]  # no partial folder left


def test_tables_tuples_and_nested_values_come_back_as_they_were():
    table = pd.DataFrame(
        {
            "approach": ["zero-shot", "LoRA"],
            "accuracy": [0.2, 0.72],
            "steps": [0, 125],
            "parsed": [True, False],
            "scores": [[1.0, 0.0], [0.25, 1.0]],
        }
    ).set_index("approach")
    value = {"results": table, "choice": ("context", table.reset_index()), "losses": {"LoRA": [3.4, 0.7]}}
    compute, _ = counting(value)
    first = cache.cached("demo", {"n": 1}, compute)
    again = cache.cached("demo", {"n": 1}, compute)
    for got in (first, again):  # the first run returns what later runs read back
        pd.testing.assert_frame_equal(got["results"], table)
        assert got["choice"][0] == "context" and isinstance(got["choice"], tuple)
        pd.testing.assert_frame_equal(got["choice"][1], table.reset_index())
        assert got["losses"] == {"LoRA": [3.4, 0.7]}


def test_stored_as_json_and_a_pickle_file_is_never_read(empty_cache):
    compute, calls = counting({"answer": 1})
    folder = cache.entry("demo", {"n": 1})
    folder.mkdir(parents=True)
    (folder / "result.pkl").write_bytes(b"cos\nsystem\n(S'touch /tmp/pwned'\ntR.")  # a planted pickle
    assert cache.cached("demo", {"n": 1}, compute) == {"answer": 1} and len(calls) == 1
    assert json.loads((folder / cache.RESULT_FILE).read_text()) == {"answer": 1}
    assert not (folder / "result.pkl").exists()


@pytest.mark.parametrize("damage", ["truncated", "not json", "a table cut short"])
def test_a_broken_entry_is_measured_again_with_a_note(damage, capsys):
    compute, calls = counting({"table": pd.DataFrame({"a": [1, 2]})})
    cache.cached("demo", {"n": 1}, compute)
    path = cache.entry("demo", {"n": 1}) / cache.RESULT_FILE
    text = path.read_text()
    path.write_text(
        {
            "truncated": text[: len(text) // 2],
            "not json": "\x00\x01",
            "a table cut short": json.dumps({"table": {"__table__": {"data": 3}}}),
        }[damage]
    )
    value = cache.cached("demo", {"n": 1}, compute)
    assert len(calls) == 2 and value["table"]["a"].tolist() == [1, 2]
    assert "cannot be read" in capsys.readouterr().out
    assert cache.read_entry(path.parent) is not None  # repaired


def test_an_exception_in_the_run_stores_nothing(empty_cache):
    def interrupted(folder):
        (folder / "adapter.txt").write_text("half trained")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.cached("demo", {"n": 1}, interrupted)
    assert list(empty_cache.iterdir()) == []
    compute, calls = counting({"answer": 1})
    assert cache.cached("demo", {"n": 1}, compute) == {"answer": 1} and len(calls) == 1


def test_an_entry_is_locked_while_it_is_measured(empty_cache):
    folder = cache.entry("demo", {"n": 1})

    def compute(own_folder):
        with pytest.raises(Timeout):  # another process (or another lock on the same file) must wait
            FileLock(cache.lock_file(folder)).acquire(timeout=0)
        return {"answer": 1}

    assert cache.cached("demo", {"n": 1}, compute) == {"answer": 1}
    FileLock(cache.lock_file(folder)).acquire(timeout=0)  # and let go after


def test_a_second_process_waits_for_the_first_and_reads_its_result(empty_cache, tmp_path, capsys):
    folder, started = cache.entry("demo", {"n": 1}), tmp_path / "started"
    first = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent("""
        import json, pathlib, sys, time
        from filelock import FileLock
        folder, lock, started = map(pathlib.Path, sys.argv[1:])
        lock.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(lock):  # measuring, as cache.cached does in another notebook
            started.touch()
            time.sleep(1)
            folder.mkdir(parents=True)
            (folder / "adapter.txt").write_text("first weights")
            (folder / "result.json").write_text(json.dumps({"answer": "first"}))"""),
            str(folder),
            str(cache.lock_file(folder)),
            str(started),
        ]
    )
    deadline = time.monotonic() + 60
    while not started.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert started.exists(), "the first process never began measuring"
    compute, calls = counting({"answer": "second"})
    assert cache.cached("demo", {"n": 1}, compute) == {"answer": "first"} and calls == []  # waited, measured nothing
    assert "waiting for its result" in capsys.readouterr().out
    assert first.wait(timeout=60) == 0
    assert (folder / "adapter.txt").read_text() == "first weights"
    assert [p.name for p in empty_cache.iterdir()] == [folder.name]


def test_runs_another_process_is_measuring_come_last_so_that_two_processes_share_them(empty_cache):
    key = {"experiment": 1}
    assert tuple(cache.unclaimed_first("demo-run", key, "seed", (0, 1, 2))) == (0, 1, 2)
    seed_1 = cache.entry("demo-run", {**key, "seed": 1})
    with cache.measuring(seed_1):  # (held here, as another process would hold it)
        assert tuple(cache.unclaimed_first("demo-run", key, "seed", (0, 1, 2))) == (0, 2, 1)
        assert tuple(cache.unclaimed_first("demo-run", key, "seed", (2, 1, 0))) == (2, 0, 1)  # else as given
    assert tuple(cache.unclaimed_first("demo-run", key, "seed", (0, 1, 2))) == (0, 1, 2)  # let go


def test_the_next_run_is_chosen_when_it_is_taken_not_once_at_the_start(empty_cache):
    # two processes that start together see the same runs free: each must skip what the other took meanwhile
    key = {"experiment": 1}
    seeds = cache.unclaimed_first("demo-run", key, "seed", (0, 1, 2))
    assert next(seeds) == 0
    with cache.measuring(cache.entry("demo-run", {**key, "seed": 1})):  # taken by another process after the start
        assert next(seeds) == 2
    assert next(seeds) == 1 and next(seeds, None) is None


def test_a_shared_entry_is_not_locked_so_that_a_second_process_measures_its_parts_alongside(empty_cache):
    folder = cache.entry("demo", {"n": 1})

    def compute(own_folder):
        FileLock(cache.lock_file(folder)).acquire(
            timeout=0
        )  # nobody holds the whole: its parts have locks of their own
        return {"answer": 1}

    assert cache.cached("demo", {"n": 1}, compute, shared=True) == {"answer": 1}
    assert cache.read_entry(folder) == {"answer": 1}  # (locked, the acquire above would have timed out)


def test_a_shared_entry_finished_first_by_another_process_is_kept_as_it_is(empty_cache):
    folder = cache.entry("demo", {"n": 1})

    def compute(own_folder):  # meanwhile the other process stores the same entry
        cache.store({"answer": "theirs"}, cache.partial_folder(folder), folder)
        return {"answer": "mine"}

    assert cache.cached("demo", {"n": 1}, compute, shared=True) == {"answer": "theirs"}
    assert cache.read_entry(folder) == {"answer": "theirs"}  # (a reader of that folder is never cut off)


def test_a_cache_made_read_only_while_measuring_keeps_the_result(empty_cache, monkeypatch, capsys):
    def refuse(*args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cache, "replace_folder", refuse)
    assert cache.cached("demo", {"n": 1}, lambda folder: {"answer": 42}) == {"answer": 42}
    assert "could not be kept in the course cache (Permission denied)" in capsys.readouterr().out
    assert not list(empty_cache.glob("demo-*"))  # nothing half-stored


def test_no_place_for_locks_still_measures(empty_cache, capsys):
    empty_cache.parent.mkdir(parents=True, exist_ok=True)
    (empty_cache.parent / "locks").write_text("a file where the locks folder should be")
    assert cache.cached("demo", {"n": 1}, lambda folder: 7) == 7
    assert "measuring without waiting" in capsys.readouterr().out


def test_a_step_s_time_is_what_its_entries_took_when_measured_even_when_read_back(empty_cache):
    def inner(folder):
        return 1

    def outer(folder):
        return cache.cached("inner", {}, inner) + 1

    with cache.tracking() as used:
        cache.cached("outer", {}, outer)
    assert sorted(folder.name.split("-")[0] for folder in used) == ["inner", "outer"]
    inner_folder, outer_folder = cache.entry("inner", {}), cache.entry("outer", {})
    for folder, (start, stop) in [(outer_folder, (1000, 1100)), (inner_folder, (1010, 1060))]:
        os.utime(folder / cache.MARK, (start, start))
        os.utime(folder / cache.RESULT_FILE, (stop, stop))
    with cache.tracking() as used:  # an earlier session measured them: now they are read back
        cache.cached("outer", {}, outer)
    assert used == [outer_folder] and cache.measured_seconds(used) == 100
    assert cache.measured_seconds([inner_folder, outer_folder]) == 100  # the inner one ran inside: counted once
    os.utime(inner_folder / cache.MARK, (1200, 1200))
    os.utime(inner_folder / cache.RESULT_FILE, (1230, 1230))
    assert cache.measured_seconds([inner_folder, outer_folder]) == 130  # measured apart (another day): both count
    assert cache.measured_seconds([empty_cache / "never-kept"]) == 0
