"""Model-based loop sets (trainer_model_based), under both generations' names.

A loop set names its sub-sets: `generative_model` (the world model's name),
`generative_model_params` (its hparams set) and `ppo_params` (the PPO set used inside
the world model; `base_algo_params` is the final generation's name for the same field and
wins when both are set). Loop fields prefixed `ppo_` override the PPO set's fields.

Real data: an initial collection, then one per epoch, each of
num_real_env_frames // epochs agent steps (rlmb_base: 16 x 6,400 = 102,400).
"""

from hparams import env_sets
from hparams.hparams import HParams
from hparams.registry import register


@register
def rlmb_base() -> HParams:
    """SimPLe's final loop: 15 epochs, 6,400 real steps each, deterministic world model."""
    hparams = HParams(
        game="pong",
        epochs=15,
        num_real_env_frames=96000,
        real_collection_envs=16,        # parallel real envs when collecting
        # True: each collection plays on in the episodes the previous one left running,
        # as SimPLe's real env did (rl/collect.RunningEpisodes); False: every collection
        # starts fresh episodes, so the data holds only each episode's first
        # num_real_env_frames / epochs / real_collection_envs steps.
        real_episodes_continue=False,
        real_sampling_temperature=1.0,
        # Collections after the first: at each step, each sub-env not already holding a
        # random action starts holding one with this probability, for
        # initial_collection_mean_hold steps on average (rl/collect.HeldRandomActions;
        # 0: the policy's actions only, as SimPLe).
        real_random_hold_probability=0.0,
        # PPO in the world model: at each step, each imagined sub-env not already holding
        # a random action starts holding one with this probability, for
        # simulated_random_hold_mean steps on average, learned from with the policy's
        # own log-probability (rl/rollout.RolloutCollector; 0: the policy's actions only).
        # Off: it took a fixed-model Crazy Climber probe past the wall and collapsed
        # Kung-Fu Master's policy (benchmarks/RESULTS.md).
        simulated_random_hold_probability=0.0,
        simulated_random_hold_mean=32,
        # Collections after the first: in this share of the sub-envs the task policy
        # leads and, at a step drawn at random, hands over to an exploration policy
        # trained in the world model on its transition ensemble's disagreement
        # (Plan2Explore; rl/exploration.py), explore_ppo_epochs_num PPO iterations an
        # epoch, its reward the disagreement plus explore_extrinsic_weight times the
        # model's (the disagreement in units of its mean over the data's own steps).
        # The task policy learns from the other sub-envs only. 0: no explorer (a latent
        # world model with a transition ensemble is needed for one).
        real_explore_share=0.0,
        explore_ppo_epochs_num=30,
        explore_extrinsic_weight=0.0,
        # A latent loop's policy reads the world model's encoder, which each epoch's
        # training moves: after it, this many Adam steps train the policy on the new
        # latents of real windows toward its own outputs on the old ones
        # (rl/policy_realign.py). 0: PPO starts the epoch from the moved inputs. Off:
        # realigned, Kung-Fu Master and Krull scored no higher over the epochs
        # (benchmarks/RESULTS.md, "The encoder moves under the policy").
        policy_realign_steps=0,
        # Mean steps each uniform random action is held in the initial collection (1: a
        # fresh action every step, as SimPLe). See rl/collect.random_policy.
        initial_collection_mean_hold=1,
        generative_model="next_frame_basic_deterministic",
        generative_model_params="next_frame_pixel_noise",
        # float32 | bfloat16 | auto overrides the world-model set's compute_dtype; ""
        # keeps it.
        generative_model_compute_dtype="",
        model_train_steps=15000,
        initial_epoch_train_steps_multiplier=3,
        train_steps_multiplier_epochs=[0, 1, 4, 9, 14],
        ppo_params="",
        base_algo_params="ppo_original_params",
        simulated_rollout_length=50,
        simulated_batch_size=16,
        simulation_sampling_temperature=1.0,
        # Share of simulated rollouts started shortly before a real reward (0: all from
        # random real frames, as SimPLe). See rl/simulated_env.py.
        simulated_reward_starts=0.0,
        # Simulated rollouts start from windows of the latest collection, as the
        # original's did; True: from all real data so far.
        simulated_starts_all_epochs=False,
        # Every collection after the first also trains PPO on what it collects, as the
        # original's train_agent_real_env: an update every real_ppo_epoch_length agent
        # steps (summed over the collection's envs) at real_ppo_learning_rate
        # (rl/real_env_ppo.py).
        train_agent_real_env=True,
        real_ppo_epoch_length=3200,
        real_ppo_learning_rate=1e-4,
        ppo_epochs_num=1000,
        ppo_epoch_length=50,
        ppo_learning_rate=1e-4,
        ppo_long_epochs=[],             # epochs whose PPO budget is doubled
        ppo_last_epoch_multiplier=3,
        eval_sampling_temps=[0.5, 0.0, 1.0],
        eval_max_num_noops=8,
        # Epochs between evaluations of every setting above; the epochs between them
        # evaluate only the first temperature with eval_max_num_noops no-ops, and the last
        # epoch always evaluates every setting.
        eval_all_settings_every=1,
        eval_episodes=8,
        eval_envs=8,
        eval_world_model_rollouts=32,
        world_model_eval_steps=10,
    )
    return env_sets.add_atari_format(hparams)


@register
def rlmb_base_stochastic_discrete() -> HParams:
    """SimPLe as published: rlmb_base with the stochastic discrete world model."""
    hparams = rlmb_base()
    hparams.generative_model = "next_frame_basic_stochastic_discrete"
    hparams.generative_model_params = "next_frame_basic_stochastic_discrete"
    return hparams


@register
def rlmb_long_stochastic_discrete() -> HParams:
    """rlmb_base_stochastic_discrete with twice the world-model training per epoch."""
    hparams = rlmb_base_stochastic_discrete()
    hparams.model_train_steps = 30000
    return hparams


@register
def rlmb_quick() -> HParams:
    """The whole loop in well under an hour on a CPU: 3 epochs, 6,000 real steps, a small
    world model, 100 PPO iterations per epoch."""
    hparams = rlmb_base()
    hparams.epochs = 3
    hparams.num_real_env_frames = 6000
    hparams.generative_model = "next_frame_basic"
    hparams.generative_model_params = "next_frame_cpu"
    hparams.model_train_steps = 300
    hparams.train_steps_multiplier_epochs = [0]
    hparams.ppo_epochs_num = 100
    hparams.eval_sampling_temps = [0.0, 1.0]
    hparams.eval_episodes = 4
    return hparams


def _sized_for_tests(hparams: HParams) -> HParams:
    """`hparams` cut to a loop that runs in seconds: 2 epochs of 200 real steps, 10
    world-model steps per epoch, 3 PPO iterations of 5 steps, one evaluation episode."""
    hparams.epochs = 2
    hparams.num_real_env_frames = 400
    hparams.real_collection_envs = 4
    hparams.model_train_steps = 10
    hparams.simulated_rollout_length = 5
    hparams.ppo_epochs_num = 3
    hparams.ppo_epoch_length = 5
    hparams.ppo_last_epoch_multiplier = 1
    hparams.eval_sampling_temps = [0.0]
    hparams.eval_max_num_noops = 0
    hparams.eval_episodes = 1
    hparams.eval_envs = 1
    hparams.eval_world_model_rollouts = 4
    hparams.world_model_eval_steps = 1
    hparams.real_ppo_epoch_length = 100  # two updates in each 200-step collection
    return hparams


@register
def rlmb_tiny() -> HParams:
    """For tests: 2 epochs of 200 real steps, next_frame_tiny, 3 PPO iterations."""
    hparams = _sized_for_tests(rlmb_base())
    hparams.generative_model = "next_frame_basic"
    hparams.generative_model_params = "next_frame_tiny"
    hparams.train_steps_multiplier_epochs = [0]
    hparams.simulated_batch_size = 2
    return hparams


@register
def rl_modelrl_base() -> HParams:
    """The early generation's loop: 6 epochs of about 18,333 real steps, next_frame_basic
    with pixel noise, PPO from ppo_pong_base (16 agents x 30 steps, 200 iterations)."""
    hparams = rlmb_base()
    hparams.epochs = 6
    hparams.num_real_env_frames = 110000
    hparams.generative_model = "next_frame_basic"
    hparams.generative_model_params = "next_frame_pixel_noise"
    hparams.model_train_steps = 50000
    hparams.initial_epoch_train_steps_multiplier = 1
    hparams.train_steps_multiplier_epochs = []
    hparams.base_algo_params = ""
    hparams.ppo_params = "ppo_pong_base"
    hparams.ppo_epochs_num = 200
    hparams.ppo_epoch_length = 30
    hparams.simulated_batch_size = 16
    hparams.simulated_rollout_length = 30
    hparams.ppo_learning_rate = 2e-4
    hparams.ppo_last_epoch_multiplier = 1
    # The early generation trained PPO only in the world model, from all data so far.
    hparams.train_agent_real_env = False
    hparams.simulated_starts_all_epochs = True
    return hparams


@register
def rl_modelrl_medium() -> HParams:
    """rl_modelrl_base at a quarter of the world-model and PPO budget."""
    hparams = rl_modelrl_base()
    hparams.model_train_steps = 12500
    hparams.ppo_epochs_num = 50
    return hparams


@register
def rl_modelrl_short() -> HParams:
    """A short look at the early loop: 3 epochs, 15,000 real steps, small models."""
    hparams = rl_modelrl_base()
    hparams.epochs = 3
    hparams.num_real_env_frames = 15000
    hparams.generative_model_params = "next_frame_cpu"
    hparams.model_train_steps = 500
    hparams.ppo_epochs_num = 30
    hparams.eval_episodes = 4
    return hparams


@register
def rl_modelrl_tiny() -> HParams:
    """The README's quick look: the whole loop on a CPU in a few minutes (2 epochs of
    1,200 real steps, a tiny world model, 10 PPO iterations per epoch)."""
    hparams = rl_modelrl_base()
    hparams.epochs = 2
    hparams.num_real_env_frames = 2400
    hparams.real_collection_envs = 8
    hparams.generative_model_params = "next_frame_tiny"
    hparams.model_train_steps = 100
    hparams.simulated_batch_size = 8
    hparams.simulated_rollout_length = 20
    hparams.ppo_epochs_num = 10
    hparams.ppo_epoch_length = 20
    hparams.eval_sampling_temps = [0.0, 1.0]
    hparams.eval_episodes = 2
    hparams.eval_envs = 2
    hparams.eval_world_model_rollouts = 8
    hparams.world_model_eval_steps = 2
    return hparams


@register
def rlmb_cpu() -> HParams:
    """SimPLe's 100K budget on a 2-core CPU within 2 hours (Freeway by default).

    Keeps 100K real agent steps (8 collections of 12,800 = 102,400, as rlmb_base's 16 of
    6,400) and changes what the CPU cannot afford, each measured in benchmarks/RESULTS.md:
    - 52x40 gray frames (resize factor 4) for the world model and the policy: a quarter of
      the pixels and a third of the channels of SimPLe's 105x80 RGB, so the 256-way output
      softmax, the largest cost, shrinks 12x. Freeway's chicken and cars stay visible.
    - next_frame_cpu_small_frames (hidden 32, 4 compress steps, bfloat16, rewarded windows
      oversampled), 1,500 steps per epoch, x3 in the first: 13,500 in all.
    - 7 epochs instead of 15, so each world-model and PPO phase is long enough to pay for
      its start-up.
    - 50 PPO iterations of 64 x 50 simulated steps per epoch (x3 in the last): 1.44M
      simulated steps against SimPLe's 16M, with PPO's own learning rate 2.5e-4 instead of
      the loop's 1e-4 to make up for part of that. 64 simulated envs instead of 16: one
      world-model call on 64 frames costs about three on 16.
    - Exploration where rewards are rare. The initial collection holds each uniform random
      action for 16 steps on average: uniform random play never crosses Freeway's road in
      100K steps, so neither the world model nor PPO would ever see a reward (SimPLe's runs
      scoring 0 and 0.02). And a quarter of the simulated rollouts start shortly before a
      real reward, so PPO meets the rewards the world model has learned.
    """
    hparams = rlmb_base()
    hparams.game = "freeway"
    hparams.epochs = 7
    hparams.num_real_env_frames = 89600
    hparams.initial_collection_mean_hold = 16
    hparams.resize_height_factor = 4
    hparams.resize_width_factor = 4
    hparams.grayscale = True
    hparams.generative_model = "next_frame_basic"
    hparams.generative_model_params = "next_frame_cpu_small_frames"
    hparams.model_train_steps = 1500
    hparams.train_steps_multiplier_epochs = [0]
    hparams.simulated_batch_size = 64
    hparams.simulated_reward_starts = 0.25
    hparams.ppo_epochs_num = 50
    hparams.ppo_learning_rate = 2.5e-4
    hparams.eval_sampling_temps = [0.0, 0.5, 1.0]
    hparams.eval_episodes = 8
    hparams.eval_max_num_noops = 8
    return hparams


@register
def rlmb_latent() -> HParams:
    """SimPLe's 100K budget on a 2-core CPU, PPO in a latent world model's imagination.

    The same real budget and collections as rlmb_base (16 x 6,400 = 102,400 agent steps),
    in rlmb_cpu's 52x40 gray frames and with its exploring first collection. What differs
    is the world model: latent_dynamics (models/latent_dynamics.py) encodes real frames
    once and steps a small latent state, so PPO trains an MLP on latents at tens of
    thousands of simulated steps per second instead of hundreds. That buys twice SimPLe's
    16M simulated steps (512 sub-envs x 32-step rollouts x about 2,000 iterations, 120
    an epoch) within the 2 hours, and the rest of the time trains the model. Half that
    PPO budget left the policy short of what the model offered: in a fixed model the
    greedy score kept rising well past one epoch's 60 iterations, and over the epochs of
    Kung-Fu Master and Boxing 120 scored more than 60. Where the model misses the rewards
    (Freeway, Pong) more PPO does not help, and on Freeway it followed the model's errors
    further (benchmarks/RESULTS.md, "PPO's budget" and section 1).

    The model has three transitions (latent_dynamics_ensemble): where they disagree,
    imagined steps differ and the expected reward is lowered, so PPO does not learn to
    exploit one transition's errors. With one, the Pong model favoured holding UP, which
    every constant action's real score contradicts, and the Freeway policy learned to
    wait for cars that the game does not justify (benchmarks/RESULTS.md, "An ensemble of
    transitions").
    """
    hparams = rlmb_base()
    hparams.initial_collection_mean_hold = 16
    hparams.resize_height_factor = 4
    hparams.resize_width_factor = 4
    hparams.grayscale = True
    hparams.generative_model = "latent_dynamics"
    hparams.generative_model_params = "latent_dynamics_ensemble"
    hparams.model_train_steps = 500
    hparams.initial_epoch_train_steps_multiplier = 5
    hparams.train_steps_multiplier_epochs = [0]
    hparams.base_algo_params = ""
    hparams.ppo_params = "ppo_latent"
    # 512 sub-envs x 32-step rollouts: twice the horizon of 16-step ones for the same
    # steps per iteration, long enough to see a missed ball follow a paddle's move.
    # Rollouts as short as the model's 10-step training unrolls drift less; they helped
    # Freeway on one seed of two and cost Kung-Fu Master most of its score
    # (benchmarks/RESULTS.md, section 1, "Rollouts as long as the model's unrolls").
    hparams.simulated_batch_size = 512
    hparams.simulated_rollout_length = 32
    hparams.simulated_reward_starts = 0.25
    hparams.ppo_epochs_num = 120
    hparams.ppo_epoch_length = 32
    hparams.ppo_learning_rate = 3e-4
    hparams.eval_sampling_temps = [0.0, 0.5, 1.0]
    # Greedy policies that do not restart a game after losing a life (Breakout's FIRE)
    # play on to the step limit, and six settings of that took most of a run's time:
    # the middle epochs score only temperature 0 with no-ops, every fifth all six.
    hparams.eval_all_settings_every = 5
    return hparams


@register
def rlmb_latent_tiny() -> HParams:
    """For tests: rlmb_latent in 2 epochs of 200 real steps, latent_dynamics_tiny, 3 PPO
    iterations of 8 sub-envs x 5 steps."""
    hparams = _sized_for_tests(rlmb_latent())
    hparams.initial_collection_mean_hold = 4
    hparams.generative_model_params = "latent_dynamics_ensemble_tiny"
    hparams.initial_epoch_train_steps_multiplier = 1
    hparams.simulated_batch_size = 8
    return hparams
