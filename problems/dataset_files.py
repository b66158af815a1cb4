"""A dataset's files on disk: the names of an epoch's shards and stats file, which epochs
are complete, and their statistics. No TensorFlow here, so the entrypoints can check a
--data_dir before loading it (problems/trajectory.py writes the shards themselves).

An epoch is complete once its stats file exists: writers rename it into place last.
"""

import glob
import json
import os
import shutil
from typing import Any, Dict, List

from hparams.errors import UserError


def epoch_prefix(dataset: str, epoch: int) -> str:
    return f"{dataset}.e{epoch:03d}"


def shard_name(dataset: str, epoch: int, split: str, index: int, count: int) -> str:
    return f"{epoch_prefix(dataset, epoch)}.{split}-{index:05d}-of-{count:05d}.tfrecord"


def stats_path(data_dir: str, dataset: str, epoch: int) -> str:
    return os.path.join(data_dir, f"{epoch_prefix(dataset, epoch)}.stats.json")


def check_data_dir(data_dir: str, create: bool = True, flag: str = "--data_dir") -> None:
    """Raises UserError if `data_dir` cannot hold data (it is a file, say); the message
    names it as `flag`."""
    if os.path.exists(data_dir) and not os.path.isdir(data_dir):
        raise UserError(f"{flag} '{data_dir}' is a file, not a directory")
    if create:
        try:
            os.makedirs(data_dir, exist_ok=True)
        except OSError as e:
            raise UserError(f"cannot create data directory '{data_dir}': {e.strerror}") from None


def list_epochs(data_dir: str, dataset: str) -> List[int]:
    """The complete epochs (those with a stats file) of `dataset` in `data_dir`, sorted."""
    epochs = []
    for path in glob.glob(os.path.join(data_dir, f"{glob.escape(dataset)}.e*.stats.json")):
        stem = os.path.basename(path)[len(dataset) + 2:-len(".stats.json")]
        if stem.isdigit():
            epochs.append(int(stem))
    return sorted(epochs)


def remove_incomplete_epoch(data_dir: str, dataset: str, epoch: int) -> None:
    """Deletes what a crashed writer of this epoch left: its scratch directory and any
    shards moved into place before its stats file was written. A complete epoch (stats
    file present) is never touched."""
    if os.path.exists(stats_path(data_dir, dataset, epoch)):
        return
    prefix = glob.escape(os.path.join(data_dir, epoch_prefix(dataset, epoch)))
    for path in glob.glob(f"{prefix}.*.tfrecord"):
        os.remove(path)
    scratch = glob.escape(os.path.join(data_dir, "." + epoch_prefix(dataset, epoch)))
    for path in glob.glob(f"{scratch}-*"):
        shutil.rmtree(path, ignore_errors=True)


# What every epoch's stats file holds (a "shards" list too, since it was added).
STATS_KEYS = ("epoch", "frames", "train_frames", "dev_frames", "episodes",
              "finished_episodes", "mean_raw_return", "mean_clipped_return", "frame_format")


def read_epoch_stats(data_dir: str, dataset: str, epoch: int) -> Dict[str, Any]:
    """One epoch's stats file.

    Raises:
        UserError: the file is truncated, not JSON or lacks a field; the message says
            which file and how to recover.
    """
    path = stats_path(data_dir, dataset, epoch)
    fix = (f"remove that epoch's files ({epoch_prefix(dataset, epoch)}.*) and collect it "
           "again")
    try:
        with open(path) as f:
            stats = json.load(f)
    except json.JSONDecodeError as e:
        raise UserError(f"'{path}' is truncated or not JSON ({e.msg} at character "
                        f"{e.pos}); {fix}") from None
    missing = [key for key in STATS_KEYS if not isinstance(stats, dict) or key not in stats]
    if missing:
        raise UserError(f"'{path}' lacks {', '.join(missing)}; {fix}")
    return stats


def missing_shards(data_dir: str, dataset: str, epoch: int, split: str) -> List[str]:
    """The shards of `split` that the epoch's stats file lists but data_dir lacks (none
    for stats written before shards were listed)."""
    stats = read_epoch_stats(data_dir, dataset, epoch)
    return [name for name in stats.get("shards", [])
            if f".{split}-" in name and not os.path.exists(os.path.join(data_dir, name))]


def dataset_stats(data_dir: str, dataset: str) -> Dict[str, Any]:
    """Statistics over all complete epochs of `dataset`, plus each epoch's own."""
    epochs = [read_epoch_stats(data_dir, dataset, e) for e in list_epochs(data_dir, dataset)]
    if not epochs:
        raise UserError(f"no data for '{dataset}' in '{data_dir}'")

    def weighted_mean(key):
        pairs = [(s[key], s["finished_episodes"]) for s in epochs if s[key] is not None]
        total = sum(n for _, n in pairs)
        return sum(v * n for v, n in pairs) / total if total else None

    return {
        "dataset": dataset,
        "epochs": [s["epoch"] for s in epochs],
        "frames": sum(s["frames"] for s in epochs),
        "train_frames": sum(s["train_frames"] for s in epochs),
        "dev_frames": sum(s["dev_frames"] for s in epochs),
        "episodes": sum(s["episodes"] for s in epochs),
        "finished_episodes": sum(s["finished_episodes"] for s in epochs),
        "mean_raw_return": weighted_mean("mean_raw_return"),
        "mean_clipped_return": weighted_mean("mean_clipped_return"),
        "frame_format": epochs[-1]["frame_format"],
        "per_epoch": epochs,
    }
