"""SimPLe at 100K real agent steps on this machine: one run of a loop set for a game and
seed, then its figures: mean raw return over full evaluation episodes at temperature 0 and
at the best evaluation temperature, real and simulated steps used, and wall clock per
phase (real collection, world model, PPO in the world model, evaluation).

Usage: python benchmarks/simple_100k.py --game freeway --seed 0
           [--loop_hparams_set rlmb_cpu] [--loop_hparams '...'] [--output_dir DIR]
Re-running with the same --output_dir resumes the run.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import hparams  # noqa: E402
from rl import model_based  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--game", default="freeway")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--loop_hparams_set", default="rlmb_cpu")
    parser.add_argument("--loop_hparams", default="")
    parser.add_argument("--output_dir", default=None)
    args = parser.parse_args()
    overrides = ",".join(filter(None, [f"game={args.game}", args.loop_hparams]))
    loop = hparams.resolve(args.loop_hparams_set, overrides)
    out = args.output_dir or f"/tmp/simple_100k/{args.loop_hparams_set}_{args.game}_{args.seed}"
    start = time.time()
    summary = model_based.train(loop, out, seed=args.seed)
    wall = time.time() - start
    final = summary["final_eval"]
    raw = {k[len("eval/mean_return/"):-len("_unclipped")]: v for k, v in final.items()
           if k.endswith("_unclipped")}
    at_zero = {k: v for k, v in raw.items() if k.startswith("temp_0.0_")}
    best = max(raw.items(), key=lambda kv: kv[1]) if raw else (None, None)
    print(json.dumps({
        "game": args.game, "seed": args.seed, "loop_hparams_set": args.loop_hparams_set,
        "loop_hparams": overrides, "output_dir": out,
        "mean_raw_return_temp_0": at_zero, "best": {"setting": best[0], "return": best[1]},
        "real_env_steps": summary["real_env_steps"],
        "simulated_env_steps": summary["simulated_env_steps"],
        "phase_seconds": {k: round(v, 1) for k, v in summary["phase_seconds"].items()},
        "wall_seconds_this_run": round(wall, 1),
        "peak_memory_mb": summary["peak_memory_mb"],
        # Random play, the best constant action (measured with the evaluation's
        # settings), model-free PPO at 100K and SimPLe: the scores to read these beside.
        "baselines": summary["baselines"],
        "learning_curve": os.path.join(out, "learning_curve.png"),
    }, indent=2))


if __name__ == "__main__":
    main()
