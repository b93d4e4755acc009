"""Machinery for the "fine-tuning vs prompt engineering" notebooks.

Each module holds one concern (models, generation, data, prompts, evaluation,
training, widgets, plots, costs, ...). Notebooks import from here; nothing here
imports a notebook.
"""
