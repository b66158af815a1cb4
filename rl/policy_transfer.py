"""PolicyTransfer: teaches a latent policy to act on the game's encodings of real states
as it acts on the imagined latents of the same states.

PPO trains the policy on imagined latents (the transition's output); the game shows it
the encoder's latents of real frame stacks. The two differ, and a policy can learn to
read what only the imagined one carries: a transition knows the action it was just given,
so a policy can time an alternation of two actions on that, where on real frames the
same timing must be read from the screen. The policy then plays the game differently
from how it plays imagination, and the real data it collects never shows the model the
play it learned there.

The transfer step takes pairs of consecutive real windows of the data, imagines one step
from the first window's encoding along the action the data took, and moves the policy's
action distribution on the second window's real encoding toward its (fixed) distribution
on that imagined latent (a KL divergence, policy tower and head only). The imagined side
is the teacher because it is what PPO trained and what the model's rewards rate.
"""

import numpy as np
import tensorflow as tf


def consecutive_window_pairs(windows: np.ndarray) -> np.ndarray:
    """Positions p in `windows` (sorted record indices of real windows) whose next
    window begins one record later: p and p + 1 are consecutive states of one episode."""
    return np.flatnonzero(windows[1:] == windows[:-1] + 1)


class PolicyTransfer:
    """See the module docstring.

    Args:
        env: a rl.imagination_env.LatentImaginationEnv (its model, encoded windows and
            the data's actions).
        network: the latent policy (models.policies.Mlp) PPO trains.
        actions: the data's actions per record (arrays["action"]).
        learning_rate: of the transfer's own Adam optimizer.
        batch_size: pairs per step.
        seed: seeds the draw of pairs.
    """

    def __init__(self, env, network, actions, learning_rate, batch_size, seed=0):
        self.env = env
        self.network = network
        windows = env.starts.windows
        self.pairs = consecutive_window_pairs(windows)
        # The action from window p to window p + 1 is that of p's newest frame.
        self.actions = np.asarray(actions)[windows[self.pairs] + env.model.stack_size - 1]
        self.batch_size = batch_size
        self.optimizer = tf.keras.optimizers.Adam(learning_rate)
        self._rng = np.random.default_rng(seed)
        self._variables = self._policy_variables()

    def step(self) -> float:
        """One transfer step; returns the KL divergence before it."""
        chosen = self._rng.choice(len(self.pairs), min(self.batch_size, len(self.pairs)),
                                  replace=False)
        positions = self.pairs[chosen]
        imagined, _, _ = self.env.model.imagine(self.env.latents[positions],
                                                self.actions[chosen])
        teacher_logits = self.network(tf.constant(imagined)).logits
        real = tf.constant(self.env.latents[positions + 1])
        return float(self._apply(real, teacher_logits).numpy())

    @tf.function
    def _apply(self, real, teacher_logits):
        teacher = tf.nn.softmax(teacher_logits)
        variables = self._variables
        with tf.GradientTape() as tape:
            log_student = tf.nn.log_softmax(self.network(real).logits)
            kl = tf.reduce_mean(tf.reduce_sum(
                teacher * (tf.math.log(teacher + 1e-8) - log_student), -1))
        self.optimizer.apply_gradients(zip(tape.gradient(kl, variables), variables))
        return kl

    def _policy_variables(self):
        """The policy tower's and the logits head's variables (not the value's): those
        the logits have a gradient for."""
        with tf.GradientTape() as tape:
            logits = self.network(tf.zeros([1, self.env.latents.shape[1]])).logits
        grads = tape.gradient(logits, self.network.trainable_variables)
        return [v for v, g in zip(self.network.trainable_variables, grads) if g is not None]
