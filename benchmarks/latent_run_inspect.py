"""Looks inside a finished (or paused) rlmb_latent run: does its policy read the encodings
of real frames as it reads the latents it was trained on?

From --count states of the dev split of the run's latest collection, the world model
imagines --steps steps along the real actions. Printed per step: the policy's mean
entropy on the real encodings and on the imagined latents, how often its greedy actions
agree, its greedy action shares on both, and how far imagination drifted (squared
distance over the real latents' variance; 1 is as far as an unrelated state).

Usage: python benchmarks/latent_run_inspect.py OUTPUT_DIR --game freeway
           [--loop_hparams_set rlmb_latent] [--loop_hparams ...] [--steps 32] [--count 256]
"""

import argparse
import os
import sys

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import loop_run  # noqa: E402
from problems import dataset_files, input_pipeline  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    loop_run.add_run_arguments(parser)
    parser.add_argument("--steps", type=int, default=32)
    parser.add_argument("--count", type=int, default=256)
    args = parser.parse_args()
    loop, data_dir, dataset, num_actions, frame_shape = loop_run.open_run(args)
    model = loop_run.restore_world_model(args, loop, num_actions, frame_shape)
    size = model.latent_size
    network = loop_run.restore_policy(args, loop, size, num_actions)

    latest = dataset_files.list_epochs(data_dir, dataset)[-1]
    dev = input_pipeline.load_split(data_dir, dataset, "dev", [latest])
    batch = input_pipeline.sequence_sampler(dev, model.stack_size, args.steps, args.count,
                                            seed=2)()
    imagined = model._unroll(batch)[0].numpy()
    frames = batch["frames"].numpy()
    real = np.stack([model.encode(frames[:, j:j + model.stack_size])
                     for j in range(args.steps + 1)], 1)
    # With a transition ensemble every member unrolls its own chain, stacked along the
    # batch member by member: compare each chain with the same real latents.
    real = np.tile(real, (len(imagined) // len(real), 1, 1))

    def read(latents):
        logits = network(tf.constant(latents.reshape(-1, size))).logits
        probs = tf.nn.softmax(logits).numpy()
        entropy = -(probs * np.log(probs + 1e-9)).sum(-1)
        return entropy.reshape(latents.shape[:2]), probs.argmax(-1).reshape(latents.shape[:2])

    entropy_real, greedy_real = read(real)
    entropy_imagined, greedy_imagined = read(imagined)
    variance = real.var(axis=(0, 1)).mean()
    shown = sorted({1, 4, 16, args.steps} & set(range(1, args.steps + 1)))
    print(f"run {args.output_dir}, collection {latest}, {args.count} dev states, "
          f"{len(imagined) // args.count} transition chain(s) each")
    for k in shown:
        drift = ((imagined[:, k] - real[:, k]) ** 2).mean() / variance
        print(f"step {k}: entropy real {entropy_real[:, k].mean():.3f}, imagined "
              f"{entropy_imagined[:, k].mean():.3f}; greedy agreement "
              f"{(greedy_real[:, k] == greedy_imagined[:, k]).mean():.3f}; drift {drift:.3f}")
    for name, greedy in (("real", greedy_real), ("imagined", greedy_imagined)):
        shares = np.bincount(greedy.ravel(), minlength=num_actions) / greedy.size
        print(f"greedy action shares on the {name} latents: {np.round(shares, 3).tolist()}")


if __name__ == "__main__":
    main()
