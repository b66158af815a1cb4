"""Networks: next-frame world models and policy/value networks.

Importing this package (every entrypoint does, through `rl`) makes TensorFlow use its BFC
allocator for CPU tensors, unless TF_CPU_ALLOCATOR_USE_BFC is already set. TensorFlow's
default CPU allocator returns large buffers to the operating system, so every op that
writes a big tensor pays page faults afresh: on a 2-core AVX2 EPYC a cast of one
minibatch of Pong frames (29 MB) took 16-18 ms with it and 4 ms with the BFC allocator,
which keeps freed memory for reuse. Whole PPO iterations on Pong ran 1.07-1.11x faster and
world-model train steps 1.1-1.2x (benchmarks/RESULTS.md). The variable is read once, when
TensorFlow creates its CPU allocator, so it must be set before TensorFlow runs an op.
"""

import os

os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")
