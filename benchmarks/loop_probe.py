"""Looks inside one epoch of a model-based run (an output dir of trainer_model_based or
simple_100k.py with a trained world model), to see why PPO does or does not learn there:

1. reward recall: the world model's predicted reward on every training window whose
   real reward is nonzero, and on 2,000 windows whose real reward is zero;
2. prediction speed: frames/s of WorldModel.predict at several batch sizes;
3. action sensitivity (--action_probe): whether the world model's predictions depend on
   the action at all. One step: pixels that differ between the frames predicted for each
   pair of actions from the same 256 real windows. Whole rollouts: from 256 windows
   shortly before a real reward, the summed predicted reward of the loop's rollout length
   under each constant action, and the share of windows where it depends on the action.
   If nothing depends on the action, PPO in the model has nothing to learn;
4. PPO in that world model from a fresh policy, for --iterations iterations with the
   loop's settings and --reward_starts, printing the action mix and simulated rewards,
   then the policy's mean raw return on the real game at temperatures 0 and 1.

Usage: python benchmarks/loop_probe.py OUTPUT_DIR [--iterations 30] [--reward_starts 0.25]
           [--skip_ppo] [--action_probe] [--world_model_step N]
"""

import argparse
import json
import os
import sys
import time

import gymnasium as gym
import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

from models import policies  # noqa: E402
from models.world_model import WorldModel  # noqa: E402
from hparams.hparams import HParams  # noqa: E402
from problems import atari, dataset_files, input_pipeline  # noqa: E402
from rl import evaluation, loop_schedule, ppo, rollout  # noqa: E402
from rl.simulated_env import SimulatedBatchEnv, rewarded_starts  # noqa: E402


def predicted_rewards(world_model, arrays, starts, stack):
    out = []
    for i in range(0, len(starts), 64):
        windows = input_pipeline.gather_windows(arrays, starts[i:i + 64], stack)
        out.append(world_model.predict(windows["inputs"], windows["input_actions"][:, -1])[1])
    return np.concatenate(out) if out else np.zeros(0, np.int32)


def action_sensitivity(world_model, arrays, starts, stack, num_actions, rollout_length,
                       rng):
    """Prints how much the world model's one-step frames and rollout rewards depend on the
    action (see the module docstring, item 3)."""
    chosen = rng.choice(starts, min(256, len(starts)), replace=False)
    inputs = input_pipeline.gather_windows(arrays, chosen, stack)["inputs"]
    frames = [world_model.predict(inputs, np.full(len(chosen), a, np.int32))[0]
              .astype(np.int16) for a in range(num_actions)]
    for a in range(num_actions):
        changed = [float((np.abs(frames[a] - frames[b]) >= 32).sum(axis=(1, 2, 3)).mean())
                   for b in range(num_actions)]
        print(f"one step, action {a}: mean pixels changed by >= 32 against actions "
              f"0..{num_actions - 1}: {np.round(changed, 1).tolist()}", flush=True)
    near = rewarded_starts(arrays, starts, stack, rollout_length)
    if not len(near):
        print("no window shortly before a real reward", flush=True)
        return
    chosen = rng.choice(near, min(256, len(near)), replace=False)
    first = input_pipeline.gather_windows(arrays, chosen, stack)["inputs"]
    sums = np.zeros((num_actions, len(chosen)))
    for a in range(num_actions):
        obs = first.copy()
        actions = np.full(len(chosen), a, np.int32)
        for _ in range(rollout_length):
            frame, reward = world_model.predict(obs, actions)
            obs = np.concatenate([obs[:, 1:], frame[:, None]], axis=1)
            sums[a] += reward
    depends = float((sums.max(axis=0) != sums.min(axis=0)).mean())
    print(f"{rollout_length}-step rollouts from {len(chosen)} windows before a real reward: "
          f"mean summed reward per constant action {np.round(sums.mean(axis=1), 3).tolist()}; "
          f"it depends on the action in {depends:.1%} of windows", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("output_dir")
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--reward_starts", type=float, default=0.25)
    parser.add_argument("--skip_ppo", action="store_true")
    parser.add_argument("--action_probe", action="store_true")
    parser.add_argument("--world_model_step", type=int, default=None,
                        help="restore this checkpoint step instead of the latest")
    args = parser.parse_args()
    tree = json.load(open(os.path.join(args.output_dir, "hparams.json")))["loop_hparams"]
    loop = HParams(**{k: v for k, v in tree.items() if not k.endswith("_resolved")})
    game = loop.game
    dataset = loop_schedule.dataset_name(game)
    data_dir = os.path.join(args.output_dir, "data")
    arrays = input_pipeline.load_split(data_dir, dataset, "train")
    num_actions = dataset_files.dataset_stats(data_dir, dataset)["frame_format"]["num_actions"]
    world_model = WorldModel(loop_schedule.world_model_hparams(loop), num_actions,
                             arrays["frame"].shape[1:], loop.generative_model)
    checkpoints = os.path.join(args.output_dir, "world_model", "checkpoints")
    path = tf.train.latest_checkpoint(checkpoints)
    if args.world_model_step is not None:
        path = os.path.join(checkpoints, f"ckpt-{args.world_model_step}")
    world_model.checkpoint.restore(path).expect_partial()
    print(f"world model {path}, step {world_model.step}", flush=True)
    stack = loop.frame_stack_size
    starts = input_pipeline.window_starts(arrays["episode"], arrays["frame_number"], stack)
    real = arrays["reward"][starts + stack - 1]
    rng = np.random.default_rng(0)
    for name, chosen in (("rewarded", starts[real != 0]),
                         ("unrewarded", rng.choice(starts[real == 0], 2000))):
        predicted = predicted_rewards(world_model, arrays, chosen, stack)
        wanted = arrays["reward"][chosen + stack - 1]
        print(f"{name} windows: {len(chosen)}, predicted reward equals the real one in "
              f"{int((predicted == wanted).sum())}", flush=True)
    if args.action_probe:
        action_sensitivity(world_model, arrays, starts, stack, num_actions,
                           loop.simulated_rollout_length, rng)
    for batch in (16, 32, 64, 128):
        frames = np.ascontiguousarray(arrays["frame"][np.arange(batch * stack) % len(
            arrays["frame"])].reshape((batch, stack) + arrays["frame"].shape[1:]))
        actions = np.zeros(batch, np.int32)
        world_model.predict(frames, actions)
        began, calls = time.perf_counter(), 0
        while time.perf_counter() - began < 3:
            world_model.predict(frames, actions)
            calls += 1
        seconds = (time.perf_counter() - began) / calls
        print(f"predict batch {batch:3d}: {batch / seconds:5.0f} frames/s, "
              f"{1000 * seconds:.1f} ms per call", flush=True)
    if args.skip_ppo:
        return
    hp = loop_schedule.ppo_hparams(loop)
    config = atari.AtariConfig.from_hparams(game, loop)
    tf.random.set_seed(0)
    network = policies.make_policy_network(
        hp, gym.spaces.Box(0, 255, config.observation_shape, np.uint8),
        gym.spaces.Discrete(num_actions))
    learner = ppo.PPOLearner(network, hp)
    env = SimulatedBatchEnv(world_model, arrays, loop.simulated_batch_size,
                            loop.simulated_rollout_length, num_actions, stack,
                            loop.simulation_sampling_temperature, seed=0,
                            reward_start_fraction=args.reward_starts)
    collector = rollout.RolloutCollector(env, learner, seed=0)
    began = time.time()
    for iteration in range(1, args.iterations + 1):
        batch = collector.collect(hp.epoch_length, hp)
        metrics = learner.update(batch, rng)
        if iteration % 5 == 0:
            mix = np.bincount(batch["actions"], minlength=num_actions) / len(batch["actions"])
            reward = sum(e[0] for e in collector.episodes.pop_finished())
            print(f"iteration {iteration}: simulated reward {reward:.0f}, action mix "
                  f"{np.round(mix, 2).tolist()}, entropy {metrics['entropy']:.3f}, "
                  f"{time.time() - began:.0f} s", flush=True)
    for temperature in (0.0, 1.0):
        result = evaluation.evaluate(lambda obs, t=temperature: learner.act(obs, t)[0],
                                     config, 4, num_envs=4, seed=0, label="eval")
        print(f"real game, temperature {temperature}: mean raw return "
              f"{result['mean_raw_return']:.2f} over 4 episodes", flush=True)


if __name__ == "__main__":
    main()
