"""What a model-based loop run reports beside its phases: the baselines every score
stands beside, the learning-curve plot and the final summary, all read from the run's
metrics.jsonl and loop_state.json."""

import dataclasses
import os
from typing import Any, Dict, List, Tuple

from rl import baselines, plot
from rl import metrics as metrics_lib


def references(game: str, config, loop) -> Dict[str, float]:
    """The baselines beside every score (rl/baselines.py): the best constant action is
    measured with the evaluation's frame format, no-ops and episode count."""
    config = dataclasses.replace(config, max_num_noops=loop.eval_max_num_noops)
    return baselines.references(game, config, loop.eval_episodes, loop.eval_envs, seed=0)


def collector(hold, learning, has_policy, explore, exploring, envs) -> str:
    """Who plays a real collection, in words: the policy (learning from it with
    `learning`, a RealEnvPPO), or random actions held `hold` steps on average; with
    `explore` held random actions mixed in, with `exploring` of the `envs` sub-envs handed
    to the exploration policy."""
    if learning is not None:
        who = (f"the current policy, a PPO update every {learning.updates.epoch_length} "
               "steps per env")
    elif has_policy:
        who = "the current policy"
    elif hold > 1:
        who = f"uniform random actions held for {hold} steps on average"
    else:
        who = "a uniform random policy"
    if explore is not None:
        who += (f"; each env starts holding a random action ({hold:g} steps on average) "
                f"with probability {explore.probability:g} a step")
    if exploring:
        who += (f"; in {exploring} of the {envs} envs the exploration policy takes over at "
                "a random step")
    return who


def plot_learning_curve(output_dir: str, game: str, found: Dict[str, float]) -> None:
    """learning_curve.png: every evaluated setting's raw return against real steps."""
    series = {}
    for record in metrics_lib.read_metrics(output_dir):
        name = record["name"]
        if name.startswith("eval/mean_return/") and name.endswith("_unclipped"):
            label = name[len("eval/mean_return/"):-len("_unclipped")]
            series.setdefault(label, []).append((record["step"], record["value"]))
    plot.learning_curve_png(os.path.join(output_dir, "learning_curve.png"), series, found,
                            f"{game}: real-env return (raw) vs real env steps used")


def summary(output_dir: str, state: Dict[str, Any], found: Dict[str, float]) -> Dict[str, Any]:
    """The final scores (each setting's last evaluation) and what they cost."""
    last = {}
    for record in metrics_lib.read_metrics(output_dir):
        if record["name"].startswith("eval/mean_return/"):
            last[record["name"]] = record["value"]
    return {"real_env_steps": state["real_env_steps"],
            "simulated_env_steps": state["simulated_env_steps"],
            "phase_seconds": state["phase_seconds"],
            "peak_memory_mb": round(state.get("peak_memory_mb", 0.0)),
            "final_eval": last,
            "baselines": found}


def eval_values(settings, results) -> Tuple[Dict[str, float], List[str]]:
    """An evaluation's metrics and its log line's parts, from its (temperature, no-ops)
    settings and their evaluation.evaluate_settings results. The returns go under both
    our names (eval/mean_return/...) and T2T's (mean_reward/eval/...)."""
    values, lines = {}, []
    for (temperature, noops), result in zip(settings, results):
        for kind, key in (("unclipped", "mean_raw_return"), ("clipped", "mean_clipped_return")):
            values[f"eval/mean_return/temp_{temperature}_noops_{noops}_{kind}"] = result[key]
            values[f"mean_reward/eval/sampling_temp_{temperature}_max_noops_{noops}_{kind}"] = \
                result[key]
        setting = f"temp_{temperature}_noops_{noops}"
        values[f"eval/action_entropy/{setting}"] = result["action_entropy"]
        lines.append(f"temp {temperature}, noops {noops}: {result['mean_raw_return']:.2f} "
                     f"(action entropy {result['action_entropy']:.2f})")
    return values, lines
