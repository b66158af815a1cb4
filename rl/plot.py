"""Learning-curve plots as PNG, drawn with matplotlib.

Real-env return against the real env steps used, one line per evaluation setting, with
the baselines that explain a score (random play, the best constant action, model-free
PPO at 100K, SimPLe) as labelled horizontal lines. The settings users compare first,
the greedy policy (temperature 0) and whichever setting ends highest, are drawn bold;
the others thin, so that the figure reads at a glance.

The figure is built on matplotlib's object API with the Agg canvas: no pyplot, so no
global state and no display backend, and matplotlib is imported only when a plot is
drawn (it costs about half a second).
"""

from typing import Dict, List, Tuple

REFERENCE_STYLES = {  # by the start of a baseline's label: (color, line style)
    "random": ("0.45", ":"),
    "best constant action": ("darkgoldenrod", "--"),
    "model-free PPO": ("indigo", "-."),
    "SimPLe": ("black", "--"),
}


def _reference_style(label: str) -> Tuple[str, str]:
    for prefix, style in REFERENCE_STYLES.items():
        if label.startswith(prefix):
            return style
    return "0.3", ":"


def _bold_labels(series: Dict[str, List[Tuple[float, float]]]) -> set:
    """The greedy settings (temperature 0) and the setting whose last point is highest."""
    bold = {label for label in series if label.startswith("temp_0.0")}
    ending = {label: sorted(points)[-1][1] for label, points in series.items() if points}
    if ending:
        bold.add(max(ending, key=ending.get))
    return bold


def learning_curve_png(path: str, series: Dict[str, List[Tuple[float, float]]],
                       references: Dict[str, float], title: str) -> str:
    """Writes the plot to `path` and returns it.

    Args:
        path: the PNG file.
        series: {label: [(real env steps, return), ...]}, one per evaluation setting.
        references: {label: score} drawn as horizontal lines (rl/baselines.references).
        title: the figure's title.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 5), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bold = _bold_labels(series)
    for label, points in sorted(series.items()):
        xs, ys = zip(*sorted(points)) if points else ((), ())
        axes.plot(xs, ys, marker="o", markersize=4 if label in bold else 2,
                  linewidth=2.2 if label in bold else 0.9, alpha=1.0 if label in bold else 0.6,
                  label=label.replace("_", " "))
    for label, score in references.items():
        color, style = _reference_style(label)
        axes.axhline(score, color=color, linestyle=style, linewidth=1.2,
                     label=f"{label}: {score:g}")
    axes.set_xlabel("real env steps")
    axes.set_ylabel("mean raw episode return")
    axes.set_title(title)
    axes.xaxis.set_major_formatter(lambda x, _: f"{x / 1000:g}K")
    axes.grid(alpha=0.3)
    axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    figure.tight_layout()
    figure.savefig(path)
    return path
