"""Where one PPO iteration on Atari goes: action selection, the rest of collection
(env steps, bookkeeping, GAE), and the update.

Builds the learner and env of `ppo_atari_cleanrl` (or another Atari PPO set), runs a few
warm-up iterations, then times each part of --iterations iterations separately and prints
the medians, with the matrix-product ceiling of this CPU measured in the same run, so a
change to the learner can be judged part by part.

Usage: python benchmarks/ppo_iteration_profile.py [--iterations 6] [--hparams '...']
"""

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import tensorflow as tf  # noqa: E402

import hparams  # noqa: E402
from models import conv, policies  # noqa: E402
from problems.registry import resolve_problem  # noqa: E402
from rl import model_free, ppo, rollout  # noqa: E402
from world_model import matmul_ceiling  # noqa: E402  (benchmarks/world_model.py)


class TimedLearner:
    """Wraps a learner so the collector's calls to act() are timed apart from env steps."""

    def __init__(self, learner):
        self.learner = learner
        self.act_seconds = 0.0

    def act(self, observations, temperature=1.0):
        began = time.perf_counter()
        result = self.learner.act(observations, temperature)
        self.act_seconds += time.perf_counter() - began
        return result

    def value(self, observations):
        return self.learner.value(observations)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hparams_set", default="ppo_atari_cleanrl")
    parser.add_argument("--hparams", default="")
    parser.add_argument("--game", default="pong")
    parser.add_argument("--iterations", type=int, default=6)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--global_reseed", action="store_true",
                        help="call tf.random.set_seed before every iteration (the old way, "
                        "to measure what it cost)")
    parser.add_argument("--keras_conv", action="store_true",
                        help="build the policy with Keras's own Conv2D instead of models.conv's "
                        "(to measure what the batch-convolution kernel gradient gains)")
    args = parser.parse_args()
    if args.keras_conv:
        conv.Conv2D = tf.keras.layers.Conv2D

    hp = hparams.resolve(args.hparams_set, args.hparams)
    env, _ = model_free.make_env(resolve_problem(f"stacked_{args.game}"), hp, seed=0)
    network = policies.make_policy_network(hp, env.single_observation_space,
                                           env.single_action_space)
    learner = ppo.PPOLearner(network, hp)
    timed = TimedLearner(learner)
    collector = rollout.RolloutCollector(env, timed, seed=0)
    rng = np.random.default_rng(0)
    rows = []
    for iteration in range(args.warmup + args.iterations):
        timed.act_seconds = 0.0
        began = time.perf_counter()
        learner.reseed(iteration)
        if args.global_reseed:
            tf.random.set_seed(iteration)
        batch = collector.collect(hp.epoch_length, hp)
        collected = time.perf_counter()
        learner.update(batch, rng)
        updated = time.perf_counter()
        if iteration >= args.warmup:
            rows.append((collected - began, timed.act_seconds, updated - collected,
                         updated - began))
    env.close()
    collect, act, update, total = np.median(np.array(rows), axis=0)
    steps = hp.num_agents * hp.epoch_length
    variant = " keras_conv" if args.keras_conv else ""
    print(f"{args.hparams_set} {args.hparams}{variant}: {steps} steps per iteration, "
          f"medians of {args.iterations}")
    print(f"  collect {collect:.3f}s (act {act:.3f}s = {act / hp.epoch_length * 1e3:.2f} ms "
          f"per call, env, bookkeeping and GAE {collect - act:.3f}s)")
    print(f"  update  {update:.3f}s")
    print(f"  total   {total:.3f}s = {steps / total:.0f} steps/s")
    print(f"  float32 matmul ceiling {matmul_ceiling(2048, 10):.0f} GFLOP/s")


if __name__ == "__main__":
    main()
