"""Drive JupyterLab in a real headless browser, the way a learner does: open a notebook, run all, use a widget.

    with JupyterLab(root) as lab, Browser() as browser:
        notebook = browser.open_notebook(lab.url, "notebooks/01_x.ipynb")
        notebook.run_all()                              # or run_through(cell): cells 0..cell only
        notebook.press_slider(0, "n")

The browser is Debian's Chromium (`tests/install_browser.sh`), driven by Playwright with its
executable path set, so Playwright never downloads a browser of its own. The server listens on
127.0.0.1 on a free port with an empty token, in a throwaway settings folder that silences the
news pop-up, turns autosave off and attaches every cell to the page (no windowing), so that each
widget and output can be found.
"""

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
LAB_SETTINGS = {  # JupyterLab user settings: file name under the settings folder -> content
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
TRACEBACK = "Traceback (most recent call last)"
VISIBLE_PANEL = "const panel = [...document.querySelectorAll('.jp-NotebookPanel')].find(p => p.offsetParent !== null);"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_when_parent_dies():
    """In the child, before it starts: on Linux, get SIGTERM when the test process dies, even if it is killed
    before its clean-up runs (e.g. by a time limit); the server then shuts its kernels down itself."""
    if sys.platform == "linux":
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class JupyterLab:
    """A JupyterLab server for one test session; stopping it also ends its kernels."""

    def __init__(self, root_dir: Path, env: dict | None = None, start_timeout: float = 60):
        self.root_dir, self.start_timeout = Path(root_dir), start_timeout
        self.home = Path(tempfile.mkdtemp(prefix="lab-home-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            **(env or {}),
            "JUPYTERLAB_SETTINGS_DIR": str(self.home / "settings"),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.home / "workspaces"),
            "JUPYTER_CONFIG_DIR": str(self.home / "config"),
            "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
        }
        self.process = None

    def __enter__(self):
        for name, content in LAB_SETTINGS.items():
            path = self.home / "settings" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(content))
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token=",
            f"--ServerApp.root_dir={self.root_dir}",
        ]
        self.log = open(self.home / "server.log", "w")
        self.process = subprocess.Popen(
            command,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=stop_when_parent_dies,
        )
        self._wait_until_up()
        return self

    def _wait_until_up(self):
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.server_log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status", timeout=2):
                    return
            except OSError:
                time.sleep(0.25)
        raise TimeoutError(f"JupyterLab did not answer within {self.start_timeout} s:\n{self.server_log()}")

    def server_log(self) -> str:
        return (self.home / "server.log").read_text()[-3000:]

    def __exit__(self, *exc_info):
        self.stop()

    def processes(self) -> list[psutil.Process]:
        """The server and everything it started, kernels included (they run in sessions of their own)."""
        try:
            server = psutil.Process(self.process.pid)
            return [server, *server.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self, grace: float = 10):
        """Ask the server to shut down (it stops its kernels), then kill whatever is left."""
        if self.process is None:
            return
        leftovers = self.processes()
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        for process in leftovers:
            if process.is_running():
                process.kill()
        psutil.wait_procs(leftovers, timeout=grace)
        self.log.close()
        shutil.rmtree(self.home, ignore_errors=True)


class Browser:
    """Headless Debian Chromium through Playwright; one page per notebook."""

    def __init__(self, screenshots: Path, width: int = 1400, height: int = 1000):
        self.screenshots, self.viewport = Path(screenshots), {"width": width, "height": height}

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        return self

    def __exit__(self, *exc_info):
        self.browser.close()
        self.playwright.stop()

    def open_notebook(self, lab_url: str, path: str, timeout: float = 60) -> "NotebookPage":
        """Open `path` (relative to the server's root) in a new page, with its kernel ready."""
        page = self.browser.new_page(viewport=self.viewport)
        page.set_default_timeout(timeout * 1000)
        page.goto(f"{lab_url}/lab/tree/{path}?reset")  # ?reset: a clean workspace, no tabs of earlier tests
        notebook = NotebookPage(page, Path(path).stem, self.screenshots)
        notebook.wait_for_kernel_idle(timeout)
        return notebook


class NotebookPage:
    """One open notebook: run it, screenshot it, read its outputs, use its widgets."""

    def __init__(self, page, name: str, screenshots: Path):
        self.page, self.name, self.screenshots = page, name, screenshots
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell")

    @property
    def panel(self):
        return self.page.locator(".jp-NotebookPanel:visible")

    @property
    def code_cells(self):
        return self.panel.locator(".jp-CodeCell")

    def wait_for_kernel_idle(self, timeout: float):
        """Wait until the visible notebook has a kernel and it is idle (a kernel-choice dialog means the notebook
        names none)."""
        self.page.wait_for_function(
            f"() => {{{VISIBLE_PANEL} const name = panel && panel.querySelector('.jp-Toolbar-kernelName');"
            " const status = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');"
            " return name && !name.textContent.includes('No Kernel') && status"
            " && status.dataset.status === 'idle'; }",
            timeout=timeout * 1000,
        )

    def screenshot(self, step: str, cell: int | None = None) -> Path:
        """Save what the learner sees (scrolled to code cell `cell`, if given) as <notebook>-<step>.png."""
        if cell is not None:
            self.code_cells.nth(cell).scroll_into_view_if_needed()
        self.screenshots.mkdir(parents=True, exist_ok=True)
        path = self.screenshots / f"{self.name}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def menu(self, *labels: str):
        """Click through the menu bar, e.g. menu("Run", "Run All Cells")."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=labels[0]).first.click()
        for label in labels[1:]:
            self.page.locator(".lm-Menu-itemLabel", has_text=label).first.click()

    def prompts(self) -> list[str]:
        """The input prompt of every code cell: '[3]:' once run, '[*]:' while queued or running."""
        return [text.strip() for text in self.code_cells.locator(".jp-InputPrompt").all_inner_texts()]

    def clear_outputs(self):
        """Clear every stored output, so that a prompt with a number is one this run has filled in."""
        self.menu("Edit", "Clear Outputs of All Cells")
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-NotebookPanel .jp-InputPrompt')]"
            ".every(p => !/\\d/.test(p.textContent))",
            timeout=30_000,
        )

    def run_all(self, timeout: float = 300) -> float:
        """Run All Cells from the Run menu and wait until every code cell has run; returns seconds."""
        start = time.monotonic()
        self.clear_outputs()
        self.menu("Run", "Run All Cells")
        self._wait_until_run(range(self.code_cells.count()), start + timeout)
        return time.monotonic() - start

    def run_through(self, cell: int, timeout: float = 300) -> float:
        """Run code cells 0 to `cell` as a learner does before using a widget: select the cell, then
        Run All Above Selected Cell and Run Selected Cell from the Run menu. Cells below stay unrun."""
        start = time.monotonic()
        self.clear_outputs()
        self.code_cells.nth(cell).locator(".jp-InputPrompt").click()  # selects the cell (command mode)
        self.menu("Run", "Run All Above Selected Cell")
        self.menu("Run", "Do not Advance")  # "Run Selected Cell and Do not Advance"
        self._wait_until_run(range(cell + 1), start + timeout)
        return time.monotonic() - start

    def run_cells(self, cells: list[int], timeout: float = 300) -> float:
        """Run only the given code cells, in order, as a learner who runs the setup and then jumps to a
        section does: select each, Run Selected Cell and Do not Advance. Other cells stay unrun."""
        start = time.monotonic()
        self.clear_outputs()
        for cell in cells:  # the kernel queues each request while the one before still runs
            self.code_cells.nth(cell).locator(".jp-InputPrompt").click()
            self.menu("Run", "Do not Advance")
        self._wait_until_run(cells, start + timeout)
        return time.monotonic() - start

    def _wait_until_run(self, cells, deadline: float):
        """Wait until the given code cells show an execution count and the kernel is idle."""
        cells = list(cells)
        while True:
            prompts = self.prompts()
            waiting = [i for i in cells if i >= len(prompts) or not prompts[i][1:-2].isdigit()]
            if not waiting:
                break
            if time.monotonic() > deadline:
                self.screenshot("timeout")
                raise TimeoutError(f"{self.name}: code cells {waiting} had not run in time (prompts {prompts})")
            self.page.wait_for_timeout(500)
        self.wait_for_kernel_idle(max(deadline - time.monotonic(), 1))

    def find_source(self, text: str) -> int:
        """Index of the first code cell whose source contains `text`."""
        sources = self.code_cells.locator(".jp-InputArea-editor").all_inner_texts()
        for index, source in enumerate(sources):
            if text in source:
                return index
        raise AssertionError(f"{self.name}: no code cell contains {text!r}")

    def cell_output(self, index: int) -> str:
        """The visible text of code cell `index`'s outputs (widgets included)."""
        return self.code_cells.nth(index).locator(".jp-Cell-outputArea").inner_text()

    def cells_with_traceback(self) -> list[int]:
        return [i for i in range(self.code_cells.count()) if TRACEBACK in self.cell_output(i)]

    def widget_cells(self) -> list[int]:
        """Indices of the code cells that rendered at least one Jupyter widget."""
        return [i for i in range(self.code_cells.count()) if self.code_cells.nth(i).locator(".jupyter-widgets").count()]

    def kernel_idle(self) -> bool:
        return self.page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').count() > 0

    def find_cell(self, selector: str, text: str | None = None) -> int:
        """Index of the first code cell whose output holds `selector` (with `text`, if given)."""
        for index in range(self.code_cells.count()):
            if self.code_cells.nth(index).locator(".jp-Cell-outputArea").locator(selector, has_text=text).count():
                return index
        self.screenshot("not-found")
        raise AssertionError(
            f"{self.name}: no cell output holds {selector!r}" + (f" with text {text!r}" if text else "")
        )

    def slider(self, cell: int, description: str):
        return self.code_cells.nth(cell).locator(".widget-slider", has_text=description).first

    def press_slider(self, cell: int, description: str, key: str = "ArrowRight", times: int = 1):
        """Focus the handle of the slider labelled `description` and press `key` (one step per press)."""
        handle = self.slider(cell, description).locator(".noUi-handle")
        handle.focus()
        for _ in range(times):
            handle.press(key)
        self.wait_until_synced()

    def wait_until_synced(self, settle: float = 1.5, timeout: float = 60):
        """Wait until the kernel has stayed idle for `settle` seconds. The browser holds back a widget's value
        changes while the kernel is busy with earlier ones, but sends a button's click at once: clicking before the
        kernel has every change would act on a value the page no longer shows."""
        deadline = time.monotonic() + timeout
        idle_since = None
        while time.monotonic() < deadline:
            if not self.kernel_idle():
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= settle:
                return
            self.page.wait_for_timeout(100)
        raise AssertionError(f"{self.name}: the kernel did not stay idle for {settle} s within {timeout} s")

    def slider_value(self, cell: int, description: str) -> str:
        return self.slider(cell, description).locator(".widget-readout").inner_text()

    def click_button(self, cell: int, text: str):
        """Click the button (or toggle button) showing `text`."""
        self.code_cells.nth(cell).locator("button.jupyter-button", has_text=text).first.click()

    def click_other_choice(self, cell: int, description: str):
        """In the toggle buttons labelled `description`, click the first choice that is not selected."""
        choices = self.code_cells.nth(cell).locator(".widget-toggle-buttons", has_text=description)
        choices.locator("button.jupyter-button:not(.mod-active)").first.click()

    def click_tab(self, cell: int, title: str):
        self.code_cells.nth(cell).locator(".lm-TabBar-tab", has_text=title).first.click()

    def click_checkbox(self, cell: int, description: str):
        self.code_cells.nth(cell).locator(".widget-checkbox", has_text=description).locator("input").first.click()
        self.wait_until_synced()

    def type_text(self, cell: int, text: str, *, placeholder: str | None = None, description: str | None = None):
        """Replace the text of the text box or area found by its placeholder or its description, as typing would."""
        outputs = self.code_cells.nth(cell).locator(".jp-Cell-outputArea")
        if placeholder is not None:
            box = outputs.get_by_placeholder(placeholder).first
        else:
            box = (
                outputs.locator(".widget-text, .widget-textarea", has_text=description).locator("input, textarea").first
            )
        box.fill(text)
        box.press("Tab")  # leave the box: continuous_update=False widgets sync on blur
        self.wait_until_synced()

    def wait_for_text(self, cell: int, text: str, timeout: float = 60) -> str:
        """Wait until code cell `cell`'s output shows `text` (for work that runs in a background thread); a
        problem the app reports (⚠️) ends the wait at once, with the app's message."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = self.cell_output(cell)
            if text in now:
                return now
            if "⚠️" in now:
                self.screenshot(f"cell{cell}-problem", cell)
                raise AssertionError(f"{self.name}: code cell {cell} reported a problem: {now[-500:]}")
            self.page.wait_for_timeout(500)
        self.screenshot(f"cell{cell}-no-text", cell)
        raise AssertionError(f"{self.name}: code cell {cell} did not show {text!r} within {timeout} s")

    def wait_for_output_change(self, cell: int, before: str, timeout: float = 60) -> str:
        """Wait until code cell `cell`'s output differs from `before`, the kernel is idle again (the callback
        has finished) and the text has stayed the same for one more look; return it."""
        deadline = time.monotonic() + timeout
        previous = None
        while time.monotonic() < deadline:
            now = self.cell_output(cell)
            if now != before and now == previous and self.kernel_idle():
                return now
            previous = now
            self.page.wait_for_timeout(500)
        self.screenshot(f"cell{cell}-unchanged", cell)
        raise AssertionError(
            f"{self.name}: the output of code cell {cell} did not change (and settle) within {timeout} s"
        )
