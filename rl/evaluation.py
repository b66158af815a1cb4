"""Evaluating a policy on the real game: full episodes, mean raw and clipped returns."""

from typing import Any, Callable, Dict, List, Tuple

import numpy as np

from problems import atari
from rl.progress import Progress
from rl.episodes import EpisodeTracker


def evaluate(policy: Callable[[np.ndarray], np.ndarray], config: atari.AtariConfig,
             num_episodes: int, num_envs: int = 8, seed: int = 0,
             label: str = "eval") -> Dict[str, Any]:
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
        mean_length, raw_returns (list), steps, action_shares (the share of each action
        in all steps played) and action_entropy (of those shares, in nats: 0 for a policy
        that always takes one action, log(num_actions) for uniform play).
    """
    return evaluate_settings(lambda observations, _: policy(observations), [(config, 0.0)],
                             num_episodes, num_envs, seed, label)[0]


def evaluate_settings(policy: Callable[[np.ndarray, np.ndarray], np.ndarray],
                      settings: List[Tuple[atari.AtariConfig, float]], num_episodes: int,
                      num_envs: int = 8, seed: int = 0,
                      label: str = "eval") -> List[Dict[str, Any]]:
    """`evaluate` for several (config, temperature) settings at once, as the loop's
    evaluation at each sampling temperature and no-op setting needs.

    Each setting gets its own envs, seeded alike, and the same quotas that a call of
    `evaluate` would give it. All settings' envs step in lockstep and one policy call
    chooses the actions of all of them, one call per step instead of one per setting
    (the fixed cost of a policy call is paid once per step, not once per setting).

    Args:
        policy: maps (observations, temperatures) to actions, one temperature per row.
        settings: list of (AtariConfig, temperature).

    Returns:
        a list with `evaluate`'s dict for each setting, in order.
    """
    runs = []
    try:
        for config, temperature in settings:
            runs.append(_SettingRun(config, temperature, num_episodes, num_envs, seed))
        progress = Progress(label, num_episodes * len(runs), unit="episodes", every_s=10.0)
        while any(run.active for run in runs):
            active = [run for run in runs if run.active]
            actions = np.asarray(policy(
                np.concatenate([run.observations for run in active]),
                np.concatenate([run.temperatures for run in active])))
            start = 0
            for run in active:
                run.step(actions[start:start + run.num_envs])
                start += run.num_envs
            progress.update(sum(len(run.finished) for run in runs))
    finally:
        for run in runs:
            run.env.close()
    progress.finish()
    return [run.result() for run in runs]


class _SettingRun:
    """One setting's envs and their episodes' returns, with each sub-env's quota."""

    def __init__(self, config, temperature, num_episodes, num_envs, seed):
        self.num_envs = max(1, min(num_envs, num_episodes))
        self.quota = np.full(self.num_envs, num_episodes // self.num_envs)
        self.quota[: num_episodes % self.num_envs] += 1
        self.temperatures = np.full(self.num_envs, temperature, np.float32)
        self.env = atari.AtariEnv(config, self.num_envs, seed=seed)
        self.observations, _ = self.env.reset()
        self.episodes = EpisodeTracker(self.num_envs)
        self.finished = []  # the episodes within each sub-env's quota
        self.steps = 0
        self.action_counts = np.zeros(self.env.single_action_space.n, np.int64)

    @property
    def active(self):
        return bool((self.quota > 0).any())

    def step(self, actions):
        self.action_counts += np.bincount(np.asarray(actions, np.int64),
                                          minlength=len(self.action_counts))
        self.observations, rewards, terminated, truncated, info = self.env.step(actions)
        self.steps += self.num_envs
        for i, episode in self.episodes.step(rewards, info["raw_reward"],
                                             terminated | truncated):
            if self.quota[i] > 0:
                self.finished.append(episode)
                self.quota[i] -= 1

    def result(self):
        raw_returns = [float(f[0]) for f in self.finished]
        shares = self.action_counts / max(1, self.action_counts.sum())
        return {
            "episodes": len(self.finished),
            "mean_raw_return": float(np.mean(raw_returns)),
            "std_raw_return": float(np.std(raw_returns)),
            "mean_clipped_return": float(np.mean([f[1] for f in self.finished])),
            "mean_length": float(np.mean([f[2] for f in self.finished])),
            "raw_returns": raw_returns,
            "steps": self.steps,
            "action_shares": shares.tolist(),
            # + 0.0: one action always taken gives -0.0, which prints as "-0.00".
            "action_entropy": float(-np.sum(shares[shares > 0] * np.log(shares[shares > 0])))
            + 0.0,
        }
