"""The command-line fine-tune: config checks, a run in this process, and a run under `accelerate launch`."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.config import REPO_ROOT
from helpers.errors import CourseError
from helpers.finetune import DEFAULTS, main, read_config

TINY = {"model": "tiny", "steps": 2, "batch_size": 2, "train_examples": 10, "eval_examples": 5,
        "lora": {"rank": 4, "alpha": 8, "target_modules": ["q_proj", "v_proj"]}}


def write(path: Path, config) -> Path:
    path.write_text(json.dumps(config) if not isinstance(config, str) else config)
    return path


def test_the_sample_config_is_valid():
    config = read_config(REPO_ROOT / "configs" / "reviews_lora.json")
    assert config["method"] == "lora" and set(config) == set(DEFAULTS)
    assert config["output_dir"].endswith("reviews_lora")  # in the course cache, not in the repository


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "one JSON object"),
    ({"stpes": 3}, "unknown setting.*stpes"),
    ({"method": "qlora"}, "method must be"),
    ({"task": "poems"}, "task must be"),
    ({"optimizer": "lion"}, "optimizer must be"),
])
def test_bad_configs_are_refused_with_a_reason(tmp_path, content, message):
    with pytest.raises(CourseError, match=message):
        read_config(write(tmp_path / "bad.json", content))


def test_missing_config_exits_with_a_message(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "nowhere.json")]) == 2
    assert "error: Config file" in capsys.readouterr().err


def test_lora_run_saves_adapter_and_metrics(tmp_path, capsys):
    config = write(tmp_path / "tiny.json", {**TINY, "output_dir": str(tmp_path / "out")})
    assert main(["--config", str(config)]) == 0
    assert "2 steps on 1 process(es)" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["steps"] == 2 and len(metrics["losses"]) == 2 and metrics["train_examples"] == 10
    assert metrics["test_examples"] == 5 and 0 <= metrics["test_accuracy"] <= 1
    assert (tmp_path / "out" / "adapter_model.safetensors").exists()


def test_full_run_saves_the_whole_model(tmp_path):
    config = write(tmp_path / "full.json", {**TINY, "method": "full", "optimizer": "sgd", "eval_examples": 0,
                                            "output_dir": str(tmp_path / "out")})
    assert main(["--config", str(config)]) == 0
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert "test_accuracy" not in metrics and metrics["optimizer_state_bytes"] == 0
    assert (tmp_path / "out" / "model.safetensors").exists()


def test_runs_unchanged_under_accelerate_launch(tmp_path):
    config = write(tmp_path / "tiny.json", {**TINY, "output_dir": str(tmp_path / "out")})
    command = [str(Path(sys.executable).parent / "accelerate"), "launch", "--cpu", "--num_processes", "1",
               "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
               "-m", "helpers.finetune", "--config", str(config)]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2 steps on 1 process(es)" in done.stdout
    assert json.loads((tmp_path / "out" / "metrics.json").read_text())["processes"] == 1
