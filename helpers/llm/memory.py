"""Memory on a laptop: hand freed memory back to the system, so one model after another fits in about 2 GB.

    free_memory()                          # after dropping a model: collect it and return its pages
    with trimming_between_layers(model):   # while training on a CPU: return pages inside each step

Importing this module fixes glibc's large-block threshold once (`fix_mmap_threshold`); on macOS, Windows and musl
there is nothing to do and nothing is done. What each measure saves is in benchmarks/memory.md.
"""

import ctypes
import functools
import gc
import sys
from contextlib import contextmanager

import torch


def free_memory() -> None:
    """Hand the memory of models no longer referenced back to the system, so the next model fits.

    Python frees a model only once nothing points to it (a garbage collection finds
    cycles); even then the C allocator keeps the pages for reuse unless asked to return
    them (`malloc_trim`, Linux). On a GPU, PyTorch's cache is emptied instead.
    """
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    trim_memory()


def trim_memory() -> None:
    """Return the pages the C allocator keeps for reuse to the system (Linux with glibc; elsewhere nothing to do).

    Tensors of ever-changing shapes (one batch of prompts after another) leave free
    pages scattered over the allocator's arenas; without this, the process's
    resident memory creeps up long after the tensors are gone.
    """
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


@contextmanager
def trimming_between_layers(model, every: int = 5):
    """While training on a CPU: hand freed pages back after every `every`-th layer, forward and backward.

    A training step frees most of what it allocates, layer by layer, but the pages stay with the C
    allocator, scattered between the tensors that live on (each layer's input, kept for the backward
    pass), until `trim_memory` runs after the step. Trimming inside the step, after such a layer's
    forward pass and again once its output's gradient is computed, keeps the process near what it
    really uses (measured: benchmarks/memory.md). The layers are the
    model's longest `ModuleList` (its blocks); the hooks also run when checkpointing recomputes a layer.
    """

    def trim_now_and_after_the_gradient(module, inputs, output):
        trim_memory()
        hidden = output[0] if isinstance(output, tuple) else output
        if isinstance(hidden, torch.Tensor) and hidden.requires_grad:
            hidden.register_hook(lambda grad: trim_memory())

    layers = max((m for m in model.modules() if isinstance(m, torch.nn.ModuleList)), key=len, default=[])
    on_cpu = next(model.parameters()).device.type == "cpu"
    hooks = (
        [layer.register_forward_hook(trim_now_and_after_the_gradient) for layer in list(layers)[every - 1 :: every]]
        if on_cpu and _glibc() is not None
        else []
    )
    try:
        yield
    finally:
        for hook in hooks:
            hook.remove()


@functools.cache  # looked up once: training trims several times a step
def _glibc():
    """The C library on Linux with glibc, else None (macOS, Windows, Alpine's musl: their allocators differ)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
    except OSError:
        return None


M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES = -3, 8 * 2**20


def fix_mmap_threshold() -> None:
    """Let glibc give every block over 8 MB its own pages (returned as soon as it is freed), for good.

    By default glibc raises this threshold each time such a block is freed, up to 32 MB, after which
    blocks of 8 to 32 MB come from its arenas and fragment them: one experiment after another, a kernel's
    peak memory grows (measured, and why 8 MB: benchmarks/memory.md).
    """
    libc = _glibc()
    if libc is not None:
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


fix_mmap_threshold()
