"""The game in an ALE interface of its own, stepped as the toolkit's env steps it: for
diagnostics that clone the emulator's state and replay it under other actions, or read
its RAM, which the toolkit's vector env does not expose."""

import ale_py
import cv2
import numpy as np


def new_game(game: str, seed: int) -> ale_py.ALEInterface:
    """`game`'s ROM loaded in a fresh ALE interface, without sticky actions (as the
    toolkit's env)."""
    ale = ale_py.ALEInterface()
    ale.setInt("random_seed", seed)
    ale.setFloat("repeat_action_probability", 0.0)
    ale.setLoggerMode(ale_py.LoggerMode.Error)
    ale.loadROM(ale_py.roms.get_rom_path(game))
    return ale


def resize(frame: np.ndarray, frame_shape) -> np.ndarray:
    """A gray screen area-resized to frame_shape's (height, width), as the env does."""
    height, width = frame_shape[:2]
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)


def agent_step(ale: ale_py.ALEInterface, action, frame_shape):
    """One agent step as the toolkit's env takes it (frame skip 4, the max of the last two
    gray screens, area-resized to `frame_shape`; frames checked identical to the env's):
    (frame uint8 [H, W], summed raw reward)."""
    screens, reward = [], 0
    for _ in range(4):
        reward += ale.act(action)
        screens.append(ale.getScreenGrayscale())
    return resize(np.maximum(screens[-2], screens[-1]), frame_shape), reward


def held_action_rewards(ale: ale_py.ALEInterface, actions, steps: int) -> list:
    """From the game's current state, each of `actions` held for `steps` agent steps (4
    frames each): the summed raw reward clipped to [-1, 1], per action. The state is
    restored afterwards: the game goes on as if nothing had been tried."""
    state = ale.cloneState()
    sums = []
    for action in actions:
        ale.restoreState(state)
        sums.append(float(np.clip(sum(ale.act(action) for _ in range(4 * steps)), -1, 1)))
    ale.restoreState(state)
    return sums
