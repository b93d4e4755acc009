"""Settings read from the environment, in one place.

COURSE_QUICK=1   shrink training steps and evaluation sizes (CI and the test
                 command set it); lessons still run every step, just smaller.
COURSE_MODEL     the model every notebook loads (default: the packaged
                 SmolLM2-135M-Instruct; any Hugging Face id where there is network).
COURSE_CACHE     where converted weights and results are cached
                 (default: ~/.cache/ft-vs-pe).
COURSE_BFLOAT16=0  compute in float32 even where the chip has fast bfloat16
                 (by default the course uses bfloat16 arithmetic there: see
                 helpers.llm.models.fast_arithmetic).
Switches take 1/0, true/false, yes/no or on/off; anything else is refused with a message. An empty
variable counts as unset.
"""

import os
from pathlib import Path

from .errors import CourseError

REPO_ROOT = Path(__file__).resolve().parents[2]  # helpers/core/config.py -> the repository
DATA_DIR = REPO_ROOT / "data"
SEED = 0


SWITCH_VALUES = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


def switch(name: str, default: bool) -> bool:
    """An on/off environment variable: 1/0, true/false, yes/no or on/off (any case); unset or empty: `default`."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in SWITCH_VALUES:
        raise CourseError(
            f"{name}={os.environ[name]!r} is neither on nor off: set it to 1 or 0 (true/false, yes/no and "
            "on/off work too), or unset it."
        )
    return SWITCH_VALUES[value]


QUICK = switch("COURSE_QUICK", False)
BFLOAT16_ALLOWED = switch("COURSE_BFLOAT16", True)


def quick_or_full(quick, full):
    """Return `quick` when COURSE_QUICK is set, else `full` (sizes, step counts)."""
    return quick if QUICK else full


def cache_dir() -> Path:
    """The folder for cached weights and results; created on first use."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ft-vs-pe"
    path = Path(os.environ.get("COURSE_CACHE", "").strip() or default).expanduser()  # empty: the default
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CourseError(
            f"Cannot create the course cache {path} ({error.strerror}): set COURSE_CACHE to a folder you "
            f"can write, e.g. `export COURSE_CACHE=/tmp/ft-vs-pe`."
        ) from None
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
