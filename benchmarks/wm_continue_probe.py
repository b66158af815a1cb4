"""Screens a change to the latent world model's training in minutes, on a loop run's own
data and model: the run's newest world-model checkpoint trains on for --steps more steps
on all the run's data, with --wm_hparams overrides (a loss weight, say), and every
--every steps prints what PPO in it would meet: the episode-end head on the dev split's
episode ends, lost lives and other steps (benchmarks/episode_ends.py), and how much the
held actions' imagined rewards differ (benchmarks/action_spread.py). Run it once without
overrides as the control: both continue from the same checkpoint.

Usage: python benchmarks/wm_continue_probe.py RUN_DIR --game G [--loop_hparams_set ...]
           [--loop_hparams ...] [--wm_hparams k=v,...] [--steps 1000] [--every 250]
           [--sequences 1024] [--windows 1024]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import loop_run  # noqa: E402
from action_spread import spread_line  # noqa: E402
from episode_ends import head_on_data  # noqa: E402
from problems import input_pipeline  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    loop_run.add_run_arguments(parser)
    parser.add_argument("--wm_hparams", default="")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--every", type=int, default=250)
    parser.add_argument("--sequences", type=int, default=1024)
    parser.add_argument("--windows", type=int, default=1024)
    args = parser.parse_args()
    loop, data_dir, dataset, num_actions, frame_shape = loop_run.open_run(args)
    train = input_pipeline.load_split(data_dir, dataset, "train")
    dev = input_pipeline.load_split(data_dir, dataset, "dev")
    model = loop_run.restore_world_model(args, loop, num_actions, frame_shape, args.wm_hparams)
    hp = model.hparams
    sample = input_pipeline.sequence_sampler(train, model.stack_size, hp.unroll_steps,
                                             hp.batch_size, hp.rewarded_sequence_fraction,
                                             seed=11)
    print(f"{args.output_dir} ({loop.game}), from world-model step {model.step}, "
          f"overrides '{args.wm_hparams}'", flush=True)

    def report():
        print(f"-- step {model.step}", flush=True)
        head_on_data(model, dev, args.sequences, hp.unroll_steps)
        print(spread_line(model, train, args.windows, 32), flush=True)

    report()
    began = time.time()
    for done in range(1, args.steps + 1):
        losses = model.train_step(sample())
        if done % args.every == 0 or done == args.steps:
            print(f"{done} steps, {done / (time.time() - began):.2f} steps/s; losses: "
                  + ", ".join(f"{k} {v:.4f}" for k, v in sorted(losses.items())
                              if k.endswith("loss")), flush=True)
            report()


if __name__ == "__main__":
    main()
