r"""SimPLe: model-based RL on an Atari game.

  python -m rl.trainer_model_based --output_dir=$OUT --loop_hparams_set=rl_modelrl_base \
      --loop_hparams='game=freeway'

Alternates real data collection, world-model training and PPO inside the world model.
Re-running the same command on the same --output_dir resumes after the last finished
phase; a directory made with other hparams is refused.
"""

import json

from absl import app, flags

import hparams as hparams_lib
from rl import cli, model_based

FLAGS = flags.FLAGS
flags.DEFINE_string("output_dir", None, "Run directory; re-running on it resumes.")
flags.DEFINE_string("loop_hparams_set", "rl_modelrl_base", "Loop hparams set.")
flags.DEFINE_string("loop_hparams", "", "Overrides of the loop set, e.g. 'game=freeway'.")
flags.DEFINE_integer("seed", 0, "Seeds every phase.")
flags.DEFINE_bool("list_hparams_sets", False, "Print every hparams set and exit.")


@cli.exit_on_user_error
def main(argv):
    if FLAGS.list_hparams_sets:
        print(hparams_lib.format_listing())
        return
    if not FLAGS.output_dir:
        raise hparams_lib.UserError("--output_dir is required")
    loop = hparams_lib.resolve(FLAGS.loop_hparams_set, FLAGS.loop_hparams)
    summary = model_based.train(loop, FLAGS.output_dir, seed=FLAGS.seed,
                                command_line=cli.command_line_record())
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    app.run(main)
