"""Non-Atari gymnasium environments (CartPole, Pendulum, ...) as vector envs.

Retired ids such as `Pendulum-v0` (the README's command) resolve to the newest registered
version of the same environment, with a logged notice, so old commands keep working.
"""

from typing import Optional

import gymnasium as gym
from absl import logging
from gymnasium.envs.registration import parse_env_id
from gymnasium.vector import AutoresetMode

from hparams.errors import UserError, did_you_mean


def _registered_ids():
    return list(gym.registry.keys())


def resolve_gym_id(env_id: str) -> str:
    """Returns the registered id for `env_id`, mapping a retired version to the newest one.

    Returns None when no environment of that name exists at all.
    """
    if env_id in gym.registry:
        return env_id
    try:
        namespace, name, _ = parse_env_id(env_id)
    except gym.error.Error:
        return None
    versions = []
    for candidate in _registered_ids():
        c_namespace, c_name, c_version = parse_env_id(candidate)
        if (c_namespace, c_name) == (namespace, name) and c_version is not None:
            versions.append((c_version, candidate))
    if not versions:
        return None
    newest = max(versions)[1]
    logging.info("gym id %s is retired; using %s instead", env_id, newest)
    return newest


def check_gym_id(env_id: str) -> str:
    resolved = resolve_gym_id(env_id)
    if resolved is None:
        raise UserError(f"unknown gym environment '{env_id}'"
                        f"{did_you_mean(env_id, _registered_ids())}")
    return resolved


def make_gym_vector_env(env_id: str, num_envs: int,
                        seed: Optional[int] = None) -> gym.vector.VectorEnv:
    """A synchronous vector env of `num_envs` copies (classic control is cheaper than the
    inter-process traffic of an async one), autoresetting in the step that ends an episode
    like the Atari envs do."""
    env = gym.make_vec(check_gym_id(env_id), num_envs=num_envs, vectorization_mode="sync",
                       vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP})
    if seed is not None:
        env.reset(seed=seed)
        env.action_space.seed(seed)
    return env
