"""Networks: next-frame world models and policy/value networks.

Importing this package (every entrypoint does, through `rl`) makes TensorFlow use its BFC
allocator for CPU tensors, unless TF_CPU_ALLOCATOR_USE_BFC is already set. TensorFlow's
default CPU allocator returns large buffers to the operating system, so every op that
writes a big tensor pays page faults afresh; the BFC allocator keeps freed memory for
reuse (what that is worth: benchmarks/RESULTS.md, "Speed against peers"). The variable
is read once, when
TensorFlow creates its CPU allocator, so it must be set before TensorFlow runs an op.
"""

import os

os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")
