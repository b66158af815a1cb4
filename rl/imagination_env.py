"""LatentImaginationEnv: a gymnasium vector env stepped by a latent world model.

The counterpart of rl.simulated_env.SimulatedBatchEnv for models.latent_world_model:
the same starts (random real windows, sub-env 0 from a true episode start, optionally a
share shortly before a real reward), the same truncation after `rollout_length` steps
(PPO bootstraps from the final observation's value) and the same same-step autoreset.
The difference is what an observation is: the latent vector of the state, not frames.
Every real window is encoded once when the env is built; a step is one batched call of
the model's transition for all sub-envs, so thousands of sub-envs cost little more than
one.

An imagined episode end (the model's episode-end head) terminates a sub-env, which then
restarts from real data like a truncated one.
"""

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv

from hparams.errors import UserError
from problems import input_pipeline
from rl.simulated_env import rewarded_starts


class LatentImaginationEnv(VectorEnv):
    """See the module docstring.

    Args:
        model: a models.latent_world_model.LatentWorldModel.
        arrays: decoded real trajectories (problems.input_pipeline.load_split).
        num_envs: imagined sub-envs.
        rollout_length: steps before a sub-env restarts from real data.
        seed: seeds the choice of start windows.
        reward_start_fraction: share of rollouts started shortly before a real reward.
        mean_reward: reward the expected clipped reward instead of the likeliest class.
    """

    def __init__(self, model, arrays, num_envs, rollout_length, seed=0,
                 reward_start_fraction=0.0, mean_reward=True):
        self.model = model
        self.num_envs = num_envs
        self.rollout_length = rollout_length
        self.mean_reward = mean_reward
        self.reward_start_fraction = reward_start_fraction
        stack = model.stack_size
        self._rng = np.random.default_rng(seed)
        self._starts = input_pipeline.window_starts(arrays["episode"], arrays["frame_number"],
                                                    stack - 1)
        if len(self._starts) == 0:
            raise UserError("no real window of consecutive frames to start imagination from")
        self._episode_starts = np.flatnonzero(arrays["frame_number"][self._starts] == 0)
        reward_starts = (rewarded_starts(arrays, self._starts, stack, rollout_length)
                         if reward_start_fraction > 0 else self._starts[:0])
        # Positions in self._starts (and so in self._latents) rather than record indices.
        self._reward_starts = np.flatnonzero(np.isin(self._starts, reward_starts))
        windows = arrays["frame"][self._starts[:, None] + np.arange(stack)]
        self._latents = model.encode(windows)
        size = self._latents.shape[1]
        self.single_observation_space = spaces.Box(-1.0, 1.0, (size,), np.float32)
        self.single_action_space = spaces.Discrete(model.num_actions)
        self.observation_space = spaces.Box(-1.0, 1.0, (num_envs, size), np.float32)
        self.action_space = spaces.MultiDiscrete([model.num_actions] * num_envs)
        self.metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}
        self._obs = np.zeros(self.observation_space.shape, np.float32)
        self._steps = np.zeros(num_envs, np.int64)
        self.start_indices = np.zeros(num_envs, np.int64)  # record index each rollout began

    def _restart(self, indices):
        chosen = self._rng.integers(0, len(self._starts), len(indices))
        if len(self._reward_starts):
            near = self._rng.random(len(indices)) < self.reward_start_fraction
            chosen[near] = self._rng.choice(self._reward_starts, int(near.sum()))
        if len(self._episode_starts):
            first = np.flatnonzero(indices == 0)
            chosen[first] = self._rng.choice(self._episode_starts, len(first))
        self.start_indices[indices] = self._starts[chosen]
        self._obs[indices] = self._latents[chosen]
        self._steps[indices] = 0

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._restart(np.arange(self.num_envs))
        return self._obs.copy(), {}

    def step(self, actions):
        latents, rewards, terminated = self.model.imagine(self._obs, np.asarray(actions),
                                                          self.mean_reward)
        self._obs = np.array(latents)
        self._steps += 1
        truncated = (self._steps >= self.rollout_length) & ~terminated
        rewards = rewards.astype(np.float32)
        info = {"raw_reward": rewards}
        ended = np.flatnonzero(terminated | truncated)
        if len(ended):
            info["final_obs"] = self._obs.copy()
            self._restart(ended)
        return self._obs.copy(), rewards, terminated, truncated, info
