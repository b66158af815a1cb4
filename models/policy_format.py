"""What an exported policy directory says about itself, read without TensorFlow.

Every exported policy (models/saved_policy.export_policy) carries its observation format
in `observation_format.json` beside the SavedModel, so an entrypoint can check a
`--agent_policy_path` (is it a policy, for which game and input) in well under a second,
before it pays for TensorFlow's import.
"""

import json
import os
from typing import Any, Dict

from hparams.errors import UserError

FORMAT_FILE = "observation_format.json"


def _is_policy(path):
    return os.path.isfile(os.path.join(path, "saved_model.pb"))


def _latest_exported(run_dir):
    """The newest policy a trainer exported into `run_dir`: RUN/policy (model-free) or
    the last RUN/policy/epoch_NNN (model-based); None if there is none."""
    policy = os.path.join(run_dir, "policy")
    if _is_policy(policy):
        return policy
    if not os.path.isdir(policy):
        return None
    epochs = sorted(name for name in os.listdir(policy)
                    if name.startswith("epoch_") and _is_policy(os.path.join(policy, name)))
    return os.path.join(policy, epochs[-1]) if epochs else None


def resolve_policy_path(path: str) -> str:
    """The exported policy that `path` stands for: `path` itself if it is one; for a run
    directory (model-free or model-based) or its checkpoints/ directory, the run's newest
    exported policy, said in one line (the original's users pass a run's checkpoint
    path). Anything else is returned as given, for read_policy_format to refuse."""
    if not os.path.isdir(path) or _is_policy(path):
        return path
    run = path
    if os.path.basename(os.path.normpath(path)) == "checkpoints":
        run = os.path.dirname(os.path.normpath(path))
    latest = _latest_exported(run)
    if latest is None:
        return path
    print(f"--agent_policy_path: using the run's newest exported policy, {latest}",
          flush=True)
    return latest


def read_policy_format(path: str) -> Dict[str, Any]:
    """The observation format of the policy exported to `path`, as a dict.

    Raises:
        UserError: `path` is not an exported policy, or its format file is unreadable.
    """
    if not os.path.isdir(path) or not os.path.exists(os.path.join(path, "saved_model.pb")):
        raise UserError(f"'{path}' is not a policy SavedModel (no saved_model.pb); pass "
                        "the policy directory a trainer exported")
    format_path = os.path.join(path, FORMAT_FILE)
    try:
        with open(format_path) as f:
            fmt = json.load(f)
    except FileNotFoundError:
        raise UserError(f"'{path}' has no {FORMAT_FILE}: it was not exported by this "
                        "toolkit's trainers, which write one beside every policy") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise UserError(f"'{format_path}' is truncated or not JSON ({e}); export the "
                        "policy again") from None
    if not isinstance(fmt, dict):
        raise UserError(f"'{format_path}' does not describe an observation format")
    return fmt


def check_atari_policy(fmt: Dict[str, Any], path: str, game: str) -> None:
    """Raises UserError unless `fmt` (read_policy_format) is an Atari policy for `game`."""
    if fmt.get("kind") != "atari":
        raise UserError(f"the policy in '{path}' was trained on {fmt.get('gym_id')}, "
                        "not on an Atari game")
    if fmt.get("game") != game:
        raise UserError(f"the policy in '{path}' plays {fmt.get('game')}, not {game}; "
                        f"pass --game={fmt.get('game')}")
