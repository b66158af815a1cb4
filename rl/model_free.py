"""Model-free PPO training on a real environment: the library behind trainer_model_free.

A run directory holds hparams.json, flags.txt, metrics.jsonl, tensorboard/, checkpoints/
(network, optimizer, iteration and env-step counters) and policy/ (the SavedModel, updated
at every checkpoint). Re-running on the same directory resumes from the last checkpoint.
"""

import os
import time
from typing import Any, Dict, Optional

import numpy as np
from absl import logging

from hparams import HParams
from models import catalog, policies, saved_policy, seeding
from problems import atari, gym_envs
from problems.registry import resolve_problem
from rl import metrics as metrics_lib
from rl import ppo, rollout, run_dir
from rl.ppo_loop import Checkpointer, run_iterations


def make_env(problem, hparams: HParams, seed: int):
    """The vector env for `problem` with `hparams.num_agents` sub-envs, and the observation
    format a policy trained on it expects."""
    if problem.is_atari:
        config = atari.AtariConfig.from_hparams(problem.game, hparams)
        env = atari.AtariEnv(config, hparams.num_agents, seed=seed)
        return env, dict(config.to_dict(), kind="atari")
    env = gym_envs.make_gym_vector_env(problem.gym_id, hparams.num_agents, seed=seed)
    space = env.single_observation_space
    return env, {"kind": "gym", "gym_id": problem.gym_id, "shape": list(space.shape),
                 "dtype": str(space.dtype)}


def train(problem_name: str, hparams: HParams, output_dir: str, seed: int = 0,
          log_every_s: float = 10.0, command_line: Optional[str] = None) -> Dict[str, Any]:
    """Trains PPO on `problem_name` with `hparams`, resuming from `output_dir` if it holds
    this run already.

    Returns:
        dict with iterations, env_steps, the mean raw and clipped return of the last 100
        episodes, the SavedModel path, and the training loop's own time and steps.
    """
    problem = resolve_problem(problem_name)
    catalog.check_policy_network(problem, hparams)
    record = {"problem": problem_name, "seed": seed, "hparams": hparams.values()}
    resumed = run_dir.prepare(output_dir, record, command_line)

    env, observation_format = make_env(problem, hparams, seed)
    seeding.seed_initialization(seed)
    network = policies.make_policy_network(hparams, env.single_observation_space,
                                           env.single_action_space)
    learner = ppo.PPOLearner(network, hparams)
    checkpointer = Checkpointer(os.path.join(output_dir, "checkpoints"), learner)
    start = 0
    if resumed and checkpointer.restore():
        start = int(checkpointer.iteration.numpy())
        logging.info("resuming %s at iteration %d (%d env steps)", output_dir, start,
                     int(checkpointer.env_steps.numpy()))
    steps_per_iteration = hparams.num_agents * hparams.epoch_length
    writer = metrics_lib.MetricsWriter(output_dir, "model_free",
                                       resume_step=start * steps_per_iteration)
    collector = rollout.RolloutCollector(env, learner, seed=seed + start)
    policy_dir = os.path.join(output_dir, "policy")

    def export():
        saved_policy.export_policy(network, env.single_observation_space, observation_format,
                                   policy_dir)

    began = time.time()  # after setup: the loop's time, as peers report it
    try:
        recent = run_iterations(learner, collector, hparams, start, hparams.epochs_num,
                                hparams.epochs_num, writer, checkpointer, on_save=export,
                                seed=seed, log_every_s=log_every_s)
    finally:
        writer.close()
        env.close()
    return {
        "iterations": hparams.epochs_num,
        "env_steps": hparams.epochs_num * steps_per_iteration,
        "episodes_in_summary": len(recent),
        "mean_return": float(np.mean([e[0] for e in recent])) if recent else None,
        "mean_return_clipped": float(np.mean([e[1] for e in recent])) if recent else None,
        "policy_dir": policy_dir,
        "loop_seconds": time.time() - began,
        "loop_env_steps": (hparams.epochs_num - start) * steps_per_iteration,
    }
