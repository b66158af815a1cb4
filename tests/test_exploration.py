"""rl/exploration.py: which policy plays which sub-env of a collection, and what the task
policy's learning sees."""

import numpy as np
import pytest

from rl import exploration


def test_split_actor_hands_the_exploring_envs_over_at_their_steps():
    seen = []
    actor = exploration.SplitActor(
        task_act=lambda obs: np.full(len(obs), 1), lead_act=lambda obs: np.full(len(obs), 2),
        explore_act=lambda obs: np.full(len(obs), 3), task_envs=2, handoff=[0, 2],
        task_observe=lambda *step: seen.append(step))
    frames = np.zeros((4, 4, 2, 2, 1), np.uint8)
    played = [actor.act(frames) for _ in range(3)]
    np.testing.assert_array_equal(played, [[1, 1, 3, 2], [1, 1, 3, 2], [1, 1, 3, 3]])
    assert actor.explored_steps == 4
    final = np.arange(4)[:, None] * np.ones((4, 3))
    actor.observe(frames, np.arange(4.0), np.zeros(4, bool), np.array([0, 1, 0, 1], bool),
                  {"final_obs": final, "lives": np.arange(4), "scalar": 7})
    next_frames, rewards, terminated, truncated, info = seen[0]
    # Only the task policy's sub-envs reach its learning, their info cut alike.
    assert len(next_frames) == 2
    np.testing.assert_array_equal(rewards, [0.0, 1.0])
    np.testing.assert_array_equal(truncated, [False, True])
    np.testing.assert_array_equal(info["final_obs"], final[:2])
    np.testing.assert_array_equal(info["lives"], [0, 1])
    assert info["scalar"] == 7
    with pytest.raises(ValueError, match="expected 2 task and 2 exploring"):
        actor.act(frames[:3])


@pytest.mark.parametrize("envs,share,expected", [(16, 0.0, 0), (16, 0.25, 4), (16, 0.01, 1),
                                                 (4, 1.0, 3), (1, 0.5, 0)])
def test_explore_envs_leave_the_task_policy_one(envs, share, expected):
    assert exploration.explore_envs(envs, share) == expected
