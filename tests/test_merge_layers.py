"""The merge layers (Add, Subtract, Multiply, Average, Maximum, Concatenate) and the shape layers
(Reshape, ZeroPadding2D), issue 18.

- forward against plain NumPy formulas, broadcasting included (Keras's rule: shapes lined up
  at their last axes, axes of size 1 stretched, a shorter input's missing axes put in after
  the batch axis);
- centred-difference gradient checks in float64 (tinycnn.gradcheck.check_layer, one error per
  input), on shapes drawn by hypothesis, stretched inputs included;
- Maximum's ties: the earliest input that holds the maximum takes the gradient, as
  TensorFlow's gradient of Keras's left-to-right maximum;
- what real Keras 3.15.1 computes (tests/data/merge_parity.json, written by
  tests/data/make_merge_parity.py): outputs and gradients to float64 rounding;
- every shape error names the layer, the inputs and both shapes;
- Reshape and ZeroPadding2D inside a Sequential: fit, predict, save, load.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import tinycnn as tc
from tinycnn import keras
from tinycnn.gradcheck import check_layer
from tinycnn.layers import (
    LAYER_CLASSES,
    Add,
    Average,
    Concatenate,
    Conv2D,
    Dense,
    Flatten,
    Layer,
    Maximum,
    MaxPool2D,
    Multiply,
    Reshape,
    Subtract,
    ZeroPadding2D,
)
from tinycnn.layers.merge import broadcast_shape, unbroadcast

TOLERANCE = 1e-6
SEEDS = st.integers(0, 2**16)
ELEMENTWISE = [Add, Subtract, Multiply, Average, Maximum]
REFERENCE = json.loads((Path(__file__).parent / "data" / "merge_parity.json").read_text())


def assert_small(errors, what):
    assert max(errors.values()) < TOLERANCE, f"{what}: relative errors {errors}"


def numpy_merge(layer_class, xs):
    """What each element-wise merge computes, on arrays NumPy can broadcast directly."""
    if layer_class is Subtract:
        return xs[0] - xs[1]
    if layer_class is Maximum:
        return np.maximum.reduce(np.broadcast_arrays(*xs))
    if layer_class is Multiply:
        return np.prod(np.broadcast_arrays(*xs), axis=0)
    total = np.sum(np.broadcast_arrays(*xs), axis=0)
    return total / len(xs) if layer_class is Average else total


def distinct_values(shapes, rng):
    """Arrays of ``shapes`` whose values all differ by at least 0.1, across the inputs too: a
    nudge of 1e-6 never changes which input holds a maximum."""
    sizes = [int(np.prod(shape)) for shape in shapes]
    values = rng.permutation(sum(sizes)) * 0.1 - 0.05 * sum(sizes)
    ends = np.cumsum(sizes)
    return [chunk.reshape(shape) for chunk, shape
            in zip(np.split(values, ends[:-1]), shapes, strict=True)]


# ---- forward ----------------------------------------------------------------------------------
@pytest.mark.parametrize("layer_class", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_elementwise_forward_equals_numpy(layer_class, dtype, rng):
    count = 2 if layer_class is Subtract else 3
    xs = [rng.standard_normal((2, 4, 3)).astype(dtype) for _ in range(count)]
    out = layer_class().forward(xs)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, numpy_merge(layer_class, xs), rtol=1e-6)


@pytest.mark.parametrize("layer_class", ELEMENTWISE)
def test_broadcasting_lines_shapes_up_at_their_last_axes(layer_class, rng):
    """(N, 4, 3) with (N, 1, 3) stretches the 1; with (N, 3) puts an axis in after N (NumPy's
    own rule would line the 3 up with the batch axis)."""
    a, b, c = (rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 1, 3)),
               rng.standard_normal((2, 3)))
    xs = [a, c] if layer_class is Subtract else [a, b, c]
    layer = layer_class()
    out = layer.forward(xs)
    assert layer.output_shape == (4, 3) and out.shape == (2, 4, 3)
    lined_up = [a, c[:, np.newaxis, :]] if layer_class is Subtract else [a, b, c[:, np.newaxis]]
    np.testing.assert_allclose(out, numpy_merge(layer_class, lined_up))


def test_the_shape_rule_is_keras_elementwise_rule():
    assert broadcast_shape((4, 3), (3,)) == (4, 3)
    assert broadcast_shape((1, 3), (4, 1)) == (4, 3)
    assert broadcast_shape((3,), (5, 1, 3)) == (5, 1, 3)
    assert broadcast_shape((4, 3), (5, 3)) is None
    assert broadcast_shape((4, 3), (4,)) is None  # the last axes: 3 and 4
    assert Add().compute_output_shape([(1, 3), (4, 1), (3,)]) == (4, 3)


def test_unbroadcast_sums_what_each_copy_received():
    grad = np.arange(24.0).reshape(2, 4, 3)
    np.testing.assert_array_equal(unbroadcast(grad, (2, 4, 3)), grad)
    np.testing.assert_array_equal(unbroadcast(grad, (2, 1, 3)), grad.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(unbroadcast(grad, (2, 3)), grad.sum(axis=1))
    np.testing.assert_array_equal(unbroadcast(grad, (2, 4, 1)), grad.sum(axis=2, keepdims=True))


@pytest.mark.parametrize("axis, shapes", [
    (-1, [(2, 3, 4), (2, 3, 2)]),
    (1, [(2, 3, 4), (2, 5, 4), (2, 1, 4)]),
    (2, [(2, 3, 4, 1), (2, 3, 2, 1)]),
    (-2, [(2, 3, 4, 1), (2, 3, 2, 1)]),
])
def test_concatenate_forward_equals_numpy(axis, shapes, rng):
    xs = [rng.standard_normal(shape) for shape in shapes]
    layer = Concatenate(axis=axis)
    out = layer.forward(xs)
    np.testing.assert_array_equal(out, np.concatenate(xs, axis=axis))
    assert layer.output_shape == out.shape[1:]


@pytest.mark.parametrize("target, expected", [((12,), (12,)), ((-1, 2), (6, 2)),
                                              ((2, -1, 3), (2, 2, 3)), ((3, 4), (3, 4))])
def test_reshape_forward_is_numpy_reshape(target, expected, rng):
    x = rng.standard_normal((2, 3, 4))
    layer = Reshape(target)
    out = layer.forward(x)
    assert layer.output_shape == expected
    np.testing.assert_array_equal(out, x.reshape(2, *expected))


@pytest.mark.parametrize("padding, pads", [
    (1, ((1, 1), (1, 1))), ((2, 0), ((2, 2), (0, 0))), (((1, 2), (0, 3)), ((1, 2), (0, 3))),
    ([[0, 1], [2, 0]], ((0, 1), (2, 0))),  # lists, as a model file gives them back
])
def test_zero_padding2d_forward_is_numpy_pad(padding, pads, rng):
    x = rng.standard_normal((2, 3, 4, 2)).astype(np.float32)
    layer = ZeroPadding2D(padding)
    out = layer.forward(x)
    assert layer.padding == pads and out.dtype == np.float32
    np.testing.assert_array_equal(out, np.pad(x, ((0, 0), *pads, (0, 0))))
    assert ZeroPadding2D().padding == ((1, 1), (1, 1))  # Keras's default


# ---- gradients --------------------------------------------------------------------------------
@st.composite
def elementwise_cases(draw):
    """(batch, input shapes without it): an output shape of rank 1-3, sizes 1-4; each of 2-3
    inputs takes its last 1 to rank axes, any of them at size 1 (stretched)."""
    output = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    shapes = []
    for _ in range(draw(st.integers(2, 3))):
        rank = draw(st.integers(1, len(output)))
        shapes.append(tuple(draw(st.sampled_from([size, 1])) for size in output[-rank:]))
    return draw(st.integers(1, 3)), shapes


@pytest.mark.parametrize("layer_class", ELEMENTWISE)
@given(case=elementwise_cases(), seed=SEEDS)
@example(case=(2, [(4, 3), (1, 3), (3,)]), seed=0)  # both kinds of stretching
@example(case=(1, [(1, 3), (4, 1)]), seed=1)  # each input stretched along a different axis
def test_elementwise_gradients(layer_class, case, seed):
    n, shapes = case
    shapes = shapes[:2] if layer_class is Subtract else shapes
    rng = np.random.default_rng(seed)
    xs = distinct_values([(n, *shape) for shape in shapes], rng)  # away from Maximum's ties
    layer = layer_class()
    errors = check_layer(layer, xs, seed=seed)
    assert set(errors) == {f"x{i}" for i in range(len(xs))}
    assert_small(errors, f"{layer} on {shapes}")


@given(n=st.integers(1, 3), rank=st.integers(1, 3), data=st.data(), seed=SEEDS)
def test_concatenate_gradients(n, rank, data, seed):
    shape = data.draw(st.lists(st.integers(1, 4), min_size=rank, max_size=rank))
    axis = data.draw(st.sampled_from([-1, -rank, *range(1, rank + 1)]))
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=2, max_size=3))
    at = axis % (rank + 1)  # the axis in (N, *shape)
    shapes = [(n, *shape[:at - 1], size, *shape[at:]) for size in sizes]
    rng = np.random.default_rng(seed)
    layer = Concatenate(axis=axis)
    assert_small(check_layer(layer, [rng.standard_normal(s) for s in shapes], seed=seed),
                 f"{layer} on {shapes}")


@pytest.mark.parametrize("target, shape", [((-1,), (2, 3, 4)), ((4, -1), (2, 3, 4)),
                                           ((2, 2, 3), (3, 12)), ((6, 1, 1), (1, 2, 3))])
def test_reshape_gradients(target, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    assert_small(check_layer(Reshape(target), x), f"Reshape{target}")


@given(n=st.integers(1, 3), h=st.integers(1, 5), w=st.integers(1, 5), c=st.integers(1, 3),
       pads=st.lists(st.integers(0, 2), min_size=4, max_size=4), seed=SEEDS)
def test_zero_padding2d_gradients(n, h, w, c, pads, seed):
    x = np.random.default_rng(seed).standard_normal((n, h, w, c))
    layer = ZeroPadding2D(((pads[0], pads[1]), (pads[2], pads[3])))
    assert_small(check_layer(layer, x, seed=seed), repr(layer))
    assert layer.backward(np.ones((n, *layer.output_shape))).shape == x.shape


@pytest.mark.parametrize("make_layer, shapes", [
    (Add, [(2, 4, 3), (2, 3)]), (Multiply, [(2, 1, 3), (2, 4, 1), (2, 3)]),
    (Maximum, [(2, 4, 3), (2, 4, 3)]), (lambda: Concatenate(axis=1), [(2, 3, 2), (2, 1, 2)]),
])
def test_backward_twice_gives_the_same_answer_and_needs_a_forward_first(make_layer, shapes,
                                                                       rng):
    layer = make_layer()
    with pytest.raises(RuntimeError, match=r"backward\(\) needs a forward"):
        layer.backward(np.ones((2, 3)))
    out = layer.forward([rng.standard_normal(shape) for shape in shapes])
    dout = rng.standard_normal(out.shape)
    first, second = layer.backward(dout), layer.backward(dout)
    for a, b, shape in zip(first, second, shapes, strict=True):
        assert a.shape == shape
        np.testing.assert_array_equal(a, b)


# ---- Maximum's ties ---------------------------------------------------------------------------
def test_maximum_gives_a_tie_to_the_earliest_input():
    """TensorFlow: the gradient of max(a, b) goes to a when a == b, and Keras takes the maximum
    from the left, max(max(x_0, x_1), x_2): so the earliest input that holds it."""
    x0, x1, x2 = np.array([[1.0, 2, 3]]), np.array([[1.0, 2, 0]]), np.array([[1.0, 5, 3]])
    layer = Maximum()
    np.testing.assert_array_equal(layer.forward([x0, x1, x2]), [[1.0, 5, 3]])
    dx0, dx1, dx2 = layer.backward(np.array([[10.0, 20, 30]]))
    np.testing.assert_array_equal(dx0, [[10.0, 0, 30]])  # three-way tie, tie with x2
    np.testing.assert_array_equal(dx1, [[0.0, 0, 0]])
    np.testing.assert_array_equal(dx2, [[0.0, 20, 0]])
    layer = Maximum()  # the order of the inputs decides, not their values
    layer.forward([x1, x0])
    np.testing.assert_array_equal(layer.backward(np.ones((1, 3)))[0], [[1.0, 1, 0]])


def test_maximum_gives_a_stretched_input_every_copy_it_won(rng):
    layer = Maximum()
    big = np.full((1, 1, 2), 9.0)  # stretched over 3 rows, wins all of them
    layer.forward([rng.random((1, 3, 2)), big])
    dx, dbig = layer.backward(np.ones((1, 3, 2)))
    np.testing.assert_array_equal(dbig, [[[3.0, 3.0]]])
    np.testing.assert_array_equal(dx, np.zeros((1, 3, 2)))


# ---- against real Keras -----------------------------------------------------------------------
@pytest.mark.parametrize("case", sorted(REFERENCE["cases"]))
def test_like_keras(case):
    """Outputs and gradients of L = sum(out * dout) as Keras 3.15.1 computed them in float64
    (TensorFlow's GradientTape), broadcasting and Maximum's ties included."""
    expected = REFERENCE["cases"][case]
    layer = LAYER_CLASSES[expected["class"]](**expected["config"])
    xs = [np.array(x) for x in expected["inputs"]]
    out = layer.forward(xs if layer.takes_list else xs[0])
    np.testing.assert_allclose(out, expected["output"], rtol=1e-12, atol=1e-15)
    grads = layer.backward(np.array(expected["dout"]))
    for ours, theirs in zip(grads if layer.takes_list else [grads], expected["grads"],
                            strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_the_keras_reference_has_ties_to_test():
    xs = np.array(REFERENCE["cases"]["maximum_ties"]["inputs"])
    assert np.sum(xs[0] == xs.max(axis=0)) and np.sum((xs[0] == xs[1]) & (xs[0] == xs.max(0)))


# ---- errors -----------------------------------------------------------------------------------
def test_an_elementwise_shape_mismatch_names_the_layer_inputs_and_shapes():
    with pytest.raises(ValueError, match=r"Add\(name='join'\): inputs have incompatible shapes: "
                       r"input 0 has shape \(4, 3\) and input 1 has shape \(5, 3\)"):
        Add(name="join").build([(4, 3), (5, 3)])
    # the clash is with input 0 (input 1's 1 fits anything): both are named
    with pytest.raises(ValueError, match=r"input 0 \(from 'conv2d'\) has shape \(4, 3\) and "
                       r"input 2 \(from 'dense_1'\) has shape \(5, 3\)"):
        Multiply().build([(4, 3), (1, 3), (5, 3)], input_names=["conv2d", "dense", "dense_1"])
    # input 0's 1 fits input 2's 5: the clash is with input 1
    with pytest.raises(ValueError, match=r"input 1 has shape \(4, 3\) and input 2 has shape "
                       r"\(5,\)"):
        Maximum().build([(4, 1), (4, 3), (5,)])
    with pytest.raises(ValueError, match="2 input names for 3 inputs"):
        Add().build([(3,)] * 3, input_names=["a", "b"])


def test_a_merge_needs_a_list_of_at_least_two_inputs():
    with pytest.raises(ValueError, match=r"Average\(name=None\): a merge layer should be called "
                       r"on a list of at least 2 inputs, got 1: \[\(4, 3\)\]"):
        Average().build([(4, 3)])
    with pytest.raises(ValueError, match=r"a Subtract layer should be called on exactly 2 "
                       r"inputs, got 3"):
        Subtract().build([(3,)] * 3)
    with pytest.raises(ValueError, match="exactly 2 inputs, got 1"):
        Subtract().build([(3,)])
    with pytest.raises(ValueError, match=r"should be called on a list of inputs; got "
                       r"input_shape=\(28, 28, 1\) \(not a list of shapes\)"):
        Concatenate().build((28, 28, 1))


def test_a_merge_refuses_a_single_layer_in_a_sequential():
    with pytest.raises(ValueError, match="cannot follow one layer in a Sequential"):
        tc.Sequential([Flatten(input_shape=(4, 4)), Add()])


def test_concatenate_shape_errors_name_the_inputs_and_shapes():
    with pytest.raises(ValueError, match=r"Concatenate\(name=None, axis=-1\): a Concatenate "
                       r"layer requires inputs with matching shapes except for the "
                       r"concatenation axis \(-1\): input 0 has shape \(4, 3\) and input 2 has "
                       r"shape \(5, 2\)"):
        Concatenate().build([(4, 3), (4, 1), (5, 2)])
    with pytest.raises(ValueError, match=r"input 0 has shape \(4, 3\) and input 1 has shape "
                       r"\(4, 3, 1\)"):
        Concatenate(axis=1).build([(4, 3), (4, 3, 1)])
    with pytest.raises(ValueError, match="axis 0 is the batch axis"):
        Concatenate(axis=0).build([(4, 3), (4, 3)])
    with pytest.raises(ValueError, match=r"axis 3 is out of range for inputs of 3 axes"):
        Concatenate(axis=3).build([(4, 3), (4, 3)])
    with pytest.raises(ValueError, match=r"axis -4 is out of range"):
        Concatenate(axis=-4).build([(4, 3), (4, 3)])
    with pytest.raises(ValueError, match="Concatenate axis: expected an int, got 1.0"):
        Concatenate(axis=1.0)


def test_forward_refuses_arrays_that_do_not_fit(rng):
    layer = Add(name="add")
    layer.forward([np.ones((2, 3)), np.ones((2, 1))])
    with pytest.raises(ValueError, match=r"Add\(name='add'\): expected inputs of shapes "
                       r"\[\(N, 3\), \(N, 1\)\], got \[\(2, 3\), \(2, 4\)\]"):
        layer.forward([np.ones((2, 3)), np.ones((2, 4))])
    with pytest.raises(ValueError, match=r"expected inputs of shapes .*, got \[\(2, 3\)\]"):
        layer.forward([np.ones((2, 3))])
    with pytest.raises(ValueError, match=r"one batch size and dtype, got shapes \[\(2, 3\), "
                       r"\(3, 1\)\]"):
        layer.forward([np.ones((2, 3)), np.ones((3, 1))])
    with pytest.raises(ValueError, match=r"dtypes \['float64', 'float32'\]"):
        layer.forward([np.ones((2, 3)), np.ones((2, 1), np.float32)])
    with pytest.raises(TypeError, match="expected a list of NumPy arrays, one per input, got "
                       "ndarray"):
        layer.forward(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"Add\(name='add'\) input 1: expected a float32 or "
                       "float64 array, got dtype int64"):
        layer.forward([np.ones((2, 3)), np.ones((2, 1), np.int64)])


def test_reshape_errors_name_both_shapes():
    with pytest.raises(ValueError, match=r"Reshape\(name=None, target_shape=\(7,\)\): the total "
                       r"size must be unchanged: input shape \(3, 4\) holds 12 values, "
                       r"target_shape \(7,\) cannot \(it holds 7\)"):
        Reshape((7,)).build((3, 4))
    with pytest.raises(ValueError, match=r"input shape \(3, 4\) holds 12 values, target_shape "
                       r"\(5, -1\) cannot \(12 is not a multiple of 5\)"):
        Reshape((5, -1)).build((3, 4))
    for bad in [(-1, -1), (0, 12), (-2, 6)]:
        with pytest.raises(ValueError, match=r"at most one unknown size \(-1\)"):
            Reshape(bad)
    for bad in [12, (), (2.0, 6), "12"]:
        with pytest.raises(ValueError, match="Reshape target_shape: expected a tuple of ints"):
            Reshape(bad)
    layer = Reshape((12,))
    layer.forward(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3, 4\), got \(2, 4, 3\)"):
        layer.forward(np.ones((2, 4, 3)))


def test_zero_padding2d_errors():
    for bad in [-1, (1, 2, 3), ((1, 2),), 1.5, ((1,), (2, 3)), (True, 1), ((1, -1), (0, 0))]:
        with pytest.raises(ValueError, match=r"ZeroPadding2D padding: expected an int, a pair "
                           r"\(height, width\) or \(\(top, bottom\), \(left, right\)\)"):
            ZeroPadding2D(bad)
    with pytest.raises(ValueError, match="channels-last"):
        ZeroPadding2D(data_format="channels_first")
    with pytest.raises(ValueError, match=r"ZeroPadding2D\(name=None, padding=\(\(1, 1\), "
                       r"\(1, 1\)\)\): expects images \(H, W, C\), got input shape \(3, 4\)"):
        ZeroPadding2D().build((3, 4))


# ---- the contract the graph engine relies on --------------------------------------------------
def test_merge_layers_take_lists_and_single_input_layers_do_not(rng):
    assert Layer.takes_list is False and Reshape.takes_list is False
    assert all(cls.takes_list for cls in (*ELEMENTWISE, Concatenate))
    layer = Concatenate(axis=1).build([[3, 2], (4, 2)], rng, np.float64)
    assert layer.input_shape == [(3, 2), (4, 2)] and layer.output_shape == (7, 2)
    assert layer.count_params() == 0


def test_configs_round_trip_through_json():
    layers = [Add(name="a"), Subtract(name="s"), Multiply(name="m"), Average(name="v"),
              Maximum(name="x"), Concatenate(axis=2, name="c"), Reshape((-1, 3), name="r"),
              ZeroPadding2D(((1, 2), (0, 3)), name="z")]
    for layer in layers:
        config = json.loads(json.dumps(layer.get_config()))
        twin = LAYER_CLASSES[type(layer).__name__](**config)
        assert twin.get_config() == layer.get_config() and repr(twin) == repr(layer)
    assert layers[5].get_config() == {"name": "c", "axis": 2}
    assert layers[6].get_config()["target_shape"] == [-1, 3]


def test_the_keras_names_point_at_the_layers():
    for name in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Concatenate", "Reshape",
                 "ZeroPadding2D"):
        assert getattr(keras.layers, name) is LAYER_CLASSES[name]


# ---- in a Sequential --------------------------------------------------------------------------
def shape_layers_model(seed=0):
    return tc.Sequential([
        Reshape((6, 6, 1), input_shape=(36,)),
        ZeroPadding2D(((1, 0), (2, 1))),
        Conv2D(4, 3, activation="relu"),
        MaxPool2D(2),
        Flatten(),
        Reshape((-1, 2)),
        Reshape((-1,)),
        Dense(3, activation="softmax"),
    ], seed=seed)


def test_reshape_and_zero_padding_train_predict_save_and_load(tmp_path):
    rng = np.random.default_rng(3)
    x = rng.random((48, 36)).astype(np.float32)
    y = (x[:, :12].sum(axis=1) > x[:, 24:].sum(axis=1)).astype(np.int64)  # learnable
    model = shape_layers_model()
    assert [layer.output_shape for layer in model.layers[:3]] == [(6, 6, 1), (7, 9, 1),
                                                                  (5, 7, 4)]
    model.compile(optimizer=tc.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert all(not np.array_equal(a, b) for a, b in zip(before, model.get_weights(),
                                                         strict=True))
    predictions = model.predict(x)

    model.save(tmp_path / "shapes.npz")
    loaded = tc.load_model(tmp_path / "shapes.npz")
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert loaded.layers[1].padding == ((1, 0), (2, 1))
    assert loaded.layers[5].target_shape == (-1, 2)
    np.testing.assert_array_equal(loaded.predict(x), predictions)


@pytest.mark.parametrize("layer_spec, message", [
    ({"class": "ZeroPadding2D", "config": {"name": "z", "padding": [[10**12, 0], [0, 0]]}},
     r"layer 0 \(ZeroPadding2D 'z'\)'s output has shape \(1000000000006, 6, 1\), an axis "
     "longer than"),
    ({"class": "ZeroPadding2D", "config": {"name": "z", "padding": [[1, 1]]}},
     "cannot be made from the file's arguments: ZeroPadding2D padding: expected"),
    ({"class": "Reshape", "config": {"name": "r", "target_shape": [7, -1]}},
     r"cannot take input of shape \(6, 6, 1\): .*36 is not a multiple of 7"),
    ({"class": "Add", "config": {"name": "a"}}, "cannot follow one layer in a Sequential"),
])
def test_a_model_file_that_misuses_them_is_refused_before_any_array_is_read(layer_spec, message):
    """tinycnn/saving/expected.py builds each layer from its config to work out the arrays a
    file must hold: a hostile padding is caught at the output's shape, before any memory."""
    from tinycnn.saving.errors import ModelFileError
    from tinycnn.saving.expected import expected_arrays

    config = {"version": 2, "dtype": "float32", "input_shape": [6, 6, 1],
              "layers": [{**layer_spec, "trainable": True}]}
    with pytest.raises(ModelFileError, match=message):
        expected_arrays(config, LAYER_CLASSES, 5000, "model.npz")


def test_float32_gradients_stay_float32_and_sum_stretched_copies_accurately(rng):
    x = rng.standard_normal((2, 1000, 3)).astype(np.float32)
    layer = Add()
    layer.forward([x, np.ones((2, 1, 3), np.float32)])
    dout = rng.standard_normal((2, 1000, 3)).astype(np.float32)
    dx, dstretched = layer.backward(dout)
    assert dx.dtype == dstretched.dtype == np.float32
    exact = dout.astype(np.float64).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(dstretched, exact, rtol=1e-6, atol=1e-6)
