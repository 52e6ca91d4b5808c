"""Functional models' gradients against PyTorch, in float64 (issue item 5).

The six graphs of the issue that trip graph engines, and a seventh, each built with tinycnn's
functional API:
    - a residual block: Conv-BN-ReLU-Conv-BN, the skip added back, ReLU;
    - a projection shortcut: the block downsamples (3x3 conv, strides 2, "same" padding, which
      Keras pads asymmetrically) and the shortcut is a 1x1 conv with strides 2 (no bias);
    - three branches joined by Concatenate, all reading the model's input (three input readers);
    - one layer object used twice (shared weights, one of its calls on the model's input);
    - one tensor feeding three layers, at different depths;
    - Sequentials nested in a graph model, one reading the model's input, one in the middle;
    - one Sequential called twice (a shared layer whose inside is a whole network).
Plus a classifier ending in Dense(softmax), trained through tinycnn's own loss.

For each, the same computation is written again in PyTorch (torch.nn.functional, NCHW), with
the tinycnn layers' weights copied over. Every weight is first set to random values (not the
initial zeros and ones), and the loss is sum(output * R) for a fixed random R, so that no
gradient is zero or symmetric by accident. Then the forward output, dL/dx and dL/dparam of
every param of every layer (the inner layers of a nested Sequential, and the wrapper's
"<index>/<key>" grads the optimizer reads) must agree. (One gradient is zero by the maths: a
conv's bias right before a BatchNormalization in training, whose batch mean takes it away
again; both sides give rounding noise there, ~1e-15, which ATOL covers.)

Why PyTorch in float64: its autograd is an independent implementation of every formula here
(it shares no code and no derivation with tinycnn's hand-written backward passes), and in
float64 the two can only differ by rounding, so the tolerances are tight: rtol 1e-9 plus atol
1e-12 (measured: at most 5e-14, under 1e-14 of each array's largest value, under 1% of the
tolerance: float64 rounding over sums of a few hundred terms). A wrong summation of a
shared layer's grads, a gradient lost where a tensor feeds several layers, a branch's
gradient sent to the wrong input, or an off-by-one padding would all be far larger.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812 (PyTorch's own spelling)

from tinycnn import keras
from tinycnn.keras import layers
from tinycnn.network import NestedNetwork

BATCH = 4
RTOL, ATOL = 1e-9, 1e-12
EPSILON = 1e-3  # BatchNormalization's default epsilon, Keras's


# ---- running both sides ------------------------------------------------------------------
def leaf_layers(model):
    """Every layer that computes, a nested network's own layers in place of its wrapper."""
    for layer in model.layers:
        if isinstance(layer, NestedNetwork):
            yield from leaf_layers(layer.network)
        else:
            yield layer


def layers_with_params(model):
    """{name: layer} of the layers that have params; the names must not repeat (the PyTorch
    references look weights up by layer name)."""
    found = [layer for layer in leaf_layers(model) if layer.params]
    by_name = {layer.name: layer for layer in found}
    assert len(by_name) == len(found), f"layer names repeat: {[la.name for la in found]}"
    return by_name


def randomize_params(model, rng):
    """Random params in place of the initial ones (biases 0, gamma 1, beta 0), so that no
    gradient is trivial: gamma near 1 keeps BatchNorm's output of moderate size."""
    for layer in layers_with_params(model).values():
        for key, value in layer.params.items():
            noise = rng.standard_normal(value.shape)
            value[...] = 1 + 0.3 * noise if key == "gamma" else 0.5 * noise


def run_tinycnn(model, x, output_weights):
    """Forward in training mode, backward of L = sum(out * output_weights), with dL/dx asked of
    every input reader: (out, dL/dx, {layer name: {key: grad}})."""
    out = np.array(model.forward(x, training=True))
    for layer in model.input_readers():
        layer.needs_input_grad = True
    dx = model.backward(output_weights)
    grads = {name: dict(layer.grads) for name, layer in layers_with_params(model).items()}
    return out, dx, grads


def torch_leaves(model):
    """{layer name: {key: a float64 leaf tensor}}: copies of every param, for PyTorch to
    differentiate. A shared layer has one entry, so its grad adds up over its calls."""
    return {name: {key: torch.tensor(value, dtype=torch.float64, requires_grad=True)
                   for key, value in layer.params.items()}
            for name, layer in layers_with_params(model).items()}


def run_torch(reference, params, x, output_weights):
    """The same as run_tinycnn on the PyTorch reference(x, params), by autograd."""
    x_torch = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out = reference(x_torch, params)
    (out * torch.from_numpy(output_weights)).sum().backward()
    grads = {}
    for name, layer_params in params.items():
        for key, leaf in layer_params.items():
            assert leaf.grad is not None, f"the PyTorch reference does not use {name}/{key}"
        grads[name] = {key: leaf.grad.numpy() for key, leaf in layer_params.items()}
    return out.detach().numpy(), x_torch.grad.numpy(), grads


def assert_close(actual, expected, what):
    assert actual is not None, f"{what}: tinycnn gave None"
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=what)


def assert_grads_close(model, grads, expected):
    """Every param of every layer; a nested network's wrapper too, whose grads (keyed
    "<index>/<key>") are what the optimizer reads."""
    assert grads.keys() == expected.keys()
    for name, layer_grads in grads.items():
        assert layer_grads.keys() == expected[name].keys(), f"{name}: grads {list(layer_grads)}"
        for key, grad in layer_grads.items():
            assert_close(grad, expected[name][key], f"dL/d{key} of {name}")
    for wrapper in (layer for layer in model.layers if isinstance(layer, NestedNetwork)):
        assert wrapper.grads.keys() == wrapper.params.keys()
        for i, inner in enumerate(wrapper.network.layers):
            for key in inner.params:
                assert_close(wrapper.grads[f"{i}/{key}"], expected[inner.name][key],
                             f"dL/d{i}/{key} of {wrapper.name}")


# ---- PyTorch's side: the layers, on NHWC tensors as tinycnn's -----------------------------
def same_padding(size, kernel, stride):
    """Keras's "same": (before, after), the extra pixel after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad_nchw(x, kernel, stride, value=0.0):
    """x (N, C, H, W) padded for a "same" window of (kernel, kernel) moving by stride."""
    top, bottom = same_padding(x.shape[2], kernel, stride)
    left, right = same_padding(x.shape[3], kernel, stride)
    return F.pad(x, (left, right, top, bottom), value=value)


def conv(x, params, stride=1, padding="valid"):
    """Conv2D on NHWC: W (KH, KW, C_in, F) is PyTorch's (F, C_in, KH, KW), permuted; no "b"
    in params for a conv made with use_bias=False."""
    weight = params["W"].permute(3, 2, 0, 1)
    nchw = x.permute(0, 3, 1, 2)
    if padding == "same":
        nchw = pad_nchw(nchw, weight.shape[2], stride)
    return F.conv2d(nchw, weight, params.get("b"), stride=stride).permute(0, 2, 3, 1)


def batch_norm(x, params):
    """BatchNormalization in training: the batch's mean and biased variance, per channel."""
    nchw = x.permute(0, 3, 1, 2)
    out = F.batch_norm(nchw, None, None, params["gamma"], params["beta"], training=True,
                       eps=EPSILON)
    return out.permute(0, 2, 3, 1)


def max_pool_same(x, size):
    """MaxPool2D(size, strides=1, padding="same"): padded pixels never win."""
    nchw = pad_nchw(x.permute(0, 3, 1, 2), size, 1, value=-torch.inf)
    return F.max_pool2d(nchw, size, stride=1).permute(0, 2, 3, 1)


def dense(x, params):
    return x @ params["W"] + params["b"]


def global_average(x):
    return x.mean(dim=(1, 2))


# ---- the graphs ---------------------------------------------------------------------------
class GraphCase(NamedTuple):
    """A functional model (``build()``: (inputs, outputs)) and its PyTorch twin."""

    input_shape: tuple
    build: Callable
    reference: Callable


def residual_block():
    inputs = keras.Input(shape=(6, 6, 3), dtype="float64")
    y = layers.Conv2D(3, 3, padding="same", name="conv_1")(inputs)
    y = layers.ReLU()(layers.BatchNormalization(name="bn_1")(y))
    y = layers.Conv2D(3, 3, padding="same", name="conv_2")(y)
    y = layers.BatchNormalization(name="bn_2")(y)
    return inputs, layers.ReLU()(layers.Add()([y, inputs]))


def residual_block_torch(x, p):
    y = F.relu(batch_norm(conv(x, p["conv_1"], padding="same"), p["bn_1"]))
    y = batch_norm(conv(y, p["conv_2"], padding="same"), p["bn_2"])
    return F.relu(y + x)


def projection_shortcut():
    inputs = keras.Input(shape=(8, 8, 2), dtype="float64")
    y = layers.Conv2D(4, 3, strides=2, padding="same", name="conv_down")(inputs)
    y = layers.ReLU()(layers.BatchNormalization(name="bn_1")(y))
    y = layers.Conv2D(4, 3, padding="same", name="conv_2")(y)
    y = layers.BatchNormalization(name="bn_2")(y)
    shortcut = layers.Conv2D(4, 1, strides=2, use_bias=False, name="projection")(inputs)
    shortcut = layers.BatchNormalization(name="bn_shortcut")(shortcut)
    return inputs, layers.ReLU()(layers.Add()([y, shortcut]))


def projection_shortcut_torch(x, p):
    y = conv(x, p["conv_down"], stride=2, padding="same")
    y = F.relu(batch_norm(y, p["bn_1"]))
    y = batch_norm(conv(y, p["conv_2"], padding="same"), p["bn_2"])
    shortcut = batch_norm(conv(x, p["projection"], stride=2), p["bn_shortcut"])
    return F.relu(y + shortcut)


def three_branches():
    inputs = keras.Input(shape=(6, 6, 2), dtype="float64")
    narrow = layers.Conv2D(2, 1, activation="relu", name="branch_1x1")(inputs)
    wide = layers.Conv2D(3, 3, padding="same", name="branch_3x3")(inputs)
    wide = layers.BatchNormalization(name="branch_bn")(wide)
    pooled = layers.MaxPool2D(3, strides=1, padding="same")(inputs)
    pooled = layers.Conv2D(2, 1, name="branch_pool_1x1")(pooled)
    joined = layers.Concatenate()([narrow, wide, pooled])
    return inputs, layers.Conv2D(3, 3, activation="tanh", name="after_concat")(joined)


def three_branches_torch(x, p):
    narrow = F.relu(conv(x, p["branch_1x1"]))
    wide = batch_norm(conv(x, p["branch_3x3"], padding="same"), p["branch_bn"])
    pooled = conv(max_pool_same(x, 3), p["branch_pool_1x1"])
    joined = torch.cat([narrow, wide, pooled], dim=-1)
    return torch.tanh(conv(joined, p["after_concat"]))


def shared_layer():
    inputs = keras.Input(shape=(6, 6, 3), dtype="float64")
    shared = layers.Conv2D(3, 3, padding="same", name="shared")
    first = shared(inputs)
    second = shared(layers.BatchNormalization(name="bn")(layers.ReLU()(first)))
    return inputs, layers.Add()([first, second])


def shared_layer_torch(x, p, second_call=None):
    """second_call: other leaves for the shared layer's second call, to see each call's part of
    the gradient on its own (by default the same leaves: PyTorch adds the two parts)."""
    first = conv(x, p["shared"], padding="same")
    second_call = p["shared"] if second_call is None else second_call
    second = conv(batch_norm(F.relu(first), p["bn"]), second_call, padding="same")
    return first + second


def tensor_feeds_three():
    inputs = keras.Input(shape=(6, 6, 2), dtype="float64")
    t = layers.Conv2D(3, 3, padding="same", activation="relu", name="stem")(inputs)
    deep = layers.Conv2D(3, 3, padding="same", name="deep_1")(t)
    deep = layers.Conv2D(3, 3, padding="same", name="deep_2")(layers.ReLU()(deep))
    normalised = layers.BatchNormalization(name="bn")(t)
    return inputs, layers.Add()([deep, normalised, t])


def tensor_feeds_three_torch(x, p):
    t = F.relu(conv(x, p["stem"], padding="same"))
    deep = conv(F.relu(conv(t, p["deep_1"], padding="same")), p["deep_2"], padding="same")
    return deep + batch_norm(t, p["bn"]) + t


def conv_bn_relu_stack(channels, prefix):
    """Conv-BN-ReLU as a Sequential not built yet (its call in the graph builds it), every
    layer named after ``prefix``."""
    return keras.Sequential([
        layers.Conv2D(channels, 3, padding="same", name=f"{prefix}_conv"),
        layers.BatchNormalization(name=f"{prefix}_bn"),
        layers.ReLU(name=f"{prefix}_relu"),
    ], name=prefix, dtype="float64")


def nested_sequentials():
    inputs = keras.Input(shape=(6, 6, 2), dtype="float64")
    t = conv_bn_relu_stack(3, "first_stack")(inputs)  # reads the model's input
    y = conv_bn_relu_stack(3, "middle_stack")(t)
    y = layers.Add()([y, t])
    y = layers.GlobalAveragePooling2D()(y)
    return inputs, layers.Dense(3, name="head")(y)


def conv_bn_relu_torch(x, p, prefix):
    return F.relu(batch_norm(conv(x, p[f"{prefix}_conv"], padding="same"), p[f"{prefix}_bn"]))


def nested_sequentials_torch(x, p):
    t = conv_bn_relu_torch(x, p, "first_stack")
    y = conv_bn_relu_torch(t, p, "middle_stack") + t
    return dense(global_average(y), p["head"])


def sequential_used_twice():
    inputs = keras.Input(shape=(6, 6, 2), dtype="float64")
    t = layers.Conv2D(3, 3, padding="same", name="stem")(inputs)
    stack = conv_bn_relu_stack(3, "shared_stack")
    first = stack(t)
    return inputs, layers.Add()([first, stack(first)])


def sequential_used_twice_torch(x, p):
    first = conv_bn_relu_torch(conv(x, p["stem"], padding="same"), p, "shared_stack")
    return first + conv_bn_relu_torch(first, p, "shared_stack")


CASES = {
    "residual_block": GraphCase((6, 6, 3), residual_block, residual_block_torch),
    "projection_shortcut": GraphCase((8, 8, 2), projection_shortcut, projection_shortcut_torch),
    "three_branches_concatenated": GraphCase((6, 6, 2), three_branches, three_branches_torch),
    "one_layer_used_twice": GraphCase((6, 6, 3), shared_layer, shared_layer_torch),
    "one_tensor_feeds_three_layers": GraphCase((6, 6, 2), tensor_feeds_three,
                                               tensor_feeds_three_torch),
    "sequentials_nested_in_graph": GraphCase((6, 6, 2), nested_sequentials,
                                             nested_sequentials_torch),
    "one_sequential_used_twice": GraphCase((6, 6, 2), sequential_used_twice,
                                           sequential_used_twice_torch),
}


def make_model(case, rng):
    """The case's functional model in float64, with random params."""
    inputs, outputs = case.build()
    model = keras.Model(inputs, outputs, seed=0)
    assert model.dtype == np.float64
    randomize_params(model, rng)
    return model


# ---- the tests ----------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_output_input_gradient_and_every_param_gradient_match_pytorch(case):
    rng = np.random.default_rng(5)
    model = make_model(case, rng)
    x = rng.standard_normal((BATCH, *case.input_shape))
    output_weights = rng.standard_normal((BATCH, *model.output_shape))
    params = torch_leaves(model)  # before forward: the weights the model computes with

    out, dx, grads = run_tinycnn(model, x, output_weights)
    expected_out, expected_dx, expected_grads = run_torch(case.reference, params, x,
                                                          output_weights)

    assert_close(out, expected_out, "the output")
    assert_close(dx, expected_dx, "dL/dx")
    assert_grads_close(model, grads, expected_grads)


def test_shared_layer_grads_add_up_over_its_calls():
    """The shared conv's gradient is the sum of its two calls' parts, and neither part alone:
    an engine keeping only one call's grads would fail here, not pass by luck."""
    rng = np.random.default_rng(6)
    case = CASES["one_layer_used_twice"]
    model = make_model(case, rng)
    x = rng.standard_normal((BATCH, *case.input_shape))
    output_weights = rng.standard_normal((BATCH, *model.output_shape))
    params = torch_leaves(model)
    second_call = torch_leaves(model)["shared"]
    _, _, grads = run_tinycnn(model, x, output_weights)

    out = shared_layer_torch(torch.from_numpy(x), params, second_call)
    (out * torch.from_numpy(output_weights)).sum().backward()
    for key, grad in grads["shared"].items():
        parts = params["shared"][key].grad.numpy(), second_call[key].grad.numpy()
        assert_close(grad, parts[0] + parts[1], f"dL/d{key} of the shared layer")
        for part in parts:
            assert not np.allclose(grad, part, rtol=0.01), f"{key}: one call's part alone"


def classifier():
    inputs = keras.Input(shape=(6, 6, 2), dtype="float64")
    t = layers.Conv2D(3, 3, padding="same", activation="relu", name="stem")(inputs)
    y = layers.Conv2D(3, 3, padding="same", name="conv")(t)
    y = layers.BatchNormalization(name="bn")(y)
    y = layers.GlobalAveragePooling2D()(layers.Add()([y, t]))
    return inputs, layers.Dense(4, activation="softmax", name="classifier")(y)


def classifier_logits_torch(x, p):
    t = F.relu(conv(x, p["stem"], padding="same"))
    y = batch_norm(conv(t, p["conv"], padding="same"), p["bn"]) + t
    return dense(global_average(y), p["classifier"])


def test_softmax_classifier_with_tinycnn_loss_matches_pytorch_cross_entropy():
    """A graph ending in Dense(softmax), trained as fit trains it: the loss reads the logits
    before the softmax and backward starts from dL/dlogits = (probs - onehot(y)) / N."""
    rng = np.random.default_rng(7)
    inputs, outputs = classifier()
    model = keras.Model(inputs, outputs, seed=0)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    randomize_params(model, rng)
    x = rng.standard_normal((BATCH, 6, 6, 2))
    y = np.array([0, 3, 1, 3])
    params = torch_leaves(model)

    logits = model.forward(x, training=True, logits=True)
    probs = model.probabilities(logits)
    loss = model.loss_of(logits, y)
    model.backward_loss(probs, y)
    grads = {name: layer.grads for name, layer in layers_with_params(model).items()}

    expected_logits = classifier_logits_torch(torch.from_numpy(x), params)
    expected_loss = F.cross_entropy(expected_logits, torch.from_numpy(y))
    expected_loss.backward()
    assert_close(np.array(logits), expected_logits.detach().numpy(), "the logits")
    assert_close(probs, torch.softmax(expected_logits, dim=-1).detach().numpy(), "the probs")
    assert loss == pytest.approx(expected_loss.item(), rel=RTOL)
    expected_grads = {name: {key: leaf.grad.numpy() for key, leaf in layer_params.items()}
                      for name, layer_params in params.items()}
    assert_grads_close(model, grads, expected_grads)
