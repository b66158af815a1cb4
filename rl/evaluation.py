"""Evaluating a policy on the real game: full episodes, mean raw and clipped returns."""

import numpy as np

from problems import atari
from rl.progress import Progress


def evaluate(policy, config, num_episodes, num_envs=8, seed=0, label="eval"):
    """Plays `num_episodes` full episodes of the real game with `policy`.

    Each sub-env contributes a fixed quota of episodes, so short episodes are not
    over-represented (taking the first N episodes to finish would favour them).

    Args:
        policy: maps a batch of observations to a batch of actions.
        config: an AtariConfig (game and frame format the policy expects).
        num_episodes: episodes to play in all.
        num_envs: sub-envs in parallel (fewer if num_episodes is smaller).
        seed: seeds the envs' no-ops.

    Returns:
        dict: episodes, mean_raw_return, mean_clipped_return, std_raw_return,
        mean_length, raw_returns (list), steps.
    """
    num_envs = max(1, min(num_envs, num_episodes))
    quota = np.full(num_envs, num_episodes // num_envs)
    quota[: num_episodes % num_envs] += 1
    env = atari.AtariEnv(config, num_envs, seed=seed)
    obs, _ = env.reset()
    raw = np.zeros(num_envs)
    clipped = np.zeros(num_envs)
    length = np.zeros(num_envs, np.int64)
    finished = []
    steps = 0
    progress = Progress(label, num_episodes, unit="episodes", every_s=10.0)
    try:
        while (quota > 0).any():
            obs, rewards, terminated, truncated, info = env.step(np.asarray(policy(obs)))
            raw += info["raw_reward"]
            clipped += rewards
            length += 1
            steps += num_envs
            for i in np.flatnonzero(terminated | truncated):
                if quota[i] > 0:
                    finished.append((raw[i], clipped[i], length[i]))
                    quota[i] -= 1
                raw[i] = clipped[i] = length[i] = 0
            progress.update(len(finished))
    finally:
        env.close()
    progress.finish()
    raw_returns = [float(f[0]) for f in finished]
    return {
        "episodes": len(finished),
        "mean_raw_return": float(np.mean(raw_returns)),
        "std_raw_return": float(np.std(raw_returns)),
        "mean_clipped_return": float(np.mean([f[1] for f in finished])),
        "mean_length": float(np.mean([f[2] for f in finished])),
        "raw_returns": raw_returns,
        "steps": steps,
    }
