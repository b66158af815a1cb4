"""A separate exploration policy for the real collections (Plan2Explore, Sekar et al. 2020).

Why a second policy: the task policy shows the world model only what it already does.
Where the game pays only after something the policy never plays (Crazy Climber pays
again only after a diagonal move held for 20-30 steps), the model never learns it, and
imagination cannot offer it to PPO. Random actions mixed into the task policy's own cost
the games where the policy already scores (Kung-Fu Master lost half its score to each
form: benchmarks/RESULTS.md), and PPO cannot learn from actions it did not choose. So an
exploration policy of its own, trained in imagination on the transition ensemble's
disagreement (rl/imagination_env.py, intrinsic_weight), plays part of some of each
collection's sub-envs, and the task policy's PPO learns only from the others.

Trained on disagreement alone, the explorer seeks what the model does not know from
wherever it starts: from a game's start that is the bottom of Crazy Climber's building,
not the wall the task policy stops at. So in each of its sub-envs the task policy leads
first and hands over at a step drawn at random in the collection: the explorer starts
from the frontier of what the task policy reaches, at every depth.
"""

from typing import Callable, Optional

import numpy as np

from rl import metrics as metrics_lib
from rl import ppo_loop, rollout
from rl.imagination_env import LatentImaginationEnv


class SplitActor:
    """Acts for one collection. The first `task_envs` sub-envs are the task policy's:
    `task_act` plays them and `task_observe` learns from their steps. In each of the
    others, `lead_act` (the task policy, not learning) plays until the collection step
    `handoff[i]`, and `explore_act` from then on.

    Args:
        task_act, lead_act, explore_act: frame stacks -> actions.
        task_envs: how many sub-envs, from the first, are the task policy's.
        handoff: per exploring sub-env, the collection step at which the explorer takes
            over (0: from the first step).
        task_observe: the task sub-envs' on_step (rl/real_env_ppo.RealEnvPPO.observe), or
            None.
    """

    def __init__(self, task_act: Callable[[np.ndarray], np.ndarray],
                 lead_act: Callable[[np.ndarray], np.ndarray],
                 explore_act: Callable[[np.ndarray], np.ndarray], task_envs: int,
                 handoff: np.ndarray, task_observe: Optional[Callable] = None):
        if task_envs < 1:
            raise ValueError(f"the task policy needs at least one sub-env, got {task_envs}")
        self.task_act = task_act
        self.lead_act = lead_act
        self.explore_act = explore_act
        self.task_envs = task_envs
        self.handoff = np.asarray(handoff, np.int64)
        self.task_observe = task_observe
        self.step = 0             # collection steps acted so far
        self.explored_steps = 0   # sub-env steps the explorer played

    def act(self, frames: np.ndarray) -> np.ndarray:
        n = self.task_envs
        if len(frames) != n + len(self.handoff):
            raise ValueError(f"{len(frames)} sub-envs, expected {n} task and "
                             f"{len(self.handoff)} exploring ones")
        actions = np.zeros(len(frames), np.int64)
        actions[:n] = self.task_act(frames[:n])
        exploring = np.concatenate([np.zeros(n, bool), self.step >= self.handoff])
        leading = np.concatenate([np.zeros(n, bool), self.step < self.handoff])
        for mask, act in ((leading, self.lead_act), (exploring, self.explore_act)):
            if mask.any():
                actions[mask] = act(frames[mask])
        self.step += 1
        self.explored_steps += int(exploring.sum())
        return actions

    def observe(self, next_frames, rewards, terminated, truncated, info) -> None:
        if self.task_observe is None:
            return
        n = self.task_envs
        task_info = {key: value[:n] if _per_env(value, len(rewards)) else value
                     for key, value in info.items()}
        self.task_observe(next_frames[:n], rewards[:n], terminated[:n], truncated[:n],
                          task_info)


def _per_env(value, num_envs) -> bool:
    """Whether an info entry holds one row per sub-env (and is cut with them)."""
    return isinstance(value, np.ndarray) and value.ndim >= 1 and len(value) == num_envs


def explore_envs(num_envs: int, share: float) -> int:
    """How many of a collection's `num_envs` sub-envs the explorer plays part of: the
    nearest whole number to `share` of them, at least one when `share` > 0, and never
    all (the task policy keeps one)."""
    if share <= 0:
        return 0
    return int(min(num_envs - 1, max(1, round(share * num_envs))))


def train_explorer(explorer, checkpointer, world_model, start_arrays, loop, ppo_hparams,
                   output_dir: str, seed: int, epoch: int) -> None:
    """The loop's explore_N phase: PPO iterations for the exploration policy `explorer`
    (a PPOLearner, saved by `checkpointer`) in `world_model`'s imagination, on the
    transition ensemble's disagreement and explore_extrinsic_weight times the model's
    reward, from `start_arrays` (the task policy's starts), up to
    explore_ppo_epochs_num * (epoch + 1) iterations in all. Metrics go to phase
    ppo_explore; a phase cut short resumes from the checkpointer's iteration."""
    start = int(checkpointer.iteration.numpy())
    per_epoch = loop.explore_ppo_epochs_num
    stop = per_epoch * (epoch + 1)
    print(f"[epoch {epoch + 1}/{loop.epochs}] exploration policy in the world model: "
          f"iterations {start + 1}..{stop}", flush=True)
    env = LatentImaginationEnv(world_model, start_arrays, loop.simulated_batch_size,
                               loop.simulated_rollout_length, seed=seed * 1000 + 700 + start,
                               intrinsic_weight=1.0,
                               extrinsic_weight=loop.explore_extrinsic_weight)
    collector = rollout.RolloutCollector(env, explorer, seed=seed + 700 + start)
    steps_per_iteration = ppo_hparams.num_agents * ppo_hparams.epoch_length
    writer = metrics_lib.MetricsWriter(output_dir, "ppo_explore",
                                       resume_step=start * steps_per_iteration)
    try:
        ppo_loop.run_iterations(explorer, collector, ppo_hparams, start, stop,
                                per_epoch * loop.epochs, writer, checkpointer,
                                seed=seed + 700, label="  explorer ppo iteration",
                                reward_scope="explore")
    finally:
        writer.close()
