r"""Collects Atari experience into a trajectory dataset.

  python -m rl.datagen_with_agent --data_dir=$DATA --tmp_dir=$TMP --game=pong \
      --num_env_steps=30000

Without --agent_policy_path the actions are uniform random and the dataset is named
gym_{game}_random, the data the README's world-model command trains on.
"""

import json

from absl import app, flags, logging

import hparams as hparams_lib
from rl import cli, datagen

FLAGS = flags.FLAGS
flags.DEFINE_string("data_dir", None, "Dataset directory (created if missing).")
flags.DEFINE_string("tmp_dir", None, "Scratch directory for shards before they are moved "
                    "into --data_dir (default: inside --data_dir).")
flags.DEFINE_string("game", "pong", "Snake-case Atari game name (pong, freeway, ms_pacman).")
flags.DEFINE_integer("num_env_steps", 5000, "Agent steps to collect, summed over envs.")
flags.DEFINE_string("env_hparams_set", "atari_simple", "Frame-format hparams set.")
flags.DEFINE_string("env_hparams", "", "Overrides of --env_hparams_set, e.g. 'num_envs=16'.")
flags.DEFINE_integer("epoch", None, "Dataset epoch to write (default: the next free one).")
flags.DEFINE_integer("seed", 0, "Seeds env no-ops and the random policy.")
flags.DEFINE_bool("list_hparams_sets", False, "Print every hparams set and exit.")


@cli.exit_on_user_error
def main(argv):
    if FLAGS.list_hparams_sets:
        print(hparams_lib.format_listing())
        return
    if not FLAGS.data_dir:
        raise hparams_lib.UserError("--data_dir is required")
    if FLAGS.num_env_steps <= 0:
        raise hparams_lib.UserError(f"--num_env_steps must be positive, got "
                                    f"{FLAGS.num_env_steps}")
    env_hparams = hparams_lib.resolve(FLAGS.env_hparams_set, FLAGS.env_hparams)
    stats = datagen.generate(FLAGS.data_dir, FLAGS.game, FLAGS.num_env_steps, env_hparams,
                             epoch=FLAGS.epoch, seed=FLAGS.seed, tmp_dir=FLAGS.tmp_dir)
    summary = {k: v for k, v in stats.items() if k != "frame_format"}
    logging.info("dataset statistics: %s", json.dumps(summary, sort_keys=True))
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    app.run(main)
