"""What every entrypoint shares: user errors as one line, and the run-directory records."""

import functools
import json
import os
import sys

from absl import flags

from hparams.errors import UserError


def exit_on_user_error(main):
    """Wraps an absl `main` so a UserError prints one line to stderr and exits with 2.

    Other exceptions are bugs and keep their tracebacks.
    """
    @functools.wraps(main)
    def wrapped(argv):
        if len(argv) > 1:
            print(f"{os.path.basename(argv[0])}: error: unexpected arguments {argv[1:]}; "
                  "all options are --flags", file=sys.stderr)
            sys.exit(2)
        try:
            return main(argv)
        except UserError as e:
            print(f"error: {e}", file=sys.stderr)
            sys.exit(2)
    return wrapped


def write_flags_file(output_dir):
    """Writes the command's flags to OUTPUT_DIR/flags.txt (appending: one block a run)."""
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, "flags.txt"), "a") as f:
        f.write(" ".join(sys.argv) + "\n")
        f.write(flags.FLAGS.flags_into_string() + "\n")


def write_json(path, payload):
    """Writes JSON atomically (temporary file, then rename)."""
    with open(path + ".tmp", "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True)
    os.replace(path + ".tmp", path)
