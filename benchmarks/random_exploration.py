"""How often random play reaches a reward: uniform random actions against the same actions
held for a random number of steps (rl/collect.random_policy's mean_hold), on one game.

On Freeway this is the difference between a world model that can learn the crossing
reward and one that never sees it (the reason for rlmb_cpu's initial_collection_mean_hold).

Usage: python benchmarks/random_exploration.py [--game freeway] [--steps 100000]
           [--holds 1,4,8,16,32] [--envs 16] [--seed 0]
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import hparams  # noqa: E402
from problems import atari  # noqa: E402
from rl import collect  # noqa: E402


def rewards_in(game, steps, mean_hold, num_envs, seed):
    config = atari.AtariConfig.from_hparams(game, hparams.get("atari_simple"))
    env = atari.AtariEnv(config, num_envs, seed=seed)
    policy = collect.random_policy(env.single_action_space.n, seed, mean_hold)
    obs, _ = env.reset()
    positive, episodes = 0.0, 0
    for _ in range(steps // num_envs):
        obs, _, terminated, truncated, info = env.step(policy(obs))
        positive += float(np.maximum(info["raw_reward"], 0).sum())
        episodes += int((terminated | truncated).sum())
    env.close()
    return positive, episodes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--game", default="freeway")
    parser.add_argument("--steps", type=int, default=100000)
    parser.add_argument("--holds", default="1,4,8,16,32")
    parser.add_argument("--envs", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for hold in [int(h) for h in args.holds.split(",")]:
        began = time.time()
        positive, episodes = rewards_in(args.game, args.steps, hold, args.envs, args.seed)
        print(f"{args.game}, {args.steps} steps, actions held {hold:2d} steps on average: "
              f"{positive:5.0f} positive reward in all, {episodes} episodes finished "
              f"({time.time() - began:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
