"""File systems that refuse writes. A full disk: one line naming what failed and the
space left, a non-zero exit, and nothing half-written left behind (a checkpoint's scratch
directory, a dataset's scratch shards). A read-only one: one line naming the directory.
The disks are real tmpfs mounts of a few hundred KiB, made for the test."""

import os
import subprocess

import pytest

from tests.conftest import run_module

pytestmark = pytest.mark.slow


def _mount_tmpfs(mount, options):
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"mounting a small tmpfs needs root: {result.stderr.strip()}")


@pytest.fixture
def small_disk(tmp_path, request):
    """A tmpfs of 600 KiB, or of the size the test's `disk_size` mark names."""
    mark = request.node.get_closest_marker("disk_size")
    mount = tmp_path / "disk"
    mount.mkdir()
    _mount_tmpfs(mount, f"size={mark.args[0] if mark else '600k'}")
    yield str(mount)
    subprocess.run(["umount", str(mount)], check=True)


@pytest.fixture
def read_only_disk(tmp_path):
    """A read-only file system holding empty directories out/ and data/."""
    mount = tmp_path / "ro"
    mount.mkdir()
    _mount_tmpfs(mount, "size=100k")
    (mount / "out").mkdir()
    (mount / "data").mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
    yield str(mount)
    subprocess.run(["umount", str(mount)], check=True)


def _files(root):
    return [os.path.join(d, f) for d, _, files in os.walk(root) for f in files] + [
        os.path.join(d, s) for d, subdirs, _ in os.walk(root) for s in subdirs]


def _assert_one_line(result):
    assert result.returncode == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the disk is full: writing ") and "MiB left on" in last


@pytest.mark.disk_size("30m")  # room for one of rlmf_tiny's 20 MB checkpoints, not two
def test_model_free_trainer_on_a_full_disk(small_disk):
    import tensorflow as tf

    out = os.path.join(small_disk, "run")
    result = run_module("rl.trainer_model_free", "--problem=stacked_pong",
                        "--hparams_set=rlmf_tiny", "--hparams=epochs_num=30",
                        f"--output_dir={out}")
    _assert_one_line(result)
    assert "checkpoints/ckpt-4 failed" in result.stderr and "_temp" not in result.stderr
    assert not [p for p in _files(out) if "_temp" in p]
    # The checkpoint written before the disk filled is intact: a rerun resumes from it.
    newest = tf.train.latest_checkpoint(os.path.join(out, "checkpoints"))
    assert newest.endswith("ckpt-2") and tf.train.list_variables(newest)


def test_world_model_trainer_on_a_full_disk(small_disk, pong_dataset):
    # 600 KiB holds next_frame_tiny's checkpoint but not its debug video as well.
    out = os.path.join(small_disk, "wm")
    result = run_module("rl.trainer_world_model", f"--data_dir={pong_dataset[0]}",
                        f"--output_dir={out}", "--problem=gym_pong_random",
                        "--model=next_frame_basic", "--hparams_set=next_frame_tiny",
                        "--train_steps=20")
    _assert_one_line(result)
    assert not [p for p in _files(out) if "_temp" in p or p.endswith(".tmp.mp4")]


def test_datagen_on_a_full_disk(small_disk):
    data, tmp = os.path.join(small_disk, "data"), os.path.join(small_disk, "tmp")
    result = run_module("rl.datagen_with_agent", f"--data_dir={data}", f"--tmp_dir={tmp}",
                        "--game=pong", "--num_env_steps=3000")
    _assert_one_line(result)
    # Neither scratch shards nor a partial dataset: only the data directory's lock file.
    assert [os.path.basename(p) for p in _files(small_disk) if os.path.isfile(p)] == [".lock"]


@pytest.mark.parametrize("module,args,directory", [
    ("rl.trainer_model_free", ["--problem=stacked_pong", "--hparams_set=rlmf_tiny",
                               "--output_dir={ro}/out"], "out"),
    ("rl.trainer_world_model", ["--data_dir={data}", "--output_dir={ro}/out",
                                "--problem=gym_pong_random", "--model=next_frame_basic",
                                "--hparams_set=next_frame_tiny", "--train_steps=2"], "out"),
    ("rl.datagen_with_agent", ["--data_dir={ro}/data", "--tmp_dir={ro}/tmp", "--game=pong",
                               "--num_env_steps=300"], "data"),
])
def test_a_read_only_directory_is_one_line(read_only_disk, pong_dataset, module, args,
                                           directory):
    args = [a.format(ro=read_only_disk, data=pong_dataset[0]) for a in args]
    result = run_module(module, *args)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: cannot write in {read_only_disk}/{directory}: read-only file system; "
        "choose a directory you can write to")
