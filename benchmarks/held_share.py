"""How much of a collection would held random actions replace under a run's policy, and
where: a check, without a loop run, of what `real_random_hold_probability` and
rl/collect.HeldRandomActions' `after_unrewarded_steps` gate do to the play of a policy.

The exported policy (an epoch's SavedModel) collects as the loop's collections do: fresh
episodes in --envs sub-envs, --steps steps each, at the collection's sampling temperature,
its actions passed through rl/collect.HeldRandomActions. Printed: the share of steps
replaced, the share of steps in which a sub-env had gone --after_unrewarded steps without
a positive reward (where a gated hold may start), and the summed raw reward per sub-env,
for each gate in --after_unrewarded (0: no gate) on the same seeds.

Usage: python benchmarks/held_share.py POLICY_DIR --game kung_fu_master
           [--probability 0.05] [--after_unrewarded 0,50] [--envs 16] [--steps 400]
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

from problems import atari  # noqa: E402
from rl import datagen  # noqa: E402
from rl.collect import HeldRandomActions  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("policy_dir")
    parser.add_argument("--game", required=True)
    parser.add_argument("--probability", type=float, default=0.05)
    parser.add_argument("--after_unrewarded", default="0,50")
    parser.add_argument("--mean_hold", type=float, default=16)
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--envs", type=int, default=16)
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    for after in [int(a) for a in args.after_unrewarded.split(",")]:
        policy, config = datagen.load_agent(args.policy_dir, args.game, args.temperature,
                                            args.seed)
        env = atari.AtariEnv(config, args.envs, seed=args.seed)
        explore = HeldRandomActions(env.single_action_space.n, args.probability,
                                    args.mean_hold, seed=args.seed,
                                    after_unrewarded_steps=after)
        observations, _ = env.reset()
        stalled_steps, returns = 0, np.zeros(args.envs)
        for _ in range(args.steps):
            actions, _ = explore(np.asarray(policy(observations)))
            if after:
                stalled_steps += int((explore.unrewarded_steps >= after).sum())
            observations, rewards, terminated, truncated, info = env.step(actions)
            explore.observe(rewards, terminated | truncated)
            returns += info["raw_reward"]
        env.close()
        total = args.envs * args.steps
        print(f"gate {after}: held random actions in {100 * explore.replaced_share:.1f}% "
              f"of {total} steps; stalled (a hold may start) in "
              f"{100 * stalled_steps / total:.1f}%; raw reward per sub-env "
              f"{returns.mean():.1f}", flush=True)


if __name__ == "__main__":
    main()
