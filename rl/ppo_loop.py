"""The PPO training loop shared by both trainers: iterations of collect, update, write
metrics, checkpoint and report, and the checkpoint of a learner's whole state.

rl/model_free.py runs it on a real env, rl/model_based.py inside the world model; each
iteration's metrics have the same names in both (with T2T's reward scope told apart).
"""

import time
from typing import Callable, Dict, List, Optional

import numpy as np
import tensorflow as tf

from hparams import HParams
from rl import checkpoints
from rl.episodes import Episode
from rl.checkpoints import restore_newest_intact


class Checkpointer:
    """The learner's complete state under OUTPUT_DIR/checkpoints. TensorFlow writes the
    `checkpoint` index file last, so a checkpoint cut short by a crash is never loaded."""

    def __init__(self, directory, learner, max_to_keep=2):
        self.iteration = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.env_steps = tf.Variable(0, dtype=tf.int64, trainable=False)
        # The model-based loop's real collections whose PPO updates the state includes
        # (rl/real_env_ppo.py); always 0 for model-free training.
        self.real_collections = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.checkpoint = tf.train.Checkpoint(network=learner.network,
                                              optimizer=learner.optimizer,
                                              iteration=self.iteration,
                                              env_steps=self.env_steps,
                                              real_collections=self.real_collections)
        self.manager = tf.train.CheckpointManager(self.checkpoint, directory, max_to_keep)

    def restore(self) -> bool:
        """Restores the newest intact checkpoint (rl/checkpoints.py); returns True if
        there was one."""
        return restore_newest_intact(self.checkpoint, self.manager, "policy") is not None

    def save(self, iteration: int, env_steps: int,
             real_collections: Optional[int] = None) -> None:
        """Saves as ckpt-N, N = iteration + real collections trained in: it grows with
        every save, whichever kind of training came last."""
        self.iteration.assign(iteration)
        self.env_steps.assign(env_steps)
        if real_collections is not None:
            self.real_collections.assign(real_collections)
        checkpoints.save(self.manager, iteration + int(self.real_collections.numpy()))


def iteration_metrics(episodes: List[Episode], update_metrics: Dict[str, float],
                      learning_rate: float, steps_per_s: float,
                      reward_scope: str = "train") -> Dict[str, float]:
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


def run_iterations(learner, collector, hparams: HParams, start: int, stop: int, planned: int,
                   writer, checkpointer: Checkpointer, on_save: Optional[Callable] = None,
                   seed: int = 0, label: str = "iteration", log_every_s: float = 10.0,
                   reward_scope: str = "train") -> List[Episode]:
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
