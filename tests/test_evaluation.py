"""Evaluating several settings in lockstep (the loop's evaluation at each temperature and
no-op setting) gives every setting exactly what its own evaluation would."""

import dataclasses

import numpy as np
import pytest

from problems import atari
from rl import evaluation


def policy(observations, temperatures):
    """Deterministic in each row's frames and temperature, so both ways must agree."""
    flat = observations.reshape(len(observations), -1).astype(np.int64)
    return (flat[:, ::4099].sum(axis=1) + 3 * (temperatures > 0)) % 6


@pytest.mark.slow  # whole real episodes
def test_settings_in_lockstep_match_separate_evaluations():
    base = atari.AtariConfig(game="pong", grayscale=True, resize_height_factor=4,
                             resize_width_factor=4)
    settings = [(dataclasses.replace(base, max_num_noops=8), 0.0),
                (dataclasses.replace(base, max_num_noops=0), 1.0)]
    calls = []

    def recording_policy(observations, temperatures):
        calls.append(temperatures.copy())
        return policy(observations, temperatures)

    together = evaluation.evaluate_settings(recording_policy, settings, num_episodes=3,
                                            num_envs=2, seed=5)
    # One call per lockstep step, each setting's rows with its own temperature.
    np.testing.assert_array_equal(calls[0], [0.0, 0.0, 1.0, 1.0])
    for (config, temperature), result in zip(settings, together):
        alone = evaluation.evaluate(
            lambda obs, t=temperature: policy(obs, np.full(len(obs), t)), config, 3,
            num_envs=2, seed=5)
        assert result == alone
        assert result["episodes"] == 3 and result["steps"] > 0
    assert len(calls) == max(result["steps"] for result in together) // 2


def test_action_shares_and_entropy_show_a_collapsed_policy():
    config = atari.AtariConfig(game="pong", grayscale=True, resize_height_factor=4,
                               resize_width_factor=4, max_num_noops=0)
    always = evaluation.evaluate(lambda obs: np.full(len(obs), 2), config, 1, num_envs=1)
    assert always["action_shares"] == [0, 0, 1, 0, 0, 0] and always["action_entropy"] == 0
    mixed = evaluation.evaluate(lambda obs: np.arange(len(obs)) % 2 + 2 * (obs.sum() % 2),
                                config, 2, num_envs=2)
    assert 0 < mixed["action_entropy"] <= np.log(6)
    assert abs(sum(mixed["action_shares"]) - 1) < 1e-9


@pytest.mark.slow  # whole real episodes
def test_constant_action_baselines_are_measured_once_and_cached(tmp_path, monkeypatch):
    from rl import baselines

    monkeypatch.setenv(baselines.CACHE_ENV, str(tmp_path / "cache.json"))
    config = atari.AtariConfig(game="freeway", grayscale=True, resize_height_factor=4,
                               resize_width_factor=4, max_num_noops=0)
    returns = baselines.constant_action_returns(config, 1, num_envs=1)
    # Freeway: NOOP and DOWN never cross; always UP crosses about 21 times.
    assert returns[0] == 0 and returns[2] == 0 and 18 <= returns[1] <= 25
    found = baselines.references("freeway", config, 1, num_envs=1)
    assert found == {"random": 0.0, "best constant action (1)": returns[1],
                     "model-free PPO at 100K": 2.2, "SimPLe": 16.7}

    def no_playing(*args, **kwargs):
        raise AssertionError("played again instead of reading the cache")
    monkeypatch.setattr(evaluation, "evaluate", no_playing)
    assert baselines.constant_action_returns(config, 1, num_envs=1) == returns
    assert "best constant action (1)" in baselines.reference_line(found)


def test_human_normalized_scores_put_random_play_at_0_and_humans_at_1():
    from rl import anchors
    assert anchors.human_normalized("pong", -20.7) == pytest.approx(0.0)
    assert anchors.human_normalized("kung_fu_master", 22736.3) == pytest.approx(1.0)
    # Crazy Climber's policy that stops at the wall scores below random play.
    assert anchors.human_normalized("crazy_climber", 3400.0) == pytest.approx(-0.2946, abs=1e-4)
    assert anchors.human_normalized("a_game_without_figures", 10.0) is None
    assert set(anchors.HUMAN) == set(anchors.SCORES_100K)
