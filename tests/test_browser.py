"""The widget notebooks in a real browser: JupyterLab + headless Chromium, as a learner uses them.

Each test opens a notebook, runs it from the Run menu up to and including the cell that shows its
widget (quick mode, COURSE_QUICK=1), as a learner does before using the widget (or, where the widget
needs only the setup, runs the setup cells and then the widget's cell), checks that no cell
failed and that the widget rendered, then moves a slider or presses a button and waits for the
output to change. Running every cell of every notebook, and comparing the outputs, is nbval's job
(`make test` runs both), so the browser does not run the same cells a second time.
Screenshots go to tests/screenshots/.
Needs `tests/install_browser.sh` (Debian's chromium + the playwright client), which `make test` runs.
"""

import importlib.util
import shutil
import tempfile
from pathlib import Path

import nbformat
import psutil
import pytest
from browser import CHROMIUM, Browser, JupyterLab

from helpers.core.config import REPO_ROOT

SCREENSHOTS = REPO_ROOT / "tests" / "screenshots"
MISSING = [
    what
    for what, present in (
        ("/usr/bin/chromium", CHROMIUM.exists()),
        ("the playwright package", importlib.util.find_spec("playwright") is not None),
    )
    if not present
]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"{' and '.join(MISSING)} missing: run tests/install_browser.sh (as root)"
)


def scratch_notebook() -> nbformat.NotebookNode:
    """A notebook that checks the machinery itself: a slider, a slow button, a small form, each with an output."""
    slider = (
        "import time\nimport ipywidgets as widgets\n"
        "slider = widgets.IntSlider(value=3, min=0, max=10, description='n')\n"
        "shown = widgets.interactive_output(lambda n: print(f'twice n is {2 * n}'), {'n': slider})\n"
        "display(slider, shown)"
    )
    button = (
        "button = widgets.Button(description='Run')\n"
        "log = widgets.Output()\n"
        "def slow(_):\n"
        "    log.append_stdout('started\\n')\n"
        "    time.sleep(2)\n"
        "    log.append_stdout('finished\\n')\n"
        "button.on_click(slow)\n"
        "display(button, log)"
    )
    form = (
        "name = widgets.Text(placeholder='your name', continuous_update=False)\n"
        "count = widgets.IntText(value=1, description='times')\n"
        "shout = widgets.Checkbox(description='shout')\n"
        "greet = lambda name, times, shout: "
        "print((f'hello {name} ' * times).upper() if shout else f'hello {name} ' * times)\n"
        "display(name, count, shout, widgets.interactive_output(greet, {'name': name, 'times': count, 'shout': shout}))"
    )
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in (slider, button, form)], metadata={"kernelspec": kernel}
    )


@pytest.fixture(scope="module")
def lab():
    """JupyterLab serving a throwaway copy of the notebooks (a learner's run must not touch the real files)."""
    root = Path(tempfile.mkdtemp(prefix="lab-root-"))
    shutil.copytree(REPO_ROOT / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    nbformat.write(scratch_notebook(), root / "scratch.ipynb")
    server = JupyterLab(root, env={"COURSE_QUICK": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    with server:
        yield server
        started = server.processes()
    survivors = [p for p in started if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not survivors, f"the server or a kernel outlived the test: {survivors}"
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    with Browser(SCREENSHOTS) as running:
        yield running


def open_and_run(browser, lab, path: str, timeout: float, through: str | None = None, cells: tuple = ()):
    """Open a notebook and run it: all of it, through the cell whose source holds `through`, or only the
    cells whose sources hold the texts in `cells`. Check that every cell run finished without a traceback
    and that widgets rendered. Returns (notebook, last cell run)."""
    notebook = browser.open_notebook(lab.url, path)
    if through is not None:
        ran = list(range(notebook.find_source(through) + 1))
        notebook.run_through(ran[-1], timeout)
    elif cells:
        ran = [notebook.find_source(text) for text in cells]
        notebook.run_cells(ran, timeout)
    else:
        ran = list(range(notebook.code_cells.count()))
        notebook.run_all(timeout)
    notebook.screenshot("1-ran")
    failed = [cell for cell in notebook.cells_with_traceback() if cell in ran]
    assert not failed, f"cells with a traceback: {failed}"
    assert notebook.widget_cells(), "no widget rendered"
    return notebook, ran[-1]


def test_the_machinery_moves_a_slider_and_presses_a_button(browser, lab):
    notebook, _ = open_and_run(browser, lab, "scratch.ipynb", timeout=60)
    assert notebook.widget_cells() == [0, 1, 2]
    assert "twice n is 6" in notebook.cell_output(0)

    before = notebook.cell_output(0)
    notebook.press_slider(0, "n")
    assert "twice n is 8" in notebook.wait_for_output_change(0, before, timeout=20)
    assert notebook.slider_value(0, "n") == "4"

    before = notebook.cell_output(1)
    notebook.click_button(1, "Run")
    assert "finished" in notebook.wait_for_output_change(1, before, timeout=20)  # waits for the slow callback

    before = notebook.cell_output(2)
    notebook.type_text(2, "Ada", placeholder="your name")
    assert "hello Ada" in notebook.wait_for_output_change(2, before, timeout=20)
    before = notebook.cell_output(2)
    notebook.type_text(2, "2", description="times")
    assert "hello Ada hello Ada" in notebook.wait_for_output_change(2, before, timeout=20)
    before = notebook.cell_output(2)
    notebook.click_checkbox(2, "shout")
    assert "HELLO ADA HELLO ADA" in notebook.wait_for_output_change(2, before, timeout=20)
    notebook.screenshot("2-used")


def course_notebook(number: str) -> str:
    """The path (under the server's root) of the course notebook starting with `number`."""
    found = sorted((REPO_ROOT / "notebooks").glob(f"{number}_*.ipynb"))
    assert found, f"notebook {number}_*.ipynb is missing from notebooks/"
    return f"notebooks/{found[0].name}"


def test_01_next_token_explorer_follows_the_temperature_and_the_prefix(browser, lab):
    notebook, cell = open_and_run(browser, lab, course_notebook("01"), timeout=1800, through="NextTokenExplorer(")
    assert notebook.find_cell(".widget-slider", "temperature") == cell
    before = notebook.cell_output(cell)
    chart = notebook.code_cells.nth(cell).locator(".jp-Cell-outputArea img").first.get_attribute("src")
    notebook.press_slider(cell, "temperature", "ArrowRight", times=3)
    after = notebook.wait_for_output_change(cell, before)
    assert notebook.code_cells.nth(cell).locator(".jp-Cell-outputArea img").first.get_attribute("src") != chart
    notebook.type_text(cell, "The opposite of hot is", description="prefix")
    assert notebook.wait_for_output_change(cell, after) != after
    notebook.screenshot("2-used", cell)


def test_03_prompt_playground_answers_and_compares(browser, lab):
    notebook, cell = open_and_run(browser, lab, course_notebook("03"), timeout=1800, through="build_playground(")
    assert notebook.find_cell("button.jupyter-button", "Run") == cell
    before = notebook.cell_output(cell)
    notebook.click_button(cell, "Run")
    answered = notebook.wait_for_output_change(cell, before, timeout=120)
    assert "prompt tokens" in answered and "⚠️" not in answered
    notebook.press_slider(cell, "max tokens", "ArrowLeft", times=12)  # fewer tokens: a different, shorter answer
    notebook.click_button(cell, "Run")
    assert notebook.wait_for_output_change(cell, answered, timeout=120) != answered
    notebook.screenshot("2-tried", cell)

    notebook.click_tab(cell, "Compare two prompts")
    notebook.press_slider(cell, "examples", "ArrowLeft", times=6)  # fewer examples: a quicker comparison
    examples = notebook.slider_value(cell, "examples")
    before = notebook.cell_output(cell)
    notebook.click_button(cell, "Compare")
    # the comparison shows "running..." first: wait for its result, not for the first change
    compared = notebook.wait_for_text(cell, f"Accuracy on {examples} validation examples", timeout=300)
    assert compared != before and "⚠️" not in compared, compared[-500:]
    notebook.screenshot("3-compared", cell)


def test_06_decision_form_updates_its_advice(browser, lab):
    notebook, cell = open_and_run(browser, lab, course_notebook("06"), timeout=1800, through="decision_form(")
    assert notebook.find_cell(".widget-checkbox", "We have a GPU budget") == cell
    before = notebook.cell_output(cell)
    notebook.type_text(cell, "1000000", description="Requests per month")  # the monthly costs follow the volume
    after = notebook.wait_for_output_change(cell, before)
    assert "Recommendation" in after
    notebook.screenshot("2-used", cell)


def test_04_fine_tuning_panel_trains_when_asked(browser, lab):
    # a learner who jumps to the panel: the setup cells, then the panel's cell (it needs nothing else)
    notebook, cell = open_and_run(
        browser,
        lab,
        course_notebook("04"),
        timeout=1800,
        cells=("setup_notebook()", "DEVICE = pick_device()", "FineTuneApp("),
    )
    assert notebook.find_cell("button.jupyter-button", "Stop") == cell  # the fine-tuning panel: settings, Run and Stop
    before = notebook.cell_output(cell)
    notebook.press_slider(cell, "steps", "ArrowLeft", times=3)  # fewer steps: the epochs line follows at once
    steps = notebook.slider_value(cell, "steps")
    assert notebook.wait_for_output_change(cell, before) != before
    notebook.click_button(cell, "Run")  # trains in a background thread: the kernel stays free, so wait for the end
    done = notebook.wait_for_text(cell, "Done.", timeout=900)
    assert f"Trained {steps} steps" in done and "Test accuracy" in done and "⚠️" not in done, done[-500:]
    notebook.screenshot("2-trained", cell)
