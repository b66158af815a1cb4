"""Keeps a latent loop's policy reading the world model's encoder after the model trains.

A latent loop's policy reads the encoder's latents, and every epoch's world-model training
moves the encoder: the same real frames get new latents, and the policy PPO trained on
the old ones acts differently on a good share of them (benchmarks/encoder_drift.py).
PPO in the new epoch then starts from a partly scrambled policy, and its small steps
may spend part of the epoch finding what it had.

Before the world model trains, `snapshot` records the policy's logits and values on
windows of the real data as the old encoder reads them; after it, `realign` trains the
policy on the new encoder's latents of the same windows toward them (a KL on the
actions, a squared error on the values): policy distillation from the policy itself,
seconds of an MLP's training. The snapshot is a file, written before the model trains,
so a run killed in between realigns to what the policy did before the model moved.
"""

import os
from typing import Dict

import numpy as np
import tensorflow as tf

SNAPSHOT_WINDOWS = 8192
BATCH_SIZE = 512
LEARNING_RATE = 1e-3
VALUE_WEIGHT = 0.5


def snapshot_path(output_dir: str, epoch: int) -> str:
    return os.path.join(output_dir, "policy_realign", f"snapshot_{epoch:03d}.npz")


def _window_starts(frames: np.ndarray, episodes: np.ndarray, stack: int, count: int,
                   seed: int) -> np.ndarray:
    """Up to `count` starts of `stack` consecutive frames within one episode."""
    candidates = np.arange(len(frames) - stack + 1)
    same = episodes[candidates] == episodes[candidates + stack - 1]
    candidates = candidates[same]
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(candidates, min(count, len(candidates)), replace=False))


def snapshot(network, world_model, arrays: Dict[str, np.ndarray], path: str,
             seed: int = 0) -> None:
    """Writes the policy's logits and values on real windows of `arrays` (the loop's
    start arrays), read through the world model's current encoder, to `path`."""
    starts = _window_starts(arrays["frame"], arrays["episode"], world_model.stack_size,
                            SNAPSHOT_WINDOWS, seed)
    latents = world_model.encode_windows(arrays["frame"], starts)
    logits, values = outputs(network, latents)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp.npz"
    np.savez(tmp, starts=starts, frames=len(arrays["frame"]), logits=logits, values=values)
    os.replace(tmp, path)


def outputs(network, latents):
    """The policy network's logits and values (numpy) on `latents`, in chunks."""
    logits, values = [], []
    for i in range(0, len(latents), 4096):
        out = network(tf.constant(latents[i:i + 4096]), training=False)
        logits.append(out.logits.numpy())
        values.append(np.reshape(out.value.numpy(), [-1]))
    return np.concatenate(logits), np.concatenate(values)


def _log_softmax(logits):
    logits = logits - logits.max(-1, keepdims=True)
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


def departure(network, latents, logits):
    """(The share of `latents` where the network's greedy action is that of `logits`, the
    mean KL divergence from the distribution of `logits` to the network's.)"""
    new_logits, _ = outputs(network, latents)
    old, new = _log_softmax(logits.astype(np.float64)), _log_softmax(new_logits)
    kl = float(np.mean(np.sum(np.exp(old) * (old - new), -1)))
    return float(np.mean(np.argmax(new_logits, -1) == np.argmax(logits, -1))), kl


def realign(network, world_model, arrays: Dict[str, np.ndarray], path: str, steps: int,
            seed: int = 0) -> Dict[str, float]:
    """Trains `network` for `steps` Adam steps on the world model's current latents of the
    snapshot's windows toward the snapshot's logits and values. Returns, before and after,
    the share of the windows where the greedy action is the snapshot's and the mean KL
    divergence from the snapshot's action distribution.

    Raises:
        ValueError: the arrays are not those the snapshot was taken on.
    """
    with np.load(path) as saved:
        starts, frames = saved["starts"], int(saved["frames"])
        target_logits, target_values = saved["logits"], saved["values"]
    if frames != len(arrays["frame"]):
        raise ValueError(f"{path} was taken on {frames} frames, the data now has "
                         f"{len(arrays['frame'])}")
    latents = world_model.encode_windows(arrays["frame"], starts)
    agreement_before, kl_before = departure(network, latents, target_logits)
    optimizer = tf.keras.optimizers.Adam(LEARNING_RATE)
    variables = network.trainable_variables

    @tf.function
    def train_step(latent, logits, values):
        with tf.GradientTape() as tape:
            out = network(latent, training=False)
            targets = tf.nn.softmax(logits)
            kl = tf.reduce_mean(tf.reduce_sum(
                targets * (tf.nn.log_softmax(logits) - tf.nn.log_softmax(out.logits)), -1))
            value_error = tf.reduce_mean(tf.square(tf.reshape(out.value, [-1]) - values))
            loss = kl + VALUE_WEIGHT * value_error
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

    rng = np.random.default_rng(seed)
    for _ in range(steps):
        rows = rng.integers(0, len(latents), min(BATCH_SIZE, len(latents)))
        train_step(tf.constant(latents[rows]), tf.constant(target_logits[rows]),
                   tf.constant(target_values[rows], tf.float32))
    agreement_after, kl_after = departure(network, latents, target_logits)
    return {"greedy_agreement_before": agreement_before, "kl_before": kl_before,
            "greedy_agreement_after": agreement_after, "kl_after": kl_after}


def describe(result: Dict[str, float]) -> str:
    return (f"policy realigned to the trained encoder: on real windows its greedy action "
            f"is what it was before the training on {result['greedy_agreement_before']:.3f} "
            f"of them (KL {result['kl_before']:.4f}), after realigning on "
            f"{result['greedy_agreement_after']:.3f} (KL {result['kl_after']:.4f})")
