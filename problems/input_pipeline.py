"""Reading trajectory shards back: decoded arrays, and tf.data windows for world models.

Shards are decoded once into memory (PNG decoding runs in parallel through tf.data), and
windows are cut from those arrays by index: a window is `stack` input frames and their
actions plus the next frame and the reward for the last input action, always inside one
episode. Decoding once matters: the world model sees each frame many times per epoch.
"""

import glob
import os
import re
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import tensorflow as tf

from hparams.errors import UserError
from problems import dataset_files

Arrays = Dict[str, np.ndarray]  # decoded records (or windows of them), one array a field

_FEATURES = {
    "frame": tf.io.FixedLenFeature([], tf.string),
    "action": tf.io.FixedLenFeature([], tf.int64),
    "reward": tf.io.FixedLenFeature([], tf.int64),
    "unclipped_reward": tf.io.FixedLenFeature([], tf.float32),
    "done": tf.io.FixedLenFeature([], tf.int64),
    "frame_number": tf.io.FixedLenFeature([], tf.int64),
    "episode": tf.io.FixedLenFeature([], tf.int64),
    "epoch": tf.io.FixedLenFeature([], tf.int64),
    # Shards written before lives were recorded read as 0 throughout: no life lost.
    "lives": tf.io.FixedLenFeature([], tf.int64, default_value=0),
}


def shard_paths(data_dir: str, dataset: str, split: str,
                epochs: Optional[Sequence[int]] = None) -> List[str]:
    """Paths of the `split` shards of the given (default: all complete) epochs."""
    available = dataset_files.list_epochs(data_dir, dataset)
    if epochs is None:
        epochs = available
    missing = sorted(set(epochs) - set(available))
    if missing:
        raise UserError(f"dataset '{dataset}' in '{data_dir}' has no complete epoch(s) "
                        f"{missing}; it has {available}")
    paths = []
    for epoch in epochs:
        lost = dataset_files.missing_shards(data_dir, dataset, epoch, split)
        if lost:
            raise UserError(f"dataset '{dataset}' in '{data_dir}' is missing {len(lost)} "
                            f"{split} shard(s) its stats file lists: {', '.join(lost)}")
        prefix = glob.escape(os.path.join(data_dir, dataset_files.epoch_prefix(dataset, epoch)))
        paths += sorted(glob.glob(f"{prefix}.{split}-*.tfrecord"))
    return paths


def _plain(message):
    """TensorFlow's error text without its internal op and function names: the first
    line, less `{{function_node ...}}` and `[Op:...]` parts ("corrupted record at 78429")."""
    line = message.strip().splitlines()[0] if message.strip() else "unreadable"
    line = re.sub(r"\{\{[^}]*\}\}", "", line)
    line = re.sub(r"\[Op:[^\]]*\].*$", "", line)
    return line.strip() or "unreadable"


def read_arrays(paths: Sequence[str], channels: int, batch: int = 512) -> Arrays:
    """Decodes the records of `paths`, in order, into a dict of numpy arrays.

    Raises:
        UserError: a shard is missing or corrupt (naming it).
    """
    def parse(serialized):
        record = tf.io.parse_single_example(serialized, _FEATURES)
        record["frame"] = tf.io.decode_png(record["frame"], channels=channels)
        return record

    parts = {}
    for path in paths:
        dataset = tf.data.TFRecordDataset(path).map(
            parse, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).batch(batch)
        try:
            for record in dataset.as_numpy_iterator():
                for key, value in record.items():
                    parts.setdefault(key, []).append(value)
        except (tf.errors.DataLossError, tf.errors.InvalidArgumentError) as e:
            raise UserError(f"corrupt trajectory shard '{path}': {_plain(e.message)}; "
                            "write the dataset again (datagen_with_agent)") from None
        except tf.errors.NotFoundError:
            raise UserError(f"trajectory shard '{path}' is missing") from None
    if not parts:
        return {key: np.zeros((0,), np.int64) for key in _FEATURES}
    arrays = {key: np.concatenate(values) for key, values in parts.items()}
    for key in ("action", "reward", "done"):
        arrays[key] = arrays[key].astype(np.int32)
    return arrays


def load_split(data_dir: str, dataset: str, split: str,
               epochs: Optional[Sequence[int]] = None) -> Arrays:
    """All frames of one split of a dataset, decoded: a dict of numpy arrays."""
    stats = dataset_files.dataset_stats(data_dir, dataset)
    channels = stats["frame_format"]["channels"]
    return read_arrays(shard_paths(data_dir, dataset, split, epochs), channels)


def concatenate_arrays(first: Arrays, second: Arrays) -> Arrays:
    """Two decoded record sets as one (e.g. the data so far and a new epoch's). Episode ids
    are unique per dataset, so no window can form across the seam."""
    if not len(first["frame"]):
        return second
    if not len(second["frame"]):
        return first
    return {key: np.concatenate([first[key], second[key]]) for key in first}


def window_starts(episode: np.ndarray, frame_number: np.ndarray,
                  stack_size: int) -> np.ndarray:
    """Indices i such that records i .. i+stack_size are consecutive frames of one episode
    (stack_size inputs and one target)."""
    n = len(episode)
    length = stack_size + 1
    if n < length:
        return np.zeros((0,), np.int64)
    linked = (episode[1:] == episode[:-1]) & (frame_number[1:] == frame_number[:-1] + 1)
    # A window needs all (length - 1) links inside it; count links with a running sum.
    links = np.concatenate([[0], np.cumsum(linked)])
    starts = np.arange(n - length + 1)
    ok = links[starts + length - 1] - links[starts] == length - 1
    return starts[ok]


def gather_windows(arrays: Arrays, starts: np.ndarray, stack_size: int,
                   targets: int = 1) -> Arrays:
    """The windows beginning at `starts`, as a dict of numpy arrays:
    inputs [B, stack, H, W, C], input_actions [B, stack], target_frame [B, H, W, C],
    target_reward [B] (clipped, the reward for the last input action), target_raw_reward [B].

    With `targets` > 1 (starts from window_starts(..., stack_size + targets - 1)) also the
    frames that follow, for a model trained to predict them one after another:
    target_frames [B, targets, H, W, C], target_actions [B, targets] (the action that
    leads to each) and target_rewards [B, targets] (clipped, the reward for that action);
    their first entries are target_frame, the last input action and target_reward.
    """
    index = starts[:, None] + np.arange(stack_size + targets)
    frames = arrays["frame"][index]
    last = starts + stack_size - 1
    windows = {
        "inputs": frames[:, :stack_size],
        "input_actions": arrays["action"][index[:, :stack_size]],
        "target_frame": frames[:, stack_size],
        "target_reward": arrays["reward"][last],
        "target_raw_reward": arrays["unclipped_reward"][last],
    }
    if targets > 1:
        acted = index[:, stack_size - 1:-1]
        windows.update(target_frames=frames[:, stack_size:],
                       target_actions=arrays["action"][acted],
                       target_rewards=arrays["reward"][acted])
    return windows


def window_dataset(arrays: Arrays, stack_size: int, batch_size: int, shuffle: bool = True,
                   repeat: bool = True, seed: int = 0, rewarded_window_repeats: int = 1,
                   targets: int = 1) -> tf.data.Dataset:
    """A tf.data pipeline of window batches (see `gather_windows`, with `targets` frames
    to predict), shuffled and prefetched.

    `rewarded_window_repeats` > 1 lists every window whose target has a nonzero reward
    that many times: in games where rewards are rare (Freeway's crossings are a fraction of
    a percent of frames) the reward head otherwise learns to never predict one.

    Raises:
        UserError: the data holds no complete window (too few frames per episode).
    """
    starts = window_starts(arrays["episode"], arrays["frame_number"],
                           stack_size + targets - 1)
    if len(starts) == 0:
        raise UserError(f"the data holds no window of {stack_size + targets} consecutive "
                        "frames")
    if rewarded_window_repeats > 1:
        rewarded = starts[arrays["reward"][starts + stack_size - 1] != 0]
        starts = np.concatenate([starts] + [rewarded] * (rewarded_window_repeats - 1))
    sample = gather_windows(arrays, starts[:1], stack_size, targets)
    keys = sorted(sample)

    def gather(batch_starts):
        windows = gather_windows(arrays, batch_starts, stack_size, targets)
        return [windows[k] for k in keys]

    def to_dict(batch_starts):
        values = tf.numpy_function(gather, [batch_starts], [tf.as_dtype(sample[k].dtype)
                                                            for k in keys])
        out = {}
        for key, value in zip(keys, values):
            value.set_shape((None,) + sample[key].shape[1:])
            out[key] = value
        return out

    dataset = tf.data.Dataset.from_tensor_slices(starts)
    if shuffle:
        dataset = dataset.shuffle(len(starts), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    dataset = dataset.batch(batch_size, drop_remainder=repeat)
    return dataset.map(to_dict, num_parallel_calls=2).prefetch(2)


def gather_sequences(arrays: Arrays, starts: np.ndarray, stack_size: int,
                     steps: int) -> Arrays:
    """The sequences beginning at `starts` (from window_starts(..., stack_size + steps - 1)),
    for multi-step latent models: frames [B, stack + steps, H, W, C]; actions, rewards
    (clipped), dones and lives_lost [B, steps], where step k is taken from the stack of
    frames k .. k + stack - 1 (its action and reward are those of frame k + stack - 1) and
    reaches frame k + stack (done where that frame ends its episode; lives_lost where the
    game's lives counter drops from frame k + stack - 1 to it)."""
    index = starts[:, None] + np.arange(stack_size + steps)
    acted = index[:, stack_size - 1:-1]
    reached = index[:, stack_size:]
    lives = arrays.get("lives")
    lost = (np.zeros(reached.shape, np.float32) if lives is None
            else (lives[reached] < lives[acted]).astype(np.float32))
    return {
        "frames": arrays["frame"][index],
        "actions": arrays["action"][acted],
        "rewards": arrays["reward"][acted],
        "dones": arrays["done"][reached].astype(np.float32),
        "lives_lost": lost,
    }


def rewarded_sequence_starts(arrays: Arrays, starts: np.ndarray, stack_size: int,
                             steps: int) -> np.ndarray:
    """Those of `starts` whose sequence (see gather_sequences) earns a nonzero reward."""
    nonzero = np.concatenate([[0], np.cumsum(arrays["reward"] != 0)])
    first, last = starts + stack_size - 1, starts + stack_size - 1 + steps
    return starts[nonzero[last] - nonzero[first] > 0]


def sequence_sampler(arrays: Arrays, stack_size: int, steps: int, batch_size: int,
                     rewarded_fraction: float = 0.0,
                     seed: int = 0) -> Callable[[], Dict[str, tf.Tensor]]:
    """A function that returns a random batch of sequences (see gather_sequences) as
    tensors each time it is called; `rewarded_fraction` of each batch is drawn from the
    sequences that earn a nonzero reward, where there are any.

    Raises:
        UserError: the data holds no sequence of stack_size + steps consecutive frames.
    """
    starts = window_starts(arrays["episode"], arrays["frame_number"], stack_size + steps - 1)
    if len(starts) == 0:
        raise UserError(f"the data holds no sequence of {stack_size + steps} consecutive "
                        "frames")
    rewarded = rewarded_sequence_starts(arrays, starts, stack_size, steps)
    rng = np.random.default_rng(seed)

    def sample():
        chosen = rng.choice(starts, batch_size)
        if len(rewarded) and rewarded_fraction > 0:
            near = rng.random(batch_size) < rewarded_fraction
            chosen[near] = rng.choice(rewarded, int(near.sum()))
        return {key: tf.constant(value) for key, value in
                gather_sequences(arrays, chosen, stack_size, steps).items()}
    sample.num_sequences, sample.num_rewarded = len(starts), len(rewarded)
    return sample
