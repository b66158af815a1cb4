"""Where a run's greedy policy stops scoring: which held action would the game pay for
there, and does the run's world model know it?

The exported policy (an epoch's SavedModel) plays the real game greedily from a reset,
in an emulator of its own (benchmarks/cloned_game.py), for --steps agent steps; the
last step that paid is printed. From the state reached, each action is held for k agent
steps (k in --holds) and then the greedy policy plays on for --after steps: the game's
summed clipped reward of that play, and the world model's imagined one for the same
action sequence (from the encoding of the stalled state's last 4 frames, the mean over
the ensemble's draws). A held action that the game pays for and the model does not is a
way on the model has never seen; one the policy never takes at temperature 1 is one no
collection will show it.

Usage: python benchmarks/stall_escape.py OUTPUT_DIR --game crazy_climber
           [--epoch N (default: the newest exported)] [--steps 340] [--holds 0,10,20,30,40]
           [--after 60] [--actions 1,2,5,7 (default: all)] [--frames_png PATH]
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import cloned_game  # noqa: E402
import loop_run  # noqa: E402
from rl import datagen  # noqa: E402


def newest_policy(output_dir):
    epochs = sorted(os.listdir(os.path.join(output_dir, "policy")))
    return os.path.join(output_dir, "policy", epochs[-1])


def main():
    parser = argparse.ArgumentParser()
    loop_run.add_run_arguments(parser)
    parser.add_argument("--epoch", type=int, default=-1)
    parser.add_argument("--steps", type=int, default=340)
    parser.add_argument("--holds", default="0,10,20,30,40")
    parser.add_argument("--after", type=int, default=60)
    parser.add_argument("--actions", default="")
    parser.add_argument("--calibrate_at", type=int, default=200,
                        help="also from this step of the greedy play: its next --after "
                             "steps in the game and in the model, for scale")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--frames_png", default="",
                        help="write the policy's last frames every 20 steps as one image")
    args = parser.parse_args()

    policy_path = (newest_policy(args.output_dir) if args.epoch < 0 else
                   os.path.join(args.output_dir, "policy", f"epoch_{args.epoch:03d}"))
    policy, config = datagen.load_agent(policy_path, args.game, 0.0, args.seed)
    shape = (config.height, config.width)
    loop = loop_run.resolve_loop_hparams(args)
    ale = cloned_game.new_game(args.game, args.seed)
    actions = ale.getMinimalActionSet()
    model = loop_run.restore_world_model(args, loop, len(actions), shape + (1,))
    print(f"policy {policy_path}; world model at step {model.step}; actions "
          f"{[a.name for a in actions]}", flush=True)

    def observation(stack):
        return np.stack(stack)[None, ..., None]

    def play(stack, count, script=()):
        """Agent steps from the emulator's state: `script`'s actions, then greedy ones.
        (the actions taken, their clipped rewards, the last 4 frames)."""
        taken, rewards, stack = [], [], list(stack)
        for t in range(count):
            action = script[t] if t < len(script) else int(policy(observation(stack))[0])
            frame, reward = cloned_game.agent_step(ale, actions[action], shape)
            stack = stack[1:] + [frame]
            taken.append(action)
            rewards.append(float(np.clip(reward, -1, 1)))
        return taken, rewards, stack

    stack = [np.zeros(shape, np.uint8)] * model.stack_size
    snapshots = []
    taken, rewards = [], []
    calibration = None
    for t in range(args.steps):
        if t == args.calibrate_at:
            calibration = (ale.cloneState(), list(stack))
        step_taken, step_rewards, stack = play(stack, 1)
        taken += step_taken
        rewards += step_rewards
        if t % 20 == 0:
            snapshots.append(stack[-1])
    paid = [t for t, r in enumerate(rewards) if r]
    print(f"greedy play: {sum(rewards):.0f} (clipped) in {args.steps} steps, the last paying "
          f"step "
          f"{paid[-1] if paid else None}; its actions over the last 40 steps: "
          f"{np.bincount(taken[-40:], minlength=len(actions)).tolist()}", flush=True)
    if args.frames_png:
        import cv2
        tiles = [cv2.resize(f, (shape[1] * 4, shape[0] * 4), interpolation=cv2.INTER_NEAREST)
                 for f in snapshots]
        cv2.imwrite(args.frames_png, np.hstack(tiles))

    state = ale.cloneState()
    draws = 8

    def imagine(start_stack, sequence):
        latent = np.repeat(model.encode(observation(start_stack)), draws, 0)
        total = 0.0
        for a in sequence:
            latent, reward, _ = model.imagine(latent, np.full(draws, a), mean_reward=True)
            total += float(np.mean(reward))
        return total

    if calibration is not None:
        ale.restoreState(calibration[0])
        sequence, game, _ = play(calibration[1], args.after)
        print(f"for scale, greedy play from step {args.calibrate_at} for {args.after} steps: "
              f"game {sum(game):.0f}, model {imagine(calibration[1], sequence):.2f}",
              flush=True)
    chosen = ([int(a) for a in args.actions.split(",")] if args.actions
              else range(len(actions)))
    for action in chosen:
        line = []
        for hold in (int(k) for k in args.holds.split(",")):
            ale.restoreState(state)
            sequence, game, _ = play(stack, hold + args.after, [action] * hold)
            line.append(f"{hold}: {sum(game):.0f} / {imagine(stack, sequence):.2f}")
        print(f"hold {actions[action].name} k steps, then greedy for {args.after} "
              f"(game / model): " + ", ".join(line), flush=True)
    ale.restoreState(state)


if __name__ == "__main__":
    main()
