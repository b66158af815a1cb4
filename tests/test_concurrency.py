"""Stress: eight trainer processes started at once on two run directories, the writers
killed with SIGKILL at random points of their runs, all re-run until both runs finish.
Each directory must end complete and consistent: one process at a time wrote it (the
others got the one-line "in use" error), no metric written twice or missing, every kept
checkpoint loadable, the policy exported."""

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


def _iterations_done(out):
    """How many PPO iterations the run in `out` has recorded (its metrics file is read as
    text: a line being written is not counted)."""
    try:
        with open(os.path.join(out, "metrics.jsonl")) as f:
            return sum(1 for line in f if '"train/policy_loss"' in line and line.endswith("\n"))
    except FileNotFoundError:
        return 0


def _round(dirs, rng, kill):
    """Starts four processes per directory at once; with `kill`, SIGKILLs every process of
    a directory still running once its run has recorded a random number of further
    iterations (so the kill lands mid-run on any machine, however fast), else waits for
    all; returns (directory, outcome) pairs."""
    procs = [(out, _start(out)) for out in dirs for _ in range(4)]
    kill_at = {out: rng.randint(_iterations_done(out) + 1, ITERATIONS - 1)
               for out in dirs if kill and _iterations_done(out) < ITERATIONS - 1}
    while any(p.poll() is None for _, p in procs):
        for out, point in list(kill_at.items()):
            if _iterations_done(out) >= point:
                for proc in (p for o, p in procs if o == out and p.poll() is None):
                    proc.send_signal(signal.SIGKILL)
                del kill_at[out]
        time.sleep(0.02)
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
    for round_index in range(8):
        if finished == set(dirs):
            break
        # The first two rounds kill each run part-way; the later ones let them finish.
        outcomes = _round(dirs, rng, kill=round_index < 2)
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
