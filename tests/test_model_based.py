"""The SimPLe loop: SimulatedBatchEnv with a tiny trained model, the whole loop as a
subprocess on a real game, and SIGKILL part-way then resume."""

import collections
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import hparams
from models.world_model import WorldModel
from problems import dataset_files, input_pipeline
from rl import loop_schedule, ppo, rollout
from rl.metrics import read_metrics
from rl.simulated_env import SimulatedBatchEnv, rewarded_starts
from tests.conftest import REPO, run_module

LOOP = ["--loop_hparams_set=rlmb_tiny",
        "--loop_hparams=game=freeway,initial_collection_mean_hold=4"]


@pytest.fixture(scope="module")
def trained_world_model(pong_dataset):
    data_dir, _ = pong_dataset
    arrays = input_pipeline.load_split(data_dir, "gym_pong_random", "train")
    model = WorldModel(hparams.get("next_frame_tiny"), 6, (105, 80, 3))
    for batch in input_pipeline.window_dataset(arrays, 4, 2).take(5):
        model.train_step(batch)
    return model, arrays


def test_simulated_env_shapes_resets_and_real_starts(trained_world_model):
    model, arrays = trained_world_model
    env = SimulatedBatchEnv(model, arrays, num_envs=3, rollout_length=4, num_actions=6,
                            temperature=0.0, seed=0)
    obs, _ = env.reset(seed=1)
    assert obs.shape == (3, 4, 105, 80, 3) and obs.dtype == np.uint8
    for i, start in enumerate(env.start_indices):
        # Each start is a real window of 4 consecutive frames of one episode...
        np.testing.assert_array_equal(obs[i], arrays["frame"][start:start + 4])
        assert len(set(arrays["episode"][start:start + 4])) == 1
    # ... and sub-env 0 starts at a true episode start.
    assert arrays["frame_number"][env.start_indices[0]] == 0
    for step in range(1, 5):
        previous = obs
        obs, reward, terminated, truncated, info = env.step(np.array([0, 1, 2]))
        assert reward.shape == (3,) and set(reward) <= {-1.0, 0.0, 1.0}
        assert not terminated.any()
        if step < 4:
            assert not truncated.any()
            np.testing.assert_array_equal(obs[:, :3], previous[:, 1:])  # frames shift on
        else:
            assert truncated.all()  # the rollout length ends every sub-env ...
            np.testing.assert_array_equal(info["final_obs"][:, :3], previous[:, 1:])
            for i, start in enumerate(env.start_indices):  # ... and restarts it from data
                np.testing.assert_array_equal(obs[i], arrays["frame"][start:start + 4])


def test_rewarded_starts_hand_case():
    # Two episodes; frames 0-9 and 10-19. Rewards for the actions from frames 8 and 12.
    arrays = {"episode": np.repeat([0, 1], 10), "frame_number": np.tile(np.arange(10), 2),
              "reward": np.zeros(20, np.int32)}
    arrays["reward"][[8, 12]] = [1, -1]
    starts = input_pipeline.window_starts(arrays["episode"], arrays["frame_number"], 1)
    # Windows of 2 frames ending at k meet rewards k .. k+2: k in 6..8 and, in the second
    # episode, only k = 11, 12 (k = 10 would need a window starting in episode 0).
    found = rewarded_starts(arrays, starts, stack_size=2, horizon=3)
    assert list(found) == [5, 6, 7, 10, 11]


def test_simulated_env_starts_near_rewards_when_asked(trained_world_model):
    model, arrays = trained_world_model
    near = rewarded_starts(arrays, input_pipeline.window_starts(
        arrays["episode"], arrays["frame_number"], 3), 4, 5)
    assert len(near)  # random Pong data has points scored
    env = SimulatedBatchEnv(model, arrays, num_envs=4, rollout_length=5, num_actions=6,
                            seed=0, reward_start_fraction=1.0)
    env.reset(seed=2)
    # Sub-env 0 still starts at an episode start; the others all start near a reward.
    assert arrays["frame_number"][env.start_indices[0]] == 0
    assert set(env.start_indices[1:]) <= set(near)
    plain = SimulatedBatchEnv(model, arrays, num_envs=4, rollout_length=5, num_actions=6,
                              seed=0)
    plain.reset(seed=2)
    assert not set(plain.start_indices) <= set(near)


def test_ppo_collects_from_the_simulated_env(trained_world_model):
    model, arrays = trained_world_model
    env = SimulatedBatchEnv(model, arrays, num_envs=2, rollout_length=3, num_actions=6)
    hp = hparams.resolve("ppo_original_params", "num_agents=2,epoch_length=5,"
                         "optimization_batch_size=5")
    from models import policies
    network = policies.make_policy_network(hp, env.single_observation_space,
                                           env.single_action_space)
    learner = ppo.PPOLearner(network, hp)
    collector = rollout.RolloutCollector(env, learner, seed=0)
    batch = collector.collect(5, hp)
    assert batch["observations"].shape == (10, 4, 105, 80, 3)
    metrics = learner.update(batch, np.random.default_rng(0))
    assert np.isfinite(metrics["loss"])
    assert len(collector.episodes.pop_finished()) == 2  # each sub-env ended one rollout


def test_schedule_helpers():
    loop = hparams.get("rlmb_base")
    assert loop_schedule.steps_per_collection(loop) == 6400
    # 15K steps, x3 at epochs 0 and 1: 45K, 90K, then 105K at epoch 2.
    assert [loop_schedule.world_model_steps_until(loop, e) for e in range(3)] == \
        [45000, 90000, 105000]
    assert loop_schedule.ppo_iterations_in_epoch(loop, 14) == 3000
    assert loop_schedule.ppo_hparams(loop).num_agents == 16


def test_middle_epochs_evaluate_only_the_first_temperature():
    every_setting = [(0.5, 8), (0.5, 0), (0.0, 8), (0.0, 0), (1.0, 8), (1.0, 0)]
    loop = hparams.get("rlmb_base")  # T2T's: every setting every epoch
    assert [loop_schedule.eval_settings(loop, e) for e in (0, 7, 14)] == [every_setting] * 3
    loop.eval_all_settings_every = 5
    assert loop_schedule.eval_settings(loop, 0) == [(0.5, 8)]
    assert loop_schedule.eval_settings(loop, 4) == every_setting
    assert loop_schedule.eval_settings(loop, 12) == [(0.5, 8)]
    loop.eval_all_settings_every = 4  # 15 epochs: the last one is not a multiple
    assert loop_schedule.eval_settings(loop, 14) == every_setting
    latent = hparams.get("rlmb_latent")
    assert sum(len(loop_schedule.eval_settings(latent, e)) for e in range(15)) == 3 * 6 + 12


def test_loop_can_set_the_world_models_compute_dtype():
    cpu_loop = hparams.get("rlmb_cpu")
    assert loop_schedule.world_model_hparams(cpu_loop).compute_dtype == "auto"  # the set's
    cpu_loop.generative_model_compute_dtype = "float32"
    assert loop_schedule.world_model_hparams(cpu_loop).compute_dtype == "float32"
    cpu_loop.generative_model_compute_dtype = "float16"
    with pytest.raises(hparams.UserError, match="generative_model_compute_dtype must be"):
        loop_schedule.world_model_hparams(cpu_loop)


@pytest.fixture(scope="module")
def loop_run(tmp_path_factory):
    """The tiny loop as a subprocess, killed with SIGKILL once its second collection is
    recorded, then run again to the end: the run that every test here checks (one run
    serves both the whole-loop checks and the resume checks)."""
    out = str(tmp_path_factory.mktemp("loop"))
    first_log = os.path.join(os.path.dirname(out), "first_run.txt")
    with open(first_log, "w") as log:
        proc = subprocess.Popen([sys.executable, "-m", "rl.trainer_model_based",
                                 f"--output_dir={out}", *LOOP], cwd=REPO, stdout=log,
                                stderr=subprocess.DEVNULL,
                                env=dict(os.environ, PYTHONUNBUFFERED="1"))
        state_path = os.path.join(out, "loop_state.json")
        deadline = time.time() + 300
        done = []
        while time.time() < deadline and "collect_1" not in done:
            if os.path.exists(state_path):
                try:
                    done = json.load(open(state_path))["done"]
                except (json.JSONDecodeError, OSError):
                    pass
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert "collect_1" in done, "the loop did not reach its second collection in 5 minutes"
    finished = json.load(open(state_path))["done"]
    result = run_module("rl.trainer_model_based", f"--output_dir={out}", *LOOP)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, open(first_log).read(), result, finished


@pytest.mark.slow
def test_whole_loop_writes_everything(loop_run):
    out, first_stdout, result, _ = loop_run
    for name in ("hparams.json", "flags.txt", "metrics.jsonl", "learning_curve.png",
                 "loop_state.json"):
        assert os.path.exists(os.path.join(out, name)), name
    assert sorted(os.listdir(os.path.join(out, "policy"))) == ["epoch_000", "epoch_001"]
    assert os.path.exists(os.path.join(out, "policy", "epoch_001", "saved_model.pb"))
    assert os.listdir(os.path.join(out, "world_model", "videos"))
    data_dir = os.path.join(out, "data")
    assert dataset_files.list_epochs(data_dir, "rlmb_freeway") == [0, 1, 2]
    names = {r["name"] for r in read_metrics(out)}
    for name in ("eval/mean_return/temp_0.0_noops_0_unclipped",
                 "mean_reward/eval/sampling_temp_0.0_max_noops_0_clipped",
                 "reward_accuracy/at_12", "world_model/dev/pixel_accuracy",
                 "train/policy_loss"):
        assert name in names, name
    # T2T's name for the real collections' return; PPO in the model has its own. (200-step
    # Freeway collections finish no episode, so collect writes none here: Freeway's
    # episodes are 2,048 steps.)
    phases = collections.defaultdict(set)
    for record in read_metrics(out):
        phases[record["name"]].add(record["phase"])
    assert phases["mean_reward/simulated/clipped"] == {"ppo_simulated"}
    assert all(phase_set <= {"collect"} for name, phase_set in phases.items()
               if name.startswith("mean_reward/train/"))
    # 200 steps per collection leave no 54-frame dev window: accuracy at 50 is skipped,
    # not made up.
    assert "reward_accuracy/at_50" not in names
    tree = json.load(open(os.path.join(out, "hparams.json")))["loop_hparams"]
    assert tree["game"] == "freeway"
    assert tree["generative_model_params_resolved"]["hidden_size"] == 8
    assert tree["base_algo_params_resolved"]["clipping_coef"] == 0.1
    assert "uniform random actions held for 4 steps on average" in first_stdout
    # Each collection after the first also trained PPO on what it collected, as the
    # original's train_agent_real_env: 50 steps per env, an update every 25.
    assert "[collect 1] 2 PPO updates on real data" in first_stdout
    real_updates = [r for r in read_metrics(out) if r["name"] == "train_real/updates"]
    assert [(r["phase"], r["value"]) for r in real_updates] == [("collect", 2.0)] * 2
    lines = result.stdout.strip().splitlines()
    assert lines[-3].startswith("final: freeway, 600 real env steps, 60 simulated steps")
    # Every score beside random play, the best constant action (measured: on Freeway
    # always UP crosses about 21 times a game), model-free PPO at 100K and SimPLe.
    assert "best constant action (1)" in lines[-2] and "model-free PPO at 100K 2.2" in lines[-2]
    assert "action entropy" in result.stdout
    summary = json.loads(lines[-1])
    assert summary["baselines"]["best constant action (1)"] >= 18
    assert {"baseline/best_constant_action", "eval/action_entropy/temp_0.0_noops_0"} <= names
    assert summary["real_env_steps"] == 600
    assert set(summary["phase_seconds"]) == {"collect", "world_model", "ppo", "eval"}


@pytest.mark.slow
def test_rerun_of_a_finished_loop_redoes_nothing(loop_run):
    out = loop_run[0]
    before = len(read_metrics(out))
    result = run_module("rl.trainer_model_based", f"--output_dir={out}", *LOOP)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "[collect" not in result.stdout and "world model:" not in result.stdout
    assert len(read_metrics(out)) == before


@pytest.mark.slow
def test_other_hparams_on_the_same_dir_are_refused(loop_run):
    out = loop_run[0]
    result = run_module("rl.trainer_model_based", f"--output_dir={out}",
                        "--loop_hparams_set=rlmb_tiny", "--loop_hparams=game=pong")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "different settings" in result.stderr and "freeway" in result.stderr


@pytest.mark.slow
def test_killed_loop_resumes_without_redoing_or_losing_anything(loop_run):
    out, _, result, finished = loop_run
    state_path = os.path.join(out, "loop_state.json")
    # Finished phases are not redone.
    assert "[collect 0]" not in result.stdout
    if "ppo_0" in finished:
        assert "iterations 1..3" not in result.stdout
    state = json.load(open(state_path))
    assert state["done"] == ["collect_0", "world_model_0", "ppo_0", "collect_1", "eval_0",
                             "world_model_1", "ppo_1", "collect_2", "eval_1"]
    # Nothing lost or duplicated: three complete data epochs of 200 steps each.
    data_dir = os.path.join(out, "data")
    assert dataset_files.list_epochs(data_dir, "rlmb_freeway") == [0, 1, 2]
    stats = dataset_files.dataset_stats(data_dir, "rlmb_freeway")
    assert stats["frames"] - stats["episodes"] == 600 == state["real_env_steps"]
    leftovers = [f for f in os.listdir(data_dir) if f.startswith(".") and f != ".lock"]
    assert leftovers == []
    records = read_metrics(out)
    keys = [(r["phase"], r["step"], r["name"]) for r in records]
    assert len(keys) == len(set(keys)), "a metric was written twice"
    evals = [r for r in records if r["name"] == "eval/mean_return/temp_0.0_noops_0_unclipped"]
    assert sorted(r["step"] for r in evals) == [400, 600]
