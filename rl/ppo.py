"""PPO in TensorFlow 2: GAE, the clipped surrogate loss, and the learner.

The learner never sees an environment: `rl.rollout` collects batches from any gymnasium
vector env (real Atari, classic control, the simulated world-model env) and hands them
here, so every env goes through one code path.
"""

import math
from typing import Dict, List, Optional, Tuple

import numpy as np
import tensorflow as tf

from hparams import HParams

LOG_2PI = math.log(2.0 * math.pi)


def gae(rewards: np.ndarray, values: np.ndarray, next_values: np.ndarray,
        terminated: np.ndarray, dones: np.ndarray, gamma: float,
        lam: float) -> Tuple[np.ndarray, np.ndarray]:
    """Generalized advantage estimates and returns for a [T, N] rollout.

    Args:
        rewards: [T, N] rewards for the action at each step.
        values: [T, N] V(s_t).
        next_values: [T, N] V of the state after step t: the next observation, or for a
            step that ended its episode the value of the final observation (so a time-limit
            truncation bootstraps; `terminated` then zeroes a true end).
        terminated: [T, N] true where the episode really ended (no bootstrap).
        dones: [T, N] true where the episode ended for any reason (terminated or
            truncated): advantages do not flow back across it.
        gamma, lam: discount and GAE lambda.

    Returns:
        (advantages, returns), each [T, N] float32, returns = advantages + values.
    """
    rewards, values, next_values = (np.asarray(a, np.float64)
                                    for a in (rewards, values, next_values))
    not_terminated = 1.0 - np.asarray(terminated, np.float64)
    not_done = 1.0 - np.asarray(dones, np.float64)
    deltas = rewards + gamma * next_values * not_terminated - values
    advantages = np.zeros_like(deltas)
    running = np.zeros(deltas.shape[1:])
    for t in reversed(range(len(deltas))):
        running = deltas[t] + gamma * lam * not_done[t] * running
        advantages[t] = running
    return advantages.astype(np.float32), (advantages + values).astype(np.float32)


def log_prob(output, actions: tf.Tensor) -> tf.Tensor:
    """Log-probability of `actions` under a PolicyOutput (categorical or Gaussian)."""
    if output.logits is not None:
        return -tf.nn.sparse_softmax_cross_entropy_with_logits(
            labels=tf.cast(actions, tf.int32), logits=output.logits)
    std = tf.exp(output.log_std)
    z = (tf.cast(actions, tf.float32) - output.mean) / std
    return tf.reduce_sum(-0.5 * tf.square(z) - output.log_std - 0.5 * LOG_2PI, axis=-1)


def entropy(output) -> tf.Tensor:
    if output.logits is not None:
        log_p = tf.nn.log_softmax(output.logits)
        return -tf.reduce_sum(tf.exp(log_p) * log_p, axis=-1)
    return tf.reduce_sum(output.log_std + 0.5 * (LOG_2PI + 1.0), axis=-1)


def sample(output, temperature, generator: tf.random.Generator) -> tf.Tensor:
    """Actions sampled at `temperature` (0 means the most likely action), drawing the
    noise from `generator` (a tf.random.Generator). `temperature` is a scalar or one per
    row, so one call can serve evaluations at several temperatures."""
    if output.logits is not None:
        greedy = tf.argmax(output.logits, axis=-1, output_type=tf.int32)
        temperature = tf.broadcast_to(temperature, tf.shape(greedy))
        safe_t = tf.maximum(temperature, 1e-6)[:, None]
        drawn = tf.random.stateless_categorical(output.logits / safe_t, 1,
                                                seed=generator.make_seeds(1)[:, 0],
                                                dtype=tf.int32)[:, 0]
        return tf.where(temperature > 0.0, drawn, greedy)
    noise = generator.normal(tf.shape(output.mean))
    return output.mean + tf.reshape(temperature, [-1, 1]) * tf.exp(output.log_std) * noise


def ppo_loss(output, actions, old_log_probs, advantages, returns, clipping_coef: float,
             value_loss_coef: float, entropy_loss_coef: float, old_values=None,
             value_clipping_coef: float = 0.0) -> Tuple[tf.Tensor, Dict[str, tf.Tensor]]:
    """The clipped surrogate objective plus value loss minus entropy bonus.

    With value_clipping_coef > 0 (and old_values given) the value loss is the larger of
    the plain squared error and that of the value moved at most value_clipping_coef from
    its rollout-time estimate, as in baselines' PPO2 and CleanRL (their clip_vloss).

    Returns:
        (total loss, dict of metrics: policy_loss, value_loss, entropy, approx_kl,
        clip_fraction).
    """
    new_log_probs = log_prob(output, actions)
    log_ratio = new_log_probs - old_log_probs
    ratio = tf.exp(log_ratio)
    unclipped = ratio * advantages
    clipped = tf.clip_by_value(ratio, 1.0 - clipping_coef, 1.0 + clipping_coef) * advantages
    policy_loss = -tf.reduce_mean(tf.minimum(unclipped, clipped))
    squared_error = tf.square(returns - output.value)
    if value_clipping_coef > 0:
        moved = tf.clip_by_value(output.value - old_values, -value_clipping_coef,
                                 value_clipping_coef)
        squared_error = tf.maximum(squared_error, tf.square(returns - (old_values + moved)))
    value_loss = 0.5 * tf.reduce_mean(squared_error)
    mean_entropy = tf.reduce_mean(entropy(output))
    total = policy_loss + value_loss_coef * value_loss - entropy_loss_coef * mean_entropy
    metrics = {
        "policy_loss": policy_loss,
        "value_loss": value_loss,
        "entropy": mean_entropy,
        # The low-variance estimator of KL(old || new): E[(r - 1) - log r].
        "approx_kl": tf.reduce_mean((ratio - 1.0) - log_ratio),
        "clip_fraction": tf.reduce_mean(
            tf.cast(tf.abs(ratio - 1.0) > clipping_coef, tf.float32)),
    }
    return total, metrics


class PPOLearner:
    """Owns the policy network and its optimizer; acts and updates.

    Args:
        network: a models.policies network.
        hparams: a PPO set (see hparams/ppo_sets.py).
    """

    def __init__(self, network, hparams):
        self.network = network
        self.hparams = hparams
        self.optimizer = tf.keras.optimizers.Adam(hparams.learning_rate, epsilon=1e-5)
        self.optimizer.build(network.trainable_variables)
        # Sampling noise comes from this generator, reseeded per iteration by reseed().
        # (tf.random.set_seed would do the same job but drops every tf.function's cached
        # instantiation: 0.9 s of a 4.9 s Atari iteration went to rebuilding them.)
        self.generator = tf.random.Generator.from_seed(0)
        self._act = tf.function(self._act_impl, reduce_retracing=True)
        self._train_step = tf.function(self._train_step_impl, reduce_retracing=True)

    def _act_impl(self, observations, temperature):
        output = self.network(observations, training=False)
        actions = sample(output, temperature, self.generator)
        return actions, log_prob(output, actions), output.value

    def reseed(self, seed: int) -> None:
        """Restarts the sampling noise from `seed`, so a resumed run draws what an
        uninterrupted one would have."""
        self.generator.reset_from_seed(seed)

    def act(self, observations: np.ndarray, temperature=1.0
            ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Samples actions at `temperature` (a number, or one per observation); returns
        numpy (actions, log_probs, values)."""
        actions, log_probs, values = self._act(tf.convert_to_tensor(observations),
                                               tf.constant(temperature, tf.float32))
        return actions.numpy(), log_probs.numpy(), values.numpy()

    def log_probs(self, observations: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """The policy's log-probabilities of `actions` (chosen by anything) as numpy."""
        output = self.network(tf.convert_to_tensor(observations), training=False)
        return log_prob(output, tf.convert_to_tensor(actions)).numpy()

    def value(self, observations: np.ndarray) -> np.ndarray:
        return self.network(tf.convert_to_tensor(observations), training=False).value.numpy()

    def _train_step_impl(self, observations, actions, old_log_probs, advantages, returns,
                         old_values):
        hp = self.hparams
        if hp.normalize_advantages and hp.get("advantage_normalization", "std") == "std":
            mean, variance = tf.nn.moments(advantages, axes=[0])
            advantages = (advantages - mean) / (tf.sqrt(variance) + 1e-8)
        with tf.GradientTape() as tape:
            output = self.network(observations, training=True)
            loss, metrics = ppo_loss(output, actions, old_log_probs, advantages, returns,
                                     hp.clipping_coef, hp.value_loss_coef,
                                     hp.entropy_loss_coef, old_values,
                                     hp.get("value_clipping_coef", 0.0))
        variables = self.network.trainable_variables
        gradients = tape.gradient(loss, variables)
        gradients, norm = tf.clip_by_global_norm(gradients, hp.max_gradients_norm)
        self.optimizer.apply_gradients(zip(gradients, variables))
        metrics["grad_norm"] = norm
        metrics["loss"] = loss
        return metrics

    def set_progress(self, fraction_done: float) -> None:
        """Anneals the learning rate linearly to 0 when the set asks for it."""
        if self.hparams.anneal_learning_rate:
            self.optimizer.learning_rate.assign(
                self.hparams.learning_rate * max(0.0, 1.0 - fraction_done))

    def update(self, batch: Dict[str, np.ndarray], rng: np.random.Generator,
               hparams: Optional[HParams] = None) -> Dict[str, float]:
        """Several epochs of shuffled minibatch steps over one rollout.

        The epochs' shuffles are laid end to end and cut into minibatches, as the
        original's repeated, shuffled dataset was: optimization_epochs * size // minibatch
        steps, with no sample left out of every epoch where the rollout does not divide
        evenly (3,200 samples in minibatches of 1,280: 2.5 per epoch, 7 steps over 3
        epochs, not 6; a minibatch spanning two epochs may hold a sample twice, as the
        original's could). Where it divides evenly this is plain epoch-by-epoch shuffling.

        Args:
            batch: dict of flat [T * N, ...] numpy arrays: observations, actions, log_probs,
                advantages, returns, values (the rollout-time value estimates).
            rng: numpy Generator for the shuffles.
            hparams: the set whose epochs and minibatch size to use (default the
                learner's own; the loop's updates on real data have their own rollout
                shape).

        Returns:
            dict of metric means over all minibatch steps.
        """
        # The learner's own set decides how advantages are normalized, here and in the
        # minibatch step alike; `hparams` only shapes the epochs and minibatches.
        own = self.hparams
        advantages = batch["advantages"]
        if own.normalize_advantages and own.get("advantage_normalization",
                                                "std") == "return_range":
            advantages = advantages / return_range_scale(batch["returns"])
        sums, steps = {}, 0
        for index in minibatch_indices(len(batch["actions"]), hparams or own, rng):
            metrics = self._train_step(
                tf.convert_to_tensor(batch["observations"][index]),
                tf.convert_to_tensor(batch["actions"][index]),
                tf.convert_to_tensor(batch["log_probs"][index]),
                tf.convert_to_tensor(advantages[index]),
                tf.convert_to_tensor(batch["returns"][index]),
                tf.convert_to_tensor(batch["values"][index]))
            for key, value in metrics.items():
                sums[key] = sums.get(key, 0.0) + float(value)
            steps += 1
        return {key: value / max(steps, 1) for key, value in sums.items()}


def return_range_scale(returns: np.ndarray) -> float:
    """DreamerV3's advantage scale: the spread of the returns (95th minus 5th percentile),
    but never below 1. Dividing by the advantages' own deviation, as the usual PPO
    normalization does, blows value-estimate noise up to unit size wherever rewards are
    rare, where it then outweighs both the small, consistent advantage of moving toward a
    distant reward and the entropy bonus; dividing by the returns' spread leaves small
    advantages small and large ones bounded."""
    low, high = np.percentile(returns, [5.0, 95.0])
    return max(1.0, float(high - low))


def minibatch_indices(size: int, hparams: HParams,
                      rng: np.random.Generator) -> List[np.ndarray]:
    """The sample indices of each minibatch step of one update (see PPOLearner.update)."""
    minibatch = max(1, min(size, hparams.optimization_batch_size * hparams.num_agents))
    order = np.concatenate([rng.permutation(size)
                            for _ in range(hparams.optimization_epochs)])
    return [order[start:start + minibatch]
            for start in range(0, len(order) - minibatch + 1, minibatch)]
