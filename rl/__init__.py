"""Entrypoints and the model-based loop: datagen, trainers, PPO, simulated env, evaluation."""

import os

# TensorFlow's C++ start-up chatter (oneDNN notices, CPU feature lines) buries our progress
# lines; keep warnings and errors. A user's own setting wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import models  # noqa: E402,F401  (chooses TensorFlow's CPU allocator before it loads)

import logging as _std_logging

# TensorFlow's Python-side INFO lines (SavedModel writes, checkpoint sharding) say nothing a
# user acts on; warnings still show.
_std_logging.getLogger("tensorflow").setLevel(_std_logging.WARNING)


# INFO lines TensorFlow logs through absl's own logger (so the logger's name cannot tell
# them from ours) at every checkpoint and SavedModel write.
_TENSORFLOW_NOISE = ("Sharding callback duration", "Assets written to",
                     "Writing fingerprint to", "Function `serve` contains input name",
                     "TFRecordDataset `buffer_size` is unspecified")


class _DropTensorFlowInfo(_std_logging.Filter):
    def filter(self, record):
        if record.levelno >= _std_logging.WARNING:
            return True
        message = record.getMessage()
        return not any(message.startswith(noise) for noise in _TENSORFLOW_NOISE)


_std_logging.getLogger("absl").addFilter(_DropTensorFlowInfo())
