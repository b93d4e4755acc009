"""Writing results safely: an interruption never leaves half of them, and nothing of yours is ever replaced.

    folder = output_folder("my_report")        # checked before any work: refused if it holds files of yours
    partial = partial_folder(folder)           # fill a new copy beside it...
    replace_folder(partial, folder)            # ...then swap it in, by renames only

Every folder the course fills this way carries a small MARK file. A folder may be replaced only when it is
missing, empty, marked (the course wrote it) or inside the course cache; anything else is refused with the reason.
"""

import json
import os
import shutil
import uuid
from pathlib import Path

from .config import cache_dir
from .errors import CourseError

MARK = ".written-by-ft-vs-pe.json"
MARK_TEXT = json.dumps(
    {
        "written_by": "the ft-vs-pe course",
        "note": "The course may replace this folder whole when you run the same command again. "
        "Delete this file to keep it from ever touching the folder.",
    },
    indent=1,
)


def is_ours(folder: Path) -> bool:
    """Whether the course may replace `folder`: it is missing, empty, marked as written by the course, or in its
    cache."""
    folder = Path(folder).expanduser().resolve()
    if not folder.exists():
        return True
    if not folder.is_dir():
        return False
    if (folder / MARK).is_file() or not any(folder.iterdir()):
        return True
    return cache_dir().resolve() in folder.parents


def output_folder(path, option: str = "the output folder") -> Path:
    """The absolute folder a command will write, checked before any work starts (`~` is expanded).

    Refused with the reason: the current folder (or one above it), an existing file, a folder holding files the course
    did not write, a place under a file, or one that cannot be written. `option` names the setting in the message.
    """
    folder = Path(str(path)).expanduser().resolve()
    here = Path.cwd().resolve()
    if folder == here or folder in here.parents:
        raise CourseError(
            f"{option} {path!r} is the current folder (or one above it): give a new folder's name, e.g. my_report."
        )
    if folder.exists() and not folder.is_dir():
        raise CourseError(
            f"{option} {folder} is an existing file: give a folder name that is free, nothing was written."
        )
    if not is_ours(folder):
        raise CourseError(
            f"{option} {folder} already holds files the course did not write; it never replaces them. "
            "Choose a new folder name (or empty that folder yourself)."
        )
    existing = next(parent for parent in [folder, *folder.parents] if parent.exists())
    if not existing.is_dir():
        raise CourseError(f"{option} {folder} lies under {existing}, which is a file: choose another place.")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CourseError(
            f"{option} {folder} cannot be written ({existing} is read-only or not yours): choose another place."
        )
    return folder


def replace_folder(partial: Path, folder: Path) -> None:
    """Put the complete folder `partial` in the place of `folder` (which may exist), by renames only.

    Whatever stood at `folder` is moved aside first and deleted last, so at every moment `folder` is
    either the old complete copy or the new one, never a mix of both. A folder the course may not replace
    (`is_ours`) is refused: the new copy is kept beside it, and the message says where.
    """
    if not is_ours(folder):
        kept = folder.with_name(f"{folder.name}.new-{uuid.uuid4().hex[:8]}")
        partial.rename(kept)
        raise CourseError(
            f"{folder} now holds files the course did not write, so it was not replaced; the new results are in {kept}."
        )
    aside = folder.with_name(f"{folder.name}.old-{uuid.uuid4().hex[:8]}")
    if folder.exists():
        folder.rename(aside)
    partial.rename(folder)
    shutil.rmtree(aside, ignore_errors=True)


def partial_folder(folder: Path) -> Path:
    """A new, empty folder beside `folder` (but for its MARK), of this process alone, to fill before
    `replace_folder`."""
    partial = folder.with_name(f"{folder.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    partial.mkdir(parents=True)
    (partial / MARK).write_text(MARK_TEXT)
    return partial


def write_text(path: Path, text: str) -> None:
    """Write a text file in one step: a reader sees the old content or the new, never half of it."""
    partial = path.with_name(f"{path.name}.partial-{os.getpid()}")
    partial.write_text(text)
    partial.replace(path)
