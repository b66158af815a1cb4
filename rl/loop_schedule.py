"""How a loop set's fields become the plan of a model-based run: the PPO and world-model
sets it names (with the loop's overrides), how many PPO iterations and world-model steps
each epoch gets, how many real steps each collection takes and which settings each
epoch's evaluation scores. Pure functions of the loop hparams: what rl.model_based runs,
and what tests and benchmarks check without running it."""

from typing import List, Tuple

import hparams as hparams_lib
from hparams import HParams
from models import precision


def dataset_name(game: str) -> str:
    return f"rlmb_{game}"


def ppo_hparams(loop: HParams) -> HParams:
    """The PPO set inside the world model: the named set, with every loop field
    `ppo_<field>` that names one of its fields (as the original passed them all), its
    sub-env count from simulated_batch_size and its planned iterations from the
    loop's epoch schedule."""
    name = hparams_lib.ppo_set_name(loop)
    if not name:
        raise hparams_lib.UserError("the loop set names no PPO set (base_algo_params or "
                                    "ppo_params)")
    hp = hparams_lib.get(name)
    for key, value in loop.values().items():
        field = key[len("ppo_"):]
        if key.startswith("ppo_") and field in hp and \
                field not in hparams_lib.LOOP_OWNED_PPO_FIELDS:
            hp.set_hparam(field, value)
    hp.num_agents = loop.simulated_batch_size
    hp.epochs_num = planned_ppo_iterations(loop)
    return hp


def world_model_hparams(loop: HParams) -> HParams:
    """The world model's set, named by generative_model_params, with the loop's
    generative_model_compute_dtype when that is set (so a CPU without bfloat16
    instructions can run a bfloat16 set such as next_frame_cpu in float32)."""
    hp = hparams_lib.get(loop.generative_model_params)
    dtype = loop.get("generative_model_compute_dtype", "")
    if dtype:
        precision.keras_dtype(dtype, "generative_model_compute_dtype")  # checks the value
        hp.compute_dtype = dtype
    return hp


def ppo_iterations_in_epoch(loop: HParams, epoch: int) -> int:
    iterations = loop.ppo_epochs_num
    if epoch in loop.ppo_long_epochs:
        iterations *= 2
    if epoch == loop.epochs - 1:
        iterations *= loop.ppo_last_epoch_multiplier
    return iterations


def planned_ppo_iterations(loop: HParams) -> int:
    return sum(ppo_iterations_in_epoch(loop, e) for e in range(loop.epochs))


def world_model_steps_until(loop: HParams, epoch: int) -> int:
    """Cumulative world-model steps at the end of `epoch` (steps accumulate; listed
    epochs train initial_epoch_train_steps_multiplier times as long)."""
    total = 0
    for e in range(epoch + 1):
        multiplier = (loop.initial_epoch_train_steps_multiplier
                      if e in loop.train_steps_multiplier_epochs else 1)
        total += loop.model_train_steps * multiplier
    return total


def steps_per_collection(loop: HParams) -> int:
    return max(1, loop.num_real_env_frames // loop.epochs)


def eval_settings(loop: HParams, epoch: int) -> List[Tuple[float, int]]:
    """The (sampling temperature, max no-ops) pairs that epoch `epoch` (from 0) evaluates:
    every pair each `eval_all_settings_every` epochs and at the last epoch; in the epochs
    between, only the first temperature with the evaluation's no-ops."""
    noops_settings = sorted({loop.eval_max_num_noops, 0}, reverse=True)
    if (epoch + 1) % loop.eval_all_settings_every and epoch + 1 != loop.epochs:
        return [(loop.eval_sampling_temps[0], loop.eval_max_num_noops)]
    return [(temperature, noops) for temperature in loop.eval_sampling_temps
            for noops in noops_settings]
