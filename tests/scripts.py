"""The scripts of benchmarks/ (not a package), imported as modules for their tests."""

import importlib.util

from helpers.core.config import REPO_ROOT


def benchmark_script(name: str):
    """benchmarks/<name>.py as a module, e.g. benchmark_script("reference")."""
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", REPO_ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
