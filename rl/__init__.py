"""Entrypoints and the model-based loop: datagen, trainers, PPO, simulated env, evaluation.

The entrypoints call rl.runtime.set_up() before TensorFlow loads; importing this package
has no side effects."""
