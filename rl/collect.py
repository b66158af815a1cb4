"""Collecting real experience into trajectory shards with any policy."""

import dataclasses
from typing import Any, Callable, Optional

import numpy as np

from rl.episodes import EpisodeTracker
from rl.progress import Progress


class _EpisodeChunk:
    """The frames of one sub-env since its last flush: consecutive steps of one episode."""

    def __init__(self):
        self.frames, self.actions, self.rewards, self.raw_rewards = [], [], [], []
        self.dones, self.frame_numbers, self.lives = [], [], []

    def add(self, frame, action, reward, raw_reward, done, frame_number, lives):
        self.frames.append(frame)
        self.actions.append(action)
        self.rewards.append(reward)
        self.raw_rewards.append(raw_reward)
        self.dones.append(done)
        self.frame_numbers.append(frame_number)
        self.lives.append(lives)

    def __len__(self):
        return len(self.frames)


@dataclasses.dataclass
class RunningEpisodes:
    """Where a collection stopped, so that the next one plays on in the same episodes.

    SimPLe's real env ran on across the loop's epochs: only its simulated envs were reset
    at the start of each PPO run. Restarting every sub-env at each collection instead
    limits the data to the first steps of every episode (the loop's 16 envs x 400 steps:
    never a step past the 400th, never a game over in most games), while its policy is
    scored on whole episodes. Hand the same instance to every collection: the first one
    fills it (and keeps its env open), the next ones continue from it.
    """
    env: Any = None
    obs: Optional[np.ndarray] = None
    lives: Optional[np.ndarray] = None
    tracker: Optional[EpisodeTracker] = None

    def close(self) -> None:
        if self.env is not None:
            self.env.close()
        self.env = self.obs = self.lives = self.tracker = None


def random_policy(action_space_n: int, seed: int,
                  mean_hold: float = 1) -> Callable[[np.ndarray], np.ndarray]:
    """A uniform random policy over `action_space_n` actions for a batch of observations.

    With `mean_hold` > 1 each sub-env keeps its action for a random number of steps
    (geometric, mean `mean_hold`) before drawing a new one: temporally extended random
    exploration (Dabney et al. 2020, "ez-greedy"). Each step's action is still uniform, but
    the agent wanders much further: on Freeway, uniform random play crosses the road 0 times
    in 100K steps and held actions (mean 16) about 160 times, which is what lets a world
    model see a reward at all (benchmarks/RESULTS.md).
    """
    rng = np.random.default_rng(seed)
    if mean_hold <= 1:
        return lambda observations: rng.integers(0, action_space_n, size=len(observations))
    state = {"actions": None, "left": None}

    def policy(observations):
        n = len(observations)
        if state["actions"] is None or len(state["actions"]) != n:
            state["actions"] = rng.integers(0, action_space_n, size=n)
            state["left"] = rng.geometric(1.0 / mean_hold, size=n)
        actions = state["actions"].copy()
        state["left"] -= 1
        expired = state["left"] <= 0
        state["actions"][expired] = rng.integers(0, action_space_n, size=expired.sum())
        state["left"][expired] = rng.geometric(1.0 / mean_hold, size=expired.sum())
        return actions
    return policy


class HeldRandomActions:
    """Temporally extended exploration around a policy (ez-greedy, Dabney et al. 2020):
    at each step, each sub-env that is not already holding a random action starts holding
    one with probability `probability`, a uniform action kept for a geometric number of
    steps (mean `mean_hold`); meanwhile its policy's actions are replaced.

    Why: a policy that has settled on one way to score stops showing the world model
    anything else, and the model's imagination then has no other way to offer PPO. On
    Crazy Climber the greedy policy climbs the building's left wing to its top and
    stops; the game pays again only after 20-30 steps of holding a diagonal move, which
    the policy never makes at temperature 1, so no collection holds it and the model
    imagines nothing for it (benchmarks/RESULTS.md, "Crazy Climber"). Single random
    steps would not get there: a held action does.

    With `after_unrewarded_steps` > 0 a hold starts only in a sub-env whose episode has
    paid nothing positive for at least that many steps (the caller reports each step's
    rewards to `observe`). Meant to explore only where a policy is stuck, it does not
    tell the stalls apart: a scoring Kung-Fu Master policy goes as long without a reward
    as the stuck Crazy Climber one (benchmarks/held_share.py, benchmarks/RESULTS.md), so
    the loop does not use it.
    """

    def __init__(self, num_actions: int, probability: float, mean_hold: float, seed: int,
                 after_unrewarded_steps: int = 0):
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability must be in [0, 1], got {probability}")
        if after_unrewarded_steps < 0:
            raise ValueError("after_unrewarded_steps must be >= 0, got "
                             f"{after_unrewarded_steps}")
        self.num_actions = num_actions
        self.probability = probability
        self.mean_hold = max(1.0, float(mean_hold))
        self.after_unrewarded_steps = int(after_unrewarded_steps)
        self._rng = np.random.default_rng(seed)
        self._held = None        # the action each sub-env holds
        self._left = None        # steps left to hold it (0: following the policy)
        self._unrewarded = None  # steps since the episode's last positive reward
        self.steps = 0           # sub-env steps acted on, and of those replaced
        self.replaced_steps = 0

    def _size(self, n):
        if self._left is None or len(self._left) != n:
            self._held = np.zeros(n, np.int64)
            self._left = np.zeros(n, np.int64)
            self._unrewarded = np.zeros(n, np.int64)

    def __call__(self, actions: np.ndarray):
        """(actions to take, bool mask of the sub-envs whose action was replaced)."""
        actions = np.array(actions, copy=True)
        n = len(actions)
        self._size(n)
        starting = (self._left <= 0) & (self._rng.random(n) < self.probability)
        if self.after_unrewarded_steps > 0:
            starting &= self._unrewarded >= self.after_unrewarded_steps
        count = int(starting.sum())
        self._held[starting] = self._rng.integers(0, self.num_actions, size=count)
        self._left[starting] = self._rng.geometric(1.0 / self.mean_hold, size=count)
        replaced = self._left > 0
        actions[replaced] = self._held[replaced].astype(actions.dtype)
        self._left[replaced] -= 1
        self.steps += n
        self.replaced_steps += int(replaced.sum())
        return actions, replaced

    def observe(self, rewards: np.ndarray, dones: np.ndarray) -> None:
        """What the step just taken paid, and which episodes it ended: a positive reward
        or a new episode restarts a sub-env's count of unrewarded steps."""
        rewards = np.asarray(rewards)
        self._size(len(rewards))
        self._unrewarded += 1
        self._unrewarded[(rewards > 0) | np.asarray(dones, bool)] = 0

    @property
    def unrewarded_steps(self) -> np.ndarray:
        """Each sub-env's steps since its episode's last positive reward (`observe`)."""
        return self._unrewarded

    @property
    def replaced_share(self) -> float:
        """The share of the steps so far whose action was a held random one."""
        return self.replaced_steps / max(1, self.steps)


def collect(env, policy: Callable[[np.ndarray], np.ndarray], num_steps: int, writer,
            first_episode_id: int, chunk_length: int = 100, label: str = "collect",
            on_step: Optional[Callable] = None,
            running: Optional[RunningEpisodes] = None) -> int:
    """Plays `policy` in the vector `env` for `num_steps` agent steps (summed over
    sub-envs) and writes every frame to `writer` (a TrajectoryWriter).

    Episodes still running at the end are written as far as they got (their last frame
    has done=0), so no step is thrown away. Returns the number of steps taken.

    Args:
        env: an Atari vector env (observations [N, stack, H, W, C], info["raw_reward"]).
        policy: maps a batch of observations to a batch of integer actions.
        num_steps: agent steps to take in all.
        writer: where the frames go.
        first_episode_id: ids of new episodes count up from here (unique per dataset).
        chunk_length: frames per chunk handed to the writer (the split granularity).
        on_step: called after every step with (next observations, rewards, terminated,
            truncated, info), for a policy that learns from what it collects
            (rl/real_env_ppo.py).
        running: continue the episodes a previous collection left running in `env`
            (RunningEpisodes); updated to where this one stops. Each continued episode
            gets a new id in this collection's range, its frame numbers go on.
    """
    num_envs = env.num_envs
    if running is not None and running.obs is not None:
        obs, lives, episodes = running.obs, running.lives, running.tracker
    else:
        obs, info = env.reset()
        # The lives counter of each sub-env's current frame (0 for a game without one).
        lives = np.asarray(info.get("lives", np.zeros(num_envs)), np.int64)
        episodes = EpisodeTracker(num_envs)  # its running lengths are the frame numbers
    chunks = [_EpisodeChunk() for _ in range(num_envs)]
    episode_ids = [first_episode_id + i for i in range(num_envs)]
    next_episode_id = first_episode_id + num_envs
    progress = Progress(label, num_steps)

    def flush(i):
        chunk = chunks[i]
        if len(chunk):
            writer.add_chunk(chunk.frames, chunk.actions, chunk.rewards, chunk.raw_rewards,
                             chunk.dones, chunk.frame_numbers, episode_ids[i], chunk.lives)
        chunks[i] = _EpisodeChunk()

    steps = 0
    while steps < num_steps:
        actions = np.asarray(policy(obs))
        next_obs, rewards, terminated, truncated, info = env.step(actions)
        raw_rewards = info["raw_reward"]
        if on_step is not None:
            on_step(next_obs, rewards, terminated, truncated, info)
        frame_numbers = episodes.length.copy()
        ended = dict(episodes.step(rewards, raw_rewards, terminated | truncated))
        next_lives = np.asarray(info.get("lives", np.zeros(num_envs)), np.int64)
        for i in range(num_envs):
            chunks[i].add(obs[i, -1].copy(), actions[i], rewards[i], raw_rewards[i], False,
                          frame_numbers[i], lives[i])
            if i in ended:
                # The ended episode's last frame; its counter is the game-over one (0),
                # while info already holds the new episode's.
                last = info["final_obs"][i, -1].copy()
                chunks[i].add(last, 0, 0, 0.0, True, frame_numbers[i] + 1, 0)
                flush(i)
                episode_ids[i] = next_episode_id
                next_episode_id += 1
            elif len(chunks[i]) >= chunk_length:
                flush(i)
        obs, lives = next_obs, next_lives
        steps += num_envs
        progress.update(min(steps, num_steps))
    for i in range(num_envs):
        # The current frame of a running episode: no action was taken in it yet.
        chunks[i].add(obs[i, -1].copy(), 0, 0, 0.0, False, episodes.length[i], lives[i])
        flush(i)
    if running is not None:
        running.env, running.obs, running.lives, running.tracker = env, obs, lives, episodes
    progress.finish()
    return steps
