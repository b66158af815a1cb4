"""Collecting PPO rollouts from any gymnasium vector env that autoresets in the same step.

Real Atari (problems.atari.AtariEnv), classic control (problems.gym_envs) and the simulated
world-model env all pass through `RolloutCollector`, so PPO cannot tell them apart.
"""

from typing import Callable, Dict, Optional

import numpy as np

from hparams import HParams

from rl import ppo
from rl.episodes import EpisodeTracker


def final_observations(info: dict, mask: np.ndarray) -> np.ndarray:
    """The last observations of the episodes that ended where `mask` is true.

    Atari envs give one array; gymnasium's sync vector env gives an object array with
    None for sub-envs that did not end."""
    final = info["final_obs"][mask]
    if final.dtype == object:
        final = np.stack(list(final))
    return final


def explore_actions(explore, learner, observations, actions, log_probs,
                    log_prob_of_held="policy"):
    """`actions` with some replaced by `explore` (an rl.collect.HeldRandomActions), and
    the log-probabilities PPO's ratio divides by: at a replaced step the policy's own of
    the action taken ("policy": the ratio starts at 1 as at any step the policy chose) or
    0 ("hold": the held action's probability while held, so the ratio is the policy's own
    probability, never above 1). The real collections' and imagination's one path."""
    actions, replaced = explore(actions)
    if replaced.any():
        log_probs = log_probs.copy()
        if log_prob_of_held == "hold":
            log_probs[replaced] = 0.0
        else:
            log_probs[replaced] = learner.log_probs(observations[replaced],
                                                    actions[replaced])
    return actions, log_probs


class RolloutCollector:
    """Steps a vector env with a learner's policy, `epoch_length` steps at a time.

    The env keeps running across rollouts (episodes continue from one PPO iteration to
    the next), as in the original.

    `explore` (an rl.collect.HeldRandomActions, or None) replaces some of the policy's
    actions with held random ones; `explore_log_prob` ("policy" or "hold") says what
    PPO's ratio divides by at a replaced step (`explore_actions`). With "hold" a held
    step with a negative advantage is clipped away and one with a positive advantage
    raises the action in proportion to how often the policy already takes it. (The
    uniform draw's 1 / num_actions instead makes the ratio up to num_actions for an
    action the policy likes, and a negative advantage then pushes it down that many
    times as hard: benchmarks/RESULTS.md.)
    """

    def __init__(self, env, learner, seed=None, explore=None, explore_log_prob="policy"):
        if explore_log_prob not in ("policy", "hold"):
            raise ValueError(f"explore_log_prob must be policy or hold, got "
                             f"{explore_log_prob!r}")
        self.env = env
        self.learner = learner
        self.explore = explore
        self.explore_log_prob = explore_log_prob
        self.observations, _ = env.reset(seed=seed)
        self.episodes = EpisodeTracker(env.num_envs)
        space = env.single_action_space
        self._low = getattr(space, "low", None)
        self._high = getattr(space, "high", None)

    def _env_actions(self, actions):
        if self._low is None:
            return actions
        return np.clip(actions, self._low, self._high).astype(np.float32)

    def collect(self, epoch_length: int, hparams: HParams,
                temperature: float = 1.0) -> Dict[str, np.ndarray]:
        """One rollout of `epoch_length` steps per env, with advantages and returns.

        Returns:
            dict of flat [epoch_length * num_envs, ...] arrays for PPOLearner.update.
        """
        buffer = RolloutBuffer()
        for _ in range(epoch_length):
            obs = self.observations
            actions, log_probs, values = self.learner.act(obs, temperature)
            if self.explore is not None:
                actions, log_probs = explore_actions(self.explore, self.learner, obs,
                                                     actions, log_probs,
                                                     self.explore_log_prob)
            next_obs, rewards, terminated, truncated, info = self.env.step(
                self._env_actions(actions))
            self.episodes.step(rewards, info.get("raw_reward", rewards),
                               np.logical_or(terminated, truncated))
            buffer.add(obs, actions, log_probs, values, rewards, terminated, truncated, info)
            self.observations = next_obs
        return buffer.batch(self.learner, self.observations, hparams)


class RolloutBuffer:
    """The steps of one rollout, and at its end PPO's batch with advantages and returns.

    Shared by RolloutCollector, which steps its env itself, and rl.real_env_ppo, which
    learns from the steps of a real-data collection that it does not drive.
    """

    def __init__(self):
        self.steps, self.truncations = [], []

    def __len__(self):
        return len(self.steps)

    def add(self, observations, actions, log_probs, values, rewards, terminated, truncated,
            info: dict, encode: Optional[Callable[[np.ndarray], np.ndarray]] = None) -> None:
        """One step of every sub-env, with the step's `info`. Where a sub-env was cut off
        by a time limit (truncated, not terminated), its episode's last observation in
        `info` gives the bootstrap value, passed through `encode` first where the policy
        reads something else than the env's observations."""
        dones = np.logical_or(terminated, truncated)
        cut = np.logical_and(truncated, np.logical_not(terminated))
        if cut.any():
            # A time limit, not a real end: bootstrap from the final observation (the
            # next observation already belongs to the new episode).
            final = final_observations(info, cut)
            self.truncations.append((len(self.steps), cut,
                                     encode(final) if encode else final))
        self.steps.append((observations, actions, log_probs, values, rewards, terminated,
                           dones))

    def batch(self, learner: "ppo.PPOLearner", next_observations: np.ndarray,
              hparams: HParams) -> Dict[str, np.ndarray]:
        """The rollout as flat [T * N, ...] arrays for PPOLearner.update; `next_observations`
        are those after its last step (their values bootstrap it). Empties the buffer."""
        obs, actions, log_probs, values, rewards, terminated, dones = (
            np.stack(column) for column in zip(*self.steps))
        next_values = np.empty_like(values)
        next_values[:-1] = values[1:]
        next_values[-1] = learner.value(next_observations)
        for t, cut, final_obs in self.truncations:
            next_values[t, cut] = learner.value(final_obs)
        self.steps, self.truncations = [], []
        advantages, returns = ppo.gae(rewards, values, next_values, terminated, dones,
                                      hparams.gae_gamma, hparams.gae_lambda)

        def flat(a):
            return a.reshape((-1,) + a.shape[2:])
        return {"observations": flat(obs), "actions": flat(actions),
                "log_probs": flat(log_probs), "advantages": flat(advantages),
                "returns": flat(returns), "values": flat(values)}
