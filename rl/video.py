"""Debug videos: predicted | real | difference, side by side, as MP4."""

import errno
import os
import shutil
from typing import List

import cv2
import numpy as np


def side_by_side(predicted: np.ndarray, real: np.ndarray, scale: int = 2) -> np.ndarray:
    """One video frame: predicted | real | |difference| (amplified), each scaled up."""
    diff = np.abs(predicted.astype(np.int16) - real.astype(np.int16))
    diff = np.clip(diff * 4, 0, 255).astype(np.uint8)
    row = np.concatenate([predicted, real, diff], axis=1)
    if row.shape[-1] == 1:
        row = np.repeat(row, 3, axis=-1)
    return cv2.resize(row, (row.shape[1] * scale, row.shape[0] * scale),
                      interpolation=cv2.INTER_NEAREST)


def write_mp4(path: str, frames: List[np.ndarray], fps: int = 10) -> str:
    """Writes RGB uint8 frames [T, H, W, 3] as an MP4 (mp4v), atomically."""
    frames = np.asarray(frames)
    height, width = frames.shape[1:3]
    tmp = path + ".tmp.mp4"
    writer = cv2.VideoWriter(tmp, cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise RuntimeError("OpenCV cannot write MP4 files on this machine")
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    # OpenCV reports a failed write only as a log line; read the file back to know.
    capture = cv2.VideoCapture(tmp)
    written = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
    capture.release()
    if written != len(frames):
        if os.path.exists(tmp):
            os.remove(tmp)
        full = shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free < 2**20
        raise OSError(errno.ENOSPC if full else errno.EIO,
                      "No space left on device" if full else
                      f"the video holds {written} of {len(frames)} frames", path)
    os.replace(tmp, path)
    return path


def read_video(path: str) -> np.ndarray:
    """All frames of a video file as RGB uint8 [T, H, W, 3] (for tests and tools)."""
    capture = cv2.VideoCapture(path)
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    return np.asarray(frames)
