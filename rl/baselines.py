"""The baselines every score is shown beside: random play, the best constant action
(measured here), model-free PPO at 100K steps and SimPLe (published, rl/anchors.py).

A constant action is the cheapest policy that can look good: always pressing UP scores
21 on Freeway, above SimPLe's mean. So the tool measures every constant action on the
real game with the evaluation's own settings (frame format, no-ops, episode count) and
keeps the result in a small JSON cache, paid once per game and setting on a machine.
"""

import dataclasses
import json
import os
from typing import Dict, Optional

from problems import atari
from rl import anchors, cli, evaluation

CACHE_ENV = "RL_BASELINES_CACHE"


def cache_path() -> str:
    """The cache file: $RL_BASELINES_CACHE, else ~/.cache/rl_toolkit/constant_actions.json
    (under $XDG_CACHE_HOME when set)."""
    if os.environ.get(CACHE_ENV):
        return os.environ[CACHE_ENV]
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "rl_toolkit", "constant_actions.json")


def constant_action_returns(config: atari.AtariConfig, num_episodes: int, num_envs: int = 8,
                            seed: int = 0) -> Dict[int, float]:
    """Mean raw return of every constant action over `num_episodes` real episodes with
    `config` (an AtariConfig), from the cache when it holds them: {action: return}."""
    key = json.dumps({"config": dataclasses.asdict(config), "episodes": num_episodes,
                      "seed": seed}, sort_keys=True)
    path = cache_path()
    cache = _read(path)
    if key not in cache:
        num_actions = _num_actions(config)
        cache[key] = [evaluation.evaluate(
            lambda obs, a=action: [a] * len(obs), config, num_episodes, num_envs, seed,
            label=f"baseline: constant action {action} of {num_actions}")["mean_raw_return"]
            for action in range(num_actions)]
        cache = dict(_read(path), **{key: cache[key]})
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        cli.write_json(path, cache)
    return dict(enumerate(cache[key]))


def references(game: str, config: Optional[atari.AtariConfig] = None,
               num_episodes: Optional[int] = None, num_envs: int = 8,
               seed: int = 0) -> Dict[str, float]:
    """{label: score} of the baselines known for `game`, in the order they are shown:
    random, the best constant action (measured, see constant_action_returns, when
    `config` is given), model-free PPO at 100K, SimPLe."""
    found = {}
    random_score, simple_score = anchors.SCORES_100K.get(game, (None, None))
    if random_score is not None:
        found["random"] = random_score
    if config is not None:
        returns = constant_action_returns(config, num_episodes, num_envs, seed)
        best = max(returns, key=returns.get)
        found[f"best constant action ({best})"] = round(returns[best], 2)
    if game in anchors.PPO_100K:
        found["model-free PPO at 100K"] = anchors.PPO_100K[game]
    if simple_score is not None:
        found["SimPLe"] = simple_score
    return found


def reference_line(found: Dict[str, float]) -> str:
    """'random -20.7, best constant action (0) -21.0, ...' for `references`' dict."""
    return ", ".join(f"{label} {score}" for label, score in found.items())


def _num_actions(config):
    env = atari.AtariEnv(config, 1, seed=0)
    try:
        return int(env.single_action_space.n)
    finally:
        env.close()


def _read(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return {}  # a missing or truncated cache is measured again
