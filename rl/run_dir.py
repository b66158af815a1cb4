"""A run directory's identity: the hparams it was started with, checked on every re-run.

Re-running a command on the same directory resumes it; re-running with different
hyperparameters would silently mix two experiments, so it is refused with the fields
that differ. A record written before a field existed (hparams.registry.FIELDS_ADDED_LATER)
still resumes when the field now has the value the older code behaved as.
"""

import fcntl
import json
import os
from typing import Any, Dict, Optional

from hparams.errors import UserError
from hparams.registry import FIELDS_ADDED_LATER
from rl import cli

RECORD = "hparams.json"
LOCK = ".lock"

# Directories this process holds locked, by real path: the open lock files (the lock
# lasts as long as the file stays open, so for the life of the process).
_HELD = {}


def lock_directory(directory: str) -> None:
    """Takes an exclusive lock on `directory` (created if missing) for the rest of this
    process, so a second process cannot write the same run or dataset at the same time.

    It is an OS file lock (flock) on DIRECTORY/.lock: the kernel drops it when the
    process ends however it ends, so a SIGKILL never leaves a stale lock behind. Locking
    a directory this process already holds is a no-op.

    Raises:
        UserError: another live process holds the lock; the message names its PID.
    """
    key = os.path.realpath(directory)
    if key in _HELD:
        return
    path = os.path.join(directory, LOCK)
    handle = open(path, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise UserError(f"'{directory}' is in use by another process (PID {holder}); wait "
                        "for it to finish or use another directory") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    _HELD[key] = handle


def claim(path: str, flag: str = "--output_dir") -> None:
    """Creates `path` and locks it (lock_directory). The entrypoints call it after their
    other flag checks and before TensorFlow loads, so a second process on the same
    directory stops in about a second; `prepare` calls it too (a no-op by then).

    Raises:
        UserError: `path` is a file or cannot be created, or another process holds it.
    """
    if os.path.exists(path) and not os.path.isdir(path):
        raise UserError(f"{flag} '{path}' is a file, not a directory")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create {flag} '{path}': {e.strerror}") from None
    lock_directory(path)


# Top-level record entries that older runs did not write: such a run resumes, trusted to
# have used what this one says (there is no neutral value of a data directory or a seed).
RECORD_KEYS_ADDED_LATER = ("data_dir", "seed")


def prepare(output_dir: str, record: Dict[str, Any],
            command_line: Optional[str] = None) -> bool:
    """Claims `output_dir` (see claim) and writes `record` (a JSON-ready dict) to
    hparams.json, or, if one is there, checks that it matches. `command_line` (the entrypoint's flags) is
    appended to flags.txt, one block per start or resume.

    Returns:
        True if the directory already held a run (this one resumes it).
    """
    claim(output_dir)
    path = os.path.join(output_dir, RECORD)
    normalized = json.loads(json.dumps(record, sort_keys=True))
    if os.path.exists(path):
        try:
            with open(path) as f:
                previous = json.load(f)
        except json.JSONDecodeError as e:
            raise UserError(f"'{path}' is truncated or not JSON ({e.msg} at character "
                            f"{e.pos}); it records the settings this run was started with: "
                            "restore it, or use a new --output_dir") from None
        upgraded = _with_later_fields(previous, normalized)
        for key in RECORD_KEYS_ADDED_LATER:  # runs from before these were recorded
            if key in normalized and isinstance(upgraded, dict):
                upgraded.setdefault(key, normalized[key])
        if upgraded != normalized and not has_progress(output_dir):
            # A start that failed before doing anything (a corrupt shard, a bad value):
            # nothing would be mixed, so a corrected retry starts the run afresh.
            print(f"'{output_dir}' holds only the record of a start that made no "
                  "progress: starting afresh with these settings", flush=True)
            cli.write_json(path, normalized)
            resumed = False
        elif upgraded != normalized:
            raise UserError(f"'{output_dir}' holds a run with different settings "
                            f"({_differences(upgraded, normalized)}); use a new --output_dir "
                            "or the original flags to resume")
        else:
            if upgraded != previous:
                cli.write_json(path, normalized)  # the record now names the new fields too
            resumed = True
    else:
        cli.write_json(path, normalized)
        resumed = False
    if command_line:
        with open(os.path.join(output_dir, "flags.txt"), "a") as f:
            f.write(command_line.rstrip("\n") + "\n\n")
    return resumed


# What a start writes before it does any work: its record, its command lines, its lock
# and an event file of its TensorBoard writer.
_BOOKKEEPING = {RECORD, "flags.txt", LOCK}


def has_progress(output_dir: str) -> bool:
    """True if `output_dir` holds anything a run produced by working (a checkpoint, a
    metric, data, a policy), not only what every start writes first."""
    for directory, _, files in os.walk(output_dir):
        relative = os.path.relpath(directory, output_dir)
        if relative.split(os.sep)[0] == "tensorboard":
            continue
        for name in files:
            path = os.path.join(directory, name)
            if relative == "." and name in _BOOKKEEPING:
                continue
            if relative == "." and name == "metrics.jsonl" and os.path.getsize(path) == 0:
                continue
            return True
    return False


def _with_later_fields(old, new):
    """`old` with every field of FIELDS_ADDED_LATER that `new` has and `old` lacks filled
    in with its neutral value, at any depth (loop records nest their PPO and world-model
    sets). Where `new` sets such a field to another value, the comparison then reports it
    as '<neutral> then, <value> now', which is what the older run did."""
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return old
    filled = {key: _with_later_fields(value, new.get(key)) for key, value in old.items()}
    for key, neutral in FIELDS_ADDED_LATER.items():
        if key in new and key not in old:
            filled[key] = neutral
    return filled


def _differences(old, new, prefix=""):
    diffs = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            inner = _differences(a, b, f"{prefix}{key}.")
            if inner:
                diffs.append(inner)
        elif a != b:
            diffs.append(f"{prefix}{key}: {a!r} then, {b!r} now")
    return "; ".join(diffs[:5]) + ("; ..." if len(diffs) > 5 else "")
