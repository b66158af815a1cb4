"""How far ahead a latent world model knows the rewards: from real dev starts, imagine
along the real actions for --steps steps and compare the likeliest imagined reward of
each step with the real one, per band of steps.

For each band it prints the real rewarded steps, the share of them the model gets right
at that step, the share it gets within --slack steps (the same sign, a little early or
late: in Pong whether a point is lost matters more than the step it shows), and the
model's false alarms per 100 unrewarded steps. PPO in imagination learns what an action
earns only from rewards the model still predicts when they come; a band where the
model's share falls to the "never a reward" baseline (0) is past what it knows.

Usage: python benchmarks/reward_horizon.py DATA_DIR --game pong --wm_set SET
           --wm_dir DIR [--wm_hparams k=v,...] [--dataset gym_pong_random]
           [--steps 32] [--rollouts 2048] [--slack 2]
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()

import tensorflow as tf  # noqa: E402

import hparams  # noqa: E402
from models.latent_world_model import LatentWorldModel  # noqa: E402
from problems import dataset_files, input_pipeline  # noqa: E402
from rl import world_model_eval  # noqa: E402


def imagined_rewards(model, arrays, starts, steps):
    """(imagined likeliest rewards, real rewards), int [N, steps], along real actions."""
    stack = model.stack_size
    latent = model.encode(arrays["frame"][starts[:, None] + np.arange(stack)])
    acting = starts[:, None] + stack - 1 + np.arange(steps)
    imagined = []
    for k in range(steps):
        latent, reward, _ = model.imagine(latent, arrays["action"][acting[:, k]])
        imagined.append(np.round(reward).astype(np.int64))
    return np.stack(imagined, 1), arrays["reward"][acting].astype(np.int64)


def band_measures(imagined, real, slack):
    """Per step: rewarded real steps, right at the step, right within `slack` steps, and
    false alarms (a reward imagined where the real step has none)."""
    steps = real.shape[1]
    rewarded = real != 0
    exact = rewarded & (imagined == real)
    near = np.zeros_like(rewarded)
    for shift in range(-slack, slack + 1):
        lo, hi = max(0, shift), min(steps, steps + shift)
        near[:, lo - shift:hi - shift] |= imagined[:, lo:hi] == real[:, lo - shift:hi - shift]
    near &= rewarded
    false = (~rewarded) & (imagined != 0)
    return rewarded.sum(0), exact.sum(0), near.sum(0), false.sum(0), (~rewarded).sum(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir")
    parser.add_argument("--game", default="pong")
    parser.add_argument("--dataset", default="")
    parser.add_argument("--wm_set", default="latent_dynamics_ensemble")
    parser.add_argument("--wm_hparams", default="")
    parser.add_argument("--wm_dir", required=True)
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--rollouts", type=int, default=2048)
    parser.add_argument("--slack", type=int, default=2)
    parser.add_argument("--band", type=int, default=4)
    args = parser.parse_args()

    dataset = args.dataset or f"gym_{args.game}_random"
    fmt = dataset_files.dataset_stats(args.data_dir, dataset)["frame_format"]
    dev = input_pipeline.load_split(args.data_dir, dataset, "dev")
    wm_hp = hparams.resolve(args.wm_set, args.wm_hparams)
    model = LatentWorldModel(wm_hp, fmt["num_actions"],
                             (fmt["height"], fmt["width"], fmt["channels"]))
    checkpoint = tf.train.latest_checkpoint(args.wm_dir)
    if checkpoint is None:
        sys.exit(f"no world-model checkpoint in {args.wm_dir}")
    model.checkpoint.restore(checkpoint).expect_partial()
    starts = world_model_eval.rollout_starts(dev, model.stack_size, args.steps,
                                             args.rollouts, np.random.default_rng(0))
    imagined, real = imagined_rewards(model, dev, starts, args.steps)
    rewarded, exact, near, false, quiet = band_measures(imagined, real, args.slack)
    print(f"{args.wm_set} {args.wm_hparams} at step {model.step}, {len(starts)} dev rollouts "
          f"of {args.steps} steps along the real actions")
    print(f"steps | real rewards | right at the step | right within {args.slack} steps "
          f"| false alarms per 100 unrewarded")
    for lo in range(0, args.steps, args.band):
        band = slice(lo, min(lo + args.band, args.steps))
        count = max(int(rewarded[band].sum()), 1)
        print(f"{lo + 1}-{band.stop} | {int(rewarded[band].sum())} | "
              f"{exact[band].sum() / count:.2f} | {near[band].sum() / count:.2f} | "
              f"{100 * false[band].sum() / max(int(quiet[band].sum()), 1):.2f}")


if __name__ == "__main__":
    main()
