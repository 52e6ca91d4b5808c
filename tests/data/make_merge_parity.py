"""Writes merge_parity.json: what real Keras computes with its merge and shape layers (Add,
Subtract, Multiply, Average, Maximum, Concatenate, Reshape, ZeroPadding2D), the reference
tests/test_merge_layers.py holds tinycnn's to. Not run by the tests (they need no TensorFlow);
run it again with Keras installed to refresh the reference:

    python -m venv /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tf/bin/python tests/data/make_merge_parity.py

Each case: the layer's class and tinycnn config, the inputs, an upstream gradient dout, and
Keras's output and dL/dx_i for L = sum(output * dout) (TensorFlow's GradientTape), all in
float64. The cases cover inputs of different ranks and stretched axes of size 1, and
Maximum's ties (its gradient goes to the earliest input that holds the maximum).
"""

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

CASES = {  # name: (class, tinycnn config, input shapes with the batch axis)
    "add_broadcast": ("Add", {}, [(2, 4, 3), (2, 1, 3), (2, 3)]),
    "subtract_broadcast": ("Subtract", {}, [(2, 4, 3), (2, 3)]),
    "multiply_broadcast": ("Multiply", {}, [(2, 1, 3), (2, 4, 1), (2, 3)]),
    "average_broadcast": ("Average", {}, [(2, 4, 3), (2, 4, 1), (2, 4, 3)]),
    "maximum_broadcast": ("Maximum", {}, [(2, 4, 3), (2, 1, 3), (2, 3)]),
    "maximum_ties": ("Maximum", {}, [(2, 3, 2)] * 3),
    "concatenate_last": ("Concatenate", {"axis": -1}, [(2, 3, 4), (2, 3, 2)]),
    "concatenate_axis1": ("Concatenate", {"axis": 1}, [(2, 3, 4, 1), (2, 5, 4, 1),
                                                       (2, 1, 4, 1)]),
    "reshape": ("Reshape", {"target_shape": [-1, 2]}, [(2, 3, 4)]),
    "zero_padding2d": ("ZeroPadding2D", {"padding": [[1, 2], [0, 3]]}, [(2, 3, 4, 2)]),
}


def keras_layer(name, config):
    arguments = {key: tuple(map(tuple, value)) if key == "padding" else
                 tuple(value) if isinstance(value, list) else value
                 for key, value in config.items()}
    return getattr(keras.layers, name)(**arguments)


def main():
    keras.config.set_floatx("float64")
    rng = np.random.default_rng(0)
    cases = {}
    for case, (name, config, shapes) in CASES.items():
        if case == "maximum_ties":  # small integers: most elements tie between inputs
            inputs = [rng.integers(0, 3, shape).astype(np.float64) for shape in shapes]
        else:
            inputs = [rng.standard_normal(shape) for shape in shapes]
        variables = [tf.Variable(x) for x in inputs]
        layer = keras_layer(name, config)
        with tf.GradientTape() as tape:
            out = layer(variables if len(variables) > 1 else variables[0])
            dout = rng.standard_normal(out.shape)
            loss = tf.reduce_sum(out * dout)
        grads = tape.gradient(loss, variables)
        cases[case] = {"class": name, "config": config,
                       "inputs": [x.tolist() for x in inputs], "dout": dout.tolist(),
                       "output": np.asarray(out).tolist(),
                       "grads": [np.asarray(g).tolist() for g in grads]}
    reference = {"keras": keras.__version__, "tensorflow": tf.__version__, "cases": cases}
    path = Path(__file__).with_name("merge_parity.json")
    path.write_text(json.dumps(reference) + "\n")
    print(f"wrote {path} (Keras {keras.__version__})")


if __name__ == "__main__":
    main()
