"""Library side of datagen_with_agent: collect one epoch of a game into a dataset."""

from absl import logging

from problems import atari, trajectory
from rl import collect as collect_lib

EPISODE_IDS_PER_EPOCH = 1_000_000  # episode ids of epoch e start at e * this


def random_dataset_name(game):
    return f"gym_{game}_random"


def next_epoch(data_dir, dataset):
    epochs = trajectory.list_epochs(data_dir, dataset)
    return epochs[-1] + 1 if epochs else 0


def generate(data_dir, game, num_env_steps, env_hparams, policy=None, dataset=None,
             epoch=None, seed=0, tmp_dir=None):
    """Collects `num_env_steps` agent steps of `game` into `data_dir` as one dataset epoch.

    Args:
        data_dir: dataset directory (created if missing).
        game: snake-case ALE game name.
        num_env_steps: agent steps in all (rounded up to a multiple of the env count).
        env_hparams: hparams with the `atari_simple` fields (frame format, num_envs).
        policy: maps observations to actions; None means uniform random.
        dataset: dataset name; default `gym_{game}_random`.
        epoch: dataset epoch to write; default the next one free.
        seed: seeds the envs' no-ops and the random policy.
        tmp_dir: where shards are written before being moved into data_dir.

    Returns:
        The epoch's statistics (frames, episodes, mean returns, ...).
    """
    config = atari.AtariConfig.from_hparams(game, env_hparams)
    trajectory.check_data_dir(data_dir)
    dataset = dataset or random_dataset_name(game)
    epoch = next_epoch(data_dir, dataset) if epoch is None else epoch
    env = atari.AtariEnv(config, env_hparams.num_envs, seed=seed)
    if policy is None:
        policy = collect_lib.random_policy(env.single_action_space.n, seed)
    logging.info("collecting %d steps of %s into %s (dataset %s, epoch %d)",
                 num_env_steps, game, data_dir, dataset, epoch)
    try:
        with trajectory.TrajectoryWriter(data_dir, dataset, epoch, config.to_dict(),
                                         tmp_dir=tmp_dir) as writer:
            collect_lib.collect(env, policy, num_env_steps, writer,
                                first_episode_id=epoch * EPISODE_IDS_PER_EPOCH)
    finally:
        env.close()
    return writer.stats
