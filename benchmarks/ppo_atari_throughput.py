"""PPO agent steps/s on Atari (rollouts and updates, wall clock), beside Stable-Baselines3.

Runs our PPO with `ppo_atari_cleanrl` (the CleanRL / RL Zoo settings: 8 envs x 128 steps,
4 epochs of 4 minibatches, Nature CNN on 84x84 gray x 4) for --steps agent steps, then the
peer script ../shared/peers/sb3_ppo_atari.py with the same settings in its own virtual
environment, and prints both and their ratio, measured in one run. With --rounds 2 or more
the two alternate ours, SB3, SB3, ours, ... (each run --steps long), so a drift in the
machine's speed during the run (this shared machine drifts by up to 30% within an hour)
falls on both alike; the ratio is then of the summed steps over the summed seconds.

Setting up the peer (once): python -m venv /tmp/sb3venv &&
  /tmp/sb3venv/bin/pip install torch==2.13.0 stable-baselines3 "gymnasium[atari]" \
  opencv-python-headless

Usage: python benchmarks/ppo_atari_throughput.py [--steps 20480] [--rounds 1] [--game pong]
           [--sb3_python /tmp/sb3venv/bin/python] [--peer_script PATH] [--hparams '...']
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import hparams  # noqa: E402
from rl import model_free  # noqa: E402

PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "peers",
                    "sb3_ppo_atari.py")


def ours(game, steps, overrides, seed):
    hp = hparams.resolve("ppo_atari_cleanrl", overrides)
    per_iteration = hp.num_agents * hp.epoch_length
    hp.epochs_num = max(1, steps // per_iteration)
    # Checkpoints and SavedModel exports happen once, at the end, as in a long run's
    # steady state (every 50 iterations there).
    hp.save_every = hp.epochs_num
    out = tempfile.mkdtemp(prefix="ppo_bench_")
    start = time.time()
    summary = model_free.train(f"stacked_{game}", hp, out, seed=seed, log_every_s=1e9)
    summary["call_seconds"] = time.time() - start
    # Like the peer's figure (it times model.learn() only): the training loop, rollouts
    # and updates, without imports, env creation and network building.
    return summary["loop_env_steps"] / summary["loop_seconds"], summary


def peer(python, script, game, steps, seed):
    game_id = "".join(p.capitalize() for p in game.split("_")) + "NoFrameskip-v4"
    result = subprocess.run([python, script, game_id, str(steps), str(seed)],
                            capture_output=True, text=True, check=True)
    line = result.stdout.strip().splitlines()[-1]
    return float(re.search(r"wall_s=([\d.]+)", line).group(1)), line


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20480)
    parser.add_argument("--rounds", type=int, default=1,
                        help="alternate the two this many times each (ours, SB3, SB3, ours...)")
    parser.add_argument("--game", default="pong")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hparams", default="")
    parser.add_argument("--sb3_python", default="/tmp/sb3venv/bin/python")
    parser.add_argument("--peer_script", default=PEER,
                        help="the SB3 script (default: ../shared/peers/ beside this checkout; "
                        "give it when running from a clone elsewhere)")
    args = parser.parse_args()
    if not os.path.exists(args.sb3_python):
        print(f"peer: {args.sb3_python} not found; see this file's docstring to set it up")
    elif not os.path.exists(args.peer_script):
        print(f"peer: {args.peer_script} not found; pass --peer_script")
    with_peer = os.path.exists(args.sb3_python) and os.path.exists(args.peer_script)
    totals = {"ours": [0, 0.0], "sb3": [0, 0.0]}  # steps, seconds

    def run_ours():
        sps, summary = ours(args.game, args.steps, args.hparams, args.seed)
        print(f"ours: {summary['env_steps']} steps, training loop "
              f"{summary['loop_seconds']:.1f}s = {sps:.0f} steps/s (whole call with setup "
              f"{summary['call_seconds']:.1f}s); ppo_atari_cleanrl {args.hparams}; "
              f"mean return {summary['mean_return']}", flush=True)
        totals["ours"][0] += summary["loop_env_steps"]
        totals["ours"][1] += summary["loop_seconds"]

    def run_peer():
        seconds, line = peer(args.sb3_python, args.peer_script, args.game, args.steps,
                             args.seed)
        print(f"peer: {line}", flush=True)
        totals["sb3"][0] += args.steps
        totals["sb3"][1] += seconds

    for round_index in range(args.rounds):
        order = [run_ours, run_peer] if round_index % 2 == 0 else [run_peer, run_ours]
        for run in order:
            if run is run_ours or with_peer:
                run()
    if with_peer:
        ours_sps, sb3_sps = (steps / seconds for steps, seconds in totals.values())
        print(f"ratio ours / sb3: {ours_sps / sb3_sps:.2f}x ({ours_sps:.0f} vs {sb3_sps:.0f} "
              f"steps/s over {args.rounds} round(s))")


if __name__ == "__main__":
    main()
