"""Named hyperparameter sets and the override parser.

Every module defining sets is imported here, explicitly, so that `hparams.registry` is
complete whenever this package is imported.
"""

from hparams import (  # noqa: F401  (registers)
    env_sets, latent_sets, loop_sets, next_frame_sets, ppo_sets)
from hparams.errors import UserError
from hparams.hparams import HParams
from hparams.registry import (LOOP_OWNED_PPO_FIELDS, check_subsets, format_listing, get,
                              list_sets, ppo_set_name, register, resolve, resolve_tree)

__all__ = ["HParams", "LOOP_OWNED_PPO_FIELDS", "UserError", "check_subsets", "format_listing", "get",
           "list_sets", "ppo_set_name", "register", "resolve", "resolve_tree"]
