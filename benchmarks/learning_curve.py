"""Prints a run's learning curve from its metrics.jsonl: env steps against the mean raw
episode return, averaged over windows of iterations.

Usage: python benchmarks/learning_curve.py OUTPUT_DIR [--points 20] [--metric NAME]
"""

import argparse
import json
import os

import numpy as np


def curve(output_dir, metric, points):
    with open(os.path.join(output_dir, "metrics.jsonl")) as f:
        records = [json.loads(line) for line in f if line.strip()]
    series = sorted((r["step"], r["value"]) for r in records if r["name"] == metric)
    if not series:
        return []
    chunks = np.array_split(np.arange(len(series)), min(points, len(series)))
    return [(series[c[-1]][0], float(np.mean([series[i][1] for i in c]))) for c in chunks]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("output_dir")
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--metric", default="rollout/episode_return")
    args = parser.parse_args()
    for step, value in curve(args.output_dir, args.metric, args.points):
        print(f"{step:>10d} env steps  {args.metric} {value:9.2f}")


if __name__ == "__main__":
    main()
