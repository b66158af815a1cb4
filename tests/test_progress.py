"""rl.progress: progress lines stay readable for slow work and before the first unit."""

from rl import progress


def test_slow_rates_keep_their_digits():
    assert progress.format_rate(1234.4) == "1234"
    assert progress.format_rate(0.1137) == "0.11"
    assert progress.format_rate(2.54) == "2.5"


def test_no_time_left_before_the_first_unit():
    line = progress.Progress("eval", 2, unit="episodes").line()
    assert "0/2 episodes (0%)" in line and "time left unknown" in line and "inf" not in line
