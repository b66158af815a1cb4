"""Keeping every layer in TensorFlow's checkpoint graph.

Keras 3 layers held in Python lists are invisible to tf.train.Checkpoint's object graph:
their weights would be saved only by position through the optimizer's variable list (and
not at all in a checkpoint without the optimizer). Attaching each list element as its own
attribute gives it a stable name (`down_0`, `down_1`, ...) in every checkpoint.
"""

from typing import Any, List


def track_layers(owner: Any, name: str, layers: List[Any]) -> List[Any]:
    """Attaches `layers` to `owner` as `{name}_{i}` and returns the list unchanged."""
    for index, layer in enumerate(layers):
        setattr(owner, f"{name}_{index}", layer)
    return layers
