"""A diagnostic dataset: Pong played by a ball tracker, so that the paddle meets the ball.

Why: a latent model trained on held-random Pong rates every action alike over a rollout
(benchmarks/RESULTS.md). Either the model cannot learn what the paddle does to the ball,
or random play shows it too rarely to learn. This script collects data in which the
paddle often meets the ball, to tell the two apart with `latent_probe.py`.

The tracker reads the emulator's RAM (the ball's and the player's paddle's heights, a
Pong-only shortcut that no agent of the toolkit uses) and moves the paddle toward the
ball; a share of the steps (--noise) take a held random action instead, so that every
action is seen in every kind of state. Frames go through the same preprocessing as the
toolkit's Atari env (frame skip 4, the max of the last two frames, gray, area resize to
rlmb_latent's 52x40; checked to be identical frame for frame) and are written as the
random dataset `gym_pong_random`, epoch 0, so the probe reads them unchanged.

It also prints the game's own reward control at the states this player reaches (each
action held 16 steps from a cloned state: the share of states where the summed clipped
reward differs between actions), the figure a model trained on this data should show.

Usage: python benchmarks/pong_contact_data.py DATA_DIR [--steps 50000] [--noise 0.3]
       python benchmarks/latent_probe.py DATA_DIR --game pong --wm_seconds 600 ...
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import hparams  # noqa: E402
from problems import atari, trajectory  # noqa: E402
from rl import collect  # noqa: E402

import cloned_game  # noqa: E402

PLAYER_Y, BALL_Y = 51, 54  # Pong's RAM: the right (player's) paddle and the ball
UP, DOWN, NOOP = 2, 3, 0  # indices into Pong's minimal action set (RIGHT moves up)
# The ball's height the tracker aims the paddle's RAM height at, and the dead band: with
# these it scores +3 against -20 for a paddle that waits (one game, 4,000 steps).
AIM_OFFSET, DEAD_BAND = 12, 4


def tracker_action(ram):
    gap = int(ram[BALL_Y]) - (int(ram[PLAYER_Y]) + AIM_OFFSET)
    return DOWN if gap > DEAD_BAND else (UP if gap < -DEAD_BAND else NOOP)


class RamPong:
    """A small vector env of Pong games with the toolkit env's observations and info
    (what collect.collect needs), whose RAM the tracker can read."""

    def __init__(self, num_envs, config, seed=0):
        self.num_envs, self.config = num_envs, config
        self.frame_shape = (config.height, config.width)
        self.games = [cloned_game.new_game("pong", seed + i) for i in range(num_envs)]
        self.actions = self.games[0].getMinimalActionSet()
        self.rng = np.random.default_rng(seed)
        self.stacks = [None] * num_envs

    def _new_episode(self, i):
        game = self.games[i]
        game.reset_game()
        for _ in range(int(self.rng.integers(0, self.config.max_num_noops + 1))):
            game.act(self.actions[NOOP])
        self.stacks[i] = [cloned_game.resize(game.getScreenGrayscale(), self.frame_shape)] * 4

    def _observations(self):
        return np.stack([np.stack(s)[..., None] for s in self.stacks])

    def rams(self):
        return [game.getRAM() for game in self.games]

    def reset(self):
        for i in range(self.num_envs):
            self._new_episode(i)
        return self._observations(), {"lives": np.zeros(self.num_envs)}

    def step(self, actions):
        n = self.num_envs
        raw = np.zeros(n, np.float32)
        ended = np.zeros(n, bool)
        final = np.zeros((n, 4, self.config.height, self.config.width, 1), np.uint8)
        for i, action in enumerate(actions):
            game = self.games[i]
            frame, raw[i] = cloned_game.agent_step(game, self.actions[action], self.frame_shape)
            self.stacks[i] = self.stacks[i][1:] + [frame]
            if game.game_over():
                ended[i] = True
                final[i] = np.stack(self.stacks[i])[..., None]
                self._new_episode(i)
        info = {"raw_reward": raw, "final_obs": final, "lives": np.zeros(n)}
        return self._observations(), np.clip(raw, -1, 1), ended, np.zeros(n, bool), info


def noisy_tracker(env, noise, seed):
    held = collect.random_policy(len(env.actions), seed, mean_hold=16)
    rng = np.random.default_rng(seed + 1)

    def policy(observations):
        tracked = np.array([tracker_action(ram) for ram in env.rams()])
        return np.where(rng.random(len(observations)) < noise, held(observations), tracked)
    return policy


def real_reward_control(noise, states=256, steps=16, seed=0):
    """The share of states reached by the noisy tracker where holding different actions
    for `steps` agent steps gives different summed clipped rewards."""
    game = cloned_game.new_game("pong", seed)
    actions = game.getMinimalActionSet()
    rng = np.random.default_rng(seed)
    held, left = NOOP, 0
    differs = []
    for _ in range(states):
        for _ in range(int(rng.integers(100, 800))):
            if rng.random() < noise:
                if left <= 0:
                    held, left = int(rng.integers(len(actions))), int(rng.geometric(1 / 16))
                action, left = held, left - 1
            else:
                action = tracker_action(game.getRAM())
            for _ in range(4):
                game.act(actions[action])
            if game.game_over():
                game.reset_game()
        rewards = cloned_game.held_action_rewards(game, actions, steps)
        differs.append(max(rewards) != min(rewards))
    return float(np.mean(differs))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--steps", type=int, default=50000)
    parser.add_argument("--noise", type=float, default=0.3,
                        help="share of steps that take a held random action")
    args = parser.parse_args()
    config = atari.AtariConfig.from_hparams("pong", hparams.get("rlmb_latent"))
    env = RamPong(8, config)
    frame_format = dict(config.to_dict(), num_actions=len(env.actions))
    with trajectory.TrajectoryWriter(args.data_dir, "gym_pong_random", 0,
                                     frame_format) as writer:
        collect.collect(env, noisy_tracker(env, args.noise, seed=3), args.steps, writer,
                        first_episode_id=0)
    stats = writer.stats
    print(f"{stats['frames']} frames, {stats['finished_episodes']} finished episodes, mean "
          f"return {stats['mean_raw_return']}", flush=True)
    print(f"real reward control at this player's states, each action held 16 steps: "
          f"{real_reward_control(args.noise):.3f}", flush=True)


if __name__ == "__main__":
    main()
