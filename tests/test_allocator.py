"""Every entrypoint runs TensorFlow with its BFC CPU allocator (rl/runtime.py says why)
and sets the process up before TensorFlow loads; importing a package changes nothing.

Which allocator a process got is read from TensorFlow's own log line as it creates one
("Creating new BFCAllocator named: ..."): TF_CPU_ALLOCATOR_USE_BFC's is named
`bfc_cpu_allocator_for_gpu`. Allocator statistics cannot tell: where TensorFlow turns on
oneDNN (by default on CPUs with AVX-512 and bfloat16 instructions) its default CPU
allocator is oneDNN's `mklcpu` BFC allocator, which reports them too. Each check runs
with oneDNN off and on, so it holds on either kind of CPU.
"""

import os
import re
import subprocess
import sys

import pytest

from tests.conftest import REPO

# Entrypoints as subprocesses: tests/conftest.py explains the tiers.
pytestmark = pytest.mark.slow

PROBE = """
import sys
import rl.runtime, models, problems
if sys.argv[1] == "set_up":
    rl.runtime.set_up()
import tensorflow as tf
tf.reduce_sum(tf.ones((512, 512))).numpy()
"""

THE_BFC_ALLOCATOR = "bfc_cpu_allocator_for_gpu"  # what TF_CPU_ALLOCATOR_USE_BFC creates

ONEDNN = pytest.mark.parametrize("onednn", ["0", "1"])


def allocators(mode, onednn, **env_changes):
    """The names of the BFC allocators TensorFlow creates in a probe process."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPU_ALLOCATOR_USE_BFC"}
    env.update(TF_ENABLE_ONEDNN_OPTS=onednn, TF_CPP_MIN_LOG_LEVEL="0",
               TF_CPP_VMODULE="bfc_allocator=1", **env_changes)
    result = subprocess.run([sys.executable, "-c", PROBE, mode], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return set(re.findall(r"Creating new BFCAllocator named: (\S+)", result.stderr))


@ONEDNN
def test_the_runtime_set_up_chooses_the_bfc_cpu_allocator(onednn):
    assert THE_BFC_ALLOCATOR in allocators("set_up", onednn)


@ONEDNN
def test_importing_the_packages_changes_nothing(onednn):
    assert THE_BFC_ALLOCATOR not in allocators("import only", onednn)


@ONEDNN
def test_a_users_own_allocator_choice_wins(onednn):
    assert THE_BFC_ALLOCATOR not in allocators("set_up", onednn,
                                               TF_CPU_ALLOCATOR_USE_BFC="false")


@pytest.mark.parametrize("entrypoint", ["trainer_model_based", "trainer_model_free",
                                        "trainer_world_model", "datagen_with_agent"])
def test_every_entrypoint_sets_the_process_up_before_it_runs(entrypoint):
    source = open(os.path.join(REPO, "rl", f"{entrypoint}.py")).read()
    assert 'if __name__ == "__main__":\n    runtime.set_up()\n    app.run(main)' in source
