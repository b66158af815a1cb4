"""Learning-curve plots as PNG, drawn with OpenCV (no plotting library needed).

One line per evaluation series (real-env return against real env steps used), plus
horizontal reference lines, with axis ticks and a legend.
"""

import cv2
import numpy as np

COLORS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
          (140, 86, 75)]
REFERENCE_COLORS = {"random": (128, 128, 128), "SimPLe": (0, 0, 0)}


def _ticks(low, high, count=5):
    return np.linspace(low, high, count)


def learning_curve_png(path, series, references, title, width=800, height=500):
    """Writes the plot.

    Args:
        path: the PNG file.
        series: {label: [(real env steps, return), ...]}.
        references: {label: value} drawn as horizontal lines (e.g. random, SimPLe).
        title: the caption.
    """
    image = np.full((height, width, 3), 255, np.uint8)
    left, right, top, bottom = 80, width - 200, 40, height - 60
    xs = [x for points in series.values() for x, _ in points] or [0, 1]
    ys = [y for points in series.values() for _, y in points] + list(references.values())
    ys = ys or [0, 1]
    x_low, x_high = 0, max(max(xs), 1)
    y_low, y_high = min(ys), max(ys)
    if y_high - y_low < 1e-6:
        y_low, y_high = y_low - 1, y_high + 1
    margin = 0.05 * (y_high - y_low)
    y_low, y_high = y_low - margin, y_high + margin

    def to_pixel(x, y):
        px = left + (x - x_low) / (x_high - x_low) * (right - left)
        py = bottom - (y - y_low) / (y_high - y_low) * (bottom - top)
        return int(round(px)), int(round(py))

    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.rectangle(image, (left, top), (right, bottom), (0, 0, 0), 1)
    for x in _ticks(x_low, x_high):
        px, _ = to_pixel(x, y_low)
        cv2.line(image, (px, bottom), (px, bottom + 5), (0, 0, 0), 1)
        cv2.putText(image, f"{x / 1000:.0f}K", (px - 15, bottom + 20), font, 0.4, (0, 0, 0), 1)
    for y in _ticks(y_low, y_high):
        _, py = to_pixel(x_low, y)
        cv2.line(image, (left - 5, py), (left, py), (0, 0, 0), 1)
        cv2.putText(image, f"{y:.1f}", (5, py + 4), font, 0.4, (0, 0, 0), 1)
    cv2.putText(image, "real env steps", ((left + right) // 2 - 50, height - 15), font, 0.5,
                (0, 0, 0), 1)
    cv2.putText(image, title, (left, 25), font, 0.55, (0, 0, 0), 1)
    legend_y = top + 10
    for label, value in references.items():
        color = REFERENCE_COLORS.get(label, (100, 100, 100))
        _, py = to_pixel(x_low, value)
        for x0 in range(left, right, 12):  # dashed
            cv2.line(image, (x0, py), (min(x0 + 6, right), py), color, 1)
        cv2.putText(image, f"{label} {value:g}", (right + 10, legend_y), font, 0.45, color, 1)
        legend_y += 20
    for index, (label, points) in enumerate(sorted(series.items())):
        color = COLORS[index % len(COLORS)]
        pixels = [to_pixel(x, y) for x, y in sorted(points)]
        for a, b in zip(pixels, pixels[1:]):
            cv2.line(image, a, b, color, 2, cv2.LINE_AA)
        for p in pixels:
            cv2.circle(image, p, 3, color, -1)
        cv2.putText(image, label, (right + 10, legend_y), font, 0.4, color, 1)
        legend_y += 20
    # OpenCV writes BGR; the colors above are RGB.
    cv2.imwrite(path, cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return path
