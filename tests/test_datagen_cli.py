"""datagen_with_agent run as a subprocess: real output read back, and every bad input."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from problems import dataset_files, input_pipeline
from tests.conftest import REPO, run_module

# Entrypoints as subprocesses: tests/conftest.py explains the tiers.
pytestmark = pytest.mark.slow


def tree_digest(path):
    digest = hashlib.sha256()
    for root, _, files in sorted(os.walk(path)):
        for name in sorted(files):
            digest.update(name.encode())
            digest.update(open(os.path.join(root, name), "rb").read())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def generated(datagen_cli_output):
    return datagen_cli_output


def test_datagen_writes_a_readable_dataset(generated):
    data_dir, tmp_dir, result = generated
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["dataset"] == "gym_pong_random" and summary["epoch"] == 0
    # 2000 steps on 8 envs, plus each env's last frame.
    assert summary["frames"] == 2008
    assert "collect: 2000 steps" in result.stderr
    stats = dataset_files.dataset_stats(data_dir, "gym_pong_random")
    assert stats["frames"] == 2008
    train = input_pipeline.load_split(data_dir, "gym_pong_random", "train")
    assert train["frame"].shape[1:] == (105, 80, 3)
    assert len(train["frame"]) == summary["train_frames"]
    assert len(input_pipeline.window_starts(train["episode"], train["frame_number"], 4)) > 1000
    assert np.all(np.isin(train["action"], np.arange(6)))
    assert os.listdir(tmp_dir) == []  # scratch shards were moved, nothing left behind


BAD_INPUTS = [
    (["--game=pongg"], "unknown Atari game 'pongg'"),
    (["--env_hparams_set=atari_simpel"], "unknown hparams set 'atari_simpel'"),
    (["--env_hparams=num_env=3"], "unknown hparam 'num_env'"),
    (["--env_hparams=num_envs=two"], "'num_envs' expects int"),
    (["--num_env_steps=0"], "--num_env_steps must be positive"),
    (["--num_env_steps=-5"], "--num_env_steps must be positive"),
    (["--data_dir=FILE"], "is a file, not a directory"),
]


@pytest.mark.parametrize("args, message", BAD_INPUTS)
def test_bad_input_is_one_line_and_damages_nothing(generated, tmp_path, args, message):
    data_dir, _, _ = generated
    before = tree_digest(data_dir)
    a_file = tmp_path / "a_file"
    a_file.write_text("not a directory")
    args = [a.replace("FILE", str(a_file)) for a in args]
    if not any(a.startswith("--data_dir") for a in args):
        args.append(f"--data_dir={data_dir}")
    result = run_module("rl.datagen_with_agent", *args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and message in lines[0], result.stderr[-2000:]
    assert tree_digest(data_dir) == before
    assert a_file.read_text() == "not a directory"


def test_misspelled_flag_is_refused():
    result = run_module("rl.datagen_with_agent", "--data_dir=/tmp/x", "--num_env_step=10")
    assert result.returncode != 0
    assert "Unknown command line flag 'num_env_step'" in result.stderr
    assert "Traceback" not in result.stderr


def test_sigterm_leaves_no_scratch_and_no_partial_epoch(tmp_path):
    data_dir, tmp_dir = str(tmp_path / "data"), str(tmp_path / "tmp")
    os.makedirs(data_dir)
    os.makedirs(tmp_dir)
    proc = subprocess.Popen([sys.executable, "-m", "rl.datagen_with_agent",
                             f"--data_dir={data_dir}", f"--tmp_dir={tmp_dir}", "--game=pong",
                             "--num_env_steps=1000000"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not any(
            os.listdir(os.path.join(tmp_dir, d)) for d in os.listdir(tmp_dir)):
        time.sleep(0.1)  # until its scratch directory holds shards
    assert os.listdir(tmp_dir), "datagen did not start writing in 2 minutes"
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr[-2000:]
    assert os.listdir(tmp_dir) == []
    assert dataset_files.list_epochs(data_dir, "gym_pong_random") == []
    assert [n for n in os.listdir(data_dir) if n != ".lock"] == []
