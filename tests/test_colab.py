"""Colab: the badge and setup cell are made from the one declared repository address; every notebook carries them."""

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from helpers.core.colab import (
    add_badge_and_setup_cell,
    binder_badge,
    colab_badge,
    github_path,
    release_tag,
    repository_url,
    setup_cell,
)
from helpers.core.config import REPO_ROOT
from helpers.core.errors import CourseError
from helpers.core.syllabus import notebook_summary

URL = "https://github.com/someone/ft-vs-pe"
NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_badges_link_to_the_notebook_on_github():
    assert release_tag().startswith("v")
    assert colab_badge("01_x.ipynb", URL).endswith(
        f"(https://colab.research.google.com/github/someone/ft-vs-pe/blob/{release_tag()}/notebooks/01_x.ipynb)"
    )
    assert binder_badge(URL).endswith(
        "(https://mybinder.org/v2/gh/someone/ft-vs-pe/main?urlpath=lab/tree/notebooks/00_setup_and_tour.ipynb)"
    )
    assert github_path(URL + ".git") == "someone/ft-vs-pe"


def test_a_repository_elsewhere_than_github_is_refused_clearly():
    with pytest.raises(CourseError, match="GitHub"):
        github_path("https://gitlab.com/someone/ft-vs-pe")


def test_setup_cell_is_valid_ipython_that_never_installs_torch():
    source = setup_cell(URL)
    compile(TransformerManager().transform_cell(source), "setup", "exec")  # `!` lines are IPython shell escapes
    assert URL in source and "torch" not in source.replace("never torch", "")
    assert 'if "google.colab" in sys.modules:' in source
    assert f"--branch {release_tag()} " in source  # a pinned release, never the moving default branch


def write_notebook(path, title_cell="# 07 · A title\nWhat you will measure here."):
    cells = [
        nbformat.v4.new_markdown_cell(title_cell),
        nbformat.v4.new_code_cell("# Setup: old text\nimport sys"),
        nbformat.v4.new_code_cell("print(1)"),
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)


def test_badge_goes_under_the_title_and_the_setup_cell_is_replaced_once(tmp_path):
    path = tmp_path / "07_x.ipynb"
    write_notebook(path)
    assert add_badge_and_setup_cell(path, URL)
    assert not add_badge_and_setup_cell(path, URL)  # idempotent
    cells = nbformat.read(path, as_version=4).cells
    assert cells[0].source == f"# 07 · A title\n{colab_badge('07_x.ipynb', URL)}\n\nWhat you will measure here."
    assert cells[1].source == setup_cell(URL) and cells[2].source == "print(1)"
    assert notebook_summary(path) == ("07 · A title", "What you will measure here.")  # the course map still reads it


def test_a_notebook_without_title_or_setup_cell_is_refused(tmp_path):
    path = tmp_path / "07_x.ipynb"
    write_notebook(path, title_cell="No title here")
    with pytest.raises(CourseError, match="title"):
        add_badge_and_setup_cell(path, URL)


def test_the_repository_address_is_declared_once():
    github_path(repository_url())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_opens_in_colab_with_the_setup_cell(path):
    cells = nbformat.read(path, as_version=4).cells
    first_markdown = next(cell.source for cell in cells if cell.cell_type == "markdown")
    first_code = next(cell.source for cell in cells if cell.cell_type == "code")
    fix = "run `python -m helpers.core.colab`"
    assert colab_badge(path.name, repository_url()) in first_markdown.splitlines()[:3], fix
    assert first_code == setup_cell(repository_url()), fix


def test_readme_has_the_colab_and_binder_badges():
    readme = (REPO_ROOT / "README.md").read_text()
    assert binder_badge(repository_url()) in readme
    assert colab_badge(NOTEBOOKS[0].name, repository_url()) in readme
