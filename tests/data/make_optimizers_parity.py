"""Writes optimizers_parity.json: what real Keras's optimizers do to a few float32 arrays given
the same gradients, the reference tests/test_optimizers_more.py holds tinycnn's to. Not run
by the tests (they need no TensorFlow); run it again with Keras installed to refresh it:

    python -m venv /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tf/bin/python tests/data/make_optimizers_parity.py

No model: each case builds one optimizer, gives it the same initial arrays and the same
STEPS gradients through ``optimizer.apply``, and records the arrays after every step. The
cases: for each optimizer, its defaults; settings other than the defaults; the same with
each clipping option; the same with weight decay and a learning-rate schedule.
"""

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402

STEPS = 5
# The arrays, as tinycnn's optimizer sees them: one dict per layer, {name: shape}. Keras gets
# them as one flat list in this order.
LAYOUT = [{"W": [3, 4], "b": [4]}, {"W": [2, 3]}]
SCALES = [1.0, 0.05, 3.0]  # gradient sizes: clipnorm=1 clips the first and third, not b
SETTINGS = {  # each optimizer's settings other than its defaults (Keras's argument names)
    "SGD": {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
    "RMSprop": {"learning_rate": 0.01, "rho": 0.8, "momentum": 0.5, "centered": True},
    "Adagrad": {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-6},
    "Adam": {"learning_rate": 0.01, "beta_1": 0.8, "amsgrad": True},
    "AdamW": {"learning_rate": 0.01, "weight_decay": 0.1, "beta_2": 0.99, "amsgrad": True},
    "Adamax": {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.99},
    "Nadam": {"learning_rate": 0.01, "beta_1": 0.8, "epsilon": 1e-5},
}
CLIPPING = {"clipnorm": 1.0, "clipvalue": 0.5, "global_clipnorm": 2.0}


def cases():
    """{case name: (optimizer class name, its arguments)}, the arguments JSON values."""
    table = {}
    for name, settings in SETTINGS.items():
        table[f"{name}_defaults"] = (name, {})
        table[f"{name}_settings"] = (name, settings)
        for option, value in CLIPPING.items():
            table[f"{name}_{option}"] = (name, {**settings, option: value})
        schedule = {"class_name": "ExponentialDecay",
                    "config": {"initial_learning_rate": settings["learning_rate"],
                               "decay_steps": 2, "decay_rate": 0.5}}
        table[f"{name}_weight_decay_schedule"] = (
            name, {**settings, "weight_decay": 0.05, "learning_rate": schedule})
    return table


def keras_optimizer(name, arguments):
    arguments = dict(arguments)
    rate = arguments.get("learning_rate")
    if isinstance(rate, dict):
        arguments["learning_rate"] = getattr(keras.optimizers.schedules,
                                             rate["class_name"])(**rate["config"])
    return getattr(keras.optimizers, name)(**arguments)


def main():
    rng = np.random.default_rng(0)
    shapes = [shape for layer in LAYOUT for shape in layer.values()]
    initial = [rng.standard_normal(shape).astype("float32") for shape in shapes]
    grads = [[(scale * rng.standard_normal(shape)).astype("float32")
              for shape, scale in zip(shapes, SCALES, strict=True)] for _ in range(STEPS)]
    grads[2][1][:] = 0  # a zero gradient: clipnorm's norm 0, Adagrad's and RMSprop's g = 0

    reference = {"keras": keras.__version__, "layout": LAYOUT, "initial": plain(initial),
                 "grads": [plain(step) for step in grads], "cases": {}}
    for case, (name, arguments) in cases().items():
        optimizer = keras_optimizer(name, arguments)
        variables = [keras.Variable(array) for array in initial]
        weights = []
        for step in grads:
            optimizer.apply([keras.ops.convert_to_tensor(g) for g in step], variables)
            weights.append(plain(variable.numpy() for variable in variables))
        reference["cases"][case] = {"optimizer": name, "arguments": arguments,
                                    "weights": weights}
    path = Path(__file__).with_name("optimizers_parity.json")
    path.write_text(json.dumps(reference) + "\n")
    print(f"wrote {path} (Keras {keras.__version__}, {len(reference['cases'])} cases)")


def plain(arrays):
    return [np.asarray(array, np.float64).tolist() for array in arrays]


if __name__ == "__main__":
    main()
