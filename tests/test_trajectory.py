"""TFRecord round trip, windows, the train/dev split and statistics."""

import json
import os

import numpy as np
import pytest

import hparams
from hparams import UserError
from problems import atari, dataset_files, input_pipeline, trajectory
from rl import collect


class RecordingWriter:
    """Stands beside a real TrajectoryWriter and keeps what it was given, for comparison."""

    def __init__(self, inner):
        self.inner, self.chunks = inner, []

    def add_chunk(self, *args):
        self.chunks.append([np.array(a) if not np.isscalar(a) else a for a in args])
        self.inner.add_chunk(*args)


def test_frames_round_trip_identically(tmp_path):
    config = atari.AtariConfig.from_hparams("freeway", hparams.get("atari_simple"))
    env = atari.AtariEnv(config, 2, seed=0)
    writer = trajectory.TrajectoryWriter(str(tmp_path), "rt", 0, config.to_dict(),
                                         num_train_shards=2)
    recorder = RecordingWriter(writer)
    collect.collect(env, collect.random_policy(3, 0), 300, recorder, first_episode_id=0,
                    chunk_length=40)
    writer.close()
    paths = [p for split in ("train", "dev")
             for p in input_pipeline.shard_paths(str(tmp_path), "rt", split)]
    arrays = input_pipeline.read_arrays(paths, channels=3)
    # Records come back shard by shard: chunk k went to shard (k + 2) mod 3 (dev first).
    order = [c for s in range(3) for k, c in enumerate(recorder.chunks) if (k + 2) % 3 == s]
    frames = np.concatenate([c[0] for c in order])
    np.testing.assert_array_equal(arrays["frame"], frames)
    np.testing.assert_array_equal(arrays["action"], np.concatenate([c[1] for c in order]))
    np.testing.assert_array_equal(arrays["reward"], np.concatenate([c[2] for c in order]))
    np.testing.assert_array_equal(arrays["frame_number"],
                                  np.concatenate([c[5] for c in order]))
    assert arrays["frame"].dtype == np.uint8 and arrays["frame"].shape[1:] == (105, 80, 3)
    assert np.all(arrays["epoch"] == 0)
    # 300 steps on 2 envs, plus each env's current frame at the end: 302 records.
    assert len(frames) == 302


def write_episodes(data_dir, lengths, epoch=0, chunk_length=1000, num_train_shards=1):
    """Writes hand-made episodes: frame value = global index, reward 1 on every 3rd step."""
    writer = trajectory.TrajectoryWriter(data_dir, "hand", epoch, {"channels": 1},
                                         num_train_shards=num_train_shards)
    index = 0
    for episode, length in enumerate(lengths):
        for start in range(0, length, chunk_length):
            n = min(chunk_length, length - start)
            steps = np.arange(start, start + n)
            frames = ((index + np.arange(n)) % 256).astype(np.uint8).reshape(n, 1, 1, 1)
            frames = np.broadcast_to(frames, (n, 2, 2, 1)).copy()
            rewards = (steps % 3 == 0).astype(np.int32)
            dones = steps == length - 1
            rewards[dones] = 0
            writer.add_chunk(frames, np.full(n, episode % 4), rewards, rewards * 2.0, dones,
                             steps, epoch * 1000 + episode)
            index += n
    return writer.close()


def test_windows_never_cross_an_episode_end(tmp_path):
    write_episodes(str(tmp_path), [7, 3, 10, 5], num_train_shards=1)
    paths = input_pipeline.shard_paths(str(tmp_path), "hand", "train")
    paths += input_pipeline.shard_paths(str(tmp_path), "hand", "dev")
    arrays = input_pipeline.read_arrays(paths, channels=1)
    starts = input_pipeline.window_starts(arrays["episode"], arrays["frame_number"], 4)
    for s in starts:
        assert len(set(arrays["episode"][s:s + 5])) == 1
        assert list(arrays["frame_number"][s:s + 5]) == list(range(arrays["frame_number"][s],
                                                                  arrays["frame_number"][s] + 5))
    # Episodes of 7, 3, 10 and 5 frames hold 3 + 0 + 6 + 1 windows of 5 frames.
    assert len(starts) == 10


def test_window_starts_hand_cases():
    episode = np.array([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    frame = np.array([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4])
    assert list(input_pipeline.window_starts(episode, frame, 4)) == [0, 1, 6]
    # A gap in frame numbers (a chunk that went to another shard) breaks windows too.
    frame_gap = np.array([0, 1, 2, 30, 31, 32, 33, 34, 2, 3, 4])
    episode_gap = np.zeros(11, np.int64)
    assert list(input_pipeline.window_starts(episode_gap, frame_gap, 4)) == [3]
    assert len(input_pipeline.window_starts(episode[:3], frame[:3], 4)) == 0


def test_gathered_window_content(tmp_path):
    write_episodes(str(tmp_path), [12])  # one chunk: it goes to the dev shard
    arrays = input_pipeline.load_split(str(tmp_path), "hand", "dev")
    windows = input_pipeline.gather_windows(arrays, np.array([2]), 4)
    assert windows["inputs"].shape == (1, 4, 2, 2, 1)
    assert list(windows["inputs"][0, :, 0, 0, 0]) == [2, 3, 4, 5]
    assert windows["target_frame"][0, 0, 0, 0] == 6
    # The reward for the action in the last input frame (step 5): 5 % 3 != 0 -> 0.
    assert windows["target_reward"][0] == 0
    windows = input_pipeline.gather_windows(arrays, np.array([2, 3, 4]), 3)
    assert list(windows["target_reward"]) == [0, 0, 1]  # last input steps 4, 5, 6
    assert list(windows["input_actions"][0]) == [0, 0, 0]


def test_window_dataset_batches(tmp_path):
    write_episodes(str(tmp_path), [40, 40])
    arrays = input_pipeline.load_split(str(tmp_path), "hand", "train")
    batch = next(iter(input_pipeline.window_dataset(arrays, 4, 8)))
    assert batch["inputs"].shape == (8, 4, 2, 2, 1)
    assert batch["target_frame"].shape == (8, 2, 2, 1)
    # Target frame value = last input value + 1 (frames count up within an episode).
    last = batch["inputs"].numpy()[:, -1, 0, 0, 0].astype(int)
    np.testing.assert_array_equal(batch["target_frame"].numpy()[:, 0, 0, 0], (last + 1) % 256)


def test_rewarded_windows_are_repeated(tmp_path):
    write_episodes(str(tmp_path), [40, 40])
    arrays = input_pipeline.load_split(str(tmp_path), "hand", "train")

    def targets(repeats):
        dataset = input_pipeline.window_dataset(arrays, 4, 1000, shuffle=False, repeat=False,
                                                rewarded_window_repeats=repeats)
        batch = next(iter(dataset))
        return batch["target_reward"].numpy(), batch["inputs"].numpy()

    rewards_once, inputs_once = targets(1)
    rewards_five, inputs_five = targets(5)
    rewarded = int((rewards_once != 0).sum())
    assert 0 < rewarded < len(rewards_once)
    assert int((rewards_five != 0).sum()) == 5 * rewarded
    assert int((rewards_five == 0).sum()) == int((rewards_once == 0).sum())
    # The repeats are the same windows, not new ones.
    once = {w.tobytes() for w, r in zip(inputs_once, rewards_once) if r}
    five = {w.tobytes() for w, r in zip(inputs_five, rewards_five) if r}
    assert once == five


def test_random_policy_holds_actions_for_the_mean_length():
    observations = np.zeros((4, 1))
    uniform = collect.random_policy(3, seed=0)
    held = collect.random_policy(3, seed=0, mean_hold=16)
    plain = np.array([uniform(observations) for _ in range(4000)])
    runs = np.array([held(observations) for _ in range(4000)])

    def mean_run_length(actions):
        changes = (actions[1:] != actions[:-1]).sum()
        return actions.size / (changes + actions.shape[1])

    # A new action repeats the old one a third of the time, so runs are 1.5x the holds.
    assert 1.3 < mean_run_length(plain) < 1.7
    assert 16 < mean_run_length(runs) < 32
    for actions in (plain, runs):
        counts = np.bincount(actions.ravel(), minlength=3) / actions.size
        assert np.all(np.abs(counts - 1 / 3) < 0.06)


def test_split_and_statistics(tmp_path):
    # 3 episodes in chunks of 10 frames, round-robin over 2 train shards + 1 dev shard.
    stats = write_episodes(str(tmp_path), [30, 30, 25], chunk_length=10, num_train_shards=2)
    assert stats["frames"] == 85
    assert stats["dev_frames"] == 30  # chunks 0, 3, 6 of 9 (dev first): 10 + 10 + 10
    assert stats["train_frames"] == 55
    assert stats["episodes"] == 3 and stats["finished_episodes"] == 3
    # Rewards on steps 0, 3, 6, ... but not the last step (24): 10, 10 and 8.
    assert stats["mean_clipped_return"] == pytest.approx(28 / 3)
    assert stats["mean_raw_return"] == pytest.approx(2 * 28 / 3)
    on_disk = json.load(open(dataset_files.stats_path(str(tmp_path), "hand", 0)))
    assert on_disk["frames"] == 85


def test_appending_an_epoch_leaves_earlier_shards_untouched(tmp_path):
    write_episodes(str(tmp_path), [20])
    before = {p: os.stat(os.path.join(tmp_path, p)).st_mtime_ns for p in os.listdir(tmp_path)}
    contents = {p: open(os.path.join(tmp_path, p), "rb").read() for p in before}
    write_episodes(str(tmp_path), [15], epoch=1)
    for path, data in contents.items():
        assert open(os.path.join(tmp_path, path), "rb").read() == data
    assert dataset_files.list_epochs(str(tmp_path), "hand") == [0, 1]
    total = dataset_files.dataset_stats(str(tmp_path), "hand")
    assert total["frames"] == 35 and total["epochs"] == [0, 1]
    with pytest.raises(UserError, match="already exists"):
        write_episodes(str(tmp_path), [5], epoch=1)


def test_aborted_epoch_leaves_nothing(tmp_path):
    with pytest.raises(RuntimeError):
        with trajectory.TrajectoryWriter(str(tmp_path), "x", 0, {}) as writer:
            writer.add_chunk(np.zeros((2, 2, 2, 1), np.uint8), [0, 0], [0, 0], [0, 0],
                             [0, 0], [0, 1], 0)
            raise RuntimeError("crash while collecting")
    assert os.listdir(tmp_path) == []
    assert dataset_files.list_epochs(str(tmp_path), "x") == []


def test_abandoned_scratch_goes_and_a_live_writers_stays(tmp_path):
    data_dir = str(tmp_path)
    live = trajectory.TrajectoryWriter(data_dir, "x", 0, {})
    # What a writer killed with SIGKILL leaves: a scratch directory whose lock is free.
    abandoned = os.path.join(data_dir, ".x.e001-killed")
    os.makedirs(abandoned)
    open(os.path.join(abandoned, trajectory.SCRATCH_LOCK), "w").close()
    open(os.path.join(abandoned, "x.e001.train-00000-of-00010.tfrecord"), "w").close()
    os.makedirs(os.path.join(data_dir, ".not_a_writers"))
    second = trajectory.TrajectoryWriter(data_dir, "x", 2, {})  # removes what was abandoned
    hidden = sorted(n for n in os.listdir(data_dir) if n.startswith("."))
    assert ".x.e001-killed" not in hidden and ".not_a_writers" in hidden
    assert os.path.isdir(live._tmp) and os.path.isdir(second._tmp)
    live.abort()
    second.abort()
    assert sorted(os.listdir(data_dir)) == [".not_a_writers"]


def test_corrupt_shard_is_one_clear_error(tmp_path):
    write_episodes(str(tmp_path), [20])
    path = input_pipeline.shard_paths(str(tmp_path), "hand", "train")[0]
    data = bytearray(open(path, "rb").read())
    data[40:60] = b"\xff" * 20
    open(path, "wb").write(bytes(data))
    with pytest.raises(UserError, match="corrupt trajectory shard") as error:
        input_pipeline.read_arrays([path], channels=1)
    # Plain words: none of TensorFlow's internal op and function names.
    assert "function_node" not in str(error.value) and "[Op:" not in str(error.value)
    assert "write the dataset again" in str(error.value)


def test_pong_dataset_statistics(pong_dataset):
    data_dir, stats = pong_dataset
    assert stats["frames"] >= 1600
    arrays = input_pipeline.load_split(data_dir, "gym_pong_random", "train")
    dev = input_pipeline.load_split(data_dir, "gym_pong_random", "dev")
    assert len(arrays["frame"]) == stats["train_frames"]
    assert len(dev["frame"]) == stats["dev_frames"] > 0
    assert set(np.unique(arrays["reward"])) <= {-1, 0, 1}
    assert arrays["reward"].sum() <= 0  # random Pong loses points far more than it wins


def test_a_missing_shard_is_refused_by_name(tmp_path):
    write_episodes(str(tmp_path), [30, 20], num_train_shards=3)
    stats = dataset_files.read_epoch_stats(str(tmp_path), "hand", 0)
    assert len(stats["shards"]) == 4  # 3 train + 1 dev, as written
    lost = [name for name in stats["shards"] if ".train-" in name][1]
    os.remove(os.path.join(tmp_path, lost))
    with pytest.raises(UserError, match=f"missing 1 train shard.*{lost}"):
        input_pipeline.load_split(str(tmp_path), "hand", "train")
    assert len(input_pipeline.load_split(str(tmp_path), "hand", "dev")["frame"]) > 0


@pytest.mark.parametrize("damage, message", [
    (lambda text: text[:len(text) // 2], "is truncated or not JSON"),
    (lambda text: json.dumps({k: v for k, v in json.loads(text).items() if k != "frames"}),
     "lacks frames"),
])
def test_a_damaged_stats_file_is_one_line(tmp_path, damage, message):
    write_episodes(str(tmp_path), [30])
    path = dataset_files.stats_path(str(tmp_path), "hand", 0)
    text = open(path).read()
    with open(path, "w") as f:
        f.write(damage(text))
    with pytest.raises(UserError, match=message) as error:
        dataset_files.dataset_stats(str(tmp_path), "hand")
    assert "collect it again" in str(error.value) and path in str(error.value)


def test_lives_are_recorded_and_read_back_where_the_game_has_them(tmp_path):
    """Breakout has 5 lives: the records hold the counter of each frame, it only falls
    within an episode, and old shards without the field read as 0."""
    config = atari.AtariConfig.from_hparams("breakout", hparams.get("atari_simple"))
    env = atari.AtariEnv(config, 2, seed=0)
    writer = trajectory.TrajectoryWriter(str(tmp_path), "lives", 0, config.to_dict(),
                                         num_train_shards=1)
    collect.collect(env, collect.random_policy(4, 0), 1200, writer, first_episode_id=0)
    writer.close()
    arrays = input_pipeline.load_split(str(tmp_path), "lives", "train")
    order = np.lexsort((arrays["frame_number"], arrays["episode"]))
    lives, episode = arrays["lives"][order], arrays["episode"][order]
    same = episode[1:] == episode[:-1]
    assert lives.max() == 5
    assert np.all(lives[1:][same] <= lives[:-1][same])  # never regained in an episode
    assert np.any(lives[1:][same] < lives[:-1][same])  # random play loses some
    old = trajectory.TrajectoryWriter(str(tmp_path), "old", 0, config.to_dict(),
                                      num_train_shards=1)
    old.add_chunk(np.zeros((2, 4, 4, 3), np.uint8), [0, 0], [0, 0], [0, 0], [0, 0], [0, 1], 0)
    old.close()
    assert input_pipeline.load_split(str(tmp_path), "old", "train")["lives"].tolist() in (
        [0, 0], [])


@pytest.mark.parametrize("continue_episodes", [True, False])
def test_collections_play_on_in_running_episodes_only_when_asked(tmp_path,
                                                                  continue_episodes):
    """Two collections of 2 Pong envs x 30 steps: handed one RunningEpisodes, the second
    starts where the first stopped (the same frame, the frame numbers going on, new
    episode ids); without it, from fresh episodes at frame 0."""
    from rl import datagen

    env_hparams = hparams.resolve("atari_simple", "num_envs=2")
    running = collect.RunningEpisodes() if continue_episodes else None
    for epoch in range(2):
        datagen.generate(str(tmp_path), "pong", 60, env_hparams, seed=3, epoch=epoch,
                         running=running)
    first, second = (input_pipeline.concatenate_arrays(
        *(input_pipeline.load_split(str(tmp_path), "gym_pong_random", split, [epoch])
          for split in ("train", "dev"))) for epoch in (0, 1))

    def by_episode(arrays):
        return {e: np.flatnonzero(arrays["episode"] == e) for e in np.unique(arrays["episode"])}

    ends = [index[-1] for index in by_episode(first).values()]
    starts = [index[0] for index in by_episode(second).values()]
    assert set(first["episode"]).isdisjoint(second["episode"])
    if continue_episodes:
        assert running.env is not None and running.obs is not None
        assert sorted(second["frame_number"][starts]) == [30, 30]
        last_frames = {bytes(first["frame"][i]) for i in ends}
        assert {bytes(second["frame"][i]) for i in starts} == last_frames
        running.close()
    else:
        assert sorted(second["frame_number"][starts]) == [0, 0]
