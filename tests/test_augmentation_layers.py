"""The random image layers (RandomFlip, RandomTranslation, RandomRotation, RandomZoom,
RandomContrast), issue 19.

- the transform functions (flip, translate, rotate, zoom, affine_transform, adjust_contrast)
  against what real Keras 3.15.1 on TensorFlow computes for the same fixed parameters
  (tests/data/augmentation_parity.json, written by tests/data/augmentation_parity.py): every
  fill mode with both interpolations, to 1e-5, in float32 and float64;
- a layer applies exactly the transform function to what it drew;
- the factor rules: the values Keras refuses are refused, and for the others 4000 draws fill
  the range Keras draws from, and no more;
- inference is the identity, and so is its gradient; while training, dL/dx is checked by
  centred differences (the geometric layers' adjoint too, for every fill mode);
- a seeded Sequential of all five trains two epochs bit for bit twice; the draws come from
  fit's stream, or from the layer's own with seed=; save and load; bad arguments.
"""

import json
from pathlib import Path

import numpy as np
import pytest

import tinycnn as tc
from tinycnn.gradcheck import check_layer
from tinycnn.layers import Conv2D, Dense, Flatten
from tinycnn.layers.augmentation import (
    FILL_MODES,
    INTERPOLATIONS,
    affine_transform,
    resample,
    resample_adjoint,
    resampling,
)
from tinycnn.layers.random_contrast import RandomContrast, adjust_contrast
from tinycnn.layers.random_flip import RandomFlip, flip
from tinycnn.layers.random_rotation import RandomRotation, rotate
from tinycnn.layers.random_translation import RandomTranslation, translate
from tinycnn.layers.random_zoom import RandomZoom, zoom

REFERENCE = json.loads((Path(__file__).parent / "data" / "augmentation_parity.json").read_text())
CLASSES = {cls.__name__: cls for cls in
           (RandomFlip, RandomTranslation, RandomRotation, RandomZoom, RandomContrast)}
CUSTOM_OBJECTS = CLASSES  # until tinycnn.layers registers them, load_model needs them named
FUNCTIONS = {"flip": flip, "translate": translate, "rotate": rotate, "zoom": zoom,
             "affine_transform": affine_transform, "adjust_contrast": adjust_contrast}

# One layer of each kind, with arguments away from the defaults.
EXAMPLES = [
    RandomFlip("horizontal"),
    RandomTranslation(0.2, (-0.1, 0.3), fill_mode="constant", fill_value=0.5),
    RandomRotation(0.1, fill_mode="wrap", interpolation="nearest"),
    RandomZoom((-0.3, 0.2), 0.1, fill_mode="nearest"),
    RandomContrast((0.2, 0.5), value_range=(0, 1)),
]


def fresh(example):
    """A new, unbuilt layer like ``example`` (the list above is shared by the tests)."""
    return type(example)(**example.get_config())


def images(shape=(8, 7, 6, 2), dtype=np.float32, seed=0):
    return np.random.default_rng(seed).random(shape).astype(dtype)


def assert_close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


def applied(layer, x, transformation):
    """What ``layer`` should output for ``x`` and the transformation it drew, by the
    transform functions the Keras reference checks."""
    if isinstance(layer, RandomFlip):
        return flip(x, transformation, layer.mode)
    if isinstance(layer, RandomContrast):
        return adjust_contrast(x, transformation, layer.value_range)
    options = layer.resampling_arguments()
    if isinstance(layer, RandomTranslation):
        return translate(x, transformation.dy, transformation.dx, **options)
    if isinstance(layer, RandomRotation):
        return rotate(x, transformation, **options)
    return zoom(x, transformation.zoom_y, transformation.zoom_x, **options)


# ---- the geometry, against Keras -----------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(REFERENCE["cases"]))
def test_transform_functions_compute_what_keras_computes(name, dtype):
    case = REFERENCE["cases"][name]
    x = np.asarray(REFERENCE["images"], np.float32).astype(dtype) * dtype(case.get("scale", 1))
    arguments = {key: np.asarray(value) for key, value in case["arguments"].items()}
    out = FUNCTIONS[case["function"]](x, **arguments, **case["options"])
    assert out.dtype == dtype
    assert_close(out, case["output"])


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda layer: type(layer).__name__)
def test_a_layer_applies_the_transform_function_to_what_it_drew(example):
    layer = fresh(example).build((7, 6, 2), np.random.default_rng(5))
    x = images()
    twin = np.random.default_rng(5)  # the same stream as the layer's, to draw again
    out = layer.forward(x, training=True)
    assert not np.array_equal(out, x)
    np.testing.assert_array_equal(out, applied(layer, x, layer.draw(twin, x.shape)))


@pytest.mark.parametrize("rule", REFERENCE["factor_rules"],
                         ids=lambda rule: f"{rule['layer']}-{rule['value']}")
def test_factors_follow_keras_rules(rule):
    """Keras's refusals are refused; otherwise 4000 draws fill the range Keras draws from
    (in tinycnn's units: a fraction of the height, a zoom, a fraction of a turn, a contrast
    factor) to within 1% at both ends, and never leave it."""
    value = tuple(rule["value"]) if isinstance(rule["value"], list) else rule["value"]
    extra = (0.1,) if rule["layer"] == "RandomTranslation" else ()  # its width_factor
    if "error" in rule:
        with pytest.raises(ValueError, match=rule["argument"]):
            CLASSES[rule["layer"]](value, *extra)
        return
    layer = CLASSES[rule["layer"]](value, *extra)
    drawn = layer.draw(np.random.default_rng(0), (4000, 4, 5, 1))
    drawn = {"RandomTranslation": lambda: drawn.dy / 4, "RandomZoom": lambda: drawn.zoom_y,
             "RandomRotation": lambda: drawn / (2 * np.pi),
             "RandomContrast": lambda: drawn}[rule["layer"]]()
    low, high = rule["range"]
    slack = 0.01 * (high - low)
    assert low - 1e-12 <= drawn.min() <= low + slack
    assert high - slack <= drawn.max() <= high + 1e-12
    keras_low, keras_high = rule["drawn"]  # the fixture's own check: Keras drew in the range
    assert low - 1e-6 <= keras_low and keras_high <= high + 1e-6


# ---- inference, gradients ----------------------------------------------------------------
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda layer: type(layer).__name__)
def test_inference_is_the_identity_and_so_is_its_gradient(example):
    layer = fresh(example)
    x, dout = images(), images(seed=1)
    layer.forward(x, training=True)
    assert layer.forward(x) is x
    assert layer(x) is x
    assert layer.backward(dout) is dout


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda layer: type(layer).__name__)
def test_training_gradient_matches_central_differences(example):
    layer = fresh(example)
    x = images((2, 5, 6, 2), np.float64)
    errors = check_layer(layer, x, training=True)
    assert errors["x"] < 1e-6, errors


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_rotation_gradient_in_every_mode(fill_mode, interpolation):
    layer = RandomRotation(0.3, fill_mode=fill_mode, interpolation=interpolation,
                           fill_value=0.7)
    errors = check_layer(layer, images((2, 5, 6, 1), np.float64), training=True)
    assert errors["x"] < 1e-6, errors


@pytest.mark.parametrize("interpolation", INTERPOLATIONS)
@pytest.mark.parametrize("fill_mode", FILL_MODES)
def test_resample_adjoint_is_the_adjoint(fill_mode, interpolation):
    """<A x, y> = <x, A^T y> for Keras's general matrices (a shear, several periods of each
    fill mode, a projective one), with fill_value 0 so that A is linear."""
    x, y = images((3, 7, 6, 2), np.float64), images((3, 7, 6, 2), np.float64, seed=1)
    matrices = REFERENCE["cases"]["affine_transform_reflect_nearest"]["arguments"]["transforms"]
    taps = resampling(matrices, x.shape, interpolation, fill_mode)
    assert np.sum(resample(x, taps) * y) == pytest.approx(np.sum(x * resample_adjoint(y, taps)))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda layer: type(layer).__name__)
def test_a_layer_reading_the_model_input_returns_no_gradient(example):
    layer = fresh(example)
    layer.forward(images(), training=True)
    layer.needs_input_grad = False  # what a model sets on the layers reading its input
    assert layer.backward(images(seed=1)) is None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda layer: type(layer).__name__)
def test_keeps_the_dtype_and_never_writes_into_its_input(example, dtype):
    layer = fresh(example)
    x, dout = images(dtype=dtype), images(dtype=dtype, seed=1)
    saved = x.copy()
    x.setflags(write=False)
    dout.setflags(write=False)
    out = layer.forward(x, training=True)
    dx = layer.backward(dout)
    assert out.dtype == dx.dtype == dtype
    np.testing.assert_array_equal(x, saved)


# ---- randomness, training, saving ---------------------------------------------------------
def augmented_model(layer_seed=None, nested=False):
    """All five in a row, then a small CNN, for 8x8 images in [0, 1]; with ``nested``, the
    five make a Sequential of their own used as the first layer, as in Keras's tutorials."""
    augmentation = [
        RandomFlip(seed=layer_seed, input_shape=(8, 8, 1)),
        RandomTranslation(0.2, 0.2, seed=layer_seed),
        RandomRotation(0.1, fill_mode="constant", seed=layer_seed),
        RandomZoom(0.2, seed=layer_seed),
        RandomContrast(0.3, value_range=(0, 1), seed=layer_seed),
    ]
    if nested:
        augmentation = [tc.Sequential(augmentation, name="data_augmentation")]
    return tc.Sequential([*augmentation, Conv2D(4, 3, activation="relu"), Flatten(),
                          Dense(3, activation="softmax")], seed=3)


def trained(fit_seed=None, layer_seed=None, shuffle=True, nested=False):
    """(history, weights) after two epochs of augmented_model on fixed data."""
    generator = np.random.default_rng(11)
    x = generator.random((48, 8, 8, 1)).astype(np.float32)
    y = generator.integers(0, 3, 48)
    model = augmented_model(layer_seed, nested)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=shuffle,
                        seed=fit_seed)
    return history.history, model.get_weights()


def same_weights(first, second):
    return all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


@pytest.mark.parametrize("nested", [False, True], ids=["stacked", "nested"])
def test_a_seeded_model_trains_bit_for_bit_again(nested):
    """Two epochs through all five layers stacked (so the ones after the first send dL/dx
    back through their transforms), twice from the same seeds: the same run."""
    history, weights = trained(nested=nested)
    again_history, again_weights = trained(nested=nested)
    assert history == again_history
    assert same_weights(weights, again_weights)


@pytest.mark.parametrize("nested", [False, True], ids=["stacked", "nested"])
def test_the_draws_come_from_fits_stream_unless_the_layer_has_a_seed(nested):
    """Without shuffling, fit's seed changes only what the layers draw: the run differs;
    layers made with seed= draw from their own generators, so then it does not."""
    assert not same_weights(trained(fit_seed=1, shuffle=False, nested=nested)[1],
                            trained(fit_seed=2, shuffle=False, nested=nested)[1])
    assert same_weights(trained(fit_seed=1, layer_seed=7, shuffle=False, nested=nested)[1],
                        trained(fit_seed=2, layer_seed=7, shuffle=False, nested=nested)[1])


def test_seed_gives_a_layer_its_own_generator():
    x = images()
    first, second = RandomRotation(0.2, seed=4), RandomRotation(0.2, seed=4)
    second.build(x.shape[1:])
    second.rng = np.random.default_rng(99)  # what fit does: a seeded layer ignores it
    np.testing.assert_array_equal(first.forward(x, training=True),
                                  second.forward(x, training=True))
    assert not np.array_equal(first.forward(x, training=True),
                              RandomRotation(0.2, seed=5).forward(x, training=True))


def test_a_model_holding_them_saves_and_loads(tmp_path):
    model = augmented_model(layer_seed=7)
    model.compile()
    x = images((4, 8, 8, 1))
    model.save(tmp_path / "augmented.npz")
    loaded = tc.load_model(tmp_path / "augmented.npz", custom_objects=CUSTOM_OBJECTS)
    assert ([(type(layer), layer.get_config()) for layer in loaded.layers]
            == [(type(layer), layer.get_config()) for layer in model.layers])
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda layer: type(layer).__name__)
def test_config_rebuilds_the_layer_through_json(example):
    config = json.loads(json.dumps(example.get_config()))
    arguments = {key: tuple(value) if isinstance(value, list) else value
                 for key, value in config.items()}  # as load_model passes them
    assert type(example)(**arguments).get_config() == example.get_config()


# ---- bad arguments ------------------------------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda: RandomFlip("diagonal"), "RandomFlip mode: expected one of 'horizontal'"),
    (lambda: RandomTranslation(0.1, 0.1, fill_mode="mirror"),
     "RandomTranslation fill_mode: expected one of 'reflect', 'wrap', 'constant', 'nearest'"),
    (lambda: RandomRotation(0.1, interpolation="bicubic"),
     "RandomRotation interpolation: expected one of 'nearest', 'bilinear'"),
    (lambda: RandomZoom(0.1, fill_value="zero"), "RandomZoom fill_value: expected a number"),
    (lambda: RandomZoom(0.1, width_factor=-1), r"RandomZoom width_factor: .*\(-1, 1\]"),
    (lambda: RandomRotation(True), "RandomRotation factor: expected a number"),
    (lambda: RandomContrast(0.1, seed=-1), "RandomContrast seed: expected None or an int"),
    (lambda: RandomFlip(seed=1.5), "RandomFlip seed"),
    (lambda: RandomContrast(0.1, value_range=(1, 0)), "value_range: expected low < high"),
    (lambda: RandomContrast(0.1, value_range=1), r"value_range: expected a pair"),
    (lambda: RandomFlip(data_format="channels_first"), "channels-last"),
    (lambda: affine_transform(images(), np.eye(3).ravel()[:8], fill_mode="mirror"),
     "affine_transform fill_mode"),
])
def test_bad_arguments_are_refused_by_name(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_inputs_are_refused():
    layer = RandomZoom(0.1)
    with pytest.raises(ValueError, match=r"expects images \(H, W, C\)"):
        layer.forward(np.zeros((2, 8, 8), np.float32))
    with pytest.raises(RuntimeError, match="needs a forward"):
        RandomFlip().backward(images())
