r"""Collects Atari experience into a trajectory dataset.

  python -m rl.datagen_with_agent --data_dir=$DATA --tmp_dir=$TMP --game=pong \
      --num_env_steps=30000

Without --agent_policy_path the actions are uniform random and the dataset is named
gym_{game}_random, the data the README's world-model command trains on. With it, actions
are sampled from that SavedModel (a trainer's policy/ directory) at --temperature, in the
frame format the policy was trained on, into gym_{game}_policy. With --eval nothing is
written: the policy plays --eval_episodes full episodes and the mean returns are printed.
"""

import json

from absl import app, flags, logging

import hparams as hparams_lib
from models import policy_format
from problems import atari, dataset_files
from rl import cli, runtime

FLAGS = flags.FLAGS
MAX_ENV_STEPS = 10**9
flags.DEFINE_string("data_dir", None, "Dataset directory (created if missing).")
flags.DEFINE_string("tmp_dir", None, "Scratch directory for shards before they are moved "
                    "into --data_dir (default: inside --data_dir).")
flags.DEFINE_string("game", "pong", "Snake-case Atari game name (pong, freeway, ms_pacman).")
flags.DEFINE_integer("num_env_steps", 5000, "Agent steps to collect, summed over envs.")
flags.DEFINE_string("env_hparams_set", "atari_simple", "Frame-format hparams set.")
flags.DEFINE_string("env_hparams", "", "Overrides of --env_hparams_set, e.g. 'num_envs=16'.")
flags.DEFINE_integer("epoch", None, "Dataset epoch to write (default: the next free one).")
flags.DEFINE_integer("seed", 0, "Seeds env no-ops and the random policy.")
flags.DEFINE_string("agent_policy_path", None, "A policy SavedModel to act with instead of "
                    "uniform random actions, or a trainer's run directory (or its "
                    "checkpoints/): that run's newest exported policy.")
flags.DEFINE_float("temperature", 1.0, "Sampling temperature for --agent_policy_path "
                   "(0: always the most likely action).")
flags.DEFINE_bool("eval", False, "Evaluate --agent_policy_path on full episodes instead of "
                  "writing data (--num_env_steps is then not used).")
flags.DEFINE_integer("eval_episodes", 8, "Full episodes to play with --eval.")
flags.DEFINE_string("dataset", None, "Dataset name (default gym_{game}_random, or "
                    "gym_{game}_policy with --agent_policy_path).")
cli.define_list_flag()


@cli.exit_on_user_error
def main(argv):
    if cli.listed_hparams_sets():
        return
    if FLAGS.eval:
        _evaluate()
        return
    cli.require_flags("data_dir")
    if FLAGS.num_env_steps <= 0:
        raise hparams_lib.UserError(f"--num_env_steps must be positive, got "
                                    f"{FLAGS.num_env_steps}")
    if FLAGS.num_env_steps > MAX_ENV_STEPS:
        raise hparams_lib.UserError(f"--num_env_steps must be at most {MAX_ENV_STEPS:,} "
                                    f"(20x the 50M steps of Atari's longest benchmarks), "
                                    f"got {FLAGS.num_env_steps}")
    env_hparams = hparams_lib.resolve(FLAGS.env_hparams_set, FLAGS.env_hparams)
    atari.check_game(FLAGS.game)
    dataset_files.check_data_dir(FLAGS.data_dir, create=False)
    if FLAGS.tmp_dir:
        dataset_files.check_data_dir(FLAGS.tmp_dir, create=False, flag="--tmp_dir")
    policy_path = _checked_policy_path()
    from rl import datagen  # loads TensorFlow: only once the flags are known good

    policy = config = None
    dataset = FLAGS.dataset
    if policy_path:
        policy, config = datagen.load_agent(policy_path, FLAGS.game,
                                            FLAGS.temperature, FLAGS.seed)
        dataset = dataset or datagen.policy_dataset_name(FLAGS.game)
    stats = datagen.generate(FLAGS.data_dir, FLAGS.game, FLAGS.num_env_steps, env_hparams,
                             policy=policy, config=config, dataset=dataset,
                             epoch=FLAGS.epoch, seed=FLAGS.seed, tmp_dir=FLAGS.tmp_dir)
    summary = {k: v for k, v in stats.items() if k not in ("frame_format", "shards")}
    logging.info("dataset statistics: %s", json.dumps(summary, sort_keys=True))
    print(json.dumps(summary, sort_keys=True))


def _checked_policy_path():
    """The exported policy --agent_policy_path names (itself, or a run's newest; see
    policy_format.resolve_policy_path), or None without the flag. A wrong one (not a
    policy, another game, not Atari) is one line before TensorFlow loads: the policy's
    observation_format.json says all of that."""
    if not FLAGS.agent_policy_path:
        return None
    path = policy_format.resolve_policy_path(FLAGS.agent_policy_path)
    policy_format.check_atari_policy(policy_format.read_policy_format(path), path, FLAGS.game)
    return path


def _evaluate():
    if not FLAGS.agent_policy_path:
        raise hparams_lib.UserError("--eval needs --agent_policy_path")
    if FLAGS.eval_episodes <= 0:
        raise hparams_lib.UserError(f"--eval_episodes must be positive, got "
                                    f"{FLAGS.eval_episodes}")
    env_hparams = hparams_lib.resolve(FLAGS.env_hparams_set, FLAGS.env_hparams)
    atari.check_game(FLAGS.game)
    policy_path = _checked_policy_path()
    from rl import datagen  # loads TensorFlow: only once the flags are known good
    from rl.baselines import reference_line as baselines_line

    result = datagen.evaluate_agent(policy_path, FLAGS.game, FLAGS.eval_episodes,
                                    temperature=FLAGS.temperature,
                                    num_envs=env_hparams.num_envs, seed=FLAGS.seed)
    logging.info("evaluation: %s", json.dumps(result, sort_keys=True))
    print(f"eval: {FLAGS.game}, mean raw return {result['mean_raw_return']:.2f} over "
          f"{result['episodes']} episodes at temperature {FLAGS.temperature} (action "
          f"entropy {result['action_entropy']:.2f}); "
          f"{baselines_line(result['baselines'])}", flush=True)
    print(json.dumps(result, sort_keys=True))


if __name__ == "__main__":
    runtime.set_up()
    app.run(main)
