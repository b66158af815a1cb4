"""SimulatedBatchEnv: a gymnasium vector env whose dynamics are a trained world model.

Each sub-env starts from a random window of `frame_stack_size` consecutive real frames
(sub-env 0 from a true episode start, so the policy also sees openings), steps all
sub-envs with one batched model call per step, and ends its rollout after
`rollout_length` steps. The end is a truncation, not a termination: the game has not
ended, so PPO bootstraps from the value of the last frame. Like the real Atari envs it
resets in the step that ends a rollout (final observation in info["final_obs"]), so PPO
collects from it through the same code path.
"""

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv

from hparams.errors import UserError
from problems import input_pipeline


class SimulatedBatchEnv(VectorEnv):
    """See the module docstring.

    Args:
        world_model: anything with `predict(frames, actions, temperature)` returning
            (next frames uint8 [B, H, W, C], rewards [B] in {-1, 0, 1}).
        arrays: decoded real trajectories (problems.input_pipeline.load_split).
        num_envs: simulated sub-envs (simulated_batch_size).
        rollout_length: steps before a sub-env is restarted from real data.
        num_actions: the game's action count.
        stack_size: frames per observation.
        temperature: the world model's sampling temperature.
        seed: seeds the choice of start windows.
    """

    def __init__(self, world_model, arrays, num_envs, rollout_length, num_actions,
                 stack_size=4, temperature=1.0, seed=0):
        self.world_model = world_model
        self.arrays = arrays
        self.num_envs = num_envs
        self.rollout_length = rollout_length
        self.stack_size = stack_size
        self.temperature = temperature
        self._rng = np.random.default_rng(seed)
        # Windows of stack_size consecutive frames (window_starts counts a target frame).
        self._starts = input_pipeline.window_starts(arrays["episode"], arrays["frame_number"],
                                                    stack_size - 1)
        if len(self._starts) == 0:
            raise UserError("no real window of consecutive frames to start simulations from")
        self._episode_starts = self._starts[arrays["frame_number"][self._starts] == 0]
        frame_shape = arrays["frame"].shape[1:]
        self.single_observation_space = spaces.Box(0, 255, (stack_size,) + frame_shape,
                                                   np.uint8)
        self.single_action_space = spaces.Discrete(num_actions)
        self.observation_space = spaces.Box(0, 255, (num_envs, stack_size) + frame_shape,
                                            np.uint8)
        self.action_space = spaces.MultiDiscrete([num_actions] * num_envs)
        self.metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}
        self._obs = np.zeros(self.observation_space.shape, np.uint8)
        self._steps = np.zeros(num_envs, np.int64)
        self.start_indices = np.zeros(num_envs, np.int64)  # where each rollout began

    def _draw_starts(self, indices):
        starts = self._rng.choice(self._starts, size=len(indices))
        if 0 in indices and len(self._episode_starts):
            starts[list(indices).index(0)] = self._rng.choice(self._episode_starts)
        return starts

    def _restart(self, indices):
        starts = self._draw_starts(indices)
        self.start_indices[indices] = starts
        self._obs[indices] = self.arrays["frame"][starts[:, None] + np.arange(self.stack_size)]
        self._steps[indices] = 0

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._restart(np.arange(self.num_envs))
        return self._obs.copy(), {}

    def step(self, actions):
        actions = np.asarray(actions).astype(np.int32)
        frames, rewards = self.world_model.predict(self._obs, actions, self.temperature)
        self._obs = np.concatenate([self._obs[:, 1:], frames[:, None]], axis=1)
        self._steps += 1
        truncated = self._steps >= self.rollout_length
        terminated = np.zeros(self.num_envs, bool)
        rewards = rewards.astype(np.float32)
        info = {"raw_reward": rewards}
        if truncated.any():
            info["final_obs"] = self._obs.copy()
            self._restart(np.flatnonzero(truncated))
        return self._obs.copy(), rewards, terminated, truncated, info
