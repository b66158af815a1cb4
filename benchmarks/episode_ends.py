"""Where does a latent loop's world model end its imagined episodes? An imagined end
terminates a rollout (PPO's value after it is 0), so a head that never fires leaves
done_on_life_loss without effect, and one that fires where the game goes on teaches PPO
that ordinary states are fatal.

1. On dev sequences of the run's data (all collections), the episode-end head's
   probability along the unroll from the real start, at the steps that end an episode,
   that lose a life, and all others: its mean there and how often it is above 0.5 (the
   threshold imagination uses).
2. The run's newest policy plays the run's imagination (LatentImaginationEnv with the
   loop's sub-envs, rollout length and starts) for --iterations rollouts of the loop's
   length at temperature 1: the share of imagined steps that end their episode, beside
   the share of the latest collection's real steps that end an episode or lose a life.
3. With --game_states N: from N states of the game, each action held --held steps in
   the game (cloned states) and in imagination: does the model's safest action keep the
   life where the actions decide it (game_measures.counterfactual_life_loss)?

Usage: python benchmarks/episode_ends.py RUN_DIR --game G [--loop_hparams_set rlmb_latent]
           [--loop_hparams k=v,...] [--sequences 2048] [--iterations 4]
           [--game_states 256 --held 16]
"""

import argparse
import os
import sys

import numpy as np
import tensorflow as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import loop_run  # noqa: E402
from game_measures import counterfactual_life_loss  # noqa: E402
from problems import input_pipeline  # noqa: E402
from rl import ppo  # noqa: E402
from rl.imagination_env import LatentImaginationEnv  # noqa: E402
from rl.simulated_env import start_arrays  # noqa: E402


def head_on_data(model, dev, sequences, steps):
    """Prints the episode-end head's probabilities along unrolls of dev sequences, along
    the real actions and along uniform random ones in their place: where the actions
    decide a lost life (a missed ball), a model that knows it rates the real steps that
    lost one differently under other actions."""
    batch = input_pipeline.sequence_sampler(dev, model.stack_size, steps, sequences,
                                            seed=3)()
    members = model.network.ensemble_size

    def probabilities(actions):
        logits = model._unroll(dict(batch, actions=actions))[3].numpy()
        return 1.0 / (1.0 + np.exp(-logits))

    real = probabilities(batch["actions"])
    rng = np.random.default_rng(4)
    shuffled = probabilities(tf.constant(rng.integers(
        0, model.network.num_actions, batch["actions"].shape), batch["actions"].dtype))
    ends = np.tile(batch["dones"].numpy(), (members, 1)) > 0
    lost = np.tile(batch["lives_lost"].numpy(), (members, 1)) > 0
    for name, where in (("episode ends", ends), ("lost lives", lost & ~ends),
                        ("other steps", ~ends & ~lost)):
        if where.any():
            print(f"{name}: {where.sum() // members} steps; head's mean probability "
                  f"{real[where].mean():.3f} (with random actions instead "
                  f"{shuffled[where].mean():.3f}), above 0.5 at "
                  f"{(real[where] > 0.5).mean():.3f}", flush=True)
        else:
            print(f"{name}: none in {sequences} sequences of {steps} steps", flush=True)


def main():
    parser = argparse.ArgumentParser()
    loop_run.add_run_arguments(parser)
    parser.add_argument("--sequences", type=int, default=2048)
    parser.add_argument("--iterations", type=int, default=4)
    parser.add_argument("--game_states", type=int, default=0)
    parser.add_argument("--held", type=int, default=16)
    args = parser.parse_args()
    loop, data_dir, dataset, num_actions, frame_shape = loop_run.open_run(args)
    model = loop_run.restore_world_model(args, loop, num_actions, frame_shape)
    wm = model.hparams
    print(f"{args.output_dir} ({loop.game}, world-model step {model.step}, "
          f"done_on_life_loss={wm.get('done_on_life_loss', False)})", flush=True)
    head_on_data(model, input_pipeline.load_split(data_dir, dataset, "dev"),
                 args.sequences, wm.unroll_steps)

    train = input_pipeline.load_split(data_dir, dataset, "train")
    latest = start_arrays(train, loop.simulated_starts_all_epochs)
    real_lost = np.diff(latest["lives"]) < 0
    same_episode = np.diff(latest["episode"]) == 0
    real_ends = float(np.mean(real_lost & same_episode)) + float(
        np.mean(~same_episode))
    network = loop_run.restore_policy(args, loop, model.latent_size, num_actions)
    env = LatentImaginationEnv(model, latest, loop.simulated_batch_size,
                               loop.simulated_rollout_length, seed=5,
                               reward_start_fraction=loop.simulated_reward_starts)
    observations, _ = env.reset(seed=5)
    generator = tf.random.Generator.from_seed(5)
    ended = steps = 0
    for _ in range(args.iterations * loop.simulated_rollout_length):
        actions = ppo.sample(network(tf.constant(observations)), 1.0, generator).numpy()
        observations, _, terminated, _, _ = env.step(actions)
        ended += int(terminated.sum())
        steps += len(actions)
    print(f"imagination under the run's policy (temperature 1): {ended / steps:.4f} of "
          f"{steps} steps end their episode; the latest collection's real steps: "
          f"{real_ends:.4f} end an episode (or a stretch of the data) or lose a life",
          flush=True)
    if args.game_states:
        counterfactual_life_loss(model, loop.game, frame_shape, args.held, args.game_states)


if __name__ == "__main__":
    main()
