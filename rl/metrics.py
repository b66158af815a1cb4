"""Metrics to three places at once: metrics.jsonl, TensorBoard, and (for some) stdout.

metrics.jsonl holds one JSON object per line: {"step", "phase", "name", "value", "time"}.
On resume, lines past the checkpoint being resumed are dropped first, so a crash between
a checkpoint and the next leaves no duplicated or orphaned points. Several writers (one per
phase) share the file; each opens it to append for every write, so none keeps writing to
a copy another has replaced.
"""

import json
import os
import time
from typing import Any, Dict, List

import tensorflow as tf


class MetricsWriter:
    """Writes scalar metrics for one run directory.

    Args:
        output_dir: the run directory.
        phase: the phase these metrics belong to ("model_free", "world_model", ...).
        resume_step: when resuming, drop this phase's lines with a larger step.
    """

    def __init__(self, output_dir, phase, resume_step=None):
        self.path = os.path.join(output_dir, "metrics.jsonl")
        self.phase = phase
        if resume_step is not None and os.path.exists(self.path):
            self._drop_after(resume_step)
        self._summary = tf.summary.create_file_writer(os.path.join(output_dir, "tensorboard"))

    def _drop_after(self, step):
        kept = []
        with open(self.path) as f:
            for line in f:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by a crash
                if record.get("phase") == self.phase and record.get("step", 0) > step:
                    continue
                kept.append(json.dumps(record) + "\n")
        with open(self.path + ".tmp", "w") as f:
            f.writelines(kept)
        os.replace(self.path + ".tmp", self.path)

    def write(self, step: int, metrics: Dict[str, float]) -> None:
        """Writes a dict of name -> scalar at `step`; None values are skipped."""
        now = time.time()
        lines = []
        with self._summary.as_default():
            for name, value in metrics.items():
                if value is None:
                    continue
                value = float(value)
                lines.append(json.dumps({"step": int(step), "phase": self.phase, "name": name,
                                         "value": value, "time": round(now, 3)}) + "\n")
                tf.summary.scalar(name, value, step=int(step))
        with open(self.path, "a") as f:
            f.writelines(lines)
        self._summary.flush()

    def close(self) -> None:
        self._summary.close()


def read_metrics(output_dir: str) -> List[Dict[str, Any]]:
    """All records of a run's metrics.jsonl, in order."""
    path = os.path.join(output_dir, "metrics.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]
