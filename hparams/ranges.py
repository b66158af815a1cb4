"""The valid range of every numeric hparams field that has one, by field name.

A field means the same in every set that has it, so its range is stated once, here, and
`check_ranges` runs whenever a set is resolved: an out-of-range value from
`--*hparams` is one line before TensorFlow loads, instead of a ZeroDivisionError, a
segmentation fault in the emulator or a run that exits 0 having done nothing.
"""

import dataclasses

from hparams.errors import UserError


@dataclasses.dataclass(frozen=True)
class Range:
    low: float = None
    high: float = None
    why: str = ""

    def contains(self, value):
        return ((self.low is None or value >= self.low)
                and (self.high is None or value <= self.high))

    def describe(self):
        if self.high is None:
            text = f"at least {self.low}"
        elif self.low is None:
            text = f"at most {self.high}"
        else:
            text = f"between {self.low} and {self.high}"
        return text + (f" ({self.why})" if self.why else "")


COUNT = Range(1)                      # a number of things that must happen at least once
NON_NEGATIVE = Range(0)
SHARE = Range(0.0, 1.0)

RANGES = {
    # PPO sets (and a loop's ppo_<field>).
    "num_agents": COUNT, "epoch_length": COUNT, "epochs_num": COUNT,
    "optimization_epochs": COUNT, "optimization_batch_size": COUNT,
    "save_every": Range(1, why="iterations between checkpoints"),
    "learning_rate": NON_NEGATIVE, "clipping_coef": NON_NEGATIVE,
    "gae_gamma": SHARE, "gae_lambda": SHARE,
    "entropy_loss_coef": NON_NEGATIVE, "value_loss_coef": NON_NEGATIVE,
    "value_clipping_coef": NON_NEGATIVE, "max_gradients_norm": NON_NEGATIVE,
    "dropout_ppo": Range(0.0, 0.99),
    # Frame formats.
    "resize_height_factor": COUNT, "resize_width_factor": COUNT,
    "frame_height": Range(0, why="0: 210 / resize_height_factor"),
    "frame_width": Range(0, why="0: 160 / resize_width_factor"),
    "frame_stack_size": COUNT, "frame_skip": COUNT, "max_num_noops": NON_NEGATIVE,
    "num_envs": COUNT,
    # Loop sets.
    "epochs": COUNT, "num_real_env_frames": COUNT, "real_collection_envs": COUNT,
    "real_sampling_temperature": NON_NEGATIVE, "initial_collection_mean_hold": COUNT,
    "model_train_steps": NON_NEGATIVE, "initial_epoch_train_steps_multiplier": COUNT,
    "simulated_rollout_length": COUNT, "simulated_batch_size": COUNT,
    "simulation_sampling_temperature": NON_NEGATIVE, "simulated_reward_starts": SHARE,
    "ppo_epochs_num": COUNT, "ppo_last_epoch_multiplier": COUNT,
    "real_ppo_epoch_length": COUNT, "real_ppo_learning_rate": NON_NEGATIVE,
    "real_random_hold_probability": SHARE, "simulated_random_hold_probability": SHARE,
    "real_explore_share": SHARE, "explore_ppo_epochs_num": COUNT,
    "explore_extrinsic_weight": NON_NEGATIVE,
    "eval_episodes": COUNT, "eval_envs": COUNT, "eval_all_settings_every": COUNT, "eval_max_num_noops": NON_NEGATIVE,
    "eval_world_model_rollouts": COUNT, "world_model_eval_steps": NON_NEGATIVE,
    # World-model sets.
    "batch_size": COUNT, "video_num_input_frames": COUNT, "hidden_size": COUNT,
    "latent_size": COUNT, "frame_feature_size": COUNT, "transition_hidden_size": COUNT,
    "unroll_steps": COUNT, "decoded_steps": NON_NEGATIVE, "rewarded_sequence_fraction": SHARE,
    "representation_loss_coef": NON_NEGATIVE, "target_encoder_decay": SHARE,
    "rewarded_window_repeats": COUNT, "learning_rate_warmup_steps": NON_NEGATIVE,
    "reconstruction_loss_coef": NON_NEGATIVE, "consistency_loss_coef": NON_NEGATIVE,
    "reward_loss_coef": NON_NEGATIVE, "done_loss_coef": NON_NEGATIVE,
    "moving_pixel_weight": NON_NEGATIVE, "real_reward_loss_coef": NON_NEGATIVE,
    "video_num_target_frames": COUNT, "scheduled_sampling_decay_steps": COUNT,
    "scheduled_sampling_max_prob": SHARE,
    "transition_ensemble": COUNT, "disagreement_penalty": NON_NEGATIVE,
    "latent_channels": NON_NEGATIVE, "head_hidden_size": NON_NEGATIVE,
}


def check_ranges(hparams) -> None:
    """Raises UserError naming the first field of `hparams` outside its range (a loop
    set's `ppo_<field>` has the PPO field's range)."""
    for key, value in hparams.values().items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        valid = RANGES.get(key)
        if valid is None and key.startswith("ppo_"):
            valid = RANGES.get(key[len("ppo_"):])
        if valid is not None and not valid.contains(value):
            raise UserError(f"hparam '{key}' must be {valid.describe()}, got {value}")
