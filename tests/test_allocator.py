"""Every entrypoint runs TensorFlow with its BFC CPU allocator (models/__init__.py says why);
TensorFlow reports allocator statistics only for that allocator, so they tell which one
a process got."""

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO

# Entrypoints as subprocesses: tests/conftest.py explains the tiers.
pytestmark = pytest.mark.slow

PROBE = """
import rl, tensorflow as tf
tf.reduce_sum(tf.ones((512, 512))).numpy()
try:
    print("peak bytes", tf.config.experimental.get_memory_info("CPU:0")["peak"])
except ValueError as error:
    print("no allocator stats:", error)
"""


def run_probe(**env_changes):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPU_ALLOCATOR_USE_BFC"}
    env.update(env_changes)
    return subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120).stdout


def test_importing_rl_chooses_the_bfc_cpu_allocator():
    out = run_probe()
    assert "peak bytes" in out, out
    assert int(out.split("peak bytes")[1]) >= 512 * 512 * 4


def test_a_users_own_allocator_choice_wins():
    assert "no allocator stats" in run_probe(TF_CPU_ALLOCATOR_USE_BFC="false")
