"""Entrypoints and the model-based loop: datagen, trainers, PPO, simulated env, evaluation."""

import os

# TensorFlow's C++ start-up chatter (oneDNN notices, CPU feature lines) buries our progress
# lines; keep warnings and errors. A user's own setting wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import logging as _std_logging

# TensorFlow's Python-side INFO lines (SavedModel writes, checkpoint sharding) say nothing a
# user acts on; warnings still show.
_std_logging.getLogger("tensorflow").setLevel(_std_logging.WARNING)
