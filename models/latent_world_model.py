"""LatentWorldModel: training, evaluation and imagination for LatentDynamicsNetwork.

The counterpart of models.world_model.WorldModel for the latent model: `train_step`,
`evaluate` and `checkpoint` take sequence batches (problems.input_pipeline.
gather_sequences) instead of single-step windows; `encode` and `imagine` are what the
imagination env and the exported policy use.
"""

from typing import Any, Dict, Tuple

import numpy as np
import tensorflow as tf

from hparams.errors import UserError

from models.latent_dynamics import LatentDynamicsNetwork
from models.world_model import WarmupSchedule


def reward_classes(rewards: tf.Tensor) -> tf.Tensor:
    return tf.cast(rewards, tf.int32) + 1


def motion_weights(frames: tf.Tensor, stack: int, moving_pixel_weight: float) -> tf.Tensor:
    """Per-pixel weights of the reconstruction loss for the frames the model decodes
    (frames[:, stack - 1:], on the 0..1 scale): 1, plus `moving_pixel_weight` where the
    frame differs from the one before it by more than 2% of the range.

    The objects that decide an Atari game (ball, paddles, cars, the player) cover about
    1% of a frame, so a plain squared error is nearly all background and a model first
    learns, and long stays at, the mean frame without them. Weighting what moves is the
    same rule for every game: no per-game mask.
    """
    if moving_pixel_weight <= 0:
        return tf.ones_like(frames[:, stack - 1:])
    changed = tf.abs(frames[:, stack - 1:] - frames[:, stack - 2:-1]) > 0.02
    return 1.0 + moving_pixel_weight * tf.cast(changed, tf.float32)


def _batched(fn, inputs, batch_size, width):
    """`fn` over `inputs` in batches of `batch_size`, as one numpy array [N, width]."""
    out = [fn(tf.convert_to_tensor(inputs[i:i + batch_size])).numpy()
           for i in range(0, len(inputs), batch_size)]
    return np.concatenate(out) if out else np.zeros((0, width), np.float32)


class LatentWorldModel:
    """See the module docstring.

    Args:
        hparams: a latent_dynamics set.
        num_actions: the game's action count.
        frame_shape: (height, width, channels) of one frame.
    """

    def __init__(self, hparams, num_actions, frame_shape):
        self.hparams = hparams
        self.num_actions = num_actions
        self.frame_shape = tuple(frame_shape)
        self.stack_size = hparams.video_num_input_frames
        self.network = LatentDynamicsNetwork(hparams, num_actions, frame_shape)
        schedule = WarmupSchedule(hparams.learning_rate, hparams.learning_rate_warmup_steps)
        self.optimizer = tf.keras.optimizers.Adam(schedule, epsilon=1e-6)
        # Every layer is built before the network's first __call__, which Keras would
        # otherwise warn about (the call uses only the encoder).
        frames = tf.zeros((1, self.stack_size) + self.frame_shape, tf.uint8)
        latent = self.network.encode(frames)
        for member in range(self.network.ensemble_size):
            self.network.step(latent, tf.zeros((1,), tf.int32), member)
        self.network.decode(latent)
        self.network(frames)
        self.optimizer.build(self.network.trainable_variables)
        # With target_encoder_decay, the consistency targets come from an exponential
        # moving average of the encoder (as in BYOL and SPR) instead of the encoder
        # itself, so that a heavier consistency loss cannot pull every encoding to one
        # point (what a stop-gradient on the encoder's own outputs alone allows).
        self.target_decay = hparams.get("target_encoder_decay", 0.0)
        if self.target_decay > 0 and hparams.get("representation_loss_coef", 0.0) > 0:
            # With a target copy the encodings compared with imagination are the copy's,
            # which no gradient trains: the representation loss would do nothing.
            raise UserError("representation_loss_coef needs target_encoder_decay=0 (the "
                            "consistency targets from the encoder itself)")
        self.target = None
        parts = {"network": self.network, "optimizer": self.optimizer}
        if self.target_decay > 0:
            self.target = LatentDynamicsNetwork(hparams, num_actions, frame_shape)
            self.target.encode(frames)
            for target, online in zip(self.target.encoder_variables,
                                      self.network.encoder_variables):
                target.assign(online)
            parts["target_encoder"] = self.target
        self.checkpoint = tf.train.Checkpoint(**parts)
        self._train = tf.function(self._train_impl)
        self._evaluate = tf.function(self._evaluate_impl)
        self._encode = tf.function(self.network.encode, reduce_retracing=True)
        self._frame_features = tf.function(self.network.encode_frames, reduce_retracing=True)
        self._stack_latent = tf.function(self.network.stack_latent, reduce_retracing=True)
        self._imagine = tf.function(self._imagine_impl, reduce_retracing=True)
        self._decode = tf.function(self.network.decode, reduce_retracing=True)
        self.disagreement_penalty = float(hparams.get("disagreement_penalty", 0.0))
        self.sample_episode_ends = bool(hparams.get("sample_episode_ends", False))
        self.reseed_imagination(0)

    @property
    def latent_size(self) -> int:
        """The size of a latent as the policy reads it (a spatial latent flattened)."""
        return self.network.latent_size

    @property
    def step(self) -> int:
        return int(self.optimizer.iterations.numpy())

    # ----- training -----

    def _unroll(self, batch):
        """Latents imagined from the first real stack, and the encodings of the real
        stacks they stand for: ([B, K + 1, D] imagined, [B, K + 1, D] real), with the
        reward and done logits of each step.

        Without a representation loss, gradients reach the encoder only through the
        first stack (the later encodings are stop-gradient targets), so the other frames
        are encoded outside the gradient, which spares their backward pass. With one,
        every encoding is also trained toward the imagined latent that stands for it."""
        net, stack = self.network, self.stack_size
        frames = batch["frames"]
        shape = tf.shape(frames)
        steps = batch["actions"].shape[1]

        def features_of(network, window):
            flat = network.encode_frames(tf.reshape(window, tf.concat([[-1], shape[2:]], 0)))
            return tf.reshape(flat, [shape[0], -1, net.frame_feature_size])

        first = features_of(net, frames[:, :stack])
        if self.target is not None:
            targets = tf.stop_gradient(features_of(self.target, frames))
            real = tf.stack([net.stack_latent(first)] + [
                tf.stop_gradient(self.target.stack_latent(targets[:, j:j + stack]))
                for j in range(1, steps + 1)], 1)
        else:
            later = features_of(net, frames[:, stack:])
            if self.hparams.get("representation_loss_coef", 0.0) <= 0:
                later = tf.stop_gradient(later)
            features = tf.concat([first, later], 1)
            real = tf.stack([net.stack_latent(features[:, j:j + stack])
                             for j in range(steps + 1)], 1)
        # Each member of the transition ensemble unrolls its own chain from the same
        # real start; the chains are stacked along the batch, member by member, and
        # every loss below averages over them.
        imagined, reward_logits, done_logits = [], [], []
        for member in range(net.ensemble_size):
            latent = real[:, 0]
            chain, chain_rewards, chain_dones = [latent], [], []
            for k in range(steps):
                latent, rewards, done = net.step(latent, batch["actions"][:, k], member)
                chain.append(latent)
                chain_rewards.append(rewards)
                chain_dones.append(done)
            imagined.append(tf.stack(chain, 1))
            reward_logits.append(tf.stack(chain_rewards, 1))
            done_logits.append(tf.stack(chain_dones, 1))
        return (tf.concat(imagined, 0), real, tf.concat(reward_logits, 0),
                tf.concat(done_logits, 0))

    def _decoded_steps(self, steps, every_step):
        """Which of the K + 1 latents of an unroll are decoded: all of them, or in
        training step 0 (the autoencoder's own) and `decoded_steps` of the imagined ones
        drawn at random for each batch. The decoder is the costliest part of a training
        step; a sample of steps gives the same expected gradient direction for the
        frames' part of the loss at a fraction of the cost."""
        count = self.hparams.get("decoded_steps", 0)
        if every_step or count <= 0 or count >= steps:
            return tf.range(steps + 1)
        drawn = tf.random.shuffle(tf.range(1, steps + 1))[:count]
        return tf.concat([[0], tf.sort(drawn)], 0)

    def _losses(self, batch, every_step=False):
        hp, stack = self.hparams, self.stack_size
        imagined, real, reward_logits, done_logits = self._unroll(batch)
        # The reward head on the real encodings: trained with real_reward_loss_coef, and
        # always measured in evaluation; in a training step without the loss it would
        # only cost time.
        real_reward_logits = None
        if every_step or hp.get("real_reward_loss_coef", 0.0) > 0:
            real_reward_logits = self._real_reward_logits(real, batch)
        steps = batch["actions"].shape[1]
        members = self.network.ensemble_size
        batch_size = tf.shape(real)[0]
        chosen = self._decoded_steps(steps, every_step)
        # The decoder reads one member's chain: in evaluation the first, in training one
        # drawn per batch (decoding every chain would multiply the costliest part).
        member = 0 if every_step else tf.random.uniform([], 0, members, tf.int32)
        picked = tf.gather(imagined[member * batch_size:(member + 1) * batch_size],
                           chosen, axis=1)
        decoded = self.network.decode(tf.reshape(picked, [-1, self.latent_size]))
        decoded = tf.reshape(decoded, tf.concat([[batch_size, tf.size(chosen)],
                                                 tf.constant(self.frame_shape)], 0))
        frames = tf.cast(batch["frames"], tf.float32) / 255.0
        targets = tf.gather(frames[:, stack - 1:], chosen, axis=1)
        weights = tf.gather(motion_weights(frames, stack, hp.moving_pixel_weight), chosen,
                            axis=1)
        squared = tf.square(decoded - targets)

        def tile(per_sequence):  # [B, ...] -> [members * B, ...], as the chains
            return tf.concat([per_sequence] * members, 0)

        real_tiled = tile(real)
        losses = {
            "reconstruction_loss": tf.reduce_mean(squared),
            "weighted_reconstruction_loss": tf.reduce_mean(squared * weights),
            "consistency_loss": tf.reduce_mean(
                tf.square(imagined[:, 1:] - tf.stop_gradient(real_tiled[:, 1:]))),
            # The other direction: encodings toward what the transition imagined, so
            # that the latent becomes one the transition can predict.
            "representation_loss": tf.reduce_mean(
                tf.square(real_tiled[:, 1:] - tf.stop_gradient(imagined[:, 1:]))),
            "reward_loss": tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                labels=tile(reward_classes(batch["rewards"])), logits=reward_logits)),
            "done_loss": tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(
                labels=tile(self._episode_ends(batch)), logits=done_logits)),
        }
        if real_reward_logits is not None:
            losses["real_reward_loss"] = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=reward_classes(batch["rewards"]), logits=real_reward_logits))
        losses["loss"] = (hp.reconstruction_loss_coef * losses["weighted_reconstruction_loss"]
                          + hp.consistency_loss_coef * losses["consistency_loss"]
                          + hp.get("representation_loss_coef", 0.0)
                          * losses["representation_loss"]
                          + hp.reward_loss_coef * losses["reward_loss"]
                          + hp.get("real_reward_loss_coef", 0.0)
                          * losses.get("real_reward_loss", 0.0)
                          + hp.done_loss_coef * losses["done_loss"])
        # Evaluation's reward metrics are the first member's, as its decoded frames.
        return losses, decoded, reward_logits[:batch_size], real_reward_logits

    def _episode_ends(self, batch):
        """What the episode-end head learns: the data's episode ends, and with
        done_on_life_loss also the steps that lose a life. An imagined rollout then ends
        where the agent would lose a life, so PPO, which gets no value past an end, learns
        that a lost life costs every reward after it (the trick of IRIS, TWM and STORM on
        small budgets); the real episodes, scored in full, are unchanged."""
        if self.hparams.get("done_on_life_loss", False) and "lives_lost" in batch:
            return tf.maximum(batch["dones"], batch["lives_lost"])
        return batch["dones"]

    def _real_reward_logits(self, real, batch):
        """The reward head on the encodings of the real stacks, each step from the real
        latent to the next real one: what real_reward_loss_coef trains, and what tells a
        reward the encoder cannot see from one the transition loses. Imagined latents
        drift from real ones (in games with large moving sprites from the first step), and
        a head trained on them alone can miss the events a reward follows; the real
        encodings give it the clean signal, as world models that learn rewards from their
        posterior states do."""
        steps = batch["actions"].shape[1]
        return tf.stack([self.network.reward_logits(real[:, k], batch["actions"][:, k],
                                                    real[:, k + 1])
                         for k in range(steps)], 1)

    def _train_impl(self, batch):
        with tf.GradientTape() as tape:
            losses = self._losses(batch)[0]
        variables = self.network.trainable_variables
        gradients = tape.gradient(losses["loss"], variables)
        gradients, norm = tf.clip_by_global_norm(gradients, self.hparams.max_gradients_norm)
        self.optimizer.apply_gradients(zip(gradients, variables))
        if self.target is not None:
            decay = self.target_decay
            for target, online in zip(self.target.encoder_variables,
                                      self.network.encoder_variables):
                target.assign(decay * target + (1.0 - decay) * online)
        losses["grad_norm"] = norm
        return losses

    def train_step(self, batch: Dict[str, tf.Tensor]) -> Dict[str, float]:
        """One optimizer step on a sequence batch; returns its losses as floats."""
        return {k: float(v) for k, v in self._train(batch).items()}

    def _evaluate_impl(self, batch):
        losses, decoded, reward_logits, real_reward_logits = self._losses(batch,
                                                                          every_step=True)
        stack = self.stack_size
        frames = tf.cast(batch["frames"], tf.float32) / 255.0
        # Squared frame error (the decoder's objective; PSNR is its log) of the decoded
        # imagination against the real frames, and of the baseline that copies the last
        # real input frame for every step.
        error = tf.reduce_mean(tf.square(decoded[:, 1:] - frames[:, stack:]),
                               axis=[0, 2, 3, 4])
        copy_last = tf.reduce_mean(tf.square(frames[:, stack - 1:stack] - frames[:, stack:]),
                                   axis=[0, 2, 3, 4])
        # The same on the pixels that changed from the previous frame: the moving
        # objects, about 1% of a frame, which the mean error above hardly sees.
        moving = tf.cast(tf.abs(frames[:, stack:] - frames[:, stack - 1:-1]) > 0.02,
                         tf.float32)
        count = tf.maximum(tf.reduce_sum(moving), 1.0)
        moving_error = tf.reduce_sum(tf.square(decoded[:, 1:] - frames[:, stack:]) * moving)
        moving_copy_last = tf.reduce_sum(
            tf.square(frames[:, stack - 1:stack] - frames[:, stack:]) * moving)
        predicted = tf.argmax(reward_logits, -1, output_type=tf.int32)
        real = reward_classes(batch["rewards"])
        correct = tf.cast(predicted == real, tf.float32)
        nonzero = tf.cast(real != 1, tf.float32)  # class 1 is reward 0
        losses.update({
            "frame_error_per_step": error,
            "baseline_copy_last/frame_error_per_step": copy_last,
            "moving_pixel_error": moving_error / count,
            "baseline_copy_last/moving_pixel_error": moving_copy_last / count,
            "reward_accuracy_per_step": tf.reduce_mean(correct, 0),
            "baseline_no_reward/reward_accuracy_per_step": tf.reduce_mean(1.0 - nonzero, 0),
            "rewarded_steps": tf.reduce_sum(nonzero),
            "rewarded_steps_correct": tf.reduce_sum(correct * nonzero),
            # The same from the real encodings: a reward right here and wrong above is
            # one the transition loses, not one the encoder cannot see.
            "rewarded_steps_correct_from_real": tf.reduce_sum(nonzero * tf.cast(
                tf.argmax(real_reward_logits, -1, output_type=tf.int32) == real, tf.float32)),
        })
        return losses

    def evaluate(self, batch: Dict[str, tf.Tensor]) -> Dict[str, Any]:
        """Losses and per-step metrics of the unrolled imagination on a sequence batch:
        mean squared frame error (0..1 scale) per step beside copying the last frame, reward accuracy
        per step beside always predicting 0, and how many of the nonzero rewards were
        predicted. Scalars as floats, per-step values as lists."""
        out = {}
        for key, value in self._evaluate(batch).items():
            value = value.numpy()
            out[key] = value.tolist() if value.ndim else float(value)
        return out

    # ----- imagination -----

    def encode(self, observations: np.ndarray, batch_size: int = 1024) -> np.ndarray:
        """Latents (numpy float32 [N, D]) of uint8 frame stacks [N, stack, H, W, C]."""
        return _batched(self._encode, observations, batch_size, self.latent_size)

    def encode_windows(self, frames: np.ndarray, starts: np.ndarray,
                       batch_size: int = 1024) -> np.ndarray:
        """Latents of the windows of `stack` consecutive frames that begin at `starts`
        (indices into `frames`, uint8 [N, H, W, C]). The same as `encode` of the stacked
        windows, but each frame goes through the encoder once, not once per window it
        is in, and the windows are never copied out as frame stacks."""
        features = _batched(self._frame_features, frames, batch_size,
                            self.network.frame_feature_size)
        windows = features[starts[:, None] + np.arange(self.stack_size)]
        return _batched(self._stack_latent, windows, batch_size, self.latent_size)

    def _imagine_impl(self, latent, actions, mean_reward, members, penalty):
        net = self.network
        nexts = [net.transition(latent, actions, m) for m in range(net.ensemble_size)]
        logits = tf.stack([net.reward_logits(latent, actions, n) for n in nexts], 1)
        probs = tf.nn.softmax(logits)
        expected = probs[..., 2] - probs[..., 0]  # [B, members]
        next_latent = tf.gather(tf.stack(nexts, 1), members, axis=1, batch_dims=1)
        picked = tf.gather(logits, members, axis=1, batch_dims=1)
        likeliest = tf.cast(tf.argmax(picked, -1, output_type=tf.int32) - 1, tf.float32)
        # The expected reward is the members' mean, lowered by their spread: where the
        # transitions disagree about what a step earns, the model does not know, and a
        # policy that seeks such steps seeks the model's errors (MOPO's penalty, on the
        # reward's own scale, so one coefficient serves every game).
        penalized = (tf.reduce_mean(expected, 1)
                     - penalty * tf.math.reduce_std(expected, 1))
        reward = tf.where(mean_reward, penalized, likeliest)
        # The members' disagreement about the next latent (their variance, averaged over
        # the latent's units): Plan2Explore's intrinsic reward, high where the data has
        # not shown the model what a step does.
        disagreement = tf.reduce_mean(tf.math.reduce_variance(tf.stack(nexts, 1), 1), -1)
        return next_latent, reward, tf.sigmoid(net.done_logit(next_latent)), disagreement

    def imagine(self, latent: np.ndarray, actions: np.ndarray, mean_reward: bool = False,
                with_disagreement: bool = False) -> Tuple[np.ndarray, ...]:
        """One batched imagined step from latents: (next latents, rewards, episode ends:
        where the episode-end head's probability is above 0.5, or with the model's
        sample_episode_ends drawn at that probability), numpy, and with
        `with_disagreement` the members' disagreement about the next latent [B] (0 for a
        single transition). Rewards are the likeliest class, or with
        `mean_reward` the expected clipped reward P(+1) - P(-1) (with an ensemble: the
        members' mean, less disagreement_penalty times their spread). With an ensemble
        each row's next latent is a member's drawn at random, so imagined rollouts carry
        the members' disagreement instead of following one member's errors (MBPO,
        PETS)."""
        members = self._member_rng.integers(0, self.network.ensemble_size, len(latent))
        out = [o.numpy() for o in self._imagine(
            tf.convert_to_tensor(latent, tf.float32), tf.convert_to_tensor(actions, tf.int32),
            tf.constant(bool(mean_reward)), tf.convert_to_tensor(members, tf.int32),
            tf.constant(self.disagreement_penalty, tf.float32))]
        # An episode ends where the head says it likely does, or with sample_episode_ends
        # at the head's probability: a rare end (a lost life, 2-3% of Breakout's steps)
        # that the head rates at 0.1-0.3 would otherwise never end an imagined rollout.
        out[2] = (self._member_rng.random(len(latent)) < out[2] if self.sample_episode_ends
                  else out[2] > 0.5)
        return tuple(out[:4 if with_disagreement else 3])

    def reseed_imagination(self, seed: int) -> None:
        """Seeds the draw of ensemble members in `imagine`."""
        self._member_rng = np.random.default_rng(seed)

    def rollout(self, stacks: np.ndarray,
                actions: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Imagines len(actions[0]) steps from the encodings of real frame stacks along
        given actions: (decoded newest frames uint8 [N, K, H, W, C], likeliest rewards
        int [N, K]). The frames are only decoded for looking at; the latent is what is
        stepped, as in imagination."""
        latent = self.encode(stacks)
        frames, rewards = [], []
        for k in range(actions.shape[1]):
            latent, reward, _ = self.imagine(latent, actions[:, k])
            decoded = self._decode(tf.convert_to_tensor(latent)).numpy()
            frames.append(np.clip(np.round(decoded * 255.0), 0, 255).astype(np.uint8))
            rewards.append(np.round(reward).astype(np.int64))
        return np.stack(frames, 1), np.stack(rewards, 1)
