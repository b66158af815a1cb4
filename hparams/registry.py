"""The registry of named hyperparameter sets.

A set is a function returning an `HParams`, registered with `@register`. Every module that
defines sets is imported explicitly by `hparams/__init__.py`, so the registry is complete as
soon as `hparams` is imported: no set goes missing because some other module was not loaded.
"""

from hparams.errors import UserError, did_you_mean
from hparams.hparams import HParams

_SETS = {}

# Loop-set fields whose value names another registered set; `resolve_tree` expands them.
SUBSET_FIELDS = ("generative_model_params", "ppo_params", "base_algo_params")

# Fields added after runs had been recorded, each with the value that reproduces what the
# code did before the field existed. A run directory whose hparams.json lacks such a field
# ran with that value, so resuming it with the field at that value is the same experiment
# (see rl/run_dir.py). A new field belongs here if it changes behaviour when set.
FIELDS_ADDED_LATER = {
    "initial_collection_mean_hold": 1,   # loop sets: uniform random actions, not held
    "simulated_reward_starts": 0.0,      # loop sets: rollouts start anywhere in real data
    "rewarded_window_repeats": 1,        # world-model sets: no oversampling
    "value_clipping_coef": 0.0,          # PPO sets: plain value loss
    "generative_model_compute_dtype": "",  # loop sets: the world-model set's own dtype
}


def register(fn):
    """Registers `fn` under its own name; a second set with the same name is a bug."""
    name = fn.__name__
    if name in _SETS:
        raise ValueError(f"hparams set '{name}' is registered twice")
    _SETS[name] = fn
    return fn


def list_sets():
    """All registered set names, sorted."""
    return sorted(_SETS)


def format_listing():
    """The text every entrypoint prints for --list_hparams_sets: one set per line with the
    first line of its docstring."""
    lines = []
    for name in list_sets():
        doc = (_SETS[name].__doc__ or "").strip().splitlines()
        lines.append(f"{name:45s} {doc[0] if doc else ''}")
    return "\n".join(lines)


def get(name):
    """A fresh copy of the named set.

    Raises:
        UserError: the name is not registered; the message names the closest sets.
    """
    if name not in _SETS:
        raise UserError(f"unknown hparams set '{name}'{did_you_mean(name, _SETS)}")
    hparams = _SETS[name]()
    if not isinstance(hparams, HParams):
        raise TypeError(f"hparams set '{name}' returned {type(hparams).__name__}")
    return hparams


def resolve(name, overrides=""):
    """The named set with `overrides` ('a=1,b=x') applied."""
    return get(name).parse(overrides)


def resolve_tree(hparams):
    """A JSON-ready dict of `hparams` in which every sub-set named by a field in
    SUBSET_FIELDS is expanded under '<field>_resolved'. This is what runs write to
    hparams.json, so the exact values behind a result are on record."""
    tree = hparams.values()
    for field in SUBSET_FIELDS:
        name = tree.get(field)
        if isinstance(name, str) and name:
            tree[f"{field}_resolved"] = get(name).values()
    return tree
