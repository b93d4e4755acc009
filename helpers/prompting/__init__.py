"""Stage 2, prompt engineering (notebooks 02 and 03): the data and the Task type, prompt patterns, evaluation,
consistency and the playground. Imports `core` and `llm`."""
