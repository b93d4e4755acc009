"""Settings read from the environment, in one place.

COURSE_QUICK=1   shrink training steps and evaluation sizes (CI and the test
                 command set it); lessons still run every step, just smaller.
COURSE_MODEL     the model every notebook loads (default: the packaged
                 SmolLM2-135M-Instruct; any Hugging Face id where there is network).
COURSE_CACHE     where converted weights and results are cached
                 (default: ~/.cache/ft-vs-pe).
COURSE_BFLOAT16=0  compute in float32 even where the chip has fast bfloat16
                 (by default the course uses bfloat16 arithmetic there: see
                 helpers.models.fast_arithmetic).
"""
import os
from pathlib import Path

from .errors import CourseError

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
SEED = 0


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


QUICK = _flag("COURSE_QUICK")
BFLOAT16_ALLOWED = os.environ.get("COURSE_BFLOAT16", "1").strip().lower() not in ("0", "false", "no")


def quick_or_full(quick, full):
    """Return `quick` when COURSE_QUICK is set, else `full` (sizes, step counts)."""
    return quick if QUICK else full


def cache_dir() -> Path:
    """The folder for cached weights and results; created on first use."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ft-vs-pe"
    path = Path(os.environ.get("COURSE_CACHE", default)).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CourseError(f"Cannot create the course cache {path} ({error.strerror}): set COURSE_CACHE to a folder you "
                          f"can write, e.g. `export COURSE_CACHE=/tmp/ft-vs-pe`.") from None
    return path


def setup_notebook():
    """Show CourseError as one friendly line in IPython instead of a traceback."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def show_course_error(shell, etype, value, tb, tb_offset=None):
        print(f"⚠️  {value}")
        return None

    shell.set_custom_exc((CourseError,), show_course_error)
