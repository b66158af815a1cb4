"""The registry of named hyperparameter sets.

A set is a function returning an `HParams`, registered with `@register`. Every module that
defines sets is imported explicitly by `hparams/__init__.py`, so the registry is complete as
soon as `hparams` is imported: no set goes missing because some other module was not loaded.
"""

from typing import Any, Callable, Dict, List

from hparams.errors import UserError, did_you_mean
from hparams.hparams import HParams, split_overrides
from hparams.ranges import check_ranges

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
    "moving_pixel_weight": 0.0,          # latent sets: a plain squared frame error
    "decoded_steps": 0,                  # latent sets: every unrolled step decoded
    "representation_loss_coef": 0.0,     # latent sets: encodings not pulled to imagination
    "target_encoder_decay": 0.0,         # latent sets: targets from the encoder itself
    "simulated_starts_all_epochs": True,  # loop sets: rollouts start in all real data
    "train_agent_real_env": False,       # loop sets: PPO trained in the world model only
    "scheduled_sampling_mode": "prediction_only",  # next_frame sets: (one target frame)
    "scheduled_sampling_decay_steps": 10000,
    "scheduled_sampling_max_prob": 1.0,
    "real_reward_loss_coef": 0.0,        # latent sets: rewards learned on imagination only
    "latent_channels": 0,                # latent sets: a flat latent
    "head_hidden_size": 0,               # latent sets: heads as wide as the transition
    "transition_update": "residual",     # latent sets: tanh(norm(h + delta))
    "real_episodes_continue": False,     # loop sets: fresh episodes at every collection
    "real_random_hold_probability": 0.0,  # loop sets: collections act by the policy only
    "simulated_random_hold_probability": 0.0,  # loop sets: PPO acts by the policy only
    "simulated_random_hold_mean": 32,
    "real_explore_share": 0.0,           # loop sets: no exploration policy
    "explore_ppo_epochs_num": 30,
    "explore_extrinsic_weight": 0.0,
    "sample_episode_ends": False,        # latent sets: imagined ends where P(end) > 0.5
    "policy_realign_steps": 0,           # loop sets: the policy not realigned to the encoder
}


def register(fn: Callable[[], HParams]) -> Callable[[], HParams]:
    """Registers `fn` under its own name; a second set with the same name is a bug."""
    name = fn.__name__
    if name in _SETS:
        raise ValueError(f"hparams set '{name}' is registered twice")
    _SETS[name] = fn
    return fn


def list_sets() -> List[str]:
    """All registered set names, sorted."""
    return sorted(_SETS)


def format_listing() -> str:
    """The text every entrypoint prints for --list_hparams_sets: one set per line with the
    first line of its docstring."""
    lines = []
    for name in list_sets():
        doc = (_SETS[name].__doc__ or "").strip().splitlines()
        lines.append(f"{name:45s} {doc[0] if doc else ''}")
    return "\n".join(lines)


def get(name: str) -> HParams:
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


# PPO fields a loop set decides itself: the iterations come from ppo_epochs_num and the
# epoch schedule, the sub-env count from simulated_batch_size.
LOOP_OWNED_PPO_FIELDS = {"epochs_num": "ppo_epochs_num", "num_agents": "simulated_batch_size"}


def resolve(name: str, overrides: str = "") -> HParams:
    """The named set with `overrides` ('a=1,b=x') applied, every field checked against
    its range (hparams/ranges.py).

    A loop set (one that names a PPO set) also takes `ppo_<field>` for every field of its
    PPO set, typed by that set's value: `ppo_entropy_loss_coef=0.02` sets the PPO set's
    entropy_loss_coef inside the world model (see rl/loop_schedule.ppo_hparams).
    """
    hparams = get(name)
    if "ppo_params" in hparams:
        _add_ppo_fields(hparams, overrides)
    hparams.parse(overrides)
    check_ranges(hparams)
    return hparams


def ppo_set_name(loop: HParams) -> str:
    """The PPO set a loop set names (base_algo_params wins over ppo_params)."""
    return loop.get("base_algo_params") or loop.get("ppo_params")


def _add_ppo_fields(loop, overrides):
    """Adds to `loop` each `ppo_<field>` that `overrides` sets and the loop set lacks,
    with the PPO set's value of that field; an unknown one is an error naming the
    closest loop fields and PPO fields."""
    pairs = split_overrides(overrides)
    named = {key: text.strip() for key, text in pairs if key in ("ppo_params",
                                                                 "base_algo_params")}
    choice = HParams(**{key: named.get(key, loop.get(key)) for key in ("ppo_params",
                                                                        "base_algo_params")})
    name = ppo_set_name(choice)
    ppo = get(name).values() if name else {}
    for key, _ in pairs:
        if key in loop or not key.startswith("ppo_"):
            continue
        field = key[len("ppo_"):]
        if field in LOOP_OWNED_PPO_FIELDS:
            raise UserError(f"'{key}' is not a loop field: the loop sets the PPO set's "
                            f"{field} from {LOOP_OWNED_PPO_FIELDS[field]}")
        if field not in ppo:
            candidates = list(loop.values()) + [f"ppo_{f}" for f in ppo]
            raise UserError(f"unknown hparam '{key}': neither a loop field nor a field of "
                            f"the PPO set '{name}'{did_you_mean(key, candidates)}")
        loop.add_hparam(key, ppo[field])


def check_subsets(loop: HParams) -> None:
    """Raises UserError naming the loop field whose value is not a registered set (the
    closest sets named too)."""
    for field in SUBSET_FIELDS:
        name = loop.get(field)
        if isinstance(name, str) and name and name not in _SETS:
            raise UserError(f"loop field '{field}' names an unknown hparams set '{name}'"
                            f"{did_you_mean(name, _SETS)}")


def resolve_tree(hparams: HParams) -> Dict[str, Any]:
    """A JSON-ready dict of `hparams` in which every sub-set named by a field in
    SUBSET_FIELDS is expanded under '<field>_resolved'. This is what runs write to
    hparams.json, so the exact values behind a result are on record."""
    tree = hparams.values()
    for field in SUBSET_FIELDS:
        name = tree.get(field)
        if isinstance(name, str) and name:
            tree[f"{field}_resolved"] = get(name).values()
    return tree
