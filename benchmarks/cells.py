"""Where a notebook's time and memory go: wall time and peak resident memory of every code cell.

    .venv/bin/python benchmarks/cells.py notebooks/02_prompt_patterns.ipynb            # full mode
    COURSE_QUICK=1 .venv/bin/python benchmarks/cells.py notebooks/*.ipynb --top 10     # quick mode
    COURSE_QUICK=1 .venv/bin/python benchmarks/cells.py notebooks/*.ipynb --summary    # ... and update the table

A script, not a test: it runs each notebook in a fresh kernel (nbclient, outputs discarded) and prints one
Markdown table per notebook, slowest cells first, with the kernel's peak memory (resident memory of the kernel
and the processes it starts, sampled every 0.1 s) while the cell ran. With --summary it also writes each notebook's
wall time and peak memory, for the mode it ran in, into benchmarks/notebook_times.md: the one table of time and
memory per notebook, which the README shows as it is (`tests/test_benchmarks.py` checks that they agree).
"""

import argparse
import datetime
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

MB = 2**20


class Sampler(threading.Thread):
    """Samples the resident memory of a process tree; `take()` returns the peak since the last take."""

    def __init__(self):
        super().__init__(daemon=True)
        self.pid, self.peak, self.overall = None, 0, 0

    def run(self):
        while True:
            if self.pid:
                try:
                    kernel = psutil.Process(self.pid)
                    rss = sum(p.memory_info().rss for p in [kernel, *kernel.children(recursive=True)])
                    self.peak, self.overall = max(self.peak, rss), max(self.overall, rss)
                except psutil.Error:
                    pass
            time.sleep(0.1)

    def take(self) -> int:
        peak, self.peak = self.peak, 0
        return peak


def profile(path: Path) -> tuple[list[tuple[float, float, str]], float, float]:
    """(seconds, peak MB, "[cell number] first line of code") for each code cell; the notebook's wall time and
    overall peak MB."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=-1, resources={"metadata": {"path": str(path.parent)}}, allow_errors=True)
    sampler, rows, clock = Sampler(), [], {}
    sampler.start()

    def started(cell, **_):
        sampler.pid = client.km.provisioner.process.pid if sampler.pid is None else sampler.pid
        sampler.take()
        clock["began"] = time.perf_counter()

    def completed(cell, cell_index, **_):
        lines = [line for line in cell.source.splitlines() if line.strip()]
        code = next((line for line in lines if not line.lstrip().startswith("#")), lines[0] if lines else "")
        rows.append((time.perf_counter() - clock["began"], sampler.take() / MB, f"[{cell_index}] {code[:70]}"))

    client.on_cell_start, client.on_cell_executed = started, completed
    began = time.perf_counter()
    client.execute()
    return rows, time.perf_counter() - began, sampler.overall / MB


SUMMARY = Path(__file__).resolve().parent / "notebook_times.md"
MODES = ("quick", "full")


def duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def read_summary(path: Path = SUMMARY) -> dict:
    """{notebook: {mode: "time | memory"}} and {mode: "measured on ..."} from the summary file."""
    rows, provenance = {}, {}
    if path.exists():
        for line in path.read_text().splitlines():
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if line.startswith("| `"):
                rows[cells[0].strip("`")] = {"quick": cells[1:3], "full": cells[3:5]}
            found = re.match(r"- (quick|full) mode: (.*)", line)
            if found:
                provenance[found[1]] = found[2]
    return {"rows": rows, "provenance": provenance}


def write_summary(measured: dict, mode: str, when: str, path: Path = SUMMARY) -> str:
    """Put the wall time and peak memory of the notebooks measured in `mode` into the summary table, keeping the other
    notebooks' and the other mode's figures with their own provenance. Returns the table's text."""
    summary = read_summary(path)
    for name, (seconds, peak) in measured.items():
        summary["rows"].setdefault(name, {m: ["not measured", "not measured"] for m in MODES})[mode] = [
            duration(seconds),
            f"{peak / 1024:.2f} GB",
        ]
    summary["provenance"][mode] = when
    lines = [
        "| notebook | quick mode: time | quick mode: peak memory | full mode: time | full mode: peak memory |",
        "|---|---:|---:|---:|---:|",
    ]
    lines += [
        f"| `{name}` | {' | '.join(row['quick'] + row['full'])} |" for name, row in sorted(summary["rows"].items())
    ]
    lines += [""] + [f"- {m} mode: {summary['provenance'].get(m, 'not measured')}" for m in MODES]
    text = "\n".join(lines) + "\n"
    path.write_text(text)
    return text


def chip() -> str:
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    kind = "AVX-512 BF16" if "avx512_bf16" in flags or "amx_bf16" in flags else "AVX2 only" if "avx2" in flags else "?"
    return f"{os.cpu_count()} CPU cores ({kind})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=0, help="show only the slowest N cells of each notebook")
    parser.add_argument("--summary", action="store_true", help="update benchmarks/notebook_times.md")
    args = parser.parse_args()
    measured = {}
    for path in args.notebooks:
        rows, seconds, peak = profile(path)
        measured[path.stem] = (seconds, peak)
        print(f"\n## {path.name}: {seconds:.0f} s, peak {peak:,.0f} MB\n\n| s | peak MB | cell |\n|---:|---:|---|")
        for cell_seconds, cell_peak, line in sorted(rows, reverse=True)[: args.top or None]:
            print(f"| {cell_seconds:.1f} | {cell_peak:,.0f} | `{line}` |")
    if args.summary:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        mode = "quick" if os.environ.get("COURSE_QUICK", "").strip().lower() in ("1", "true", "yes", "on") else "full"
        threads = os.environ.get("OMP_NUM_THREADS", "all")
        print(
            write_summary(
                measured,
                mode,
                f"{datetime.date.today().isoformat()}, {chip()}, {threads} thread(s) per "
                f"notebook, one notebook at a time, commit {commit}",
            )
        )


if __name__ == "__main__":
    main()
