"""Prints finished (or paused) model-based loop runs side by side, as benchmarks/RESULTS.md
reports them: after each epoch the mean raw return at the first evaluation temperature
with no-ops, its mean over the last epochs, every setting at the end, time per phase
and peak memory.

A single epoch's score is one policy over a few episodes and swings a lot between
epochs, so two settings of the loop compare better over the later epochs of runs with
the same seeds than at their ends alone. Each is also given on the human-normalized
scale ((score - random) / (human - random), rl/anchors.py), on which games add up.

Usage: python benchmarks/loop_runs_table.py RUN_DIR [RUN_DIR ...] [--last 5]
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import anchors  # noqa: E402


def read_run(output_dir):
    """Returns the run's loop hparams, its seed, its loop state and its per-step
    unclipped evaluation returns as {setting: {real_env_steps: return}}."""
    with open(os.path.join(output_dir, "hparams.json")) as f:
        saved = json.load(f)
    with open(os.path.join(output_dir, "loop_state.json")) as f:
        state = json.load(f)
    scores = {}
    prefix, suffix = "eval/mean_return/", "_unclipped"
    with open(os.path.join(output_dir, "metrics.jsonl")) as f:
        for line in f:
            if not line.strip():
                continue
            record = json.loads(line)
            name = record["name"]
            if name.startswith(prefix) and name.endswith(suffix):
                setting = name[len(prefix):-len(suffix)]
                scores.setdefault(setting, {})[record["step"]] = record["value"]
    return saved["loop_hparams"], saved.get("seed"), state, scores


def summarize(output_dir, last):
    loop, seed, state, scores = read_run(output_dir)
    headline = f"temp_{float(loop['eval_sampling_temps'][0])}_noops_{loop['eval_max_num_noops']}"
    if headline not in scores:
        raise SystemExit(f"{output_dir}: no evaluation at {headline} yet")
    per_epoch = [scores[headline][step] for step in sorted(scores[headline])]
    final_step = max(scores[headline])
    at_end = {setting: values[final_step] for setting, values in scores.items()
              if final_step in values}
    best = max(at_end, key=at_end.get)
    tail = per_epoch[-last:]
    game = loop["game"]

    def normalized(score):
        value = anchors.human_normalized(game, score)
        return None if value is None else round(value, 3)
    return {
        "run": output_dir,
        "game": game,
        "seed": seed,
        "headline setting": headline,
        "after each epoch": [round(v, 2) for v in per_epoch],
        f"mean of the last {len(tail)}": round(sum(tail) / len(tail), 2),
        f"mean of all {len(per_epoch)}": round(sum(per_epoch) / len(per_epoch), 2),
        "at the end": round(at_end[headline], 2),
        "best at the end": f"{round(at_end[best], 2)} ({best})",
        "human-normalized: at the end, mean of the last, of all": [
            normalized(at_end[headline]), normalized(sum(tail) / len(tail)),
            normalized(sum(per_epoch) / len(per_epoch))],
        "real env steps": state.get("real_env_steps"),
        "simulated env steps": state.get("simulated_env_steps"),
        "phase minutes": {phase: round(seconds / 60, 1)
                          for phase, seconds in state.get("phase_seconds", {}).items()},
        "peak memory MiB": round(state.get("peak_memory_mb", 0)),
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run_dirs", nargs="+")
    parser.add_argument("--last", type=int, default=5,
                        help="epochs at the end whose mean is printed")
    args = parser.parse_args()
    for output_dir in args.run_dirs:
        summary = summarize(output_dir, args.last)
        print(json.dumps(summary))


if __name__ == "__main__":
    main()
