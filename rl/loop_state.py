"""loop_state.json: which phases of a model-based loop run have finished, what each
kind of phase took, the counters, and the run's peak memory. Saved atomically after
every phase, so a run stopped anywhere resumes after its last finished phase."""

import json
import os
import resource

from rl import cli

STATE_FILE = "loop_state.json"


def peak_memory_mb() -> float:
    """This process's peak resident memory, in MiB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class LoopState:
    """Finished phases and counters of the run in `output_dir`."""

    def __init__(self, output_dir):
        self.path = os.path.join(output_dir, STATE_FILE)
        self.data = {"done": [], "phase_seconds": {}, "real_env_steps": 0,
                     "simulated_env_steps": 0}
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.data = json.load(f)

    def is_done(self, phase: str) -> bool:
        return phase in self.data["done"]

    def finish(self, phase: str, seconds: float, **counters: int) -> None:
        self.data["done"].append(phase)
        # The most memory the run has held, over every process that ran it (a resumed
        # run keeps the larger of its own peak and the earlier runs').
        self.data["peak_memory_mb"] = max(self.data.get("peak_memory_mb", 0.0),
                                          peak_memory_mb())
        kind = phase.rsplit("_", 1)[0]
        self.data["phase_seconds"][kind] = self.data["phase_seconds"].get(kind, 0.0) + seconds
        self.data.update(counters)
        cli.write_json(self.path, self.data)
