"""Writes functional_parity.json: what real Keras computes for the functional-API models of
functional_graphs.py, the reference tests/test_functional_parity.py holds tinycnn to. Not run
by the tests (they need no TensorFlow); run it again with Keras installed to refresh it:

    python -m venv /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tf/bin/python tests/data/make_functional_parity.py

For every model: Keras's layer order and initial weights (its own draw), the forward output
on a batch, and the losses and weights after two train_on_batch steps with SGD and with Adam.
"""

import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from functional_graphs import GRAPHS  # noqa: E402

OPTIMIZERS = {"sgd": lambda: keras.optimizers.SGD(0.1),
              "adam": lambda: keras.optimizers.Adam(0.01)}


def connections(model):
    """Each layer's "Connected to" cell, as Keras's summary computes it (summary_utils.py)."""
    relevant = [node for nodes in model._nodes_by_depth.values() for node in nodes]
    cells = []
    for layer in model.layers:
        names = [f"{tensor._keras_history.operation.name}[{tensor._keras_history.node_index}]"
                 f"[{tensor._keras_history.tensor_index}]"
                 for node in layer._inbound_nodes if node in relevant
                 for tensor in node.input_tensors]
        cells.append(", ".join(names) or "-")
    return cells


def plain(values):
    return [np.asarray(v, np.float64).tolist() for v in values]


def main():
    rng = np.random.default_rng(0)
    cases = {}
    for name, build in GRAPHS.items():
        keras.utils.set_random_seed(0)
        model = build(keras)
        shape = model.inputs[0].shape[1:]
        x = rng.normal(size=(8, *shape)).astype("float32")
        y = rng.integers(0, 3, 8)
        initial = model.get_weights()
        case = {"x": x.tolist(), "y": y.tolist(), "initial": plain(initial),
                "layers": [type(layer).__name__ for layer in model.layers],
                "names": [layer.name for layer in model.layers],
                "connected": connections(model),
                "weights_per_layer": [len(layer.weights) for layer in model.layers],
                "predict": model.predict(x, verbose=0).tolist(), "steps": {}}
        for optimizer_name, optimizer in OPTIMIZERS.items():
            trained = build(keras)
            trained.set_weights(initial)
            trained.compile(optimizer=optimizer(), loss="sparse_categorical_crossentropy",
                            metrics=["accuracy"])
            losses = [float(trained.train_on_batch(x, y)[0]) for _ in range(2)]
            case["steps"][optimizer_name] = {"losses": losses,
                                             "weights": plain(trained.get_weights())}
        cases[name] = case
    path = Path(__file__).with_name("functional_parity.json")
    path.write_text(json.dumps({"keras": keras.__version__, "cases": cases}) + "\n")
    print(f"wrote {path} (Keras {keras.__version__})")


if __name__ == "__main__":
    main()
