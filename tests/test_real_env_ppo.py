"""PPO updates on a real collection (the original's train_agent_real_env), and where the
loop's simulated rollouts start."""

import gymnasium as gym
import numpy as np
import pytest

import hparams
from models import policies
from problems import dataset_files
from rl import datagen, ppo, real_env_ppo, simulated_env


def mean_per_frame(frames):
    """A tiny stand-in for the latent encoder: each frame's mean brightness."""
    return frames.reshape(frames.shape[:2] + (-1,)).mean(-1).astype(np.float32) / 255.0


def test_a_collection_trains_the_policy_on_what_it_collects(tmp_path):
    env_hparams = hparams.resolve(
        "atari_simple", "num_envs=4,resize_height_factor=4,resize_width_factor=4,"
        "grayscale=True")
    ppo_hparams = hparams.get("ppo_latent")
    ppo_hparams.mlp_hidden_sizes = [16]
    network = policies.make_policy_network(ppo_hparams, gym.spaces.Box(0, 1, (4,), np.float32),
                                           gym.spaces.Discrete(6))
    learner = ppo.PPOLearner(network, ppo_hparams)
    before = [v.numpy().copy() for v in network.trainable_variables]
    learning_rate = float(learner.optimizer.learning_rate.numpy())
    updates = real_env_ppo.real_updates(ppo_hparams, 4, total_epoch_length=120,
                                        learning_rate=1e-3)
    assert updates.epoch_length == 30 and updates.hparams.num_agents == 4
    learning = real_env_ppo.RealEnvPPO(learner, updates, encode=mean_per_frame, seed=0)
    datagen.generate(str(tmp_path), "pong", 100, env_hparams, policy=learning.act,
                     num_envs=4, on_step=learning.observe)
    # 25 steps per env: no update (one needs 30).
    assert learning.metrics == []
    learning = real_env_ppo.RealEnvPPO(learner, updates, encode=mean_per_frame, seed=0)
    stats = datagen.generate(str(tmp_path), "pong", 240, env_hparams, policy=learning.act,
                             num_envs=4, on_step=learning.observe)
    # 60 steps per env: two updates, each a whole PPO update of the learner.
    assert len(learning.metrics) == 2
    assert {"policy_loss", "value_loss", "approx_kl"} <= set(learning.metrics[0])
    after = [v.numpy() for v in network.trainable_variables]
    assert any(not np.allclose(a, b) for a, b in zip(before, after))
    # The learner's own learning rate is back after the updates at the real one.
    assert float(learner.optimizer.learning_rate.numpy()) == learning_rate
    # Every collected step is in the dataset as with any other policy.
    assert stats["frames"] - stats["episodes"] == 240
    assert dataset_files.list_epochs(str(tmp_path), "gym_pong_random") == [0, 1]


def test_simulated_rollouts_start_from_the_latest_collection_unless_told():
    arrays = {"epoch": np.array([0, 0, 1, 1, 2, 2, 2]), "frame": np.arange(7)}
    latest = simulated_env.start_arrays(arrays, all_epochs=False)
    assert latest["frame"].tolist() == [4, 5, 6]
    assert simulated_env.start_arrays(arrays, all_epochs=True)["frame"].tolist() == list(range(7))


def test_loop_sets_train_on_real_collections_as_the_original():
    final = hparams.get("rlmb_base")
    assert final.train_agent_real_env and not final.simulated_starts_all_epochs
    assert (final.real_ppo_epoch_length, final.real_ppo_learning_rate) == (3200, 1e-4)
    assert hparams.get("rlmb_latent").train_agent_real_env
    early = hparams.get("rl_modelrl_base")
    assert not early.train_agent_real_env and early.simulated_starts_all_epochs


def test_held_random_actions_replace_the_policy_for_runs_of_one_action():
    from rl.collect import HeldRandomActions
    explore = HeldRandomActions(num_actions=6, probability=0.02, mean_hold=16, seed=0)
    policy_actions = np.full(64, 7)  # an action the random draws never give
    taken, replaced = zip(*(explore(policy_actions) for _ in range(2000)))
    taken, replaced = np.array(taken), np.array(replaced)
    assert (taken[~replaced] == 7).all() and (taken[replaced] < 6).all()
    # In a hold 1/(1+p*H) of the time as a steady state: p*H/(1+p*H) = 0.24 here.
    assert 0.20 < replaced.mean() < 0.28
    # A hold keeps its action: consecutive replaced steps of a sub-env mostly agree
    # (a new hold may start right after one ends, with a fresh draw).
    both = replaced[1:] & replaced[:-1]
    assert (taken[1:][both] == taken[:-1][both]).mean() > 0.9
    never = HeldRandomActions(num_actions=6, probability=0.0, mean_hold=16, seed=0)
    assert not any(never(policy_actions)[1].any() for _ in range(100))


def test_held_random_actions_can_wait_for_a_sub_env_to_stop_scoring():
    from rl.collect import HeldRandomActions
    explore = HeldRandomActions(num_actions=6, probability=1.0, mean_hold=4, seed=0,
                                after_unrewarded_steps=10)
    scoring = np.array([1.0, 0.0, 0.0])  # sub-env 0 scores at every step
    replaced_by_step = []
    for step in range(30):
        _, replaced = explore(np.full(3, 7))
        replaced_by_step.append(replaced)
        # Sub-env 2's episode ends at step 14, which restarts its count.
        explore.observe(scoring, np.array([False, False, step == 14]))
    replaced_by_step = np.array(replaced_by_step)
    assert not replaced_by_step[:, 0].any()
    # Unrewarded from the start: eligible once 10 steps have been observed, and with
    # probability 1 holding from then on.
    assert not replaced_by_step[:10, 1].any() and replaced_by_step[10:, 1].all()
    assert not replaced_by_step[:10, 2].any() and replaced_by_step[10:15, 2].any()
    # After its new episode began at step 15, sub-env 2 finishes the hold it was in,
    # starts none before 10 more unrewarded steps, and holds from step 25 on.
    waiting = replaced_by_step[15:25, 2]
    assert not (waiting[1:] & ~waiting[:-1]).any()
    assert not waiting[-1] and replaced_by_step[25:, 2].all()
    assert explore.replaced_share == replaced_by_step.mean()
    with pytest.raises(ValueError):
        HeldRandomActions(6, 0.1, 4, seed=0, after_unrewarded_steps=-1)


def test_a_replaced_action_is_learned_from_with_the_policys_own_log_probability():
    from rl.collect import HeldRandomActions
    ppo_hparams = hparams.get("ppo_latent")
    ppo_hparams.mlp_hidden_sizes = [16]
    network = policies.make_policy_network(ppo_hparams, gym.spaces.Box(0, 1, (4,), np.float32),
                                           gym.spaces.Discrete(6))
    learner = ppo.PPOLearner(network, ppo_hparams)
    updates = real_env_ppo.real_updates(ppo_hparams, 8, total_epoch_length=800,
                                        learning_rate=1e-3)
    explore = HeldRandomActions(6, probability=1.0, mean_hold=4, seed=0)
    learning = real_env_ppo.RealEnvPPO(learner, updates, temperature=0.0,
                                       encode=mean_per_frame, seed=0, explore=explore)
    frames = np.random.default_rng(0).integers(0, 255, (8, 4, 13, 10, 1), np.uint8)
    greedy = learner.act(mean_per_frame(frames), 0.0)[0]
    seen = []
    for _ in range(5):
        actions = learning.act(frames)
        observations, recorded, log_probs, _ = learning._pending
        assert (recorded == actions).all()
        np.testing.assert_allclose(log_probs, learner.log_probs(observations, actions),
                                   rtol=1e-5, atol=1e-6)
        seen.append(actions)
    # Every step replaced: the greedy actions are not what is played throughout.
    assert any((a != greedy).any() for a in seen)


def test_imagined_rollouts_can_hold_random_actions_learned_with_the_policys_log_probability():
    """RolloutCollector's explore: PPO's batch holds the actions taken, each with the
    policy's own log-probability of it."""
    from rl import rollout
    from rl.collect import HeldRandomActions
    ppo_hparams = hparams.get("ppo_latent")
    ppo_hparams.mlp_hidden_sizes = [16]
    env = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1") for _ in range(4)])
    network = policies.make_policy_network(ppo_hparams, env.single_observation_space,
                                           env.single_action_space)
    learner = ppo.PPOLearner(network, ppo_hparams)
    explore = HeldRandomActions(2, probability=1.0, mean_hold=1000, seed=0)
    collector = rollout.RolloutCollector(env, learner, seed=0, explore=explore)
    batch = collector.collect(20, ppo_hparams, temperature=1.0)
    held = explore._held
    # Every step replaced, and each sub-env's hold outlasts the rollout.
    actions = np.asarray(batch["actions"]).reshape(20, 4)
    assert (actions == held[None, :]).all()
    np.testing.assert_allclose(
        batch["log_probs"], learner.log_probs(np.asarray(batch["observations"]),
                                              np.asarray(batch["actions"])),
        rtol=1e-5, atol=1e-6)
    # As importance weights: the held action's probability while held, 1.
    weighted = rollout.RolloutCollector(
        env, learner, seed=0, explore=HeldRandomActions(2, 1.0, 1000, seed=0),
        explore_log_prob="hold").collect(5, ppo_hparams)
    np.testing.assert_allclose(weighted["log_probs"], 0.0)
    with pytest.raises(ValueError):
        rollout.RolloutCollector(env, learner, explore_log_prob="behaviour")
    env.close()
