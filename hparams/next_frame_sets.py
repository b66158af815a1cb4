"""World-model (next-frame) sets.

`next_frame` is the base of the deterministic SimPLe model; the stochastic-discrete set
adds the 128-bit latent. Sizes are in `hidden_size` (channels after the input layer),
`num_compress_steps` (stride-2 convolutions), `filter_double_steps` (how many of them
double the channels) and `num_hidden_layers` (residual layers at the bottleneck).
"""

from hparams.hparams import HParams
from hparams.registry import register


@register
def next_frame() -> HParams:
    """Deterministic next-frame model base: 4 frames in, 1 out, hidden 64, batch 4."""
    return HParams(
        model="next_frame_basic",
        video_num_input_frames=4,
        # Frames predicted one after another in each training window. From the second
        # on, each input frame the model has predicted is, per window, either the real
        # frame or the model's own prediction of it (scheduled sampling), so that
        # training meets the errors that play will feed back.
        video_num_target_frames=1,
        # How often the model's own prediction stands in for the real frame:
        # ground_truth_only (never), prediction_only (always), prob_inverse_exp (rising
        # from near 0 to scheduled_sampling_max_prob at scheduled_sampling_decay_steps)
        # or prob_inverse_lin (the same, rising exponentially to a quarter of the steps,
        # times a linear rise over all of them). See models/world_model.py.
        scheduled_sampling_mode="prediction_only",
        scheduled_sampling_decay_steps=10000,
        scheduled_sampling_max_prob=1.0,
        hidden_size=64,
        batch_size=4,
        dropout=0.5,
        residual_dropout=0.5,
        num_compress_steps=6,
        filter_double_steps=2,
        num_hidden_layers=2,
        kernel_size=4,
        video_modality_loss_cutoff=0.02,
        reward_loss_coef=1.0,
        rewarded_window_repeats=1,  # >1: train on windows with a reward this many times
        num_reward_classes=3,     # rewards -1, 0, 1
        input_noise=0.0,          # probability of replacing an input pixel by the batch median
        learning_rate=1e-3,
        learning_rate_warmup_steps=1500,
        learning_rate_decay_steps=0,  # 0: constant after warmup; else inverse sqrt decay
        optimizer_adam_beta2=0.999,
        max_gradients_norm=1.0,
        # float32 | bfloat16 | auto (arithmetic; weights stay float32). auto: bfloat16
        # where the CPU has bfloat16 instructions, float32 elsewhere (models/precision.py).
        compute_dtype="float32",
        # Stochastic-discrete latent (used by next_frame_basic_stochastic_discrete only).
        bottleneck_bits=0,
        bottleneck_noise=0.1,
        bit_flip_probability=0.1,
        latent_lstm_size=128,
        latent_loss_coef=1.0,
    )


@register
def next_frame_pixel_noise() -> HParams:
    """next_frame with 5% of input pixels replaced by the batch median during training."""
    hparams = next_frame()
    hparams.input_noise = 0.05
    return hparams


@register
def next_frame_basic_deterministic() -> HParams:
    """The final generation's name for SimPLe's deterministic model (as next_frame)."""
    hparams = next_frame()
    hparams.model = "next_frame_basic_deterministic"
    hparams.video_modality_loss_cutoff = 0.01
    hparams.dropout = 0.1
    hparams.residual_dropout = 0.1
    return hparams


@register
def next_frame_basic_stochastic_discrete() -> HParams:
    """SimPLe's world model: a 128-bit discrete latent inferred from the target frame in
    training and predicted by an LSTM at play time. Hidden 96, 3 doublings, dropout 0.15,
    lr 0.002 with 2,000 warmup steps; trained on 6 target frames a window with scheduled
    sampling rising over 40,000 steps, loss cutoff 0.03 and batch 4, as published."""
    hparams = next_frame_basic_deterministic()
    hparams.model = "next_frame_basic_stochastic_discrete"
    hparams.video_num_target_frames = 6
    hparams.scheduled_sampling_mode = "prob_inverse_lin"
    hparams.scheduled_sampling_decay_steps = 40000
    hparams.scheduled_sampling_max_prob = 1.0
    hparams.video_modality_loss_cutoff = 0.03
    hparams.hidden_size = 96
    hparams.filter_double_steps = 3
    hparams.dropout = 0.15
    hparams.residual_dropout = 0.15
    hparams.learning_rate = 2e-3
    hparams.learning_rate_warmup_steps = 2000
    hparams.bottleneck_bits = 128
    hparams.batch_size = 4
    hparams.input_noise = 0.05
    return hparams


@register
def next_frame_tiny() -> HParams:
    """For tests: seconds per hundred steps. Hidden 8, 3 compress steps, batch 2."""
    hparams = next_frame()
    hparams.hidden_size = 8
    hparams.num_compress_steps = 3
    hparams.filter_double_steps = 1
    hparams.num_hidden_layers = 1
    hparams.batch_size = 2
    hparams.dropout = 0.0
    hparams.residual_dropout = 0.0
    hparams.learning_rate_warmup_steps = 10
    return hparams


@register
def next_frame_stochastic_tiny() -> HParams:
    """next_frame_tiny with a 16-bit stochastic-discrete latent, trained on 2 target
    frames with scheduled sampling as the published set is on 6, for tests."""
    hparams = next_frame_tiny()
    hparams.model = "next_frame_basic_stochastic_discrete"
    hparams.video_num_target_frames = 2
    hparams.scheduled_sampling_mode = "prob_inverse_lin"
    hparams.scheduled_sampling_decay_steps = 20
    hparams.bottleneck_bits = 16
    hparams.latent_lstm_size = 16
    return hparams


@register
def next_frame_cpu() -> HParams:
    """Sized for a 2-core CPU, still learning Atari dynamics.

    Trades away capacity for speed: hidden 32 instead of 64, 5 compress steps instead of 6,
    one filter doubling (32 -> 64 channels) instead of two, dropout 0.1, batch 16 and
    bfloat16 arithmetic where the CPU has bfloat16 instructions (float32 elsewhere, where
    emulated bfloat16 would be several times slower). The receptive field still covers a
    105x80 frame (2^5 = 32 pixel stride at the bottleneck) and the action is still
    injected at every up-step.
    """
    hparams = next_frame_pixel_noise()
    hparams.hidden_size = 32
    hparams.num_compress_steps = 5
    hparams.filter_double_steps = 1
    hparams.dropout = 0.1
    hparams.residual_dropout = 0.1
    hparams.batch_size = 16
    hparams.learning_rate = 2e-3
    hparams.learning_rate_warmup_steps = 500
    hparams.compute_dtype = "auto"
    return hparams


@register
def next_frame_cpu_small_frames() -> HParams:
    """next_frame_cpu for frames a quarter of SimPLe's size (52x40, gray in rlmb_cpu).

    One compress step fewer (52x40 -> 4x3 at the bottleneck, still covering the frame)
    and each window with a reward shown 20 times as often: on Freeway a crossing is about
    one frame in 600 of the early data, too rare for the reward head to notice otherwise.
    """
    hparams = next_frame_cpu()
    hparams.num_compress_steps = 4
    hparams.rewarded_window_repeats = 20
    return hparams
