"""A run directory's identity: the hparams it was started with, checked on every re-run.

Re-running a command on the same directory resumes it; re-running with different
hyperparameters would silently mix two experiments, so it is refused with the fields
that differ.
"""

import json
import os

from hparams.errors import UserError
from rl import cli

RECORD = "hparams.json"


def prepare(output_dir, record, command_line=None):
    """Creates `output_dir` and writes `record` (a JSON-ready dict) to hparams.json, or,
    if one is there, checks that it matches. `command_line` (the entrypoint's flags) is
    appended to flags.txt, one block per start or resume.

    Returns:
        True if the directory already held a run (this one resumes it).
    """
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise UserError(f"--output_dir '{output_dir}' is a file, not a directory")
    try:
        os.makedirs(output_dir, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create output directory '{output_dir}': {e.strerror}") from None
    path = os.path.join(output_dir, RECORD)
    normalized = json.loads(json.dumps(record, sort_keys=True))
    if os.path.exists(path):
        with open(path) as f:
            previous = json.load(f)
        if previous != normalized:
            raise UserError(f"'{output_dir}' holds a run with different settings "
                            f"({_differences(previous, normalized)}); use a new --output_dir "
                            "or the original flags to resume")
        resumed = True
    else:
        cli.write_json(path, normalized)
        resumed = False
    if command_line:
        with open(os.path.join(output_dir, "flags.txt"), "a") as f:
            f.write(command_line.rstrip("\n") + "\n\n")
    return resumed


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
