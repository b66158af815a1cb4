"""The one world-model interface everything downstream uses.

`WorldModel` owns a `NextFrameNetwork`, its optimizer and learning-rate schedule, and
gives: `train_step(batch)` returning metrics (run under a tf.distribute strategy when one
is given, so several GPUs or hosts need no code change), `evaluate(batch)` with the
copy-the-last-frame baseline on the same batch, `predict(frames, actions, temperature)`
returning the next frame (uint8) and the reward in {-1, 0, 1}, and a checkpoint object.

Batches are dicts as `problems.input_pipeline.window_dataset` yields them: inputs
[B, stack, H, W, C] uint8, input_actions [B, stack], target_frame [B, H, W, C] uint8,
target_reward [B] in {-1, 0, 1}. The action that leads to the target is the last input's.
"""

from typing import Dict, Tuple

import numpy as np
import tensorflow as tf

from hparams.hparams import HParams

from models.catalog import check_world_model_name
from models.next_frame import NextFrameNetwork


class WarmupSchedule(tf.keras.optimizers.schedules.LearningRateSchedule):
    """Linear warmup to `peak`, then constant, or inverse-square-root decay if
    `decay_steps` > 0 (lr = peak * sqrt(decay_steps / max(step, decay_steps)))."""

    def __init__(self, peak, warmup_steps, decay_steps=0):
        self.peak, self.warmup_steps, self.decay_steps = peak, warmup_steps, decay_steps

    def __call__(self, step):
        step = tf.cast(step, tf.float32) + 1.0
        warm = tf.minimum(1.0, step / max(1.0, float(self.warmup_steps)))
        rate = self.peak * warm
        if self.decay_steps > 0:
            rate *= tf.sqrt(self.decay_steps / tf.maximum(step, float(self.decay_steps)))
        return rate

    def get_config(self):
        return {"peak": self.peak, "warmup_steps": self.warmup_steps,
                "decay_steps": self.decay_steps}


def frame_loss(frame_logits: tf.Tensor, target: tf.Tensor, cutoff: float) -> tf.Tensor:
    """Per-pixel-channel softmax cross-entropy, minus `cutoff` and floored at zero (pixels
    already predicted well stop pulling on the model), averaged."""
    xent = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(target, tf.int32), logits=frame_logits)
    return tf.reduce_mean(tf.nn.relu(xent - cutoff))


def reward_loss(reward_logits: tf.Tensor, reward: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.cast(reward, tf.int32) + 1, logits=reward_logits))


def frame_metrics(predicted: tf.Tensor, target: tf.Tensor,
                  prefix: str = "") -> Dict[str, tf.Tensor]:
    """Per-pixel-channel accuracy and PSNR of uint8 frames."""
    return {
        f"{prefix}pixel_accuracy": tf.reduce_mean(tf.cast(tf.equal(predicted, target),
                                                          tf.float32)),
        f"{prefix}psnr": tf.reduce_mean(tf.image.psnr(predicted, target, max_val=255)),
    }


def _inverse_exp_decay(max_step, step, min_value=0.01):
    """From min_value at step 0 up to 1 at max_step, exponentially (T2T's inverse_exp_decay)."""
    return min_value ** (tf.maximum(max_step - step, 0.0) / max_step)


def _inverse_lin_decay(max_step, step, min_value=0.01):
    """From min_value at step 0 up to 1 at max_step, linearly."""
    return min_value + (1.0 - min_value) * tf.minimum(step / max_step, 1.0)


def own_prediction_probability(hparams: HParams, step) -> tf.Tensor:
    """How likely a frame the model has predicted in a multi-frame training window is fed
    back as its own prediction instead of the real frame, at optimizer step `step`
    (scheduled sampling; hparams/next_frame_sets.py names the modes)."""
    mode = hparams.scheduled_sampling_mode
    if mode == "ground_truth_only":
        return tf.constant(0.0)
    if mode == "prediction_only":
        return tf.constant(1.0)
    step = tf.cast(step, tf.float32)
    decay = float(hparams.scheduled_sampling_decay_steps)
    if mode == "prob_inverse_exp":
        rise = _inverse_exp_decay(decay, step)
    else:  # prob_inverse_lin: near 0 for the first quarter, then rising linearly
        rise = _inverse_exp_decay(max(decay // 4, 1.0), step) * _inverse_lin_decay(decay, step)
    return rise * hparams.scheduled_sampling_max_prob


class WorldModel:
    """See the module docstring.

    Args:
        hparams: a next_frame set.
        num_actions: the game's action count.
        frame_shape: (height, width, channels) of one frame.
        model_name: one of models.catalog.WORLD_MODELS (default hparams.model).
        strategy: a tf.distribute strategy; default the current one.
    """

    def __init__(self, hparams, num_actions, frame_shape, model_name=None, strategy=None):
        self.hparams = hparams
        self.model_name = model_name or hparams.model
        check_world_model_name(self.model_name, hparams)
        self.num_actions = num_actions
        self.frame_shape = tuple(frame_shape)
        self.strategy = strategy or tf.distribute.get_strategy()
        stack = hparams.video_num_input_frames
        with self.strategy.scope():
            self.network = NextFrameNetwork(hparams, num_actions, frame_shape)
            schedule = WarmupSchedule(hparams.learning_rate, hparams.learning_rate_warmup_steps,
                                      hparams.learning_rate_decay_steps)
            self.optimizer = tf.keras.optimizers.Adam(schedule,
                                                      beta_2=hparams.optimizer_adam_beta2)
            frames = tf.zeros((1, stack) + self.frame_shape, tf.uint8)
            target = tf.zeros((1,) + self.frame_shape, tf.uint8)
            self.network(frames, tf.zeros((1,), tf.int32), target=target)
            self.optimizer.build(self.network.trainable_variables)
        self.checkpoint = tf.train.Checkpoint(network=self.network, optimizer=self.optimizer)
        self._train = tf.function(self._distributed_train_step)
        self._evaluate = tf.function(self._evaluate_impl)
        self._predict = {}

    @property
    def step(self) -> int:
        return int(self.optimizer.iterations.numpy())

    def _losses(self, outputs, batch):
        hp = self.hparams
        losses = {
            "frame_loss": frame_loss(outputs["frame_logits"], batch["target_frame"],
                                     hp.video_modality_loss_cutoff),
            "reward_loss": reward_loss(outputs["reward_logits"], batch["target_reward"]),
        }
        total = losses["frame_loss"] + hp.reward_loss_coef * losses["reward_loss"]
        if "bit_logits" in outputs:
            targets = (tf.stop_gradient(outputs["bits"]) + 1.0) / 2.0
            losses["latent_loss"] = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                labels=targets, logits=outputs["bit_logits"]))
            total += hp.latent_loss_coef * losses["latent_loss"]
        losses["loss"] = total
        return losses

    def _one_target_losses(self, batch):
        """(losses, predicted frames, real frames) of a window with one target frame."""
        outputs = self.network(batch["inputs"], batch["input_actions"][:, -1],
                               target=batch["target_frame"], training=True)
        predicted = tf.cast(tf.argmax(outputs["frame_logits"], axis=-1), tf.uint8)
        return self._losses(outputs, batch), predicted, batch["target_frame"]

    def _several_targets_losses(self, batch):
        """(losses averaged over the steps, predicted frames, real frames) of a window with
        several target frames, predicted one after another. Each step reads the 4 frames
        before its target; where one of those is a frame the model predicted, it is, per
        window, the model's own prediction (with own_prediction_probability) or the real
        frame: scheduled sampling, as the original trained its stochastic model."""
        own_probability = own_prediction_probability(self.hparams, self.optimizer.iterations)
        frames, steps = batch["inputs"], batch["target_frames"].shape[1]
        sums, predictions = {}, []
        for k in range(steps):
            target = batch["target_frames"][:, k]
            outputs = self.network(frames, batch["target_actions"][:, k], target=target,
                                   training=True)
            losses = self._losses(outputs, {"target_frame": target,
                                            "target_reward": batch["target_rewards"][:, k]})
            for key, value in losses.items():
                sums[key] = sums.get(key, 0.0) + value / steps
            predicted = tf.cast(tf.argmax(outputs["frame_logits"], axis=-1), tf.uint8)
            predictions.append(predicted)
            own = tf.random.uniform([tf.shape(target)[0]]) < own_probability
            fed = tf.where(own[:, None, None, None], predicted, target)
            frames = tf.concat([frames[:, 1:], fed[:, None]], 1)
        sums["scheduled_sampling/own_prediction_probability"] = own_probability
        return sums, tf.stack(predictions, 1), batch["target_frames"]

    def _train_replica_step(self, batch):
        replicas = tf.distribute.get_replica_context().num_replicas_in_sync
        several = "target_frames" in batch
        with tf.GradientTape() as tape:
            losses, predicted, real = (self._several_targets_losses(batch) if several
                                       else self._one_target_losses(batch))
            # Each replica averages its own share; the all-reduce sums across replicas.
            scaled = losses["loss"] / tf.cast(replicas, tf.float32)
        variables = self.network.trainable_variables
        gradients = tape.gradient(scaled, variables)
        gradients, norm = tf.clip_by_global_norm(gradients, self.hparams.max_gradients_norm)
        self.optimizer.apply_gradients(zip(gradients, variables))
        metrics = dict(losses)
        metrics["grad_norm"] = norm
        metrics.update(frame_metrics(predicted, real))
        return metrics

    def _distributed_train_step(self, batch):
        per_replica = self.strategy.run(self._train_replica_step, args=(batch,))
        return {k: self.strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None)
                for k, v in per_replica.items()}

    def train_step(self, batch) -> Dict[str, float]:
        """One optimizer step on `batch` (a dict, or a distributed batch); returns metrics
        as Python floats."""
        return {k: float(v) for k, v in self._train(batch).items()}

    def _evaluate_impl(self, batch):
        # Deterministic model: no target needed. Stochastic: the bits are inferred from the
        # target, as in training (the loss is a bound on what the model knows).
        outputs = self.network(batch["inputs"], batch["input_actions"][:, -1],
                               target=batch["target_frame"], training=False)
        metrics = self._losses(outputs, batch)
        predicted = tf.cast(tf.argmax(outputs["frame_logits"], axis=-1), tf.uint8)
        metrics.update(frame_metrics(predicted, batch["target_frame"]))
        reward = tf.argmax(outputs["reward_logits"], axis=-1, output_type=tf.int32) - 1
        real_reward = tf.cast(batch["target_reward"], tf.int32)
        metrics["reward_accuracy"] = tf.reduce_mean(tf.cast(reward == real_reward, tf.float32))
        # The copy-the-last-frame baseline on the same batch, and "no reward" for rewards.
        metrics.update(frame_metrics(batch["inputs"][:, -1], batch["target_frame"],
                                     prefix="baseline_copy_last/"))
        metrics["baseline_copy_last/reward_accuracy"] = tf.reduce_mean(
            tf.cast(real_reward == 0, tf.float32))
        return metrics

    def evaluate(self, batch) -> Dict[str, float]:
        """Dev-set metrics for one batch: losses, pixel_accuracy, psnr, reward_accuracy and
        the same under baseline_copy_last/."""
        return {k: float(v) for k, v in self._evaluate(batch).items()}

    def predict(self, frames, actions,
                temperature: float = 0.0) -> Tuple[np.ndarray, np.ndarray]:
        """The next frame (uint8 [B, H, W, C]) and reward ([B] in {-1, 0, 1}).

        Pixels and rewards are always the most likely values, as in SimPLe: sampling every
        pixel independently would fill frames with speckle the real game never shows. The
        temperature is the stochastic model's: it samples the latent bits (0 takes the
        likelier bit), which is where that model keeps its uncertainty. For the
        deterministic models it changes nothing.
        """
        temperature = float(temperature) if self.network.stochastic else 0.0
        if temperature not in self._predict:
            self._predict[temperature] = tf.function(
                lambda f, a: self._predict_impl(f, a, temperature), reduce_retracing=True)
        frame, reward = self._predict[temperature](tf.convert_to_tensor(frames),
                                                   tf.convert_to_tensor(actions))
        return frame.numpy(), reward.numpy()

    def _predict_impl(self, frames, actions, temperature):
        outputs = self.network(frames, actions, training=False, temperature=temperature)
        frame = tf.argmax(outputs["frame_logits"], axis=-1)
        reward = tf.argmax(outputs["reward_logits"], axis=-1)
        return tf.cast(frame, tf.uint8), tf.cast(reward, tf.int32) - 1
