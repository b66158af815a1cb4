"""What the scripts that look inside a model-based loop run share: the arguments that
name the run and its loop hparams, and its latent world model and policy restored from
the run's newest checkpoints. Import after rl.runtime.set_up()."""

import os

import gymnasium as gym
import numpy as np
import tensorflow as tf

import hparams
from models import policies
from problems import dataset_files
from models.latent_world_model import LatentWorldModel
from rl import loop_schedule


def add_run_arguments(parser):
    """The run's output directory, its game and the loop hparams it was run with."""
    parser.add_argument("output_dir")
    parser.add_argument("--game", required=True)
    parser.add_argument("--loop_hparams_set", default="rlmb_latent")
    parser.add_argument("--loop_hparams", default="")


def resolve_loop_hparams(args):
    """The run's loop hparams, as `trainer_model_based` resolved them."""
    overrides = ",".join(filter(None, [f"game={args.game}", args.loop_hparams]))
    return hparams.resolve(args.loop_hparams_set, overrides)


def open_run(args):
    """The run's loop hparams, data directory, dataset name, action count and frame shape
    (height, width, channels), as its data's stats record them."""
    loop = resolve_loop_hparams(args)
    data_dir = os.path.join(args.output_dir, "data")
    dataset = loop_schedule.dataset_name(loop.game)
    fmt = dataset_files.dataset_stats(data_dir, dataset)["frame_format"]
    return (loop, data_dir, dataset, fmt["num_actions"],
            (fmt["height"], fmt["width"], fmt["channels"]))


def restore_world_model(args, loop, num_actions, frame_shape, overrides="", checkpoint=""):
    """The run's latent world model at its newest checkpoint (or at `checkpoint`, a path);
    `overrides` ('k=v,...') change its hparams (what it trains with from here, not its
    shapes)."""
    model = LatentWorldModel(loop_schedule.world_model_hparams(loop).parse(overrides),
                             num_actions, tuple(frame_shape))
    model.checkpoint.restore(checkpoint or tf.train.latest_checkpoint(
        os.path.join(args.output_dir, "world_model", "checkpoints"))).expect_partial()
    return model


def restore_policy(args, loop, latent_size, num_actions):
    """The run's policy network (on latents) at its newest checkpoint."""
    network = policies.make_policy_network(
        loop_schedule.ppo_hparams(loop), gym.spaces.Box(-1.0, 1.0, (latent_size,), np.float32),
        gym.spaces.Discrete(num_actions))
    network(tf.zeros((1, latent_size)))
    tf.train.Checkpoint(network=network).restore(tf.train.latest_checkpoint(
        os.path.join(args.output_dir, "policy_checkpoints"))).expect_partial()
    return network
