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

from rl.simulated_env import RealStarts


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
        stack = model.stack_size
        self.starts = RealStarts(arrays, stack, rollout_length, reward_start_fraction, seed)
        self._latents = model.encode_windows(arrays["frame"], self.starts.windows)
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
        chosen = self.starts.draw(indices)
        self.start_indices[indices] = self.starts.windows[chosen]
        self._obs[indices] = self._latents[chosen]
        self._steps[indices] = 0

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self.starts.reseed(seed)
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
