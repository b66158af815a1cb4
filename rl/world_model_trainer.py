"""Training a world model on a problem's trajectory shards: the library behind
trainer_world_model (and the model-based loop's world-model phase).

The run directory holds hparams.json, flags.txt, metrics.jsonl, tensorboard/,
checkpoints/ (network, optimizer and its step counter) and videos/. Re-running resumes
from the last checkpoint; a larger --train_steps continues training.
"""

import os
import time

import numpy as np
import tensorflow as tf
from absl import logging

from hparams.errors import UserError
from models import catalog, seeding
from models.latent_world_model import LatentWorldModel
from models.world_model import WorldModel
from problems import input_pipeline
from rl import metrics as metrics_lib
from rl import run_dir, video, world_model_eval
from rl.world_model_inputs import check_strategy, dataset_format


def make_strategy(name):
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


def write_debug_video(world_model, dev, path, num_frames, num_rollouts=2, seed=0):
    """Predicted | real | difference for autoregressive rollouts from real dev starts."""
    result = world_model_eval.multi_step_eval(world_model, dev, num_frames, num_rollouts,
                                              seed=seed, keep_frames=True)
    if not result["rollouts"]:
        return None
    frames = [video.side_by_side(p, r) for rollout in range(result["rollouts"])
              for p, r in zip(result["predicted"][rollout], result["real"][rollout])]
    return video.write_mp4(path, frames)


def train(data_dir, output_dir, problem_name, model_name, hparams, train_steps,
          eval_steps=10, eval_every=500, save_every=500, video_frames=32, eval_rollouts=32,
          strategy=None, seed=0, command_line=None, log_every_s=10.0,
          metrics_phase="world_model", dataset=None, metrics_dir=None, time_budget_s=None,
          arrays=None, world_model=None, reward_eval_horizons=(1, 12), record_inputs=False):
    """Trains (or resumes training) a world model up to `train_steps` optimizer steps.

    `dataset` names the data in `data_dir` when it is not the problem's own, and
    `metrics_dir` is where metrics go when not `output_dir` (the model-based loop keeps
    both its data and its metrics at its own level). With `time_budget_s`, training stops
    (evaluating and checkpointing) at the first step past that many seconds. `arrays`
    (decoded train and dev records) saves decoding the shards again. `world_model`, the
    model this process trained last time in `output_dir`, goes on training as it is:
    its compiled training step is kept, not traced again. `eval_rollouts`
    autoregressive rollouts from dev starts give the final reward accuracy at each of
    `reward_eval_horizons` steps (a loop that measures it itself passes none). With
    `record_inputs`, the run record also holds the data directory and the seed, so that
    resuming on other data or with another seed is refused (the loop, which trains on
    growing data with a seed per epoch, keeps its own record instead).

    Returns:
        dict of the final dev metrics, multi-step reward accuracies and the video path.
    """
    dataset = dataset or problem_name
    fmt = dataset_format(data_dir, problem_name, dataset)
    if train_steps <= 0:
        raise UserError(f"--train_steps must be positive, got {train_steps}")
    if eval_rollouts <= 0:
        raise UserError(f"--eval_rollouts must be positive, got {eval_rollouts}")
    record = {"problem": problem_name, "model": model_name, "hparams": hparams.values()}
    if record_inputs:
        record.update(data_dir=os.path.abspath(data_dir), seed=seed)
    resumed = run_dir.prepare(output_dir, record, command_line)
    strategy = strategy or tf.distribute.get_strategy()
    seeding.seed_initialization(seed)
    frame_shape = (fmt["height"], fmt["width"], fmt["channels"])
    kept = world_model is not None
    if not kept:
        if catalog.is_latent(model_name):
            world_model = LatentWorldModel(hparams, fmt["num_actions"], frame_shape)
        else:
            world_model = WorldModel(hparams, fmt["num_actions"], frame_shape, model_name,
                                     strategy)
    manager = tf.train.CheckpointManager(world_model.checkpoint,
                                         os.path.join(output_dir, "checkpoints"), 2)
    if kept:
        if manager.latest_checkpoint and int(
                manager.latest_checkpoint.rsplit("-", 1)[-1]) != world_model.step:
            raise ValueError(f"the kept world model is at step {world_model.step}, its "
                             f"checkpoint at {manager.latest_checkpoint}")
    elif resumed and manager.latest_checkpoint:
        world_model.checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        logging.info("resuming %s at step %d", output_dir, world_model.step)
    start = world_model.step
    if arrays is None:
        arrays = (input_pipeline.load_split(data_dir, dataset, "train"),
                  input_pipeline.load_split(data_dir, dataset, "dev"))
    dev_arrays = arrays[1]
    if catalog.is_latent(model_name):
        next_batch, dev_batches = _latent_batches(hparams, arrays, eval_steps, seed + start,
                                                  seed)
    else:
        next_batch, dev_batches = _pixel_batches(hparams, arrays, eval_steps, strategy,
                                                 seed + start, seed)
    writer = metrics_lib.MetricsWriter(metrics_dir or output_dir, metrics_phase,
                                       resume_step=start)
    sums, count = {}, 0
    began, last_log = time.time(), 0.0
    dev = {}
    try:
        for step in range(start + 1, train_steps + 1):
            for key, value in world_model.train_step(next_batch()).items():
                sums[key] = sums.get(key, 0.0) + value
            count += 1
            out_of_time = time_budget_s is not None and time.time() - began > time_budget_s
            if out_of_time:
                train_steps = step  # the last step: evaluate, save and report now
            if step % eval_every == 0 or step == train_steps:
                dev = _evaluate(world_model, dev_batches)
                values = {f"world_model/train/{k}": v / count for k, v in sums.items()}
                values.update({f"world_model/dev/{k}": v for k, v in dev.items()})
                values["world_model/learning_rate"] = float(
                    world_model.optimizer.learning_rate.numpy())
                writer.write(step, values)
                sums, count = {}, 0
            if step % save_every == 0 or step == train_steps:
                manager.save(checkpoint_number=step)
            if out_of_time:
                print(f"world model: time budget of {time_budget_s:.0f}s spent at step {step}",
                      flush=True)
            elapsed = time.time() - began
            if elapsed - last_log >= log_every_s or step == train_steps:
                last_log = elapsed
                rate = (step - start) / elapsed
                extra = _describe_dev(dev)
                print(f"world model step {step}/{train_steps}, {rate:.2f} steps/s, "
                      f"{(train_steps - step) / max(rate, 1e-9):.0f}s left{extra}", flush=True)
            if out_of_time:
                break
        summary = {"step": world_model.step, "dev": dev}
        for horizon in reward_eval_horizons:
            result = world_model_eval.multi_step_eval(world_model, dev_arrays, horizon,
                                                      num_rollouts=eval_rollouts, seed=seed)
            summary[f"reward_accuracy_at_{horizon}"] = result["reward_accuracy"]
            summary[f"baseline_no_reward_accuracy_at_{horizon}"] = \
                result["baseline_no_reward_accuracy"]
            if result["reward_accuracy"] is not None:
                writer.write(world_model.step, {
                    f"world_model/reward_accuracy_at_{horizon}": result["reward_accuracy"]})
        os.makedirs(os.path.join(output_dir, "videos"), exist_ok=True)
        summary["video"] = write_debug_video(
            world_model, dev_arrays,
            os.path.join(output_dir, "videos", f"rollout_step_{world_model.step:07d}.mp4"),
            video_frames, seed=seed)
    finally:
        writer.close()
    summary["train_seconds"] = time.time() - began
    return summary, world_model


def _pixel_batches(hparams, arrays, eval_steps, strategy, train_seed, dev_seed):
    """A pixel model's (next training batch function, dev batches): single-step windows."""
    train_arrays, dev_arrays = arrays
    stack = hparams.video_num_input_frames
    global_batch = hparams.batch_size * strategy.num_replicas_in_sync
    train_data = input_pipeline.window_dataset(
        train_arrays, stack, global_batch, seed=train_seed,
        rewarded_window_repeats=hparams.rewarded_window_repeats)
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
