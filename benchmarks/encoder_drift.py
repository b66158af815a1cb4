"""How much one epoch of world-model training moves a latent loop's encoder, and what that
does to the policy that reads it (rl/policy_realign.py).

From a run's two newest world-model checkpoints (or --old / --new), on windows of the
run's start arrays (the real data PPO's rollouts start from): the mean change of the
latents of the same windows beside the latents' own spread, and for the run's newest
policy the share of windows where its greedy action is the same on both encodings and
the KL divergence between its action distributions. Then the realignment the loop does
with policy_realign_steps: a snapshot of the policy on the old encoding, realigned on the
new one, and the same measures on the windows measured before (the snapshot's 8,192
windows include most of them on a small collection: a check of the fit, not of
generalization).

Usage: python benchmarks/encoder_drift.py RUN_DIR --game G [--loop_hparams k=v,...]
           [--old CKPT --new CKPT] [--steps 1000]
"""

import argparse
import os
import sys
import tempfile

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import loop_run  # noqa: E402
from problems import input_pipeline  # noqa: E402
from rl import policy_realign  # noqa: E402
from rl.simulated_env import start_arrays  # noqa: E402


def _compare(network, old_latents, new_latents):
    old_logits, _ = policy_realign.outputs(network, old_latents)
    agreement, kl = policy_realign.departure(network, new_latents, old_logits)
    return f"greedy actions the same on {agreement:.3f} of the windows, KL {kl:.4f}"


def main():
    parser = argparse.ArgumentParser()
    loop_run.add_run_arguments(parser)
    parser.add_argument("--old", default="")
    parser.add_argument("--new", default="")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--windows", type=int, default=2048)
    args = parser.parse_args()
    loop, data_dir, dataset, num_actions, frame_shape = loop_run.open_run(args)
    checkpoints = tf.train.get_checkpoint_state(
        os.path.join(args.output_dir, "world_model", "checkpoints")).all_model_checkpoint_paths
    old_path, new_path = args.old or checkpoints[-2], args.new or checkpoints[-1]
    old = loop_run.restore_world_model(args, loop, num_actions, frame_shape,
                                       checkpoint=old_path)
    new = loop_run.restore_world_model(args, loop, num_actions, frame_shape,
                                       checkpoint=new_path)
    network = loop_run.restore_policy(args, loop, old.latent_size, num_actions)
    arrays = start_arrays(input_pipeline.load_split(data_dir, dataset, "train"),
                          loop.simulated_starts_all_epochs)
    rng = np.random.default_rng(0)
    windows = rng.integers(0, len(arrays["frame"]) - old.stack_size, args.windows)
    old_latents = old.encode_windows(arrays["frame"], windows)
    new_latents = new.encode_windows(arrays["frame"], windows)
    spread = float(np.mean(np.abs(old_latents - old_latents.mean(0))))
    print(f"{args.output_dir}: world model {os.path.basename(old_path)} -> "
          f"{os.path.basename(new_path)}, {args.windows} windows of {len(arrays['frame'])} "
          f"frames")
    print(f"latents moved by {np.mean(np.abs(new_latents - old_latents)):.4f} on average "
          f"(their spread about their mean: {spread:.4f})")
    print(f"the run's newest policy on the old and the new encoding: "
          f"{_compare(network, old_latents, new_latents)}")
    reference = network.get_weights()
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = os.path.join(tmp, "snapshot.npz")
        policy_realign.snapshot(network, old, arrays, snapshot, seed=1)
        result = policy_realign.realign(network, new, arrays, snapshot, args.steps, seed=1)
    print(f"realigned ({args.steps} steps): {policy_realign.describe(result)}")
    realigned = network.get_weights()
    network.set_weights(reference)
    original, _ = policy_realign.outputs(network, old_latents)
    network.set_weights(realigned)
    agreement, kl = policy_realign.departure(network, new_latents, original)
    print(f"on the {args.windows} windows, the realigned policy on the new encoding against "
          f"the policy on the old: greedy actions the same on {agreement:.3f}, KL {kl:.4f}")

if __name__ == "__main__":
    main()
