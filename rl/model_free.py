"""Model-free PPO training on a real environment: the library behind trainer_model_free.

A run directory holds hparams.json, flags.txt, metrics.jsonl, tensorboard/, checkpoints/
(network, optimizer, iteration and env-step counters) and policy/ (the SavedModel, updated
at every checkpoint). Re-running on the same directory resumes from the last checkpoint.
"""

import os
import time

import numpy as np
import tensorflow as tf
from absl import logging

from models import catalog, policies, saved_policy, seeding
from problems import atari, gym_envs
from problems.registry import resolve_problem
from rl import metrics as metrics_lib
from rl import ppo, rollout, run_dir


def make_env(problem, hparams, seed):
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


class Checkpointer:
    """The learner's complete state under OUTPUT_DIR/checkpoints. TensorFlow writes the
    `checkpoint` index file last, so a checkpoint cut short by a crash is never loaded."""

    def __init__(self, directory, learner, max_to_keep=2):
        self.iteration = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.env_steps = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.checkpoint = tf.train.Checkpoint(network=learner.network,
                                              optimizer=learner.optimizer,
                                              iteration=self.iteration,
                                              env_steps=self.env_steps)
        self.manager = tf.train.CheckpointManager(self.checkpoint, directory, max_to_keep)

    def restore(self):
        """Restores the latest checkpoint; returns True if there was one."""
        if self.manager.latest_checkpoint is None:
            return False
        self.checkpoint.restore(self.manager.latest_checkpoint).assert_existing_objects_matched()
        return True

    def save(self, iteration, env_steps):
        self.iteration.assign(iteration)
        self.env_steps.assign(env_steps)
        self.manager.save(checkpoint_number=iteration)


def iteration_metrics(episodes, update_metrics, learning_rate, steps_per_s,
                      reward_scope="train"):
    """The per-iteration metrics under their fixed names.

    reward_scope names T2T's `mean_reward/{scope}/clipped`: "train" for real episodes;
    the model-based loop passes "simulated", since its `mean_reward/train/*` are the
    real collections' (as in T2T) and one name must not hold both.
    """
    result = {f"train/{k}": v for k, v in update_metrics.items()}
    result["train/learning_rate"] = learning_rate
    result["time/env_steps_per_s"] = steps_per_s
    if episodes:
        raw, clipped, length = (np.mean(column) for column in zip(*episodes))
        result.update({"rollout/episode_return": raw,
                       "rollout/episode_return_clipped": clipped,
                       "rollout/episode_length": length,
                       "rollout/episodes": len(episodes),
                       f"mean_reward/{reward_scope}/clipped": clipped})
    return result


def run_iterations(learner, collector, hparams, start, stop, planned, writer, checkpointer,
                   on_save=None, seed=0, label="iteration", log_every_s=10.0,
                   reward_scope="train"):
    """PPO iterations [start, stop) of a run planned to last `planned` iterations (for
    learning-rate annealing), with metrics, checkpoints and progress lines.

    Iteration i's sampling noise and shuffles are seeded by (seed, i), so a resumed run
    draws what an uninterrupted one would have (environment state aside).

    Returns:
        the finished episodes (raw return, clipped return, length) of the last 100.
    """
    steps_per_iteration = hparams.num_agents * hparams.epoch_length
    recent = []
    began = last_log = time.time()
    for iteration in range(start, stop):
        learner.reseed(seed * 100003 + iteration)
        rng = np.random.default_rng([seed, iteration])
        learner.set_progress(iteration / planned)
        tick = time.time()
        batch = collector.collect(hparams.epoch_length, hparams)
        update = learner.update(batch, rng)
        episodes = collector.episodes.pop_finished()
        recent = (recent + episodes)[-100:]
        done = iteration + 1
        env_steps = done * steps_per_iteration
        rate = steps_per_iteration / (time.time() - tick)
        writer.write(env_steps, iteration_metrics(
            episodes, update, float(learner.optimizer.learning_rate.numpy()), rate,
            reward_scope))
        if done % hparams.save_every == 0 or done == stop:
            checkpointer.save(done, env_steps)
            if on_save:
                on_save()
        now = time.time()
        if now - last_log >= log_every_s or done == stop or done == start + 1:
            last_log = now
            left = (stop - done) * (now - began) / (done - start)
            mean_raw = np.mean([e[0] for e in recent]) if recent else float("nan")
            print(f"{label} {done}/{stop}, env steps {env_steps}, return (last "
                  f"{len(recent)} episodes) {mean_raw:.2f}, kl {update.get('approx_kl', 0):.4f}, "
                  f"entropy {update.get('entropy', 0):.3f}, {rate:.0f} steps/s, "
                  f"{left:.0f}s left", flush=True)
    return recent


def train(problem_name, hparams, output_dir, seed=0, log_every_s=10.0, command_line=None):
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
