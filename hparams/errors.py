"""The one exception type for mistakes a user can make.

It lives in `hparams` because every other package may import `hparams` (the import graph
is rl -> models, problems -> hparams), so all of them can raise it. Entrypoints catch it and
print its message as a single line; anything else is a bug and keeps its traceback.
"""

import difflib
from typing import Iterable, List


class UserError(Exception):
    """A wrong flag, name, key, value or path: the message says what and what would be right."""


def closest_matches(name: str, candidates: Iterable[str], limit: int = 5) -> List[str]:
    """Returns up to `limit` candidates that look like `name`, best first."""
    candidates = list(candidates)
    found = difflib.get_close_matches(name, candidates, n=limit, cutoff=0.6)
    if not found:
        # Substring matches help with long names ("pong" -> "gym_pong_random").
        found = [c for c in candidates if name and (name in c or c in name)][:limit]
    return found


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A short suffix for error messages: ' (did you mean: a, b?)' or ''."""
    found = closest_matches(name, candidates)
    return f" (did you mean: {', '.join(found)}?)" if found else ""
