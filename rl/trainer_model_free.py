r"""Model-free PPO on a real environment.

  python -m rl.trainer_model_free --problem=stacked_pong --hparams_set=ppo_atari_base \
      --hparams=num_agents=5 --output_dir=$OUT
  python -m rl.trainer_model_free --problem=Pendulum-v0 \
      --hparams_set=ppo_continuous_action_base --output_dir=$OUT

Re-running the same command on the same --output_dir resumes it.
"""

import json

from absl import app, flags

import hparams as hparams_lib
from models import catalog
from problems.registry import resolve_problem
from rl import cli, runtime, run_dir

FLAGS = flags.FLAGS
flags.DEFINE_string("problem", None, "stacked_{game}, gym_{game}_random, or a gym id.")
flags.DEFINE_string("hparams_set", None, "PPO hparams set (--list_hparams_sets lists them).")
flags.DEFINE_string("hparams", "", "Overrides, e.g. 'num_agents=5,learning_rate=1e-4'.")
flags.DEFINE_string("output_dir", None, "Run directory; re-running on it resumes.")
flags.DEFINE_integer("seed", 0, "Seeds envs, network initialization and sampling.")
cli.define_list_flag()


@cli.exit_on_user_error
def main(argv):
    if cli.listed_hparams_sets():
        return
    cli.require_flags("problem", "hparams_set", "output_dir")
    hparams = hparams_lib.resolve(FLAGS.hparams_set, FLAGS.hparams)
    catalog.check_policy_network(resolve_problem(FLAGS.problem), hparams)
    run_dir.claim(FLAGS.output_dir)
    from rl import model_free  # loads TensorFlow: only once the flags are known good

    summary = model_free.train(FLAGS.problem, hparams, FLAGS.output_dir, seed=FLAGS.seed,
                               command_line=cli.command_line_record())
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    runtime.set_up()
    app.run(main)
