"""Agent steps/s of the batched Atari pipeline beside gymnasium's AsyncVectorEnv.

Both sides do the same work per agent step: frame skip 4 with a max over the last two raw
frames, INTER_AREA resize, optional grayscale, 4-frame stack, random actions, 8 envs.
Ours runs in ale-py's native threads (problems.atari.AtariEnv); the peer runs gymnasium's
AtariPreprocessing + FrameStackObservation in 8 worker processes. Measured in one run, so
the ratio holds even on a noisy shared machine.

Usage: python benchmarks/env_throughput.py [--steps 20000] [--game pong]
"""

import argparse
import os
import sys
import time

import gymnasium as gym
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import ale_py  # noqa: E402
import hparams  # noqa: E402
from problems import atari  # noqa: E402

NUM_ENVS = 8
FORMATS = {
    "105x80 rgb": ("atari_simple", (80, 105), False),
    "84x84 gray": ("atari_nature", (84, 84), True),
}


def steps_per_second(env, steps):
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    n = env.single_action_space.n
    env.step(rng.integers(0, n, size=NUM_ENVS))  # warm up
    start = time.perf_counter()
    for _ in range(steps // NUM_ENVS):
        env.step(rng.integers(0, n, size=NUM_ENVS))
    return (steps // NUM_ENVS) * NUM_ENVS / (time.perf_counter() - start)


def make_gymnasium_env(game_id, size, grayscale):
    def make():
        gym.register_envs(ale_py)
        env = gym.make(game_id, frameskip=1, repeat_action_probability=0.0)
        env = gym.wrappers.AtariPreprocessing(env, noop_max=8, frame_skip=4, screen_size=size,
                                              grayscale_obs=grayscale)
        return gym.wrappers.FrameStackObservation(env, 4)
    return gym.vector.AsyncVectorEnv([make] * NUM_ENVS)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20000)
    parser.add_argument("--game", default="pong")
    args = parser.parse_args()
    game_id = "ALE/" + "".join(p.capitalize() for p in args.game.split("_")) + "-v5"
    print(f"{args.game}, {NUM_ENVS} envs, {args.steps} agent steps each, {os.cpu_count()} cores")
    for name, (set_name, size, grayscale) in FORMATS.items():
        config = atari.AtariConfig.from_hparams(args.game, hparams.get(set_name))
        ours = atari.AtariEnv(config, NUM_ENVS, seed=0)
        ours_sps = steps_per_second(ours, args.steps)
        ours.close()
        peer = make_gymnasium_env(game_id, size, grayscale)
        peer_sps = steps_per_second(peer, args.steps)
        peer.close()
        print(f"{name}: AtariEnv {ours_sps:7.0f} steps/s | gymnasium AsyncVectorEnv "
              f"{peer_sps:7.0f} steps/s | ratio {ours_sps / peer_sps:.2f}x")


if __name__ == "__main__":
    main()
