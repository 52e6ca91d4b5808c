"""BatchNormalization: normalise each channel to mean 0 and variance 1, then scale and shift.

Statistics are taken over every axis but the last: the M = N*H*W values of one channel after a
Conv2D (x: (N, H, W, C)), or the M = N values of one feature after a Dense (x: (N, C)).

Training, with the batch's own mean and (biased) variance, per channel:
    mean = (1/M) sum_i x_i         var = (1/M) sum_i (x_i - mean)^2
    x_hat = (x - mean) / sqrt(var + eps)          out = gamma * x_hat + beta
and the state follows the batches:
    moving_mean     = momentum * moving_mean     + (1 - momentum) * mean
    moving_variance = momentum * moving_variance + (1 - momentum) * var
Inference uses moving_mean and moving_variance in place of mean and var, so each image's output
no longer depends on the rest of its batch.

Backward. gamma and beta act per value:  dbeta = sum_i dout_i,  dgamma = sum_i dout_i * x_hat_i,
and dx_hat = dout * gamma. In training, mean and var depend on every x_i too. With
s = 1 / sqrt(var + eps), d mean / d x_i = 1/M and d var / d x_i = 2 (x_i - mean) / M, so
    d x_hat_j / d x_i = s * (delta_ij - 1/M - x_hat_i * x_hat_j / M)
and summing over j:
    dx_i = s * (dx_hat_i - mean_j(dx_hat_j) - x_hat_i * mean_j(dx_hat_j * x_hat_j))
The two means remove the parts of the gradient that a shift or a scaling of the whole batch
would cancel anyway. Since dx_hat = gamma * dout, they are gamma * dbeta / M and
gamma * dgamma / M: sums backward has already taken, so
    dx_i = gamma * s * (dout_i - (dbeta + x_hat_i * dgamma) / M)
In inference mean and var are constants:  dx = s * dx_hat.

Shapes: x, out, dout, dx: (N, ..., C); gamma, beta, moving_mean, moving_variance: (C,).
The parameters are gamma and beta; moving_mean and moving_variance are state (not trained).
"""

from typing import NamedTuple

import numpy as np

from tinycnn.layers.base import Layer


class BatchNormCache(NamedTuple):
    """What BatchNormalization's forward keeps for backward (the last call's):

        x_hat      (M, C), the normalised input, one column per channel
        inv_std    (C,), s = 1 / sqrt(var + eps)
        training   whether mean and var were the batch's own (then they depend on x too)
    """

    x_hat: np.ndarray
    inv_std: np.ndarray
    training: bool


class BatchNormalization(Layer):
    """BatchNormalization(momentum=0.99, epsilon=1e-3), Keras's defaults."""

    @property
    def mixes_batch(self):
        return self.trainable  # training normalises with the whole batch's statistics

    def __init__(self, momentum=0.99, epsilon=1e-3, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) \
                or not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormalization momentum: expected a number in [0, 1], "
                             f"got {momentum!r}")
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not epsilon > 0:
            raise ValueError(f"BatchNormalization epsilon: expected a number > 0, "
                             f"got {epsilon!r}")
        self.momentum, self.epsilon = float(momentum), float(epsilon)

    def compute_output_shape(self, input_shape):
        if len(input_shape) < 1:
            raise ValueError(f"{self}: expects inputs with a channel axis (..., C), "
                             f"got input shape {input_shape}")
        return input_shape

    def _create_params(self, input_shape, rng, dtype):
        channels = input_shape[-1]
        return {"gamma": np.ones(channels, dtype), "beta": np.zeros(channels, dtype)}

    def _create_state(self, input_shape, dtype):
        channels = input_shape[-1]
        return {"moving_mean": np.zeros(channels, dtype),
                "moving_variance": np.ones(channels, dtype)}

    def forward(self, x, training=False):
        """x: (N, ..., C) -> out: the same shape. A frozen layer (trainable False) runs in
        inference mode even while the model trains, as in Keras: fine-tuning a network leaves
        the statistics it learnt alone."""
        self._check_input(x)
        training = training and self.trainable
        rows = x.reshape(-1, x.shape[-1])  # (M, C): one column per channel
        if training:
            mean = self._column_sums(rows) / len(rows)
            centered = rows - mean
            var = self._column_sums(centered * centered) / len(rows)
            self._update_moving(mean, var)
        else:
            mean, var = self.state["moving_mean"], self.state["moving_variance"]
            centered = rows - mean
        inv_std = 1 / np.sqrt(var + x.dtype.type(self.epsilon))
        x_hat = centered * inv_std
        out = self.params["gamma"] * x_hat + self.params["beta"]
        self._cache = BatchNormCache(x_hat=x_hat, inv_std=inv_std, training=training)
        return out.reshape(x.shape)

    def _column_sums(self, rows):
        # The column_sums kernel sums the columns of a tall (M, C) array several times faster
        # than NumPy's rows.sum(axis=0), and adds in float64: M = N*H*W float32 values added
        # one by one in float32 would lose ~1e-5 of the sum (tests/test_batchnorm.py).
        return self.kernels.column_sums(np.ascontiguousarray(rows))

    def _update_moving(self, mean, var):
        # In place: model.weights and the replicas of a parallel predict share these arrays.
        keep = self.momentum
        for name, batch_value in (("moving_mean", mean), ("moving_variance", var)):
            moving = self.state[name]
            moving *= keep
            moving += (1 - keep) * batch_value

    def backward(self, dout):
        """dout: (N, ..., C) -> dx: the same shape; fills grads "gamma" and "beta" (C,)."""
        cache = self._cached()
        x_hat = cache.x_hat
        dout_rows = dout.reshape(x_hat.shape)
        dbeta = self.grads["beta"] = self._column_sums(dout_rows)
        dgamma = self.grads["gamma"] = self._column_sums(dout_rows * x_hat)
        scale = self.params["gamma"] * cache.inv_std
        if cache.training:
            dx = scale * (dout_rows - (dbeta + x_hat * dgamma) / len(x_hat))
        else:
            dx = scale * dout_rows
        return dx.reshape(dout.shape)

    def get_config(self):
        return {"name": self.name, "momentum": self.momentum, "epsilon": self.epsilon}

    def __repr__(self):
        return (f"BatchNormalization(name={self.name!r}, momentum={self.momentum}, "
                f"epsilon={self.epsilon})")
