"""The learning-curve figure: written, readable, the settings users compare first bold."""

import cv2

from rl import plot

SERIES = {"temp_0.0_noops_8": [(12800, -21.0), (6400, -20.5)],
          "temp_0.5_noops_8": [(6400, -20.6), (12800, -20.8)],
          "temp_1.0_noops_8": [(6400, -20.1), (12800, -19.5)]}
REFERENCES = {"random": -20.7, "best constant action (3)": -21.0,
              "model-free PPO at 100K": -20.3, "SimPLe": 12.8}


def test_the_greedy_setting_and_the_one_ending_highest_are_bold():
    assert plot._bold_labels(SERIES) == {"temp_0.0_noops_8", "temp_1.0_noops_8"}


def test_every_baseline_has_its_own_line_style():
    styles = {plot._reference_style(label) for label in REFERENCES}
    assert len(styles) == len(REFERENCES)


def test_the_figure_is_a_png_of_its_size(tmp_path):
    path = plot.learning_curve_png(str(tmp_path / "curve.png"), SERIES, REFERENCES, "pong")
    image = cv2.imread(path)
    assert image.shape == (500, 900, 3)
    assert image.min() < 50 and image.max() == 255  # drawn lines on a white ground
