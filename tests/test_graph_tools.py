"""The see-inside tools on graph models (tinycnn/explain/, tinycnn/viz/): everything that works
on a Sequential works on a functional model, branches, merges, shared layers and a nested
Sequential included.

The main model is a small ResNet-like graph (``residual_graph``):
    input -> stem conv -> BN -> ReLU -> conv -> BN -> Add -> ReLU ("block_out") -> shared conv
      \\-> shortcut conv (1x1, strides 2) ------------/         \\-> pool -> shared conv (again)
    both calls of the shared conv -> Concatenate -> nested Sequential (conv, BN, Dropout)
    -> global average pooling -> Dense(softmax)
Numbers are held to independent computations: saliency and Grad-CAM to central differences
of the logits, multiply-adds to a count by hand, Grad-CAM at a merge's input to the engine's
own forward and backward hooks, a nested Sequential to the same layers written inline, and a
chain written with the functional API to the same Sequential, bit for bit (the same seed draws
the same weights). Everything runs in float64 on the NumPy twin kernels.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from tinycnn import keras  # noqa: E402
from tinycnn.explain import (  # noqa: E402
    checkup,
    class_logits,
    copy_model,
    grad_cam,
    layer_costs,
    profile,
    saliency,
)
from tinycnn.explain.backward_check import check_backward  # noqa: E402
from tinycnn.explain.watched_step import watched_step  # noqa: E402
from tinycnn.gradcheck import numerical_gradient  # noqa: E402
from tinycnn.keras import layers  # noqa: E402
from tinycnn.layers import Layer  # noqa: E402
from tinycnn.layers.activations import softmax  # noqa: E402
from tinycnn.viz import (  # noqa: E402
    conv_feature_maps,
    model_graph,
    plot_explanations,
    plot_feature_maps,
    plot_model,
)
from tinycnn.viz import network as network_module  # noqa: E402

CLASSES = np.array([0, 2, 1, 2])  # one class per image of ``images()``


# ---- the models ---------------------------------------------------------------------------------
class Nudge(Layer):
    """The identity plus ``delta``: a value inside a model moved from outside, for central
    differences of the logits with respect to it. No weights, so it draws nothing."""

    delta = 0.0

    def compute_output_shape(self, input_shape):
        return input_shape

    def forward(self, x, training=False):
        self._check_input(x)
        return x + self.delta


class DoubledSecondInput(layers.Add):
    """An Add whose backward hands its second input twice the gradient: a slip in a merge."""

    def backward(self, dout):
        first, second = super().backward(dout)
        return [first, 2 * second]


class WrongSignDense(layers.Dense):
    """A Dense layer whose backward hands the layer below -dL/dx: a sign slip."""

    def backward_from_preactivation(self, dz):
        dx = super().backward_from_preactivation(dz)
        return None if dx is None else -dx


def float64(model):
    return model.use_kernels("numpy")


def residual_graph(seed=0, nudge=None, inline=False, add=layers.Add):
    """The module docstring's graph, float64. ``nudge``: a Nudge layer put after "block_out";
    ``inline``: the nested Sequential's layers called directly instead (same names);
    ``add``: the residual Add's class."""
    inner_layers = [layers.Conv2D(6, 3, padding="same", activation="relu", name="inner_conv"),
                    layers.BatchNormalization(name="inner_bn"),
                    layers.Dropout(0.2, name="inner_drop")]
    inputs = keras.Input(shape=(8, 8, 2), dtype="float64")
    x = layers.Conv2D(4, 3, strides=2, padding="same", use_bias=False, name="stem")(inputs)
    x = layers.Activation("relu", name="stem_relu")(layers.BatchNormalization(name="stem_bn")(x))
    x = layers.Conv2D(4, 3, padding="same", use_bias=False, name="conv")(x)
    x = layers.BatchNormalization(name="conv_bn")(x)
    shortcut = layers.Conv2D(4, 1, strides=2, name="shortcut")(inputs)
    x = layers.Activation("relu", name="block_out")(add(name="add")([x, shortcut]))
    if nudge is not None:
        x = nudge(x)
    shared = layers.Conv2D(3, 3, padding="same", activation="tanh", name="shared")
    # An average pool: a max pool over a window of the ReLU's zeros is a tie, where the
    # central differences of the Grad-CAM test would measure half a derivative.
    pooled = layers.AveragePooling2D(3, strides=1, padding="same", name="pool")(x)
    x = layers.Concatenate(name="concat")([shared(x), shared(pooled)])
    if inline:
        for layer in inner_layers:
            x = layer(x)
    else:
        inner = keras.Sequential([keras.Input(shape=(4, 4, 6)), *inner_layers], name="inner",
                                 seed=seed + 1, dtype="float64")
        x = inner(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(3, activation="softmax", name="classes")(x)
    return float64(keras.Model(inputs, outputs, seed=seed, dtype="float64"))


def model_used_twice():
    """One Sequential called on two branches (its layers run twice), merged by Multiply; a
    Softmax layer at the end."""
    inner = keras.Sequential([keras.Input(shape=(5, 5, 2)),
                              layers.Conv2D(2, 3, padding="same", activation="tanh")],
                             seed=4, dtype="float64")
    inputs = keras.Input(shape=(5, 5, 2), dtype="float64")
    x = layers.Multiply()([inner(inputs), inner(layers.Activation("tanh")(inputs))])
    outputs = layers.Softmax()(layers.Dense(3)(layers.Flatten()(x)))
    return float64(keras.Model(inputs, outputs, seed=5, dtype="float64"))


def functional_inside_functional():
    """A functional model used as a layer, beside a skip connection; logits out (no softmax)."""
    inner_in = keras.Input(shape=(5, 5, 2), dtype="float64")
    inner_out = layers.Conv2D(2, 3, padding="same", activation="relu")(inner_in)
    inner = keras.Model(inner_in, inner_out, name="block", seed=6, dtype="float64")
    inputs = keras.Input(shape=(5, 5, 2), dtype="float64")
    x = layers.Subtract()([inner(inputs), inputs])
    outputs = layers.Dense(3)(layers.GlobalMaxPooling2D()(x))
    return float64(keras.Model(inputs, outputs, seed=7, dtype="float64"))


def chain_pair(seed=3):
    """The same chain twice: (a functional model, a Sequential), float64, from one seed."""
    def chain():
        return [layers.Conv2D(4, 3, activation="relu"), layers.BatchNormalization(),
                layers.MaxPooling2D(2), layers.Conv2D(5, 2, padding="same", activation="relu"),
                layers.Flatten(), layers.Dropout(0.3), layers.Dense(3, activation="softmax")]

    inputs = keras.Input(shape=(8, 8, 2), dtype="float64")
    x = inputs
    for layer in chain():
        x = layer(x)
    functional = keras.Model(inputs, x, seed=seed, dtype="float64")
    sequential = keras.Sequential([keras.Input(shape=(8, 8, 2)), *chain()], seed=seed,
                                  dtype="float64")
    return float64(functional), float64(sequential)


def compiled(model):
    model.compile(optimizer="adam")
    return model


def with_moving_statistics(model, seed=0):
    """BatchNorm's state away from (0, 1), so that inference mode visibly uses it."""
    rng = np.random.default_rng(seed)
    for layer in leaves(model):
        if "moving_mean" in layer.state:
            layer.state["moving_mean"][...] = rng.normal(0, 0.3, layer.state["moving_mean"].shape)
            layer.state["moving_variance"][...] = rng.uniform(
                0.5, 2.0, layer.state["moving_variance"].shape)
    return model


def leaves(model):
    """Every layer that computes, a nested model's own layers in place of its wrapper."""
    for layer in model.layers:
        inner = getattr(layer, "network", None)
        if inner is not None:
            yield from leaves(inner)
        elif type(layer).__name__ != "InputLayer":
            yield layer


def same_weights(source, target):
    """Copy every leaf's weights from ``source`` into ``target``'s leaf of the same name."""
    by_name = {layer.name: layer for layer in leaves(target)}
    for layer in leaves(source):
        by_name[layer.name].set_weights(layer.get_weights())
    return target


def images(count=4, shape=(8, 8, 2), seed=1):
    return np.random.default_rng(seed).normal(size=(count, *shape))


def chosen_logits(model, x, classes):
    """sum_n z[n, classes[n]]: the score whose gradient saliency and Grad-CAM take."""
    return float(class_logits(model, x)[np.arange(len(x)), classes].sum())


def outputs_of(model, x, name):
    """The output of the call of layer ``name`` in one inference pass (the engine's hook)."""
    kept = {}

    def keep(step, out):
        if step.layer.name == name:
            kept["out"] = np.array(out)

    model.forward(x, watch=keep)
    return kept["out"]


def expected_cam(maps, dmaps):
    """Grad-CAM from A (N, h, w, C) and dz/dA by its definition (grad_cam.py)."""
    alpha = dmaps.mean(axis=(1, 2))
    return np.maximum((maps * alpha[:, None, None, :]).sum(axis=-1), 0)


def snapshot(model):
    """What an explanation must leave as it was: weights, caches, step caches, grads, flags."""
    every = list(leaves(model))
    return {"weights": [w.copy() for w in model.get_weights()],
            "caches": [layer._cache for layer in every],
            "steps": [step.cache for step in model.steps],
            "grads": [{k: v.copy() for k, v in layer.grads.items()} for layer in every],
            "needs_input_grad": [layer.needs_input_grad for layer in every]}


def assert_same_snapshot(before, after):
    for old, new in zip(before["weights"], after["weights"], strict=True):
        np.testing.assert_array_equal(old, new)
    for kind in ("caches", "steps"):
        assert all(a is b for a, b in zip(before[kind], after[kind], strict=True)), kind
    for old, new in zip(before["grads"], after["grads"], strict=True):
        assert old.keys() == new.keys()
        for key in old:
            np.testing.assert_array_equal(old[key], new[key])
    assert before["needs_input_grad"] == after["needs_input_grad"]


# ---- a chain is a chain, whichever way it is written ----------------------------------------
def test_a_functional_chain_explains_bit_for_bit_as_the_same_sequential():
    functional, sequential = chain_pair()
    for old, new in zip(functional.get_weights(), sequential.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    x = images(5)
    same = np.testing.assert_array_equal
    same(class_logits(functional, x), class_logits(sequential, x))
    same(saliency(functional, x), saliency(sequential, x))
    same(grad_cam(functional, x), grad_cam(sequential, x))
    same(grad_cam(functional, x, CLASSES[0], layer="conv2d"),
         grad_cam(sequential, x, CLASSES[0], layer="conv2d"))
    # The functional model's first row is its InputLayer, which costs nothing.
    input_row, *rows = layer_costs(functional)
    assert (input_row["multiply_adds"], input_row["activation_bytes"]) == (0, 0)
    assert rows == layer_costs(sequential)
    for (layer_f, maps_f), (layer_s, maps_s) in zip(conv_feature_maps(functional, x[0]),
                                                    conv_feature_maps(sequential, x[0]),
                                                    strict=True):
        assert layer_f.name == layer_s.name
        same(maps_f, maps_s)
    targets = np.eye(3)[CLASSES[:3]]
    assert check_backward(functional, x[:3], targets) == check_backward(sequential, x[:3],
                                                                         targets)
    same(copy_model(functional).predict(x), sequential.predict(x))
    y = np.arange(64) % 3
    data = np.random.default_rng(2).random((64, 8, 8, 2))
    report_f = str(checkup(compiled(functional), data, y, print_fn=None))
    report_s = str(checkup(compiled(sequential), data, y, print_fn=None))
    assert report_f.splitlines()[1:] == report_s.splitlines()[1:]  # the title names the model
    step_f, step_s = (watched_step(copy_model(model), x, CLASSES[[0, 1, 2, 3, 0]])
                      for model in (functional, sequential))
    assert step_f.loss == step_s.loss
    same(step_f.probs, step_s.probs)
    profile_f, profile_s = (profile(model, x, repeats=1, print_fn=None)
                            for model in (functional, sequential))
    assert [(row["name"], row["multiply_adds"]) for row in profile_f] == [
        (row["name"], row["multiply_adds"]) for row in profile_s]


# ---- costs and profile -----------------------------------------------------------------------
def test_costs_count_merge_layers_and_every_call_of_a_shared_layer():
    model = residual_graph()
    costs = {row["name"]: row for row in layer_costs(model)}
    # Conv2D: H_out * W_out * F * KH * KW * C_in; Dense: D * U; the rest, merges too, 0.
    by_hand = {"input_layer": 0, "stem": 4 * 4 * 4 * 3 * 3 * 2, "stem_bn": 0, "stem_relu": 0,
               "conv": 4 * 4 * 4 * 3 * 3 * 4, "conv_bn": 0, "shortcut": 4 * 4 * 4 * 1 * 1 * 2,
               "add": 0, "block_out": 0, "pool": 0,
               "shared": 2 * (4 * 4 * 3 * 3 * 3 * 4),  # called twice
               "concat": 0, "inner": 4 * 4 * 6 * 3 * 3 * 6, "gap": 0, "classes": 6 * 3}
    assert {name: row["multiply_adds"] for name, row in costs.items()} == by_hand
    # The Add keeps its inputs: the shortcut conv's output, which the conv keeps already, and
    # conv_bn's output, which nothing below keeps: 4 x 4 x 4 float64 values.
    assert costs["add"]["activation_bytes"] == 4 * 4 * 4 * 8
    # The Concatenate's inputs are the shared conv's two outputs, each kept by its own call.
    assert costs["concat"]["activation_bytes"] == 0
    # Each call of the shared conv keeps its own im2col matrix (16 x 36) and output (16 x 3).
    assert costs["shared"]["activation_bytes"] == 2 * 8 * (16 * 3 * 3 * 4 + 16 * 3)
    text = model.summary(print_fn=None, costs=True)
    assert f"Multiply-adds per image: {sum(by_hand.values()):,} forward" in text
    kept = sum(row["activation_bytes"] for row in costs.values())
    assert f"Kept for backward per image: {kept:,} bytes" in text


def test_profile_times_every_layer_call_of_a_graph_and_leaves_it_alone():
    model = compiled(residual_graph())
    x = images(6)
    before = snapshot(model)
    rows = profile(model, x, CLASSES[[0, 1, 2, 3, 0, 1]], repeats=2, print_fn=None)
    # A model used as a layer is opened up: its own layers have rows.
    assert [row["name"] for row in rows] == [layer.name for layer in leaves(model)]
    counted = {row["name"]: row["multiply_adds"] for row in rows}
    assert counted["shared"] == 2 * (4 * 4 * 3 * 3 * 3 * 4)  # both calls
    assert counted["inner_conv"] == 4 * 4 * 6 * 3 * 3 * 6
    assert counted["add"] == counted["concat"] == 0
    assert sum(row["share"] for row in rows) == pytest.approx(1.0)
    assert_same_snapshot(before, snapshot(model))


# ---- saliency and Grad-CAM -----------------------------------------------------------------
@pytest.mark.parametrize("make", [residual_graph, model_used_twice, functional_inside_functional])
def test_saliency_of_a_graph_is_the_central_difference_of_the_logit(make):
    model = with_moving_statistics(make())
    x = images(3, model.input_shape)
    logits = class_logits(model, x)  # what the final softmax (if any) turns into the output
    np.testing.assert_allclose(softmax(logits) if model.ends_in_softmax else logits,
                               model.predict(x), rtol=1e-12)
    analytic = saliency(model, x, CLASSES[:3])
    numeric = numerical_gradient(lambda: chosen_logits(model, x, CLASSES[:3]), x)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


def test_grad_cam_where_a_value_feeds_two_layers_adds_up_both_gradients():
    # "block_out" feeds the shared conv and the max pool: dz/dA comes back along both.
    model = with_moving_statistics(residual_graph())
    nudge = Nudge()
    nudged = same_weights(model, with_moving_statistics(residual_graph(seed=9, nudge=nudge)))
    x = images()
    nudge.delta = np.zeros((len(x), 4, 4, 4))
    dmaps = numerical_gradient(lambda: chosen_logits(nudged, x, CLASSES), nudge.delta)
    expected = expected_cam(outputs_of(model, x, "block_out"), dmaps)
    np.testing.assert_allclose(grad_cam(model, x, CLASSES, layer="block_out"), expected,
                               rtol=1e-6, atol=1e-9)


def test_grad_cam_at_a_merge_input_is_what_the_merge_hands_back():
    # The hand computation: the engine's own passes, with hooks, on the model itself.
    model = with_moving_statistics(residual_graph())
    x = images()
    maps = outputs_of(model, x, "shortcut")
    handed_back = {}

    def keep(step, dx):
        if step.layer.name == "add":
            handed_back["shortcut"] = dx[1]  # the Add reads [conv_bn, shortcut]

    model.forward(x, logits=True)
    model.backward(np.eye(3)[CLASSES], before_activation=True, watch=keep)
    np.testing.assert_allclose(grad_cam(model, x, CLASSES, layer="shortcut"),
                               expected_cam(maps, handed_back["shortcut"]), rtol=1e-12)


def test_a_nested_sequential_is_explained_as_its_layers_written_inline():
    model = with_moving_statistics(residual_graph())
    inline = same_weights(model, residual_graph(seed=9, inline=True))
    x = images()
    close = dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(saliency(model, x), saliency(inline, x), **close)
    np.testing.assert_allclose(grad_cam(model, x, layer="inner_conv"),
                               grad_cam(inline, x, layer="inner_conv"), **close)
    np.testing.assert_allclose(grad_cam(model, x), grad_cam(inline, x), **close)  # inner_drop


def test_grad_cam_refuses_a_shared_layer_and_the_input_by_name():
    model = residual_graph()
    x = images(2)
    with pytest.raises(ValueError, match="grad_cam: layer 'shared' is called 2 times in the "
                                         "model"):
        grad_cam(model, x, layer="shared")
    with pytest.raises(ValueError, match=r"grad_cam: layer 'input_layer' is the model's input "
                                         r"\(InputLayer\)"):
        grad_cam(model, x, layer=0)
    twice = model_used_twice()
    with pytest.raises(ValueError, match="is called 2 times in the model"):
        grad_cam(twice, images(2, (5, 5, 2)), layer="conv2d")  # once per call of its model


def test_explaining_a_graph_mid_step_changes_nothing():
    model = compiled(residual_graph())
    x = images()
    dropout = model.get_layer("inner").network.layers[-1]
    masks = dropout.rng.bit_generator.state
    model.forward(x, training=True, logits=True)  # a training step's caches, mid-step
    before = snapshot(model)
    saliency(model, x)
    grad_cam(model, x, layer="block_out")
    class_logits(model, x)
    layer_costs(model)
    conv_feature_maps(model, x[0])
    assert_same_snapshot(before, snapshot(model))
    # The step goes on: its backward still reads the training forward's caches.
    model.backward(np.eye(3)[CLASSES], before_activation=True)
    explained = [{k: v.copy() for k, v in layer.grads.items()} for layer in leaves(model)]
    dropout.rng.bit_generator.state = masks  # the same step again, with no explanation
    model.forward(x, training=True, logits=True)
    model.backward(np.eye(3)[CLASSES], before_activation=True)
    for grads, layer in zip(explained, leaves(model), strict=True):
        assert grads.keys() == layer.grads.keys()
        for key, value in grads.items():
            np.testing.assert_array_equal(value, layer.grads[key])


def test_plot_explanations_draws_a_graph_model(tmp_path):
    model = residual_graph()
    x = images(8)
    fig = plot_explanations(model, x, np.arange(8) % 3, ["a", "b", "c"], correct=2, wrong=2,
                            layer="block_out", path=tmp_path / "explained.png")
    assert (tmp_path / "explained.png").stat().st_size > 1000
    assert fig.axes[2].get_title() == "Grad-CAM at block_out"


# ---- the check-up ------------------------------------------------------------------------
def test_the_backward_check_covers_merges_shared_layers_and_a_nested_model():
    x, targets = images(3), np.eye(3)[CLASSES[:3]]
    worst, mismatch = check_backward(residual_graph(), x, targets)
    assert mismatch is None and worst < 1e-6
    _, mismatch = check_backward(residual_graph(add=DoubledSecondInput), x, targets)
    assert (mismatch.layer.name, mismatch.what) == ("add", "dL/dx_1")
    # A shared layer's calls are checked one by one, from the last.
    inputs = keras.Input(shape=(4,), dtype="float64")
    twice = WrongSignDense(4, activation="tanh", name="twice")
    h = twice(twice(layers.Dense(4, name="first")(inputs)))
    model = float64(keras.Model(inputs, layers.Dense(3, activation="softmax")(h), seed=0,
                                dtype="float64"))
    _, mismatch = check_backward(model, images(3, (4,)), targets)
    assert (mismatch.layer.name, mismatch.what) == ("twice", "dL/dx (call 2 of 2)")


def test_the_check_up_runs_on_a_graph_and_leaves_it_alone():
    model = compiled(residual_graph())
    data = np.random.default_rng(3).random((64, 8, 8, 2))
    y = np.arange(64) % 3
    before = snapshot(model)
    result = checkup(model, data, y, print_fn=None)
    verdicts = {check.name: check.verdict for check in result.checks}
    assert verdicts["backward"] == "ok" and verdicts["finite values"] == "ok", str(result)
    assert [row["name"] for row in result.layers] == [layer.name for layer in leaves(model)]
    assert result.layers[[row["name"] for row in result.layers].index("block_out")][
        "relu_units"] == 4
    assert_same_snapshot(before, snapshot(model))
    assert model.optimizer.iterations == 0


def test_a_watched_step_names_the_layer_inside_a_nested_model_that_overflows():
    model = compiled(residual_graph())
    model.get_layer("inner").network.layers[0].params["W"][...] = 1e308
    step = watched_step(model, images(), CLASSES)
    assert step.problem.describe() == "the output of inner_conv (Conv2D) in the forward pass"


def test_copy_and_clone_keep_the_graph_and_its_shared_layers():
    model = with_moving_statistics(residual_graph())
    twin = copy_model(model)
    assert twin.inputs is not None
    assert [layer.name for layer in twin.layers] == [layer.name for layer in model.layers]
    index = {id(layer): i for i, layer in enumerate(model.layers)}
    twin_index = {id(layer): i for i, layer in enumerate(twin.layers)}
    assert [(twin_index[id(step.layer)], step.inputs) for step in twin.steps] == [
        (index[id(step.layer)], step.inputs) for step in model.steps]
    shared = [step.layer for step in twin.steps if step.layer.name == "shared"]
    assert len(shared) == 2 and shared[0] is shared[1]
    assert not {id(layer) for layer in leaves(twin)} & {id(layer) for layer in leaves(model)}
    x = images()
    np.testing.assert_array_equal(twin.predict(x), model.predict(x))
    clone = keras.models.clone_model(model)
    for old, new in zip(clone.get_weights(), residual_graph().get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)  # new weights: a new model's from the seed


# ---- pictures ----------------------------------------------------------------------------
def edges_by_name(graph):
    """{(from, to)} of a drawing, nodes named by their first label line."""
    names, edges = {}, set()
    for line in graph.body:
        line = line.strip()
        if "->" in line:
            source, target = line.split(" -> ")
            edges.add((source, target))
        elif "label=" in line:
            names[line.split()[0]] = line.split('label="')[1].split("\\n")[0]
    return {(names[source], names[target]) for source, target in edges}


def test_the_drawing_shows_the_branches_merges_and_shared_layer():
    assert edges_by_name(model_graph(residual_graph())) == {
        ("input_layer", "stem"), ("stem", "stem_bn"), ("stem_bn", "stem_relu"),
        ("stem_relu", "conv"), ("conv", "conv_bn"), ("input_layer", "shortcut"),
        ("conv_bn", "add"), ("shortcut", "add"), ("add", "block_out"),
        ("block_out", "shared"), ("block_out", "pool"), ("pool", "shared"),
        ("shared", "concat"), ("concat", "inner"), ("inner", "gap"), ("gap", "classes")}


def test_plot_model_draws_with_keras_arguments_and_refuses_the_others(tmp_path, monkeypatch):
    model = residual_graph()
    plot_model(model, to_file=tmp_path / "model.png", show_shapes=True,
               show_layer_names=True, show_layer_activations=True, show_dtype=True,
               show_trainable=True, rankdir="LR")
    assert (tmp_path / "model.png").read_bytes().startswith(b"\x89PNG")
    plot_model(model, to_file=tmp_path / "model.svg", show_shapes=True, show_layer_names=True)
    svg = (tmp_path / "model.svg").read_text()
    assert "add (Add)" in svg and "Input shape: [(None, 4, 4, 4), (None, 4, 4, 4)]" in svg
    assert "inner (Sequential)" in svg and "input_layer (InputLayer)" in svg
    _, sequential = chain_pair()
    plot_model(sequential, to_file=tmp_path / "chain.svg")
    chain_svg = (tmp_path / "chain.svg").read_text()
    assert "InputLayer" not in chain_svg and chain_svg.count("<g id=\"edge") == 6
    with pytest.raises(ValueError, match="expand_nested=True is not supported"):
        plot_model(model, to_file=tmp_path / "m.png", expand_nested=True)
    with pytest.raises(TypeError, match="does not support the argument.s. show_colors"):
        plot_model(model, to_file=tmp_path / "m.png", show_colors=True)
    with pytest.raises(ValueError, match="layer_range is not supported"):
        plot_model(model, to_file=tmp_path / "m.png", layer_range=["stem", "add"])
    monkeypatch.setattr(network_module.shutil, "which", lambda name: None)
    with pytest.raises(ImportError, match="apt-get install graphviz"):
        plot_model(model, to_file=tmp_path / "m.png")


def test_feature_maps_of_a_graph_show_every_conv_call(tmp_path):
    model = residual_graph()
    x = images(1)
    found = conv_feature_maps(model, x[0])
    assert [layer.name for layer, _ in found] == ["stem", "conv", "shortcut", "shared",
                                                  "shared", "inner_conv"]
    for name in ("stem", "conv", "shortcut"):
        maps = dict((layer.name, maps) for layer, maps in found)[name]
        np.testing.assert_array_equal(maps, outputs_of(model, x, name)[0])
    fig = plot_feature_maps(model, x[0], max_maps=3, ncols=3, path=tmp_path / "maps.png")
    titles = [panel._suptitle.get_text() for panel in fig.subfigs]
    assert titles[4].startswith("shared (Conv2D, call 1 of 2)")
    assert titles[5].startswith("shared (Conv2D, call 2 of 2)")
