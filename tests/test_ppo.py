"""PPO pieces against hand-computed values, and a fixed-seed check that it learns."""

import math
import os

import gymnasium as gym
import numpy as np
import pytest
import tensorflow as tf

import hparams
from models import policies
from models.policies import PolicyOutput
from rl import model_free, ppo

GAMMA, LAM = 0.9, 0.8
REWARDS = np.ones((3, 1))
VALUES = np.array([[0.5], [0.4], [0.3]])


def run_gae(next_values, terminated, dones):
    return ppo.gae(REWARDS, VALUES, np.array(next_values)[:, None],
                   np.array(terminated)[:, None], np.array(dones)[:, None], GAMMA, LAM)


def test_gae_without_episode_end():
    advantages, returns = run_gae([0.4, 0.3, 0.2], [0, 0, 0], [0, 0, 0])
    # deltas: 1 + 0.9 * next - v = 0.86, 0.87, 0.88; A_t = delta_t + 0.72 * A_{t+1}.
    np.testing.assert_allclose(advantages[:, 0], [1.942592, 1.5036, 0.88], rtol=1e-6)
    np.testing.assert_allclose(returns[:, 0], [2.442592, 1.9036, 1.18], rtol=1e-6)


def test_gae_termination_cuts_bootstrap_and_flow():
    # The episode really ends at t=1: its next value (5.0 here) must not be used.
    advantages, _ = run_gae([0.4, 5.0, 0.2], [0, 1, 0], [0, 1, 0])
    np.testing.assert_allclose(advantages[:, 0], [0.86 + 0.72 * 0.6, 0.6, 0.88], rtol=1e-6)


def test_gae_truncation_bootstraps_from_final_observation():
    # A time limit at t=1 with V(final obs) = 2.0: bootstrap from it, but do not let the
    # next episode's advantage flow back.
    advantages, _ = run_gae([0.4, 2.0, 0.2], [0, 0, 0], [0, 1, 0])
    np.testing.assert_allclose(advantages[:, 0], [0.86 + 0.72 * 2.4, 2.4, 0.88], rtol=1e-6)


def test_gae_handles_several_envs_independently():
    rewards = np.array([[1.0, 0.0], [0.0, 1.0]])
    values = np.zeros((2, 2))
    next_values = np.zeros((2, 2))
    advantages, _ = ppo.gae(rewards, values, next_values, np.zeros((2, 2)), np.zeros((2, 2)),
                            0.5, 1.0)
    np.testing.assert_allclose(advantages, [[1.0, 0.5], [0.0, 1.0]])


def test_clipped_loss_on_hand_built_batch():
    output = PolicyOutput(logits=tf.zeros((2, 2)), mean=None, log_std=None,
                          value=tf.constant([0.5, 1.0]))
    actions = tf.constant([0, 1])
    # New log-prob of each action is log 0.5; choose old ones so ratios are 1.5 and 0.5.
    old = tf.constant([math.log(0.5) - math.log(1.5), 0.0])
    advantages = tf.constant([1.0, -1.0])
    returns = tf.constant([1.5, 0.0])
    total, m = ppo.ppo_loss(output, actions, old, advantages, returns, clipping_coef=0.2,
                            value_loss_coef=0.5, entropy_loss_coef=0.01)
    # Sample 1: min(1.5 * 1, 1.2 * 1) = 1.2; sample 2: min(0.5 * -1, 0.8 * -1) = -0.8.
    assert float(m["policy_loss"]) == pytest.approx(-0.2, abs=1e-6)
    assert float(m["value_loss"]) == pytest.approx(0.5, abs=1e-6)
    assert float(m["entropy"]) == pytest.approx(math.log(2), abs=1e-6)
    assert float(m["clip_fraction"]) == pytest.approx(1.0)
    kl = ((0.5 - math.log(1.5)) + (-0.5 - math.log(0.5))) / 2
    assert float(m["approx_kl"]) == pytest.approx(kl, abs=1e-6)
    assert float(total) == pytest.approx(-0.2 + 0.5 * 0.5 - 0.01 * math.log(2), abs=1e-6)


def test_value_clipping_takes_the_larger_error():
    """Values 0.5 and 1.0 were 0.0 and 1.2 at rollout time; clipping at 0.1 moves them only
    to 0.1 and 1.1, whose errors against returns 1.5 and 0.0 are 1.4 and 1.1 (larger than
    the plain 1.0 and 1.0), so the loss is 0.5 * mean(1.96, 1.21)."""
    output = PolicyOutput(logits=tf.zeros((2, 2)), mean=None, log_std=None,
                          value=tf.constant([0.5, 1.0]))
    args = (output, tf.constant([0, 1]), tf.constant([math.log(0.5)] * 2),
            tf.constant([1.0, -1.0]), tf.constant([1.5, 0.0]), 0.2, 0.5, 0.0)
    old_values = tf.constant([0.0, 1.2])
    _, plain = ppo.ppo_loss(*args, old_values=old_values, value_clipping_coef=0.0)
    _, clipped = ppo.ppo_loss(*args, old_values=old_values, value_clipping_coef=0.1)
    _, loose = ppo.ppo_loss(*args, old_values=old_values, value_clipping_coef=10.0)
    assert float(plain["value_loss"]) == pytest.approx(0.5 * (1.0 + 1.0) / 2, abs=1e-6)
    assert float(clipped["value_loss"]) == pytest.approx(0.5 * (1.96 + 1.21) / 2, abs=1e-6)
    assert float(loose["value_loss"]) == pytest.approx(float(plain["value_loss"]), abs=1e-6)


def test_unclipped_ratio_gives_plain_policy_gradient_loss():
    output = PolicyOutput(logits=tf.constant([[1.0, 0.0]]), mean=None, log_std=None,
                          value=tf.constant([0.0]))
    new_log_prob = float(ppo.log_prob(output, tf.constant([0]))[0])
    _, m = ppo.ppo_loss(output, tf.constant([0]), tf.constant([new_log_prob]),
                        tf.constant([2.0]), tf.constant([0.0]), 0.2, 1.0, 0.0)
    assert float(m["policy_loss"]) == pytest.approx(-2.0, abs=1e-6)
    assert float(m["clip_fraction"]) == 0.0


def test_minibatches_cover_every_epoch_when_the_rollout_divides_evenly():
    hp = hparams.HParams(num_agents=8, optimization_batch_size=32, optimization_epochs=4)
    batches = ppo.minibatch_indices(1024, hp, np.random.default_rng(0))
    assert [len(b) for b in batches] == [256] * 16
    for epoch in range(4):
        assert sorted(np.concatenate(batches[4 * epoch:4 * epoch + 4])) == list(range(1024))


def test_minibatches_run_on_across_epochs_when_the_rollout_does_not_divide():
    # 50 samples in minibatches of 20 over 3 epochs: the original's repeated dataset gives
    # 150 // 20 = 7 steps; cutting each epoch on its own would give 6 and leave 10
    # samples of every epoch out.
    hp = hparams.HParams(num_agents=1, optimization_batch_size=20, optimization_epochs=3)
    batches = ppo.minibatch_indices(50, hp, np.random.default_rng(0))
    assert [len(b) for b in batches] == [20] * 7
    counts = np.bincount(np.concatenate(batches), minlength=50)
    assert counts.sum() == 140 and counts.min() >= 2 and counts.max() <= 3
    # The first epoch's shuffle is used whole before the second begins.
    assert sorted(np.concatenate(batches)[:50]) == list(range(50))


def test_gaussian_log_prob_entropy_and_sampling():
    output = PolicyOutput(logits=None, mean=tf.zeros((1, 2)), log_std=tf.zeros((1, 2)),
                          value=tf.zeros((1,)))
    lp = float(ppo.log_prob(output, tf.constant([[1.0, 0.0]]))[0])
    assert lp == pytest.approx(-0.5 - math.log(2 * math.pi))
    assert float(ppo.entropy(output)[0]) == pytest.approx(2 * 0.5 * (math.log(2 * math.pi) + 1))
    generator = tf.random.Generator.from_seed(0)
    np.testing.assert_array_equal(ppo.sample(output, tf.constant(0.0), generator).numpy(),
                                  [[0.0, 0.0]])


def test_categorical_sampling_temperature_zero_is_greedy():
    output = PolicyOutput(logits=tf.constant([[0.0, 3.0, 1.0]] * 50), mean=None,
                          log_std=None, value=None)
    generator = tf.random.Generator.from_seed(0)
    assert set(ppo.sample(output, tf.constant(0.0), generator).numpy()) == {1}
    assert len(set(ppo.sample(output, tf.constant(5.0), generator).numpy())) > 1


def test_sampling_takes_one_temperature_per_row():
    output = PolicyOutput(logits=tf.constant([[0.0, 3.0, 1.0]] * 100), mean=None,
                          log_std=None, value=None)
    generator = tf.random.Generator.from_seed(0)
    temperatures = tf.constant([0.0, 5.0] * 50)
    actions = np.stack([ppo.sample(output, temperatures, generator).numpy()
                        for _ in range(3)])
    assert set(actions[:, 0::2].ravel()) == {1}
    assert len(set(actions[:, 1::2].ravel())) > 1
    gaussian = PolicyOutput(logits=None, mean=tf.zeros((2, 3)), log_std=tf.zeros((2, 3)),
                            value=None)
    drawn = ppo.sample(gaussian, tf.constant([0.0, 1.0]), generator).numpy()
    assert (drawn[0] == 0).all() and (drawn[1] != 0).all()


def test_reseeded_learner_draws_the_same_actions():
    """What resuming relies on: iteration i's draws depend on (seed, i) only."""
    hp = hparams.resolve("ppo_discrete_action_base")
    space = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
    network = policies.make_policy_network(hp, space, gym.spaces.Discrete(6))
    learner = ppo.PPOLearner(network, hp)
    observations = np.zeros((64, 4), np.float32)
    learner.reseed(7)
    first = learner.act(observations)[0]
    second = learner.act(observations)[0]
    learner.reseed(7)
    np.testing.assert_array_equal(learner.act(observations)[0], first)
    assert not np.array_equal(first, second)  # the generator moves on between calls


# Also run over many seeds by benchmarks/cartpole_seeds.py, to check the test's margin.
CARTPOLE_OVERRIDES = ("num_agents=8,epoch_length=64,epochs_num=160,optimization_epochs=10,"
                      "optimization_batch_size=32,learning_rate=1e-3,anneal_learning_rate=True,"
                      "gae_gamma=0.98,gae_lambda=0.8,entropy_loss_coef=0.0")


@pytest.mark.slow
def test_cartpole_learns(tmp_path):
    """Fixed seed and budget: 82K steps, about 35 s on 2 cores.

    Training is not bit-reproducible on this CPU (with the earlier setting, seed 0 scored
    379.0 and 245.4 in two runs on the same machine), so one seed's score varies from run
    to run and machine to machine. The earlier setting
    (128 steps per env, 4 epochs, no annealing) passed here but scored 151.8 in CI. With
    these values, after the RL Zoo's CartPole PPO (gamma 0.98, lambda 0.8, annealed
    lr 1e-3, 10 epochs), ten runs here (seeds 0-7, seed 0 three times) scored 363 to 500.
    """
    hp = hparams.resolve("ppo_discrete_action_base", CARTPOLE_OVERRIDES)
    summary = model_free.train("CartPole-v1", hp, str(tmp_path), seed=0, log_every_s=1e9)
    assert summary["mean_return"] >= 195, summary


@pytest.mark.slow
def test_cartpole_criterion_fails_without_learning(tmp_path):
    """The learning test's threshold is not met by the same settings with a zero learning
    rate (a policy that never changes: about 22 for CartPole's random play)."""
    hp = hparams.resolve("ppo_discrete_action_base",
                         CARTPOLE_OVERRIDES.replace("epochs_num=160", "epochs_num=20")
                         .replace("learning_rate=1e-3", "learning_rate=0.0"))
    summary = model_free.train("CartPole-v1", hp, str(tmp_path), seed=0, log_every_s=1e9)
    assert summary["mean_return"] < 195, summary


@pytest.mark.parametrize("set_name", ["ppo_atari_base", "ppo_atari_cleanrl"])
def test_policy_checkpoint_names_every_variable(tmp_path, set_name):
    hp = hparams.get(set_name)
    shape = (4, 84, 84, 1) if hp.grayscale else (4, 105, 80, 3)
    network = policies.make_policy_network(hp, gym.spaces.Box(0, 255, shape, np.uint8),
                                           gym.spaces.Discrete(6))
    path = tf.train.Checkpoint(network=network).save(str(tmp_path / "ckpt"))
    saved = [n for n, _ in tf.train.list_variables(path) if n.startswith("network/")]
    assert len(saved) == len(network.trainable_variables)


def test_every_ppo_set_acts_and_updates_with_the_same_network():
    """PPO's update calls the network with training=True and acting with training=False;
    no set may make those differ (the ratios would start off 1 before any step)."""
    checked = 0
    for name in hparams.list_sets():
        hp = hparams.get(name)
        if "policy_network" not in hp or "num_agents" not in hp:
            continue
        if hp.policy_network == "mlp":
            obs_space, example = gym.spaces.Box(-1, 1, (8,), np.float32), \
                np.random.default_rng(0).normal(size=(4, 8)).astype(np.float32)
        else:
            shape = (hp.frame_stack_size, 210 // hp.resize_height_factor,
                     160 // hp.resize_width_factor, 1 if hp.grayscale else 3)
            if hp.frame_height:
                shape = (hp.frame_stack_size, hp.frame_height, hp.frame_width, shape[-1])
            obs_space = gym.spaces.Box(0, 255, shape, np.uint8)
            example = np.random.default_rng(0).integers(0, 255, (4,) + shape, np.uint8)
        network = policies.make_policy_network(hp, obs_space, gym.spaces.Discrete(6))
        acting = network(example, training=False).logits.numpy()
        updating = network(example, training=True).logits.numpy()
        np.testing.assert_array_equal(acting, updating, err_msg=name)
        checked += 1
    assert checked >= 10


def test_a_damaged_latest_checkpoint_falls_back_to_the_one_before(tmp_path, capsys):
    hp = hparams.resolve("ppo_discrete_action_base",
                         "num_agents=2,epoch_length=8,epochs_num=3,save_every=1")
    out = str(tmp_path / "run")
    model_free.train("CartPole-v1", hp, out, seed=0, log_every_s=1e9)
    data = os.path.join(out, "checkpoints", "ckpt-3.data-00000-of-00001")
    with open(data, "r+b") as f:
        f.truncate(os.path.getsize(data) // 2)
    capsys.readouterr()
    summary = model_free.train("CartPole-v1", hp, out, seed=0, log_every_s=1e9)
    said = capsys.readouterr().out
    assert "ckpt-3 is damaged: resuming from" in said and "ckpt-2" in said, said
    # Iteration 3 was trained again and saved whole over the damaged checkpoint.
    reader = tf.train.load_checkpoint(os.path.join(out, "checkpoints", "ckpt-3"))
    assert reader.get_tensor("iteration/.ATTRIBUTES/VARIABLE_VALUE") == 3
    assert summary["env_steps"] == 3 * 2 * 8


def test_return_range_scale_is_the_returns_spread_never_below_one():
    spread = np.linspace(0.0, 10.0, 1001)
    assert ppo.return_range_scale(spread) == pytest.approx(9.0)
    assert ppo.return_range_scale(np.full(100, 3.0)) == 1.0
    assert ppo.return_range_scale(spread * 0.01) == 1.0


def _first_policy_loss(normalization, advantages, returns):
    """The policy loss of one minibatch step on a fresh rollout (ratios all 1): minus the
    mean of the advantages as the step used them."""
    hp = hparams.resolve("ppo_discrete_action_base",
                         f"advantage_normalization={normalization},optimization_epochs=1,"
                         f"num_agents=1,optimization_batch_size={len(advantages)}")
    space = gym.spaces.Box(-1.0, 1.0, (4,), np.float32)
    learner = ppo.PPOLearner(policies.make_policy_network(hp, space, gym.spaces.Discrete(2)),
                             hp)
    observations = np.random.default_rng(0).normal(size=(len(advantages), 4)).astype(
        np.float32)
    actions, log_probs, values = learner.act(observations)
    batch = {"observations": observations, "actions": actions, "log_probs": log_probs,
             "advantages": advantages.astype(np.float32),
             "returns": returns.astype(np.float32), "values": values}
    return learner.update(batch, np.random.default_rng(0))["policy_loss"]


def test_return_range_normalization_divides_by_the_returns_spread():
    """Advantages of 0.5 everywhere: the usual normalization makes them 0 (the mean is
    subtracted), the return-range one divides them by the returns' spread (9) or by 1
    where the returns spread less than 1 (small advantages stay small)."""
    advantages = np.full(1001, 0.5)
    spread = np.linspace(0.0, 10.0, 1001)
    assert _first_policy_loss("std", advantages, spread) == pytest.approx(0.0, abs=1e-6)
    assert _first_policy_loss("return_range", advantages, spread) == pytest.approx(
        -0.5 / 9.0, rel=1e-4)
    assert _first_policy_loss("return_range", advantages, spread * 0.01) == pytest.approx(
        -0.5, rel=1e-4)
