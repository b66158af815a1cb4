"""Restoring the newest checkpoint that is intact.

TensorFlow writes a checkpoint's `checkpoint` index file last, so a save cut short by a
crash is never listed. But a listed checkpoint can still be damaged afterwards (a disk
that filled up under it, a copy that was cut short). A run then resumes from the newest
listed checkpoint that restores, saying which one it skipped, instead of stopping with
TensorFlow's traceback.
"""

import glob
import os
import shutil
from typing import Optional

import tensorflow as tf
from absl import logging

from hparams.errors import UserError

# What a damaged checkpoint raises while it is read.
DAMAGE = (tf.errors.OpError, IndexError, ValueError, KeyError)


def restore_newest_intact(checkpoint: tf.train.Checkpoint, manager: tf.train.CheckpointManager,
                          what: str) -> Optional[str]:
    """Restores `checkpoint` (tf.train.Checkpoint) from the newest of `manager`'s
    checkpoints that reads back whole; `what` names the state in messages.

    Returns:
        the path restored from, or None when there is no checkpoint.

    Raises:
        UserError: every listed checkpoint is damaged.
    """
    paths = list(reversed(manager.checkpoints))
    for path in paths:
        try:
            checkpoint.restore(path).assert_existing_objects_matched()
        except DAMAGE as e:
            reason = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
            logging.warning("the %s checkpoint %s is damaged (%s); trying an older one",
                            what, path, reason)
            continue
        if path != paths[0]:
            print(f"the newest {what} checkpoint {paths[0]} is damaged: resuming from "
                  f"{path}", flush=True)
        return path
    if paths:
        raise UserError(f"every {what} checkpoint ({', '.join(paths)}) is damaged; "
                        "restore one, or start again in a new directory")
    return None


def save(manager: tf.train.CheckpointManager, number: int) -> str:
    """`manager.save(checkpoint_number=number)`, and if the write fails (a full disk), the
    half-written `ckpt-<number>_temp` directory removed before the error goes on: the
    checkpoints written before stay as they were, and nothing partial is left behind."""
    try:
        return manager.save(checkpoint_number=number)
    except BaseException:
        for partial in glob.glob(os.path.join(manager.directory, "ckpt-*_temp*")):
            shutil.rmtree(partial, ignore_errors=True)
        raise
