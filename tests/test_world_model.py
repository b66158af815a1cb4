"""World models: shapes, the loss cutoff, pixel noise, overfitting real Pong, multi-step
evaluation, and save/restore."""

import math

import numpy as np
import pytest
import tensorflow as tf

import hparams
from hparams import UserError
from models import next_frame, seeding
from models.world_model import WorldModel, frame_loss, own_prediction_probability
from problems import input_pipeline
from rl import world_model_eval

FRAME = (105, 80, 3)


@pytest.mark.parametrize("set_name", ["next_frame_tiny", "next_frame_stochastic_tiny"])
def test_shapes_and_dtypes(set_name):
    hp = hparams.get(set_name)
    model = WorldModel(hp, 6, FRAME)
    frames = np.random.default_rng(0).integers(0, 256, (3, 4) + FRAME, dtype=np.uint8)
    actions = np.array([0, 3, 5])
    outputs = model.network(frames, actions, target=frames[:, -1], training=True)
    assert outputs["frame_logits"].shape == (3,) + FRAME + (256,)
    assert outputs["reward_logits"].shape == (3, 3)
    if hp.bottleneck_bits:
        assert outputs["bits"].shape == (3, hp.bottleneck_bits)
        assert set(np.unique(outputs["bits"].numpy())) <= {-1.0, 1.0}
        assert outputs["bit_logits"].shape == (3, hp.bottleneck_bits)
    for temperature in (0.0, 1.0):
        frame, reward = model.predict(frames, actions, temperature)
        assert frame.shape == (3,) + FRAME and frame.dtype == np.uint8
        assert reward.shape == (3,) and set(reward) <= {-1, 0, 1}


def test_grayscale_frames():
    model = WorldModel(hparams.get("next_frame_tiny"), 3, (105, 80, 1))
    frame, _ = model.predict(np.zeros((2, 4, 105, 80, 1), np.uint8), np.array([0, 2]))
    assert frame.shape == (2, 105, 80, 1)


def test_loss_cutoff_on_hand_built_logits():
    target = tf.constant([[[[7]]]], tf.uint8)  # one pixel, one channel
    uniform = tf.zeros((1, 1, 1, 1, 256))
    assert float(frame_loss(uniform, target, 0.0)) == pytest.approx(math.log(256), abs=1e-5)
    assert float(frame_loss(uniform, target, 0.02)) == pytest.approx(math.log(256) - 0.02,
                                                                     abs=1e-5)
    peaked = tf.one_hot([[[[7]]]], 256) * 50.0
    assert float(frame_loss(peaked, target, 0.02)) == 0.0  # below the cutoff: floored


def test_median_pixel_noise():
    frames = tf.constant(np.stack([np.full((2, 3, 3, 2), v, np.uint8) for v in (10, 20, 30)]))
    tf.random.set_seed(0)
    np.testing.assert_array_equal(next_frame.median_pixel_noise(frames, 0.0), frames)
    np.testing.assert_array_equal(next_frame.median_pixel_noise(frames, 1.0),
                                  np.full(frames.shape, 20, np.uint8))
    # Half the pixels: each pixel changes in all its channels or in none.
    noisy = next_frame.median_pixel_noise(frames, 0.5).numpy()
    changed = noisy != frames.numpy()
    assert np.all(changed[..., 0] == changed[..., 1])
    assert 0 < changed[0].mean() < 1  # the first frame's pixels (10) become 20 at random


def test_model_name_and_set_must_agree():
    with pytest.raises(UserError, match="bottleneck_bits"):
        WorldModel(hparams.get("next_frame_tiny"), 6, FRAME,
                   model_name="next_frame_basic_stochastic_discrete")
    with pytest.raises(UserError, match="is deterministic"):
        WorldModel(hparams.get("next_frame_stochastic_tiny"), 6, FRAME,
                   model_name="next_frame_basic")
    with pytest.raises(UserError, match="unknown world model"):
        WorldModel(hparams.get("next_frame_tiny"), 6, FRAME, model_name="next_frame_fancy")


@pytest.fixture(scope="module")
def pong_arrays(pong_dataset):
    data_dir, _ = pong_dataset
    return input_pipeline.load_split(data_dir, "gym_pong_random", "train")


def overfit_until_it_beats_copy_last(pong_arrays, learning_rate, max_steps, check_every=10):
    """Trains a tiny model on one fixed batch of two real windows until the criterion
    holds: frame loss below a fifth of its start, more pixels right than copying the last
    frame, every reward right. Returns the step it first held at, or None after
    `max_steps`, with the last evaluation.

    Training to a criterion instead of for a fixed count: at lr 1e-2 the loss falls fast
    but spikes now and then, and the step at which it first beats copy-last differs
    between CPUs (their float rounding differs), so any one fixed count sits on a knife's
    edge somewhere. The cap is several times the steps it takes where it is quick.
    """
    seeding.seed_initialization(1)
    hp = hparams.resolve("next_frame_tiny",
                         f"hidden_size=16,batch_size=2,learning_rate={learning_rate}")
    model = WorldModel(hp, 6, FRAME)
    starts = input_pipeline.window_starts(pong_arrays["episode"],
                                          pong_arrays["frame_number"], 4)
    # Windows where the ball moves: the target differs from the last input frame.
    batch = input_pipeline.gather_windows(pong_arrays, starts[100:102], 4)
    batch = {k: tf.constant(v) for k, v in batch.items()}
    first = model.evaluate(batch)
    last = first
    for step in range(1, max_steps + 1):
        model.train_step(batch)
        if step % check_every:
            continue
        last = model.evaluate(batch)
        if (last["frame_loss"] < 0.2 * first["frame_loss"]
                and last["pixel_accuracy"] > last["baseline_copy_last/pixel_accuracy"]
                and last["reward_accuracy"] == 1.0):
            return step, last
    return None, last


@pytest.mark.slow
def test_tiny_model_overfits_real_pong(pong_arrays):
    """On one fixed batch of real frames the model gets past copying the last frame."""
    step, last = overfit_until_it_beats_copy_last(pong_arrays, 1e-2, max_steps=800)
    assert step is not None, last


@pytest.mark.slow
def test_overfit_criterion_fails_without_learning(pong_arrays):
    """The same criterion with a zero learning rate (the weights never move) is not met:
    copying the last frame is a baseline an untrained model does not beat."""
    step, last = overfit_until_it_beats_copy_last(pong_arrays, 0.0, max_steps=20)
    assert step is None, last
    assert last["pixel_accuracy"] < last["baseline_copy_last/pixel_accuracy"], last


class OracleModel:
    """Predicts the true next frame and reward by looking them up: multi_step_eval must
    then report perfect scores, which pins down its indexing."""

    def __init__(self, arrays, starts):
        self.arrays, self.starts, self.step = arrays, starts, 0

    def predict(self, frames, actions, temperature=0.0):
        last = self.starts + 3 + self.step
        np.testing.assert_array_equal(frames[:, -1], self.arrays["frame"][last])
        np.testing.assert_array_equal(actions, self.arrays["action"][last])
        self.step += 1
        return self.arrays["frame"][last + 1], self.arrays["reward"][last]


def test_multi_step_eval_indexing_with_an_oracle(pong_arrays):
    starts = world_model_eval.rollout_starts(pong_arrays, 4, 12, 8, np.random.default_rng(3))
    oracle = OracleModel(pong_arrays, starts)
    result = world_model_eval.multi_step_eval(oracle, pong_arrays, 12, num_rollouts=8, seed=3)
    assert result["rollouts"] == 8
    assert result["reward_accuracy"] == 1.0
    assert result["pixel_error"] == [0.0] * 12


def test_multi_step_eval_of_a_real_model_reports_per_step_error(pong_arrays):
    model = WorldModel(hparams.get("next_frame_tiny"), 6, FRAME)
    result = world_model_eval.multi_step_eval(model, pong_arrays, 3, num_rollouts=4,
                                              keep_frames=True)
    assert result["rollouts"] == 4 and len(result["pixel_error"]) == 3
    assert 0.0 <= result["reward_accuracy"] <= 1.0
    assert result["predicted"].shape == (4, 3) + FRAME


def test_save_and_restore_round_trip(tmp_path, pong_arrays):
    hp = hparams.get("next_frame_stochastic_tiny")
    model = WorldModel(hp, 6, FRAME)
    batch = next(iter(input_pipeline.window_dataset(pong_arrays, 4, 2)))
    model.train_step(batch)
    path = model.checkpoint.save(str(tmp_path / "ckpt"))
    other = WorldModel(hp, 6, FRAME)
    other.checkpoint.restore(path).assert_existing_objects_matched()
    assert other.step == model.step == 1
    for a, b in zip(model.network.weights, other.network.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    frame_a, reward_a = model.predict(batch["inputs"], batch["input_actions"][:, -1])
    frame_b, reward_b = other.predict(batch["inputs"], batch["input_actions"][:, -1])
    if not hp.bottleneck_bits:
        np.testing.assert_array_equal(frame_a, frame_b)


@pytest.mark.parametrize("set_name", ["next_frame_tiny", "next_frame_stochastic_tiny"])
def test_checkpoint_names_every_network_variable(tmp_path, set_name):
    """Every trainable weight is in the checkpoint under the network's own name, not only by its
    position in the optimizer's list (Keras 3 hides list-held layers from checkpoints)."""
    model = WorldModel(hparams.get(set_name), 6, FRAME)
    path = tf.train.Checkpoint(network=model.network).save(str(tmp_path / "ckpt"))
    saved = [n for n, _ in tf.train.list_variables(path) if n.startswith("network/")]
    assert len(saved) == len(model.network.trainable_variables)


@pytest.mark.slow  # trains a model
def test_training_stops_at_its_time_budget(pong_dataset, tmp_path):
    from rl import world_model_trainer
    data_dir, _ = pong_dataset
    summary, _ = world_model_trainer.train(
        world_model_trainer.TrainingRun(data_dir, str(tmp_path), "gym_pong_random",
                                        "next_frame_basic", hparams.get("next_frame_tiny"),
                                        train_steps=10 ** 6),
        world_model_trainer.Schedule(eval_steps=1, video_frames=2, time_budget_s=0.0))
    assert summary["step"] == 1
    assert tf.train.latest_checkpoint(str(tmp_path / "checkpoints")).endswith("ckpt-1")
    assert summary["dev"]  # evaluated at the step it stopped


def test_deterministic_prediction_ignores_temperature_and_stochastic_uses_it():
    frames = np.random.default_rng(0).integers(0, 256, (4, 4) + FRAME, dtype=np.uint8)
    actions = np.array([0, 1, 2, 3])
    deterministic = WorldModel(hparams.get("next_frame_tiny"), 6, FRAME)
    a, _ = deterministic.predict(frames, actions, temperature=1.0)
    b, _ = deterministic.predict(frames, actions, temperature=0.0)
    np.testing.assert_array_equal(a, b)
    stochastic = WorldModel(hparams.resolve("next_frame_stochastic_tiny", "hidden_size=16"),
                            6, FRAME)
    tf.random.set_seed(0)
    bits = [stochastic.network(frames, actions, temperature=1.0)["bits"].numpy()
            for _ in range(2)]
    assert not np.array_equal(bits[0], bits[1])  # sampled afresh each call
    greedy = [stochastic.network(frames, actions, temperature=0.0)["bits"].numpy()
              for _ in range(2)]
    np.testing.assert_array_equal(greedy[0], greedy[1])


def test_same_seed_same_initial_weights():
    """Keras 3 initializers ignore tf.random.set_seed; seed_initialization must pin them,
    or --seed does not reproduce a run."""
    def weights(seed):
        seeding.seed_initialization(seed)
        return [w.numpy() for w in WorldModel(hparams.get("next_frame_tiny"), 6, FRAME)
                .network.weights]
    first, again, other = weights(3), weights(3), weights(4)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other))


def test_the_stochastic_set_trains_as_published():
    hp = hparams.get("next_frame_basic_stochastic_discrete")
    assert (hp.video_num_target_frames, hp.scheduled_sampling_mode,
            hp.scheduled_sampling_decay_steps) == (6, "prob_inverse_lin", 40000)
    assert (hp.batch_size, hp.video_modality_loss_cutoff) == (4, 0.03)


def test_own_prediction_probability_schedules():
    hp = hparams.get("next_frame_basic_stochastic_discrete")

    def at(step, mode="prob_inverse_lin", max_prob=1.0):
        hp.scheduled_sampling_mode, hp.scheduled_sampling_max_prob = mode, max_prob
        return float(own_prediction_probability(hp, step))
    # prob_inverse_lin: near 0 through the first quarter, then up to the maximum.
    assert at(0) == pytest.approx(1e-4)
    assert at(2000) < 0.01 < at(20000) < at(30000) < at(40000) == pytest.approx(1.0)
    assert at(80000, max_prob=0.5) == pytest.approx(0.5)
    assert at(0, "prob_inverse_exp") == pytest.approx(0.01)
    assert at(10000, "prob_inverse_exp") < at(40000, "prob_inverse_exp") == pytest.approx(1.0)
    assert at(0, "ground_truth_only") == 0.0 and at(0, "prediction_only") == 1.0


def test_several_target_frames_are_predicted_one_after_another(pong_arrays):
    """With several target frames the model is trained on each, reading either the real
    frames before it or its own predictions of them: ground_truth_only gives exactly the
    mean of one-step losses on the real windows, prediction_only (an untrained model's
    predictions are not the real frames) does not."""
    hp = hparams.get("next_frame_tiny")
    hp.video_num_target_frames = 3
    model = WorldModel(hp, 6, FRAME)
    starts = input_pipeline.window_starts(pong_arrays["episode"],
                                          pong_arrays["frame_number"], 6)[100:104]
    window = input_pipeline.gather_windows(pong_arrays, starts, 4, targets=3)
    assert window["target_frames"].shape == (4, 3) + FRAME
    np.testing.assert_array_equal(window["target_frames"][:, 0], window["target_frame"])
    np.testing.assert_array_equal(window["target_actions"][:, 0],
                                  window["input_actions"][:, -1])
    batch = {k: tf.constant(v) for k, v in window.items()}
    one_step = []
    for k in range(3):  # the real window that ends at each target frame
        real = input_pipeline.gather_windows(pong_arrays, starts + k, 4)
        outputs = model.network(real["inputs"], real["input_actions"][:, -1],
                                target=real["target_frame"], training=True)
        one_step.append(float(model._losses(outputs, real)["frame_loss"]))
    for mode, matches in (("ground_truth_only", True), ("prediction_only", False)):
        hp.scheduled_sampling_mode = mode
        losses, predicted, _ = model._several_targets_losses(batch)
        assert predicted.shape == (4, 3) + FRAME
        assert (float(losses["frame_loss"]) == pytest.approx(np.mean(one_step), rel=1e-5)) \
            == matches, mode
    metrics = model.train_step(batch)
    assert metrics["scheduled_sampling/own_prediction_probability"] == 1.0


def test_an_unknown_scheduled_sampling_mode_is_refused_before_tensorflow_runs():
    from models import catalog
    hp = hparams.resolve("next_frame_basic_stochastic_discrete",
                         "scheduled_sampling_mode=prob_inverse_log")
    with pytest.raises(UserError, match="scheduled_sampling_mode must be one of"):
        catalog.check_world_model_name("next_frame_basic_stochastic_discrete", hp)
