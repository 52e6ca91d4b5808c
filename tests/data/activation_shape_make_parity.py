"""Writes activation_shape_parity.json: what real Keras computes with its activation functions
and with the layers of issue 19 (LeakyReLU, ELU, ReLU's arguments, PReLU, UpSampling2D,
Cropping2D, LayerNormalization, Rescaling, Identity; Dense and Conv2D with the new
activations), the reference tests/test_layers_activation_shape.py holds tinycnn's to. Not run
by the tests (they need no TensorFlow); run it again with Keras installed to refresh it:

    python -m venv /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tf/bin/python tests/data/activation_shape_make_parity.py

All in float64. "functions": keras.activations.<name>(x, **arguments), its output and, for the
ones a layer can apply, dL/dx for L = sum(output * dout) (TensorFlow's GradientTape).
"layers": each layer's config (the same arguments in Keras and in tinycnn), its input, its
weights in Keras's order (drawn at random, so that no weight is a trivial 0 or 1), dout, and
Keras's output, dL/dx and dL/dweight for each weight.
"""

import functools
import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

# name: (Keras's function, its arguments beyond x, whether a layer can apply it, x's shape)
FUNCTIONS = {name: (name, {}, True, (4, 6)) for name in (
    "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "sigmoid", "hard_sigmoid",
    "sparse_sigmoid", "log_sigmoid", "tanh", "hard_tanh", "softplus", "softsign",
    "squareplus", "sparse_plus", "soft_shrink", "hard_shrink", "exponential", "linear",
    "gelu", "silu", "swish", "mish", "hard_silu", "hard_swish", "tanh_shrink", "softmax",
    "log_softmax")}
FUNCTIONS.update({
    "relu_all_arguments": ("relu", {"negative_slope": 0.1, "max_value": 2.5, "threshold": 0.5},
                           False, (4, 6)),
    "relu_negative_slope": ("relu", {"negative_slope": 0.25}, False, (4, 6)),
    "relu_negative_threshold": ("relu", {"threshold": -0.5}, False, (4, 6)),
    "relu_max_value_6": ("relu", {"max_value": 6.0}, False, (4, 6)),
    "leaky_relu_0.1": ("leaky_relu", {"negative_slope": 0.1}, False, (4, 6)),
    "elu_alpha": ("elu", {"alpha": 0.5}, False, (4, 6)),
    "celu_alpha": ("celu", {"alpha": 2.0}, False, (4, 6)),
    "gelu_approximate": ("gelu", {"approximate": True}, False, (4, 6)),
    "squareplus_b": ("squareplus", {"b": 2}, False, (4, 6)),
    "soft_shrink_threshold": ("soft_shrink", {"threshold": 1.0}, False, (4, 6)),
    "hard_shrink_threshold": ("hard_shrink", {"threshold": 1.0}, False, (4, 6)),
    "softmax_axis_1": ("softmax", {"axis": 1}, False, (2, 3, 4)),
    "log_softmax_axis_1": ("log_softmax", {"axis": 1}, False, (2, 3, 4)),
    "glu": ("glu", {}, False, (2, 3, 6)),
    "glu_axis_1": ("glu", {"axis": 1}, False, (2, 4, 3)),
    "threshold": ("threshold", {"threshold": 0.3, "default_value": -1.0}, False, (4, 6)),
})

# name: (class, config, input shape with the batch axis)
LAYERS = {
    "leaky_relu_default": ("LeakyReLU", {}, (2, 3, 4, 2)),
    "leaky_relu_0.1": ("LeakyReLU", {"negative_slope": 0.1}, (2, 5)),
    "elu_default": ("ELU", {}, (2, 3, 4, 2)),
    "elu_alpha": ("ELU", {"alpha": 0.5}, (2, 5)),
    "relu_all_arguments": ("ReLU", {"max_value": 2.0, "negative_slope": 0.1,
                                    "threshold": 0.5}, (2, 3, 4, 2)),
    "relu_max_value_6": ("ReLU", {"max_value": 6.0}, (2, 5)),
    "relu_negative_slope": ("ReLU", {"negative_slope": 0.2}, (2, 5)),
    "prelu": ("PReLU", {}, (2, 3, 4, 2)),
    "prelu_shared_axes": ("PReLU", {"shared_axes": [1, 2]}, (2, 3, 4, 2)),
    "upsampling_nearest": ("UpSampling2D", {"size": [2, 3]}, (2, 3, 4, 2)),
    "upsampling_bilinear": ("UpSampling2D", {"size": [3, 2], "interpolation": "bilinear"},
                            (2, 3, 4, 2)),
    "upsampling_bilinear_2": ("UpSampling2D", {"size": 2, "interpolation": "bilinear"},
                              (1, 4, 1, 3)),
    "cropping_pairs": ("Cropping2D", {"cropping": [[1, 0], [2, 1]]}, (2, 4, 5, 2)),
    "cropping_int": ("Cropping2D", {"cropping": 1}, (2, 4, 5, 2)),
    "cropping_symmetric": ("Cropping2D", {"cropping": [1, 2]}, (2, 4, 5, 2)),
    "layer_norm_default": ("LayerNormalization", {}, (2, 3, 4, 5)),
    "layer_norm_all_axes": ("LayerNormalization", {"axis": [1, 2, 3]}, (2, 3, 4, 2)),
    "layer_norm_axes_1_3": ("LayerNormalization", {"axis": [1, 3], "epsilon": 0.1},
                            (2, 3, 4, 2)),
    "layer_norm_no_center": ("LayerNormalization", {"center": False}, (3, 6)),
    "layer_norm_no_scale": ("LayerNormalization", {"scale": False}, (3, 6)),
    "rescaling": ("Rescaling", {"scale": 0.5, "offset": -0.25}, (2, 3, 4, 2)),
    "identity": ("Identity", {}, (2, 5)),
    "dense_gelu": ("Dense", {"units": 3, "activation": "gelu"}, (4, 5)),
    "dense_selu": ("Dense", {"units": 3, "activation": "selu"}, (4, 5)),
    "conv2d_swish": ("Conv2D", {"filters": 2, "kernel_size": 3, "padding": "same",
                                "activation": "swish"}, (2, 4, 5, 3)),
    "conv2d_leaky_relu": ("Conv2D", {"filters": 2, "kernel_size": 3,
                                     "activation": "leaky_relu"}, (2, 4, 5, 3)),
}


def tape_gradients(function, x, weights, rng):
    """(output, dout, dL/dx, [dL/dw]) for L = sum(function(x) * dout)."""
    x = tf.Variable(x)
    with tf.GradientTape() as tape:
        out = function(x)
        dout = rng.standard_normal(out.shape)
        loss = tf.reduce_sum(out * dout)
    grads = tape.gradient(loss, [x, *weights])
    return np.asarray(out), dout, grads[0], grads[1:]


def arrays(values):
    return [np.asarray(value).tolist() for value in values]


def function_cases(rng):
    cases = {}
    for case, (name, arguments, by_layers, shape) in FUNCTIONS.items():
        x = rng.standard_normal(shape) * 3
        function = functools.partial(getattr(keras.activations, name), **arguments)
        out, dout, dx, _ = tape_gradients(function, x, [], rng)
        cases[case] = {"function": name, "arguments": arguments, "by_layers": by_layers,
                       "x": x.tolist(), "dout": dout.tolist(), "output": out.tolist(),
                       "dx": np.asarray(dx).tolist()}
    return cases


def layer_cases(rng):
    cases = {}
    for case, (name, config, shape) in LAYERS.items():
        x = rng.standard_normal(shape) * 2
        layer = getattr(keras.layers, name)(**config)
        layer.build(shape)
        weights = [rng.standard_normal(w.shape) * 0.5 for w in layer.get_weights()]
        layer.set_weights(weights)
        out, dout, dx, dweights = tape_gradients(layer, x, layer.trainable_weights, rng)
        cases[case] = {"class": name, "config": config, "x": x.tolist(),
                       "weight_names": [w.name for w in layer.weights],
                       "weights": arrays(weights), "dout": dout.tolist(),
                       "output": out.tolist(), "dx": np.asarray(dx).tolist(),
                       "dweights": arrays(dweights)}
    return cases


def main():
    keras.config.set_floatx("float64")
    rng = np.random.default_rng(19)
    reference = {"keras": keras.__version__, "tensorflow": tf.__version__,
                 "functions": function_cases(rng), "layers": layer_cases(rng)}
    path = Path(__file__).with_name("activation_shape_parity.json")
    path.write_text(json.dumps(reference) + "\n")
    print(f"wrote {path} (Keras {keras.__version__})")


if __name__ == "__main__":
    main()
