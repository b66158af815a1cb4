"""Named problems: which environment and which data a problem name stands for.

- `gym_{game}_random`: an Atari game whose dataset comes from a uniform random policy
  (`gym_pong_random`), the world model's first training data.
- `stacked_{game}`: an Atari game with stacked frames for model-free PPO (`stacked_pong`).
- any gymnasium id (`CartPole-v1`, `Pendulum-v0` resolving to `Pendulum-v1`).
"""

import dataclasses
import re
from typing import List

from hparams.errors import UserError, did_you_mean
from problems import atari, gym_envs


@dataclasses.dataclass(frozen=True)
class Problem:
    name: str
    game: str = ""      # set for Atari problems
    gym_id: str = ""    # set for other gymnasium problems

    @property
    def is_atari(self) -> bool:
        return bool(self.game)


def atari_problem_names(game: str) -> List[str]:
    return [f"gym_{game}_random", f"stacked_{game}"]


def resolve_problem(name: str) -> "Problem":
    """The Problem behind `name`, or a UserError listing close matches."""
    match = re.fullmatch(r"gym_(.+)_random|stacked_(.+)", name)
    if match:
        game = match.group(1) or match.group(2)
        return Problem(name=name, game=atari.check_game(game))
    gym_id = gym_envs.resolve_gym_id(name)
    if gym_id is not None:
        return Problem(name=name, gym_id=gym_id)
    known = [p for g in atari.all_games() for p in atari_problem_names(g)]
    known += gym_envs._registered_ids()
    raise UserError(f"unknown problem '{name}'{did_you_mean(name, known)}; problems are "
                    "gym_{game}_random, stacked_{game} or a gymnasium id")
