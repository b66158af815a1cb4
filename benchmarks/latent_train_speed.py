"""The latent world model's training steps/s under several sets of overrides, alternated
in one process so that a shared machine's noise falls on all of them alike.

Sequences come from a short random Pong collection in rlmb_latent's frame format (52x40
gray). Each override string builds its own model; every round times --steps training
steps of each.

Usage: python benchmarks/latent_train_speed.py [--set latent_dynamics_cpu] [--rounds 3]
           [--steps 8] "" "decoded_steps=0" "decoded_steps=2,batch_size=48" ...
(no override strings: the set as it is, and with every unrolled step decoded)
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import hparams  # noqa: E402
from models.latent_world_model import LatentWorldModel  # noqa: E402
from problems import dataset_files, input_pipeline  # noqa: E402
from rl import datagen  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", default="latent_dynamics_cpu")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    variants = args.overrides or ["", "decoded_steps=0"]

    data_dir = tempfile.mkdtemp(prefix="latent_train_speed_")
    datagen.generate(data_dir, "pong", 2000, hparams.get("rlmb_latent"), seed=0, num_envs=4)
    fmt = dataset_files.dataset_stats(data_dir, "gym_pong_random")["frame_format"]
    arrays = input_pipeline.load_split(data_dir, "gym_pong_random", "train")
    frame_shape = (fmt["height"], fmt["width"], fmt["channels"])
    models = []
    for overrides in variants:
        hp = hparams.resolve(args.set, overrides)
        model = LatentWorldModel(hp, fmt["num_actions"], frame_shape)
        sample = input_pipeline.sequence_sampler(arrays, hp.video_num_input_frames,
                                                 hp.unroll_steps, hp.batch_size, seed=0)
        model.train_step(sample())  # traced outside the timing
        models.append((overrides or "(the set)", model, sample))
    rates = {name: [] for name, _, _ in models}
    for round_index in range(args.rounds):
        for name, model, sample in models:
            batches = [sample() for _ in range(args.steps)]
            began = time.time()
            for batch in batches:
                model.train_step(batch)
            rates[name].append(args.steps / (time.time() - began))
            print(f"round {round_index}: {name}: {rates[name][-1]:.2f} steps/s", flush=True)
    first = sum(rates[models[0][0]]) / args.rounds
    for name, values in rates.items():
        mean = sum(values) / len(values)
        print(f"{args.set} {name}: {mean:.2f} steps/s ({mean / first:.2f}x the first)",
              flush=True)


if __name__ == "__main__":
    main()
