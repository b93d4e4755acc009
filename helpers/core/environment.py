"""What is this machine, and does it run versions the course was tested with?

The course is tested with the newest versions pinned in constraints.txt (`make test`) and with the
oldest ones that pyproject.toml accepts (`make test-colab`: Colab's runtimes), so a version
between the two is supported.
"""

import os
import platform
import re
import tomllib
from importlib.metadata import PackageNotFoundError, version

import pandas as pd
import psutil
import torch
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from .config import REPO_ROOT

KEY_PACKAGES = ("torch", "transformers", "peft", "accelerate", "gguf", "pandas", "matplotlib", "ipywidgets")


def pinned_versions(constraints_file=REPO_ROOT / "constraints.txt") -> dict:
    """Package -> version, from the constraints file the course is tested with (the newest tested)."""
    pins = {}
    for line in constraints_file.read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line.strip())
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def oldest_supported_versions(pyproject=REPO_ROOT / "pyproject.toml") -> dict:
    """Package -> lowest version the course supports and tests (the `>=` floors of pyproject.toml)."""
    floors = {}
    for line in tomllib.loads(pyproject.read_text())["project"]["dependencies"]:
        requirement = Requirement(line)
        lowest = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        if lowest:
            floors[canonicalize_name(requirement.name)] = lowest[0]
    return floors


def installed_version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def version_report(packages=KEY_PACKAGES) -> pd.DataFrame:
    """One row per key package: the tested range (oldest to newest), the installed version, and a verdict."""
    newest, oldest = pinned_versions(), oldest_supported_versions()
    rows = []
    for package in packages:
        low, high, installed = oldest.get(package), newest.get(package), installed_version(package)
        release = Version(Version(installed).base_version) if installed else None  # 2.13.0+cpu -> 2.13.0
        if release is None:
            status = "missing"
        elif low and release < Version(low):
            status = "older than tested"
        elif high and release > Version(high):
            status = "newer than tested"
        else:
            status = "ok"
        rows.append(
            {"package": package, "tested": f"{low or '?'} to {high or '?'}", "installed": installed, "status": status}
        )
    return pd.DataFrame(rows).set_index("package")


ADVICE = {
    "missing": "install it: `make setup`, or on Colab run the notebook's first cell",
    "older than tested": "upgrade it: `pip install -U {package}` (then restart the kernel)",
    "newer than tested": "usually fine; if a cell fails, install the tested version: `make setup`",
}


def version_warnings(report: pd.DataFrame) -> list[str]:
    """One friendly line, with what to do, for every package that is missing or outside the tested range."""
    return [
        f"{package}{' ' + row.installed if row.status != 'missing' else ''}: {row.status} ({row.tested}); "
        f"{ADVICE[row.status].format(package=package)}"
        for package, row in report.iterrows()
        if row.status != "ok"
    ]


def machine_summary() -> dict:
    """Python, OS, cores, memory and accelerators: what decides how fast the lessons run."""
    memory = psutil.virtual_memory()
    summary = {
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.machine()}",
        "cpu cores": os.cpu_count(),
        "memory (GB)": round(memory.total / 1e9, 1),
        "memory free (GB)": round(memory.available / 1e9, 1),
        "CUDA GPU": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
        "Apple MPS": "yes" if torch.backends.mps.is_available() else "no",
    }
    return summary
