"""What is this machine, and does it run the versions the course was tested with?"""
import os
import platform
import re
from importlib.metadata import PackageNotFoundError, version

import pandas as pd
import psutil
import torch

from .config import REPO_ROOT

KEY_PACKAGES = ("torch", "transformers", "peft", "accelerate", "gguf", "pandas", "matplotlib", "ipywidgets", "jupyterlab", "nbval")


def pinned_versions(constraints_file=REPO_ROOT / "constraints.txt") -> dict:
    """Package -> version, from the constraints file the course is tested with."""
    pins = {}
    for line in constraints_file.read_text().splitlines():
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", line.strip())
        if match:
            pins[match[1].lower().replace("_", "-")] = match[2]
    return pins


def installed_version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def version_report(packages=KEY_PACKAGES) -> pd.DataFrame:
    """One row per key package: the tested version, the installed one, and whether they agree."""
    pins = pinned_versions()
    rows = []
    for package in packages:
        pinned, installed = pins.get(package), installed_version(package)
        same = installed is not None and pinned is not None and installed.split("+")[0] == pinned
        status = "ok" if same else "missing" if installed is None else "differs"
        rows.append({"package": package, "tested": pinned, "installed": installed, "status": status})
    return pd.DataFrame(rows).set_index("package")


def version_warnings(report: pd.DataFrame) -> list[str]:
    """Friendly lines for every package that is missing or differs from the tested version."""
    return [f"{package}: tested with {row.tested}, you have {row.installed or 'nothing'}"
            + (" (install it: `make setup`)" if row.status == "missing" else " (usually fine; if a cell fails, try the tested version)")
            for package, row in report.iterrows() if row.status != "ok"]


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
