"""Clip fraction and approximate KL of the first minibatch step of a PPO update, with the
policy's dropout active in updates (but not when acting) and without it.

Before any weight has moved, a PPO update's probability ratios should all be 1: the
update's network is the one that acted. Dropout active only in the update breaks that,
so part of the first minibatch is clipped before learning anything. This collects one
rollout of real Pong with the named set's CNN, then evaluates the first minibatch of its
update (no optimizer step) with each setting, several rollouts in a row.

Usage: python benchmarks/ppo_first_step.py [--hparams_set ppo_atari_base] [--rollouts 4]
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import tensorflow as tf  # noqa: E402

import hparams  # noqa: E402
from models import policies, seeding  # noqa: E402
from problems.registry import resolve_problem  # noqa: E402
from rl import model_free, ppo, rollout  # noqa: E402


def first_minibatch_stats(network, batch, hp, dropout_in_update):
    index = ppo.minibatch_indices(len(batch["actions"]), hp, np.random.default_rng(0))[0]
    output = network(tf.convert_to_tensor(batch["observations"][index]),
                     training=dropout_in_update)
    _, metrics = ppo.ppo_loss(output, tf.constant(batch["actions"][index]),
                              tf.constant(batch["log_probs"][index]),
                              tf.constant(batch["advantages"][index]),
                              tf.constant(batch["returns"][index]), hp.clipping_coef,
                              hp.value_loss_coef, hp.entropy_loss_coef)
    return float(metrics["clip_fraction"]), float(metrics["approx_kl"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hparams_set", default="ppo_atari_base")
    parser.add_argument("--rollouts", type=int, default=4)
    parser.add_argument("--dropout", type=float, default=0.1)
    args = parser.parse_args()
    hp = hparams.resolve(args.hparams_set, f"dropout_ppo={args.dropout}")
    seeding.seed_initialization(0)
    env, _ = model_free.make_env(resolve_problem("stacked_pong"), hp, seed=0)
    network = policies.make_policy_network(hp, env.single_observation_space,
                                           env.single_action_space)
    learner = ppo.PPOLearner(network, hp)
    collector = rollout.RolloutCollector(env, learner, seed=0)
    print(f"{args.hparams_set}: {hp.num_agents} envs x {hp.epoch_length} steps of real Pong "
          f"per rollout, clip {hp.clipping_coef}, dropout {args.dropout}", flush=True)
    rows = {True: [], False: []}
    for i in range(args.rollouts):
        batch = collector.collect(hp.epoch_length, hp)
        for dropout_in_update in (True, False):
            rows[dropout_in_update].append(first_minibatch_stats(network, batch, hp,
                                                                 dropout_in_update))
        learner.update(batch, np.random.default_rng(i))  # move on, as training would
    for dropout_in_update, label in ((True, "dropout active in the update"),
                                     (False, "no dropout (acting = updating)")):
        clip, kl = np.array(rows[dropout_in_update]).T
        print(f"{label}: first-minibatch clip fraction {' '.join(f'{c:.3f}' for c in clip)} "
              f"(mean {clip.mean():.3f}), approx KL {' '.join(f'{k:.1e}' for k in kl)} "
              f"(mean {kl.mean():.1e})", flush=True)


if __name__ == "__main__":
    main()
