"""Machinery for the "fine-tuning vs prompt engineering" notebooks, in stages as the course uses them.

    core/         errors, config, files, environment, statistics, costs, plots, exercises, syllabus, colab
    llm/          models, memory, kvcache, generation, tokens, perplexity, tinygpt, pretraining
    prompting/    fetch, data, tasks, prompts, evaluation, consistency, playground, sizes
    finetuning/   training, tuning, finetune (command line), finetune_widget
    experiments/  cache, baselines, comparison, crossover, versatility, variations, style, effort, verdicts,
                  findings, advice, decide (command line), reference

A stage imports only the stages above it in this list (tests/test_layout.py checks it); notebooks import from
here, nothing here imports a notebook.
"""
