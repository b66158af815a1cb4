"""Library side of datagen_with_agent: collect one epoch of a game into a dataset, or
evaluate a saved policy on it."""

import dataclasses
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np

from absl import logging

from hparams import HParams
from models import policy_format, saved_policy
from problems import atari, dataset_files, trajectory
from rl import baselines
from rl import collect as collect_lib
from rl import run_dir
from rl import evaluation

EPISODE_IDS_PER_EPOCH = 1_000_000  # episode ids of epoch e start at e * this


def random_dataset_name(game: str) -> str:
    return f"gym_{game}_random"


def policy_dataset_name(game: str) -> str:
    return f"gym_{game}_policy"


def load_agent(policy_path: str, game: str, temperature: float,
               seed: int) -> Tuple[Callable[[np.ndarray], np.ndarray], atari.AtariConfig]:
    """A SavedModel policy as an actions function, and the AtariConfig it was trained on.

    Raises:
        UserError: the path holds no policy, or a policy for another game or input.
    """
    policy_format.check_atari_policy(policy_format.read_policy_format(policy_path),
                                     policy_path, game)
    policy = saved_policy.LoadedPolicy(policy_path)
    fmt = policy.observation_format
    names = {f.name for f in dataclasses.fields(atari.AtariConfig)}
    config = atari.AtariConfig(**{k: v for k, v in fmt.items() if k in names})
    policy.seed(seed)
    return (lambda observations: policy.act(observations, temperature)), config


def evaluate_agent(policy_path: str, game: str, num_episodes: int, temperature: float = 1.0,
                   num_envs: int = 8, seed: int = 0) -> Dict[str, Any]:
    """Mean raw and clipped return of a SavedModel policy over full real episodes, its
    action shares and entropy, and under "baselines" the scores it is to be read beside
    (rl/baselines.py; the constant actions played with the same settings)."""
    policy, config = load_agent(policy_path, game, temperature, seed)
    result = evaluation.evaluate(policy, config, num_episodes, num_envs=num_envs, seed=seed)
    result["baselines"] = baselines.references(game, config, num_episodes, num_envs, seed)
    return result


def next_epoch(data_dir: str, dataset: str) -> int:
    epochs = dataset_files.list_epochs(data_dir, dataset)
    return epochs[-1] + 1 if epochs else 0


def generate(data_dir: str, game: str, num_env_steps: int, env_hparams: HParams,
             policy: Optional[Callable[[np.ndarray], np.ndarray]] = None,
             config: Optional[atari.AtariConfig] = None, dataset: Optional[str] = None,
             epoch: Optional[int] = None, seed: int = 0, tmp_dir: Optional[str] = None,
             num_envs: Optional[int] = None, random_mean_hold: float = 1,
             on_step: Optional[Callable] = None,
             running: Optional[collect_lib.RunningEpisodes] = None) -> Dict[str, Any]:
    """Collects `num_env_steps` agent steps of `game` into `data_dir` as one dataset epoch.

    Args:
        data_dir: dataset directory (created if missing).
        game: snake-case ALE game name.
        num_env_steps: agent steps in all (rounded up to a multiple of the env count).
        env_hparams: hparams with the `atari_simple` fields (frame format, num_envs).
        policy: maps observations to actions; None means uniform random.
        config: the AtariConfig `policy` expects; default from env_hparams.
        dataset: dataset name; default `gym_{game}_random`.
        epoch: dataset epoch to write; default the next one free.
        seed: seeds the envs' no-ops and the random policy.
        tmp_dir: where shards are written before being moved into data_dir.
        num_envs: parallel envs; default env_hparams.num_envs.
        random_mean_hold: with no policy, the mean number of steps each random action is
            held (1: a fresh uniform action every step); see collect.random_policy.
        on_step: passed to collect.collect (a policy that learns from its steps).
        running: a collect.RunningEpisodes to play on in the episodes an earlier call
            left running (its env, which stays open); None: fresh episodes in an env
            closed at the end.

    Returns:
        The epoch's statistics (frames, episodes, mean returns, ...).
    """
    config = config or atari.AtariConfig.from_hparams(game, env_hparams)
    dataset_files.check_data_dir(data_dir)
    run_dir.lock_directory(data_dir)
    dataset = dataset or random_dataset_name(game)
    epoch = next_epoch(data_dir, dataset) if epoch is None else epoch
    num_envs = num_envs or env_hparams.num_envs
    if running is not None and running.env is not None:
        if running.env.num_envs != num_envs or running.env.config != config:
            raise ValueError("running episodes of another env count or frame format")
        env = running.env
    else:
        env = atari.AtariEnv(config, num_envs, seed=seed)
    if policy is None:
        policy = collect_lib.random_policy(env.single_action_space.n, seed,
                                           random_mean_hold)
    logging.info("collecting %d steps of %s into %s (dataset %s, epoch %d)",
                 num_env_steps, game, data_dir, dataset, epoch)
    try:
        frame_format = dict(config.to_dict(), num_actions=int(env.single_action_space.n))
        with trajectory.TrajectoryWriter(data_dir, dataset, epoch, frame_format,
                                         tmp_dir=tmp_dir) as writer:
            collect_lib.collect(env, policy, num_env_steps, writer,
                                first_episode_id=epoch * EPISODE_IDS_PER_EPOCH,
                                on_step=on_step, running=running)
    except BaseException:
        if running is not None:  # its env has moved on from what it holds: forget both
            running.env = running.obs = running.lives = running.tracker = None
        raise
    finally:
        if running is None or running.env is not env:
            env.close()
    return writer.stats
