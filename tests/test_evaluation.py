"""Evaluating several settings in lockstep (the loop's evaluation at each temperature and
no-op setting) gives every setting exactly what its own evaluation would."""

import dataclasses

import numpy as np

from problems import atari
from rl import evaluation


def policy(observations, temperatures):
    """Deterministic in each row's frames and temperature, so both ways must agree."""
    flat = observations.reshape(len(observations), -1).astype(np.int64)
    return (flat[:, ::4099].sum(axis=1) + 3 * (temperatures > 0)) % 6


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
