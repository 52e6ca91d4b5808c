"""Weight constraints, BatchNormalization's Keras arguments and Dropout's (issue 19, item 3).

- keras.constraints (tinycnn/layers/constraints.py): each projection equals what real Keras
  3.15.1 computes on fixed arrays, epsilon included (tests/data/constraints_parity.json, written
  by tests/data/constraints_make_parity.py), in float64 and float32; the names, aliases and
  ``get``; the arguments refused;
- the layers' constraint arguments: kept in ``layer.constraints`` keyed like params, in
  get_config, rebuilt from it, saved and loaded with the model; ``layer.apply_constraints()``
  projects after each training step (here the tests call it after train_on_batch, as the
  training step will), so the weights stay in the set, and a small model's weights after two
  SGD steps equal Keras's; a frozen layer's are left alone, as in Keras;
- BatchNormalization(axis, center, scale, the four initializers): outputs in training and at
  inference, the moving statistics and the order of the weights equal Keras's; gradient checks;
- Dropout(noise_shape, seed): a seeded layer repeats its masks whatever stream fit gives it;
  noise_shape drops whole channels or rows; gradient checks; bad arguments refused.
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest

import tinycnn as tc
from tinycnn.gradcheck import check_layer
from tinycnn.layers import (
    BatchNormalization,
    Conv2D,
    Conv2DTranspose,
    Dense,
    DepthwiseConv2D,
    Dropout,
    Flatten,
    SeparableConv2D,
)
from tinycnn.layers import constraints as keras_constraints
from tinycnn.layers.constraints import MaxNorm, MinMaxNorm, NonNeg, UnitNorm
from tinycnn.layers.initializers import Constant

REFERENCE = json.loads((Path(__file__).parent / "data" / "constraints_parity.json").read_text())
TOLERANCES = {"float64": 1e-13, "float32": 2e-6}  # rounding; float32: TensorFlow's own order
GRADIENT_TOLERANCE = 1e-6


def close(actual, expected, what, tolerance=1e-12):
    np.testing.assert_allclose(actual, expected, rtol=tolerance, atol=tolerance, err_msg=what)


def norms(W, axis):
    """The norm of every slice of W over ``axis`` (an int or a list), as the constraints take
    them."""
    return np.sqrt(np.sum(np.square(W), axis=tuple(np.atleast_1d(axis))))


def raises(error, *fragments):
    """pytest.raises(error) whose message holds each fragment, in order."""
    return pytest.raises(error, match=".*".join(re.escape(f) for f in fragments))


def from_config(layer):
    """A new layer of the same class from ``layer.get_config()`` as a file carries it (JSON:
    lists come back as tuples at the top level, as load_model passes them)."""
    config = json.loads(json.dumps(layer.get_config()))
    return type(layer)(**{key: tuple(value) if isinstance(value, list) else value
                          for key, value in config.items()})


# ---- the constraints against Keras ----------------------------------------------------------
@pytest.mark.parametrize("name", sorted(REFERENCE["constraints"]))
def test_each_projection_equals_keras(name):
    case = REFERENCE["constraints"][name]
    W = np.array(case["w"], dtype=case["dtype"])
    built = getattr(keras_constraints, case["class"])(**case["arguments"])
    from_keras_config = keras_constraints.get(case["serialized"])  # Keras's serialized form
    for constraint in (built, from_keras_config):
        out = constraint(W)
        assert out.dtype == W.dtype and out.shape == W.shape
        close(out, case["out"], name, TOLERANCES[case["dtype"]])


def test_epsilon_is_kerass_and_shows_on_tiny_and_zero_slices():
    assert keras_constraints.EPSILON == REFERENCE["epsilon"]
    W = np.zeros((3, 3))
    W[:, 1] = [1e-7, 0.0, 0.0]  # norm 1e-7: UnitNorm gives 1e-7 / (1e-7 + 1e-7)
    W[:, 2] = [3.0, 4.0, 0.0]  # norm 5
    unit = UnitNorm()(W)
    close(norms(unit, 0), [0.0, 0.5, 5 / (5 + 1e-7)], "UnitNorm's norms")
    # MaxNorm shrinks a slice inside the ball too, by norm / (eps + norm), as Keras's
    close(MaxNorm(10.0)(W)[:, 2], W[:, 2] * 5 / (1e-7 + 5), "MaxNorm inside the ball")


def test_keras_names_aliases_and_get():
    assert keras_constraints.max_norm is MaxNorm and keras_constraints.non_neg is NonNeg
    assert keras_constraints.unit_norm is UnitNorm and keras_constraints.min_max_norm is MinMaxNorm
    for name, cls in [("max_norm", MaxNorm), ("MaxNorm", MaxNorm), ("non_neg", NonNeg),
                      ("UnitNorm", UnitNorm), ("min_max_norm", MinMaxNorm)]:
        assert type(keras_constraints.get(name)) is cls
    assert keras_constraints.get(None) is None
    assert type(keras_constraints.get(UnitNorm)) is UnitNorm  # a class: made with its defaults
    constraint = MinMaxNorm(0.5, 2.0, rate=0.25, axis=[0, 1, 2])
    assert keras_constraints.get(constraint) is constraint
    for again in (keras_constraints.get(keras_constraints.serialize(constraint)),
                  keras_constraints.deserialize(keras_constraints.serialize(constraint))):
        assert type(again) is MinMaxNorm and again.get_config() == constraint.get_config()
    assert MaxNorm().get_config() == {"max_value": 2.0, "axis": 0}  # Keras's defaults


def test_a_constraint_of_your_own_subclasses_constraint():
    class Clip(keras_constraints.Constraint):
        def __call__(self, W):
            return np.clip(W, -0.1, 0.1)

    layer = Dense(3, kernel_constraint=Clip()).build((4,), np.random.default_rng(0))
    layer.params["W"][...] = 5.0
    layer.apply_constraints()
    np.testing.assert_array_equal(layer.params["W"], np.full((4, 3), 0.1, np.float32))


@pytest.mark.parametrize("make, fragments", [
    (lambda: MaxNorm(-1), ["MaxNorm max_value", ">= 0", "-1"]),
    (lambda: MaxNorm("2"), ["MaxNorm max_value", "'2'"]),
    (lambda: MinMaxNorm(2.0, 1.0), ["MinMaxNorm", "min_value 2.0", "max_value 1.0"]),
    (lambda: MinMaxNorm(rate=1.5), ["MinMaxNorm rate", "[0, 1]", "1.5"]),
    (lambda: UnitNorm(axis=[]), ["UnitNorm axis", "[]"]),
    (lambda: UnitNorm(axis=1.0), ["UnitNorm axis", "1.0"]),
    (lambda: keras_constraints.get("max"), ["constraint", "unknown constraint 'max'",
                                            "max_norm"]),
    (lambda: keras_constraints.get(lambda W: W), ["subclass keras.constraints.Constraint"]),
    (lambda: keras_constraints.get({"class_name": "MaxNorm", "config": {"size": 2}}),
     ["MaxNorm does not take", "size"]),
    (lambda: Dense(3, kernel_constraint="unit"), ["Dense kernel_constraint", "'unit'"]),
    (lambda: SeparableConv2D(2, 3, pointwise_constraint=3),
     ["SeparableConv2D pointwise_constraint", "3"]),
    (lambda: BatchNormalization(gamma_constraint="big"), ["BatchNormalization gamma_constraint"]),
])
def test_bad_constraints_are_refused_by_name(make, fragments):
    with raises(ValueError, *fragments):
        make()


def test_an_axis_the_weight_has_not_is_refused_at_build_and_leaves_the_layer_unbuilt():
    layer = Dense(3, kernel_constraint=MaxNorm(axis=2), name="d")
    with raises(ValueError, "d", "params['W']", "axis 2", "(4, 3)"):
        layer.build((4,), np.random.default_rng(0))
    assert not layer.built
    with raises(ValueError, "names an axis twice"):
        Conv2D(2, 3, kernel_constraint=UnitNorm(axis=[0, -4])).build((5, 5, 1))


# ---- the layers' constraint arguments ---------------------------------------------------------
# (a new layer, its input shape): each layer's every constraint argument, a different
# constraint on each
CONSTRAINED_LAYERS = {
    "Dense": (lambda: Dense(4, kernel_constraint=MaxNorm(0.5), bias_constraint=NonNeg()),
              (6,)),
    "Conv2D": (lambda: Conv2D(3, 2, kernel_constraint=UnitNorm(axis=[0, 1, 2]),
                              bias_constraint="non_neg"), (5, 5, 2)),
    "Conv2DTranspose": (lambda: Conv2DTranspose(2, 3, kernel_constraint=MinMaxNorm(0.1, 0.3),
                                                bias_constraint=MaxNorm(0.2)), (3, 3, 2)),
    "DepthwiseConv2D": (lambda: DepthwiseConv2D(
        2, depth_multiplier=2, depthwise_constraint=MaxNorm(0.4, axis=[0, 1]),
        bias_constraint=NonNeg()), (4, 4, 2)),
    "SeparableConv2D": (lambda: SeparableConv2D(
        3, 2, depthwise_constraint=NonNeg(), pointwise_constraint=UnitNorm(axis=[0, 1, 2]),
        bias_constraint=MaxNorm(0.1)), (4, 4, 2)),
    "BatchNormalization": (lambda: BatchNormalization(
        gamma_constraint=MinMaxNorm(0.5, 0.8), beta_constraint=NonNeg()), (3, 3, 2)),
}
EACH_CONSTRAINED_LAYER = pytest.mark.parametrize("kind", sorted(CONSTRAINED_LAYERS))


def constrained_layer(kind):
    """CONSTRAINED_LAYERS[kind], built."""
    make, input_shape = CONSTRAINED_LAYERS[kind]
    return make().build(input_shape, np.random.default_rng(0))


@EACH_CONSTRAINED_LAYER
def test_constraints_are_keyed_like_params_and_rebuilt_from_the_config(kind):
    layer = constrained_layer(kind)
    assert set(layer.constraints) == set(layer.params)  # here every param has one
    config = layer.get_config()
    for key, argument in type(layer).constraint_arguments.items():
        assert config[argument] == keras_constraints.serialize(layer.constraints[key])
    rebuilt = from_config(layer)
    assert rebuilt.get_config() == config


def out_of_bounds(layer):
    """Set every constrained param far outside its set: large values of both signs."""
    for key in layer.constraints:
        param = layer.params[key]
        param[...] = 10 * np.sign(np.arange(param.size) % 2 - 0.5).reshape(param.shape)


def assert_within(layer, slack=1e-6):
    """Each constrained param of ``layer`` satisfies its constraint. A MinMaxNorm with rate < 1
    moves the norms only part of the way into [min_value, max_value]: it has no set to check."""
    for key, constraint in layer.constraints.items():
        W, what = layer.params[key], f"{layer} {key}"
        if isinstance(constraint, NonNeg):
            assert W.min() >= 0, what
        elif isinstance(constraint, UnitNorm):
            close(norms(W, constraint.axis), 1.0, what, 1e-5)
        elif isinstance(constraint, MaxNorm):
            assert norms(W, constraint.axis).max() <= constraint.max_value + slack, what
        elif constraint.rate == 1:  # MinMaxNorm
            W_norms = norms(W, constraint.axis)
            assert W_norms.max() <= constraint.max_value + slack, what
            assert W_norms.min() >= constraint.min_value - slack, what


@EACH_CONSTRAINED_LAYER
def test_apply_constraints_projects_the_params_in_place(kind):
    layer = constrained_layer(kind)
    arrays = dict(layer.params)
    out_of_bounds(layer)
    layer.apply_constraints()
    assert_within(layer)
    assert all(layer.params[key] is array for key, array in arrays.items())  # the same arrays


@EACH_CONSTRAINED_LAYER
def test_a_frozen_layer_is_left_alone_as_in_keras(kind):
    layer = constrained_layer(kind)
    out_of_bounds(layer)
    before = layer.get_weights()
    layer.trainable = False
    layer.apply_constraints()  # Keras projects only the variables the optimizer moved
    for old, new in zip(before, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


def constrained_model(seed=0, dtype="float32"):
    """The model of constraints_make_parity.py: a constraint on every kind of weight."""
    return tc.Sequential([
        SeparableConv2D(3, 3, padding="same", depthwise_constraint=NonNeg(),
                        pointwise_constraint=MaxNorm(0.5, axis=[0, 1, 2]),
                        bias_constraint=NonNeg(), activation="relu", input_shape=(6, 6, 2)),
        DepthwiseConv2D(2, depthwise_constraint=UnitNorm(axis=[0, 1]),
                        bias_constraint=MaxNorm(0.01)),
        Conv2DTranspose(2, 2, kernel_constraint=MinMaxNorm(0.2, 0.4, rate=0.5, axis=[0, 1, 3]),
                        activation="tanh"),
        Conv2D(2, 3, kernel_constraint=MaxNorm(0.3, axis=[0, 1, 2]), bias_constraint=NonNeg()),
        BatchNormalization(gamma_constraint=MinMaxNorm(0.5, 0.8), beta_constraint=NonNeg()),
        Flatten(),
        Dense(3, activation="softmax", kernel_constraint=UnitNorm(), bias_constraint=NonNeg()),
    ], seed=seed, dtype=dtype)


def test_two_sgd_steps_with_constraints_give_the_weights_keras_gives():
    step = REFERENCE["training"]
    model = constrained_model(dtype="float64")
    model.set_weights([np.array(w) for w in step["initial"]])
    model.compile(optimizer=tc.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    for batch, keras_loss in zip(step["batches"], step["losses"], strict=True):
        loss = model.train_on_batch(np.array(batch["x"]), np.array(batch["y"]))
        assert loss == pytest.approx(keras_loss, rel=1e-12)
    for i, (ours, theirs) in enumerate(zip(model.get_weights(), step["weights"], strict=True)):
        close(ours, theirs, f"weights[{i}]")


def test_training_keeps_the_weights_within_their_constraints_and_without_them_it_would_not():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 6, 6, 2)).astype(np.float32), rng.integers(0, 3, 16)
    constrained, free = constrained_model(), constrained_model()
    for layer in free.layers:  # the same model, its constraints taken away
        layer.constraints = {}
    for model in (constrained, free):
        model.compile(optimizer=tc.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
        for _ in range(5):
            model.train_on_batch(x, y)
    for layer in constrained.layers:
        assert_within(layer, slack=1e-5)
    dense = free.layers[-1]  # without its constraint Adam takes the kernel off the unit sphere
    assert np.abs(norms(dense.params["W"], 0) - 1).max() > 1e-3


def test_constraints_are_saved_and_loaded_with_the_model(tmp_path):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(8, 6, 6, 2)).astype(np.float32), rng.integers(0, 3, 8)
    model = constrained_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.train_on_batch(x, y)
    model.save(tmp_path / "constrained.npz")
    loaded = tc.load_model(tmp_path / "constrained.npz")
    for ours, theirs in zip(model.layers, loaded.layers, strict=True):
        assert ours.get_config() == theirs.get_config()
        assert {key: keras_constraints.serialize(c) for key, c in ours.constraints.items()} == \
            {key: keras_constraints.serialize(c) for key, c in theirs.constraints.items()}
    for trained in (model, loaded):  # and training goes on the same way
        trained.train_on_batch(x, y)
    for ours, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_a_layer_without_constraints_keeps_its_config_and_a_noop_hook():
    layer = Conv2D(2, 3).build((5, 5, 1), np.random.default_rng(0))
    before = layer.get_weights()
    layer.apply_constraints()
    assert layer.constraints == {}
    assert not any(key.endswith("_constraint") for key in layer.get_config())
    for old, new in zip(before, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)


# ---- BatchNormalization's Keras arguments -----------------------------------------------------
def batchnorm_from_case(case):
    """A float64 BatchNormalization with the case's arguments and Keras's weights."""
    x = np.array(case["x"])
    layer = BatchNormalization(**case["arguments"]).build(x.shape[1:], np.random.default_rng(0),
                                                          np.float64)
    if case["set_weights"]:
        layer.set_weights([np.array(w) for w in case["weights"]])
    return layer, x


@pytest.mark.parametrize("name", sorted(REFERENCE["batchnorm"]))
def test_batchnorm_equals_keras_in_both_modes_with_its_weights_in_kerass_order(name):
    case = REFERENCE["batchnorm"][name]
    layer, x = batchnorm_from_case(case)
    assert [*layer.params, *layer.state] == case["weight_names"]
    for i, (ours, theirs) in enumerate(zip(layer.get_weights(), case["weights"], strict=True)):
        close(ours, theirs, f"{name} weights[{i}]")  # the initializers' case: Keras's own
    close(layer.forward(x, training=False), case["out_inference"], f"{name} inference")
    close(layer.forward(x, training=True), case["out_training"], f"{name} training")
    for i, (ours, theirs) in enumerate(zip(layer.state.values(), case["moving_after_training"],
                                           strict=True)):
        close(ours, theirs, f"{name} moving statistics {i}")


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("arguments, shape", [
    ({"center": False}, (4, 3, 3, 2)),
    ({"scale": False}, (4, 3, 3, 2)),
    ({"center": False, "scale": False}, (5, 3)),
    ({"axis": 1}, (3, 4, 2, 2)),
    ({"axis": -2, "scale": False}, (3, 2, 4, 2)),
])
def test_batchnorm_variants_pass_the_gradient_check(arguments, shape, training):
    rng = np.random.default_rng(3)
    layer = BatchNormalization(momentum=0.9, **arguments)
    layer.build(shape[1:], rng, np.float64)
    for value in (*layer.params.values(), layer.state["moving_mean"]):
        value[...] = rng.normal(size=value.shape)
    errors = check_layer(layer, rng.normal(1.0, 2.0, size=shape), training=training)
    assert set(errors) == {"x", *layer.params}
    assert max(errors.values()) < GRADIENT_TOLERANCE, errors


def test_batchnorm_keeps_its_old_config_and_carries_the_new_arguments_when_given():
    assert BatchNormalization(name="bn").get_config() == {"name": "bn", "momentum": 0.99,
                                                          "epsilon": 1e-3}
    layer = BatchNormalization(axis=1, center=False, gamma_initializer="zeros",
                               moving_variance_initializer=Constant(2.0),
                               beta_constraint="non_neg")
    config = layer.get_config()
    assert {key: config[key] for key in ("axis", "center", "gamma_initializer")} == \
        {"axis": 1, "center": False, "gamma_initializer": "zeros"}
    assert "scale" not in config and "beta_constraint" in config
    assert from_config(layer).get_config() == config
    layer.build((3, 4))
    assert list(layer.params) == ["gamma"] and layer.params["gamma"].shape == (3,)
    np.testing.assert_array_equal(layer.state["moving_variance"], [2.0, 2.0, 2.0])


def test_batchnorm_without_center_and_scale_trains_and_loads_in_a_model(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(12, 5, 5, 1)).astype(np.float32), rng.integers(0, 2, 12)
    model = tc.Sequential([Conv2D(3, 3, input_shape=(5, 5, 1)),
                           BatchNormalization(center=False, scale=False), Flatten(),
                           Dense(2, activation="softmax")], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.train_on_batch(x, y)
    assert len(model.get_weights()) == 2 + 2 + 2  # conv W, b; moving mean, variance; dense W, b
    model.save(tmp_path / "bn.npz")
    loaded = tc.load_model(tmp_path / "bn.npz")
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


@pytest.mark.parametrize("make, error, fragments", [
    (lambda: BatchNormalization(axis="1"), ValueError, ["BatchNormalization axis", "'1'"]),
    (lambda: BatchNormalization(center="no"), TypeError, ["BatchNormalization center"]),
    (lambda: BatchNormalization(beta_initializer="nope"), ValueError,
     ["BatchNormalization beta_initializer", "'nope'"]),
    (lambda: BatchNormalization(axis=0, name="bn").build((3, 4)), ValueError,
     ["bn", "axis=0", "(N, 3, 4)", "axis 0 is the batch"]),
    (lambda: BatchNormalization(axis=3, name="bn").build((3, 4)), ValueError,
     ["bn", "axis=3", "(N, 3, 4)"]),
])
def test_batchnorm_bad_arguments_are_named(make, error, fragments):
    with raises(error, *fragments):
        make()


# ---- Dropout(noise_shape, seed) ---------------------------------------------------------------
def masks(layer, x, calls=3):
    """The masks (as out / x) of ``calls`` training forwards."""
    return [layer.forward(x, training=True) / x for _ in range(calls)]


def test_a_seeded_dropout_repeats_its_masks_whatever_stream_fit_gives_it():
    x = np.ones((4, 10), np.float32)
    first, second = Dropout(0.5, seed=3), Dropout(0.5, seed=3)
    first.build((10,), np.random.default_rng(0))
    second.build((10,), np.random.default_rng(1))
    second.rng = np.random.default_rng(99)  # what fit does: the model's training stream
    for a, b in zip(masks(first, x), masks(second, x), strict=True):
        np.testing.assert_array_equal(a, b)
    other = Dropout(0.5, seed=4).build((10,), np.random.default_rng(0))
    assert not np.array_equal(masks(other, x, 1)[0], masks(Dropout(0.5, seed=3), x, 1)[0])


def test_an_unseeded_dropout_draws_from_the_stream_it_is_given():
    x = np.ones((4, 10))
    layer = Dropout(0.3).build((10,), np.random.default_rng(0))
    layer.rng = np.random.default_rng(7)
    expected = (np.random.default_rng(7).random((4, 10)) < 0.7) / 0.7
    np.testing.assert_array_equal(layer.forward(x, training=True), expected)


@pytest.mark.parametrize("noise_shape, x_shape, shared_axes", [
    ((None, 1, 1, 3), (6, 4, 5, 3), (1, 2)),  # whole channels, as SpatialDropout2D
    ((None, 4, 1, 1), (6, 4, 5, 3), (2, 3)),  # whole image rows
    ((1, 8), (6, 8), (0,)),  # the same units for every example of the batch
])
def test_noise_shape_drops_whole_slices(noise_shape, x_shape, shared_axes):
    layer = Dropout(0.5, noise_shape=noise_shape).build(x_shape[1:], np.random.default_rng(0))
    mask = masks(layer, np.ones(x_shape), 1)[0]
    assert set(np.unique(mask)) == {0.0, 2.0}
    first = mask[tuple(slice(0, 1) if axis in shared_axes else slice(None)
                       for axis in range(mask.ndim))]
    np.testing.assert_array_equal(mask, np.broadcast_to(first, x_shape))  # one draw a slice


@pytest.mark.parametrize("noise_shape", [None, (None, 1, 1, 2), (1, 3, 1, 2)])
def test_dropout_passes_the_gradient_check(noise_shape):
    layer = Dropout(0.4, noise_shape=noise_shape)
    x = np.random.default_rng(0).normal(size=(3, 3, 4, 2))
    errors = check_layer(layer, x, training=True)
    assert max(errors.values()) < GRADIENT_TOLERANCE, errors


def test_dropout_keeps_its_old_config_and_saves_noise_shape_and_seed(tmp_path):
    assert Dropout(0.5, name="d").get_config() == {"name": "d", "rate": 0.5}
    model = tc.Sequential([Dense(6, input_shape=(4,)),
                           Dropout(0.5, noise_shape=(None, 6), seed=11),
                           Dense(2, activation="softmax")], seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.save(tmp_path / "dropout.npz")
    loaded = tc.load_model(tmp_path / "dropout.npz").layers[1]
    assert (loaded.noise_shape, loaded.seed) == ((None, 6), 11)
    x = np.ones((2, 6))
    for a, b in zip(masks(model.layers[1], x), masks(loaded, x), strict=True):
        np.testing.assert_array_equal(a, b)  # a fresh generator from the seed on both sides


@pytest.mark.parametrize("make, fragments", [
    (lambda: Dropout(0.5, seed=-1), ["Dropout seed", ">= 0", "-1"]),
    (lambda: Dropout(0.5, seed="1"), ["Dropout seed", "'1'"]),
    (lambda: Dropout(0.5, seed=True), ["Dropout seed", "True"]),
    (lambda: Dropout(0.5, noise_shape="abc"), ["Dropout noise_shape", "'abc'"]),
    (lambda: Dropout(0.5, noise_shape=(None, 0)), ["Dropout noise_shape", ">= 1"]),
    (lambda: Dropout(0.5, noise_shape=(None, 2.5)), ["Dropout noise_shape", "2.5"]),
    (lambda: Dropout(0.5, noise_shape=(None, 3, 1), name="d").build((4, 1)),
     ["d", "noise_shape (None, 3, 1)", "(N, 4, 1)"]),
    (lambda: Dropout(0.5, noise_shape=(None, 1), name="d").build((4, 1)),
     ["d", "noise_shape (None, 1)", "(N, 4, 1)"]),
    (lambda: Dropout(0.5, noise_shape=(5, 4), name="d").forward(np.ones((3, 4)), training=True),
     ["d", "noise_shape (5, 4)", "(3, 4)", "batch size"]),
])
def test_dropout_bad_arguments_are_named(make, fragments):
    with raises(ValueError, *fragments):
        make()
