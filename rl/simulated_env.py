"""SimulatedBatchEnv: a gymnasium vector env whose dynamics are a trained world model.

Each sub-env starts from a random window of `frame_stack_size` consecutive real frames
(sub-env 0 from a true episode start, so the policy also sees openings), steps all
sub-envs with one batched model call per step, and ends its rollout after
`rollout_length` steps. The end is a truncation, not a termination: the game has not
ended, so PPO bootstraps from the value of the last frame. Like the real Atari envs it
resets in the step that ends a rollout (final observation in info["final_obs"]), so PPO
collects from it through the same code path.

With `reward_start_fraction` > 0, that share of rollouts starts from a real window that a
nonzero reward followed within `rollout_length` steps. Where rewards are rare (a Freeway
crossing needs about 60 steps of mostly "up"), rollouts from random real frames almost
never meet one and PPO has nothing to learn from; starting some of them where the real
game gave a reward lets PPO find it, and the value bootstrapped at each truncation
carries it back to states further away.
"""

from typing import Dict

import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv

from hparams.errors import UserError
from problems import input_pipeline


def start_arrays(arrays: Dict[str, np.ndarray], all_epochs: bool) -> Dict[str, np.ndarray]:
    """The real data simulated rollouts start from: the latest collection's (the
    original's choice: starts like the states the current policy reaches), or with
    `all_epochs` all real data so far."""
    if all_epochs or not len(arrays["epoch"]):
        return arrays
    latest = arrays["epoch"] == arrays["epoch"].max()
    return {key: value[latest] for key, value in arrays.items()}


def rewarded_starts(arrays: Dict[str, np.ndarray], starts: np.ndarray, stack_size: int,
                    horizon: int) -> np.ndarray:
    """The window starts (among `starts`) whose last frame a nonzero reward follows within
    `horizon` steps of the same stretch of consecutive frames. A frame's reward is the one
    for the action taken from it, so a rollout from a window ending at frame k can meet the
    rewards of frames k .. k + horizon - 1."""
    rewarded = np.flatnonzero(arrays["reward"] != 0)
    if not len(rewarded):
        return starts[:0]
    # For each reward at j, windows ending at k = j - d for d in 0 .. horizon - 1.
    last = (rewarded[:, None] - np.arange(horizon)[None, :]).ravel()
    reward_index = np.repeat(rewarded, horizon)
    candidates = last - (stack_size - 1)
    ok = candidates >= 0
    candidates, reward_index = candidates[ok], reward_index[ok]
    episode, frame_number = arrays["episode"], arrays["frame_number"]
    linked = ((episode[candidates] == episode[reward_index])
              & (frame_number[reward_index] - frame_number[candidates]
                 == reward_index - candidates))
    return np.unique(candidates[linked & np.isin(candidates, starts)])


class RealStarts:
    """Where simulated rollouts begin: windows of `stack_size` consecutive real frames.

    Shared by the pixel and the latent simulator, so both start alike: uniformly over the
    windows, a `reward_start_fraction` share among windows a real reward follows within
    `rollout_length` steps, and sub-env 0 from a true episode start.

    `draw` returns positions in `windows` (the record index of each window's first
    frame), so a simulator that precomputes something per window (the latent one encodes
    them all) can index it directly.
    """

    def __init__(self, arrays, stack_size, rollout_length, reward_start_fraction=0.0,
                 seed=0):
        # window_starts counts a target frame: stack_size - 1 for windows of stack_size.
        self.windows = input_pipeline.window_starts(arrays["episode"], arrays["frame_number"],
                                                    stack_size - 1)
        if len(self.windows) == 0:
            raise UserError("no real window of consecutive frames to start simulations from")
        self.reward_start_fraction = reward_start_fraction
        self._episode_starts = np.flatnonzero(arrays["frame_number"][self.windows] == 0)
        rewarded = (rewarded_starts(arrays, self.windows, stack_size, rollout_length)
                    if reward_start_fraction > 0 else self.windows[:0])
        self._pools = []  # (positions in windows, share of draws), applied in order
        self.add_pool(np.flatnonzero(np.isin(self.windows, rewarded)),
                      reward_start_fraction)
        self.reseed(seed)

    def add_pool(self, positions: np.ndarray, fraction: float) -> None:
        """Draws a `fraction` of the starts from `positions` (in `windows`) instead of
        uniformly; a later pool overrides an earlier one where both are drawn. An empty
        pool is ignored."""
        if len(positions) and fraction > 0:
            self._pools.append((np.asarray(positions), fraction))

    def reseed(self, seed: int) -> None:
        self._rng = np.random.default_rng(seed)

    def draw(self, indices: np.ndarray) -> np.ndarray:
        """Positions in `windows` for the sub-envs `indices` (a numpy array)."""
        chosen = self._rng.integers(0, len(self.windows), len(indices))
        for positions, fraction in self._pools:
            near = self._rng.random(len(indices)) < fraction
            chosen[near] = self._rng.choice(positions, int(near.sum()))
        if len(self._episode_starts):
            first = np.flatnonzero(indices == 0)
            chosen[first] = self._rng.choice(self._episode_starts, len(first))
        return chosen


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
        reward_start_fraction: share of rollouts started shortly before a real reward.
    """

    def __init__(self, world_model, arrays, num_envs, rollout_length, num_actions,
                 stack_size=4, temperature=1.0, seed=0, reward_start_fraction=0.0):
        self.world_model = world_model
        self.arrays = arrays
        self.num_envs = num_envs
        self.rollout_length = rollout_length
        self.stack_size = stack_size
        self.temperature = temperature
        self.starts = RealStarts(arrays, stack_size, rollout_length, reward_start_fraction,
                                 seed)
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

    def _restart(self, indices):
        starts = self.starts.windows[self.starts.draw(indices)]
        self.start_indices[indices] = starts
        self._obs[indices] = self.arrays["frame"][starts[:, None] + np.arange(self.stack_size)]
        self._steps[indices] = 0

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self.starts.reseed(seed)
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
