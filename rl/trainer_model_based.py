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
from models import catalog
from problems import atari
from rl import cli, runtime, run_dir

FLAGS = flags.FLAGS
flags.DEFINE_string("output_dir", None, "Run directory; re-running on it resumes.")
flags.DEFINE_string("loop_hparams_set", "rl_modelrl_base", "Loop hparams set.")
flags.DEFINE_string("loop_hparams", "", "Overrides of the loop set, e.g. 'game=freeway'.")
flags.DEFINE_integer("seed", 0, "Seeds every phase.")
cli.define_list_flag()


@cli.exit_on_user_error
def main(argv):
    if cli.listed_hparams_sets():
        return
    cli.require_flags("output_dir")
    loop = hparams_lib.resolve(FLAGS.loop_hparams_set, FLAGS.loop_hparams)
    atari.check_game(loop.game)
    hparams_lib.check_subsets(loop)
    catalog.check_world_model_name(loop.generative_model,
                                   hparams_lib.get(loop.generative_model_params))
    run_dir.claim(FLAGS.output_dir)
    from rl import model_based  # loads TensorFlow: only once the flags are known good

    summary = model_based.train(loop, FLAGS.output_dir, seed=FLAGS.seed,
                                command_line=cli.command_line_record())
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    runtime.set_up()
    app.run(main)
