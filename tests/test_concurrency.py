"""Stress: eight trainer processes started at once on two run directories, some killed
with SIGKILL at random moments, all re-run until both runs finish. Each directory must end
complete and consistent: one process at a time wrote it (the others got the one-line
"in use" error), no metric written twice or missing, every kept checkpoint loadable, the
policy exported."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from rl.metrics import read_metrics
from tests.conftest import REPO

pytestmark = pytest.mark.slow

ITERATIONS = 12
ARGS = ["--problem=stacked_pong", "--hparams_set=rlmf_tiny",
        f"--hparams=epochs_num={ITERATIONS},save_every=2"]


def _start(out):
    return subprocess.Popen([sys.executable, "-m", "rl.trainer_model_free", *ARGS,
                             f"--output_dir={out}"], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _round(dirs, rng):
    """Starts four processes per directory at once, SIGKILLs four of the eight at random
    moments in the next 2-12 s, waits for the rest; returns (directory, outcome) pairs."""
    procs = [(out, _start(out)) for out in dirs for _ in range(4)]
    kills = {i: time.time() + rng.uniform(2, 12) for i in rng.sample(range(len(procs)), 4)}
    while any(p.poll() is None for _, p in procs):
        for i, moment in list(kills.items()):
            if time.time() >= moment:
                procs[i][1].send_signal(signal.SIGKILL)
                del kills[i]
        time.sleep(0.05)
    outcomes = []
    for out, proc in procs:
        stderr = proc.stderr.read()
        proc.stderr.close()
        if proc.returncode == 0:
            outcomes.append((out, "finished"))
        elif proc.returncode == -signal.SIGKILL:
            outcomes.append((out, "killed"))
        elif proc.returncode == 2 and "is in use by another process (PID" in stderr:
            outcomes.append((out, "refused: in use"))
        else:
            raise AssertionError(f"exit {proc.returncode} in {out}: {stderr[-2000:]}")
    return outcomes


def test_eight_processes_on_two_directories_with_kills_end_consistent(tmp_path):
    import tensorflow as tf

    dirs = [str(tmp_path / "a"), str(tmp_path / "b")]
    rng = random.Random(0)
    finished, tried = set(), []
    for _ in range(8):
        if finished == set(dirs):
            break
        outcomes = _round(dirs, rng)
        tried.append(outcomes)
        finished |= {out for out, outcome in outcomes if outcome == "finished"}
    summary = [sorted(outcome for _, outcome in outcomes) for outcomes in tried]
    print(f"rounds: {len(tried)}; outcomes per round: {summary}")
    assert finished == set(dirs), summary
    assert any("killed" in round_outcomes for round_outcomes in summary), summary
    assert any("refused: in use" in round_outcomes for round_outcomes in summary), summary
    for out in dirs:
        records = read_metrics(out)
        pairs = [(r["step"], r["name"]) for r in records]
        assert len(pairs) == len(set(pairs)), f"{out}: a metric written twice for one step"
        steps = sorted({r["step"] for r in records if r["name"] == "train/policy_loss"})
        assert steps == [32 * i for i in range(1, ITERATIONS + 1)], out
        checkpoints = tf.train.get_checkpoint_state(os.path.join(out, "checkpoints"))
        for path in checkpoints.all_model_checkpoint_paths:
            assert tf.train.list_variables(path), path
        assert os.path.exists(os.path.join(out, "policy", "saved_model.pb"))
