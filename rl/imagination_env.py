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

A share of rollouts (`action_start_fraction`) can start where the model says the action
matters: from a sample of the windows, every action is held for the rollout in
imagination, and the windows where the summed expected rewards of the actions differ
most become a start pool. Where few states decide a reward (Pong: a return or a miss is
decided in a few percent of them), uniform starts leave PPO almost no rollout in which
its choice changes what it earns.

With `intrinsic_weight` > 0 the reward adds the transition ensemble's disagreement about
each step's next latent (Plan2Explore): a policy trained on it seeks what the model does
not know yet, which is what an exploring collection should show it. The disagreement is
counted in units of its mean over the data's own steps (the start windows with the
actions taken in them), so that a weight means the same in every game and model: 1 is
what a step like the data's earns. `extrinsic_weight` scales the model's reward beside it
(0: disagreement alone). `info["raw_reward"]` stays the model's reward, so episode
returns report the game's.
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
        action_start_fraction: share of rollouts started from the windows where held
            actions' imagined rewards differ most (see the module docstring).
        action_start_sample: how many windows are rated for that.
        action_start_top: the share of the rated windows that forms the pool.
        intrinsic_weight: weight of the ensemble's disagreement in the reward.
        extrinsic_weight: weight of the model's reward in it.
    """

    def __init__(self, model, arrays, num_envs, rollout_length, seed=0,
                 reward_start_fraction=0.0, mean_reward=True, action_start_fraction=0.0,
                 action_start_sample=8192, action_start_top=0.1, intrinsic_weight=0.0,
                 extrinsic_weight=1.0):
        if intrinsic_weight > 0 and model.network.ensemble_size < 2:
            raise ValueError("intrinsic_weight > 0 needs a transition ensemble "
                             "(transition_ensemble >= 2) to disagree")
        self.model = model
        self.intrinsic_weight = float(intrinsic_weight)
        self.extrinsic_weight = float(extrinsic_weight)
        self.num_envs = num_envs
        self.rollout_length = rollout_length
        self.mean_reward = mean_reward
        stack = model.stack_size
        self.starts = RealStarts(arrays, stack, rollout_length, reward_start_fraction, seed)
        self.latents = model.encode_windows(arrays["frame"], self.starts.windows)
        self.data_disagreement = 1.0
        if intrinsic_weight > 0:
            self.data_disagreement = self._data_disagreement(arrays["action"], seed)
        self.action_starts = np.zeros(0, np.int64)
        if action_start_fraction > 0:
            self.action_starts = self._rate_starts(action_start_sample, action_start_top,
                                                    seed)
            self.starts.add_pool(self.action_starts, action_start_fraction)
        size = self.latents.shape[1]
        self.single_observation_space = spaces.Box(-1.0, 1.0, (size,), np.float32)
        self.single_action_space = spaces.Discrete(model.num_actions)
        self.observation_space = spaces.Box(-1.0, 1.0, (num_envs, size), np.float32)
        self.action_space = spaces.MultiDiscrete([model.num_actions] * num_envs)
        self.metadata = {"autoreset_mode": AutoresetMode.SAME_STEP}
        self._obs = np.zeros(self.observation_space.shape, np.float32)
        self._steps = np.zeros(num_envs, np.int64)
        self.start_indices = np.zeros(num_envs, np.int64)  # record index each rollout began

    def _data_disagreement(self, actions, seed, sample=8192):
        """The ensemble's mean disagreement about the data's own steps: up to `sample`
        start windows, each stepped with the action taken in its newest frame."""
        rng = np.random.default_rng(seed + 11)
        chosen = rng.choice(len(self.latents), min(sample, len(self.latents)), replace=False)
        taken = np.asarray(actions)[self.starts.windows[chosen] + self.model.stack_size - 1]
        disagreement = self.model.imagine(self.latents[chosen], taken,
                                          with_disagreement=True)[3]
        return max(float(disagreement.mean()), 1e-12)

    def _rate_starts(self, sample, top, seed):
        """Positions in `starts.windows` of the pool: of `sample` random windows, the
        `top` share whose held actions' summed expected rewards spread the most (and
        differ at all)."""
        rng = np.random.default_rng(seed + 7)
        rated = rng.choice(len(self.latents), min(sample, len(self.latents)),
                           replace=False)
        spread = held_action_spread(self.model, self.latents[rated], self.rollout_length)
        order = np.argsort(-spread)[:max(1, int(round(top * len(rated))))]
        self.action_start_rated, self.action_start_spread = rated, spread
        return rated[order[spread[order] > 1e-3]]

    def _restart(self, indices):
        chosen = self.starts.draw(indices)
        self.start_indices[indices] = self.starts.windows[chosen]
        self._obs[indices] = self.latents[chosen]
        self._steps[indices] = 0

    def reset(self, *, seed=None, options=None):
        if seed is not None:
            self.starts.reseed(seed)
            self.model.reseed_imagination(seed)  # an ensemble's draws of members
        self._restart(np.arange(self.num_envs))
        return self._obs.copy(), {}

    def step(self, actions):
        latents, rewards, terminated, disagreement = self.model.imagine(
            self._obs, np.asarray(actions), self.mean_reward, with_disagreement=True)
        self._obs = np.array(latents)
        self._steps += 1
        truncated = (self._steps >= self.rollout_length) & ~terminated
        rewards = rewards.astype(np.float32)
        info = {"raw_reward": rewards, "disagreement": disagreement}
        if self.intrinsic_weight > 0 or self.extrinsic_weight != 1.0:
            rewards = (self.extrinsic_weight * rewards + self.intrinsic_weight
                       * disagreement / self.data_disagreement).astype(np.float32)
        ended = np.flatnonzero(terminated | truncated)
        if len(ended):
            info["final_obs"] = self._obs.copy()
            self._restart(ended)
        return self._obs.copy(), rewards, terminated, truncated, info


def held_action_totals(model, latents, steps, batch=4096):
    """Per latent and action: the summed expected and the summed likeliest reward of that
    action held `steps` imagined steps from the latent, each [N, num_actions]."""
    actions = np.arange(model.num_actions)
    expected = np.zeros((len(latents), len(actions)), np.float32)
    likeliest = np.zeros((len(latents), len(actions)), np.float32)
    for begin in range(0, len(latents), batch):
        part = latents[begin:begin + batch]
        latent = np.repeat(part, len(actions), axis=0)
        held = np.tile(actions, len(part))
        total = np.zeros(len(latent), np.float32)
        total_likeliest = np.zeros(len(latent), np.float32)
        for _ in range(steps):
            latent, reward, _ = model.imagine(latent, held, mean_reward=True)
            total += reward
            total_likeliest += np.round(reward)
        expected[begin:begin + batch] = total.reshape(len(part), len(actions))
        likeliest[begin:begin + batch] = total_likeliest.reshape(len(part), len(actions))
    return expected, likeliest


def held_action_spread(model, latents, steps, batch=4096):
    """Per latent: the best minus the worst action's summed expected reward, each action
    held `steps` imagined steps from it."""
    expected, _ = held_action_totals(model, latents, steps, batch)
    return expected.max(1) - expected.min(1)
