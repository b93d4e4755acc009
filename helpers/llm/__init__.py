"""Stage 1, the model itself (notebook 01): loading a model and handing its memory back, tokens, generation and
its KV cache, perplexity, a tiny GPT and its pre-training. Imports only `core`."""
