"""Real labelled text that is not ours: fetched from PyPI at setup, checked against its hash, never committed.

    python -m helpers.prompting.fetch          # what `make setup` runs: fetch and unpack once, then only check
    ratings_file("amazonReviewSnippets", "GroundTruth")   # a path to read (fetched first if missing)

The source distribution of `vaderSentiment==3.3.2` on PyPI carries the data of Hutto & Gilbert (2014), VADER
(ICWSM): sentences from Amazon product reviews (Hu & Liu 2004) and from movie reviews (Pang & Lee 2005), each
rated from -4 to +4 by about 20 people. pip downloads the archive (PyPI is reachable wherever packages install),
its SHA-256 is checked, and the archive and the two sources' files are kept in `data/reviews/fetched/` (git-ignored:
the texts are not ours to redistribute), beside the data card. Every course cache and every Python environment of the
checkout reads the same files there, so tests and Colab's test stacks never fetch them again.
"""

import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from ..core.config import DATA_DIR
from ..core.errors import CourseError
from ..core.files import write_text

PACKAGE = "vaderSentiment==3.3.2"
ARCHIVE = "vaderSentiment-3.3.2.tar.gz"
ARCHIVE_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
INNER = "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz"
SOURCES = ("amazonReviewSnippets", "movieReviewSnippets")  # not the tweets (partly written by the authors)
KINDS = ("GroundTruth", "anonDataRatings")
FETCHED = DATA_DIR / "reviews" / "fetched"
STAMP = "SOURCE.txt"


def is_fetched(folder: Path = FETCHED) -> bool:
    """Whether every file is unpacked and was checked against this archive's hash."""
    stamp = folder / STAMP
    return (
        stamp.is_file()
        and ARCHIVE_SHA256 in stamp.read_text()
        and all((folder / f"{source}_{kind}.txt").is_file() for source in SOURCES for kind in KINDS)
    )


def unpack(archive: bytes, folder: Path = FETCHED) -> None:
    """Check the archive's SHA-256, then write the sources' files into `folder` (the stamp last: a stopped run
    leaves no stamp and is unpacked again)."""
    digest = hashlib.sha256(archive).hexdigest()
    if digest != ARCHIVE_SHA256:
        raise CourseError(
            f"The downloaded {ARCHIVE} has SHA-256 {digest}, not the expected {ARCHIVE_SHA256}: it is not "
            "the file the course was measured on. Nothing was unpacked; check your package index."
        )
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as outer:
        inner = tarfile.open(fileobj=io.BytesIO(outer.extractfile(INNER).read()))
    names = {Path(member.name).name: member for member in inner.getmembers() if member.isfile()}
    for source in SOURCES:
        for kind in KINDS:
            name = f"{source}_{kind}.txt"
            (folder / name).write_bytes(inner.extractfile(names[name]).read())
    (folder / ARCHIVE).write_bytes(archive)
    write_text(
        folder / STAMP,
        f"Unpacked from {ARCHIVE} (pip download {PACKAGE}), SHA-256 {ARCHIVE_SHA256}.\n"
        "Hutto & Gilbert (2014), VADER, ICWSM; Hu & Liu (2004); Pang & Lee (2005). Not ours: "
        "never commit these files.\n",
    )


def download() -> bytes:
    """The source distribution from the package index pip is configured with (PyPI by default)."""
    with tempfile.TemporaryDirectory() as folder:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-binary",
                ":all:",
                "--no-deps",
                "--quiet",
                "--dest",
                folder,
                PACKAGE,
            ],
            capture_output=True,
            text=True,
        )
        path = Path(folder) / ARCHIVE
        if done.returncode != 0 or not path.is_file():
            reason = (done.stderr.strip().splitlines() or ["no file"])[-1][:300]
            raise CourseError(
                f"Could not download {PACKAGE} from the package index ({reason}). The real reviews "
                "need it once: run `make setup` where PyPI is reachable."
            )
        return path.read_bytes()


def ensure_fetched(folder: Path = FETCHED) -> Path:
    """The folder of unpacked files, fetched first if they are missing or were not checked."""
    if not is_fetched(folder):
        if (folder / ARCHIVE).is_file():  # kept from an earlier fetch: unpack it again (its hash is checked)
            unpack((folder / ARCHIVE).read_bytes(), folder)
            return folder
        print(
            f"Fetching the human-rated review sentences ({PACKAGE} from PyPI, about 2.5 MB) into {folder} ...",
            flush=True,
        )
        unpack(download(), folder)
    return folder


def ratings_file(source: str, kind: str, folder: Path = FETCHED) -> Path:
    """One unpacked file: `source` in SOURCES, `kind` "GroundTruth" (id, mean, text) or "anonDataRatings"
    (id, mean, sd, every rater's score)."""
    return ensure_fetched(folder) / f"{source}_{kind}.txt"


if __name__ == "__main__":
    print(f"Real review sentences: {ensure_fetched()} (SHA-256 of {ARCHIVE} checked).")
