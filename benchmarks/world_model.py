"""World-model figures on this machine, measured in one run.

1. Speed: for each world-model set at batch 16 on real Pong windows (105x80 RGB, and
   smaller with --resize_factors 2,4), train steps/s and predicted frames/s, and the arithmetic rate of a train step (FLOPs counted
   by TensorFlow's profiler on the step's graph, times steps/s) beside this machine's
   float32 matrix-product ceiling, measured here too.
2. Quality: on --steps of random-policy data per game, train `next_frame_cpu` for a fixed
   wall-clock budget, then report dev per-pixel accuracy and reward accuracy at 1 and at
   12 steps, each beside its baseline (copy the last frame; never predict a reward).

Usage: python benchmarks/world_model.py [--budget_minutes 30] [--games pong,freeway]
           [--steps 30000] [--sets next_frame_tiny,next_frame_cpu,...] [--skip_quality]
           [--resize_factors 2,4] [--hparams batch_size=16,...]
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
from models.world_model import WorldModel  # noqa: E402
from problems import input_pipeline  # noqa: E402
from rl import datagen, world_model_trainer  # noqa: E402

SETS = ["next_frame_tiny", "next_frame_cpu", "next_frame", "next_frame_basic_deterministic",
        "next_frame_basic_stochastic_discrete"]


def matmul_ceiling(size=4096, repeats=20):
    a = tf.random.normal((size, size))
    b = tf.random.normal((size, size))
    f = tf.function(lambda x, y: tf.matmul(x, y))
    f(a, b).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        result = f(a, b)
    result.numpy()
    return 2 * size ** 3 * repeats / (time.perf_counter() - start) / 1e9


def train_step_flops(model, batch):
    concrete = model._train.get_concrete_function(batch)
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    profile = tf.compat.v1.profiler.profile(concrete.graph, options=options)
    return profile.total_float_ops


def speed(set_name, arrays, steps, batch_size=16, overrides=""):
    hp = hparams.resolve(set_name, ",".join(filter(None, [f"batch_size={batch_size}",
                                                          overrides])))
    model = WorldModel(hp, 6, arrays["frame"].shape[1:])
    # Windows with the set's own number of target frames (the stochastic set trains on 6
    # a window, predicted one after another).
    batches = list(input_pipeline.window_dataset(
        arrays, 4, batch_size, targets=hp.video_num_target_frames).take(3))
    batches = [{k: tf.constant(v) for k, v in b.items()} for b in batches]
    model.train_step(batches[0])
    start = time.perf_counter()
    for i in range(steps):
        model.train_step(batches[i % 3])
    train_rate = steps / (time.perf_counter() - start)
    frames, actions = batches[0]["inputs"].numpy(), batches[0]["input_actions"][:, -1].numpy()
    model.predict(frames, actions)
    start = time.perf_counter()
    for _ in range(steps):
        model.predict(frames, actions)
    predict_rate = steps * batch_size / (time.perf_counter() - start)
    flops = train_step_flops(model, batches[0])
    return train_rate, predict_rate, flops


def quality(game, num_steps, budget_s, work_dir):
    data_dir = os.path.join(work_dir, f"{game}_data")
    datagen.generate(data_dir, game, num_steps, hparams.get("atari_simple"), seed=0)
    hp = hparams.get("next_frame_cpu")
    summary, _ = world_model_trainer.train(
        world_model_trainer.TrainingRun(data_dir, os.path.join(work_dir, f"{game}_wm"),
                                        f"gym_{game}_random", hp.model, hp,
                                        train_steps=10 ** 9),
        world_model_trainer.Schedule(eval_steps=50, eval_every=10 ** 9, save_every=10 ** 9,
                                     video_frames=24, time_budget_s=budget_s,
                                     log_every_s=60))
    return summary


def speed_line(set_name, size, arrays, args, ceiling):
    train_rate, predict_rate, flops = speed(set_name, arrays, args.speed_steps,
                                            overrides=args.hparams)
    gflops = flops * train_rate / 1e9
    print(f"{set_name:32s} {size:8s} batch 16: {train_rate:6.2f} train steps/s, "
          f"{predict_rate:7.1f} predicted frames/s, {flops / 1e9:7.1f} GFLOP per "
          f"train step -> {gflops:5.0f} GFLOP/s ({100 * gflops / ceiling:.0f}% of "
          "the matmul ceiling)", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--budget_minutes", type=float, default=30)
    parser.add_argument("--games", default="pong,freeway")
    parser.add_argument("--steps", type=int, default=30000)
    parser.add_argument("--sets", default=",".join(SETS))
    parser.add_argument("--speed_steps", type=int, default=10)
    parser.add_argument("--skip_quality", action="store_true")
    parser.add_argument("--skip_speed", action="store_true")
    parser.add_argument("--resize_factors", default="2",
                        help="speed at 210/f x 160/f frames for each f (2: SimPLe's 105x80)")
    parser.add_argument("--grayscale", action="store_true", help="gray frames for speed")
    parser.add_argument("--hparams", default="", help="overrides for every set, e.g. "
                        "compute_dtype=float32")
    args = parser.parse_args()
    work_dir = tempfile.mkdtemp(prefix="wm_bench_")
    print(f"{os.cpu_count()} cores; work dir {work_dir}", flush=True)
    if not args.skip_speed:
        ceiling = matmul_ceiling()
        print(f"float32 matmul ceiling: {ceiling:.0f} GFLOP/s", flush=True)
        for factor in [int(f) for f in args.resize_factors.split(",")]:
            speed_dir = os.path.join(work_dir, f"speed_data_{factor}")
            env = hparams.resolve("atari_simple", f"resize_height_factor={factor},"
                                  f"resize_width_factor={factor},grayscale={args.grayscale}")
            datagen.generate(speed_dir, "pong", 2000, env, seed=0)
            arrays = input_pipeline.load_split(speed_dir, "gym_pong_random", "train")
            size = "x".join(str(d) for d in arrays["frame"].shape[1:])
            for set_name in args.sets.split(","):
                speed_line(set_name, size, arrays, args, ceiling)

    if not args.skip_quality:
        for game in args.games.split(","):
            s = quality(game, args.steps, args.budget_minutes * 60, work_dir)
            dev = s["dev"]
            print(f"{game}: next_frame_cpu, {args.budget_minutes:g} min, {s['step']} steps | "
                  f"dev pixel accuracy {dev['pixel_accuracy']:.4f} (copy last "
                  f"{dev['baseline_copy_last/pixel_accuracy']:.4f}) | reward accuracy at 1 "
                  f"{s['reward_accuracy_at_1']:.3f} (no reward "
                  f"{s['baseline_no_reward_accuracy_at_1']:.3f}), at 12 "
                  f"{s['reward_accuracy_at_12']:.3f} (no reward "
                  f"{s['baseline_no_reward_accuracy_at_12']:.3f}) | video {s['video']}",
                  flush=True)


if __name__ == "__main__":
    main()
