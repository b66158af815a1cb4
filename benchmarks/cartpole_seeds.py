"""The CartPole test's settings over several seeds: how wide is its margin above 195?

PPO training here is not bit-reproducible (one seed, run twice, can score differently),
so a test that passes once may fail on another machine. This runs exactly the test's hparams
for each seed (repeat a seed to see run-to-run spread) and prints the mean return of the
last 100 episodes after the test's budget.

Usage: python benchmarks/cartpole_seeds.py --seeds 0,0,0,1,2,3,4,5,6,7
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
from rl import model_free  # noqa: E402
from tests.test_ppo import CARTPOLE_OVERRIDES  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="0,1,2,3")
    args = parser.parse_args()
    returns = []
    for seed in (int(s) for s in args.seeds.split(",")):
        began = time.time()
        hp = hparams.resolve("ppo_discrete_action_base", CARTPOLE_OVERRIDES)
        with tempfile.TemporaryDirectory() as out:
            summary = model_free.train("CartPole-v1", hp, out, seed=seed, log_every_s=1e9)
        returns.append(summary["mean_return"])
        print(f"seed {seed}: mean return {summary['mean_return']:.1f} "
              f"({time.time() - began:.0f} s)", flush=True)
    print(f"min {min(returns):.1f}, max {max(returns):.1f} over {len(returns)} runs "
          f"(the test asserts >= 195)")


if __name__ == "__main__":
    main()
