"""Where a notebook's time and memory go: wall time and peak resident memory of every code cell.

    .venv/bin/python benchmarks/cells.py notebooks/02_prompt_patterns.ipynb            # full mode
    COURSE_QUICK=1 .venv/bin/python benchmarks/cells.py notebooks/*.ipynb --top 10     # quick mode

A script, not a test: it runs each notebook in a fresh kernel (nbclient, outputs discarded) and prints one
Markdown table per notebook, slowest cells first, with the kernel's peak memory (resident memory of the kernel
and the processes it starts, sampled every 0.1 s) while the cell ran.
"""
import argparse
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=0, help="show only the slowest N cells of each notebook")
    args = parser.parse_args()
    for path in args.notebooks:
        rows, seconds, peak = profile(path)
        print(f"\n## {path.name}: {seconds:.0f} s, peak {peak:,.0f} MB\n\n| s | peak MB | cell |\n|---:|---:|---|")
        for cell_seconds, cell_peak, line in sorted(rows, reverse=True)[:args.top or None]:
            print(f"| {cell_seconds:.1f} | {cell_peak:,.0f} | `{line}` |")


if __name__ == "__main__":
    main()
