"""Stage 0, the ground every lesson stands on: errors, configuration and switches, safe file writing, the
environment report, statistics (intervals, paired tests), costs, plots, exercise checks, the syllabus and the Colab
setup cell. Imports nothing else of the course."""
