"""Pixel world-model training speed with compute_dtype=auto against an explicit bfloat16,
alternated in one process so that a shared machine's noise falls on both alike.

On a CPU without bfloat16 instructions `auto` is float32 and the ratio is what `auto`
saves; on one with them both are bfloat16 and the ratio is about 1.

Usage: python benchmarks/compute_dtype_ab.py [--set next_frame_cpu_small_frames]
           [--rounds 3] [--steps 4]
"""

import argparse
import os
import sys
import tempfile
import time

import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import hparams  # noqa: E402
from models import precision  # noqa: E402
from models.world_model import WorldModel  # noqa: E402
from problems import dataset_files, input_pipeline  # noqa: E402
from rl import datagen  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", default="next_frame_cpu_small_frames")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="dtype_ab_")
    datagen.generate(data_dir, "pong", 400, hparams.get("rlmb_cpu"), seed=0, num_envs=4)
    fmt = dataset_files.dataset_stats(data_dir, "gym_pong_random")["frame_format"]
    arrays = input_pipeline.load_split(data_dir, "gym_pong_random", "train")
    print(f"native bfloat16 on this CPU: {precision.native_bfloat16()}", flush=True)
    models = []
    for dtype in ("auto", "bfloat16"):
        hp = hparams.resolve(args.set, f"compute_dtype={dtype}")
        model = WorldModel(hp, fmt["num_actions"], (fmt["height"], fmt["width"],
                                                    fmt["channels"]), "next_frame_basic")
        starts = input_pipeline.window_starts(arrays["episode"], arrays["frame_number"],
                                              4)[:hp.batch_size]
        batch = {k: tf.constant(v) for k, v in
                 input_pipeline.gather_windows(arrays, starts, 4).items()}
        model.train_step(batch)  # traced outside the timing
        models.append((dtype, model, batch))
    rates = {dtype: [] for dtype, _, _ in models}
    for round_index in range(args.rounds):
        for dtype, model, batch in models:
            began = time.time()
            for _ in range(args.steps):
                model.train_step(batch)
            rates[dtype].append(args.steps / (time.time() - began))
            print(f"round {round_index}: compute_dtype={dtype}: "
                  f"{rates[dtype][-1]:.2f} train steps/s", flush=True)
    auto, forced = (sum(rates[d]) / len(rates[d]) for d in ("auto", "bfloat16"))
    print(f"{args.set}: auto {auto:.2f} steps/s, bfloat16 {forced:.2f}: "
          f"{auto / forced:.2f}x", flush=True)


if __name__ == "__main__":
    main()
