"""trainer_model_free and datagen_with_agent as subprocesses: outputs, resume, kill-resume."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from rl.metrics import read_metrics
from problems import input_pipeline
from tests.conftest import REPO, run_module

# Entrypoints as subprocesses: tests/conftest.py explains the tiers.
pytestmark = pytest.mark.slow

TRAIN_ARGS = ["--problem=stacked_pong", "--hparams_set=rlmf_tiny"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("mf"))
    result = run_module("rl.trainer_model_free", *TRAIN_ARGS, f"--output_dir={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def test_trainer_writes_checkpoint_policy_and_metrics(trained):
    out, result = trained
    assert "iteration 4/4" in result.stdout
    assert tf.train.latest_checkpoint(os.path.join(out, "checkpoints")).endswith("ckpt-4")
    with open(os.path.join(out, "hparams.json")) as f:
        record = json.load(f)
    assert record["problem"] == "stacked_pong" and record["hparams"]["num_agents"] == 2
    recorded = open(os.path.join(out, "flags.txt")).read()
    assert "--hparams_set=rlmf_tiny" in recorded
    assert "--seed=" in recorded and "--test_tmpdir" not in recorded  # ours, not absl's
    names = {r["name"] for r in read_metrics(out)}
    for name in ("train/policy_loss", "train/value_loss", "train/approx_kl",
                 "train/clip_fraction", "train/entropy", "time/env_steps_per_s"):
        assert name in names
    steps = sorted({r["step"] for r in read_metrics(out)})
    assert steps == [32, 64, 96, 128]
    assert any(f.startswith("events.out.tfevents") for f in
               os.listdir(os.path.join(out, "tensorboard")))


def test_saved_policy_signature_and_observation_format(trained):
    out, _ = trained
    model = tf.saved_model.load(os.path.join(out, "policy"))
    serve = model.signatures["serving_default"]
    obs = np.zeros((3, 4, 105, 80, 3), np.uint8)
    result = serve(observations=tf.constant(obs))
    assert result["logits"].shape == (3, 6) and result["value"].shape == (3,)
    fmt = json.loads(model.observation_format.numpy().decode())
    assert fmt["game"] == "pong" and fmt["height"] == 105 and fmt["frame_stack_size"] == 4
    assert fmt["grayscale"] is False and fmt["frame_skip"] == 4
    with open(os.path.join(out, "policy", "observation_format.json")) as f:
        assert json.load(f) == fmt


def test_rerun_resumes_instead_of_restarting(trained):
    out, _ = trained
    lines_before = len(read_metrics(out))
    result = run_module("rl.trainer_model_free", *TRAIN_ARGS, f"--output_dir={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resuming" in result.stderr and "at iteration 4" in result.stderr
    assert len(read_metrics(out)) == lines_before  # nothing redone


def test_rerun_with_other_hparams_is_refused(trained):
    out, _ = trained
    result = run_module("rl.trainer_model_free", *TRAIN_ARGS, "--hparams=learning_rate=0.1",
                        f"--output_dir={out}")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "different settings" in result.stderr and "learning_rate" in result.stderr


def test_killed_run_resumes_without_duplicates(tmp_path):
    out = str(tmp_path / "run")
    args = [sys.executable, "-m", "rl.trainer_model_free", *TRAIN_ARGS,
            "--hparams=epochs_num=30,save_every=3", f"--output_dir={out}"]
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    index = os.path.join(out, "checkpoints", "checkpoint")
    while time.time() < deadline and not os.path.exists(index):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert os.path.exists(index), "no checkpoint within 2 minutes"
    result = run_module("rl.trainer_model_free", *TRAIN_ARGS,
                        "--hparams=epochs_num=30,save_every=3", f"--output_dir={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resuming" in result.stderr
    records = read_metrics(out)
    pairs = [(r["step"], r["name"]) for r in records]
    assert len(pairs) == len(set(pairs)), "a metric was written twice for one step"
    steps = sorted({r["step"] for r in records if r["name"] == "train/policy_loss"})
    assert steps == [32 * i for i in range(1, 31)]


def test_datagen_with_agent_policy_and_eval(trained, tmp_path):
    out, _ = trained
    policy = os.path.join(out, "policy")
    data = str(tmp_path / "data")
    result = run_module("rl.datagen_with_agent", f"--data_dir={data}", "--game=pong",
                        "--num_env_steps=400", f"--agent_policy_path={policy}")
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["dataset"] == "gym_pong_policy" and summary["frames"] == 408
    arrays = input_pipeline.load_split(data, "gym_pong_policy", "train")
    assert arrays["frame"].shape[1:] == (105, 80, 3)

    # The original's users pass a run's checkpoint path: its newest exported policy.
    result = run_module("rl.datagen_with_agent", "--game=pong", "--eval", "--eval_episodes=2",
                        f"--agent_policy_path={os.path.join(out, 'checkpoints')}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"using the run's newest exported policy, {policy}" in result.stdout
    evaluation = json.loads(result.stdout.strip().splitlines()[-1])
    assert evaluation["episodes"] == 2 and len(evaluation["raw_returns"]) == 2
    assert -21 <= evaluation["mean_raw_return"] <= 21
    assert evaluation["mean_clipped_return"] == evaluation["mean_raw_return"]  # Pong: +-1
    # Read beside its baselines, the constant actions measured with the same settings.
    assert evaluation["baselines"]["random"] == -20.7
    assert [k for k in evaluation["baselines"] if k.startswith("best constant action")]
    assert "model-free PPO at 100K -20.3" in result.stdout
    assert len(evaluation["action_shares"]) == 6 and evaluation["action_entropy"] >= 0


@pytest.mark.parametrize("args, message", [
    (["--game=freeway"], "plays pong, not freeway"),
    (["--agent_policy_path=/nonexistent"], "is not a policy SavedModel"),
])
def test_datagen_with_a_wrong_policy_is_one_line(trained, args, message):
    out, _ = trained
    base = {"--game": "--game=pong",
            "--agent_policy_path": f"--agent_policy_path={os.path.join(out, 'policy')}"}
    for arg in args:
        base[arg.split("=")[0]] = arg
    result = run_module("rl.datagen_with_agent", "--eval", *base.values())
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert message in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--problem=stacked_pong", "--hparams_set=ppo_discrete_action_base"],
     "image observations"),
    (["--problem=stacked_pongg", "--hparams_set=rlmf_tiny"], "unknown Atari game 'pongg'"),
    (["--problem=CartPole-v1", "--hparams_set=rlmf_tiny"], "vector observations"),
    (["--problem=stacked_pong", "--hparams_set=rlmf_tiny", "--hparams=num_agent=3"],
     "unknown hparam 'num_agent'"),
])
def test_trainer_bad_input_is_one_line(tmp_path, args, message):
    result = run_module("rl.trainer_model_free", *args, f"--output_dir={tmp_path / 'o'}")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert message in result.stderr
