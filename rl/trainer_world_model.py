r"""Trains a world model (next-frame or latent) on a problem's trajectory data.

  python -m rl.trainer_world_model --data_dir=$DATA --output_dir=$OUT \
      --problem=gym_pong_random --model=next_frame_basic --hparams_set=next_frame

Data comes from `python -m rl.datagen_with_agent`. Re-running on the same --output_dir
resumes; a larger --train_steps trains on. --model=latent_dynamics
--hparams_set=latent_dynamics_ensemble trains the latent model of the rlmb_latent loop
(latent_dynamics_cpu: the same with one transition).
--strategy=mirrored uses every local GPU,
--strategy=multi_worker every host named in TF_CONFIG, with no other change.
"""

import json

from absl import app, flags

import hparams as hparams_lib
from models import catalog
from rl import cli, runtime, run_dir, world_model_inputs

FLAGS = flags.FLAGS
flags.DEFINE_string("data_dir", None, "Dataset directory (from datagen_with_agent).")
flags.DEFINE_string("output_dir", None, "Run directory; re-running on it resumes.")
flags.DEFINE_string("problem", None, "The dataset's problem name, e.g. gym_pong_random.")
flags.DEFINE_string("model", None, "next_frame_basic, next_frame_basic_deterministic, "
                    "next_frame_basic_stochastic_discrete or latent_dynamics (default: the "
                    "set's model).")
flags.DEFINE_string("hparams_set", "next_frame", "World-model hparams set.")
flags.DEFINE_string("hparams", "", "Overrides, e.g. 'batch_size=8,hidden_size=32'.")
flags.DEFINE_integer("train_steps", 2000, "Optimizer steps to train to (in all, counting "
                     "steps of earlier runs on the same --output_dir).")
flags.DEFINE_integer("eval_steps", 10, "Dev batches per evaluation.")
flags.DEFINE_integer("eval_every", 500, "Steps between evaluations.")
flags.DEFINE_integer("save_every", 500, "Steps between checkpoints.")
flags.DEFINE_integer("video_frames", 32, "Frames of autoregressive rollout in debug videos.")
flags.DEFINE_integer("eval_rollouts", 32, "Autoregressive rollouts from dev starts for the "
                     "final reward accuracy at 1 and 12 steps.")
flags.DEFINE_enum("strategy", "default", world_model_inputs.STRATEGIES,
                  "tf.distribute strategy (multi_worker reads TF_CONFIG).")
flags.DEFINE_integer("seed", 0, "Seeds data order, initialization and noise.")
cli.define_list_flag()


@cli.exit_on_user_error
def main(argv):
    if cli.listed_hparams_sets():
        return
    cli.require_flags("data_dir", "output_dir", "problem")
    if FLAGS.train_steps <= 0:
        raise hparams_lib.UserError(f"--train_steps must be positive, got {FLAGS.train_steps}")
    hparams = hparams_lib.resolve(FLAGS.hparams_set, FLAGS.hparams)
    model_name = FLAGS.model or hparams.model
    catalog.check_world_model_name(model_name, hparams)
    world_model_inputs.check_strategy(FLAGS.strategy)
    if catalog.is_latent(model_name) and FLAGS.strategy != "default":
        raise hparams_lib.UserError(f"{model_name} trains on one device; --strategy="
                                    f"{FLAGS.strategy} is for the next_frame models")
    world_model_inputs.dataset_format(FLAGS.data_dir, FLAGS.problem)
    run_dir.claim(FLAGS.output_dir)
    from rl import world_model_trainer  # loads TensorFlow: only once the flags are known good

    # The strategy before any other TensorFlow op: multi-worker collectives need that.
    strategy = world_model_trainer.make_strategy(FLAGS.strategy)
    run = world_model_trainer.TrainingRun(
        FLAGS.data_dir, FLAGS.output_dir, FLAGS.problem, model_name, hparams,
        FLAGS.train_steps, seed=FLAGS.seed, record_inputs=True,
        command_line=cli.command_line_record())
    schedule = world_model_trainer.Schedule(
        eval_steps=FLAGS.eval_steps, eval_every=FLAGS.eval_every,
        save_every=FLAGS.save_every, video_frames=FLAGS.video_frames,
        eval_rollouts=FLAGS.eval_rollouts)
    summary, _ = world_model_trainer.train(run, schedule, strategy=strategy)
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    runtime.set_up()
    app.run(main)
