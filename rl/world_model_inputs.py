"""What training a world model needs from its command line, checked without TensorFlow:
the strategy's environment and the data's frame format. trainer_world_model runs these
before it imports the trainer (which loads TensorFlow, several seconds), so a wrong
--data_dir or a missing TF_CONFIG is reported at once."""

import os
from typing import Any, Dict, Optional

from hparams.errors import UserError
from problems import dataset_files
from problems.registry import resolve_problem

STRATEGIES = ("default", "mirrored", "multi_worker")


def check_strategy(name: str) -> None:
    """Raises UserError for an unknown strategy, or multi_worker without TF_CONFIG."""
    if name not in STRATEGIES:
        raise UserError(f"unknown --strategy '{name}'; choose one of {', '.join(STRATEGIES)}")
    if name == "multi_worker" and "TF_CONFIG" not in os.environ:
        raise UserError("--strategy=multi_worker needs the TF_CONFIG environment "
                        "variable (cluster and task) to be set on every worker")


def dataset_format(data_dir: str, problem_name: str,
                   dataset: Optional[str] = None) -> Dict[str, Any]:
    """The frame format recorded with a problem's data (height, width, channels,
    num_actions, ...)."""
    problem = resolve_problem(problem_name)
    if not problem.is_atari:
        raise UserError(f"problem '{problem_name}' is not an Atari problem; world models "
                        "train on gym_{game}_random data")
    dataset_files.check_data_dir(data_dir, create=False)
    if not os.path.isdir(data_dir):
        raise UserError(f"--data_dir '{data_dir}' does not exist; write data first with "
                        "python -m rl.datagen_with_agent")
    stats = dataset_files.dataset_stats(data_dir, dataset or problem_name)
    return stats["frame_format"]
