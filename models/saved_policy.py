"""Policies as TF SavedModels that carry the observation format they expect.

The serving signature takes `observations` (uint8 [batch, stack, height, width, channels]
for Atari, float32 [batch, obs_dim] for vector observations) and returns `logits` (or the
Gaussian's `mean` and `log_std`) and `value`. The observation format (game, frame size,
grayscale, stack, frame skip, ...) is stored in the model as `observation_format`, a JSON
string variable, and beside it as `observation_format.json`, so any tool can feed it right.
"""

import json
import os
import shutil
from typing import Any, Dict

import numpy as np
import tensorflow as tf

from models.policy_format import FORMAT_FILE, read_policy_format


class _PolicyModule(tf.Module):
    def __init__(self, network, observation_shape, observation_dtype, observation_format):
        super().__init__()
        self.network = network
        self.observation_format = tf.Variable(json.dumps(observation_format, sort_keys=True),
                                              trainable=False, dtype=tf.string)
        spec = tf.TensorSpec((None,) + tuple(observation_shape), observation_dtype,
                             name="observations")

        @tf.function(input_signature=[spec])
        def serve(observations):
            output = self.network(observations, training=False)
            if output.logits is not None:
                return {"logits": output.logits, "value": output.value}
            return {"mean": output.mean, "log_std": output.log_std, "value": output.value}

        self.serve = serve


def export_policy(network: tf.keras.Model, observation_space,
                  observation_format: Dict[str, Any], path: str) -> None:
    """Writes the SavedModel to `path` atomically (a temporary directory, then rename)."""
    module = _PolicyModule(network, observation_space.shape, observation_space.dtype,
                           observation_format)
    tmp = path.rstrip("/") + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tf.saved_model.save(module, tmp, signatures={"serving_default": module.serve})
    with open(os.path.join(tmp, FORMAT_FILE), "w") as f:
        json.dump(observation_format, f, indent=2, sort_keys=True)
    old = path.rstrip("/") + ".old"
    if os.path.exists(path):
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


class LoadedPolicy:
    """A SavedModel policy: `act(observations, temperature)` and its observation format."""

    def __init__(self, path):
        read_policy_format(path)  # one line for a path that is not an exported policy
        self._model = tf.saved_model.load(path)
        self._serve = self._model.signatures["serving_default"]
        self.observation_format = json.loads(self._model.observation_format.numpy().decode())
        self._rng = np.random.default_rng()

    def seed(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)

    def outputs(self, observations: np.ndarray) -> Dict[str, np.ndarray]:
        return {k: v.numpy() for k, v in self._serve(observations=tf.constant(observations)).items()}

    def act(self, observations: np.ndarray, temperature: float = 1.0) -> np.ndarray:
        """Actions for a batch: sampled at `temperature`, or the most likely at 0."""
        out = self.outputs(observations)
        if "logits" in out:
            logits = out["logits"].astype(np.float64)
            if temperature <= 0:
                return np.argmax(logits, axis=-1)
            logits = logits / temperature
            logits -= logits.max(axis=-1, keepdims=True)
            probs = np.exp(logits)
            probs /= probs.sum(axis=-1, keepdims=True)
            draws = self._rng.random((len(probs), 1))
            return np.minimum((probs.cumsum(axis=-1) < draws).sum(axis=-1), probs.shape[1] - 1)
        noise = self._rng.standard_normal(out["mean"].shape)
        return out["mean"] + temperature * np.exp(out["log_std"]) * noise
