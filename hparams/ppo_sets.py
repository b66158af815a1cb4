"""PPO sets under their published names.

Field names follow the original: `num_agents` (parallel envs), `epoch_length` (steps per
env per iteration), `epochs_num` (iterations), `optimization_epochs`,
`optimization_batch_size` (time steps per minibatch, each carrying every agent's step),
`learning_rate`, `clipping_coef`, `gae_gamma`, `gae_lambda`, `entropy_loss_coef`,
`value_loss_coef`, `max_gradients_norm`. Atari sets also carry the frame-format fields of
`atari_simple`, so `--hparams=grayscale=True` works on them directly.
"""

from hparams import env_sets
from hparams.hparams import HParams
from hparams.registry import register


@register
def ppo_base() -> HParams:
    """Shared PPO defaults: Adam, global-norm clip 0.5, GAE, normalized advantages."""
    return HParams(
        policy_network="mlp",       # mlp | simple_cnn | nature_cnn
        num_agents=8,
        epoch_length=128,
        epochs_num=1000,
        optimization_epochs=4,
        optimization_batch_size=32,
        learning_rate=3e-4,
        anneal_learning_rate=False,  # linear decay to 0 over epochs_num
        clipping_coef=0.2,
        gae_gamma=0.99,
        gae_lambda=0.95,
        entropy_loss_coef=0.01,
        value_loss_coef=0.5,
        # > 0: the value loss also counts the error of a value moved at most this far from
        # its rollout-time estimate, whichever is larger (CleanRL's clip_vloss uses 0.1).
        value_clipping_coef=0.0,
        max_gradients_norm=0.5,
        normalize_advantages=True,
        # How normalize_advantages scales: "std" (each minibatch to mean 0, deviation 1)
        # or "return_range" (DreamerV3's: divided by the rollout's 5th-to-95th percentile
        # range of returns, at least 1; see rl/ppo.return_range_scale).
        advantage_normalization="std",
        dropout_ppo=0.0,
        mlp_hidden_sizes=[64, 64],
        init_log_std=0.0,
        # float32 | bfloat16 | auto: the CNN body's arithmetic (heads stay float32).
        # bfloat16 makes a Nature-CNN update faster on CPUs with AVX512_BF16, and several
        # times slower where it is emulated; auto picks by the CPU (models/precision.py).
        policy_compute_dtype="float32",
        save_every=50,               # iterations between checkpoints
    )


@register
def ppo_discrete_action_base() -> HParams:
    """MLP with a categorical policy, for discrete-action gym tasks (CartPole)."""
    return ppo_base()


@register
def ppo_continuous_action_base() -> HParams:
    """MLP with a diagonal Gaussian policy, for continuous control (Pendulum).

    Values after the RL Zoo's tuned Pendulum PPO: short horizon (gamma 0.9), lr 1e-3,
    4 envs x 1024 steps, 10 epochs of minibatches of 64 samples, no entropy bonus.
    """
    hparams = ppo_base()
    hparams.num_agents = 4
    hparams.epoch_length = 1024
    hparams.epochs_num = 245  # about 1M env steps
    hparams.optimization_epochs = 10
    hparams.optimization_batch_size = 16  # x 4 agents = 64 samples
    hparams.learning_rate = 1e-3
    hparams.gae_gamma = 0.9
    hparams.gae_lambda = 0.95
    hparams.entropy_loss_coef = 0.0
    hparams.init_log_std = -0.5
    hparams.save_every = 20
    return hparams


@register
def ppo_atari_base() -> HParams:
    """Atari PPO of the early T2T generation: SimPLe small CNN on 105x80 RGB stacks."""
    hparams = env_sets.add_atari_format(ppo_base())
    hparams.policy_network = "simple_cnn"
    hparams.learning_rate = 4e-4
    hparams.num_agents = 5
    hparams.epoch_length = 200
    hparams.gae_gamma = 0.985
    hparams.gae_lambda = 0.985
    hparams.entropy_loss_coef = 0.002
    hparams.value_loss_coef = 0.025
    hparams.optimization_epochs = 10
    hparams.optimization_batch_size = 20
    hparams.clipping_coef = 0.2
    # The original network has a dropout layer of rate 0.1 that was never active: it
    # calls tf.layers.dropout without training=True, which then passes its input through. Dropout only in the update would
    # make every probability ratio differ from 1 before the first step (see
    # benchmarks/ppo_first_step.py), so the rate is 0; a set that wants dropout sets
    # dropout_ppo and accepts that.
    hparams.dropout_ppo = 0.0
    return hparams


@register
def ppo_pong_base() -> HParams:
    """The early loop's PPO for Pong: 8 agents x 200 steps, gamma = lambda = 0.985."""
    hparams = ppo_atari_base()
    hparams.learning_rate = 2e-4
    hparams.num_agents = 8
    hparams.epoch_length = 200
    hparams.entropy_loss_coef = 0.003
    hparams.value_loss_coef = 1.0
    hparams.optimization_epochs = 2
    return hparams


@register
def ppo_original_params() -> HParams:
    """SimPLe's PPO (after the PPO paper), with a short epoch for model-based rollouts."""
    hparams = ppo_atari_base()
    hparams.learning_rate = 2.5e-4
    hparams.gae_gamma = 0.99
    hparams.gae_lambda = 0.95
    hparams.clipping_coef = 0.1
    hparams.value_loss_coef = 1.0
    hparams.entropy_loss_coef = 0.01
    hparams.optimization_epochs = 3
    hparams.epoch_length = 50
    hparams.optimization_batch_size = 20
    return hparams


@register
def rlmf_original() -> HParams:
    """Model-free Atari baseline of SimPLe's final generation: ppo_original_params, 16 envs."""
    hparams = ppo_original_params()
    hparams.num_agents = 16
    return hparams


@register
def rlmf_base() -> HParams:
    """rlmf_original with longer rollouts (T2T's model-free set for long runs)."""
    hparams = rlmf_original()
    hparams.epoch_length = 128
    hparams.optimization_batch_size = 32
    return hparams


@register
def rlmf_tiny() -> HParams:
    """For tests: 2 envs x 16 steps, 4 iterations, checkpoint every 2."""
    hparams = rlmf_original()
    hparams.num_agents = 2
    hparams.epoch_length = 16
    hparams.epochs_num = 4
    hparams.optimization_epochs = 1
    hparams.optimization_batch_size = 8
    hparams.save_every = 2
    return hparams


@register
def ppo_atari_cleanrl() -> HParams:
    """CleanRL / RL Zoo Atari PPO, so scores compare with theirs: 84x84 gray x 4, Nature
    CNN, 8 envs x 128 steps, 4 epochs of 4 minibatches, lr 2.5e-4 annealed to 0 over 10M
    agent steps (40M frames: CleanRL's total_timesteps and the RL Zoo's n_timesteps count
    agent steps, each 4 frames), clip 0.1, entropy 0.01, value 0.5, value clipping 0.1
    (CleanRL's clip_vloss). They also end episodes on a life loss and press FIRE at reset;
    this set does neither, which matters for Breakout, not for Pong.

    An earlier version annealed over 2.5M agent steps without value clipping
    (`--hparams=epochs_num=2441,value_clipping_coef=0.0` reproduces it).
    """
    hparams = env_sets.add_atari_format(ppo_base(), env_sets.atari_nature)
    hparams.policy_network = "nature_cnn"
    hparams.num_agents = 8
    hparams.epoch_length = 128
    hparams.epochs_num = 9765  # 10M agent steps (40M frames) / 1024 per iteration
    hparams.optimization_epochs = 4
    hparams.optimization_batch_size = 32  # x 8 agents = 256 samples: 4 minibatches
    hparams.learning_rate = 2.5e-4
    hparams.anneal_learning_rate = True
    hparams.clipping_coef = 0.1
    hparams.value_clipping_coef = 0.1
    hparams.entropy_loss_coef = 0.01
    hparams.value_loss_coef = 0.5
    hparams.gae_gamma = 0.99
    hparams.gae_lambda = 0.95
    return hparams


@register
def ppo_latent() -> HParams:
    """PPO in a latent world model's imagination: an MLP on the latent, thousands of
    imagined sub-envs, large minibatches (optimization_batch_size is per sub-env, so a
    minibatch holds 4 steps of every sub-env) so each Adam step is one big matrix product
    rather than many small calls."""
    hparams = ppo_base()
    hparams.policy_network = "mlp"
    hparams.mlp_hidden_sizes = [256, 256]
    hparams.num_agents = 1024
    hparams.epoch_length = 16
    hparams.epochs_num = 1000
    hparams.optimization_epochs = 4
    hparams.optimization_batch_size = 4
    hparams.learning_rate = 3e-4
    hparams.clipping_coef = 0.2
    # Advantages scaled by the returns' spread (at least 1), not by their own deviation,
    # with DreamerV3's small entropy bonus. Most imagined rollouts earn no reward; the
    # usual normalization blew their value noise up to the size of a real advantage, and
    # the larger bonus that was needed to keep that noise from collapsing the policy also
    # drowned the small, consistent advantage of heading for a distant reward: on
    # Freeway the policy stayed near uniform in a model where always pressing UP earns
    # the most (benchmarks/RESULTS.md, "PPO in imagination").
    hparams.advantage_normalization = "return_range"
    hparams.entropy_loss_coef = 3e-4
    hparams.save_every = 100
    return hparams
