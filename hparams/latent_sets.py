"""Latent world-model sets (models/latent_dynamics.py).

Sizes are chosen for imagination on a CPU: the latent is what the policy reads and what
every simulated step transforms, so it stays small (256); the encoder and decoder, paid
only when training the model and encoding real frames, can be larger.
"""

from hparams.hparams import HParams
from hparams.registry import register


@register
def latent_dynamics_cpu() -> HParams:
    """The latent model of rlmb_latent: 256-d latent, 3 encoder convolutions, 10-step
    unrolls, batch 32.

    The moving pixels weigh 50 more than the background and 3 of the 10 unrolled steps
    are decoded per batch: without the weight the decoder learns the background and
    leaves out the ball and paddles, and decoding a sample of steps buys about twice the
    training steps in the same time (benchmarks/RESULTS.md, the latent model's probes).
    The reward loss is raised with the reconstruction's weight so that the reward head,
    whose rewards are rare, keeps its share of the gradient. The consistency targets come
    from an EMA copy of the encoder, which lets the consistency loss weigh 10 without
    collapsing the latent; imagined latents then drift about half as far from the real
    encodings (benchmarks/RESULTS.md, "drift")."""
    return HParams(
        model="latent_dynamics",
        video_num_input_frames=4,
        encoder_filters=[32, 64, 64],
        frame_feature_size=256,
        latent_size=256,
        # > 0: a spatial latent of this many channels per cell of the encoder's last grid
        # (latent_size is then unused) and a convolutional transition
        # (models/latent_dynamics.py); 0: the flat latent_size vector and an MLP.
        latent_channels=0,
        transition_hidden_size=512,
        # How the transition's output makes the next latent: "residual" or "gated"
        # (models/latent_dynamics.py; the gate scored no better in probes:
        # benchmarks/RESULTS.md, "The transition's update").
        transition_update="residual",
        # The reward and episode-end heads' width; 0: transition_hidden_size.
        head_hidden_size=0,
        # How the action enters the transition: "concat" (beside the latent, at the
        # input) or "multiplicative" (also gating each hidden layer; models/
        # latent_dynamics.py).
        action_injection="concat",
        # Transitions in the ensemble (models/latent_dynamics.py): with more than one,
        # each imagined step is taken by one drawn at random, and the expected reward is
        # lowered by disagreement_penalty times the members' spread of it.
        transition_ensemble=1,
        disagreement_penalty=0.0,
        num_reward_classes=3,
        unroll_steps=10,
        # How many of the unrolled steps have their latent decoded to a frame in each
        # training batch, besides step 0 (models/latent_world_model._decoded_steps);
        # 0: every step.
        decoded_steps=3,
        batch_size=32,
        # Share of each batch drawn from sequences that earn a nonzero reward: where
        # rewards are rare the reward head otherwise learns never to predict one.
        rewarded_sequence_fraction=0.25,
        reconstruction_loss_coef=100.0,
        # Extra weight of the reconstruction error where a frame changed from the one
        # before (models/latent_world_model.motion_weights); 0: a plain squared error.
        moving_pixel_weight=50.0,
        consistency_loss_coef=10.0,
        # Weight of the encodings' pull toward the imagined latents (the consistency
        # loss's other direction, DreamerV3's representation loss); 0: none, and the
        # encoder's backward pass runs only on the first stack.
        representation_loss_coef=0.0,
        # > 0: consistency targets from an exponential moving average of the encoder
        # with this decay per step (models/latent_world_model.py); 0: the encoder itself.
        target_encoder_decay=0.99,
        reward_loss_coef=5.0,
        # Weight of the reward head's loss on the real encodings (each step from one real
        # latent to the next), beside the imagined ones (models/latent_world_model.py).
        real_reward_loss_coef=0.0,
        done_loss_coef=0.1,
        # True: the episode-end head also learns the steps that lose a life, so imagined
        # rollouts end there (models/latent_world_model._episode_ends).
        done_on_life_loss=False,
        # False: an imagined episode ends where the episode-end head's probability is
        # above 0.5; True: it ends at that probability (drawn each step), so that ends
        # the head rates likely but below even odds still end some rollouts.
        sample_episode_ends=False,
        learning_rate=6e-4,
        learning_rate_warmup_steps=200,
        # Gradient norms run to 5-60 in the first thousand steps; a clip at 10 would
        # slow exactly that phase.
        max_gradients_norm=100.0,
    )


@register
def latent_dynamics_ensemble() -> HParams:
    """latent_dynamics_cpu with three transitions: each imagined step is taken by one
    drawn at random, and the expected reward is lowered by the members' spread of it, so
    PPO gains less from steps where the model does not know what happens."""
    hparams = latent_dynamics_cpu()
    hparams.transition_ensemble = 3
    hparams.disagreement_penalty = 1.0
    return hparams


@register
def latent_dynamics_ensemble_life() -> HParams:
    """latent_dynamics_ensemble whose episode-end head also learns the steps that lose a
    life, so an imagined rollout can end there and PPO's value of what follows is 0: the
    life loss as an episode end that DQN's agents and later Atari 100K world models
    (STORM among them) train with. In games with lives it is a frequent outcome that the
    actions of the last few steps decide (a missed ball, a fatal hit), where the rewards
    the model otherwise learns from may come long after them.

    Two changes make the flag act at all: at the base set's episode-end weight (0.1,
    against 100 for the frames) the head rated Breakout's lost lives as every other step
    (0.021 against 0.019 after 3,000 steps), and a rare end rated below 0.5 never ends a
    rollout. So the head's loss weighs as much as the reward's, and imagined ends are
    drawn at the head's probability (benchmarks/RESULTS.md, "Lost lives")."""
    hparams = latent_dynamics_ensemble()
    hparams.done_on_life_loss = True
    hparams.done_loss_coef = 10.0
    hparams.sample_episode_ends = True
    return hparams


@register
def latent_dynamics_ensemble_u16() -> HParams:
    """latent_dynamics_ensemble trained on 16-step unrolls instead of 10, so that the
    model is trained over half of rlmb_latent's 32-step rollouts instead of a third. Its
    training steps cost more, so a loop with it takes longer. Kept to reproduce the loop
    runs in benchmarks/RESULTS.md, section 1, that rejected it: no loop set uses it."""
    hparams = latent_dynamics_ensemble()
    hparams.unroll_steps = 16
    return hparams


@register
def latent_dynamics_tiny() -> HParams:
    """For tests: 32-d latent, 2 small convolutions, 3-step unrolls, batch 4."""
    hparams = latent_dynamics_cpu()
    hparams.encoder_filters = [8, 16]
    hparams.frame_feature_size = 32
    hparams.latent_size = 32
    hparams.transition_hidden_size = 64
    hparams.unroll_steps = 3
    hparams.batch_size = 4
    hparams.learning_rate_warmup_steps = 10
    return hparams


@register
def latent_dynamics_ensemble_tiny() -> HParams:
    """For tests: latent_dynamics_tiny with two transitions, as rlmb_latent has three."""
    hparams = latent_dynamics_tiny()
    hparams.transition_ensemble = 2
    hparams.disagreement_penalty = 1.0
    return hparams


@register
def latent_dynamics_spatial() -> HParams:
    """latent_dynamics_cpu with a spatial latent: 16 channels on each cell of a 7x5 grid
    of 52x40 frames (each cell 8x8 pixels), stepped by 3x3 convolutions of 64 channels,
    one transition. Meant to learn a ball meeting a paddle once for every place on the
    screen, where the flat latent's MLP must learn each place apart. Not used by any loop
    set: in probes on Pong and Boxing its imagination drifted further and rated one held
    action far above the rest, and PPO followed it below the best constant action
    (benchmarks/RESULTS.md, "A spatial latent")."""
    hparams = latent_dynamics_cpu()
    hparams.encoder_filters = [32, 64]
    hparams.latent_channels = 16
    hparams.transition_hidden_size = 64
    hparams.head_hidden_size = 256
    return hparams


@register
def latent_dynamics_spatial_tiny() -> HParams:
    """For tests: latent_dynamics_tiny with a spatial latent of 4 channels a cell."""
    hparams = latent_dynamics_tiny()
    hparams.latent_channels = 4
    hparams.transition_hidden_size = 8
    hparams.head_hidden_size = 32
    return hparams
