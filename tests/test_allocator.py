"""Every entrypoint runs TensorFlow with its BFC CPU allocator (rl/runtime.py says why)
and sets the process up before TensorFlow loads; importing a package changes nothing.
TensorFlow reports allocator statistics only for the BFC allocator, so they tell which
one a process got."""

import os
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
try:
    print("peak bytes", tf.config.experimental.get_memory_info("CPU:0")["peak"])
except ValueError as error:
    print("no allocator stats:", error)
"""


def run_probe(mode, **env_changes):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPU_ALLOCATOR_USE_BFC"}
    env.update(env_changes)
    return subprocess.run([sys.executable, "-c", PROBE, mode], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120).stdout


def test_the_runtime_set_up_chooses_the_bfc_cpu_allocator():
    out = run_probe("set_up")
    assert "peak bytes" in out, out
    assert int(out.split("peak bytes")[1]) >= 512 * 512 * 4


def test_importing_the_packages_changes_nothing():
    assert "no allocator stats" in run_probe("import only")


def test_a_users_own_allocator_choice_wins():
    assert "no allocator stats" in run_probe("set_up", TF_CPU_ALLOCATOR_USE_BFC="false")


@pytest.mark.parametrize("entrypoint", ["trainer_model_based", "trainer_model_free",
                                        "trainer_world_model", "datagen_with_agent"])
def test_every_entrypoint_sets_the_process_up_before_it_runs(entrypoint):
    source = open(os.path.join(REPO, "rl", f"{entrypoint}.py")).read()
    assert 'if __name__ == "__main__":\n    runtime.set_up()\n    app.run(main)' in source
