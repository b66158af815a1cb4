"""Trajectory storage: one dataset epoch = train shards + a dev shard + a stats JSON.

Each record is one observed frame (the newest of the stack) and what followed it:
`action` taken in that frame, `reward` (clipped) and `unclipped_reward` received for it,
and `done`, true on the last frame of an episode (whose action and rewards are 0). Frames
of one episode carry the same `episode` id and consecutive `frame_number`s, which is how
readers find windows that never cross an episode boundary.

Steps are written in chunks of consecutive frames of one episode, dealt round-robin to the
shards starting with the dev shard (the last one): chunk k goes to shard
(k + num_train_shards) mod (num_train_shards + 1). So the dev split is an even share of
every kind of moment in the data even when an epoch holds few whole episodes, and it is
never empty.

An epoch is written under temporary names and renamed into place, the stats file last:
an epoch without its stats file is incomplete and ignored by readers, and writing a later
epoch never touches an earlier one.
"""

import fcntl
import json
import os
import shutil
import tempfile

import cv2
import numpy as np
import tensorflow as tf

from hparams.errors import UserError
from problems.dataset_files import check_data_dir, epoch_prefix, shard_name, stats_path

TRAIN, DEV = "train", "dev"


def _int_feature(values):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=values))


def _float_feature(values):
    return tf.train.Feature(float_list=tf.train.FloatList(value=values))


def _bytes_feature(values):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=values))


def encode_png(frame: np.ndarray) -> bytes:
    """PNG bytes of an HxWxC uint8 frame (RGB or gray). Level 1: fast, still lossless."""
    if frame.shape[-1] == 3:
        frame = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)  # OpenCV writes BGR order
    ok, data = cv2.imencode(".png", frame, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise RuntimeError("PNG encoding failed")
    return data.tobytes()


# A writer's scratch directory holds this file, locked (flock) while the writer lives:
# the kernel drops the lock when the process ends however it ends, so a scratch
# directory whose lock is free was abandoned (its writer was killed) and can go.
SCRATCH_LOCK = ".writing"


def _lock_scratch(directory):
    handle = open(os.path.join(directory, SCRATCH_LOCK), "w")
    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return handle


def remove_abandoned_scratch(directory: str) -> None:
    """Removes the scratch directories in `directory` that no live writer holds (left by
    a writer that was killed with SIGKILL, or by a crash of the machine); returns their
    names. Scratch directories of live writers, and hidden directories that are not a
    writer's, are left alone."""
    removed = []
    for name in sorted(os.listdir(directory)):
        lock_path = os.path.join(directory, name, SCRATCH_LOCK)
        if not (name.startswith(".") and os.path.isfile(lock_path)):
            continue
        with open(lock_path) as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live writer's
            shutil.rmtree(os.path.join(directory, name), ignore_errors=True)
        removed.append(name)
    return removed


class TrajectoryWriter:
    """Writes one epoch of one dataset. Use as a context manager, or call `close()`.

    Args:
        data_dir: where the finished shards go.
        dataset: the dataset's name, usually the problem name (`gym_pong_random`).
        epoch: the loop epoch this data belongs to; one writer per (dataset, epoch).
        frame_format: a dict describing the frames (AtariConfig.to_dict()), kept in stats.
        num_train_shards: train shards; there is always one dev shard.
        tmp_dir: where shards are written before being moved into data_dir.
    """

    def __init__(self, data_dir, dataset, epoch, frame_format, num_train_shards=10,
                 tmp_dir=None):
        check_data_dir(data_dir)
        if os.path.exists(stats_path(data_dir, dataset, epoch)):
            raise UserError(f"epoch {epoch} of dataset '{dataset}' already exists in "
                            f"'{data_dir}'; choose another epoch or data directory")
        self.data_dir, self.dataset, self.epoch = data_dir, dataset, epoch
        self.frame_format = dict(frame_format)
        if tmp_dir:
            check_data_dir(tmp_dir)
        remove_abandoned_scratch(tmp_dir or data_dir)
        self._tmp = tempfile.mkdtemp(prefix=f".{epoch_prefix(dataset, epoch)}-",
                                     dir=tmp_dir or data_dir)
        self._scratch_lock = _lock_scratch(self._tmp)
        count = num_train_shards
        self._names = [shard_name(dataset, epoch, TRAIN, i, count) for i in range(count)]
        self._names.append(shard_name(dataset, epoch, DEV, 0, 1))
        self._writers = [tf.io.TFRecordWriter(os.path.join(self._tmp, n)) for n in self._names]
        self._chunks_written = 0
        self._split_frames = {TRAIN: 0, DEV: 0}
        self._episodes = {}  # episode id -> [raw return, clipped return, done]
        self._closed = False

    def add_chunk(self, frames, actions, rewards, raw_rewards, dones, frame_numbers,
                  episode: int, lives=None) -> None:
        """Adds consecutive frames of one episode (all arrays of equal length). `lives`:
        the game's lives counter in each frame, where the game has one (0 if not given),
        from which a reader finds the steps that lose a life."""
        if lives is None:
            lives = np.zeros(len(frames), np.int64)
        dev = len(self._writers) - 1
        shard = (self._chunks_written + dev) % len(self._writers)
        self._chunks_written += 1
        writer = self._writers[shard]
        for i in range(len(frames)):
            example = tf.train.Example(features=tf.train.Features(feature={
                "frame": _bytes_feature([encode_png(frames[i])]),
                "action": _int_feature([int(actions[i])]),
                "reward": _int_feature([int(rewards[i])]),
                "unclipped_reward": _float_feature([float(raw_rewards[i])]),
                "done": _int_feature([int(dones[i])]),
                "frame_number": _int_feature([int(frame_numbers[i])]),
                "episode": _int_feature([int(episode)]),
                "epoch": _int_feature([self.epoch]),
                "lives": _int_feature([int(lives[i])]),
            }))
            writer.write(example.SerializeToString())
        split = DEV if shard == len(self._writers) - 1 else TRAIN
        self._split_frames[split] += len(frames)
        totals = self._episodes.setdefault(int(episode), [0.0, 0, False])
        totals[0] += float(np.sum(raw_rewards))
        totals[1] += int(np.sum(rewards))
        totals[2] = totals[2] or bool(np.any(dones))

    def close(self) -> None:
        """Moves the shards into place, then writes the stats file; returns the stats."""
        if self._closed:
            return self.stats
        for writer in self._writers:
            writer.close()
        for name in self._names:
            shutil.move(os.path.join(self._tmp, name), os.path.join(self.data_dir, name))
        shutil.rmtree(self._tmp, ignore_errors=True)
        self._scratch_lock.close()
        self.stats = self._compute_stats()
        path = stats_path(self.data_dir, self.dataset, self.epoch)
        with open(path + ".tmp", "w") as f:
            json.dump(self.stats, f, indent=2, sort_keys=True)
        os.replace(path + ".tmp", path)
        self._closed = True
        return self.stats

    def abort(self) -> None:
        """Drops everything written so far: nothing of this epoch appears in data_dir."""
        for writer in self._writers:
            try:
                writer.close()
            except (OSError, tf.errors.OpError):
                pass  # e.g. a full disk fails the last flush; the files go anyway
        shutil.rmtree(self._tmp, ignore_errors=True)
        self._scratch_lock.close()
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _compute_stats(self):
        finished = [v for v in self._episodes.values() if v[2]]
        return {
            "dataset": self.dataset,
            "epoch": self.epoch,
            "frames": sum(self._split_frames.values()),
            "train_frames": self._split_frames[TRAIN],
            "dev_frames": self._split_frames[DEV],
            "episodes": len(self._episodes),
            "finished_episodes": len(finished),
            "mean_raw_return": float(np.mean([v[0] for v in finished])) if finished else None,
            "mean_clipped_return": float(np.mean([v[1] for v in finished])) if finished else None,
            "frame_format": self.frame_format,
            # What was written, so a reader can tell a shard that went missing.
            "shards": list(self._names),
        }
