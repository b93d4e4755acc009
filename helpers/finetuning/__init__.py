"""Stage 3, fine-tuning (notebook 04): training (LoRA and full), recipes chosen on validation, the command-line
fine-tune and its panel. Imports the stages before it."""
