"""models.conv: the kernel gradient computed as one convolution over the batch must equal
TensorFlow's own, for every policy-network layer shape."""

import numpy as np
import pytest
import tensorflow as tf

from models import conv

# (input shape without batch, kernel, stride, filters): the Nature CNN's three layers and
# SimPLe's small CNN's two, on their real frame sizes.
POLICY_LAYERS = [((84, 84, 4), 8, 4, 32), ((20, 20, 32), 4, 2, 64), ((9, 9, 64), 3, 1, 64),
                 ((105, 80, 12), 5, 2, 32), ((51, 38, 32), 5, 2, 32)]


@pytest.mark.parametrize("shape,kernel_size,stride,filters", POLICY_LAYERS)
def test_gradients_match_tensorflow(shape, kernel_size, stride, filters):
    rng = np.random.default_rng(0)
    inputs = tf.constant(rng.normal(size=(3,) + shape).astype(np.float32))
    kernel = tf.constant(rng.normal(size=(kernel_size, kernel_size, shape[-1], filters))
                         .astype(np.float32))
    weights = tf.constant(rng.normal(size=(3,) + conv.conv2d_valid(inputs, kernel, stride)
                                     .shape[1:]).astype(np.float32))

    def gradients(convolve):
        with tf.GradientTape() as tape:
            tape.watch([inputs, kernel])
            loss = tf.reduce_sum(convolve(inputs, kernel) * weights)
        return tape.gradient(loss, [inputs, kernel])

    ours = gradients(lambda x, k: conv.conv2d_valid(x, k, stride))
    theirs = gradients(lambda x, k: tf.nn.conv2d(x, k, stride, "VALID"))
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-4,
                                   atol=1e-4 * float(tf.reduce_max(tf.abs(b))))


def test_layer_is_keras_conv2d_with_same_outputs():
    layer = conv.Conv2D(8, 4, 2, activation=tf.nn.relu)
    reference = tf.keras.layers.Conv2D(8, 4, 2, activation=tf.nn.relu)
    x = tf.random.stateless_normal((2, 12, 12, 3), seed=(1, 2))
    layer(x), reference(x)
    reference.set_weights(layer.get_weights())
    np.testing.assert_allclose(layer(x).numpy(), reference(x).numpy(), rtol=1e-5, atol=1e-6)
    assert layer.name.startswith("conv2d")  # the name Keras's own layer would get


def test_mixed_bfloat16_computes_in_bfloat16():
    layer = conv.Conv2D(4, 3, 1, dtype="mixed_bfloat16")
    x = tf.random.stateless_normal((2, 6, 6, 2), seed=(3, 4))
    with tf.GradientTape() as tape:
        y = layer(x)
        loss = tf.reduce_sum(tf.cast(y, tf.float32))
    kernel_gradient = tape.gradient(loss, layer.kernel)
    assert y.dtype == tf.bfloat16
    assert kernel_gradient.dtype == tf.float32 and kernel_gradient.shape == (3, 3, 2, 4)


def test_rejects_what_it_does_not_support():
    with pytest.raises(ValueError, match="square strides"):
        conv.Conv2D(4, 3, (1, 2))
