"""SimPLe's next-frame world models as Keras networks.

`NextFrameNetwork` maps 4 stacked frames and an action to 256-way logits for every pixel
channel of the next frame and 3-way reward logits:

  frames -> dense to hidden_size channels -> num_compress_steps stride-2 convolutions
  (layer norm; channels double at the first filter_double_steps) -> action injected as
  x * sigmoid(dense(a)) + dense(a) -> residual 3x3 convolutions with dropout ->
  transposed convolutions back up, the action injected again before each and the
  encoder's activations added back (U-Net skips) -> dense to 256 logits per channel.

The reward head reads the mean-pooled bottleneck and final features. With
`bottleneck_bits > 0` (next_frame_basic_stochastic_discrete) a discrete latent is added at
the bottleneck: in training an inference network sees the input and target frames and
emits bits (tanh, Gaussian noise, straight-through sign, a share of bits flipped), and an
LSTM learns to predict those bits from the bottleneck; at play time the LSTM samples them.
"""

from typing import Dict, Optional

import tensorflow as tf

from hparams.errors import UserError
from models import precision
from models.tracking import track_layers


def belu(x: tf.Tensor) -> tf.Tensor:
    """Bipolar ELU: ELU on half the channels, its mirror on the other half."""
    half = x.shape[-1] // 2
    return tf.concat([tf.nn.elu(x[..., :half]), -tf.nn.elu(-x[..., half:])], axis=-1)


def median_pixel_noise(frames: tf.Tensor, probability: float) -> tf.Tensor:
    """Replaces each input pixel (all its channels) with probability `probability` by the
    batch median at that position: noise that looks like the static background, which
    teaches the model not to trust single pixels of its own earlier predictions."""
    batch = tf.shape(frames)[0]
    ordered = tf.sort(tf.cast(frames, tf.int32), axis=0)
    median = tf.cast(ordered[batch // 2], frames.dtype)[None]
    shape = tf.concat([tf.shape(frames)[:-1], [1]], axis=0)
    replace = tf.random.uniform(shape) < probability
    return tf.where(replace, tf.broadcast_to(median, tf.shape(frames)), frames)


class Injection(tf.keras.layers.Layer):
    """x * sigmoid(dense(v)) + dense(v): a vector (action or latent) gating a feature map."""

    def __init__(self, filters, dtype=None):
        super().__init__(dtype=dtype)
        self.gate = tf.keras.layers.Dense(filters, dtype=dtype)
        self.shift = tf.keras.layers.Dense(filters, dtype=dtype)

    def call(self, x, vector):
        gate = self.gate(vector)[:, None, None, :]
        shift = self.shift(vector)[:, None, None, :]
        return x * tf.sigmoid(gate) + shift


class LatentPredictor(tf.keras.layers.Layer):
    """An LSTM that predicts the latent bits group by group from the bottleneck."""

    def __init__(self, bits, units, group=8):
        super().__init__(dtype="float32")
        self.group = min(group, bits)
        if bits % self.group:
            raise UserError(f"bottleneck_bits={bits} must be a multiple of {self.group}")
        self.steps = bits // self.group
        self.units = units
        self.init_h = tf.keras.layers.Dense(units, activation=tf.tanh)
        self.init_c = tf.keras.layers.Dense(units)
        self.cell = tf.keras.layers.LSTMCell(units)
        self.out = tf.keras.layers.Dense(self.group)

    def _start(self, context):
        return [self.init_h(context), self.init_c(context)]

    def logits(self, context, bits):
        """Teacher-forced logits [B, bits] for the given bits in {-1, 1}."""
        groups = tf.reshape(bits, [-1, self.steps, self.group])
        previous = tf.concat([tf.zeros_like(groups[:, :1]), groups[:, :-1]], axis=1)
        state = self._start(context)
        outputs = []
        for t in range(self.steps):
            h, state = self.cell(previous[:, t], state)
            outputs.append(self.out(h))
        return tf.concat(outputs, axis=1)

    def sample(self, context, temperature):
        """Bits in {-1, 1} drawn group by group; temperature 0 takes the likelier bit."""
        state = self._start(context)
        previous = tf.zeros([tf.shape(context)[0], self.group])
        drawn = []
        for _ in range(self.steps):
            h, state = self.cell(previous, state)
            logits = self.out(h)
            if temperature > 0:
                p = tf.sigmoid(logits / temperature)
                bits = tf.where(tf.random.uniform(tf.shape(p)) < p, 1.0, -1.0)
            else:
                bits = tf.where(logits > 0, 1.0, -1.0)
            drawn.append(bits)
            previous = bits
        return tf.concat(drawn, axis=1)


class NextFrameNetwork(tf.keras.Model):
    """See the module docstring. Call with frames [B, stack, H, W, C] uint8 and actions [B];
    pass `target` [B, H, W, C] uint8 in training for the stochastic model."""

    def __init__(self, hparams, num_actions, frame_shape):
        super().__init__()
        self.hparams = hparams
        self.num_actions = num_actions
        self.frame_shape = tuple(frame_shape)
        hp = hparams
        dtype = precision.keras_dtype(hp.compute_dtype)
        height, width, channels = self.frame_shape
        self.input_dense = tf.keras.layers.Dense(hp.hidden_size, dtype=dtype)
        self.down, self.down_norms, self.filters = [], [], []
        filters = hp.hidden_size
        for i in range(hp.num_compress_steps):
            if i < hp.filter_double_steps:
                filters *= 2
            self.filters.append(filters)
            self.down.append(tf.keras.layers.Conv2D(filters, hp.kernel_size, 2, "same",
                                                    dtype=dtype))
            self.down_norms.append(tf.keras.layers.LayerNormalization(dtype=dtype))
        self.bottleneck_action = Injection(filters, dtype=dtype)
        self.residual = [tf.keras.layers.Conv2D(filters, 3, 1, "same", dtype=dtype)
                         for _ in range(hp.num_hidden_layers)]
        self.residual_norms = [tf.keras.layers.LayerNormalization(dtype=dtype)
                               for _ in range(2 * hp.num_hidden_layers)]
        self.dropout = tf.keras.layers.Dropout(hp.dropout)
        self.residual_dropout = tf.keras.layers.Dropout(hp.residual_dropout)
        self.up, self.up_norms, self.up_actions = [], [], []
        skip_filters = [hp.hidden_size] + self.filters[:-1]
        for i in reversed(range(hp.num_compress_steps)):
            self.up_actions.append(Injection(self.filters[i], dtype=dtype))
            self.up.append(tf.keras.layers.Conv2DTranspose(skip_filters[i], hp.kernel_size, 2,
                                                           "same", dtype=dtype))
            self.up_norms.append(tf.keras.layers.LayerNormalization(dtype=dtype))
        self.frame_logits = tf.keras.layers.Dense(channels * 256, dtype="float32")
        self.reward_logits = tf.keras.layers.Dense(hp.num_reward_classes, dtype="float32")
        self.stochastic = hp.bottleneck_bits > 0
        for name in ("down", "down_norms", "residual", "residual_norms", "up", "up_norms",
                     "up_actions"):
            track_layers(self, name, getattr(self, name))
        if self.stochastic:
            self.inference_convs = [
                tf.keras.layers.Conv2D(hp.hidden_size, hp.kernel_size, 2, "same",
                                       activation=belu, dtype=dtype)
                for _ in range(hp.num_compress_steps)]
            track_layers(self, "inference_convs", self.inference_convs)
            self.inference_bits = tf.keras.layers.Dense(hp.bottleneck_bits, dtype="float32")
            self.latent_injection = Injection(filters, dtype=dtype)
            self.latent_predictor = LatentPredictor(hp.bottleneck_bits, hp.latent_lstm_size)

    def build(self, input_shape):
        # Sublayers build themselves on the first call, which the constructor of
        # WorldModel makes; nothing is left for Keras to build here.
        self.built = True

    def _stack_frames(self, frames):
        """[B, stack, H, W, C] uint8 -> [B, H, W, stack * C] float in [0, 1]."""
        shape = tf.shape(frames)
        x = tf.transpose(frames, [0, 2, 3, 1, 4])
        x = tf.reshape(x, [shape[0], shape[2], shape[3], frames.shape[1] * frames.shape[4]])
        return tf.cast(x, tf.float32) / 255.0

    def _infer_bits(self, frames, target, training):
        hp = self.hparams
        x = tf.concat([self._stack_frames(frames), tf.cast(target, tf.float32) / 255.0], -1)
        for conv in self.inference_convs:
            x = conv(x)
        z = tf.tanh(self.inference_bits(tf.cast(tf.reduce_mean(x, axis=[1, 2]), tf.float32)))
        if training:
            z += tf.random.normal(tf.shape(z), stddev=hp.bottleneck_noise)
        hard = tf.where(z > 0, 1.0, -1.0)
        bits = z + tf.stop_gradient(hard - z)  # straight-through sign
        if training and hp.bit_flip_probability > 0:
            flip = tf.random.uniform(tf.shape(bits)) < hp.bit_flip_probability
            bits = tf.where(flip, -bits, bits)
        return bits

    def call(self, frames: tf.Tensor, actions: tf.Tensor, target: Optional[tf.Tensor] = None,
             training: bool = False, temperature: float = 1.0) -> Dict[str, tf.Tensor]:
        """Returns a dict: frame_logits [B, H, W, C, 256], reward_logits [B, classes], and for
        the stochastic model bits [B, bits] and bit_logits [B, bits] (the LSTM's)."""
        hp = self.hparams
        height, width, channels = self.frame_shape
        if training and hp.input_noise > 0:
            frames = median_pixel_noise(frames, hp.input_noise)
        action = tf.one_hot(tf.cast(actions, tf.int32), self.num_actions)
        x = self.input_dense(self._stack_frames(frames))
        skips = []
        for conv, norm in zip(self.down, self.down_norms):
            skips.append(x)
            x = self.dropout(x, training=training)
            x = norm(belu(conv(x)))
        x = self.bottleneck_action(x, action)
        outputs = {}
        if self.stochastic:
            context = tf.cast(tf.reduce_mean(x, axis=[1, 2]), tf.float32)
            if target is not None:
                bits = self._infer_bits(frames, target, training)
                outputs["bit_logits"] = self.latent_predictor.logits(
                    tf.stop_gradient(context), tf.stop_gradient(bits))
            else:
                bits = self.latent_predictor.sample(context, temperature)
            outputs["bits"] = bits
            x = self.latent_injection(x, bits)
        for i, conv in enumerate(self.residual):
            y = self.residual_dropout(x, training=training)
            y = belu(conv(y))
            if i < len(self.residual) - 1:
                y = self.residual_norms[2 * i](y)
            x = self.residual_norms[2 * i + 1](x + y)
        bottleneck = x
        for inject, conv, norm, skip in zip(self.up_actions, self.up, self.up_norms,
                                            reversed(skips)):
            x = inject(x, action)
            x = belu(conv(x))
            x = x[:, :tf.shape(skip)[1], :tf.shape(skip)[2], :]
            x = norm(x + skip)
        logits = self.frame_logits(x)
        outputs["frame_logits"] = tf.reshape(
            logits, [tf.shape(logits)[0], height, width, channels, 256])
        pooled = tf.concat([tf.cast(tf.reduce_mean(bottleneck, axis=[1, 2]), tf.float32),
                            tf.cast(tf.reduce_mean(x, axis=[1, 2]), tf.float32)], axis=-1)
        outputs["reward_logits"] = self.reward_logits(pooled)
        return outputs
