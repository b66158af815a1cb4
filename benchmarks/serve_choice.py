"""What a latent loop's imagination tells PPO about serving, in a game that waits for FIRE
after a lost life (Breakout).

The run's exported policy plays the game at temperature 1 (pressing FIRE itself now and
then where it waits, so that both kinds of state occur); its states are split into those
waiting for a serve (since the start or a lost life, FIRE not pressed yet) and those in
play, and the exported policy's mean action probabilities in each are printed. From 64
of each, every first action and then the run's newest policy for the rest
of a rollout of the loop's length, in the run's newest world model (`--copies` rollouts
a state, imagined ends drawn as the model draws them): the discounted reward, the share
of rollouts still alive at the end, and PPO's view of the first action, reward plus the
discounted bootstrap value where no end came.

Usage: python benchmarks/serve_choice.py RUN_DIR --game breakout --policy RUN_DIR/policy/epoch_005
           [--loop_hparams k=v,...] [--copies 32]
"""

import argparse
import dataclasses
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import loop_run  # noqa: E402
from models import saved_policy  # noqa: E402
from problems import atari  # noqa: E402
from rl import loop_schedule  # noqa: E402

FIRE = 1  # Breakout's minimal action set: NOOP, FIRE, RIGHT, LEFT
STATES = 64


def waiting_and_playing_states(policy, config, seed=5):
    env = atari.AtariEnv(config, 8, seed=seed)
    obs, info = env.reset()
    lives, waiting = np.asarray(info["lives"]), np.ones(8, bool)
    rng = np.random.default_rng(seed)
    states = {True: [], False: []}
    while min(len(states[True]), len(states[False])) < STATES:
        actions = np.where(waiting & (rng.random(8) < 0.1), FIRE, policy.act(obs, 1.0))
        for i in range(8):
            states[bool(waiting[i])].append(obs[i].copy())
        obs, _, terminated, truncated, info = env.step(actions)
        new_lives = np.asarray(info["lives"])
        waiting = np.where(actions == FIRE, False, waiting)
        waiting |= (new_lives < lives) | terminated | truncated
        lives = new_lives
    env.close()
    return {k: np.stack(v[-STATES:]) for k, v in states.items()}


def main():
    parser = argparse.ArgumentParser()
    loop_run.add_run_arguments(parser)
    parser.add_argument("--policy", required=True, help="an exported policy/epoch_NNN")
    parser.add_argument("--copies", type=int, default=32)
    args = parser.parse_args()
    loop, _, _, num_actions, frame_shape = loop_run.open_run(args)
    model = loop_run.restore_world_model(args, loop, num_actions, frame_shape)
    network = loop_run.restore_policy(args, loop, model.latent_size, num_actions)
    gamma = loop_schedule.ppo_hparams(loop).gae_gamma
    horizon = loop.simulated_rollout_length
    exported = saved_policy.LoadedPolicy(args.policy)
    exported.seed(0)
    names = {f.name for f in dataclasses.fields(atari.AtariConfig)}
    config = atari.AtariConfig(**{k: v for k, v in exported.observation_format.items()
                                  if k in names})
    rng = np.random.default_rng(0)
    for waiting, stacks in sorted(waiting_and_playing_states(exported, config).items(),
                                  reverse=True):
        start = np.repeat(model.encode(stacks), args.copies, 0)
        value = float(np.mean(network(start, training=False).value))
        logits = exported.outputs(stacks)["logits"].astype(np.float64)
        probabilities = np.exp(logits - logits.max(-1, keepdims=True))
        probabilities /= probabilities.sum(-1, keepdims=True)
        print(f"{'waiting for a serve' if waiting else 'in play'} ({STATES} states, "
              f"V {value:.3f}); the exported policy's action probabilities there: "
              f"{np.round(probabilities.mean(0), 3).tolist()}")
        for first in range(num_actions):
            latent, alive = start.copy(), np.ones(len(start))
            reward = np.zeros(len(start))
            for t in range(horizon):
                if t == 0:
                    actions = np.full(len(latent), first)
                else:
                    logits = network(latent, training=False).logits.numpy()
                    actions = np.argmax(logits + rng.gumbel(size=logits.shape), -1)
                latent, step_reward, ended = model.imagine(latent, actions, mean_reward=True)
                reward += alive * gamma ** t * step_reward
                alive *= 1 - ended
            bootstrap = np.reshape(network(latent, training=False).value.numpy(), [-1])
            q = reward + alive * gamma ** horizon * bootstrap
            print(f"  first action {first}: reward {reward.mean():.3f}, alive at step "
                  f"{horizon} {alive.mean():.3f}, Q {q.mean():.3f}")


if __name__ == "__main__":
    main()
