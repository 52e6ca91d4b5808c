"""BatchNormalization: normalise each channel to mean 0 and variance 1, then scale and shift.

Statistics are taken over every axis but the last: the M = N*H*W values of one channel after a
Conv2D (x: (N, H, W, C)), or the M = N values of one feature after a Dense (x: (N, C)). With
``axis`` another axis than the last (Keras counts N as axis 0, so axis=1 is H for images) the
layer moves that axis last, does the same, and moves it back: C below is then that axis's size.

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

With scale=False there is no gamma (out = x_hat + beta, dx as above with gamma = 1), with
center=False no beta (out = gamma * x_hat); dbeta and dgamma are still the sums above, which
dx needs, but no grads of their own.

Shapes: x, out, dout, dx: (N, ..., C); gamma, beta, moving_mean, moving_variance: (C,).
The parameters are gamma and beta, as Keras orders them (either left out when it is off);
moving_mean and moving_variance are state (not trained). Each starts as its initializer makes
it; gamma_constraint and beta_constraint project gamma and beta after every optimizer step
(tinycnn/layers/constraints.py).
"""

from typing import NamedTuple

import numpy as np

from tinycnn.layers import constraints, initializers
from tinycnn.layers.base import Layer
from tinycnn.layers.shapes import flag

# Keras's defaults of the arguments get_config writes only when they differ (so the files of
# models made without them stay as they were)
DEFAULTS = {"axis": -1, "center": True, "scale": True, "beta_initializer": "zeros",
            "gamma_initializer": "ones", "moving_mean_initializer": "zeros",
            "moving_variance_initializer": "ones"}


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
    """BatchNormalization(axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
    beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
    moving_variance_initializer="ones", beta_constraint=None, gamma_constraint=None), Keras's
    arguments and defaults. axis: an int, counting N as axis 0 (-1, the last, is the channels
    of tinycnn's images); the initializers: a name or an object of tinycnn.layers.initializers;
    the constraints: of tinycnn.layers.constraints."""

    # Keras's constraint argument for each param key (layers/constraints.py: attach)
    constraint_arguments = {"gamma": "gamma_constraint", "beta": "beta_constraint"}

    @property
    def mixes_batch(self):
        return self.trainable  # training normalises with the whole batch's statistics

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_constraint=None, gamma_constraint=None, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
            raise ValueError(f"BatchNormalization axis: expected an int, got {axis!r}")
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) \
                or not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormalization momentum: expected a number in [0, 1], "
                             f"got {momentum!r}")
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not epsilon > 0:
            raise ValueError(f"BatchNormalization epsilon: expected a number > 0, "
                             f"got {epsilon!r}")
        self.axis = int(axis)
        self.momentum, self.epsilon = float(momentum), float(epsilon)
        self.center = flag(center, "BatchNormalization center")
        self.scale = flag(scale, "BatchNormalization scale")
        for argument, value in (("beta_initializer", beta_initializer),
                                ("gamma_initializer", gamma_initializer),
                                ("moving_mean_initializer", moving_mean_initializer),
                                ("moving_variance_initializer", moving_variance_initializer)):
            setattr(self, argument, initializers.get(value, f"BatchNormalization {argument}"))
        self.constraints = constraints.attach(self, gamma_constraint=gamma_constraint,
                                              beta_constraint=beta_constraint)

    def compute_output_shape(self, input_shape):
        if len(input_shape) < 1:
            raise ValueError(f"{self}: expects inputs with a channel axis (..., C), "
                             f"got input shape {input_shape}")
        ndim = len(input_shape) + 1  # with the batch axis N, as Keras counts axis
        if not -ndim <= self.axis < ndim or self.axis % ndim == 0:
            raise ValueError(f"{self}: axis={self.axis} is not a feature axis of inputs of "
                             f"shape (N, {', '.join(map(str, input_shape))}): expected one of "
                             f"1 to {ndim - 1}, or -1 to {-(ndim - 1)} (axis 0 is the batch)")
        return input_shape

    def build(self, input_shape, rng=None, dtype=np.float32):
        """gamma and beta (params, those the layer has), then moving_mean and moving_variance
        (state), each (C,) as its initializer makes it from ``rng``, in Keras's order."""
        rng = np.random.default_rng() if rng is None else rng
        super().build(input_shape, rng, dtype)
        shape = self._channel_shape(self.input_shape)
        self.state = {"moving_mean": self.moving_mean_initializer(shape, rng, dtype),
                      "moving_variance": self.moving_variance_initializer(shape, rng, dtype)}
        return self

    def _create_params(self, input_shape, rng, dtype):
        shape, params = self._channel_shape(input_shape), {}
        if self.scale:
            params["gamma"] = self.gamma_initializer(shape, rng, dtype)
        if self.center:
            params["beta"] = self.beta_initializer(shape, rng, dtype)
        return params

    def _channel_shape(self, input_shape):
        """(C,): the size of the normalised axis of inputs of ``input_shape`` (no N)."""
        return (input_shape[self.axis % (len(input_shape) + 1) - 1],)

    def forward(self, x, training=False):
        """x: (N, ..., C) -> out: the same shape. A frozen layer (trainable False) runs in
        inference mode even while the model trains, as in Keras: fine-tuning a network leaves
        the statistics it learnt alone."""
        self._check_input(x)
        training = training and self.trainable
        moved = self._axis_last(x)
        rows = moved.reshape(-1, moved.shape[-1])  # (M, C): one column per channel
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
        gamma, beta = self.params.get("gamma"), self.params.get("beta")
        out = x_hat if gamma is None else gamma * x_hat
        if beta is not None:
            out = out + beta
        self._cache = BatchNormCache(x_hat=x_hat, inv_std=inv_std, training=training)
        return self._axis_back(out.reshape(moved.shape))

    def _axis_last(self, array):
        """array (N, ...) with the normalised axis moved last: the array itself when it is the
        last already (axis=-1, the usual case)."""
        axis = self.axis % array.ndim
        return array if axis == array.ndim - 1 else np.moveaxis(array, axis, -1)

    def _axis_back(self, array):
        """_axis_last undone, as a new C-ordered array (the next layer's kernels want one)."""
        axis = self.axis % array.ndim
        if axis == array.ndim - 1:
            return array
        return np.ascontiguousarray(np.moveaxis(array, -1, axis))

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
        """dout: (N, ..., C) -> dx: the same shape; fills grads "beta" and "gamma" (C,), those
        the layer has."""
        cache = self._cached()
        x_hat = cache.x_hat
        moved = self._axis_last(dout)
        dout_rows = moved.reshape(x_hat.shape)
        dbeta = self._column_sums(dout_rows)
        dgamma = self._column_sums(dout_rows * x_hat)
        if self.center:
            self.grads["beta"] = dbeta
        if self.scale:
            self.grads["gamma"] = dgamma
        gamma = self.params.get("gamma")
        scale = cache.inv_std if gamma is None else gamma * cache.inv_std
        if cache.training:
            dx = scale * (dout_rows - (dbeta + x_hat * dgamma) / len(x_hat))
        else:
            dx = scale * dout_rows
        return self._axis_back(dx.reshape(moved.shape))

    def get_config(self):
        config = {"name": self.name, "momentum": self.momentum, "epsilon": self.epsilon}
        arguments = {"axis": self.axis, "center": self.center, "scale": self.scale,
                     **{name: initializers.serialize(getattr(self, name))
                        for name in DEFAULTS if name.endswith("_initializer")}}
        config.update({name: value for name, value in arguments.items()
                       if value != DEFAULTS[name]})
        return {**config, **constraints.constraint_config(self)}

    def __repr__(self):
        changed = "".join(f", {name}={getattr(self, name)!r}"
                          for name in ("axis", "center", "scale")
                          if getattr(self, name) != DEFAULTS[name])
        return (f"BatchNormalization(name={self.name!r}, momentum={self.momentum}, "
                f"epsilon={self.epsilon}{changed})")
