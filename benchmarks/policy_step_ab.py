"""The PPO minibatch step and action selection on Atari, with and without the policy
network's speed-ups, alternated in one process so the machine's drift hits both alike.

"current" is the network as built by models.policies, with models.conv.Conv2D (kernel
gradient as one convolution over the batch) where it uses it; "keras" is the same network
with Keras's own Conv2D, as before 2026-11-26. Both get the same weights and the same
minibatch of real Pong frames.

Usage: python benchmarks/policy_step_ab.py [--rounds 8] [--hparams_set ppo_atari_cleanrl]
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
from rl import model_free, ppo  # noqa: E402


def real_frames(hp, count):
    """`count` Pong observations from random play (so the input is real, not noise)."""
    env, _ = model_free.make_env(resolve_problem("stacked_pong"), hp, seed=0)
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    frames = []
    while len(frames) * env.num_envs < count:
        obs, *_ = env.step(rng.integers(0, env.single_action_space.n, env.num_envs))
        frames.append(obs)
    env.close()
    return np.concatenate(frames)[:count], env.single_observation_space, env.single_action_space


def build(hp, observation_space, action_space):
    tf.keras.utils.set_random_seed(0)
    network = policies.make_policy_network(hp, observation_space, action_space)
    return ppo.PPOLearner(network, hp)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hparams_set", default="ppo_atari_cleanrl")
    parser.add_argument("--hparams", default="")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    hp = hparams.resolve(args.hparams_set, args.hparams)
    minibatch = hp.optimization_batch_size * hp.num_agents
    frames, observation_space, action_space = real_frames(hp, minibatch)
    rng = np.random.default_rng(0)
    step_args = [tf.constant(frames), tf.constant(rng.integers(0, action_space.n, minibatch),
                                                  tf.int32),
                 tf.zeros(minibatch), tf.constant(rng.normal(size=minibatch), tf.float32),
                 tf.zeros(minibatch), tf.zeros(minibatch)]
    act_frames = frames[:hp.num_agents]

    learners = {"current": build(hp, observation_space, action_space)}
    conv.Conv2D = tf.keras.layers.Conv2D
    learners["keras"] = build(hp, observation_space, action_space)
    for learner in learners.values():  # trace and warm up
        learner._train_step(*step_args)
        learner.act(act_frames)

    def seconds_per_call(fn, calls):
        began = time.perf_counter()
        for _ in range(calls):
            fn()
        return (time.perf_counter() - began) / calls

    times = {(name, part): [] for name in learners for part in ("step", "act")}
    for _ in range(args.rounds):
        for name, learner in learners.items():
            times[name, "step"].append(seconds_per_call(
                lambda: learner._train_step(*step_args)["loss"].numpy(), 4))
            times[name, "act"].append(seconds_per_call(lambda: learner.act(act_frames), 50))
    print(f"{args.hparams_set} {args.hparams}: minibatch {minibatch}, act on {len(act_frames)} "
          f"frames; medians of {args.rounds} alternated rounds")
    for part in ("step", "act"):
        current, keras = (np.median(times[name, part]) * 1e3 for name in ("current", "keras"))
        print(f"  {part}: current {current:.1f} ms, keras {keras:.1f} ms, "
              f"{keras / current:.2f}x")


if __name__ == "__main__":
    main()
