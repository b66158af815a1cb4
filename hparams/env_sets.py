"""Environment sets: how real Atari frames are turned into observations.

Loop sets carry the same fields under the same names, so any component that needs an
observation format can be given either.
"""

from typing import Callable

from hparams.hparams import HParams
from hparams.registry import register


@register
def atari_simple() -> HParams:
    """SimPLe's frame format: 105x80 RGB, 4 stacked, frame skip 4, 0..8 no-ops."""
    return HParams(
        resize_height_factor=2,
        resize_width_factor=2,
        # Explicit frame size; 0 means 210 / resize_height_factor (160 / resize_width_factor).
        frame_height=0,
        frame_width=0,
        grayscale=False,
        frame_stack_size=4,
        frame_skip=4,
        max_num_noops=8,
        sticky_actions=False,
        num_envs=8,
    )


@register
def atari_nature() -> HParams:
    """The DQN/Nature format used by CleanRL and the RL Zoo: 84x84 gray, 4 stacked."""
    hparams = atari_simple()
    hparams.frame_height = 84
    hparams.frame_width = 84
    hparams.grayscale = True
    hparams.max_num_noops = 30
    return hparams


def add_atari_format(hparams: HParams,
                     env_set: Callable[[], HParams] = atari_simple) -> HParams:
    """Adds `env_set`'s frame-format fields to `hparams` (a PPO or loop set), except
    num_envs: those sets name their own env counts."""
    for key, value in env_set().values().items():
        if key != "num_envs":
            hparams.add_hparam(key, value)
    return hparams
