"""Read what a batch of prompts shares once, not once per prompt, through the key-value cache.

A model keeps the keys and values of every token it has read in a cache, so that it never computes them
again. Few-shot prompts repeat the same instruction and solved examples before each question: often 80% of
their tokens. `read_shared_prefix` reads each shared beginning once (a batch can mix patterns, each with its own)
and copies its cache to the rows of the prompts that share it; each prompt's own end is read from there. On a CPU,
eight 3-shot house-style requests (769 tokens each) were read in 8 s instead of 28-32 s; notebook 02's review
patterns on 5 reviews (45 prompts, batches mixing patterns) in 27 s, and its ticket patterns on 2 tickets in 24 s,
instead of 40 s and 32 s with one shared beginning per batch; all with the same answers.
"""

import os
from dataclasses import dataclass

import torch
from transformers.modeling_outputs import CausalLMOutputWithPast

# The keyword a model's forward and `generate` take the cache by, and the outputs' field: `past_key_values` until
# transformers 5.2x renamed it.
CACHE_KEYWORD = "cache" if "cache" in CausalLMOutputWithPast.__dataclass_fields__ else "past_key_values"


@dataclass
class PromptBatch:
    """Prompts laid out for one forward pass: the first `shared` positions hold the beginnings that groups of prompts
    share, already read into a cache (`cache`: keyword arguments for the model, empty when nothing is shared);
    each prompt's own end follows, right-aligned."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    position_ids: torch.Tensor
    shared: int
    cache: dict


def prefix_groups(prompt_ids: list[list[int]]) -> list[tuple[list[int], int]]:
    """The prompts in groups that share a beginning: [(rows, shared tokens)], the way that reads the fewest tokens.

    Sorted, prompts with a common beginning sit next to each other; the sorted list is cut into the runs that
    cost least to read (each run: its shared part once, then every prompt's own end). A batch is padded, though:
    every group's shared part to the longest one, every own end to the longest one. So these groups are kept only
    if, padded, they read fewer tokens than one group of all prompts. Every prompt keeps at least its last token of
    its own; a prompt alone shares nothing.
    """
    if len(prompt_ids) == 1:
        return [([0], 0)]
    order = sorted(range(len(prompt_ids)), key=lambda row: prompt_ids[row])
    ids = [prompt_ids[row] for row in order]
    neighbours = [len(os.path.commonprefix([a, b])) for a, b in zip(ids, ids[1:])]

    def shared(start, stop):  # tokens ids[start:stop] all start with, leaving each one of its own
        return (
            0 if stop - start == 1 else min(min(neighbours[start : stop - 1]), min(len(i) for i in ids[start:stop]) - 1)
        )

    def cost(start, stop):
        return sum(len(i) for i in ids[start:stop]) - (stop - start - 1) * shared(start, stop)

    best = [(0, 0)]  # best[stop]: (tokens read by the best cut of ids[:stop], where its last run starts)
    for stop in range(1, len(ids) + 1):
        best.append(min((best[start][0] + cost(start, stop), start) for start in range(stop)))
    runs, stop = [], len(ids)
    while stop:
        start = best[stop][1]
        common = shared(start, stop)
        runs += [(sorted(order[start:stop]), common)] if common else [([row], 0) for row in order[start:stop]]
        stop = start
    together = (
        [(list(range(len(ids))), shared(0, len(ids)))]
        if shared(0, len(ids))
        else [([row], 0) for row in range(len(ids))]
    )
    return min(sorted(runs), together, key=lambda groups: padded_tokens(prompt_ids, groups))


def padded_tokens(prompt_ids: list[list[int]], groups: list[tuple[list[int], int]]) -> int:
    """Tokens a batch laid out by `read_shared_prefix` reads, padding included: one row per group as long as the
    longest shared part, then one row per prompt as long as the longest own end."""
    prefix = max(shared for _, shared in groups)
    own = max(len(prompt_ids[row]) - shared for rows, shared in groups for row in rows)
    return (len(groups) * prefix if prefix else 0) + len(prompt_ids) * own


def read_shared_prefix(model, prompt_ids: list[list[int]], pad_token_id: int) -> PromptBatch:
    """Read the beginning that each group of prompts shares (`prefix_groups`) once, all groups in one forward pass,
    and copy each group's cache to its prompts' rows (call inside `models.answering`). Each prompt's own tokens
    follow, right-aligned; the padding before and between is masked out. Every token keeps its position in its own
    prompt, so each prompt is read as if it were alone.
    """
    groups = prefix_groups(prompt_ids)
    group_of, shared_of = [0] * len(prompt_ids), [0] * len(prompt_ids)
    for g, (rows, shared) in enumerate(groups):
        for row in rows:
            group_of[row], shared_of[row] = g, shared
    prefix = max(shared for _, shared in groups)
    width = prefix + max(len(ids) - shared for ids, shared in zip(prompt_ids, shared_of))
    input_ids = torch.full((len(prompt_ids), width), pad_token_id)
    attention = torch.zeros((len(prompt_ids), width), dtype=torch.long)
    for i, (ids, shared) in enumerate(zip(prompt_ids, shared_of)):  # [padding][shared][padding][the prompt's own end]
        input_ids[i, prefix - shared : prefix] = torch.tensor(ids[:shared], dtype=torch.long)
        input_ids[i, width - len(ids) + shared :] = torch.tensor(ids[shared:])
        attention[i, prefix - shared : prefix] = attention[i, width - len(ids) + shared :] = 1
    positions = (attention.cumsum(dim=1) - 1).clamp(min=0)
    input_ids, attention, positions = (t.to(model.device) for t in (input_ids, attention, positions))
    cache = {}
    if prefix:
        heads = [rows[0] for rows, _ in groups]  # one row per group
        cache = model(
            input_ids=input_ids[heads, :prefix],
            attention_mask=attention[heads, :prefix],
            position_ids=positions[heads, :prefix],
            use_cache=True,
            logits_to_keep=1,
        )[CACHE_KEYWORD]
        cache.batch_select_indices(torch.tensor(group_of, device=model.device))
        cache = {CACHE_KEYWORD: cache}
    return PromptBatch(input_ids, attention, positions, prefix, cache)
