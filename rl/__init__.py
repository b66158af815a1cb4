"""Entrypoints and the model-based loop: datagen, trainers, PPO, simulated env, evaluation."""

import os

# TensorFlow's C++ start-up chatter (oneDNN notices, CPU feature lines) buries our progress
# lines; keep warnings and errors. A user's own setting wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
