"""Counting episodes across the sub-envs of a vector env (no TensorFlow here)."""

from typing import List, Tuple

import numpy as np

Episode = Tuple[float, float, int]  # raw return, clipped return, length


class EpisodeTracker:
    """Running returns and lengths per sub-env, and the finished episodes' raw and clipped
    returns and lengths: the one place episodes are counted, for PPO's rollouts, the
    evaluation and the real-data collection (where `length` is the frame number)."""

    def __init__(self, num_envs):
        self.raw = np.zeros(num_envs)
        self.clipped = np.zeros(num_envs)
        self.length = np.zeros(num_envs, np.int64)  # steps taken in the running episode
        self.finished = []  # (raw return, clipped return, length)

    def step(self, rewards: np.ndarray, raw_rewards: np.ndarray,
             dones: np.ndarray) -> List[Tuple[int, Episode]]:
        """Adds one step of every sub-env; returns [(sub-env, (raw return, clipped return,
        length))] for the episodes that ended with it."""
        self.raw += raw_rewards
        self.clipped += rewards
        self.length += 1
        ended = []
        for i in np.flatnonzero(dones):
            episode = (float(self.raw[i]), float(self.clipped[i]), int(self.length[i]))
            self.finished.append(episode)
            ended.append((int(i), episode))
            self.raw[i] = self.clipped[i] = 0.0
            self.length[i] = 0
        return ended

    def pop_finished(self) -> List[Episode]:
        finished, self.finished = self.finished, []
        return finished
