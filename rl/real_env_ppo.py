"""PPO updates on a real-data collection, as the original loop's train_agent_real_env.

In SimPLe every real collection after the first is also PPO training: the policy that
collects the data learns from it as it goes, at its own (lower) learning rate, so the
policy meets the real game's rewards and not only the world model's. Here the collection
itself stays rl/collect.py's (it writes every frame to the dataset); `RealEnvPPO` acts
for it and sees each step through `observe`, and every `epoch_length` steps per sub-env
turns them into one PPO update of the same learner that trains in the world model.

A latent loop's policy reads latents: `encode` turns the real frame stacks into the
world model's encodings first, as the exported policy does.
"""

import dataclasses

import numpy as np

from hparams import HParams
from rl import rollout


@dataclasses.dataclass
class RealUpdates:
    """How a collection trains the policy: `epoch_length` steps per sub-env between
    updates, at `learning_rate`, with the PPO set `hparams` (its num_agents the
    collection's sub-env count, which sets the minibatch size)."""
    hparams: HParams
    epoch_length: int
    learning_rate: float


def real_updates(ppo_hparams: HParams, num_envs: int, total_epoch_length: int,
                 learning_rate: float) -> RealUpdates:
    """RealUpdates from the loop's real_ppo fields: `total_epoch_length` agent steps over
    all `num_envs` sub-envs between updates (the original's real_ppo_epoch_length, 3,200:
    16 agents x 200 steps)."""
    hparams = ppo_hparams.copy()
    hparams.num_agents = num_envs
    return RealUpdates(hparams, max(1, total_epoch_length // num_envs), learning_rate)


class RealEnvPPO:
    """Acts for one real collection and updates the learner from its steps. Steps left
    at the collection's end, fewer than an update takes, are not used: the next
    collection starts its envs afresh, so a rollout cannot run on into it.

    Args:
        learner: the rl.ppo.PPOLearner that trains in the world model too.
        updates: RealUpdates.
        temperature: the collection's sampling temperature.
        encode: frame stacks -> the policy's observations (None: the frames themselves).
        seed: seeds the updates' minibatch shuffles.
        explore: an rl.collect.HeldRandomActions that replaces some of the policy's
            actions (None: none). A replaced step is learned from with the policy's own
            log-probability of the action taken, so PPO's ratio starts at 1 there as for
            any step the policy chose.
    """

    def __init__(self, learner, updates, temperature=1.0, encode=None, seed=0,
                 explore=None):
        self.learner = learner
        self.explore = explore
        self.updates = updates
        self.temperature = temperature
        self._encode = encode or (lambda frames: frames)
        self._rng = np.random.default_rng(seed)
        self._buffer = rollout.RolloutBuffer()
        self._pending = None
        self.metrics = []  # one dict of update metrics per update

    def act(self, frames: np.ndarray) -> np.ndarray:
        """Actions for a batch of real frame stacks (collect.collect's policy)."""
        observations = self._encode(frames)
        actions, log_probs, values = self.learner.act(observations, self.temperature)
        if self.explore is not None:
            actions, log_probs = rollout.explore_actions(self.explore, self.learner,
                                                         observations, actions, log_probs)
        self._pending = (observations, actions, log_probs, values)
        return actions

    def observe(self, next_frames: np.ndarray, rewards: np.ndarray, terminated: np.ndarray,
                truncated: np.ndarray, info: dict) -> None:
        """What the step after the last `act` gave (collect.collect's on_step)."""
        observations, actions, log_probs, values = self._pending
        self._buffer.add(observations, actions, log_probs, values, rewards, terminated,
                         truncated, info, self._encode)
        if len(self._buffer) >= self.updates.epoch_length:
            self._update(self._encode(next_frames))

    def _update(self, next_observations):
        hparams = self.updates.hparams
        batch = self._buffer.batch(self.learner, next_observations, hparams)
        rate = self.learner.optimizer.learning_rate
        previous = float(rate.numpy())
        rate.assign(self.updates.learning_rate)
        try:
            self.metrics.append(self.learner.update(batch, self._rng, hparams))
        finally:
            rate.assign(previous)
