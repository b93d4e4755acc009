"""The map of the course, read from the notebooks themselves so it never goes stale."""

import json

import pandas as pd

from .config import REPO_ROOT

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"


def notebook_summary(path) -> tuple[str, str]:
    """Title (the first '# ' heading) and the first paragraph after it, from a notebook's first markdown cell."""
    cells = json.loads(path.read_text())["cells"]
    text = next("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    lines = text.strip().splitlines()
    title = lines[0].lstrip("# ").strip()
    paragraph = []  # the first run of text lines (a badge or an image line does not count)
    for line in lines[1:]:
        if line.strip() and not line.startswith(("[", "!", "<")):
            paragraph.append(line.strip())
        elif paragraph:
            break
    return title, " ".join(paragraph)


def course_map(notebooks_dir=NOTEBOOKS_DIR) -> pd.DataFrame:
    """One row per numbered notebook: file, title, and what the learner measures there."""
    rows = [
        dict(zip(("notebook", "title", "what you measure"), (path.name, *notebook_summary(path))))
        for path in sorted(notebooks_dir.glob("[0-9][0-9]_*.ipynb"))
    ]
    return pd.DataFrame(rows).set_index("notebook")
