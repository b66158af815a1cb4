"""trainer_world_model as a subprocess on datagen_with_agent output: outputs, resume,
debug video, the README's set, bad input, and two workers on loopback."""

import json
import os
import shutil
import socket
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from rl import video
from rl.metrics import read_metrics
from tests.conftest import REPO, run_module

# Entrypoints as subprocesses: tests/conftest.py explains the tiers.
pytestmark = pytest.mark.slow

TINY = ["--problem=gym_pong_random", "--hparams_set=next_frame_tiny", "--eval_every=10",
        "--save_every=10", "--eval_steps=2", "--video_frames=6"]


@pytest.fixture(scope="module")
def trained(datagen_cli_output, tmp_path_factory):
    data_dir = datagen_cli_output[0]
    out = str(tmp_path_factory.mktemp("wm"))
    result = run_module("rl.trainer_world_model", f"--data_dir={data_dir}",
                        f"--output_dir={out}", *TINY, "--train_steps=20")
    assert result.returncode == 0, result.stderr[-3000:]
    return data_dir, out, result


def test_trainer_writes_checkpoint_metrics_and_video(trained):
    _, out, result = trained
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["step"] == 20
    assert 0.0 <= summary["reward_accuracy_at_1"] <= 1.0
    assert 0.0 <= summary["reward_accuracy_at_12"] <= 1.0
    assert "world model step 20/20" in result.stdout
    assert tf.train.latest_checkpoint(os.path.join(out, "checkpoints")).endswith("ckpt-20")
    names = {r["name"] for r in read_metrics(out)}
    for name in ("world_model/train/loss", "world_model/dev/pixel_accuracy",
                 "world_model/dev/psnr", "world_model/dev/reward_accuracy",
                 "world_model/dev/baseline_copy_last/pixel_accuracy",
                 "world_model/dev/baseline_copy_last/psnr",
                 "world_model/reward_accuracy_at_12"):
        assert name in names, name
    frames = video.read_video(summary["video"])
    # Two rollouts of 6 frames; each frame is predicted | real | difference, scaled 2x.
    assert frames.shape == (12, 210, 480, 3)
    real_half = frames[:, :, 160:320]
    assert real_half.std() > 5  # the real Pong frames, not a blank video


def test_rerun_resumes_and_trains_on(trained):
    data_dir, out, _ = trained
    result = run_module("rl.trainer_world_model", f"--data_dir={data_dir}",
                        f"--output_dir={out}", *TINY, "--train_steps=30")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "resuming" in result.stderr and "at step 20" in result.stderr
    assert tf.train.latest_checkpoint(os.path.join(out, "checkpoints")).endswith("ckpt-30")
    records = read_metrics(out)
    pairs = [(r["step"], r["name"]) for r in records]
    assert len(pairs) == len(set(pairs))
    assert sorted({r["step"] for r in records if r["name"] == "world_model/train/loss"}) == \
        [10, 20, 30]


def test_resuming_on_other_data_or_another_seed_is_refused(trained, tmp_path):
    data_dir, out, _ = trained
    other = str(tmp_path / "copy_of_the_data")
    shutil.copytree(data_dir, other, ignore=shutil.ignore_patterns(".lock"))
    for flag, named in ((f"--data_dir={other}", "data_dir"), ("--seed=1", "seed")):
        args = [f"--data_dir={data_dir}", flag] if flag.startswith("--seed") else [flag]
        result = run_module("rl.trainer_world_model", *args, f"--output_dir={out}", *TINY,
                            "--train_steps=40")
        assert result.returncode != 0 and "Traceback" not in result.stderr
        assert "different settings" in result.stderr and named in result.stderr, \
            result.stderr[-2000:]


def test_latent_model_trains_from_the_command_line(datagen_cli_output, tmp_path):
    out = str(tmp_path / "latent")
    result = run_module("rl.trainer_world_model", f"--data_dir={datagen_cli_output[0]}",
                        f"--output_dir={out}", "--problem=gym_pong_random",
                        "--model=latent_dynamics", "--hparams_set=latent_dynamics_tiny",
                        "--train_steps=10", "--eval_every=5", "--save_every=5",
                        "--eval_steps=2", "--video_frames=6", "--eval_rollouts=8")
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["step"] == 10
    assert 0.0 <= summary["reward_accuracy_at_12"] <= 1.0
    assert "copy last" in result.stdout
    assert tf.train.latest_checkpoint(os.path.join(out, "checkpoints")).endswith("ckpt-10")
    names = {r["name"] for r in read_metrics(out)}
    for name in ("world_model/train/reconstruction_loss", "world_model/train/reward_loss",
                 "world_model/dev/frame_error", "world_model/dev/baseline_copy_last/frame_error",
                 "world_model/dev/reward_accuracy", "world_model/reward_accuracy_at_12"):
        assert name in names, name
    assert sorted({r["step"] for r in read_metrics(out)
                   if r["name"] == "world_model/train/loss"}) == [5, 10]
    frames = video.read_video(summary["video"])
    assert frames.shape == (12, 210, 480, 3)  # decoded imagination | real | difference
    assert frames[:, :, 160:320].std() > 5


def test_readme_set_runs_as_written(datagen_cli_output, tmp_path):
    """The README's command, with only --train_steps (and fewer evaluation rollouts) added
    so the full-size model takes seconds here."""
    result = run_module("rl.trainer_world_model", f"--data_dir={datagen_cli_output[0]}",
                        f"--output_dir={tmp_path}", "--problem=gym_pong_random",
                        "--model=next_frame_basic", "--hparams_set=next_frame",
                        "--train_steps=2", "--eval_steps=1", "--video_frames=2",
                        "--eval_rollouts=2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1])["step"] == 2


@pytest.mark.parametrize("args, message", [
    (["--model=next_frame_fancy"], "unknown world model 'next_frame_fancy'"),
    (["--problem=CartPole-v1"], "not an Atari problem"),
    (["--problem=gym_freeway_random"], "no data for 'gym_freeway_random'"),
    (["--hparams=hidden_sise=3"], "unknown hparam 'hidden_sise'"),
    (["--strategy=multi_worker"], "needs the TF_CONFIG environment variable"),
    (["--data_dir=/nonexistent/dir"], "does not exist"),
    (["--eval_rollouts=0"], "--eval_rollouts must be positive"),
    (["--model=latent_dynamics"], "needs a latent set such as latent_dynamics_cpu"),
    (["--model=next_frame_basic", "--hparams_set=latent_dynamics_tiny"],
     "needs a next_frame set"),
    (["--hparams_set=latent_dynamics_tiny", "--strategy=mirrored"], "trains on one device"),
])
def test_bad_input_is_one_line(datagen_cli_output, tmp_path, args, message):
    base = {"--data_dir": f"--data_dir={datagen_cli_output[0]}",
            "--problem": "--problem=gym_pong_random",
            "--hparams_set": "--hparams_set=next_frame_tiny"}
    extra = []
    for arg in args:
        key = arg.split("=")[0]
        if key in base:
            base[key] = arg
        else:
            extra.append(arg)
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    result = subprocess.run([sys.executable, "-m", "rl.trainer_world_model", *base.values(),
                             *extra, f"--output_dir={tmp_path / 'o'}", "--train_steps=1"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert message in result.stderr, result.stderr[-2000:]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_workers_on_loopback_train_matching_weights(datagen_cli_output, tmp_path):
    workers = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
    procs = []
    for index in range(2):
        config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        env = dict(os.environ, TF_CONFIG=json.dumps(config))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "rl.trainer_world_model",
             f"--data_dir={datagen_cli_output[0]}", f"--output_dir={tmp_path / str(index)}",
             *TINY, "--train_steps=6", "--strategy=multi_worker"],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [p.communicate(timeout=600) for p in procs]
    weights = []
    for index, (stdout, stderr) in enumerate(outputs):
        assert "world model step 6/6" in stdout, stderr[-3000:]
        path = tf.train.latest_checkpoint(str(tmp_path / str(index) / "checkpoints"))
        assert path.endswith("ckpt-6")
        reader = tf.train.load_checkpoint(path)
        names = sorted(n for n in reader.get_variable_to_shape_map()
                       if n.startswith("network/") and "OPTIMIZER" not in n)
        weights.append({n: reader.get_tensor(n) for n in names})
    assert weights[0].keys() == weights[1].keys() and len(weights[0]) > 10
    initial_differs = False
    for name in weights[0]:
        np.testing.assert_allclose(weights[0][name], weights[1][name], rtol=1e-5, atol=1e-6,
                                   err_msg=name)
        initial_differs = initial_differs or np.any(weights[0][name] != 0)
    assert initial_differs
