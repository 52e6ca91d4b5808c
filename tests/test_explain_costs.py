"""What each layer costs: multiply-adds and activation memory (tinycnn/explain/costs.py), the
summary's cost columns, and profile's per-layer times.

The multiply-adds are held to a count taken by running the textbook loops of
tinycnn/kernels/loops.py on numbers that count every multiplication they take part in.
"""

import numpy as np
import pytest
from helpers import seed_model

import tinycnn as tc
from tinycnn.explain import activation_bytes, layer_costs, multiply_adds, profile
from tinycnn.kernels import loops
from tinycnn.layers import (
    AveragePooling2D,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    GlobalAveragePooling2D,
    MaxPool2D,
    ReLU,
)
from tinycnn.summary import summary_text


class Tally:
    """A number that counts the multiplications it takes part in (in ``Tally.products``)."""

    products = 0

    def __init__(self, value):
        self.value = value

    def __mul__(self, other):
        Tally.products += 1
        return Tally(self.value * _plain(other))

    __rmul__ = __mul__

    def __add__(self, other):
        return Tally(self.value + _plain(other))

    __radd__ = __add__

    def __truediv__(self, other):  # a mean's division: not a multiply-add
        return Tally(self.value / _plain(other))

    def __gt__(self, other):
        return self.value > _plain(other)

    def __ge__(self, other):
        return self.value >= _plain(other)

    def __lt__(self, other):
        return self.value < _plain(other)

    def __le__(self, other):
        return self.value <= _plain(other)


def _plain(value):
    return value.value if isinstance(value, Tally) else value


def tallies(shape, rng):
    values = np.empty(shape, dtype=object)
    for index in np.ndindex(shape):
        values[index] = Tally(float(rng.normal()))
    return values


def counted(function, *args):
    Tally.products = 0
    function(*args)
    return Tally.products


def built(layer, input_shape):
    return layer.build(input_shape, np.random.default_rng(0))


# ---- multiply-adds -----------------------------------------------------------------------
@pytest.mark.parametrize("input_shape, filters, kernel, strides, padding", [
    ((5, 5, 1), 2, (3, 3), (1, 1), "valid"),
    ((6, 5, 2), 3, (3, 2), (2, 1), "same"),
    ((4, 7, 3), 2, (2, 3), (2, 3), 1),
    ((3, 3, 2), 1, (3, 3), (1, 1), 2),
])
def test_conv2d_multiply_adds_are_what_the_textbook_loop_multiplies(
        input_shape, filters, kernel, strides, padding, rng):
    layer = built(Conv2D(filters, kernel, strides=strides, padding=padding), input_shape)
    x = tallies((1, *input_shape), rng)
    W, b = tallies(layer.params["W"].shape, rng), tallies(layer.params["b"].shape, rng)
    products = counted(loops.conv2d_forward_loops, x, W, b, strides, padding)
    assert multiply_adds(layer) == products > 0


def test_dense_multiply_adds_are_what_the_textbook_loop_multiplies(rng):
    layer = built(Dense(4), (7,))
    x = tallies((1, 7), rng)
    W, b = tallies((7, 4), rng), tallies((4,), rng)
    assert multiply_adds(layer) == counted(loops.dense_forward_loops, x, W, b) == 28
    plain = rng.normal(size=(3, 7))
    np.testing.assert_allclose(loops.dense_forward_loops(plain, layer.params["W"],
                                                         layer.params["b"]),
                               layer.forward(plain))


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_pooling_multiplies_nothing(padding, rng):
    x = tallies((1, 5, 5, 2), rng)
    assert counted(loops.maxpool_forward_loops, x, 2, 2, (2, 2), padding) == 0
    assert counted(loops.avgpool_forward_loops, x, 3, 2, (1, 2), padding) == 0
    for layer in (MaxPool2D(2, padding=padding), AveragePooling2D((3, 2), (1, 2), padding),
                  GlobalAveragePooling2D(), ReLU(), Flatten(), Dropout(0.5),
                  BatchNormalization()):
        assert multiply_adds(built(layer, (5, 5, 2))) == 0


def test_the_seed_models_counts_per_layer():
    costs = layer_costs(seed_model().build())
    assert [cost["multiply_adds"] for cost in costs] == [
        26 * 26 * 32 * 9, 0, 11 * 11 * 64 * 9 * 32, 0, 3 * 3 * 128 * 9 * 64, 0, 1152 * 128,
        128 * 10]
    # Kept for backward, float32: conv = im2col matrix + output; max pool = int32 winners;
    # Flatten's output is conv2d_2's, Dense's input the Flatten's: counted once, where made.
    assert [cost["activation_bytes"] for cost in costs] == [
        4 * (26 * 26 * 9 + 26 * 26 * 32), 4 * 13 * 13 * 32, 4 * (11 * 11 * 288 + 11 * 11 * 64),
        4 * 5 * 5 * 64, 4 * (3 * 3 * 576 + 3 * 3 * 128), 0, 4 * 128, 4 * 10]
    assert [cost["params"] for cost in costs][-1] == 1290


def test_activation_memory_counts_training_caches_in_the_models_dtype(rng):
    model = tc.Sequential([Dense(6, input_shape=(5,)), BatchNormalization(), Dropout(0.5),
                           ReLU(), Dense(3, activation="softmax")], seed=0, dtype="float64")
    model.build()
    x = rng.normal(size=(4, 5))
    model.forward(x)  # an inference forward: its caches must survive the measurement
    caches = [layer._cache for layer in model.layers]
    state = [w.copy() for w in model.get_weights()]
    rng_state = model.layers[2].rng.bit_generator.state
    # Dense keeps its input (5) and output (6); BatchNorm x_hat (6) and 1/std (6, not per
    # image, but kept); Dropout its mask (6); ReLU its output (6); Dense its output (3), its
    # input being the ReLU's. 8 bytes a value.
    assert activation_bytes(model) == [8 * 11, 8 * 12, 8 * 6, 8 * 6, 8 * 3]
    assert all(layer._cache is cache for layer, cache in zip(model.layers, caches, strict=True))
    for old, new in zip(state, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert model.layers[2].rng.bit_generator.state == rng_state


def test_a_model_inside_a_model_costs_what_its_layers_cost():
    inner = seed_model().build()
    outer = tc.Sequential([inner, ReLU()], seed=1).build()
    inner_costs, (nested, relu) = layer_costs(inner), layer_costs(outer)
    assert nested["type"] == "NestedNetwork" and nested["params"] == 241_546
    assert nested["multiply_adds"] == sum(cost["multiply_adds"] for cost in inner_costs)
    assert nested["activation_bytes"] == sum(cost["activation_bytes"] for cost in inner_costs)
    assert relu["activation_bytes"] == 4 * 10


# ---- the summary -----------------------------------------------------------------------------
def test_summary_stays_keras_like_and_adds_cost_columns_when_asked():
    model = seed_model().build()
    plain = summary_text(model)
    assert "Multiply-adds" not in plain and plain == model.summary(print_fn=None)
    text = summary_text(model, costs=True)
    lines = text.splitlines()
    assert lines[2].split() == ["Layer", "(type)", "Output", "Shape", "Param", "#",
                                "Multiply-adds", "Kept", "bytes"]
    assert lines[4].split()[-3:] == ["320", "194,688", "110,864"]
    assert "Total params: 241,546" in text
    assert "Multiply-adds per image: 3,237,248 forward" in text
    assert "Kept for backward per image: 335,160 bytes = 327.3 KiB (10.2 MiB at batch 32)" \
        in text
    # Every row as wide as the rules: the columns line up.
    assert max(len(line) for line in lines) == len(lines[1])


# ---- profile ---------------------------------------------------------------------------------
def test_profile_times_every_layer_and_leaves_the_model_alone(rng):
    model = tc.Sequential([Conv2D(4, 3, activation="relu", input_shape=(10, 10, 1)),
                           BatchNormalization(), MaxPool2D(2), Flatten(), Dropout(0.3),
                           Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer="adam")
    x, y = rng.random((16, 10, 10, 1), dtype=np.float32), rng.integers(0, 3, 16)
    model.train_step(x, y)
    weights = [w.copy() for w in model.get_weights()]
    printed = []
    rows = profile(model, x, y, repeats=2, print_fn=printed.append)
    assert [row["name"] for row in rows] == [layer.name for layer in model.layers]
    assert all(row["forward_ms"] > 0 for row in rows)
    assert all(row["backward_ms"] > 0 for row in rows[1:])
    assert sum(row["share"] for row in rows) == pytest.approx(1.0)
    assert rows[0]["multiply_adds"] == 8 * 8 * 4 * 9 and rows[0]["gflops"] > 0
    assert printed[0].startswith("Forward and backward time per layer, batch of 16")
    assert "conv2d (Conv2D)" in printed[0] and "images/s" in printed[0]
    for old, new in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert model.optimizer.iterations == 1


def test_cost_functions_refuse_bad_input(rng):
    unbuilt = tc.Sequential([Conv2D(2, 3), Flatten(), Dense(3, activation="softmax")])
    with pytest.raises(RuntimeError, match="layer_costs: the model 'sequential' is not built"):
        layer_costs(unbuilt)
    model = seed_model().build()
    with pytest.raises(ValueError, match=r"profile x: expected shape \(N, 28, 28, 1\)"):
        profile(model, rng.random((4, 28, 27, 1)), print_fn=None)
    with pytest.raises(ValueError, match=r"profile y: class ids must lie in \[0, 10\)"):
        profile(model, rng.random((2, 28, 28, 1)), [0, 10], print_fn=None)
    with pytest.raises(ValueError, match="profile repeats: expected an int >= 1, got 0"):
        profile(model, rng.random((2, 28, 28, 1)), repeats=0, print_fn=None)
