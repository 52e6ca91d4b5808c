"""Writes constraints_parity.json: what real Keras computes for the weight constraints, for
BatchNormalization's new arguments and for a model whose layers carry constraints, the
reference tests/test_constraints_bn_dropout.py holds tinycnn to. Not run by the tests (they
need no TensorFlow); run it again with Keras installed to refresh the reference:

    /work/tfenv/bin/python tests/data/constraints_make_parity.py  (Keras 3.15.1, TensorFlow 2.21)

    constraints    one case a constraint and array: its class and arguments, Keras's serialized
                   form, the array W (float64 or float32, as "dtype" says; some slices of norm
                   0 and 1e-7, where eps = 1e-7 shows) and constraint(W)
    batchnorm      one case a configuration: arguments, an input x, the weights given to
                   set_weights (Keras's initial ones for the "initializers" case), the names
                   Keras gives them, in order, the output at inference and in training, and the
                   moving statistics after the training call
    training       a model with a constraint on every kind of weight: Keras's initial weights,
                   two batches, the losses and the weights after two SGD steps (Keras projects
                   each variable right after the optimizer moves it)
Keras computes in float64 here (keras.config.set_floatx), so both sides agree to rounding.
"""

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
from keras import constraints, initializers, layers  # noqa: E402

# (name, class, arguments, array name)
CONSTRAINT_CASES = [
    ("max_norm_default", "MaxNorm", {}, "dense"),
    ("max_norm_rows", "MaxNorm", {"max_value": 0.5, "axis": 1}, "dense"),
    ("max_norm_filters", "MaxNorm", {"max_value": 1.5, "axis": [0, 1, 2]}, "conv"),
    ("max_norm_bias", "MaxNorm", {"max_value": 1.0}, "bias"),
    ("non_neg", "NonNeg", {}, "dense"),
    ("non_neg_conv", "NonNeg", {}, "conv"),
    ("unit_norm_default", "UnitNorm", {}, "dense"),
    ("unit_norm_last_axis", "UnitNorm", {"axis": -1}, "conv"),
    ("unit_norm_filters", "UnitNorm", {"axis": [0, 1, 2]}, "conv"),
    ("min_max_norm_default", "MinMaxNorm", {}, "dense"),
    ("min_max_norm_rate", "MinMaxNorm",
     {"min_value": 0.5, "max_value": 1.5, "rate": 0.3, "axis": [0, 1, 2]}, "conv"),
    ("min_max_norm_rows", "MinMaxNorm", {"min_value": 1.0, "max_value": 2.0, "axis": 1},
     "dense"),
]

# (name, arguments, input shape without the batch axis)
BATCHNORM_CASES = [
    ("default", {}, (3, 3, 2)),
    ("axis_3", {"axis": 3, "momentum": 0.9}, (3, 3, 2)),
    ("no_center", {"center": False, "momentum": 0.9}, (3, 3, 2)),
    ("no_scale", {"scale": False, "momentum": 0.9}, (3, 3, 2)),
    ("neither", {"center": False, "scale": False, "momentum": 0.9}, (3, 3, 2)),
    ("axis_1_rows", {"axis": 1, "momentum": 0.9, "epsilon": 0.01}, (3, 5, 2)),
    ("axis_minus_2_columns", {"axis": -2, "momentum": 0.8}, (3, 5, 2)),
    ("dense_axis_1", {"axis": 1, "momentum": 0.9}, (4,)),
    ("initializers", {"gamma_initializer": "zeros", "beta_initializer": "ones",
                      "moving_mean_initializer": "ones",
                      "moving_variance_initializer": initializers.Constant(2.0)}, (3, 3, 2)),
]


def plain(values):
    return [np.asarray(value, np.float64).tolist() for value in values]


def arrays(rng, dtype):
    """The arrays the constraints are applied to: a Dense kernel (5, 4), a conv kernel
    (3, 3, 2, 4) and a bias (4,), each with slices of norm 0 and 1e-7 (eps's size)."""
    dense = 1.5 * rng.standard_normal((5, 4))
    dense[:, 1] = 0.0  # a zero column: 0 / eps stays 0
    dense[:, 2] *= 1e-7 / np.sqrt(np.sum(dense[:, 2] ** 2))  # norm 1e-7: UnitNorm gives 0.5
    dense[3, :] = 0.0  # a zero row, for axis=1
    conv = rng.standard_normal((3, 3, 2, 4)) * np.array([0.05, 0.4, 1.0, 2.0])
    conv[..., 0] = 0.0
    bias = rng.standard_normal(4)
    return {name: value.astype(dtype) for name, value in
            (("dense", dense), ("conv", conv), ("bias", bias))}


def constraint_cases(rng):
    cases = {}
    for dtype in ("float64", "float32"):
        weights = arrays(rng, dtype)
        for name, class_name, arguments, array in CONSTRAINT_CASES:
            constraint = getattr(constraints, class_name)(**arguments)
            out = np.asarray(constraint(weights[array]))
            assert out.dtype == dtype, (name, out.dtype)
            cases[f"{name}_{dtype}"] = {
                "class": class_name, "arguments": arguments, "dtype": dtype,
                "serialized": constraints.serialize(constraint),
                "w": weights[array].tolist(), "out": out.astype(np.float64).tolist()}
    return cases


def batchnorm_case(rng, arguments, input_shape):
    layer = layers.BatchNormalization(**arguments)
    x = rng.normal(1.0, 2.0, size=(6, *input_shape))
    layer.build((None, *input_shape))
    initial = "gamma_initializer" in arguments
    if not initial:  # random gamma and beta, a moving variance > 0
        layer.set_weights([rng.uniform(0.5, 2.0, tuple(w.shape)) if "variance" in w.name
                           else rng.standard_normal(tuple(w.shape)) for w in layer.weights])
    weights = layer.get_weights()
    inference = np.asarray(layer(x, training=False))
    training = np.asarray(layer(x, training=True))
    arguments = {key: initializers.serialize(value) if isinstance(value, initializers.Initializer)
                 else value for key, value in arguments.items()}
    return {"arguments": arguments, "x": x.tolist(),
            "weight_names": [w.name for w in layer.weights], "weights": plain(weights),
            "set_weights": not initial, "out_inference": inference.tolist(),
            "out_training": training.tolist(),
            "moving_after_training": plain(w for w in layer.get_weights()[-2:])}


def make_model():
    """Every layer that takes constraints, a constraint on each kind of weight."""
    return keras.Sequential([
        keras.Input((6, 6, 2)),
        layers.SeparableConv2D(3, 3, padding="same", depthwise_constraint=constraints.NonNeg(),
                               pointwise_constraint=constraints.MaxNorm(0.5, axis=[0, 1, 2]),
                               bias_constraint=constraints.NonNeg(), activation="relu"),
        layers.DepthwiseConv2D(2, depthwise_constraint=constraints.UnitNorm(axis=[0, 1]),
                               bias_constraint=constraints.MaxNorm(0.01)),
        layers.Conv2DTranspose(2, 2, kernel_constraint=constraints.MinMaxNorm(
            0.2, 0.4, rate=0.5, axis=[0, 1, 3]), activation="tanh"),
        layers.Conv2D(2, 3, kernel_constraint=constraints.MaxNorm(0.3, axis=[0, 1, 2]),
                      bias_constraint=constraints.NonNeg()),
        layers.BatchNormalization(gamma_constraint=constraints.MinMaxNorm(0.5, 0.8),
                                  beta_constraint=constraints.NonNeg()),
        layers.Flatten(),
        layers.Dense(3, activation="softmax", kernel_constraint=constraints.UnitNorm(),
                     bias_constraint=constraints.NonNeg()),
    ])


def training_case(rng):
    model = make_model()
    initial = model.get_weights()
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
    batches, losses = [], []
    for _ in range(2):
        x, y = rng.standard_normal((8, 6, 6, 2)), rng.integers(0, 3, 8)
        losses.append(float(model.train_on_batch(x, y)))
        batches.append({"x": x.tolist(), "y": y.tolist()})
    return {"initial": plain(initial), "batches": batches, "losses": losses,
            "weights": plain(model.get_weights())}


def main():
    keras.config.set_floatx("float64")
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    reference = {
        "keras": keras.__version__, "floatx": keras.config.floatx(),
        "epsilon": keras.config.epsilon(),
        "constraints": constraint_cases(rng),
        "batchnorm": {name: batchnorm_case(rng, arguments, shape)
                      for name, arguments, shape in BATCHNORM_CASES},
        "training": training_case(rng),
    }
    path = Path(__file__).with_name("constraints_parity.json")
    path.write_text(json.dumps(reference) + "\n")
    print(f"wrote {path} (Keras {keras.__version__})")


if __name__ == "__main__":
    main()
