"""Run-directory records: resume with the same settings, refuse different ones, and
accept records written before a field existed when the field keeps its neutral value."""

import json
import os

import pytest

from hparams.errors import UserError
from hparams.registry import FIELDS_ADDED_LATER
from rl import run_dir


def _record(**ppo_fields):
    ppo = {"learning_rate": 2.5e-4, "value_clipping_coef": 0.0}
    ppo.update(ppo_fields)
    return {"seed": 0, "loop_hparams": {"epochs": 7, "simulated_reward_starts": 0.0,
                                        "ppo_params_resolved": ppo}}


def _write_old_record(output_dir, record):
    """The record of an older run that had made progress (one metric written)."""
    os.makedirs(output_dir)
    with open(os.path.join(output_dir, run_dir.RECORD), "w") as f:
        json.dump(record, f)
    with open(os.path.join(output_dir, "metrics.jsonl"), "w") as f:
        f.write('{"step": 1}\n')


def test_first_run_writes_record_and_rerun_resumes(tmp_path):
    out = str(tmp_path / "run")
    assert run_dir.prepare(out, _record(), "--a=1") is False
    assert run_dir.prepare(out, _record(), "--a=1") is True
    with open(os.path.join(out, "flags.txt")) as f:
        assert f.read().count("--a=1") == 2


def test_a_start_that_made_no_progress_is_replaced_by_a_corrected_one(tmp_path, capsys):
    out = str(tmp_path / "run")
    run_dir.prepare(out, _record(), "--a=1")
    os.makedirs(os.path.join(out, "tensorboard"))
    open(os.path.join(out, "tensorboard", "events.out"), "w").write("x")
    open(os.path.join(out, "metrics.jsonl"), "w").close()
    assert not run_dir.has_progress(out)
    assert run_dir.prepare(out, _record(learning_rate=1e-3)) is False
    assert "made no progress: starting afresh" in capsys.readouterr().out
    with open(os.path.join(out, run_dir.RECORD)) as f:
        assert json.load(f)["loop_hparams"]["ppo_params_resolved"]["learning_rate"] == 1e-3
    # Once it has done some work, other settings are refused again.
    open(os.path.join(out, "metrics.jsonl"), "w").write('{"step": 1}\n')
    assert run_dir.has_progress(out)
    with pytest.raises(UserError, match="different settings"):
        run_dir.prepare(out, _record())


def test_different_settings_are_refused_with_the_field_named(tmp_path):
    out = str(tmp_path / "run")
    run_dir.prepare(out, _record())
    open(os.path.join(out, "metrics.jsonl"), "w").write('{"step": 1}\n')
    with pytest.raises(UserError, match="learning_rate: 0.00025 then, 0.001 now"):
        run_dir.prepare(out, _record(learning_rate=1e-3))


def test_record_without_later_fields_resumes_at_their_neutral_values(tmp_path):
    out = str(tmp_path / "run")
    old = _record()
    del old["loop_hparams"]["simulated_reward_starts"]
    del old["loop_hparams"]["ppo_params_resolved"]["value_clipping_coef"]
    _write_old_record(out, old)
    assert run_dir.prepare(out, _record()) is True
    with open(os.path.join(out, run_dir.RECORD)) as f:
        assert json.load(f) == _record()  # the record is brought up to date


def test_record_from_before_data_dir_and_seed_were_kept_resumes(tmp_path):
    out = str(tmp_path / "run")
    _write_old_record(out, {"problem": "gym_pong_random", "hparams": {"batch_size": 4}})
    new = {"problem": "gym_pong_random", "hparams": {"batch_size": 4},
           "data_dir": "/data/pong", "seed": 3}
    assert run_dir.prepare(out, new) is True
    with pytest.raises(UserError, match="seed: 3 then, 4 now"):
        run_dir.prepare(out, dict(new, seed=4))


def test_record_without_a_later_field_refuses_a_non_neutral_value(tmp_path):
    out = str(tmp_path / "run")
    old = _record()
    del old["loop_hparams"]["ppo_params_resolved"]["value_clipping_coef"]
    _write_old_record(out, old)
    with pytest.raises(UserError, match="value_clipping_coef: 0.0 then, 0.1 now"):
        run_dir.prepare(out, _record(value_clipping_coef=0.1))
    with open(os.path.join(out, run_dir.RECORD)) as f:
        assert json.load(f) == old  # a refused resume leaves the record alone


def test_later_fields_neutral_values_are_the_base_sets_defaults():
    """A neutral value that differed from the base sets' default would make every old
    run directory refuse to resume."""
    import hparams
    defaults = {}
    for name in ("rlmb_base", "ppo_base", "next_frame", "latent_dynamics_cpu"):
        defaults.update(hparams.get(name).values())
    # latent_dynamics_cpu changed other values when it took these up, so its older runs
    # are refused anyway, as they should be; the neutral value is the plain behaviour.
    # So did rlmb_base when it took up the original's PPO on real collections and starts
    # from the latest collection: its older runs trained the other way and are refused,
    # while the early generation's sets keep the neutral values and resume.
    changed_with_their_set = {"moving_pixel_weight": 50.0, "decoded_steps": 3,
                              "target_encoder_decay": 0.99, "train_agent_real_env": True,
                              "simulated_starts_all_epochs": False}
    for field, neutral in FIELDS_ADDED_LATER.items():
        assert defaults[field] == changed_with_their_set.get(field, neutral), field
    assert all(FIELDS_ADDED_LATER[f] == (not changed_with_their_set[f])
               for f in changed_with_their_set)
    early = hparams.get("rl_modelrl_base")
    assert all(early.get(f) == FIELDS_ADDED_LATER[f]
               for f in ("train_agent_real_env", "simulated_starts_all_epochs"))


def _hold_lock(directory):
    """A child process that locks `directory` and waits; returns it once it holds it."""
    import subprocess
    import sys

    from tests.conftest import REPO
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from rl import run_dir; "
         "run_dir.lock_directory(sys.argv[1]); print('locked', flush=True); time.sleep(120)",
         directory], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "locked"
    return child


@pytest.mark.slow
def test_a_locked_directory_is_refused_and_sigkill_frees_it(tmp_path):
    import signal

    out = str(tmp_path / "run")
    os.makedirs(out)
    child = _hold_lock(out)
    try:
        with pytest.raises(UserError, match=f"in use by another process \\(PID {child.pid}\\)"):
            run_dir.prepare(out, _record())
        assert not os.path.exists(os.path.join(out, run_dir.RECORD))  # nothing written
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    # The kernel dropped the dead process's lock: no stale lock to clean up.
    assert run_dir.prepare(out, _record()) is False
    run_dir.lock_directory(out)  # this process holds it already: a no-op


@pytest.mark.slow
def test_second_trainer_on_a_busy_output_dir_is_one_line(tmp_path):
    import signal

    from tests.conftest import run_module
    out = str(tmp_path / "busy")
    os.makedirs(out)
    child = _hold_lock(out)
    try:
        result = run_module("rl.trainer_model_free", "--problem=stacked_pong",
                            "--hparams_set=rlmf_tiny", f"--output_dir={out}")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert f"in use by another process (PID {child.pid})" in result.stderr
    assert not os.path.exists(os.path.join(out, "metrics.jsonl"))


@pytest.mark.slow
def test_datagen_refuses_a_data_dir_another_process_writes(tmp_path):
    import signal

    import hparams
    from rl import datagen
    data = str(tmp_path / "data")
    os.makedirs(data)
    child = _hold_lock(data)
    try:
        with pytest.raises(UserError, match=f"PID {child.pid}"):
            datagen.generate(data, "pong", 8, hparams.resolve("atari_simple", "num_envs=2"))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert [f for f in os.listdir(data) if f != run_dir.LOCK] == []


@pytest.mark.slow
def test_a_truncated_run_record_is_one_line(tmp_path):
    out = str(tmp_path / "run")
    run_dir.prepare(out, _record())
    path = os.path.join(out, run_dir.RECORD)
    text = open(path).read()
    with open(path, "w") as f:
        f.write(text[:len(text) // 2])
    with pytest.raises(UserError, match="is truncated or not JSON.*use a new --output_dir"):
        run_dir.prepare(out, _record())
