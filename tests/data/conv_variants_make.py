"""Writes conv_variants_keras.json: what real Keras computes for a dilated Conv2D,
DepthwiseConv2D, SeparableConv2D and Conv2DTranspose, the reference tests/test_conv_variants.py
holds tinycnn to. Not run by the tests (they need no TensorFlow); run it again with Keras
installed to refresh the reference:

    /work/tfenv/bin/python tests/data/conv_variants_make.py     (Keras 3.15.1, TensorFlow 2.21)

    layers     one case a layer: its class and arguments, an input x, weights drawn here (every
               bias non-zero, so that it is tested too) and given to set_weights, the names
               Keras gives those weights, in order, and Keras's output
    sgd_step   a small model with all four layers: Keras's own initial weights, one batch
               (x, y), its loss, and the weights after one SGD step (train_on_batch)
Keras computes in float64 here (keras.config.set_floatx), so both sides agree to rounding
(~1e-15): a wrong index cannot hide below float32's noise. The one exception, a case's
"dtype" says: TensorFlow's CPU kernels have no dilated transposed convolution in float64.
"""

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
from keras import layers  # noqa: E402

# (name, class, arguments, input shape without the batch axis)
LAYER_CASES = [
    ("conv2d_dilated_valid", "Conv2D", {"filters": 2, "kernel_size": 3, "dilation_rate": 2},
     (8, 7, 2)),
    ("conv2d_dilated_same", "Conv2D",
     {"filters": 3, "kernel_size": (2, 3), "dilation_rate": (3, 2), "padding": "same",
      "activation": "relu"}, (7, 8, 2)),
    ("depthwise", "DepthwiseConv2D", {"kernel_size": 3}, (6, 5, 3)),
    ("depthwise_multiplier_strides_same", "DepthwiseConv2D",
     {"kernel_size": (3, 2), "strides": 2, "padding": "same", "depth_multiplier": 2,
      "activation": "tanh"}, (7, 6, 2)),
    ("depthwise_dilated_strided", "DepthwiseConv2D",
     {"kernel_size": 2, "strides": 2, "dilation_rate": (2, 3), "padding": "same",
      "depth_multiplier": 3}, (9, 8, 2)),
    ("depthwise_no_bias", "DepthwiseConv2D",
     {"kernel_size": 2, "dilation_rate": 2, "use_bias": False}, (5, 6, 2)),
    ("separable", "SeparableConv2D", {"filters": 3, "kernel_size": 3}, (6, 6, 2)),
    ("separable_multiplier_same_relu", "SeparableConv2D",
     {"filters": 4, "kernel_size": (2, 3), "strides": 2, "padding": "same",
      "depth_multiplier": 2, "activation": "relu"}, (7, 8, 3)),
    ("separable_dilated", "SeparableConv2D",
     {"filters": 2, "kernel_size": 2, "dilation_rate": 2, "use_bias": False}, (6, 5, 2)),
    ("transpose", "Conv2DTranspose", {"filters": 2, "kernel_size": 3}, (4, 5, 3)),
    ("transpose_strides_valid", "Conv2DTranspose",
     {"filters": 3, "kernel_size": (3, 2), "strides": (2, 3)}, (3, 4, 2)),
    ("transpose_strides_same", "Conv2DTranspose",
     {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"},
     (4, 3, 2)),
    ("transpose_output_padding", "Conv2DTranspose",
     {"filters": 2, "kernel_size": 3, "strides": (2, 3), "output_padding": (1, 2)},
     (3, 3, 2)),
    ("transpose_output_padding_same", "Conv2DTranspose",
     {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "output_padding": 1},
     (3, 4, 1)),
    ("transpose_gaps", "Conv2DTranspose", {"filters": 1, "kernel_size": 2, "strides": 3},
     (3, 3, 2)),
    ("transpose_dilated_same", "Conv2DTranspose",
     {"filters": 2, "kernel_size": 2, "dilation_rate": 2, "padding": "same",
      "use_bias": False}, (5, 4, 2)),
]
# TensorFlow's CPU kernels have no float64 transposed convolution with dilation: in float32.
FLOAT32_CASES = {"transpose_dilated_same"}


def make_model():
    """The small model of the SGD step: every new layer, and a dilated Conv2D."""
    return keras.Sequential([
        keras.Input((6, 6, 2)),
        layers.SeparableConv2D(3, 3, padding="same", depth_multiplier=2, activation="relu"),
        layers.DepthwiseConv2D(2, strides=2, dilation_rate=2, padding="same"),
        layers.Conv2DTranspose(2, 3, strides=2, padding="same", activation="tanh"),
        layers.Conv2D(2, 3, dilation_rate=2, activation="relu"),
        layers.Flatten(),
        layers.Dense(3, activation="softmax"),
    ])


def plain(values):
    return [np.asarray(value, np.float64).tolist() for value in values]


def layer_case(rng, class_name, arguments, input_shape, dtype):
    layer = getattr(layers, class_name)(**arguments, dtype=dtype)
    x = rng.standard_normal((2, *input_shape)).astype(dtype)
    layer.build((None, *input_shape))
    weights = [rng.standard_normal(tuple(w.shape)).astype(dtype) for w in layer.weights]
    layer.set_weights(weights)
    return {"class": class_name, "arguments": arguments, "dtype": dtype, "x": x.tolist(),
            "weight_names": [w.name for w in layer.weights], "weights": plain(weights),
            "out": np.asarray(layer(x), np.float64).tolist()}


def main():
    keras.config.set_floatx("float64")
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    cases = {name: layer_case(rng, class_name, arguments, shape,
                              "float32" if name in FLOAT32_CASES else "float64")
             for name, class_name, arguments, shape in LAYER_CASES}

    model = make_model()
    initial = model.get_weights()
    x = rng.standard_normal((8, 6, 6, 2))
    y = rng.integers(0, 3, 8)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    loss = model.train_on_batch(x, y)
    sgd_step = {"x": x.tolist(), "y": y.tolist(), "initial": plain(initial),
                "loss": float(loss), "weights": plain(model.get_weights())}

    reference = {"keras": keras.__version__, "floatx": keras.config.floatx(), "layers": cases,
                 "sgd_step": sgd_step}
    path = Path(__file__).with_name("conv_variants_keras.json")
    path.write_text(json.dumps(reference) + "\n")
    print(f"wrote {path} (Keras {keras.__version__})")


if __name__ == "__main__":
    main()
