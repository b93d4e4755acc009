"""Writing results so that an interruption never leaves half of them: fill a new copy, then swap it in."""
import os
import shutil
import uuid
from pathlib import Path


def replace_folder(partial: Path, folder: Path) -> None:
    """Put the complete folder `partial` in the place of `folder` (which may exist), by renames only.

    Whatever stood at `folder` is moved aside first and deleted last, so at every moment `folder` is
    either the old complete copy or the new one, never a mix of both.
    """
    aside = folder.with_name(f"{folder.name}.old-{uuid.uuid4().hex[:8]}")
    if folder.exists():
        folder.rename(aside)
    partial.rename(folder)
    shutil.rmtree(aside, ignore_errors=True)


def partial_folder(folder: Path) -> Path:
    """A new, empty folder beside `folder`, of this process alone, to fill before `replace_folder`."""
    partial = folder.with_name(f"{folder.name}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    partial.mkdir(parents=True)
    return partial


def write_text(path: Path, text: str) -> None:
    """Write a text file in one step: a reader sees the old content or the new, never half of it."""
    partial = path.with_name(f"{path.name}.partial-{os.getpid()}")
    partial.write_text(text)
    partial.replace(path)
