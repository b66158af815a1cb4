"""Does a latent loop's world model think the actions matter? From random start windows
of a run's data, each action is held for a rollout in imagination, and the summed
expected rewards are compared: their mean, and the spread between the best and the worst
action per window. Where the spread is small beside the mean, the model predicts the
rewards without the agent's part in them, and PPO in it has nothing to learn (Breakout's
serve, Pong's paddle: benchmarks/RESULTS.md).

Usage: python benchmarks/action_spread.py RUN_DIR --game G [--loop_hparams_set rlmb_latent]
           [--loop_hparams k=v,...] [--windows 2048] [--steps 32]

RUN_DIR is a finished or running latent loop's output directory, the game and loop
hparams those it was run with; its newest world-model checkpoint is measured.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

from loop_run import (add_run_arguments, resolve_loop_hparams,  # noqa: E402
                      restore_world_model)
from problems import dataset_files, input_pipeline  # noqa: E402
from rl import loop_schedule  # noqa: E402
from rl.imagination_env import held_action_totals  # noqa: E402
from rl.simulated_env import RealStarts  # noqa: E402


def spread_line(model, arrays, windows, steps):
    """Each action held `steps` imagined steps from `windows` random start windows of
    `arrays`: the summed expected rewards' mean, the best minus the worst action's on
    average (and as a multiple of the mean), the share of windows where that exceeds
    0.5, and each action's mean, as one line."""
    starts = RealStarts(arrays, model.stack_size, steps)
    rng = np.random.default_rng(0)
    chosen = rng.choice(len(starts.windows), min(windows, len(starts.windows)),
                        replace=False)
    latents = model.encode_windows(arrays["frame"], starts.windows[chosen])
    expected, _ = held_action_totals(model, latents, steps)
    spread = expected.max(1) - expected.min(1)
    mean = float(expected.mean())
    return (f"each action held {steps} imagined steps from {len(chosen)} windows: mean "
            f"summed expected reward {mean:.3f}; best minus worst action "
            f"{spread.mean():.3f} on average ({spread.mean() / max(abs(mean), 1e-6):.2f} x "
            f"the mean), above 0.5 at {np.mean(spread > 0.5):.3f} of the windows; per "
            f"action {[round(float(x), 3) for x in expected.mean(0)]}")


def main():
    parser = argparse.ArgumentParser()
    add_run_arguments(parser)
    parser.add_argument("--windows", type=int, default=2048)
    parser.add_argument("--steps", type=int, default=32)
    args = parser.parse_args()
    loop = resolve_loop_hparams(args)
    data_dir = os.path.join(args.output_dir, "data")
    dataset = loop_schedule.dataset_name(loop.game)
    arrays = input_pipeline.load_split(data_dir, dataset, "train")
    num_actions = dataset_files.dataset_stats(data_dir, dataset)["frame_format"]["num_actions"]
    model = restore_world_model(args, loop, num_actions, arrays["frame"].shape[1:])
    print(f"{args.output_dir} ({loop.game}, world-model step {model.step}): "
          + spread_line(model, arrays, args.windows, args.steps), flush=True)


if __name__ == "__main__":
    main()
