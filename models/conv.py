"""A Conv2D whose kernel gradient is one convolution over the batch, for the Nature CNN.

TensorFlow's CPU kernel for a convolution's kernel gradient (Conv2DBackpropFilter) runs
thousands of small matrix products per call. For the Nature CNN's shapes (256 samples of
84x84, few channels, strides 4 and 2) it was the slowest part of a PPO update, at a
fraction of the rate the forward pass reaches (benchmarks/RESULTS.md, "Speed against
peers").

The same gradient is a plain convolution with the roles swapped: for a VALID convolution
with stride s,

    dK[i, j, c, f] = sum over n, y, x of  input[n, s*y + i, s*x + j, c] * dOut[n, y, x, f]

which is the input, transposed to [c, H, W, n] (channels become the batch and the batch
becomes the channels), convolved with dOut transposed to [y, x, n, f] as a filter dilated
by s. One large convolution does the work of the many small products, and the whole PPO
minibatch step gets faster (numbers in benchmarks/RESULTS.md). The values agree with
TensorFlow's to float32 rounding (tests/test_conv.py).

Only what the Nature CNN needs is supported: VALID padding, square stride, no dilation,
channels last. The SimPLe policy CNN and the world model keep Keras's Conv2D: there the
float32 transpose this form needs costs about what it saves (benchmarks/RESULTS.md).
"""

import tensorflow as tf


def kernel_gradient(inputs: tf.Tensor, output_gradient: tf.Tensor, kernel_size: int,
                    stride: int) -> tf.Tensor:
    """dLoss/dKernel of a VALID, channels-last conv2d with `stride`, as one convolution.

    Args:
        inputs: [n, H, W, c] the convolution's input.
        output_gradient: [n, h, w, f] dLoss/dOutput.
        kernel_size: (kh, kw).
        stride: int.

    Returns:
        [kh, kw, c, f].
    """
    # Rows and columns past the last window (where (H - kh) is not a multiple of the
    # stride) take no part in the convolution; without them the result is exactly kh x kw.
    output_shape = tf.shape(output_gradient)
    used_rows = stride * (output_shape[1] - 1) + kernel_size[0]
    used_columns = stride * (output_shape[2] - 1) + kernel_size[1]
    channels_as_batch = tf.transpose(inputs[:, :used_rows, :used_columns, :],
                                     [3, 1, 2, 0])                   # [c, H, W, n]
    gradient_as_filter = tf.transpose(output_gradient, [1, 2, 0, 3])  # [h, w, n, f]
    per_channel = tf.nn.conv2d(channels_as_batch, gradient_as_filter, 1, "VALID",
                               dilations=stride)                    # [c, kh, kw, f]
    return tf.transpose(per_channel, [1, 2, 0, 3])


def conv2d_valid(inputs: tf.Tensor, kernel: tf.Tensor, stride: int) -> tf.Tensor:
    """tf.nn.conv2d(inputs, kernel, stride, "VALID") with the kernel gradient above."""

    @tf.custom_gradient
    def convolve(inputs, kernel):
        def gradient(output_gradient):
            # The input gradient is TensorFlow's own; tf.function prunes it where nothing
            # needs it (the first layer, whose input is data).
            input_gradient = tf.nn.conv2d_transpose(output_gradient, kernel, tf.shape(inputs),
                                                    stride, "VALID")
            return input_gradient, kernel_gradient(inputs, output_gradient,
                                                   kernel.shape[:2], stride)
        return tf.nn.conv2d(inputs, kernel, stride, "VALID"), gradient

    return convolve(inputs, kernel)


class Conv2D(tf.keras.layers.Conv2D):
    """keras.layers.Conv2D (VALID padding only) computing its kernel gradient with
    `kernel_gradient`. Same weights, same checkpoints, same outputs."""

    def __init__(self, filters, kernel_size, strides=1, **kwargs):
        super().__init__(filters, kernel_size, strides, padding="valid", **kwargs)
        if self.strides[0] != self.strides[1] or self.dilation_rate != (1, 1):
            raise ValueError("models.conv.Conv2D supports square strides and no dilation")
        if self.data_format != "channels_last":
            raise ValueError("models.conv.Conv2D supports channels_last only")

    def convolution_op(self, inputs, kernel):
        # The kernel as a tensor, not the variable: tf.custom_gradient would otherwise ask
        # for the gradients of variables read inside it.
        return conv2d_valid(inputs, tf.convert_to_tensor(kernel), self.strides[0])
