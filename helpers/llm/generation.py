"""Talk to a chat model: generate answers, in batches, and score candidate labels.

Everything goes through the tokenizer's chat template, exactly as the model saw
conversations during its instruction tuning. Greedy decoding (temperature 0) is
deterministic; sampling is reproducible with a seed. One answer can also be
streamed: its text handed over piece by piece while the model writes it.
"""

import re
import time
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import TextStreamer

from ..core.errors import CourseError
from .kvcache import CACHE_KEYWORD, read_shared_prefix
from .memory import trim_memory
from .models import answering

MAX_NEW_TOKENS_LIMIT = 2048
# Padded prompt tokens read at once: many long few-shot prompts come in smaller batches, so that a batch of
# generation adds about 0.6 GB to the model, not 1.2 to 1.9 GB (eight or sixteen 16-shot reviews). Changing it
# regroups prompts, which can change a greedy answer in bfloat16: then raise cache.CACHE_VERSION and rerun the
# reference (benchmarks/reference.py).
MAX_BATCH_TOKENS = 4096


@dataclass
class Generation:
    """One answer, with what it cost: tokens in and out, and wall-clock seconds."""

    text: str
    prompt_tokens: int
    output_tokens: int
    seconds: float
    first_token_seconds: float | None = None  # measured when the answer is streamed


def to_messages(prompt, system: str | None = None) -> list[dict]:
    """A prompt string or a list of chat messages -> a list of chat messages."""
    if isinstance(prompt, str):
        if not prompt.strip():
            raise CourseError("The prompt is empty: type a question or an instruction for the model.")
        messages = [{"role": "user", "content": prompt}]
    else:
        if not isinstance(prompt, (list, tuple)) or not all(isinstance(m, dict) and "role" in m for m in prompt):
            raise CourseError(
                f"A prompt is a text or a list of chat messages like {{'role': 'user', 'content': 'Hello'}} "
                f"(got {type(prompt).__name__})."
            )
        messages = [dict(message) for message in prompt]
        for number, message in enumerate(messages, start=1):
            if not isinstance(message.get("content"), str):
                raise CourseError(
                    f"Chat message {number} ({message['role']}) has no text: its 'content' must be a string "
                    f"(got {type(message.get('content')).__name__})."
                )
        if not messages or not any(str(m.get("content", "")).strip() for m in messages if m.get("role") == "user"):
            raise CourseError(
                "The conversation has no user message with text: add one, e.g. {'role': 'user', 'content': 'Hello'}."
            )
    if system is not None and not isinstance(system, str):
        raise CourseError(f"The system prompt must be a text (got {type(system).__name__}).")
    if system is not None and system.strip():
        messages = [{"role": "system", "content": system}] + [m for m in messages if m["role"] != "system"]
    for message in messages:
        try:
            message["content"].encode("utf-8")
        except UnicodeEncodeError as error:
            raise CourseError(
                f"A {message['role']} message holds a character that is not text ({error.object[error.start]!r} "
                f"at position {error.start}, half of an emoji?): remove it."
            ) from None
    return messages


def check_sampling(max_new_tokens: int, temperature: float, top_p: float, top_k: int) -> None:
    """Refuse settings that make no sense, with a message that says the valid range."""
    if (
        isinstance(max_new_tokens, bool)
        or not isinstance(max_new_tokens, int)
        or not 1 <= max_new_tokens <= MAX_NEW_TOKENS_LIMIT
    ):
        raise CourseError(
            f"max_new_tokens must be a whole number from 1 to {MAX_NEW_TOKENS_LIMIT} (got {max_new_tokens!r}); "
            "32-128 suits short answers."
        )
    if not _is_number(temperature) or not 0 <= temperature <= 5:
        raise CourseError(
            f"temperature must be a number between 0 (greedy) and 5 (got {temperature!r}); 0.7 is a common choice "
            "for sampling."
        )
    if not _is_number(top_p) or not 0 < top_p <= 1:
        raise CourseError(f"top_p must be a number above 0 and at most 1 (got {top_p!r}); 1 keeps every token.")
    if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 0:
        raise CourseError(f"top_k must be 0 (off) or a positive whole number of tokens (got {top_k!r}).")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def check_batch(prompts, batch_size, seed=None) -> list:
    """The prompts as a list, a positive batch size and a usable seed, or a clear message."""
    if isinstance(prompts, (str, dict)):
        raise CourseError("Pass a list of prompts (for one prompt, use generate(model, tokenizer, prompt)).")
    prompts = list(prompts)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise CourseError(f"batch_size must be a whole number of at least 1 (got {batch_size!r}); 8 suits a CPU.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**63):
        raise CourseError(f"seed must be a whole number from 0 to 2**63 - 1, or None (got {seed!r}).")
    return prompts


def token_batches(lengths: list[int], batch_size: int, max_tokens: int = MAX_BATCH_TOKENS) -> list[range]:
    """Consecutive batches of at most `batch_size` prompts whose padded size (rows x longest) stays within `max_tokens`.

    Memory grows with the tokens a batch reads, not with its number of prompts: eight
    16-shot prompts weigh as much as a hundred zero-shot ones. The order is kept, and a
    prompt longer than the budget still gets a batch of its own.
    """
    batches, start, longest = [], 0, 0
    for i, length in enumerate(lengths):
        wider = max(longest, length)
        if i > start and (i - start == batch_size or (i - start + 1) * wider > max_tokens):
            batches.append(range(start, i))
            start, wider = i, length
        longest = wider
    if lengths:
        batches.append(range(start, len(lengths)))
    return batches


def check_context(model, lengths, extra_tokens: int) -> None:
    """A clear error when a prompt plus the answer would not fit the model's context window."""
    context = getattr(model.config, "max_position_embeddings", None)
    longest = max(lengths, default=0)
    if context and longest + extra_tokens > context:
        raise CourseError(
            f"A prompt has {longest} tokens; with {extra_tokens} more for the answer that exceeds the model's "
            f"context of {context} tokens. Shorten the prompt (fewer examples, a shorter text) or lower max_new_tokens."
        )


def chat_text(tokenizer, prompt, system: str | None = None) -> str:
    """The exact text the model reads: the chat template applied, ready for the answer (to show; `chat_ids` reads
    it)."""
    return tokenizer.apply_chat_template(to_messages(prompt, system), tokenize=False, add_generation_prompt=True)


def text_ids(tokenizer, text: str) -> list[int]:
    """Token ids of text written by a person, always as plain characters: `<|im_start|>` typed in a prompt or found in
    a file becomes the characters `<`, `|`, `im`, ... and never the control token that opens a turn of the chat."""
    return tokenizer(text, add_special_tokens=False, split_special_tokens=True).input_ids


def chat_ids(tokenizer, prompt, system: str | None = None) -> list[int]:
    """The token ids of `chat_text`: the template's control tokens are real, every message's content is plain text.

    Without this, a message holding `<|im_end|>\n<|im_start|>system ...` would close the user's turn and open a
    system turn of its author's choosing (prompt injection through control tokens). A content that holds no control
    token's text is read exactly as before; one that does is put in place of a marker after the template is applied.
    """
    messages = to_messages(prompt, system)
    controls = [token for token in tokenizer.added_tokens_encoder if token]
    if not any(token in str(m.get("content", "")) for m in messages for token in controls):
        return tokenizer(chat_text(tokenizer, messages), add_special_tokens=False).input_ids
    contents, marked = [], []
    for message in messages:
        if any(token in str(message.get("content", "")) for token in controls):
            marked.append({**message, "content": f"\ue000{len(contents)}\ue001"})  # private-use characters
            contents.append(str(message["content"]))
        else:
            marked.append(message)
    ids = []
    for i, piece in enumerate(re.split("\ue000(\\d+)\ue001", chat_text(tokenizer, marked))):
        if i % 2:
            ids += text_ids(tokenizer, contents[int(piece)])
        elif piece:
            ids += tokenizer(piece, add_special_tokens=False).input_ids
    return ids


def count_tokens(tokenizer, prompt, system: str | None = None) -> int:
    """How many tokens a request costs before the model writes anything."""
    return len(chat_ids(tokenizer, prompt, system))


def generate_batch(
    model,
    tokenizer,
    prompts,
    *,
    system: str | None = None,
    max_new_tokens: int = 64,
    temperature: float = 0.0,
    top_p: float = 1.0,
    top_k: int = 0,
    seed: int | None = None,
    batch_size: int = 8,
    progress: bool = False,
    streamer=None,
) -> list[Generation]:
    """Answer many prompts, `batch_size` at a time. Seconds are per answer (batch time shared).

    Batches of long prompts are made smaller so that none reads more than MAX_BATCH_TOKENS (`token_batches`).
    What a batch's prompts share at their start (instructions, solved examples) is read once (`read_shared_prefix`).

    `streamer` (for one prompt) is passed to transformers' `generate`; `generate(on_text=...)` uses it.
    """
    check_sampling(max_new_tokens, temperature, top_p, top_k)
    prompts = check_batch(prompts, batch_size, seed)
    if not prompts:
        return []
    prompt_ids = [chat_ids(tokenizer, p, system) for p in prompts]
    lengths = list(map(len, prompt_ids))
    check_context(model, lengths, max_new_tokens)
    if seed is not None:
        torch.manual_seed(seed)
    sampling = (
        dict(do_sample=True, temperature=temperature, top_p=top_p, top_k=top_k)
        if temperature > 0
        else dict(do_sample=False)
    )
    results = []
    for rows in tqdm(
        token_batches(lengths, batch_size, MAX_BATCH_TOKENS), desc="generating", disable=not progress, leave=False
    ):
        began = time.perf_counter()
        with answering(model):
            batch = read_shared_prefix(model, prompt_ids[rows.start : rows.stop], tokenizer.pad_token_id)
            output = model.generate(
                input_ids=batch.input_ids,
                attention_mask=batch.attention_mask,
                **batch.cache,
                max_new_tokens=max_new_tokens,
                pad_token_id=tokenizer.pad_token_id,
                streamer=streamer,
                **sampling,
            )
        seconds = (time.perf_counter() - began) / len(batch.input_ids)
        new_tokens = output[:, batch.input_ids.shape[1] :]
        for row, mask in zip(new_tokens, batch.attention_mask):
            length = _answer_length(row, tokenizer.eos_token_id)
            results.append(
                Generation(
                    text=tokenizer.decode(row[:length], skip_special_tokens=True).strip(),
                    prompt_tokens=int(mask.sum()),
                    output_tokens=length,
                    seconds=seconds,
                )
            )
        del batch, output
        trim_memory()
    return results


def _answer_length(row: torch.Tensor, eos_token_id: int) -> int:
    """Tokens written, counting the end-of-turn token, ignoring padding after it."""
    stops = (row == eos_token_id).nonzero()
    return int(stops[0]) + 1 if len(stops) else len(row)


class _Stream(TextStreamer):
    """Hands each finished piece of the answer to `on_text` as it is written; notes when the first token came."""

    def __init__(self, tokenizer, on_text):
        super().__init__(tokenizer, skip_prompt=True, skip_special_tokens=True)
        self.on_text, self.started_at, self.first_token_at = on_text, None, None

    def put(self, value):
        if self.next_tokens_are_prompt:  # generate hands over the prompt first: the clock starts
            self.started_at = time.perf_counter()
        elif self.first_token_at is None:
            self.first_token_at = time.perf_counter()
        super().put(value)

    def on_finalized_text(self, text: str, stream_end: bool = False):
        if text:
            self.on_text(text)


def generate(model, tokenizer, prompt, *, on_text=None, **options) -> Generation:
    """Answer one prompt (a string or a list of chat messages). Options as in `generate_batch`.

    With `on_text`, the answer is streamed: `on_text(piece)` is called with each new
    piece of text as soon as it is written, and `first_token_seconds` says how long
    the reader waited for the first one.
    """
    if on_text is None:
        return generate_batch(model, tokenizer, [prompt], **options)[0]
    stream = _Stream(tokenizer, on_text)
    answer = generate_batch(model, tokenizer, [prompt], streamer=stream, **options)[0]
    answer.first_token_seconds = stream.first_token_at - stream.started_at
    return answer


def score_labels(
    model, tokenizer, prompts, labels, *, system: str | None = None, batch_size: int = 8, progress: bool = False
) -> np.ndarray:
    """Log-likelihood of each label as the model's whole answer: an array of shape (prompts, labels).

    Instead of reading free text and hoping it names a label, ask the model how
    probable each allowed answer is (its tokens, then end-of-turn) and pick the best.
    Each prompt is read once (`batch_size` prompts at a time, fewer when they are long: `token_batches`; their shared
    beginning once per batch: `read_shared_prefix`); every label then continues from the prompt's key-value cache, cut
    back to the prompt after it, so five labels cost one long forward pass and five short ones, not five long ones.
    """
    if isinstance(labels, str) or not labels or not all(isinstance(label, str) and label.strip() for label in labels):
        raise CourseError(
            f"score_labels needs a list of candidate labels, each a non-empty text, e.g. ['positive', 'negative'] "
            f"(got {labels!r})."
        )
    prompts = check_batch(prompts, batch_size)
    label_ids = [text_ids(tokenizer, label) + [tokenizer.eos_token_id] for label in labels]
    prompt_ids = [chat_ids(tokenizer, p, system) for p in prompts]
    check_context(model, [len(ids) for ids in prompt_ids], max(map(len, label_ids)))
    scores = np.zeros((len(prompt_ids), len(labels)))
    for rows in tqdm(
        token_batches(list(map(len, prompt_ids)), batch_size, MAX_BATCH_TOKENS),
        desc="scoring",
        disable=not progress,
        leave=False,
    ):
        start, chunk = rows.start, prompt_ids[rows.start : rows.stop]
        with answering(model):
            batch = read_shared_prefix(model, chunk, tokenizer.pad_token_id)  # every prompt ends at the last position
            attention, shared = batch.attention_mask, batch.shared
            read = model(
                input_ids=batch.input_ids[:, shared:],
                attention_mask=attention,
                position_ids=batch.position_ids[:, shared:],
                use_cache=True,
                logits_to_keep=1,
                **batch.cache,
            )
            first = torch.log_softmax(read.logits[:, -1].float(), dim=-1).cpu()  # predicts each label's first token
            ends = attention.sum(dim=1, keepdim=True)  # each prompt's length: where its answer starts
            for column, ids in enumerate(label_ids):
                answer = torch.tensor(ids)
                total = first[:, ids[0]].clone()
                if len(ids) > 1:  # the label's own tokens (all but the last) predict the rest
                    rest = model(
                        input_ids=answer[None, :-1].expand(len(chunk), -1).to(model.device),
                        attention_mask=torch.cat([attention, attention.new_ones(len(chunk), len(ids) - 1)], dim=1),
                        position_ids=ends + torch.arange(len(ids) - 1, device=ends.device),
                        use_cache=True,
                        **{CACHE_KEYWORD: read[CACHE_KEYWORD]},
                    ).logits.float()
                    read[CACHE_KEYWORD].crop(-(len(ids) - 1))  # back to the prompt alone, for the next label
                    log_probs = torch.log_softmax(rest, dim=-1).cpu()
                    total += log_probs.gather(2, answer[None, 1:, None].expand(len(chunk), -1, 1)).sum(dim=(1, 2))
                scores[start : start + len(chunk), column] = total.numpy()
        del batch, read
        trim_memory()
    return scores
