"""The command-line fine-tune: config checks, a run in this process, and a run under `accelerate launch`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.core.config import REPO_ROOT
from helpers.core.errors import CourseError
from helpers.finetuning.finetune import DEFAULTS, main, read_config

TINY = {
    "model": "tiny",
    "steps": 2,
    "batch_size": 2,
    "train_examples": 10,
    "eval_examples": 5,
    "lora": {"rank": 4, "alpha": 8, "target_modules": ["q_proj", "v_proj"]},
}


def write(path: Path, config) -> Path:
    path.write_text(json.dumps(config) if not isinstance(config, str) else config)
    return path


def test_the_sample_config_is_valid():
    config = read_config(REPO_ROOT / "configs" / "reviews_lora.json")
    assert config["method"] == "lora" and set(config) == set(DEFAULTS)
    assert config["output_dir"].endswith("reviews_lora")  # in the course cache, not in the repository


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "one JSON object"),
        ({"stpes": 3}, "unknown setting.*stpes"),
        ({"method": "qlora"}, "method must be"),
        ({"task": "poems"}, "task must be"),
        ({"optimizer": "lion"}, "optimizer must be"),
        ({"steps": 0}, "steps must be null .* or a whole number of at least 1"),
        ({"steps": 2.5}, "steps must be"),
        ({"epochs": 0}, "epochs must be a whole number of at least 1"),
        ({"epochs": -3}, "epochs must be"),
        ({"learning_rate": "1e-3"}, r'learning_rate must be a number .*\(got "1e-3"\)'),
        ({"learning_rate": 0}, "learning_rate must be"),
        ({"learning_rate": 2}, "learning_rate must be"),
        ({"learning_rate": True}, "learning_rate must be"),
        ('{"learning_rate": Infinity}', "learning_rate must be"),
        ('{"learning_rate": NaN}', "learning_rate must be"),
        ({"batch_size": 0}, "batch_size must be a whole number of at least 1"),
        ({"batch_size": "8"}, "batch_size must be"),
        ({"train_examples": 0}, "train_examples must be"),
        ({"eval_examples": -1}, "eval_examples must be"),
        ({"seed": -1}, "seed must be"),
        ({"checkpointing": "yes"}, "checkpointing must be true or false"),
        ({"model": ""}, "model must be"),
        ({"output_dir": 3}, "output_dir must be"),
        ({"lora": 8}, "lora must be an object"),
        ({"lora": {"rnak": 2}}, "unknown setting.*lora.rnak"),
        ({"lora": {"rank": 0}}, "lora.rank must be a whole number of at least 1"),
        ({"lora": {"rank": 4.0}}, "lora.rank must be"),
        ({"lora": {"alpha": -1}}, "lora.alpha must be"),
        ({"lora": {"dropout": 2}}, "lora.dropout must be"),
        ({"lora": {"target_modules": []}}, "lora.target_modules must be a non-empty list"),
        ({"lora": {"target_modules": ["q_prj"]}}, "lora.target_modules must be"),
    ],
)
def test_bad_configs_are_refused_with_a_reason(tmp_path, content, message):
    with pytest.raises(CourseError, match=message):
        read_config(write(tmp_path / "bad.json", content))


def test_a_bad_value_stops_before_any_model_loads(tmp_path, capsys, monkeypatch):
    import helpers.finetuning.finetune as finetune

    monkeypatch.setattr(finetune, "build_model", lambda *args: pytest.fail("loaded a model for a bad config"))
    assert main(["--config", str(write(tmp_path / "bad.json", {"steps": 0}))]) == 2
    assert "steps must be" in capsys.readouterr().err


def test_a_diverging_loss_stops_with_advice(tmp_path, capsys, monkeypatch):
    import helpers.finetuning.finetune as finetune

    real_train = finetune.train

    def exploding(*args, on_step=None, **kwargs):  # as a far too high learning rate does
        return real_train(*args, on_step=lambda step, loss: on_step(step, float("nan")), **kwargs)

    monkeypatch.setattr(finetune, "train", exploding)
    config = write(tmp_path / "tiny.json", {**TINY, "output_dir": str(tmp_path / "out")})
    assert main(["--config", str(config)]) == 2
    assert "loss became nan at step 1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_an_interrupted_run_is_saved_as_interrupted_and_not_evaluated(tmp_path, capsys, monkeypatch):
    import helpers.finetuning.finetune as finetune

    real_train = finetune.train

    def stopped_after_one_step(*args, on_step=None, **kwargs):  # Ctrl-C during step 2
        def stop(step, loss):
            on_step(step, loss)
            raise KeyboardInterrupt

        return real_train(*args, on_step=stop, **kwargs)

    monkeypatch.setattr(finetune, "train", stopped_after_one_step)
    config = write(tmp_path / "tiny.json", {**TINY, "output_dir": str(tmp_path / "out")})
    assert main(["--config", str(config)]) == 0
    assert "stopped early" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["interrupted"] and not metrics["evaluated"] and len(metrics["losses"]) == 1
    assert (tmp_path / "out" / "adapter_model.safetensors").exists()


def test_saving_replaces_the_output_folder_whole(tmp_path):
    from helpers.core.files import MARK

    out = tmp_path / "out"
    out.mkdir()
    (out / "model.safetensors").write_text("an older full fine-tune")
    (out / MARK).write_text("{}")  # written by the course
    config = write(tmp_path / "tiny.json", {**TINY, "eval_examples": 0, "output_dir": str(out)})
    assert main(["--config", str(config)]) == 0
    assert (out / "adapter_model.safetensors").exists() and (out / "metrics.json").exists()
    assert not (out / "model.safetensors").exists()  # no mix of the old model and the new adapter
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("out")] == ["out"]


def test_missing_config_exits_with_a_message(tmp_path, capsys):
    assert main(["--config", str(tmp_path / "nowhere.json")]) == 2
    assert "error: Config file" in capsys.readouterr().err


@pytest.mark.parametrize("task", ["reviews", "replies"])  # replies: the house style, scored by its rules
def test_lora_run_saves_adapter_and_metrics(tmp_path, capsys, task):
    config = write(tmp_path / "tiny.json", {**TINY, "task": task, "output_dir": str(tmp_path / "out")})
    assert main(["--config", str(config)]) == 0
    assert "2 steps on 1 process(es)" in capsys.readouterr().out
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert metrics["steps"] == 2 and len(metrics["losses"]) == 2 and metrics["train_examples"] == 10
    assert metrics["test_examples"] == 5 and 0 <= metrics["test_accuracy"] <= 1
    assert (tmp_path / "out" / "adapter_model.safetensors").exists()


def test_full_run_saves_the_whole_model(tmp_path):
    config = write(
        tmp_path / "full.json",
        {**TINY, "method": "full", "optimizer": "sgd", "eval_examples": 0, "output_dir": str(tmp_path / "out")},
    )
    assert main(["--config", str(config)]) == 0
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert "test_accuracy" not in metrics and metrics["optimizer_state_bytes"] == 0
    assert (tmp_path / "out" / "model.safetensors").exists()


@pytest.mark.slow
def test_two_processes_under_accelerate_launch_learn_as_one_with_the_doubled_batch(tmp_path):
    # Scale-out, verified on the CPU: two gloo processes with batches of 2 take the same steps as one process
    # with batches of 4 (the same examples in the same order; gradients averaged), so the losses agree.
    trained = {**TINY, "steps": 6, "train_examples": 24, "eval_examples": 0, "learning_rate": 0.05}
    one = write(tmp_path / "one.json", {**trained, "batch_size": 4, "output_dir": str(tmp_path / "one")})
    two = write(tmp_path / "two.json", {**trained, "batch_size": 2, "output_dir": str(tmp_path / "two")})
    assert main(["--config", str(one)]) == 0
    command = [
        str(Path(sys.executable).parent / "accelerate"),
        "launch",
        "--multi_gpu",
        "--num_processes",
        "2",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "-m",
        "helpers.finetuning.finetune",
        "--config",
        str(two),
    ]
    done = subprocess.run(
        command,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **os.environ,
            "ACCELERATE_USE_CPU": "true",
            "OMP_NUM_THREADS": "1",
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
        },
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "6 steps on 2 process(es)" in done.stdout
    alone, together = (json.loads((tmp_path / name / "metrics.json").read_text()) for name in ("one", "two"))
    assert together["processes"] == 2 and together["steps"] == alone["steps"] == 6
    assert alone["losses"][0] - min(alone["losses"]) > 0.2  # training moved the loss: the comparison means something
    assert together["losses"] == pytest.approx(alone["losses"], abs=0.02)


def test_a_stopped_run_never_replaces_a_finished_one(tmp_path, capsys, monkeypatch):
    import helpers.finetuning.finetune as finetune
    from helpers.finetuning.training import load_adapter
    from helpers.llm.models import tiny_random_model

    config = write(tmp_path / "tiny.json", {**TINY, "eval_examples": 0, "output_dir": str(tmp_path / "out")})
    assert main(["--config", str(config)]) == 0
    finished = (tmp_path / "out" / "adapter_model.safetensors").read_bytes()
    real_train = finetune.train

    def stopped_after_one_step(*args, on_step=None, **kwargs):
        def stop(step, loss):
            raise KeyboardInterrupt

        return real_train(*args, on_step=stop, **kwargs)

    monkeypatch.setattr(finetune, "train", stopped_after_one_step)
    capsys.readouterr()
    assert main(["--config", str(config)]) == 0
    assert f"the finished run in {tmp_path / 'out'} is kept" in capsys.readouterr().out
    assert (tmp_path / "out" / "adapter_model.safetensors").read_bytes() == finished
    assert not json.loads((tmp_path / "out" / "metrics.json").read_text())["interrupted"]
    assert json.loads((tmp_path / "out-stopped" / "metrics.json").read_text())["interrupted"]
    load_adapter(tiny_random_model(finetune.load_tokenizer()), tmp_path / "out-stopped")
    assert "comes from a fine-tune stopped after 1 steps" in capsys.readouterr().out


def test_an_output_dir_of_yours_is_refused_before_training_and_home_is_expanded(tmp_path, capsys, monkeypatch):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    config = write(tmp_path / "tiny.json", {**TINY, "output_dir": str(tmp_path / "mine")})
    monkeypatch.setattr("helpers.finetuning.finetune.build_model", lambda *a: pytest.fail("a model was loaded"))
    assert main(["--config", str(config)]) == 2
    assert "already holds files the course did not write" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
    monkeypatch.setenv("HOME", str(tmp_path))
    assert read_config(write(tmp_path / "home.json", {"output_dir": "~/runs/lora"}))["output_dir"] == str(
        tmp_path / "runs" / "lora"
    )
