"""The process set-up every entrypoint (and the test session) runs first, before
TensorFlow loads or runs an op. Importing a package of this project changes nothing.

- TensorFlow's BFC allocator for CPU tensors (TF_CPU_ALLOCATOR_USE_BFC), unless already
  set. TensorFlow's default CPU allocator returns large buffers to the operating system,
  so every op that writes a big tensor pays page faults afresh; the BFC allocator keeps
  freed memory for reuse (what that is worth: benchmarks/RESULTS.md, "Speed against
  peers"). TensorFlow reads the variable once, when it creates its CPU allocator. (Where
  TensorFlow turns oneDNN on, by default on CPUs with AVX-512 and bfloat16 instructions,
  its default is already a BFC allocator of oneDNN's, `mklcpu`; the variable replaces it
  with TensorFlow's own, so every CPU kind runs the same allocator.)
- TensorFlow's C++ start-up chatter (oneDNN notices, CPU feature lines) is kept to
  warnings and errors (TF_CPP_MIN_LOG_LEVEL=2, unless already set): it buried our
  progress lines.
- TensorFlow's Python-side INFO lines (SavedModel writes, checkpoint sharding) are
  dropped, including those it logs through absl's logger, where only their text tells
  them from ours. Warnings still show.
- absl's logger shows INFO lines, where our progress lines go (rl/progress.py). An absl
  app sets this from its --verbosity flag anyway; a script that is not one (the
  benchmarks) would otherwise print nothing during a long evaluation.

A user's own environment variables win.
"""

import logging
import os

from absl import logging as absl_logging

# INFO lines TensorFlow logs through absl's own logger at every checkpoint and SavedModel
# write.
_TENSORFLOW_NOISE = ("Sharding callback duration", "Assets written to",
                     "Writing fingerprint to", "Function `serve` contains input name",
                     "TFRecordDataset `buffer_size` is unspecified")


class _DropTensorFlowInfo(logging.Filter):
    def filter(self, record):
        if record.levelno >= logging.WARNING:
            return True
        message = record.getMessage()
        return not any(message.startswith(noise) for noise in _TENSORFLOW_NOISE)


def set_up():
    """Applies the settings in the module docstring; calling it again changes nothing."""
    os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("tensorflow").setLevel(logging.WARNING)
    absl_logging.set_verbosity(absl_logging.INFO)
    absl_logger = logging.getLogger("absl")
    if not any(isinstance(f, _DropTensorFlowInfo) for f in absl_logger.filters):
        absl_logger.addFilter(_DropTensorFlowInfo())
