"""Simulated steps/s for PPO in a learned model: rlmb_cpu's pixel simulator with its CNN
policy against rlmb_latent's latent imagination (its world-model set, its MLP policy,
sub-envs and rollout length; --latent_loop_hparams overrides the set) in one process.

For each: (a) acting and stepping the model only, (b) whole PPO iterations at the set's
own settings (collection, GAE, updates). Each measurement runs for --seconds after one
untimed warm-up iteration (tracing). Models are untrained: their cost does not depend on
their weights. Start frames are a few thousand steps of random Pong in the sets' frame
format (52x40 gray), collected here.

The pixel set runs in float32 unless --pixel_dtype says otherwise: on CPUs without
bfloat16 instructions (AVX2-only) float32 is its fastest.

Then the latent model's own training speed (steps/s at its set's batch and unroll), on
sequences of the same frames.

The last line is one JSON object: pixel_steps_per_s and latent_steps_per_s (both with
updates), ratio, the act-only figures and latent_model_train_steps_per_s.

Usage: python benchmarks/imagination_throughput.py [--seconds 60] [--pixel_dtype float32]
           [--latent_loop_hparams generative_model_params=latent_dynamics_ensemble]
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import gymnasium as gym
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from rl import runtime  # noqa: E402

runtime.set_up()  # before TensorFlow runs an op: its CPU allocator, its log levels

import hparams  # noqa: E402
from models import policies  # noqa: E402
from models.latent_world_model import LatentWorldModel  # noqa: E402
from models.world_model import WorldModel  # noqa: E402
from problems import input_pipeline  # noqa: E402
from rl import datagen, loop_schedule, ppo, rollout  # noqa: E402
from rl.imagination_env import LatentImaginationEnv  # noqa: E402
from rl.simulated_env import SimulatedBatchEnv  # noqa: E402


def measure(env, ppo_hp, seconds, with_updates):
    network = policies.make_policy_network(ppo_hp, env.single_observation_space,
                                           env.single_action_space)
    learner = ppo.PPOLearner(network, ppo_hp)
    collector = rollout.RolloutCollector(env, learner, seed=0)
    rng = np.random.default_rng(0)

    def iteration():
        batch = collector.collect(ppo_hp.epoch_length, ppo_hp)
        if with_updates:
            learner.update(batch, rng)
        return len(batch["actions"])

    iteration()  # warm-up: traces the tf.functions
    steps, began = 0, time.time()
    while time.time() - began < seconds:
        steps += iteration()
    return steps / (time.time() - began)


def train_rate(model, arrays, seconds):
    """The latent model's training steps/s on random sequences of `arrays`."""
    hp = model.hparams
    batch = input_pipeline.sequence_sampler(arrays, model.stack_size, hp.unroll_steps,
                                            hp.batch_size)
    model.train_step(batch())  # warm-up: traces the step
    steps, began = 0, time.time()
    while time.time() - began < seconds:
        model.train_step(batch())
        steps += 1
    return steps / (time.time() - began)


def record(results, name, env, ppo_hp, seconds, policy):
    """Measures `env` acting only and with updates into results[name_*_per_s]."""
    for updates in (False, True):
        key = f"{name}_{'steps' if updates else 'act_only_steps'}_per_s"
        results[key] = measure(env, ppo_hp, seconds, updates)
        print(f"{key}: {results[key]:.0f} ({env.num_envs} envs, {policy})", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pixel_dtype", default="float32")
    parser.add_argument("--real_steps", type=int, default=4000)
    parser.add_argument("--latent_loop_hparams", default="",
                        help="overrides of rlmb_latent, e.g. generative_model_params=...")
    args = parser.parse_args()

    pixel_loop = hparams.resolve("rlmb_cpu", f"generative_model_compute_dtype={args.pixel_dtype}")
    data_dir = tempfile.mkdtemp(prefix="imagination_throughput_")
    datagen.generate(data_dir, "pong", args.real_steps, pixel_loop, seed=0, num_envs=8)
    arrays = input_pipeline.load_split(data_dir, "gym_pong_random", "train")
    frame_shape = arrays["frame"].shape[1:]
    num_actions = 6
    results = {}

    wm = WorldModel(loop_schedule.world_model_hparams(pixel_loop), num_actions, frame_shape,
                    pixel_loop.generative_model)
    pixel_ppo = loop_schedule.ppo_hparams(pixel_loop)
    pixel_env = SimulatedBatchEnv(wm, arrays, pixel_loop.simulated_batch_size,
                                  pixel_loop.simulated_rollout_length, num_actions,
                                  pixel_loop.frame_stack_size)
    record(results, "pixel", pixel_env, pixel_ppo, args.seconds,
           f"{pixel_ppo.policy_network} policy")

    latent_loop = hparams.resolve("rlmb_latent", args.latent_loop_hparams)
    latent = LatentWorldModel(loop_schedule.world_model_hparams(latent_loop), num_actions,
                              frame_shape)
    latent_ppo = loop_schedule.ppo_hparams(latent_loop)
    latent_env = LatentImaginationEnv(latent, arrays, latent_loop.simulated_batch_size,
                                      latent_loop.simulated_rollout_length)
    record(results, "latent", latent_env, latent_ppo, args.seconds,
           f"mlp {latent_ppo.mlp_hidden_sizes}")
    results["ratio"] = results["latent_steps_per_s"] / results["pixel_steps_per_s"]
    results["latent_model_train_steps_per_s"] = train_rate(latent, arrays, args.seconds)
    print(f"latent model training: {results['latent_model_train_steps_per_s']:.2f} steps/s "
          f"(batch {latent.hparams.batch_size}, {latent.hparams.unroll_steps}-step unrolls)",
          flush=True)
    shutil.rmtree(data_dir, ignore_errors=True)
    results = {k: round(v, 2) for k, v in results.items()}
    print(json.dumps(results), flush=True)


if __name__ == "__main__":
    gym.logger.min_level = 40
    main()
