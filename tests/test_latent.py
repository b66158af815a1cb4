"""The latent world model, its imagination env and its exported policy, on real Pong."""

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

import hparams
from hparams.errors import UserError
from models import latent_dynamics, policies, saved_policy, seeding
from models.latent_world_model import LatentWorldModel
from problems import input_pipeline
from rl import policy_transfer, ppo, rollout
from rl.imagination_env import LatentImaginationEnv, held_action_spread, held_action_totals

FRAME = (105, 80, 3)


@pytest.fixture(scope="module")
def pong_arrays(pong_dataset):
    data_dir, _ = pong_dataset
    return input_pipeline.load_split(data_dir, "gym_pong_random", "train")


def test_gather_sequences_indexing():
    n = 12
    arrays = {"frame": np.arange(n, dtype=np.uint8)[:, None, None, None],
              "action": np.arange(100, 100 + n), "reward": np.arange(200, 200 + n),
              "done": (np.arange(n) == n - 1).astype(np.int32)}
    seq = input_pipeline.gather_sequences(arrays, np.array([0, 5]), stack_size=4, steps=3)
    assert seq["frames"][:, :, 0, 0, 0].tolist() == [[0, 1, 2, 3, 4, 5, 6],
                                                     [5, 6, 7, 8, 9, 10, 11]]
    # Step k is taken in frame k + 3 and reaches frame k + 4.
    assert seq["actions"].tolist() == [[103, 104, 105], [108, 109, 110]]
    assert seq["rewards"].tolist() == [[203, 204, 205], [208, 209, 210]]
    assert seq["dones"].tolist() == [[0, 0, 0], [0, 0, 1]]
    assert seq["lives_lost"].tolist() == [[0, 0, 0], [0, 0, 0]]  # no lives recorded
    arrays["lives"] = np.array([3, 3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 0])
    seq = input_pipeline.gather_sequences(arrays, np.array([0, 5]), stack_size=4, steps=3)
    # Lives go from frame 4 to 5, 8 to 9 and 10 to 11: step 1 of the first sequence
    # (taken in frame 4), steps 0 and 2 of the second (taken in frames 8 and 10).
    assert seq["lives_lost"].tolist() == [[0, 1, 0], [1, 0, 1]]


def test_rewarded_sequence_starts():
    reward = np.zeros(20, np.int32)
    reward[9] = 1
    starts = np.arange(14)
    found = input_pipeline.rewarded_sequence_starts({"reward": reward}, starts, 4, 3)
    # Sequences from s act in frames s + 3 .. s + 5; frame 9 is among them for s = 4..6.
    assert found.tolist() == [4, 5, 6]


@pytest.mark.parametrize("frame_shape,overrides,size", [
    ((52, 40, 1), "", 32), (FRAME, "", 32), ((52, 40, 1), "action_injection=multiplicative", 32),
    # A spatial latent: 4 channels on each cell of the 7 x 5 grid (52x40 in 4x4 cells,
    # then one stride-2 convolution), or of the 14 x 10 grid of 105x80 frames.
    ((52, 40, 1), "latent_channels=4", 7 * 5 * 4), (FRAME, "latent_channels=4", 14 * 10 * 4),
    ((52, 40, 1), "latent_channels=4,action_injection=multiplicative", 7 * 5 * 4),
    ((52, 40, 1), "transition_update=gated", 32),
    ((52, 40, 1), "latent_channels=4,transition_update=gated", 7 * 5 * 4)])
def test_shapes(frame_shape, overrides, size):
    hp = hparams.resolve("latent_dynamics_tiny", overrides)
    model = LatentWorldModel(hp, 6, frame_shape)
    assert model.latent_size == size == latent_dynamics.latent_size(hp, frame_shape)
    obs = np.random.default_rng(0).integers(0, 256, (3, 4) + frame_shape, dtype=np.uint8)
    latent = model.encode(obs)
    assert latent.shape == (3, size) and np.all(np.abs(latent) <= 1)
    # encode_windows (each frame encoded once) gives what encode of the stacks gives.
    frames = obs.reshape((-1,) + frame_shape)
    np.testing.assert_allclose(model.encode_windows(frames, np.array([0, 4, 8])), latent,
                               atol=1e-5)
    nxt, reward, done = model.imagine(latent, np.array([0, 1, 5]), mean_reward=True)
    assert nxt.shape == latent.shape and reward.shape == (3,) and done.dtype == bool
    assert np.all(np.abs(reward) <= 1)
    _, likeliest, _ = model.imagine(latent, np.array([0, 1, 5]))
    assert set(likeliest) <= {-1.0, 0.0, 1.0}
    assert model.network.decode(tf.constant(latent)).shape == (3,) + frame_shape


@pytest.mark.slow  # trains a model
def test_representation_loss_pulls_the_encodings_toward_imagination(pong_arrays):
    """With representation_loss_coef the encoder, not only the transition, learns to make
    the encodings of later stacks what the transition imagines: training on one batch
    brings the two closer than the same training without it."""
    starts = input_pipeline.window_starts(pong_arrays["episode"], pong_arrays["frame_number"],
                                          6)[100:108]
    batch = {k: tf.constant(v) for k, v in input_pipeline.gather_sequences(
        pong_arrays, starts, 4, 3).items()}
    final = {}
    for coef in (0.0, 10.0):
        seeding.seed_initialization(3)
        model = LatentWorldModel(hparams.resolve(
            "latent_dynamics_tiny", f"representation_loss_coef={coef},learning_rate=3e-3,"
            "target_encoder_decay=0"),
            6, FRAME)
        for _ in range(40):
            losses = model.train_step(batch)
        final[coef] = losses["representation_loss"]
    assert final[10.0] < 0.5 * final[0.0], final


def test_target_encoder_follows_the_encoder_by_its_decay(pong_arrays, tmp_path):
    starts = input_pipeline.window_starts(pong_arrays["episode"], pong_arrays["frame_number"],
                                          6)[100:104]
    batch = {k: tf.constant(v) for k, v in input_pipeline.gather_sequences(
        pong_arrays, starts, 4, 3).items()}
    model = LatentWorldModel(hparams.resolve("latent_dynamics_tiny", "target_encoder_decay=0.9"),
                             6, FRAME)
    before = [v.numpy() for v in model.network.encoder_variables]
    assert all(np.array_equal(t.numpy(), o) for t, o in
               zip(model.target.encoder_variables, before))
    model.train_step(batch)
    after = [v.numpy() for v in model.network.encoder_variables]
    assert any(not np.allclose(a, b) for a, b in zip(after, before))
    for target, old, new in zip(model.target.encoder_variables, before, after):
        np.testing.assert_allclose(target.numpy(), old + 0.1 * (new - old), atol=1e-6)
    # The target copy is part of the model's checkpoint.
    path = model.checkpoint.save(str(tmp_path / "ckpt"))
    assert any(n.startswith("target_encoder/") for n, _ in tf.train.list_variables(path))


def overfit_sequences(pong_arrays, learning_rate, max_steps, check_every=25):
    """Trains the tiny latent model on 4 fixed real sequences (3-step unrolls) until its
    imagined frames beat copying the last real frame (squared error over the unrolled
    steps, and at the last one, where copying is worst) and every reward is right.
    Returns (step it first held, last evaluation), step None if never within
    `max_steps`. A criterion rather than a fixed count, so that CPUs that round
    differently do not decide the outcome."""
    seeding.seed_initialization(2)
    hp = hparams.resolve("latent_dynamics_tiny", f"learning_rate={learning_rate}")
    model = LatentWorldModel(hp, 6, FRAME)
    starts = input_pipeline.window_starts(pong_arrays["episode"], pong_arrays["frame_number"],
                                          4 + hp.unroll_steps - 1)
    rewarded = input_pipeline.rewarded_sequence_starts(pong_arrays, starts, 4, hp.unroll_steps)
    chosen = np.concatenate([rewarded[:2], starts[200:202]])
    batch = {k: tf.constant(v) for k, v in input_pipeline.gather_sequences(
        pong_arrays, chosen, 4, hp.unroll_steps).items()}
    last = model.evaluate(batch)
    for step in range(1, max_steps + 1):
        model.train_step(batch)
        if step % check_every:
            continue
        last = model.evaluate(batch)
        error = last["frame_error_per_step"]
        copy_last = last["baseline_copy_last/frame_error_per_step"]
        if (np.mean(error) < np.mean(copy_last) and error[-1] < copy_last[-1]
                and min(last["reward_accuracy_per_step"]) == 1.0):
            return step, last
    return None, last


@pytest.mark.slow
def test_latent_model_overfits_real_sequences(pong_arrays):
    step, last = overfit_sequences(pong_arrays, 3e-3, max_steps=1500)
    assert step is not None, last
    assert last["rewarded_steps"] >= 2  # the criterion included real nonzero rewards


@pytest.mark.slow
def test_latent_overfit_criterion_fails_without_learning(pong_arrays):
    step, last = overfit_sequences(pong_arrays, 0.0, max_steps=25)
    assert step is None, last


def test_imagination_env_contract(pong_arrays):
    hp = hparams.get("latent_dynamics_tiny")
    model = LatentWorldModel(hp, 6, FRAME)
    env = LatentImaginationEnv(model, pong_arrays, num_envs=5, rollout_length=3, seed=1,
                               reward_start_fraction=0.5)
    obs, _ = env.reset(seed=3)
    assert obs.shape == (5, hp.latent_size) and obs.dtype == np.float32
    assert pong_arrays["frame_number"][env.start_indices[0]] == 0  # sub-env 0: a game start
    windows = pong_arrays["frame"][env.start_indices[:, None] + np.arange(4)]
    np.testing.assert_allclose(obs, model.encode(windows), atol=1e-5)
    actions = np.array([0, 1, 2, 3, 4])
    for t in range(3):
        expected, _, _ = model.imagine(obs, actions, mean_reward=True)
        obs, reward, terminated, truncated, info = env.step(actions)
        assert reward.shape == (5,)
        ended = terminated | truncated
        if t < 2:
            assert not truncated.any()
            np.testing.assert_allclose(obs[~ended], expected[~ended], atol=1e-5)
        else:
            assert ended.all()  # every sub-env's rollout ends at rollout_length ...
            np.testing.assert_allclose(info["final_obs"], expected, atol=1e-5)
            windows = pong_arrays["frame"][env.start_indices[:, None] + np.arange(4)]
            np.testing.assert_allclose(obs, model.encode(windows), atol=1e-5)  # ... restarts


@pytest.mark.parametrize("update", ["residual", "gated"])
def test_only_the_gated_transition_can_leave_a_latent_as_it_is(update):
    """With the last layer's output zeroed except the gates' bias, closed far (-50),
    the gated update returns the latent itself; the residual one reshapes it."""
    hp = hparams.resolve("latent_dynamics_tiny", f"transition_update={update}")
    model = LatentWorldModel(hp, 6, (52, 40, 1))
    obs = np.random.default_rng(0).integers(0, 256, (8, 4, 52, 40, 1), dtype=np.uint8)
    latent = model.encode(obs)
    last = model.network.members[0][0][-1]
    kernel, bias = last.kernel.numpy(), last.bias.numpy()
    last.kernel.assign(np.zeros_like(kernel))
    last.bias.assign(np.where(np.arange(bias.size) >= hp.latent_size, -50.0, 0.0)
                     if update == "gated" else np.zeros_like(bias))
    nxt = model.network.transition(tf.constant(latent), tf.constant(np.arange(8) % 6)).numpy()
    assert np.all(np.abs(nxt) <= 1)
    if update == "gated":
        np.testing.assert_allclose(nxt, latent, atol=1e-6)
    else:
        assert np.abs(nxt - latent).max() > 0.01


def test_transition_ensemble_steps_by_a_drawn_member_and_penalizes_disagreement():
    hp = hparams.resolve("latent_dynamics_tiny", "transition_ensemble=3")
    model = LatentWorldModel(hp, 6, (52, 40, 1))
    net = model.network
    obs = np.random.default_rng(0).integers(0, 256, (64, 4, 52, 40, 1), dtype=np.uint8)
    latent, actions = model.encode(obs), np.arange(64) % 6
    by_member = [net.transition(tf.constant(latent), tf.constant(actions), m).numpy()
                 for m in range(3)]
    assert not np.allclose(by_member[0], by_member[1], atol=1e-3)  # not one member thrice
    nxt, _, _ = model.imagine(latent, actions, mean_reward=True)
    matches = [np.isclose(nxt, member, atol=1e-5).all(1) for member in by_member]
    assert np.all(np.any(matches, 0))  # each row is one member's next latent ...
    assert all(np.any(match) for match in matches)  # ... and every member takes some

    def expected_rewards():
        probs = np.stack([tf.nn.softmax(net.reward_logits(
            tf.constant(latent), tf.constant(actions), tf.constant(n))).numpy()
            for n in by_member])
        return probs[..., 2] - probs[..., 0]

    expected = expected_rewards()
    _, plain, _ = model.imagine(latent, actions, mean_reward=True)
    np.testing.assert_allclose(plain, expected.mean(0), atol=1e-5)
    model.disagreement_penalty = 2.0
    _, penalized, _ = model.imagine(latent, actions, mean_reward=True)
    np.testing.assert_allclose(penalized, expected.mean(0) - 2.0 * expected.std(0), atol=1e-5)
    # Training moves every member (each unrolls its own chain), not only the first.
    frames = np.random.default_rng(1).integers(0, 256, (4, 7, 52, 40, 1), dtype=np.uint8)
    batch = {"frames": tf.constant(frames), "actions": tf.zeros((4, 3), tf.int32),
             "rewards": tf.constant([[0, 1, 0]] * 4, tf.int32),
             "dones": tf.zeros((4, 3), tf.float32)}
    before = [v.numpy().copy() for v in net.transition_m2_0.variables]
    assert np.isfinite(model.train_step(batch)["loss"])
    assert not np.allclose(before[0], net.transition_m2_0.variables[0].numpy())


def test_intrinsic_reward_is_the_members_disagreement_about_the_next_latent(pong_arrays):
    hp = hparams.resolve("latent_dynamics_tiny", "transition_ensemble=3")
    model = LatentWorldModel(hp, 6, FRAME)
    with pytest.raises(ValueError, match="ensemble"):
        LatentImaginationEnv(LatentWorldModel(hparams.get("latent_dynamics_tiny"), 6, FRAME),
                             pong_arrays, 4, 3, intrinsic_weight=1.0)
    env = LatentImaginationEnv(model, pong_arrays, num_envs=8, rollout_length=3, seed=1,
                               intrinsic_weight=2.0, extrinsic_weight=0.5)
    obs, _ = env.reset(seed=0)
    actions = np.arange(8) % 6
    by_member = np.stack([model.network.transition(tf.constant(obs), tf.constant(actions),
                                                   m).numpy() for m in range(3)])
    disagreement = by_member.var(0).mean(-1)
    assert disagreement.min() > 0
    _, reward, _, _, info = env.step(actions)
    np.testing.assert_allclose(info["disagreement"], disagreement, rtol=1e-4, atol=1e-8)
    # The game's reward stays in raw_reward; PPO's reward weighs both, the disagreement
    # in units of its mean over the data's own steps.
    windows = env.starts.windows
    taken = pong_arrays["action"][windows + 3]
    data = model.imagine(env.latents, taken, with_disagreement=True)[3]
    assert env.data_disagreement == pytest.approx(data.mean(), rel=1e-4)
    np.testing.assert_allclose(
        reward, 0.5 * info["raw_reward"] + 2.0 * disagreement / data.mean(), rtol=1e-4)


def test_action_starts_come_from_windows_where_held_actions_differ(pong_arrays):
    model = LatentWorldModel(hparams.get("latent_dynamics_tiny"), 6, FRAME)
    env = LatentImaginationEnv(model, pong_arrays, num_envs=64, rollout_length=3, seed=2,
                               action_start_fraction=1.0, action_start_sample=200,
                               action_start_top=0.1)
    pool = env.action_starts
    assert 0 < len(pool) <= 20
    assert len(env.action_start_rated) == 200
    spread = held_action_spread(model, env.latents[pool], 3)
    left_out = np.setdiff1d(env.action_start_rated, pool)
    assert spread.min() >= held_action_spread(model, env.latents[left_out], 3).max() - 1e-6
    env.reset(seed=5)
    drawn = np.flatnonzero(np.isin(env.start_indices, env.starts.windows[pool]))
    assert set(drawn) == set(range(1, 64))  # all but sub-env 0, which starts a game


def test_held_action_totals_match_holding_each_action_alone(pong_arrays):
    """Batching every action of several latents in one call (and splitting them over
    batches) gives each (latent, action) the sums of holding that action alone."""
    model = LatentWorldModel(hparams.get("latent_dynamics_tiny"), 6, FRAME)
    latents = model.encode(pong_arrays["frame"][np.arange(0, 50, 10)[:, None] + np.arange(4)])
    expected, likeliest = held_action_totals(model, latents, 3, batch=2)
    assert expected.shape == likeliest.shape == (5, 6)
    assert np.ptp(expected, axis=1).min() > 0  # actions differ, so a swapped column shows
    for action in range(6):
        latent, total, total_likeliest = latents, 0.0, 0.0
        for _ in range(3):
            latent, reward, _ = model.imagine(latent, np.full(5, action), mean_reward=True)
            total, total_likeliest = total + reward, total_likeliest + np.round(reward)
        np.testing.assert_allclose(expected[:, action], total, atol=1e-5)
        np.testing.assert_array_equal(likeliest[:, action], total_likeliest)
    np.testing.assert_allclose(held_action_spread(model, latents, 3),
                               expected.max(1) - expected.min(1), atol=1e-6)


def test_ppo_collects_in_imagination_and_bootstraps(pong_arrays):
    """A rollout of exactly the rollout length: every step's next value is the value of
    the step's own next latent, the last one from info['final_obs'] (truncation)."""
    model = LatentWorldModel(hparams.get("latent_dynamics_tiny"), 6, FRAME)
    hp = hparams.resolve("ppo_latent", "num_agents=4,epoch_length=3,mlp_hidden_sizes=[16,16]")
    env = LatentImaginationEnv(model, pong_arrays, num_envs=4, rollout_length=3)
    network = policies.make_policy_network(hp, env.single_observation_space,
                                           env.single_action_space)
    learner = ppo.PPOLearner(network, hp)
    collector = rollout.RolloutCollector(env, learner, seed=0)
    batch = collector.collect(3, hp)
    assert batch["observations"].shape == (12, model.hparams.latent_size)
    assert len(collector.episodes.pop_finished()) == 4  # each sub-env ended one rollout
    metrics = learner.update(batch, np.random.default_rng(0))
    assert np.isfinite(metrics["loss"])


@pytest.mark.parametrize("wm_set", ["latent_dynamics_tiny", "latent_dynamics_spatial_tiny"])
def test_exported_latent_policy_acts_from_raw_frames(tmp_path, pong_arrays, wm_set):
    model = LatentWorldModel(hparams.get(wm_set), 6, FRAME)
    hp = hparams.resolve("ppo_latent", "mlp_hidden_sizes=[16,16]")
    latent_space = gym.spaces.Box(-1.0, 1.0, (model.latent_size,), np.float32)
    network = policies.make_policy_network(hp, latent_space, gym.spaces.Discrete(6))
    agent = policies.EncodedPolicy(model.network, network)
    frame_space = gym.spaces.Box(0, 255, (4,) + FRAME, np.uint8)
    saved_policy.export_policy(agent, frame_space, {"kind": "atari", "game": "pong"},
                               str(tmp_path / "policy"))
    loaded = saved_policy.LoadedPolicy(str(tmp_path / "policy"))
    stacks = pong_arrays["frame"][np.arange(0, 400, 20)[:, None] + np.arange(4)]
    in_process = network(tf.constant(model.encode(stacks))).logits.numpy()
    np.testing.assert_allclose(loaded.outputs(stacks)["logits"], in_process, atol=1e-4)
    np.testing.assert_array_equal(loaded.act(stacks, 0.0), np.argmax(in_process, -1))
    assert loaded.observation_format["game"] == "pong"


def test_motion_weights_weigh_the_pixels_that_changed():
    from models.latent_world_model import motion_weights

    frames = np.zeros((1, 3, 2, 2, 1), np.float32)  # stack 2 + 1 step
    frames[0, 1, 0, 0] = 0.5   # the newest input frame changed at (0, 0)
    frames[0, 2, 1, 1] = 0.01  # the next frame barely changed at (1, 1): not counted
    weights = motion_weights(tf.constant(frames), 2, 9.0).numpy()
    assert weights.shape == (1, 2, 2, 2, 1)
    np.testing.assert_array_equal(weights[0, 0, :, :, 0], [[10, 1], [1, 1]])
    # The following frame returned to 0 at (0, 0): a change again.
    np.testing.assert_array_equal(weights[0, 1, :, :, 0], [[10, 1], [1, 1]])
    assert np.all(motion_weights(tf.constant(frames), 2, 0.0).numpy() == 1)


def test_a_representation_loss_with_a_target_copy_is_refused():
    with pytest.raises(UserError, match="representation_loss_coef needs target_encoder_decay=0"):
        LatentWorldModel(hparams.resolve("latent_dynamics_tiny",
                                         "representation_loss_coef=1.0,target_encoder_decay=0.9"),
                         6, (52, 40, 1))


def test_real_reward_loss_trains_the_reward_head_on_real_encodings(pong_arrays):
    """With real_reward_loss_coef the reward head also learns each step's reward from the
    encodings of the real stacks: on one batch with rewards, that loss falls well below
    what the same training without it leaves."""
    starts = input_pipeline.window_starts(pong_arrays["episode"], pong_arrays["frame_number"],
                                          6)
    rewarded = input_pipeline.rewarded_sequence_starts(pong_arrays, starts, 4, 3)[:8]
    batch = {k: tf.constant(v) for k, v in input_pipeline.gather_sequences(
        pong_arrays, np.concatenate([rewarded, starts[:8]]), 4, 3).items()}
    final = {}
    for coef in (0.0, 5.0):
        seeding.seed_initialization(3)
        model = LatentWorldModel(hparams.resolve(
            "latent_dynamics_tiny", f"real_reward_loss_coef={coef},reward_loss_coef=0"),
            6, FRAME)
        for _ in range(40):
            losses = model.train_step(batch)
        assert ("real_reward_loss" in losses) == (coef > 0)  # not computed when unused
        final[coef] = model.evaluate(batch)["real_reward_loss"]
    assert final[5.0] < 0.5 * final[0.0], final


def test_done_on_life_loss_teaches_the_episode_end_head_the_lost_lives():
    """With done_on_life_loss the episode-end loss counts a lost life as an end; without,
    the same batch's lost lives are no ends."""
    arrays = {"frame": np.zeros((12,) + FRAME, np.uint8), "action": np.zeros(12, np.int32),
              "reward": np.zeros(12, np.int32), "done": np.zeros(12, np.int32),
              "lives": np.array([3, 3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1])}
    batch = {k: tf.constant(v) for k, v in input_pipeline.gather_sequences(
        arrays, np.array([0, 5]), 4, 3).items()}
    ends = {}
    for flag in (False, True):
        model = LatentWorldModel(hparams.resolve("latent_dynamics_tiny",
                                                 f"done_on_life_loss={flag}"), 6, FRAME)
        ends[flag] = model._episode_ends(batch).numpy().tolist()
    assert ends[False] == [[0, 0, 0], [0, 0, 0]]
    assert ends[True] == [[0, 1, 0], [1, 0, 0]]


@pytest.mark.parametrize("sample", [False, True])
def test_imagined_episode_ends_follow_the_head(sample):
    """Imagined ends: where the episode-end head's probability is above 0.5, or with
    sample_episode_ends drawn at that probability, so a head that rates an end at 0.3
    ends about 30% of such steps instead of none."""
    model = LatentWorldModel(hparams.resolve("latent_dynamics_tiny",
                                             f"sample_episode_ends={sample}"), 6, FRAME)
    last = model.network.done_head[-1]
    kernel, bias = last.get_weights()
    last.set_weights([np.zeros_like(kernel), np.full_like(bias, np.log(0.3 / 0.7))])
    latent = np.zeros((4000, model.latent_size), np.float32)
    _, _, ends = model.imagine(latent, np.zeros(4000, np.int64))
    assert ends.dtype == bool
    if sample:
        assert 0.27 < ends.mean() < 0.33, ends.mean()
    else:
        assert not ends.any()


def test_consecutive_window_pairs_link_only_adjacent_windows():
    windows = np.array([0, 1, 2, 5, 6, 9])
    np.testing.assert_array_equal(policy_transfer.consecutive_window_pairs(windows), [0, 1, 3])


def test_policy_transfer_teaches_the_real_encodings_the_imagined_choices(pong_arrays):
    """After transfer steps the policy's action distribution on the real encodings of
    consecutive windows is closer to its distribution on the latents imagined one step
    from the window before, along the data's action; the value tower is left alone."""
    model = LatentWorldModel(hparams.get("latent_dynamics_tiny"), 6, FRAME)
    hp = hparams.resolve("ppo_latent", "mlp_hidden_sizes=[16,16]")
    env = LatentImaginationEnv(model, pong_arrays, num_envs=4, rollout_length=3)
    network = policies.make_policy_network(hp, env.single_observation_space,
                                           env.single_action_space)
    transfer = policy_transfer.PolicyTransfer(env, network, pong_arrays["action"],
                                              learning_rate=3e-3, batch_size=64, seed=0)
    pairs = transfer.pairs[:64]
    windows = env.starts.windows
    assert np.all(windows[pairs + 1] == windows[pairs] + 1)
    # Sharpen the untrained policy so that the two inputs disagree measurably.
    for variable in network.heads.policy.trainable_variables:
        variable.assign(variable * 50.0)
    imagined, _, _ = model.imagine(env.latents[pairs], transfer.actions[:64])

    def gap():
        teacher = tf.nn.softmax(network(tf.constant(imagined)).logits)
        student = tf.nn.log_softmax(network(tf.constant(env.latents[pairs + 1])).logits)
        return float(tf.reduce_mean(tf.reduce_sum(
            teacher * (tf.math.log(teacher + 1e-8) - student), -1)))

    value_weights = [v.numpy().copy() for v in network.value_layers[0].trainable_variables]
    before = gap()
    for _ in range(30):
        transfer.step()
    assert gap() < 0.5 * before
    for old, new in zip(value_weights, network.value_layers[0].trainable_variables):
        np.testing.assert_array_equal(old, new.numpy())
