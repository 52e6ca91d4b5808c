"""Numbers a model cannot hold are refused before any computation (issue 17, item 12).

A float32 model casts float64 images (and targets) to float32; 1e39 would become inf there, and
predict would return NaN and fit train to NaN weights with nothing but RuntimeWarnings. The
checks in tinycnn/validation.py name the argument, the largest magnitude found and the dtype's
limit (float32: 3.403e+38) instead.
"""

import numpy as np
import pytest

import tinycnn as tc
from tinycnn.explain import saliency
from tinycnn.layers import Conv2D, Dense, Flatten
from tinycnn.validation import check_labels

TOO_LARGE = r"values as large as 2e\+39 in magnitude do not fit in the model's float32 " \
            r"\(largest 3\.403e\+38\)"


def small_model(loss="sparse_categorical_crossentropy", dtype="float32"):
    model = tc.Sequential([Conv2D(2, 3, input_shape=(4, 4, 1)), Flatten(),
                           Dense(3, activation="softmax")], seed=0, dtype=dtype)
    model.compile(loss=loss, optimizer="sgd")
    return model.build()


def images(rng, n=6):
    return rng.random((n, 4, 4, 1))  # float64, as NumPy makes them


def beyond_float32(rng):
    x = images(rng)
    x[2, 1, 1, 0] = 1e39
    x[4, 0, 3, 0] = -2e39  # the largest magnitude is a negative value
    return x


@pytest.mark.parametrize("call", [
    lambda model, x, y: model.fit(x, y, epochs=1, verbose=0),
    lambda model, x, y: model.evaluate(x, y),
    lambda model, x, y: model.predict(x),
    lambda model, x, y: model.train_on_batch(x, y),
], ids=["fit", "evaluate", "predict", "train_on_batch"])
def test_float64_images_beyond_float32_are_refused_before_any_computation(call):
    rng = np.random.default_rng(0)
    model = small_model()
    weights = [w.copy() for w in model.get_weights()]
    x, y = beyond_float32(rng), rng.integers(0, 3, 6)

    with pytest.raises(ValueError, match="^x: " + TOO_LARGE):
        call(model, x, y)

    for before, after in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_validation_data_beyond_float32_is_refused_by_name():
    rng = np.random.default_rng(1)
    model = small_model()
    weights = [w.copy() for w in model.get_weights()]
    x, y = images(rng), rng.integers(0, 3, 6)
    with pytest.raises(ValueError, match="^validation_data: " + TOO_LARGE):
        model.fit(x, y, epochs=1, verbose=0, validation_data=(beyond_float32(rng), y))
    for before, after in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(before, after)


def test_float32s_own_largest_value_still_passes_and_a_float64_model_takes_1e39():
    rng = np.random.default_rng(2)
    x = images(rng)
    x[0, 0, 0, 0] = np.finfo(np.float32).max  # fits: the cast keeps it finite
    assert np.isfinite(small_model().prepare(x)).all()

    x[0, 0, 0, 0] = 1e39
    assert small_model(dtype="float64").prepare(x).dtype == np.float64


def test_categorical_targets_beyond_float32_or_not_finite_are_refused():
    rng = np.random.default_rng(3)
    model = small_model(loss="categorical_crossentropy")
    x = images(rng)
    y = np.eye(3)[rng.integers(0, 3, 6)]  # float64
    y[1, 0] = -2e39
    with pytest.raises(ValueError, match=r"^y \(targets\): " + TOO_LARGE):
        model.fit(x, y, epochs=1, verbose=0)

    y[1, 0] = np.nan
    with pytest.raises(ValueError, match="^y: the targets contain NaN or infinite values"):
        model.fit(x, y, epochs=1, verbose=0)


def test_check_labels_measures_targets_against_the_dtype_it_is_given():
    y = np.array([[1e39, 0.0]])
    with pytest.raises(ValueError, match="float32"):
        check_labels(y, 1, 2, sparse=False)
    np.testing.assert_array_equal(check_labels(y, 1, 2, sparse=False, dtype=np.float64), y)


def test_the_explanations_refuse_images_beyond_float32_too():
    model = small_model()
    with pytest.raises(ValueError, match="^saliency images: " + TOO_LARGE):
        saliency(model, beyond_float32(np.random.default_rng(4)))
