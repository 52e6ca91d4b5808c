"""Inference on several threads (tinycnn/parallel.py) gives the very same bits as one thread,
and the same numbers as one pass over the whole batch."""

import numpy as np
import pytest
from helpers import seed_model
from threadpoolctl import threadpool_info

import tinycnn as tc
from tinycnn.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten, MaxPool2D


def _images(n, seed=0):
    return np.random.default_rng(seed).random((n, 28, 28, 1), dtype=np.float32)


def _other_model(seed=0):
    """Dropout and BatchNorm, which act differently in training, and a model inside a model."""
    inner = tc.Sequential([Conv2D(8, 3, activation="relu", input_shape=(28, 28, 1)),
                           BatchNormalization(), MaxPool2D(2)], seed=seed).build()
    model = tc.Sequential([inner, Flatten(), Dropout(0.5), Dense(10, activation="softmax")],
                          seed=seed)
    model.compile(optimizer="adam")
    x = _images(64, seed=1)
    model.fit(x, np.arange(64) % 10, epochs=1, verbose=0)  # moves BatchNorm's statistics
    return model


@pytest.mark.parametrize("make_model", [seed_model, _other_model])
def test_prediction_on_threads_is_bit_identical_to_one_thread(make_model):
    model = make_model().build()
    x = _images(130)  # eight pieces of 16 and one of 2
    model.workers = 1
    one_thread = model.predict(x)
    for workers in (2, 3):
        model.workers = workers
        np.testing.assert_array_equal(model.predict(x), one_thread)
    whole = model.forward(x, training=False)  # one pass, no pieces, no threads
    np.testing.assert_allclose(one_thread, whole, rtol=1e-5, atol=1e-7)


def test_evaluate_on_threads_equals_one_thread():
    model = seed_model().compile(optimizer="adam", metrics=["accuracy"])
    x, y = _images(100), np.arange(100) % 10
    model.workers = 1
    one = model.evaluate(x, y)
    model.workers = 2
    assert model.evaluate(x, y) == one


def test_blas_threads_are_put_back_after_predict():
    def blas_threads():
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = blas_threads()
    seed_model().build().predict(_images(70))
    assert blas_threads() == before


def test_an_error_in_a_thread_reaches_the_caller():
    class Broken(Dense):
        def forward(self, x, training=False):
            if len(x) < 32:  # only the last piece fails
                raise RuntimeError("broken forward")
            return super().forward(x, training)

    model = tc.Sequential([Flatten(input_shape=(28, 28, 1)), Broken(10, activation="softmax")],
                          seed=0)
    model.workers = 2
    with pytest.raises(RuntimeError, match="broken forward"):
        model.predict(_images(70))


def test_a_replica_shares_weights_and_keeps_its_own_grads_and_cache():
    model = seed_model().build()
    model.forward(_images(4), training=False)
    twin = model.replica()
    for layer, other in zip(model.layers, twin.layers, strict=True):
        assert other is not layer
        for name, p in layer.params.items():
            assert other.params[name] is p
        assert other.grads is not layer.grads
        assert other._cache is None and layer._cache is not None


def test_predict_leaves_the_model_s_own_caches_alone():
    """Threads forward their own replicas: the model's layers keep the cache of the last
    forward called on the model itself (backward after forward still works)."""
    model = seed_model().build()
    x = _images(4)
    out = model.forward(x, training=False)
    caches = [layer._cache for layer in model.layers]
    model.predict(_images(100, seed=5))
    assert all(layer._cache is cache for layer, cache in zip(model.layers, caches, strict=True))
    assert model.backward(np.ones_like(out)) is None  # the first layer skips dL/dx
