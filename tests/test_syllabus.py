import json

from helpers.core.syllabus import course_map, notebook_summary


def write_notebook(path, markdown):
    path.write_text(
        json.dumps(
            {
                "cells": [{"cell_type": "markdown", "source": markdown}],
                "metadata": {},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        )
    )


def test_summary_reads_title_and_first_paragraph(tmp_path):
    notebook = tmp_path / "01_x.ipynb"
    write_notebook(notebook, "# 01 · Tokens\n[![Open In Colab](badge)](link)\n\nYou will count tokens.\n\nMore.")
    assert notebook_summary(notebook) == ("01 · Tokens", "You will count tokens.")


def test_summary_joins_a_paragraph_written_over_several_lines(tmp_path):
    notebook = tmp_path / "02_x.ipynb"
    write_notebook(notebook, "# 02 · Fine-tuning\n\nHere the prompt stays and\nthe model changes.\n\nMore.")
    assert notebook_summary(notebook)[1] == "Here the prompt stays and the model changes."


def test_course_map_lists_numbered_notebooks_in_order(tmp_path):
    write_notebook(tmp_path / "01_b.ipynb", "# B\nsecond")
    write_notebook(tmp_path / "00_a.ipynb", "# A\nfirst")
    write_notebook(tmp_path / "scratch.ipynb", "# not part of the course")
    table = course_map(tmp_path)
    assert list(table.index) == ["00_a.ipynb", "01_b.ipynb"] and list(table["what you measure"]) == ["first", "second"]


def test_every_course_notebook_has_a_title_and_a_purpose():
    table = course_map()
    assert "00_setup_and_tour.ipynb" in table.index
    assert (table["title"].str.len() > 3).all() and (table["what you measure"].str.len() > 20).all()
