"""A latent world model: imagination cheap enough for a CPU.

A pixel world model pays for a whole frame at every simulated step, and a pixel policy
pays for a CNN at every step and every update. Here real frames are encoded once; the
policy and the dynamics then work on a small latent vector, so one simulated step costs
a few small matrix products for thousands of sub-envs at once.

The parts:
- a frame encoder (per frame: stride-2 convolutions, then a dense layer) and a stack
  layer that turns the features of the `stack` newest frames into the latent `h`
  (dense, layer norm, tanh: bounded, so long imagined rollouts cannot blow up);
- a transition `h' = tanh(layer_norm(h + mlp([h, action])))`: feed-forward, since the
  latent of a 4-frame stack already holds velocities, and residual, since most of a
  frame carries over to the next; optionally an ensemble of them, whose disagreement
  marks where the model does not know;
- or, with `latent_channels` > 0, a spatial latent: the encoder's grid of cells is kept
  (latent_channels per cell, flattened into `h` for everything outside this module),
  and the transition is 3x3 convolutions over that grid with the action and the cells'
  coordinates as extra channels. What decides most Atari rewards is two objects meeting
  (ball and paddle, car and chicken, fist and face): a convolution sees that where it
  happens, with the same weights everywhere on the screen, where an MLP on a flat
  vector must learn each place apart (in probes it drifted further and PPO followed its
  errors: benchmarks/RESULTS.md, "A spatial latent"; no loop set uses it);
- a reward head on (h, action, h'), 3 classes for the clipped rewards -1, 0, 1, and an
  episode-end head on h';
- a decoder from h to the newest frame of its stack: the training signal that keeps the
  latent about the game, and the frames of the debug videos.

Training unrolls `unroll_steps` transitions from the latent of a real stack, with losses
at every step: reward and episode end, the decoded frame against the real one, and the
imagined latent against the encoding of the real stack it stands for (stop-gradient on
the encoding, as in self-predictive methods). So the model is trained the way it is
used: many steps from one real start, never re-encoding in between.

Batches are sequences (problems.input_pipeline.sequence_batch): frames [B, stack + K, H,
W, C] uint8, actions [B, K], rewards [B, K] in {-1, 0, 1} and dones [B, K], where step k
goes from the stack of frames k .. k + stack - 1 with actions[:, k] (the action taken in
frame k + stack - 1), earns rewards[:, k], and reaches frame k + stack, which ends its
episode where dones[:, k] is 1.
"""

from typing import List, Tuple

import tensorflow as tf

from models.tracking import track_layers

CELL = 4  # the encoder folds frames into CELL x CELL cells of pixels


def encoder_grid(hparams, frame_shape) -> Tuple[int, int, int]:
    """(rows, columns, channels) of the encoder's last grid for frames of `frame_shape`:
    the frame padded to whole cells, folded into them, then halved by each stride-2
    convolution after the first."""
    height, width = -(-frame_shape[0] // CELL), -(-frame_shape[1] // CELL)
    for _ in hparams.encoder_filters[1:]:
        height, width = -(-height // 2), -(-width // 2)
    return height, width, hparams.encoder_filters[-1]


def latent_size(hparams, frame_shape) -> int:
    """The size of the latent vector the policy reads: latent_size, or for a spatial
    latent every cell's latent_channels."""
    channels = hparams.get("latent_channels", 0)
    if channels > 0:
        height, width, _ = encoder_grid(hparams, frame_shape)
        return height * width * channels
    return hparams.latent_size


class LatentDynamicsNetwork(tf.keras.Model):
    """Encoder, transition, heads and decoder; see the module docstring.

    Args:
        hparams: a latent_dynamics set (hparams/latent_sets.py).
        num_actions: the game's action count.
        frame_shape: (height, width, channels) of one frame.
    """

    def __init__(self, hparams, num_actions, frame_shape):
        super().__init__()
        self.num_actions = num_actions
        self.frame_shape = tuple(frame_shape)
        self.stack_size = hparams.video_num_input_frames
        self.latent_channels = hparams.get("latent_channels", 0)
        self.spatial = self.latent_channels > 0
        relu, elu = tf.nn.relu, tf.nn.elu
        # The frame is folded into 4x4 cells first (space_to_depth) and the decoder
        # unfolds its last layer the same way: convolutions at full resolution with few
        # channels are what a CPU runs worst (the stride-2 and transposed-convolution
        # forms of the same encoder and decoder trained 2-3x slower).
        filters = hparams.encoder_filters
        self.convs = track_layers(self, "encoder_conv", [
            tf.keras.layers.Conv2D(filters[0], 3, padding="same", activation=relu)] + [
            tf.keras.layers.Conv2D(f, 4, 2, padding="same", activation=relu)
            for f in filters[1:]])
        self.padded = tuple(-(-n // CELL) * CELL for n in self.frame_shape[:2])
        self.grid = encoder_grid(hparams, self.frame_shape)
        height, width, _ = self.grid
        self.latent_size = latent_size(hparams, self.frame_shape)
        if self.spatial:
            # Each frame keeps its grid of cells; the stack's frames meet per cell (a 1x1
            # convolution over their features side by side).
            self.frame_dense = None
            self.frame_feature_size = height * width * filters[-1]
            self.stack_dense = tf.keras.layers.Conv2D(self.latent_channels, 1)
        else:
            self.frame_dense = tf.keras.layers.Dense(hparams.frame_feature_size,
                                                     activation=relu)
            self.frame_feature_size = hparams.frame_feature_size
            self.stack_dense = tf.keras.layers.Dense(hparams.latent_size)
        self.stack_norm = tf.keras.layers.LayerNormalization()
        hidden = hparams.transition_hidden_size
        # transition_ensemble > 1: that many transitions of the same shape, trained alike
        # from different initial weights (models/latent_world_model.py: imagination takes
        # each step with one drawn at random and can lower the reward by their
        # disagreement). The first keeps the single transition's names, so a one-member
        # checkpoint reads as before.
        # transition_update: "residual", next = tanh(norm(h + delta)); or "gated", a
        # GRU-like update next = h + z * (tanh(c) - h) with a per-unit gate z, the last
        # layer giving both c and z. The residual form cannot leave a latent as it is
        # (tanh and the norm reshape it every step), so an unchanging part of the screen
        # must be relearned as a fixed point; the gated form keeps it by closing z, and
        # starts near that (z = sigmoid(-2) at zero input).
        self.gated = hparams.get("transition_update", "residual") == "gated"
        outputs = 2 if self.gated else 1
        self.members = []
        for member in range(hparams.get("transition_ensemble", 1)):
            suffix = f"_m{member}" if member else ""
            if self.spatial:
                layers = track_layers(self, "transition" + suffix, [
                    tf.keras.layers.Conv2D(hidden, 3, padding="same", activation=elu)
                    for _ in range(2)] + [
                    tf.keras.layers.Conv2D(outputs * self.latent_channels, 3,
                                           padding="same")])
            else:
                layers = track_layers(self, "transition" + suffix, [
                    tf.keras.layers.Dense(hidden, activation=elu) for _ in range(2)]
                    + [tf.keras.layers.Dense(outputs * hparams.latent_size)])
            norm = tf.keras.layers.LayerNormalization()
            setattr(self, "transition_norm" + suffix, norm)
            self.members.append((layers, norm))
        # With action_injection=multiplicative, the action also gates and shifts each
        # hidden layer of the transition, x * sigmoid(W a) + V a, as the original's pixel
        # models inject it: concatenated to a 256-d latent, a 6-way one-hot is a small
        # share of the first layer's input, and a model trained on random play can then
        # nearly ignore it (benchmarks/RESULTS.md, "action effect").
        self.action_gates = []
        if hparams.get("action_injection", "concat") == "multiplicative":
            self.action_gates = track_layers(self, "action_gate", [
                tf.keras.layers.Dense(2 * hidden) for _ in range(2)])
        # The heads' width: the transition's, unless head_hidden_size says otherwise (a
        # spatial transition's width counts channels per cell, too few for a dense head).
        head = hparams.get("head_hidden_size", 0) or hidden
        self.reward_head = track_layers(self, "reward_head", [
            tf.keras.layers.Dense(head, activation=elu),
            tf.keras.layers.Dense(hparams.num_reward_classes)])
        # Episode ends are rare: start the head near "never" (P = 0.7%), or an untrained
        # model would end half its imagined rollouts at every step.
        self.done_head = track_layers(self, "done_head", [
            tf.keras.layers.Dense(head, activation=elu),
            tf.keras.layers.Dense(1, bias_initializer=tf.keras.initializers.Constant(-5.0))])
        # The decoder mirrors the encoder: from its smallest grid back up by sub-pixel
        # steps (a convolution to 4x the channels, then depth_to_space), the last one
        # unfolding 4x4 cells, then cropped to the frame. A spatial latent is already
        # that grid: a convolution, not a dense layer, brings it to the filters.
        if self.spatial:
            self.decoder_dense = tf.keras.layers.Conv2D(filters[-1], 3, padding="same",
                                                        activation=relu)
        else:
            self.decoder_dense = tf.keras.layers.Dense(height * width * filters[-1],
                                                       activation=relu)
        self.deconvs = track_layers(self, "decoder_conv", [
            tf.keras.layers.Conv2D(4 * f, 3, padding="same", activation=relu)
            for f in reversed(filters[:-1])])
        self.decoder_out = tf.keras.layers.Conv2D(CELL * CELL * self.frame_shape[2], 3,
                                                  padding="same")

    @property
    def encoder_variables(self) -> List[tf.Variable]:
        """The encoder's variables (frame convolutions, frame and stack layers), in a
        fixed order: what an EMA target copy of the encoder tracks."""
        layers = [*self.convs, self.frame_dense, self.stack_dense, self.stack_norm]
        return [v for layer in layers if layer is not None for v in layer.variables]

    # ----- encoding -----

    def encode_frames(self, frames: tf.Tensor) -> tf.Tensor:
        """uint8 [N, H, W, C] -> features [N, frame_feature_size] (with a spatial latent,
        each cell's features, flattened)."""
        x = tf.cast(frames, tf.float32) / 255.0
        height, width, _ = self.frame_shape
        x = tf.pad(x, [[0, 0], [0, self.padded[0] - height], [0, self.padded[1] - width],
                       [0, 0]])
        x = tf.nn.space_to_depth(x, CELL)
        for conv in self.convs:
            x = conv(x)
        x = tf.reshape(x, [tf.shape(x)[0], -1])
        return x if self.spatial else self.frame_dense(x)

    def stack_latent(self, features: tf.Tensor) -> tf.Tensor:
        """Features of `stack` consecutive frames [B, stack, F] -> latent [B, latent_size]."""
        batch = tf.shape(features)[0]
        if self.spatial:
            height, width, channels = self.grid
            cells = tf.reshape(features, [batch, self.stack_size, height, width, channels])
            cells = tf.reshape(tf.transpose(cells, [0, 2, 3, 1, 4]),
                               [batch, height, width, self.stack_size * channels])
            latent = tf.tanh(self.stack_norm(self.stack_dense(cells)))
            return tf.reshape(latent, [batch, self.latent_size])
        flat = tf.reshape(features, [batch, -1])
        return tf.tanh(self.stack_norm(self.stack_dense(flat)))

    def encode(self, observations: tf.Tensor) -> tf.Tensor:
        """uint8 frame stacks [B, stack, H, W, C] -> latents [B, latent_size]."""
        shape = tf.shape(observations)
        frames = tf.reshape(observations, tf.concat([[-1], shape[2:]], 0))
        features = self.encode_frames(frames)
        return self.stack_latent(tf.reshape(features, [shape[0], self.stack_size, -1]))

    # ----- dynamics -----

    @property
    def ensemble_size(self) -> int:
        return len(self.members)

    def transition(self, latent: tf.Tensor, actions: tf.Tensor,
                   member: int = 0) -> tf.Tensor:
        """The next latent by one member of the transition ensemble."""
        layers, norm = self.members[member]
        action = tf.one_hot(actions, self.num_actions)
        if self.spatial:
            return self._spatial_transition(latent, action, layers, norm)
        delta = tf.concat([latent, action], -1)
        for i, layer in enumerate(layers):
            delta = layer(delta)
            if i < len(self.action_gates):
                gate, shift = tf.split(self.action_gates[i](action), 2, -1)
                delta = delta * tf.sigmoid(gate) + shift
        return self._update(latent, delta, norm)

    def _update(self, latent, out, norm):
        """The next latent from the transition's last layer `out` (see transition_update
        in __init__); both forms keep it in -1..1."""
        if self.gated:
            candidate, gate = tf.split(out, 2, -1)
            return latent + tf.sigmoid(gate - 2.0) * (tf.tanh(candidate) - latent)
        return tf.tanh(norm(latent + out))

    def _spatial_transition(self, latent, action, layers, norm):
        """The transition of a spatial latent: 3x3 convolutions over the grid, the action
        broadcast to every cell and the cell's (row, column) in -1..1 beside it, so that
        what depends on the place (a wall, the score line) can be learned too."""
        height, width, _ = self.grid
        batch = tf.shape(latent)[0]
        cells = tf.reshape(latent, [batch, height, width, self.latent_channels])
        rows, cols = tf.meshgrid(tf.linspace(-1.0, 1.0, height), tf.linspace(-1.0, 1.0, width),
                                 indexing="ij")
        coords = tf.tile(tf.stack([rows, cols], -1)[None], [batch, 1, 1, 1])
        broadcast = tf.tile(action[:, None, None, :], [1, height, width, 1])
        delta = tf.concat([cells, broadcast, coords], -1)
        for i, layer in enumerate(layers):
            delta = layer(delta)
            if i < len(self.action_gates):
                gate, shift = tf.split(self.action_gates[i](action), 2, -1)
                delta = delta * tf.sigmoid(gate)[:, None, None] + shift[:, None, None]
        return tf.reshape(self._update(cells, delta, norm), [batch, self.latent_size])

    def done_logit(self, next_latent: tf.Tensor) -> tf.Tensor:
        done = next_latent
        for layer in self.done_head:
            done = layer(done)
        return tf.squeeze(done, -1)

    def step(self, latent: tf.Tensor, actions: tf.Tensor,
             member: int = 0) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """One imagined step by one member: (next latent, reward logits [B, 3], done
        logit [B])."""
        next_latent = self.transition(latent, actions, member)
        return (next_latent, self.reward_logits(latent, actions, next_latent),
                self.done_logit(next_latent))

    def reward_logits(self, latent: tf.Tensor, actions: tf.Tensor,
                      next_latent: tf.Tensor) -> tf.Tensor:
        """Reward logits [B, 3] of a step from `latent` with `actions` to `next_latent`.
        The reward reads the step's outcome as well as its start: whether the ball got
        past a paddle shows in the next state, not in the one before it."""
        x = tf.concat([latent, tf.one_hot(actions, self.num_actions), next_latent], -1)
        for layer in self.reward_head:
            x = layer(x)
        return x

    # ----- decoding -----

    def decode(self, latent: tf.Tensor) -> tf.Tensor:
        """Latents [B, latent_size] -> the newest frame of their stack, float [B, H, W, C]
        on the 0..1 scale (not clipped: the loss is a plain squared error)."""
        if self.spatial:
            x = self.decoder_dense(tf.reshape(latent, [-1, *self.grid[:2],
                                                       self.latent_channels]))
        else:
            x = tf.reshape(self.decoder_dense(latent), [-1, *self.grid])
        for conv in self.deconvs:
            x = tf.nn.depth_to_space(conv(x), 2)
        x = tf.nn.depth_to_space(self.decoder_out(x), CELL)
        height, width, _ = self.frame_shape
        return x[:, :height, :width]

    def call(self, observations: tf.Tensor, training: bool = False) -> tf.Tensor:
        """The latents of uint8 frame stacks (see `encode`); the one input is what a
        saved policy that contains this network serves."""
        return self.encode(observations)
