"""Seeding the networks' initial weights.

Keras 3 initializers do not follow `tf.random.set_seed`: unseeded, each draws its seed
from Python's `random`, which differs from process to process, so the same --seed gave
different initial weights in every run (measured: a world model's and a Nature CNN's
weights hashed differently in two processes after tf.random.set_seed(0)).
`keras.utils.set_random_seed` seeds Python's `random`, NumPy's global generator,
TensorFlow and Keras together. Our own sampling and shuffling use explicit generators and
are not affected by it.
"""

import keras


def seed_initialization(seed: int) -> None:
    """Makes the networks built after this call start from the same weights for `seed`."""
    keras.utils.set_random_seed(int(seed))
