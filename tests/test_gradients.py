"""Tier 2: centred-difference gradient checks, in float64, with a random upstream gradient.

Every layer's input gradient and parameter gradients are checked with ``tinycnn.gradcheck`` on
shapes drawn by hypothesis (batch 1-3, channels 1-3, sizes 1-10, kernel 1-4, strides 1-3 down
and across, each padding mode); so are both losses and the fused softmax + cross-entropy
gradient that Sequential uses. Each assertion message reports the relative errors.

ReLU and max-pooling have kinks where a finite difference is meaningless. Max-pool inputs
(global ones too) are made well separated (no two values closer than 0.1), and ReLU inputs are
pushed at least 0.01 from zero. For a layer with a built-in ReLU the pre-activations come from
the weights, so instead the upstream gradient is zeroed wherever a pre-activation lies within
1e-3 of the kink: the checked scalar sum(out * dout) then does not depend on those outputs at
all.
"""

import numpy as np
import pytest
from helpers import conv_cases
from hypothesis import assume, example, given
from hypothesis import strategies as st

import tinycnn as tc
from tinycnn.gradcheck import check_layer, check_loss, numerical_gradient, relative_error
from tinycnn.layers import (
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPool2D,
    ReLU,
    Softmax,
)
from tinycnn.layers.averagepool2d import AveragePooling2D
from tinycnn.layers.global_pooling import GlobalAveragePooling2D, GlobalMaxPooling2D
from tinycnn.losses import CategoricalCrossentropy, SparseCategoricalCrossentropy

TOLERANCE = 1e-6
SEEDS = st.integers(0, 2**16)


def assert_small(errors, what):
    worst = max(errors.values())
    assert worst < TOLERANCE, f"{what}: relative errors {errors}"


def away_from_kinks(layer, x, rng, margin=1e-3):
    """An upstream gradient that is zero wherever the layer's pre-activation is within
    ``margin`` of ReLU's kink at 0 (``layer`` must be built)."""
    linear = type(layer)(**{**layer.get_config(), "activation": None, "name": "linear"})
    linear.build(layer.input_shape, rng, np.float64)
    for name, value in layer.params.items():
        linear.params[name][...] = value
    z = linear.forward(x)
    return rng.standard_normal(z.shape) * (np.abs(z) > margin)


PADDING_MODES = {"valid": st.just("valid"), "same": st.just("same"), "int": st.integers(0, 2)}


def conv_layer_case(draw, padding):
    """(Conv2D kwargs, x_shape) drawn from the shared conv shapes."""
    x_shape, kh, kw, strides, pad, _, _ = draw(conv_cases(padding))
    kwargs = {"filters": draw(st.integers(1, 3)), "kernel_size": (kh, kw), "strides": strides,
              "padding": pad}
    return kwargs, x_shape


@pytest.mark.parametrize("activation", [None, "relu"])
@pytest.mark.parametrize("padding_mode", sorted(PADDING_MODES))
@given(data=st.data(), seed=SEEDS)
def test_conv2d(padding_mode, activation, data, seed):
    kwargs, x_shape = conv_layer_case(data.draw, PADDING_MODES[padding_mode])
    rng = np.random.default_rng(seed)
    layer = Conv2D(**kwargs, activation=activation).build(x_shape[1:], rng, np.float64)
    layer.params["b"][...] = rng.normal(scale=0.1, size=layer.params["b"].shape)
    x = rng.standard_normal(x_shape)
    dout = away_from_kinks(layer, x, rng) if activation == "relu" else None

    errors = check_layer(layer, x, dout=dout, seed=seed)

    assert set(errors) == {"x", "W", "b"}
    assert_small(errors, repr(layer))


def well_separated(shape, rng):
    """Distinct values 0.1 apart: a nudge of 1e-6 never changes which pixel wins a max."""
    return (rng.permutation(np.prod(shape)) * 0.1).reshape(shape)


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("layer_class", [MaxPool2D, AveragePooling2D])
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(1, 10), w=st.integers(1, 10),
       pool=st.tuples(st.integers(1, 4), st.integers(1, 4)),
       strides=st.tuples(st.integers(1, 3), st.integers(1, 3)), seed=SEEDS)
@example(n=2, c=2, h=7, w=6, pool=(3, 2), strides=(1, 1), seed=0)  # overlapping windows
@example(n=1, c=3, h=8, w=9, pool=(2, 2), strides=(3, 1), seed=1)  # gaps down, overlaps across
@example(n=3, c=1, h=5, w=5, pool=(2, 2), strides=(2, 2), seed=2)  # odd size: the last row is
# dropped ("valid") or its windows hang over the edge ("same")
def test_pooling2d(layer_class, padding, n, c, h, w, pool, strides, seed):
    assume(padding == "same" or (pool[0] <= h and pool[1] <= w))
    rng = np.random.default_rng(seed)
    x = well_separated((n, h, w, c), rng)
    layer = layer_class(pool, strides=strides, padding=padding)

    errors = check_layer(layer, x, seed=seed)

    assert_small(errors, repr(layer))


@pytest.mark.parametrize("layer_class", [GlobalAveragePooling2D, GlobalMaxPooling2D])
@given(n=st.integers(1, 3), c=st.integers(1, 3), h=st.integers(1, 6), w=st.integers(1, 6),
       seed=SEEDS)
def test_global_pooling(layer_class, n, c, h, w, seed):
    x = well_separated((n, h, w, c), np.random.default_rng(seed))
    layer = layer_class()
    assert_small(check_layer(layer, x, seed=seed), repr(layer))


@pytest.mark.parametrize("activation", [None, "relu", "softmax"])
@given(n=st.integers(1, 3), features=st.integers(1, 10), units=st.integers(1, 10), seed=SEEDS)
def test_dense(activation, n, features, units, seed):
    rng = np.random.default_rng(seed)
    layer = Dense(units, activation=activation).build((features,), rng, np.float64)
    layer.params["b"][...] = rng.normal(scale=0.1, size=units)
    x = rng.standard_normal((n, features))
    dout = away_from_kinks(layer, x, rng) if activation == "relu" else None

    errors = check_layer(layer, x, dout=dout, seed=seed)

    assert set(errors) == {"x", "W", "b"}
    assert_small(errors, repr(layer))


@given(shape=st.lists(st.integers(1, 5), min_size=2, max_size=4), seed=SEEDS)
def test_flatten(shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    assert_small(check_layer(Flatten(), x, seed=seed), "Flatten")


@given(shape=st.lists(st.integers(1, 5), min_size=2, max_size=4), seed=SEEDS)
def test_relu(shape, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    x += np.sign(x) * 0.01  # at least 0.01 from the kink
    assert_small(check_layer(ReLU(), x, seed=seed), "ReLU")


@given(n=st.integers(1, 3), classes=st.integers(1, 10), seed=SEEDS)
def test_softmax(n, classes, seed):
    x = np.random.default_rng(seed).standard_normal((n, classes)) * 3
    assert_small(check_layer(Softmax(), x, seed=seed), "Softmax")


@given(shape=st.lists(st.integers(1, 5), min_size=2, max_size=4),
       rate=st.sampled_from([0.0, 0.25, 0.5, 0.9]), seed=SEEDS)
def test_dropout(shape, rate, seed):
    x = np.random.default_rng(seed).standard_normal(shape)
    layer = Dropout(rate)
    assert_small(check_layer(layer, x, seed=seed), repr(layer))


class HalfGradientDense(Dense):
    """A broken backward: dW is half of what it should be."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.grads["W"] = self.grads["W"] * 0.5
        return dx


def test_the_checker_catches_a_wrong_gradient():
    rng = np.random.default_rng(0)
    layer = HalfGradientDense(3).build((4,), rng, np.float64)
    errors = check_layer(layer, rng.standard_normal((2, 4)))
    assert errors["x"] < TOLERANCE and errors["b"] < TOLERANCE
    assert errors["W"] > 0.1, errors


@pytest.mark.parametrize("x_scale, dout_scale", [
    (1e-4, 1.0),  # dW is 1e-4 of db: small against the rest of the layer
    (1.0, 1e-9),  # everything is small: a fixed floor such as 1e-7 would hide the whole layer
])
def test_the_checker_catches_a_small_wrong_gradient(x_scale, dout_scale):
    rng = np.random.default_rng(0)
    layer = HalfGradientDense(3).build((4,), rng, np.float64)
    layer.params["b"][...] = rng.standard_normal(3)
    x = x_scale * rng.standard_normal((2, 4))
    dout = dout_scale * rng.standard_normal((2, 3))
    errors = check_layer(layer, x, dout=dout)
    assert errors["x"] < TOLERANCE and errors["b"] < TOLERANCE, errors
    assert errors["W"] > 0.1, errors  # 1/3 for a factor of 2


def constant_per_channel(rng, shape):
    """dout the same everywhere in each channel."""
    return np.broadcast_to(rng.standard_normal(shape[-1]), shape).copy()


def test_the_checker_catches_a_wrong_gradient_where_the_true_one_is_zero():
    class FrozenStatisticsBatchNorm(BatchNormalization):
        """A broken backward: treats the batch's mean and variance as constants."""

        def backward(self, dout):
            super().backward(dout)  # for grads
            x_hat, inv_std, _ = self._cache
            dx = self.params["gamma"] * inv_std * dout.reshape(x_hat.shape)
            return dx.reshape(dout.shape)

    rng = np.random.default_rng(0)
    layer = FrozenStatisticsBatchNorm().build((3,), rng, np.float64)
    errors = check_layer(layer, rng.standard_normal((6, 3)),
                         dout=constant_per_channel(rng, (6, 3)))
    assert errors["x"] > 0.1, errors  # the true dx is 0
    assert errors["gamma"] < TOLERANCE and errors["beta"] < TOLERANCE, errors


def dense_with_cancelling_rows(rng):
    """dout's rows come in pairs (d, -d): db = sum_n dout_n is exactly 0."""
    half = rng.standard_normal((2, 3))
    layer = Dense(3).build((5,), rng, np.float64)
    return layer, rng.standard_normal((4, 5)), np.concatenate([half, -half]), ["b"]


def batchnorm_with_constant_dout(shape):
    """The batch mean takes a constant dout away, and sum x_hat = 0: dx = dgamma = 0."""

    def case(rng):
        layer = BatchNormalization().build(shape[1:], rng, np.float64)
        x = rng.normal(3.0, 0.5, size=shape)
        return layer, x, constant_per_channel(rng, shape), ["x", "gamma"]

    return case


def relu_with_negative_inputs(rng):
    """Nothing gets through: dx = 0."""
    return ReLU(), -1 - rng.random((2, 3, 3, 2)), rng.standard_normal((2, 3, 3, 2)), ["x"]


@pytest.mark.parametrize("make_case", [
    dense_with_cancelling_rows,
    batchnorm_with_constant_dout((6, 3)),
    batchnorm_with_constant_dout((3, 4, 4, 2)),
    relu_with_negative_inputs,
], ids=["dense-bias", "batchnorm-2d", "batchnorm-4d", "relu"])
@pytest.mark.parametrize("seed", range(3))
def test_a_gradient_that_is_exactly_zero_passes(make_case, seed):
    """Both sides measure only rounding there (~1e-15 analytic, ~1e-9 numerical); without
    check_layer's floor the relative error was 1 (issue 17)."""
    layer, x, dout, zero = make_case(np.random.default_rng(seed))
    errors = check_layer(layer, x, dout=dout, seed=seed)

    grads = {"x": layer.backward(dout), **layer.grads}  # from check_layer's last forward
    for name in zero:
        assert np.max(np.abs(grads[name])) < 1e-12, name  # zero up to rounding
    assert_small(errors, repr(layer))


def test_relative_error_counts_differences_within_the_floor_as_agreement():
    a, n = np.array([1e-15, 2.0]), np.array([3e-9, 2.0])
    assert relative_error(a, n) == pytest.approx(3e-9 / 4)
    assert relative_error(a[:1], n[:1]) == pytest.approx(1.0)  # rounding alone, no floor
    assert relative_error(a[:1], n[:1], floor=1e-7) == 0.0
    assert relative_error(np.array([2e-7]), np.zeros(1), floor=1e-7) == pytest.approx(0.5)
    assert np.isnan(relative_error(np.array([np.nan]), np.ones(1), floor=1e-7))


def test_check_layer_refuses_float32_weights():
    layer = Dense(3).build((4,), np.random.default_rng(0), np.float32)
    with pytest.raises(TypeError, match="float64"):
        check_layer(layer, np.ones((2, 4)))


@pytest.mark.parametrize("make_layer, x_shape", [
    (lambda: Conv2D(2, 3, padding="same", activation="relu"), (2, 5, 5, 2)),
    (lambda: Dense(3, activation="softmax"), (2, 4)),
    (lambda: MaxPool2D(2), (2, 4, 4, 1)),
    (lambda: AveragePooling2D(3, strides=(1, 2), padding="same"), (2, 4, 5, 2)),
    (lambda: GlobalMaxPooling2D(), (2, 3, 3, 2)),
])
def test_backward_overwrites_grads_so_calling_it_twice_gives_the_same_answer(make_layer, x_shape):
    rng = np.random.default_rng(0)
    layer = make_layer().build(x_shape[1:], rng, np.float64)
    out = layer.forward(rng.standard_normal(x_shape), training=True)
    dout = rng.standard_normal(out.shape)
    first_dx = layer.backward(dout)
    first = {name: g.copy() for name, g in layer.grads.items()}
    second_dx = layer.backward(dout)
    np.testing.assert_array_equal(first_dx, second_dx)
    for name, g in layer.grads.items():
        np.testing.assert_array_equal(g, first[name], err_msg=name)


# ---- losses ---------------------------------------------------------------------------------
def random_probs(rng, n, classes):
    z = rng.standard_normal((n, classes))
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@given(n=st.integers(1, 3), classes=st.integers(2, 10), seed=SEEDS)
def test_sparse_categorical_crossentropy_gradient(n, classes, seed):
    rng = np.random.default_rng(seed)
    probs, y = random_probs(rng, n, classes), rng.integers(0, classes, size=n)
    error = check_loss(SparseCategoricalCrossentropy(), y, probs)
    assert error < TOLERANCE, f"relative error {error}"


@given(n=st.integers(1, 3), classes=st.integers(2, 10), seed=SEEDS, soft=st.booleans())
def test_categorical_crossentropy_gradient(n, classes, seed, soft):
    rng = np.random.default_rng(seed)
    probs = random_probs(rng, n, classes)
    y = random_probs(rng, n, classes) if soft else np.eye(classes)[rng.integers(0, classes, n)]
    error = check_loss(CategoricalCrossentropy(), y, probs)
    assert error < TOLERANCE, f"relative error {error}"


def test_losses_agree_and_stay_finite_at_probabilities_0_and_1():
    y = np.array([0, 1])
    probs = np.array([[1.0, 0.0], [1.0, 0.0]])  # one certain and right, one certain and wrong
    sparse = SparseCategoricalCrossentropy()
    dense = CategoricalCrossentropy()
    assert sparse(y, probs) == pytest.approx(dense(np.eye(2)[y], probs))
    assert sparse(y, probs) == pytest.approx(-np.log(1e-7) / 2, rel=1e-6)
    assert np.isfinite(sparse.gradient(y, probs)).all()
    assert np.isfinite(dense.gradient(np.eye(2)[y], probs)).all()


def tiny_model(ending, loss):
    """A float64 model ending in a softmax: built into Dense or as a layer of its own."""
    layers = [Conv2D(2, 3, padding="same", input_shape=(4, 4, 2)), Flatten()]
    if ending == "dense":
        layers.append(Dense(3, activation="softmax"))
    else:
        layers += [Dense(3), Softmax()]
    model = tc.Sequential(layers, seed=0, dtype="float64")  # built at once: input_shape
    model.compile(loss=loss, optimizer="sgd")
    return model


@pytest.mark.parametrize("ending", ["dense", "softmax_layer"])
@pytest.mark.parametrize("loss", ["sparse_categorical_crossentropy", "categorical_crossentropy"])
@given(n=st.integers(1, 3), seed=SEEDS)
def test_fused_softmax_crossentropy_gradient_of_a_whole_model(ending, loss, n, seed):
    """Sequential skips the softmax's Jacobian; the parameter gradients must still be exact."""
    model = tiny_model(ending, loss)
    model._check_output("test")  # ends in a softmax, outputs (N, K)
    rng = np.random.default_rng(seed)
    # Small weights keep every probability far from the loss's clipping at 1e-7 and 1 - 1e-7,
    # where the clipped loss is flat but the fused gradient is not.
    for weights in model.weights:
        weights[...] = rng.normal(scale=0.2, size=weights.shape)
    x = rng.standard_normal((n, 4, 4, 2))
    labels = rng.integers(0, 3, size=n)
    y = labels if loss.startswith("sparse") else np.eye(3)[labels]

    probs = model.forward(x, training=True)
    model.backward_loss(probs, y)
    analytic = [g.copy() for layer in model.layers for g in layer.grads.values()]

    def total_loss():
        return model.loss(y, model.forward(x, training=False))

    errors = {}
    for i, (weights, grad) in enumerate(zip(model.weights, analytic, strict=True)):
        errors[i] = relative_error(grad, numerical_gradient(total_loss, weights))
    assert max(errors.values()) < TOLERANCE, f"relative errors per parameter array: {errors}"


# ---- layers with several inputs ---------------------------------------------------------------
def test_check_layer_reports_an_error_per_input_of_a_merge_layer():
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 3))]
    errors = check_layer(tc.layers.Multiply(), xs)
    assert set(errors) == {"x0", "x1"}
    assert_small(errors, "Multiply")


def test_check_layer_catches_a_wrong_gradient_of_one_input():
    class SwappedSubtract(tc.layers.Subtract):
        """A broken backward: the signs of the two gradients swapped."""

        def _input_grads(self, dout, xs):
            return [-dout, dout]

    class ForgotTheStretch(tc.layers.Add):
        """A broken backward: input 1 (N, 1, 3) gets the first copy's gradient, not the sum."""

        def backward(self, dout):
            dx0, _ = super().backward(dout)
            return [dx0, dout[:, :1, :]]

    rng = np.random.default_rng(0)
    errors = check_layer(SwappedSubtract(), [rng.standard_normal((2, 3))] * 2)
    assert errors["x0"] > 0.1 and errors["x1"] > 0.1, errors
    errors = check_layer(ForgotTheStretch(), [rng.standard_normal((2, 4, 3)),
                                              rng.standard_normal((2, 1, 3))])
    assert errors["x0"] < TOLERANCE and errors["x1"] > 0.1, errors


def test_check_layer_refuses_a_backward_with_the_wrong_number_of_gradients():
    class OneGradient(tc.layers.Add):
        def backward(self, dout):
            return super().backward(dout)[:1]

    with pytest.raises(ValueError, match="returned 1 gradients for 2 inputs"):
        check_layer(OneGradient(), [np.ones((2, 3)), np.ones((2, 3))])
