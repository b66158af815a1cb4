"""The latent loop (rlmb_latent_tiny) as a subprocess on real Pong, killed with SIGKILL
as a PPO phase starts and resumed: every phase once, nothing lost or written twice, and
the exported policy scored from raw frames."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from problems import dataset_files
from rl.metrics import read_metrics
from tests.conftest import REPO, run_module

# Entrypoints as subprocesses: tests/conftest.py explains the tiers.
pytestmark = pytest.mark.slow

# With held random actions mixed into the policy's collections, an exploration policy
# in one of their 4 sub-envs and the policy realigned after the second world-model
# training, so that those paths run too.
LOOP = ["--loop_hparams_set=rlmb_latent_tiny",
        "--loop_hparams=game=pong,real_random_hold_probability=0.05,"
        "simulated_random_hold_probability=0.1,simulated_random_hold_mean=3,"
        "real_explore_share=0.25,explore_ppo_epochs_num=2,policy_realign_steps=5"]
PHASES = ["collect_0", "world_model_0", "ppo_0", "explore_0", "collect_1", "eval_0",
          "world_model_1", "ppo_1", "explore_1", "collect_2", "eval_1"]


def _wait_for(state_path, phase, proc, seconds=300):
    deadline = time.time() + seconds
    while time.time() < deadline and proc.poll() is None:
        try:
            if phase in json.load(open(state_path))["done"]:
                return True
        except (FileNotFoundError, json.JSONDecodeError):
            pass
        time.sleep(0.02)
    return False


@pytest.fixture(scope="module")
def latent_loop_run(tmp_path_factory):
    """The loop killed with SIGKILL as its second PPO phase starts, then resumed: the
    output directory, the resumed run's CompletedProcess, and the metrics and phases on
    disk at the kill."""
    out = str(tmp_path_factory.mktemp("latent_loop"))
    proc = subprocess.Popen([sys.executable, "-m", "rl.trainer_model_based",
                             f"--output_dir={out}", *LOOP], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state_path = os.path.join(out, "loop_state.json")
    reached = _wait_for(state_path, "world_model_1", proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert reached, "the loop did not reach its second world-model phase in 5 minutes"
    at_kill = {"done": json.load(open(state_path))["done"], "metrics": read_metrics(out)}
    result = run_module("rl.trainer_model_based", f"--output_dir={out}", *LOOP)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result, at_kill


def test_latent_loop_runs_every_phase(latent_loop_run):
    out, result, _ = latent_loop_run
    state = json.load(open(os.path.join(out, "loop_state.json")))
    assert state["done"] == PHASES
    assert state["real_env_steps"] == 600
    # 2 epochs x 3 iterations x 8 imagined sub-envs x 5 steps.
    assert state["simulated_env_steps"] == 240
    assert dataset_files.list_epochs(os.path.join(out, "data"), "rlmb_pong") == [0, 1, 2]
    names = {r["name"] for r in read_metrics(out)}
    for name in ("world_model/dev/frame_error", "world_model/dev/baseline_copy_last/frame_error",
                 "reward_accuracy/at_12", "train/policy_loss", "mean_reward/simulated/clipped",
                 "eval/mean_return/temp_0.0_noops_0_unclipped", "train_real/policy_loss"):
        assert name in names, name
    # The latent policy also learned from the real collections, on their encodings (of
    # its own 3 sub-envs, an update as many steps apart as with all 4).
    assert [r["value"] for r in read_metrics(out) if r["name"] == "train_real/updates"] \
        == [2.0, 2.0]
    # The explorer trained in the world model on the ensemble's disagreement, 2
    # iterations an epoch, and played part of one sub-env of each collection.
    explore = [r for r in read_metrics(out) if r["phase"] == "ppo_explore"
               and r["name"] == "train/policy_loss"]
    assert [r["step"] for r in explore] == [40, 80, 120, 160]
    assert "exploration policy in the world model: iterations 3..4" in result.stdout
    assert os.listdir(os.path.join(out, "explore_checkpoints"))
    assert "in 1 of the 4 envs the exploration policy takes over at a random step" \
        in result.stdout
    played = [float(m) for m in re.findall(r"the exploration policy played ([0-9.]+)% of "
                                           r"the steps", result.stdout)]
    assert played and all(0 < share <= 25 for share in played), played
    # Realigned once, after the second world-model phase (the killed run's), from the
    # snapshot it took before training.
    realigned = [r for r in read_metrics(out) if r["name"] == "realign/kl_after"]
    assert [(r["phase"], r["step"]) for r in realigned] == [("realign", 400)], realigned
    assert os.listdir(os.path.join(out, "policy_realign")) == ["snapshot_001.npz"]
    assert os.path.exists(os.path.join(out, "learning_curve.png"))
    assert os.listdir(os.path.join(out, "world_model", "videos"))
    tree = json.load(open(os.path.join(out, "hparams.json")))["loop_hparams"]
    assert tree["generative_model"] == "latent_dynamics"
    assert tree["generative_model_params_resolved"]["latent_size"] == 32
    assert ("each env starts holding a random action (4 steps on average) with "
            "probability 0.05 a step") in result.stdout
    assert ("PPO in the world model: iterations 4..6, each sub-env starts holding a random "
            "action (3 steps on average) with probability 0.1 a step") in result.stdout
    # In the steady state p H / (1 + p H) = 17% of the steps are held (H = 4 here).
    shares = [float(m) for m in re.findall(r"held random actions in ([0-9.]+)% of the steps",
                                           result.stdout)]
    assert shares and all(0 < share < 60 for share in shares), shares
    assert "final: pong, 600 real env steps, 240 simulated steps, peak memory" in result.stdout
    # Measured, not a placeholder: a process that has loaded TensorFlow holds hundreds of
    # MiB.
    assert 200 < state["peak_memory_mb"] < 8192


def test_exported_latent_policy_plays_from_raw_frames(latent_loop_run):
    """The loop's SavedModel takes real frame stacks (it carries the encoder) and gives
    the logits of the world model's encoder and the PPO policy restored in-process."""
    import gymnasium as gym

    import hparams
    from models import policies, saved_policy
    from models.latent_world_model import LatentWorldModel
    from problems import input_pipeline
    from rl import loop_schedule

    out, _, _ = latent_loop_run
    loop = hparams.resolve("rlmb_latent_tiny", "game=pong")
    arrays = input_pipeline.load_split(os.path.join(out, "data"), "rlmb_pong", "train")
    frame_shape = arrays["frame"].shape[1:]
    assert frame_shape == (52, 40, 1)
    model = LatentWorldModel(loop_schedule.world_model_hparams(loop), 6, frame_shape)
    model.checkpoint.restore(tf.train.latest_checkpoint(
        os.path.join(out, "world_model", "checkpoints"))).expect_partial()
    space = gym.spaces.Box(-1.0, 1.0, (model.hparams.latent_size,), np.float32)
    network = policies.make_policy_network(loop_schedule.ppo_hparams(loop), space,
                                           gym.spaces.Discrete(6))
    tf.train.Checkpoint(network=network).restore(tf.train.latest_checkpoint(
        os.path.join(out, "policy_checkpoints"))).expect_partial()
    loaded = saved_policy.LoadedPolicy(os.path.join(out, "policy", "epoch_001"))
    stacks = arrays["frame"][np.arange(0, 300, 15)[:, None] + np.arange(4)]
    in_process = network(tf.constant(model.encode(stacks))).logits.numpy()
    np.testing.assert_allclose(loaded.outputs(stacks)["logits"], in_process, atol=1e-4)
    np.testing.assert_array_equal(loaded.act(stacks, 0.0), np.argmax(in_process, -1))
    assert loaded.observation_format["grayscale"] is True


def test_killed_during_ppo_resumes_without_redoing_or_losing_anything(latent_loop_run):
    out, result, at_kill = latent_loop_run
    assert "ppo_1" not in at_kill["done"] and "world_model_1" in at_kill["done"]
    # Finished phases are not redone; the cut-short PPO phase is.
    assert "[collect 0]" not in result.stdout
    assert "world model: training" not in result.stdout
    assert "iterations 4..6" in result.stdout
    records = read_metrics(out)
    keys = [(r["phase"], r["step"], r["name"]) for r in records]
    assert len(keys) == len(set(keys)), "a metric was written twice"
    # What the killed run had written is still there, value for value.
    kept = {(r["phase"], r["step"], r["name"]): r["value"] for r in records}
    for record in at_kill["metrics"]:
        if record["phase"] != "ppo_simulated" or record["step"] <= 120:
            key = (record["phase"], record["step"], record["name"])
            assert kept.get(key) == record["value"], key
