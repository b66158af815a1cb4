"""The networks by name, and what each needs of its hparams and problem.

No TensorFlow here: the entrypoints run these checks before they import the libraries
that load it (several seconds), so a mistyped --model or a policy set that does not fit
the problem is reported at once.
"""

from hparams.errors import UserError
from hparams.hparams import HParams

PIXEL_WORLD_MODELS = ("next_frame_basic", "next_frame_basic_deterministic",
                      "next_frame_basic_stochastic_discrete")
LATENT_WORLD_MODELS = ("latent_dynamics",)
WORLD_MODELS = PIXEL_WORLD_MODELS + LATENT_WORLD_MODELS
POLICY_NETWORKS = ("mlp", "simple_cnn", "nature_cnn")
ACTION_INJECTIONS = ("concat", "multiplicative")  # how a latent transition reads the action
TRANSITION_UPDATES = ("residual", "gated")  # how its output makes the next latent
# When a pixel model trained on several target frames reads its own predictions.
SCHEDULED_SAMPLING_MODES = ("ground_truth_only", "prediction_only", "prob_inverse_exp",
                            "prob_inverse_lin")


def is_latent(name: str) -> bool:
    """True for a world model that imagines in a latent state (models/latent_dynamics.py),
    False for a pixel (next_frame) model."""
    return name in LATENT_WORLD_MODELS


def check_world_model_name(name: str, hparams: HParams) -> None:
    """Raises UserError unless `name` is a world model that the set `hparams` can build:
    a latent model needs a latent set (one with latent_size), a pixel model a next_frame
    set, and only the stochastic pixel model has a latent of bottleneck_bits."""
    if name not in WORLD_MODELS:
        raise UserError(f"unknown world model '{name}'; choose one of {', '.join(WORLD_MODELS)}")
    latent_set = "latent_size" in hparams
    if is_latent(name) != latent_set:
        wanted = "a latent set such as latent_dynamics_cpu" if is_latent(name) else \
            "a next_frame set such as next_frame"
        raise UserError(f"world model '{name}' needs {wanted}; the hparams set is for "
                        f"{'latent_dynamics' if latent_set else 'a next_frame model'}")
    if is_latent(name):
        injection = hparams.get("action_injection", "concat")
        if injection not in ACTION_INJECTIONS:
            raise UserError(f"action_injection must be one of {', '.join(ACTION_INJECTIONS)}, "
                            f"got '{injection}'")
        update = hparams.get("transition_update", "residual")
        if update not in TRANSITION_UPDATES:
            raise UserError(f"transition_update must be one of {', '.join(TRANSITION_UPDATES)}, "
                            f"got '{update}'")
        return
    mode = hparams.get("scheduled_sampling_mode", "prediction_only")
    if mode not in SCHEDULED_SAMPLING_MODES:
        raise UserError(f"scheduled_sampling_mode must be one of "
                        f"{', '.join(SCHEDULED_SAMPLING_MODES)}, got '{mode}'")
    if name == "next_frame_basic_stochastic_discrete" and hparams.bottleneck_bits <= 0:
        raise UserError("next_frame_basic_stochastic_discrete needs bottleneck_bits > 0; use "
                        "the next_frame_basic_stochastic_discrete hparams set")
    if name != "next_frame_basic_stochastic_discrete" and hparams.bottleneck_bits > 0:
        raise UserError(f"{name} is deterministic but the hparams set has bottleneck_bits="
                        f"{hparams.bottleneck_bits}; use --model="
                        "next_frame_basic_stochastic_discrete")


def check_policy_network_name(name: str) -> str:
    """Returns `name` if it is a policy network, else raises UserError listing them."""
    if name not in POLICY_NETWORKS:
        raise UserError(f"unknown policy_network '{name}'; choose one of "
                        f"{', '.join(POLICY_NETWORKS)}")
    return name


def check_policy_network(problem, hparams: HParams) -> None:
    """Raises UserError unless the PPO set's policy_network exists and reads the
    problem's observations (images for Atari, vectors otherwise)."""
    name = check_policy_network_name(hparams.policy_network)
    if problem.is_atari and name == "mlp":
        raise UserError(f"problem '{problem.name}' has image observations but the hparams "
                        "set uses policy_network=mlp; use an Atari set such as "
                        "ppo_atari_base, rlmf_base or ppo_atari_cleanrl")
    if not problem.is_atari and name != "mlp":
        raise UserError(f"problem '{problem.name}' has vector observations but the hparams "
                        f"set uses policy_network={name}; use "
                        "ppo_discrete_action_base or ppo_continuous_action_base")
