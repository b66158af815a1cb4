"""What every entrypoint shares: user errors as one line, and the run-directory records.

Entrypoints import only light modules at the top and check their flags (hparams, problem,
game, model names, data directory) before they import the library that loads TensorFlow
(several seconds): a mistyped flag is reported in about a second.
"""

import errno
import functools
import json
import os
import re
import shutil
import signal
import sys
from typing import Any, Callable, Optional

from absl import flags

import hparams
from hparams.errors import UserError


def exit_on_user_error(main: Callable) -> Callable:
    """Wraps an absl `main` so a UserError prints one line to stderr and exits with 2,
    and SIGTERM unwinds the program (exit status 143) instead of killing it mid-write.

    Other exceptions are bugs and keep their tracebacks.
    """
    @functools.wraps(main)
    def wrapped(argv):
        signal.signal(signal.SIGTERM, _terminate)
        if len(argv) > 1:
            print(f"{os.path.basename(argv[0])}: error: unexpected arguments {argv[1:]}; "
                  "all options are --flags", file=sys.stderr)
            sys.exit(2)
        try:
            return main(argv)
        except UserError as e:
            print(f"error: {e}", file=sys.stderr)
            sys.exit(2)
        except Exception as e:  # TensorFlow's write errors are not OSErrors
            message = disk_full_message(e) or unwritable_message(e)
            if message is None:
                raise
            print(f"error: {message}", file=sys.stderr)
            sys.exit(1)
    return wrapped


def unwritable_message(error: OSError) -> Optional[str]:
    """One line for a file the operating system refused (a read-only file system, or no
    permission; the errno does not say whether to read or to write); None for any other
    error."""
    if not isinstance(error, OSError) or not error.filename:
        return None
    if error.errno == errno.EROFS:
        where = os.path.dirname(error.filename) or error.filename
        return (f"cannot write in {where}: read-only file system; choose a directory you "
                "can write to")
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied: {error.filename}"
    return None


def disk_full_message(error: OSError) -> Optional[str]:
    """One line for a write that failed because its file system is full (an OSError with
    ENOSPC or EDQUOT, or TensorFlow's error that says so), naming the file and the space
    left; None for any other error."""
    text = str(error)
    if getattr(error, "errno", None) in (errno.ENOSPC, errno.EDQUOT):
        path = error.filename or ""
    elif "No space left on device" in text or "Disk quota exceeded" in text:
        # TensorFlow: "... /path/to/file.tempstate123; No space left on device [Op:SaveV2]"
        path = text.split(";")[0].split()[-1] if ";" in text else ""
    else:
        return None
    directory = os.path.dirname(path) or "."
    while directory and not os.path.exists(directory):
        directory = os.path.dirname(directory)
    try:
        free = shutil.disk_usage(directory or ".").free
        left = f"{free / 2**20:.1f} MiB left on {directory or '.'}"
    except OSError:
        left = "space left unknown"
    path = re.sub(r"_temp/.*$", "", path)  # a checkpoint's scratch directory: the checkpoint
    return (f"the disk is full: writing {path or 'a file'} failed ({left}); free some "
            "space and run the same command again")


def _terminate(signum, frame):
    """SIGTERM (a scheduler's or `kill`'s stop) unwinds like Ctrl-C, so `finally` blocks
    and context managers remove partial output; Python's default would end the process
    without running them."""
    raise SystemExit(128 + signum)


def listed_hparams_sets() -> bool:
    """Prints every hparams set if --list_hparams_sets was given; returns whether it was."""
    if not flags.FLAGS.list_hparams_sets:
        return False
    print(hparams.format_listing())
    return True


def require_flags(*names: str) -> None:
    """Raises UserError naming the first of `names` that was not given."""
    for name in names:
        if not getattr(flags.FLAGS, name):
            raise UserError(f"--{name} is required")


def define_list_flag() -> None:
    flags.DEFINE_bool("list_hparams_sets", False, "Print every hparams set and exit.")


def command_line_record() -> str:
    """The command and the values of the entrypoint's own flags, as written to a run's
    flags.txt. absl's and TensorFlow's flags (logging, pdb, TPU, testing) are left out:
    they are the same for every run and buried the ones that matter."""
    lines = set()
    for module, module_flags in flags.FLAGS.flags_by_module_dict().items():
        if module.startswith(("absl.", "tensorflow.")):
            continue
        lines.update(flag.serialize() for flag in module_flags)
    return " ".join(sys.argv) + "\n" + "".join(f"{line}\n" for line in sorted(lines) if line)


def write_json(path: str, payload: Any) -> None:
    """Writes JSON atomically (temporary file, then rename)."""
    with open(path + ".tmp", "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True)
    os.replace(path + ".tmp", path)
