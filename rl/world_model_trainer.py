"""Training a world model on a problem's trajectory shards: the library behind
trainer_world_model (and the model-based loop's world-model phase).

The run directory holds hparams.json, flags.txt, metrics.jsonl, tensorboard/,
checkpoints/ (network, optimizer and its step counter) and videos/. Re-running resumes
from the last checkpoint; a larger --train_steps continues training.
"""

import dataclasses
import os
import time
from typing import Dict, Optional, Tuple

import numpy as np
import tensorflow as tf
from absl import logging

from hparams.errors import UserError
from hparams.hparams import HParams
from models import catalog, seeding
from models.latent_world_model import LatentWorldModel
from models.world_model import WorldModel
from problems import input_pipeline
from rl import metrics as metrics_lib
from rl import run_dir, video, world_model_eval
from rl import checkpoints
from rl.checkpoints import restore_newest_intact
from rl.world_model_inputs import check_strategy, dataset_format


def make_strategy(name: str) -> tf.distribute.Strategy:
    """A tf.distribute strategy by name; multi_worker reads the standard TF_CONFIG."""
    check_strategy(name)
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


def _distributed(strategy, dataset):
    if strategy.num_replicas_in_sync == 1 and not isinstance(
            strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return dataset
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return strategy.experimental_distribute_dataset(dataset.with_options(options))


def write_debug_video(world_model, dev: Dict[str, np.ndarray], path: str, num_frames: int,
                      num_rollouts: int = 2, seed: int = 0) -> Optional[str]:
    """Predicted | real | difference for autoregressive rollouts from real dev starts."""
    result = world_model_eval.multi_step_eval(world_model, dev, num_frames, num_rollouts,
                                              seed=seed, keep_frames=True)
    if not result["rollouts"]:
        return None
    frames = [video.side_by_side(p, r) for rollout in range(result["rollouts"])
              for p, r in zip(result["predicted"][rollout], result["real"][rollout])]
    return video.write_mp4(path, frames)


@dataclasses.dataclass
class TrainingRun:
    """What to train, on which data, into which run directory.

    `dataset` names the data in `data_dir` when it is not the problem's own, and
    `metrics_dir` is where metrics go when not `output_dir` (the model-based loop keeps
    both its data and its metrics at its own level). With `record_inputs`, the run
    record also holds the data directory and the seed, so that resuming on other data or
    with another seed is refused (the loop, which trains on growing data with a seed per
    epoch, keeps its own record instead).
    """
    data_dir: str
    output_dir: str
    problem: str
    model_name: str
    hparams: HParams
    train_steps: int
    seed: int = 0
    dataset: Optional[str] = None
    metrics_dir: Optional[str] = None
    metrics_phase: str = "world_model"
    record_inputs: bool = False
    command_line: Optional[str] = None


@dataclasses.dataclass
class Schedule:
    """When to evaluate, save and report, and what the final report measures.

    `eval_steps` dev batches every `eval_every` steps; a checkpoint every `save_every`;
    a progress line every `log_every_s` seconds. With `time_budget_s`, training stops
    (evaluating and checkpointing) at the first step past that many seconds. At the end,
    `eval_rollouts` autoregressive rollouts from dev starts give the reward accuracy at
    each of `reward_eval_horizons` steps (a loop that measures it itself passes none),
    and a debug video shows `video_frames` frames of imagination.
    """
    eval_steps: int = 10
    eval_every: int = 500
    save_every: int = 500
    video_frames: int = 32
    eval_rollouts: int = 32
    reward_eval_horizons: Tuple[int, ...] = (1, 12)
    log_every_s: float = 10.0
    time_budget_s: Optional[float] = None


def train(run: TrainingRun, schedule: Schedule = Schedule(), strategy=None, arrays=None,
          world_model=None):
    """Trains (or resumes training) a world model up to `run.train_steps` optimizer steps.

    `arrays` (decoded train and dev records) saves decoding the shards again.
    `world_model`, the model this process trained last time in `run.output_dir`, goes on
    training as it is: its compiled training step is kept, not traced again.

    Returns:
        (summary, world_model): the summary holds the final step, dev metrics, the
        reward accuracies at the schedule's horizons beside never predicting a reward,
        the debug video's path and the seconds this call trained; the model is the
        trained WorldModel or LatentWorldModel.
    """
    fmt = _check(run, schedule)
    strategy = strategy or tf.distribute.get_strategy()
    world_model, manager = _model_at_its_checkpoint(run, fmt, strategy, world_model)
    start = world_model.step
    if arrays is None:
        dataset = run.dataset or run.problem
        arrays = (input_pipeline.load_split(run.data_dir, dataset, "train"),
                  input_pipeline.load_split(run.data_dir, dataset, "dev"))
    if catalog.is_latent(run.model_name):
        next_batch, dev_batches = _latent_batches(run.hparams, arrays, schedule.eval_steps,
                                                  run.seed + start, run.seed)
    else:
        next_batch, dev_batches = _pixel_batches(run.hparams, arrays, schedule.eval_steps,
                                                 strategy, run.seed + start, run.seed)
    writer = metrics_lib.MetricsWriter(run.metrics_dir or run.output_dir, run.metrics_phase,
                                       resume_step=start)
    began = time.time()
    try:
        dev = _train_steps(world_model, manager, run, schedule, next_batch, dev_batches,
                           writer)
        summary = {"step": world_model.step, "dev": dev}
        summary.update(_final_report(world_model, run, schedule, arrays[1], writer))
    finally:
        writer.close()
    summary["train_seconds"] = time.time() - began
    return summary, world_model


def _check(run, schedule):
    """The dataset's frame format, once the run's data and numbers are known good."""
    fmt = dataset_format(run.data_dir, run.problem, run.dataset or run.problem)
    if run.train_steps <= 0:
        raise UserError(f"--train_steps must be positive, got {run.train_steps}")
    if schedule.eval_rollouts <= 0:
        raise UserError(f"--eval_rollouts must be positive, got {schedule.eval_rollouts}")
    return fmt


def _model_at_its_checkpoint(run, fmt, strategy, world_model):
    """The run directory prepared (record checked or written), and (model, its
    checkpoint manager) with the model at the newest intact checkpoint: `world_model`
    if given and at the latest checkpoint's step, else a new one restored from it, or
    fresh for a new run."""
    record = {"problem": run.problem, "model": run.model_name, "hparams": run.hparams.values()}
    if run.record_inputs:
        record.update(data_dir=os.path.abspath(run.data_dir), seed=run.seed)
    resumed = run_dir.prepare(run.output_dir, record, run.command_line)
    seeding.seed_initialization(run.seed)
    directory = os.path.join(run.output_dir, "checkpoints")
    latest = tf.train.latest_checkpoint(directory)
    if world_model is not None and latest and \
            int(latest.rsplit("-", 1)[-1]) != world_model.step:
        world_model = None  # the directory moved on without it: read it from there
    kept = world_model is not None
    if not kept:
        frame_shape = (fmt["height"], fmt["width"], fmt["channels"])
        if catalog.is_latent(run.model_name):
            world_model = LatentWorldModel(run.hparams, fmt["num_actions"], frame_shape)
        else:
            world_model = WorldModel(run.hparams, fmt["num_actions"], frame_shape,
                                     run.model_name, strategy)
    manager = tf.train.CheckpointManager(world_model.checkpoint, directory, 2)
    if not kept and resumed and manager.latest_checkpoint:
        restore_newest_intact(world_model.checkpoint, manager, "world model")
        logging.info("resuming %s at step %d", run.output_dir, world_model.step)
    return world_model, manager


def _train_steps(world_model, manager, run, schedule, next_batch, dev_batches, writer):
    """Trains from the model's step to run.train_steps (or the time budget), writing
    averaged training metrics and dev metrics at each evaluation, saving checkpoints and
    printing progress; returns the last dev metrics."""
    start, train_steps = world_model.step, run.train_steps
    sums, count, dev = {}, 0, {}
    began, last_log = time.time(), 0.0
    for step in range(start + 1, train_steps + 1):
        for key, value in world_model.train_step(next_batch()).items():
            sums[key] = sums.get(key, 0.0) + value
        count += 1
        out_of_time = (schedule.time_budget_s is not None
                       and time.time() - began > schedule.time_budget_s)
        if out_of_time:
            train_steps = step  # the last step: evaluate, save and report now
        if step % schedule.eval_every == 0 or step == train_steps:
            dev = _evaluate(world_model, dev_batches)
            values = {f"world_model/train/{k}": v / count for k, v in sums.items()}
            values.update({f"world_model/dev/{k}": v for k, v in dev.items()})
            values["world_model/learning_rate"] = float(
                world_model.optimizer.learning_rate.numpy())
            writer.write(step, values)
            sums, count = {}, 0
        if step % schedule.save_every == 0 or step == train_steps:
            checkpoints.save(manager, step)
        if out_of_time:
            print(f"world model: time budget of {schedule.time_budget_s:.0f}s spent at "
                  f"step {step}", flush=True)
        elapsed = time.time() - began
        if elapsed - last_log >= schedule.log_every_s or step == train_steps:
            last_log = elapsed
            rate = (step - start) / elapsed
            print(f"world model step {step}/{train_steps}, {rate:.2f} steps/s, "
                  f"{(train_steps - step) / max(rate, 1e-9):.0f}s left{_describe_dev(dev)}",
                  flush=True)
        if out_of_time:
            break
    return dev


def _final_report(world_model, run, schedule, dev_arrays, writer):
    """Reward accuracy of autoregressive rollouts at the schedule's horizons, and the
    debug video."""
    report = {}
    for horizon in schedule.reward_eval_horizons:
        result = world_model_eval.multi_step_eval(world_model, dev_arrays, horizon,
                                                  num_rollouts=schedule.eval_rollouts,
                                                  seed=run.seed)
        report[f"reward_accuracy_at_{horizon}"] = result["reward_accuracy"]
        report[f"baseline_no_reward_accuracy_at_{horizon}"] = \
            result["baseline_no_reward_accuracy"]
        if result["reward_accuracy"] is not None:
            writer.write(world_model.step, {
                f"world_model/reward_accuracy_at_{horizon}": result["reward_accuracy"]})
    os.makedirs(os.path.join(run.output_dir, "videos"), exist_ok=True)
    report["video"] = write_debug_video(
        world_model, dev_arrays,
        os.path.join(run.output_dir, "videos", f"rollout_step_{world_model.step:07d}.mp4"),
        schedule.video_frames, seed=run.seed)
    return report


def _pixel_batches(hparams, arrays, eval_steps, strategy, train_seed, dev_seed):
    """A pixel model's (next training batch function, dev batches): windows with the
    set's video_num_target_frames frames to predict for training, single-step windows
    for the dev metrics."""
    train_arrays, dev_arrays = arrays
    stack = hparams.video_num_input_frames
    global_batch = hparams.batch_size * strategy.num_replicas_in_sync
    train_data = input_pipeline.window_dataset(
        train_arrays, stack, global_batch, seed=train_seed,
        rewarded_window_repeats=hparams.rewarded_window_repeats,
        targets=hparams.video_num_target_frames)
    train_iter = iter(_distributed(strategy, train_data))
    try:
        dev_batches = list(input_pipeline.window_dataset(
            dev_arrays, stack, hparams.batch_size, seed=dev_seed).take(eval_steps))
    except UserError:
        logging.warning("the dev split holds no window of %d frames: no dev evaluation",
                        stack + 1)
        dev_batches = []
    return lambda: next(train_iter), dev_batches


def _latent_batches(hparams, arrays, eval_steps, train_seed, dev_seed):
    """A latent model's (next training batch function, dev batches): sequences of
    unroll_steps steps, a share of the training ones earning a reward."""
    train_arrays, dev_arrays = arrays
    stack, steps = hparams.video_num_input_frames, hparams.unroll_steps
    next_batch = input_pipeline.sequence_sampler(
        train_arrays, stack, steps, hparams.batch_size, hparams.rewarded_sequence_fraction,
        seed=train_seed)
    try:
        dev_sample = input_pipeline.sequence_sampler(dev_arrays, stack, steps,
                                                     hparams.batch_size, seed=dev_seed)
    except UserError:
        logging.warning("the dev split holds no sequence of %d frames: no dev evaluation",
                        stack + steps)
        return next_batch, []
    return next_batch, [dev_sample() for _ in range(eval_steps)]


def _evaluate(world_model, batches):
    """Dev metrics averaged over batches; a per-step list (a latent model's unroll) is
    reported as its mean over the steps."""
    if not batches:
        return {}
    sums = {}
    for batch in batches:
        for key, value in world_model.evaluate(batch).items():
            key = key.replace("_per_step", "")
            value = float(np.mean(value))
            sums[key] = sums.get(key, 0.0) + value
    return {key: value / len(batches) for key, value in sums.items()}


def _describe_dev(dev):
    """The progress line's dev part: the model's frame quality beside copying the last
    frame, and its reward accuracy."""
    if not dev:
        return ""
    if "pixel_accuracy" in dev:
        return (f", dev pixel accuracy {dev['pixel_accuracy']:.4f} (copy last "
                f"{dev['baseline_copy_last/pixel_accuracy']:.4f}), reward accuracy "
                f"{dev['reward_accuracy']:.3f}")
    return (f", dev squared frame error {dev['frame_error']:.5f} (copy last "
            f"{dev['baseline_copy_last/frame_error']:.5f}), on moving pixels "
            f"{dev['moving_pixel_error']:.4f} "
            f"({dev['baseline_copy_last/moving_pixel_error']:.4f}), rewards predicted "
            f"{dev['rewarded_steps_correct']:.0f} of {dev['rewarded_steps']:.0f}")
