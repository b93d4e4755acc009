"""The notebooks as files: stored outputs exist (so nbval really compares), markers are consistent."""

import json
import re

import nbformat
import pytest

from helpers.core.config import REPO_ROOT

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def code_cells(path):
    return [cell for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code"]


def test_the_course_has_its_first_notebook():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_setup_and_tour.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_code_cell_has_stored_outputs_to_compare(path):
    # nbval never compares a cell whose execution_count is empty: a stripped notebook would pass untested.
    unexecuted = [cell["source"][:60] for cell in code_cells(path) if cell.get("execution_count") is None]
    assert not unexecuted, (
        f"run `make outputs NB={path.relative_to(REPO_ROOT)}`: cells without stored outputs: {unexecuted}"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_error_demonstrations_are_tagged_for_jupyter_too(path):
    # The comment satisfies nbval; the tag lets JupyterLab's Run All and nbconvert run past the cell.
    for cell in code_cells(path):
        source = "".join(cell["source"])
        if "NBVAL_RAISES_EXCEPTION" in source:
            assert "raises-exception" in cell["metadata"].get("tags", []), source[:80]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_cell_is_skipped(path):
    skipped = [cell["source"][:60] for cell in code_cells(path) if "NBVAL_SKIP" in "".join(cell["source"])]
    assert not skipped, f"a skipped cell is an untested lesson: {skipped}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_markdown_states_no_measured_figure(path):
    """A finding is printed by a cell from its numbers (`helpers.experiments.findings`); markdown explains ideas. A
    percentage in
    prose is a result typed by hand, except the confidence level of an interval ("95%") and the thresholds an
    exercise sets for its check."""
    for number, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type != "markdown" or re.search(r"\*\*\d+\. ", cell.source):  # (an exercise's statement)
            continue
        prose = re.sub(r"`[^`]*`|\$[^$]*\$", "", cell.source)
        typed = [m.group() for m in re.finditer(r"(?<![\d.])(?!95%)\d+(?:\.\d+)?\s?%", prose)]
        assert not typed, f"{path.name}, cell {number}: {typed} in markdown; print it from the numbers instead"
