"""Shared test helpers: running entrypoints as subprocesses, small real datasets."""

import os
import subprocess
import sys
import tempfile

import pytest

from rl import runtime

runtime.set_up()  # as the entrypoints do, before any test module loads TensorFlow

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config):
    # Two tiers: `-m "not slow"` runs the unit and component tests in a couple of
    # minutes; the full suite adds what needs whole processes or real learning.
    config.addinivalue_line(
        "markers", "slow: entrypoints as subprocesses, learning to a criterion, or "
                   "kill-and-resume runs")
    config.addinivalue_line("markers", "disk_size(size): the size of the small_disk tmpfs")

# Constant-action baselines are measured once per test session (and by the entrypoints
# the tests start, which inherit this), never read from or written to the user's cache.
os.environ["RL_BASELINES_CACHE"] = os.path.join(tempfile.mkdtemp(prefix="rl_baselines_"),
                                                "constant_actions.json")


def run_module(module, *args, timeout=600, env=None):
    """Runs `python -m module args...` from the repo root; returns the CompletedProcess."""
    full_env = dict(os.environ, PYTHONUNBUFFERED="1")
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def pong_dataset(tmp_path_factory):
    """About 1,600 steps of random-policy Pong with short chunks, written in-process."""
    import hparams
    from rl import datagen

    data_dir = str(tmp_path_factory.mktemp("pong_data"))
    env_hparams = hparams.resolve("atari_simple", "num_envs=4")
    stats = datagen.generate(data_dir, "pong", 1600, env_hparams, seed=1)
    return data_dir, stats


@pytest.fixture(scope="session")
def datagen_cli_output(tmp_path_factory):
    """`datagen_with_agent` run as a subprocess for 2,000 random Pong steps: the data
    directory, the scratch directory and the CompletedProcess."""
    data = tmp_path_factory.mktemp("cli_data")
    tmp = tmp_path_factory.mktemp("cli_tmp")
    result = run_module("rl.datagen_with_agent", f"--data_dir={data}", f"--tmp_dir={tmp}",
                        "--game=pong", "--num_env_steps=2000")
    assert result.returncode == 0, result.stderr[-3000:]
    return str(data), str(tmp), result
