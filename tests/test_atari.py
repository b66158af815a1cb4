"""The SimPLe observation pipeline on real ALE games."""

import ale_py
import cv2
import numpy as np
import pytest
from ale_py import roms

import hparams
from hparams import UserError
from problems import atari
from problems.registry import resolve_problem


def make_env(game, num_envs=2, seed=0, overrides=""):
    config = atari.AtariConfig.from_hparams(game, hparams.resolve("atari_simple", overrides))
    return atari.AtariEnv(config, num_envs, seed=seed)


def reference_frames(game, actions, height, width):
    """What the pipeline should show, computed here from raw 210x160 ALE frames: repeat
    each action 4 times, take the max of the last two raw frames, resize with INTER_AREA."""
    ale = ale_py.ALEInterface()
    ale.setInt("random_seed", 0)
    ale.setFloat("repeat_action_probability", 0.0)
    ale.setInt("frame_skip", 1)
    ale.loadROM(roms.get_rom_path(game))
    ale.reset_game()
    action_set = ale.getMinimalActionSet()
    frames, rewards = [], []
    for action in actions:
        raw, reward = [], 0
        for _ in range(4):
            reward += ale.act(action_set[action])
            raw.append(ale.getScreenRGB())
        pooled = np.maximum(raw[-2], raw[-1])
        frames.append(cv2.resize(pooled, (width, height), interpolation=cv2.INTER_AREA))
        rewards.append(reward)
    return frames, rewards


@pytest.mark.parametrize("game", ["pong", "freeway"])
def test_frames_match_reference_from_raw_ale(game):
    env = make_env(game, num_envs=1, overrides="max_num_noops=0")
    obs, _ = env.reset(seed=0)
    rng = np.random.default_rng(0)
    actions = rng.integers(0, env.single_action_space.n, size=120)
    expected, expected_rewards = reference_frames(game, actions, 105, 80)
    for t, action in enumerate(actions):
        obs, _, _, _, info = env.step(np.array([action]))
        np.testing.assert_array_equal(obs[0, -1], expected[t], err_msg=f"step {t}")
        assert info["raw_reward"][0] == expected_rewards[t]
        # The stack holds the previous frames, oldest first.
        if t >= 1:
            np.testing.assert_array_equal(obs[0, -2], expected[t - 1])
    env.close()


@pytest.mark.parametrize("game", ["pong", "freeway"])
def test_shapes_dtypes_and_clipped_rewards(game):
    env = make_env(game, num_envs=3)
    obs, _ = env.reset()
    assert obs.shape == (3, 4, 105, 80, 3) and obs.dtype == np.uint8
    assert env.single_observation_space.shape == (4, 105, 80, 3)
    for _ in range(50):
        obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
        assert obs.shape == (3, 4, 105, 80, 3)
        assert set(np.unique(reward)) <= {-1.0, 0.0, 1.0}
        np.testing.assert_array_equal(reward, atari.clip_reward(info["raw_reward"]))
    env.close()


def test_grayscale_and_explicit_size_keep_a_channel_axis():
    config = atari.AtariConfig.from_hparams("pong", hparams.get("atari_nature"))
    env = atari.AtariEnv(config, 2, seed=0)
    obs, _ = env.reset()
    assert obs.shape == (2, 4, 84, 84, 1)
    obs, *_ = env.step(np.zeros(2, np.int32))
    assert obs.shape == (2, 4, 84, 84, 1)
    env.close()


def test_raw_rewards_above_one_are_clipped_for_learning():
    # Ms. Pac-Man scores 10 per pellet, so random play soon sees raw rewards above 1.
    env = make_env("ms_pacman", num_envs=4)
    env.reset()
    seen = False
    for _ in range(200):
        _, reward, _, _, info = env.step(env.action_space.sample())
        big = info["raw_reward"] > 1
        if big.any():
            seen = True
            assert np.all(reward[big] == 1.0)
    assert seen, "no raw reward above 1 in 800 steps of Ms. Pac-Man"
    env.close()


def test_clip_reward_hand_values():
    raw = np.array([-7.0, -1.0, -0.6, -0.4, 0.0, 0.4, 0.6, 1.0, 10.0])
    np.testing.assert_array_equal(atari.clip_reward(raw), [-1, -1, -1, 0, 0, 0, 1, 1, 1])


def test_noop_resets_vary_and_follow_the_seed():
    env = make_env("pong", num_envs=8, overrides="max_num_noops=8")
    _, info = env.reset(seed=5)
    noops = info["episode_frame_number"]
    assert np.all((noops >= 0) & (noops <= 8))
    assert len(set(noops.tolist())) > 1, "all 8 envs started after the same no-ops"
    _, again = env.reset(seed=5)
    np.testing.assert_array_equal(again["episode_frame_number"], noops)
    env.close()
    without = make_env("pong", num_envs=4, overrides="max_num_noops=0")
    _, info = without.reset(seed=5)
    assert np.all(info["episode_frame_number"] == 0)
    without.close()


def test_episode_end_returns_final_obs_and_resets():
    env = make_env("pong", num_envs=2, seed=0)
    env.reset()
    for _ in range(3000):
        obs, _, terminated, truncated, info = env.step(env.action_space.sample())
        done = terminated | truncated
        if done.any():
            i = int(np.argmax(done))
            assert info["final_obs"].shape == obs.shape
            # The new episode's stack starts empty (zeros) except for its first frame.
            assert obs[i, 0].max() == 0
            break
    else:
        pytest.fail("no Pong episode ended within 3000 random steps")
    env.close()


def test_unknown_game_names_close_matches():
    with pytest.raises(UserError, match=r"unknown Atari game 'pongg'.*pong"):
        atari.check_game("pongg")
    with pytest.raises(UserError, match=r"MsPacman.*ms_pacman"):
        atari.AtariConfig.from_hparams("MsPacman", hparams.get("atari_simple"))


def test_named_problems():
    assert resolve_problem("gym_pong_random").game == "pong"
    assert resolve_problem("stacked_kung_fu_master").game == "kung_fu_master"
    assert resolve_problem("CartPole-v1").gym_id == "CartPole-v1"
    assert resolve_problem("Pendulum-v0").gym_id == "Pendulum-v1"
    with pytest.raises(UserError, match=r"unknown problem 'CartPol-v1'.*CartPole-v1"):
        resolve_problem("CartPol-v1")
