"""Environments and data: Atari games, named problems, trajectory storage and input pipelines."""
