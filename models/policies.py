"""Policy and value networks for PPO.

Every network maps a batch of observations to a `PolicyOutput`: categorical `logits`, or a
diagonal Gaussian's `mean` and `log_std`, plus the state `value`. Atari networks take the
raw uint8 stacks `[batch, stack, height, width, channels]` and put the stack on the
channel axis themselves, so callers never preprocess.
"""

import collections

import tensorflow as tf

from hparams.errors import UserError
from hparams.hparams import HParams
from models import catalog, conv, precision
from models.tracking import track_layers

PolicyOutput = collections.namedtuple("PolicyOutput", ["logits", "mean", "log_std", "value"])


def _frames_to_channels(observations):
    """[B, stack, H, W, C] uint8 -> [B, H, W, stack * C] float32 in [0, 1]."""
    shape = tf.shape(observations)
    x = tf.transpose(observations, [0, 2, 3, 1, 4])
    stack_channels = observations.shape[1] * observations.shape[4]
    x = tf.reshape(x, [shape[0], shape[2], shape[3], stack_channels])
    return tf.cast(x, tf.float32) / 255.0


def _trunk_dtype(compute_dtype):
    """Keras dtype policy for a network's body. Heads always run in float32, so
    log-probabilities and PPO ratios keep full precision."""
    return precision.keras_dtype(compute_dtype, "policy_compute_dtype")


class PolicyHeads(tf.keras.layers.Layer):
    """Categorical logits or a Gaussian mean with a learned state-independent log std,
    and a value."""

    def __init__(self, num_actions=None, action_dim=None, init_log_std=0.0):
        super().__init__(dtype="float32")
        self.discrete = num_actions is not None
        ortho = tf.keras.initializers.Orthogonal
        if self.discrete:
            self.policy = tf.keras.layers.Dense(num_actions, kernel_initializer=ortho(0.01),
                                                dtype="float32")
        else:
            self.policy = tf.keras.layers.Dense(action_dim, kernel_initializer=ortho(0.01),
                                                dtype="float32")
            self.log_std = self.add_weight(
                name="log_std", shape=(action_dim,),
                initializer=tf.keras.initializers.Constant(init_log_std))
        self.value = tf.keras.layers.Dense(1, kernel_initializer=ortho(1.0), dtype="float32")

    def call(self, features, value_features=None):
        value = tf.squeeze(self.value(features if value_features is None else value_features),
                           -1)
        if self.discrete:
            return PolicyOutput(self.policy(features), None, None, value)
        mean = self.policy(features)
        log_std = tf.broadcast_to(self.log_std, tf.shape(mean))
        return PolicyOutput(None, mean, log_std, value)


class SimpleCnn(tf.keras.Model):
    """SimPLe's small policy CNN: two 5x5 stride-2 convolutions of 32 filters, dropout
    (rate 0 unless a set names one: the original's layer was never active), dense 128,
    logits and value heads."""

    def __init__(self, num_actions, dropout=0.0, compute_dtype="float32"):
        super().__init__()
        relu = tf.nn.relu
        dtype = _trunk_dtype(compute_dtype)
        self.convs = track_layers(self, "conv", [
            tf.keras.layers.Conv2D(32, 5, 2, activation=relu, dtype=dtype) for _ in range(2)])
        self.flatten = tf.keras.layers.Flatten()
        self.dropout = tf.keras.layers.Dropout(dropout)
        self.dense = tf.keras.layers.Dense(128, activation=relu, dtype=dtype)
        self.heads = PolicyHeads(num_actions=num_actions)

    def call(self, observations, training=False):
        x = _frames_to_channels(observations)
        for conv_layer in self.convs:
            x = conv_layer(x)
        x = self.dropout(self.flatten(x), training=training)
        return self.heads(self.dense(x))


class NatureCnn(tf.keras.Model):
    """The DQN Nature CNN (as CleanRL and the RL Zoo use for Atari PPO).

    Its convolutions are models.conv.Conv2D, whose kernel gradient made the PPO minibatch
    step faster (benchmarks/policy_step_ab.py measures it). SimpleCnn keeps Keras's Conv2D:
    on its 105x80x12 input the transpose that form needs costs what it saves."""

    def __init__(self, num_actions, compute_dtype="float32"):
        super().__init__()
        relu = tf.nn.relu
        ortho = tf.keras.initializers.Orthogonal(2 ** 0.5)
        dtype = _trunk_dtype(compute_dtype)
        self.convs = track_layers(self, "conv", [
            conv.Conv2D(f, k, s, activation=relu, kernel_initializer=ortho, dtype=dtype)
            for f, k, s in ((32, 8, 4), (64, 4, 2), (64, 3, 1))])
        self.flatten = tf.keras.layers.Flatten()
        self.dense = tf.keras.layers.Dense(512, activation=relu, kernel_initializer=ortho,
                                           dtype=dtype)
        self.heads = PolicyHeads(num_actions=num_actions)

    def call(self, observations, training=False):
        x = _frames_to_channels(observations)
        for conv_layer in self.convs:
            x = conv_layer(x)
        return self.heads(self.dense(self.flatten(x)))


class Mlp(tf.keras.Model):
    """Separate tanh MLPs for policy and value, with a categorical or Gaussian head."""

    def __init__(self, hidden_sizes, num_actions=None, action_dim=None, init_log_std=0.0):
        super().__init__()
        ortho = tf.keras.initializers.Orthogonal(2 ** 0.5)

        def tower():
            return [tf.keras.layers.Dense(n, activation=tf.tanh, kernel_initializer=ortho)
                    for n in hidden_sizes]
        self.policy_layers = track_layers(self, "policy_hidden", tower())
        self.value_layers = track_layers(self, "value_hidden", tower())
        self.heads = PolicyHeads(num_actions, action_dim, init_log_std)

    def call(self, observations, training=False):
        x = v = tf.cast(observations, tf.float32)
        for layer in self.policy_layers:
            x = layer(x)
        for layer in self.value_layers:
            v = layer(v)
        return self.heads(x, value_features=v)


def make_policy_network(hparams: HParams, observation_space,
                        action_space) -> tf.keras.Model:
    """The network named by `hparams.policy_network`, built for these spaces."""
    name = catalog.check_policy_network_name(hparams.policy_network)
    discrete = hasattr(action_space, "n")
    if name == "mlp":
        if discrete:
            net = Mlp(hparams.mlp_hidden_sizes, num_actions=int(action_space.n))
        else:
            net = Mlp(hparams.mlp_hidden_sizes, action_dim=int(action_space.shape[0]),
                      init_log_std=hparams.init_log_std)
    else:  # simple_cnn or nature_cnn
        if not discrete or len(observation_space.shape) != 4:
            raise UserError(f"policy_network={name} needs stacked image observations and "
                            "discrete actions; use policy_network=mlp for this problem")
        dtype = hparams.get("policy_compute_dtype", "float32")
        if name == "simple_cnn":
            net = SimpleCnn(int(action_space.n), dropout=hparams.dropout_ppo,
                            compute_dtype=dtype)
        else:
            net = NatureCnn(int(action_space.n), compute_dtype=dtype)
    net(tf.zeros((1,) + tuple(observation_space.shape), observation_space.dtype))  # build
    return net


class EncodedPolicy(tf.keras.Model):
    """A latent policy with its encoder: raw uint8 frame stacks in, a PolicyOutput out.

    PPO trains `policy` on latents in imagination; this is the same policy as the real
    game sees it (the world model's encoder, then the policy), so an exported latent
    policy takes the frames every other policy takes.

    Args:
        encoder: maps uint8 [B, stack, H, W, C] to latents (LatentDynamicsNetwork.encode).
        policy: a network on those latents (an Mlp).
    """

    def __init__(self, encoder_network, policy):
        super().__init__()
        self.encoder_network = encoder_network
        self.policy = policy

    def call(self, observations, training=False):
        return self.policy(self.encoder_network.encode(observations), training=training)
