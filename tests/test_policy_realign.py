"""Realigning a latent loop's policy to a moved encoder (rl/policy_realign.py), on real
Pong windows."""

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

import hparams
from models import policies, seeding
from problems import input_pipeline
from rl import policy_realign


@pytest.fixture(scope="module")
def pong_arrays(pong_dataset):
    data_dir, _ = pong_dataset
    return input_pipeline.load_split(data_dir, "gym_pong_random", "train")


class _ProjectionEncoder:
    """An encoder of real windows that can be moved at will: a fixed random projection of
    the window's pixels (their departure from the data's mean frame) through a tanh.
    Realigning needs of a world model only its `encode_windows` and `stack_size`."""

    stack_size = 4

    def __init__(self, frames, size, seed):
        self.mean = frames.reshape(len(frames), -1).mean(0).astype(np.float32)
        pixels = self.mean.size * self.stack_size
        self.projection = np.random.default_rng(seed).standard_normal(
            (pixels, size)).astype(np.float32) / np.sqrt(pixels)

    def move(self, scale, seed):
        noise = np.random.default_rng(seed).standard_normal(self.projection.shape)
        self.projection += scale * self.projection.std() * noise.astype(np.float32)

    def encode_windows(self, frames, starts):
        flat = frames.reshape(len(frames), -1).astype(np.float32) - self.mean
        windows = flat[starts[:, None] + np.arange(self.stack_size)].reshape(len(starts), -1)
        return np.tanh(windows @ self.projection)


def test_realign_gives_the_policy_back_its_actions_on_a_moved_encoder(pong_arrays, tmp_path):
    """After the encoder moves, the policy's actions on the same real windows differ;
    realigning trains it back toward its snapshot (its greedy actions and its action
    distribution), and a snapshot of other data is refused."""
    encoder = _ProjectionEncoder(pong_arrays["frame"], 32, seed=1)
    hp = hparams.resolve("ppo_latent", "mlp_hidden_sizes=[64,64]")
    seeding.seed_initialization(3)
    network = policies.make_policy_network(
        hp, gym.spaces.Box(-1.0, 1.0, (32,), np.float32), gym.spaces.Discrete(6))
    network(tf.zeros((1, 32)))
    for variable in network.heads.policy.trainable_variables:
        variable.assign(variable * 300.0)  # logits apart, so that moves show
    path = str(tmp_path / "snapshot.npz")
    policy_realign.snapshot(network, encoder, pong_arrays, path)
    encoder.move(0.7, seed=2)
    result = policy_realign.realign(network, encoder, pong_arrays, path, steps=1000)
    assert result["greedy_agreement_before"] < 0.8, result
    assert result["kl_after"] < 0.3 * result["kl_before"], result
    assert result["greedy_agreement_after"] > result["greedy_agreement_before"] + 0.1, result
    fewer = {k: v[:-1] for k, v in pong_arrays.items()}
    with pytest.raises(ValueError, match="frames"):
        policy_realign.realign(network, encoder, fewer, path, steps=1)
