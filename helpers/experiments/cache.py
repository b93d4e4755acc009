"""The results cache of the long experiments (notebooks 05 and 06): measured once, reused after.

    value = cached("head-to-head", settings.key(), compute)     # compute(folder) runs only on a miss

An entry is a folder in `cache_dir()/results/`, named by the experiment's kind and a digest of its
settings, the data files, the versions of torch, transformers and peft, the arithmetic and CACHE_VERSION: change any
of these and the experiment runs again. The result is stored as JSON (tables as pandas' JSON table
format), never pickle, so reading a cache file can never run code. The folder is filled under a
name of its own (per process) and renamed into place when complete: an interrupted run leaves no
entry behind. One process at a time measures an entry (a lock file in `cache_dir()/locks/`): a second
one, say another notebook open at the same time, waits and reads the first one's result instead of
measuring it again. A missing, unreadable or incomplete entry is a miss: measured again, with a one-line note.
"""

import contextlib
import functools
import hashlib
import io
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from filelock import FileLock, Timeout

from ..core.config import cache_dir
from ..core.files import MARK, MARK_TEXT, partial_folder, replace_folder
from ..llm.memory import free_memory
from ..llm.models import arithmetic, pick_device
from ..prompting.data import data_files

CACHE_VERSION = 8  # raise whenever a change to the helpers changes what the experiments measure or store
RESULT_FILE = "result.json"
_TRACKERS: list[list[Path]] = []  # the lists of `tracking()` blocks now open


@functools.cache
def fingerprint() -> str:
    """A digest of the data files, the versions of the libraries that compute the numbers, the arithmetic
    (bfloat16 or float32 products, see `models.fast_arithmetic`) and CACHE_VERSION."""
    import peft
    import torch
    import transformers

    digest = hashlib.sha256(
        f"{CACHE_VERSION} {torch.__version__} {transformers.__version__} {peft.__version__} "
        f"{arithmetic(pick_device())}".encode()
    )
    for path in data_files():
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def entry(kind: str, key: dict) -> Path:
    """The cache folder of one experiment: its kind and a digest of its settings and the fingerprint."""
    text = json.dumps({"key": key, "fingerprint": fingerprint()}, sort_keys=True, default=str)
    return cache_dir() / "results" / f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:16]}"


def to_json(value):
    """Tables, tuples, dicts, lists, numbers and text as plain JSON values (see `from_json`)."""
    if isinstance(value, pd.DataFrame):
        return {"__table__": json.loads(value.to_json(orient="table", default_handler=str, double_precision=15))}
    if isinstance(value, tuple):
        return {"__tuple__": [to_json(item) for item in value]}
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def from_json(value):
    """The inverse of `to_json`."""
    if isinstance(value, dict):
        if set(value) == {"__table__"}:
            return pd.read_json(io.StringIO(json.dumps(value["__table__"])), orient="table")
        if set(value) == {"__tuple__"}:
            return tuple(from_json(item) for item in value["__tuple__"])
        return {key: from_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_json(item) for item in value]
    return value


def read_entry(folder: Path):
    """The stored result of an entry, or None when it is missing or cannot be read."""
    path = folder / RESULT_FILE
    if not path.is_file():
        return None
    try:
        return from_json(json.loads(path.read_text()))
    except (OSError, ValueError, KeyError, TypeError) as error:
        print(f"The cached result in {folder} cannot be read ({type(error).__name__}); measuring again.", flush=True)
        return None


def cached(kind: str, key: dict, compute, shared: bool = False):
    """`compute(folder)`'s result, stored in the experiment's cache folder; computed only when missing.

    `compute` may write files (a LoRA adapter) into `folder`; an exception in it (a KeyboardInterrupt,
    an interrupted fine-tune) stores nothing. While another process measures the same entry, this one waits; unless
    `shared`: an entry made of entries of its own (each locked, and ordered by `unclaimed_first`), which a second
    process measures alongside the first, sharing its parts instead of waiting for the whole.
    """
    folder = entry(kind, key)
    for used in _TRACKERS:
        used.append(folder)
    value = read_entry(folder)
    if value is not None:
        return value
    with contextlib.nullcontext() if shared else measuring(folder):
        value = read_entry(folder)  # measured by another process while this one waited
        if value is not None:
            return value
        try:
            partial = partial_folder(folder)
        except OSError as error:  # a cache that cannot be written: measure all the same, in a scratch folder
            partial = Path(tempfile.mkdtemp(prefix=f"{folder.name}-"))
            print(f"The course cache cannot be written ({error.strerror}): this result will not be kept.", flush=True)
        try:
            value = compute(partial)
            free_memory()  # the models `compute` loaded are gone now: give their memory back before the next experiment
            stored = read_entry(folder) if shared else None
            if stored is not None:  # the other process finished the shared entry first: its copy stays, never swapped
                return stored
            store(value, partial, folder)
        finally:
            shutil.rmtree(partial, ignore_errors=True)
    return from_json(to_json(value))  # what a later run reads back, so both runs show the same


def run_keeper(kind: str, key: dict):
    """A `keep(rate, run)` for `tuning.choose_recipe`: each learning rate's search run (with its best checkpoint) is
    an entry of `kind` of its own, keyed by `key` and the rate, so that a search stopped half-way goes on with the
    next rate."""

    def keep(rate, run):
        run_key = {**key, "learning_rate": rate}
        return cached(kind, run_key, run), entry(kind, run_key)

    return keep


def unclaimed_first(kind: str, key: dict, field: str, values):
    """`values` of one field of a family of entries (each learning rate's run, each seed's), one at a time, each time
    the first that no other process is measuring now (or, when all are taken, the first left, to wait for): two
    processes measuring the same experiment share its runs instead of one waiting for the other (the reference runs
    two). Chosen step by step, not sorted once: two processes starting together would otherwise take the same order
    and queue behind each other. The results do not depend on the order: each run is seeded on its own."""
    left = list(values)
    while left:
        value = next((v for v in left if not _claimed(entry(kind, {**key, field: v}))), left[0])
        left.remove(value)
        yield value


def _claimed(folder: Path) -> bool:
    """Whether another process holds the lock of this entry now (see `measuring`)."""
    if (folder / RESULT_FILE).is_file():
        return False  # measured: reading it takes no wait
    try:
        lock = FileLock(lock_file(folder))
        lock.acquire(timeout=0)
    except Timeout:
        return True
    except OSError:  # no place for locks: nobody can hold one
        return False
    lock.release()
    return False


@contextlib.contextmanager
def tracking():
    """The cache entries used inside the block, measured now or read back: a list of their folders."""
    used: list[Path] = []
    _TRACKERS.append(used)
    try:
        yield used
    finally:
        _TRACKERS.remove(used)


def measured_seconds(folders) -> float:
    """How long these entries took when they were measured: from each one's start (the mark its folder got first) to
    its result, overlaps (an entry measured inside another) counted once. A run resumed across days still reports
    the time its parts took, not the time it took to read them back."""
    intervals = []
    for folder in set(folders):
        try:
            intervals.append(((folder / MARK).stat().st_mtime, (folder / RESULT_FILE).stat().st_mtime))
        except OSError:  # not kept (an unwritable cache): nothing to count
            continue
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        total += max(0.0, stop - max(start, end))
        end = max(end, stop)
    return total


def store(value, partial: Path, folder: Path) -> None:
    """Write `value` into the filled `partial` folder and swap it in as the entry `folder`. A cache that can no longer
    be written (made read-only, a full disk) costs only the keeping: the result is still returned, with a note."""
    try:
        if not partial.is_dir():  # the cache folder was deleted while this ran: keep the result all the same
            print(
                f"The cache folder {partial.parent} was deleted while measuring; storing this result again.", flush=True
            )
            partial.mkdir(parents=True)
            (partial / MARK).write_text(MARK_TEXT)
        (partial / RESULT_FILE).write_text(json.dumps(to_json(value)))
        replace_folder(partial, folder)  # (a broken entry in the way is replaced)
    except OSError as error:
        print(
            f"This result could not be kept in the course cache ({error.strerror or error}); it is shown all the same "
            "and will be measured again next time.",
            flush=True,
        )


def lock_file(folder: Path) -> Path:
    """The lock of one cache entry, in `locks/` beside `results/` (which holds whole entries only)."""
    return folder.parent.parent / "locks" / f"{folder.name}.lock"


@contextlib.contextmanager
def measuring(folder: Path):
    """Hold the lock of one cache entry (waiting, with a note, while another process holds it).

    The lock is the operating system's: it is let go when its process ends, however it ends."""
    path = lock_file(folder)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(path)
        lock.acquire(timeout=0)
    except Timeout:
        print(f"Another process is measuring {folder.name}; waiting for its result.", flush=True)
        lock.acquire()
    except OSError as error:  # no place for locks (a file named locks/, a read-only cache): measure unlocked
        print(
            f"Cannot lock {folder.name} ({error.strerror or error}); measuring without waiting for other processes.",
            flush=True,
        )
        yield
        return
    try:
        yield
    finally:
        lock.release()
