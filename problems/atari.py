"""Real Atari games as batched gymnasium vector envs in SimPLe's observation format.

All the per-frame work (frame skip, max over the last two raw frames, INTER_AREA resize,
grayscale, no-ops at reset, sticky actions, frame stacking) runs in ale-py's native
`AtariVectorEnv` threads; this module only chooses its settings and adapts its output:
observations are always `[batch, stack, height, width, channels]` uint8, rewards handed to
learners are clipped to {-1, 0, 1}, and the raw reward stays in `info["raw_reward"]`.
"""

import dataclasses
from typing import Any, Dict, List, Tuple

import numpy as np
from ale_py import roms
from ale_py.vector_env import AtariVectorEnv
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv

from hparams.errors import UserError, did_you_mean

RAW_HEIGHT, RAW_WIDTH = 210, 160


def all_games() -> List[str]:
    """Snake-case names of every game whose ROM ships in the ale-py wheel."""
    return sorted(roms.get_all_rom_ids())


def check_game(game: str) -> str:
    """Returns `game` if it is a known ROM, else raises UserError naming close matches."""
    games = all_games()
    if game not in games:
        raise UserError(f"unknown Atari game '{game}'{did_you_mean(game, games)}; "
                        "game names are snake case, e.g. pong, freeway, ms_pacman")
    return game


def clip_reward(raw_reward):
    """Rounds and clips raw rewards to {-1, 0, 1} (as int32), as SimPLe learns from them."""
    return np.clip(np.round(raw_reward), -1, 1).astype(np.int32)


@dataclasses.dataclass(frozen=True)
class AtariConfig:
    """How one game's frames become observations. Built from any hparams with the fields of
    `atari_simple` (loop sets have them too)."""
    game: str
    resize_height_factor: int = 2
    resize_width_factor: int = 2
    frame_height: int = 0
    frame_width: int = 0
    grayscale: bool = False
    frame_stack_size: int = 4
    frame_skip: int = 4
    max_num_noops: int = 8
    sticky_actions: bool = False

    @classmethod
    def from_hparams(cls, game: str, hparams) -> "AtariConfig":
        names = [f.name for f in dataclasses.fields(cls) if f.name != "game"]
        return cls(game=check_game(game), **{n: hparams.get(n) for n in names if n in hparams})

    @property
    def height(self) -> int:
        return self.frame_height or RAW_HEIGHT // self.resize_height_factor

    @property
    def width(self) -> int:
        return self.frame_width or RAW_WIDTH // self.resize_width_factor

    @property
    def channels(self) -> int:
        return 1 if self.grayscale else 3

    @property
    def observation_shape(self) -> Tuple[int, ...]:
        return (self.frame_stack_size, self.height, self.width, self.channels)

    def to_dict(self) -> Dict[str, Any]:
        """The observation format as plain values, for SavedModels and stats files."""
        return dict(dataclasses.asdict(self), height=self.height, width=self.width,
                    channels=self.channels)


class AtariEnv(VectorEnv):
    """A batch of one Atari game, stepping all sub-envs in native threads.

    Sub-envs reset themselves in the step that ends an episode (gymnasium's SAME_STEP
    autoreset): that step returns the new episode's first observation, and the last
    observation of the old one is in `info["final_obs"]`.
    """

    def __init__(self, config, num_envs, seed=None, num_threads=0):
        self.config = config
        self.num_envs = num_envs
        self._seed = seed
        self._ale = AtariVectorEnv(
            config.game, num_envs,
            num_threads=num_threads,
            img_height=config.height,
            img_width=config.width,
            grayscale=config.grayscale,
            stack_num=config.frame_stack_size,
            frameskip=config.frame_skip,
            maxpool=True,
            noop_max=config.max_num_noops,
            repeat_action_probability=0.25 if config.sticky_actions else 0.0,
            reward_clipping=False,
            use_fire_reset=False,
            episodic_life=False,
            autoreset_mode=AutoresetMode.SAME_STEP,
        )
        self.single_observation_space = spaces.Box(0, 255, config.observation_shape, np.uint8)
        self.single_action_space = self._ale.single_action_space
        self.observation_space = spaces.Box(0, 255, (num_envs,) + config.observation_shape,
                                            np.uint8)
        self.action_space = self._ale.action_space
        self.metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}

    def _with_channels(self, obs):
        return obs[..., None] if self.config.grayscale else obs

    def reset(self, *, seed=None, options=None):
        obs, info = self._ale.reset(seed=self._seed if seed is None else seed, options=options)
        return self._with_channels(obs), info

    def step(self, actions):
        actions = np.asarray(actions, dtype=np.int32)
        obs, raw_reward, terminated, truncated, info = self._ale.step(actions)
        info = dict(info)
        info["raw_reward"] = raw_reward.astype(np.float32)
        if "final_obs" in info:
            info["final_obs"] = self._with_channels(info["final_obs"])
        return (self._with_channels(obs), clip_reward(raw_reward).astype(np.float32),
                terminated, truncated, info)

    def close(self, **kwargs):
        self._ale.close()
