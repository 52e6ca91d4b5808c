"""Writes losses_parity.json: what real Keras computes with the losses and metrics beyond
softmax cross-entropy (binary cross-entropy under a sigmoid, multi-label, from logits, under a
hard sigmoid; mean squared and absolute error; Huber), the reference tests/test_losses_more.py
holds tinycnn to. Not run by the tests (they need no TensorFlow); run it again with Keras
installed to refresh the reference:

    python -m venv /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tf/bin/python tests/data/losses_make_parity.py

Each training is described once, in SPECS: its output layer, loss, metrics and fit arguments,
with losses and metrics as {"class": name in keras.losses / keras.metrics, "config": ...} or a
name. The JSON holds the specs, so the tests build the same models from them. Every training
starts from Keras's own initial weights (saved here) and uses shuffle=False, so the only
randomness is the weights, which both sides share.
"""

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
from keras import layers  # noqa: E402

HERE = Path(__file__).parent

# targets: a key of the targets below; output: the last Dense's (units, activation).
SPECS = {
    "binary_sigmoid": {
        "output": [1, "sigmoid"], "targets": "binary",
        "compile": {"optimizer": ["Adam", 0.01], "loss": "binary_crossentropy",
                    "metrics": ["accuracy"]},
        "fit": {"batch_size": 16, "epochs": 3, "validation_split": 0.2},
        "evaluate": {"batch_size": 7}},
    "binary_smoothing_class_weight": {
        "output": [1, "sigmoid"], "targets": "binary_column",
        "compile": {"optimizer": ["SGD", 0.1],
                    "loss": {"class": "BinaryCrossentropy", "config": {"label_smoothing": 0.1}},
                    "metrics": [{"class": "BinaryAccuracy", "config": {"threshold": 0.6}},
                                "binary_accuracy"],
                    "weighted_metrics": ["accuracy"]},
        "fit": {"batch_size": 16, "epochs": 2, "class_weight": {"0": 1.0, "1": 3.0}}},
    "multi_label": {
        "output": [3, "sigmoid"], "targets": "multi_label",
        "compile": {"optimizer": ["Adam", 0.01], "loss": "binary_crossentropy",
                    "metrics": ["accuracy", "binary_accuracy",
                                {"class": "Precision", "config": {"name": "precision"}}]},
        "fit": {"batch_size": 16, "epochs": 3, "validation_split": 0.25}},
    "binary_from_logits": {  # Keras's metrics see the logits: accuracy thresholds them at 0.5
        "output": [1, None], "targets": "binary",
        "compile": {"optimizer": ["Adam", 0.01],
                    "loss": {"class": "BinaryCrossentropy", "config": {"from_logits": True}},
                    "metrics": ["accuracy"]},
        "fit": {"batch_size": 16, "epochs": 2}},
    "binary_hard_sigmoid": {  # no logits to read: clipped probabilities
        "output": [1, "hard_sigmoid"], "targets": "binary",
        "compile": {"optimizer": ["Adam", 0.01], "loss": "binary_crossentropy",
                    "metrics": ["accuracy"]},
        "fit": {"batch_size": 16, "epochs": 2}},
    "regression_mse": {
        "output": [2, None], "targets": "regression",
        "compile": {"optimizer": ["Adam", 0.01], "loss": "mse",
                    "metrics": ["mae", {"class": "RootMeanSquaredError", "config": {}}]},
        "fit": {"batch_size": 16, "epochs": 3, "validation_split": 0.2,
                "sample_weight": True},
        "evaluate": {"batch_size": 7, "sample_weight": True}},
    "regression_mae": {
        "output": [1, None], "targets": "regression_one",
        "compile": {"optimizer": ["SGD", 0.05], "loss": "mae", "metrics": ["mse"]},
        "fit": {"batch_size": 16, "epochs": 3}},
    "huber": {
        "output": [2, None], "targets": "regression",
        "compile": {"optimizer": ["Adam", 0.01],
                    "loss": {"class": "Huber", "config": {"delta": 0.5}},
                    "metrics": ["mean_absolute_error"]},
        "fit": {"batch_size": 16, "epochs": 2}},
}


def make_model(units, activation):
    return keras.Sequential([
        keras.Input((6, 6, 1)), layers.Conv2D(3, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(8, activation="relu"),
        layers.Dense(units, activation=activation)])


def made(spec, module):
    """A loss or metric from its spec: a name as it is, else module.<class>(**config)."""
    return spec if isinstance(spec, str) else getattr(module, spec["class"])(**spec["config"])


def plain(values):
    return [np.asarray(v, np.float64).tolist() for v in values]


def targets():
    rng = np.random.default_rng(3)
    x = rng.random((40, 6, 6, 1)).astype("float32")
    brightness = x.mean(axis=(1, 2, 3))
    binary = (brightness > np.median(brightness)).astype("float32")
    multi = (rng.random((40, 3)) < 0.4).astype("float32")
    regression = np.stack([brightness * 4 - 2, x[:, 0, 0, 0] * 3], axis=1).astype("float32")
    return x, {"binary": binary, "binary_column": binary[:, None], "multi_label": multi,
               "regression": regression, "regression_one": regression[:, 0]}


def trainings(x, data, sample_weight):
    cases = {}
    for name, spec in SPECS.items():
        model = make_model(*spec["output"])
        initial = model.get_weights()
        settings = spec["compile"]
        optimizer, rate = settings["optimizer"]
        model.compile(optimizer=getattr(keras.optimizers, optimizer)(rate),
                      loss=made(settings["loss"], keras.losses),
                      metrics=[made(m, keras.metrics) for m in settings["metrics"]],
                      weighted_metrics=[made(m, keras.metrics)
                                        for m in settings.get("weighted_metrics", [])])
        y = data[spec["targets"]]
        fit = dict(spec["fit"])
        if fit.pop("sample_weight", False):
            fit["sample_weight"] = sample_weight
        if "class_weight" in fit:
            fit["class_weight"] = {int(k): v for k, v in fit["class_weight"].items()}
        history = model.fit(x, y, shuffle=False, verbose=0, **fit)
        case = {"initial": plain(initial),
                "history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
                "weights": plain(model.get_weights()),
                "predict": np.asarray(model.predict(x[:5], verbose=0), np.float64).tolist()}
        if "evaluate" in spec:
            arguments = dict(spec["evaluate"])
            if arguments.pop("sample_weight", False):
                arguments["sample_weight"] = sample_weight
            case["evaluate"] = model.evaluate(x, y, verbose=0, return_dict=True, **arguments)
        cases[name] = case
    return cases


def confident_sigmoid(x, data):
    """A sigmoid so sure that float32 rounds some outputs to exactly 0 or 1: Keras reads the
    loss from the logits, so a confident mistake counts in full, not log(1e-7)."""
    model = make_model(1, "sigmoid")
    weights = model.get_weights()
    weights[-2] = weights[-2] * 400
    model.set_weights(weights)
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    return {"initial": plain(weights),
            "evaluate": model.evaluate(x, data["binary"], batch_size=8, verbose=0,
                                       return_dict=True),
            "predict": np.asarray(model.predict(x, verbose=0), np.float64).tolist()}


# ---- losses and metrics by hand --------------------------------------------------------------
BY_HAND_LOSSES = [
    {"class": "BinaryCrossentropy", "config": {}},
    {"class": "BinaryCrossentropy", "config": {"label_smoothing": 0.2}},
    {"class": "BinaryCrossentropy", "config": {"from_logits": True}},
    {"class": "BinaryCrossentropy", "config": {"from_logits": True, "reduction": "sum"}},
    {"class": "MeanSquaredError", "config": {}},
    {"class": "MeanSquaredError", "config": {"reduction": "none"}},
    {"class": "MeanAbsoluteError", "config": {}},
    {"class": "Huber", "config": {}},
    {"class": "Huber", "config": {"delta": 0.3, "reduction": "sum"}},
]
BY_HAND_METRICS = [
    {"class": "BinaryAccuracy", "config": {}},
    {"class": "BinaryAccuracy", "config": {"threshold": 0.3}},
    {"class": "MeanSquaredError", "config": {}},
    {"class": "MeanAbsoluteError", "config": {}},
    {"class": "RootMeanSquaredError", "config": {}},
]


def by_hand():
    """Each loss on (y_true, y_pred), with and without weights; each metric updated with rows
    0-3, then 4-7, with and without weights."""
    rng = np.random.default_rng(11)
    inputs = {"y_true": (rng.random((8, 3)) < 0.5).astype("float32"),
              "probs": rng.random((8, 3)).astype("float32"),
              "logits": (rng.standard_normal((8, 3)) * 4).astype("float32"),
              "weights": rng.uniform(0, 2, 8).astype("float32")}
    inputs["probs"][0] = [0.0, 1.0, 0.5]  # clipped at 1e-7 and 1 - 1e-7
    losses = []
    for spec in BY_HAND_LOSSES:
        loss = made(spec, keras.losses)
        y_pred = inputs["logits" if spec["config"].get("from_logits") else "probs"]
        losses.append({**spec, "result": np.asarray(loss(inputs["y_true"], y_pred),
                                                     np.float64).tolist(),
                       "weighted": np.asarray(loss(inputs["y_true"], y_pred,
                                                   sample_weight=inputs["weights"]),
                                              np.float64).tolist()})
    functions = {name: np.asarray(getattr(keras.losses, name)(inputs["y_true"],
                                                              inputs["probs"]),
                                  np.float64).tolist()
                 for name in ("binary_crossentropy", "mean_squared_error",
                              "mean_absolute_error", "huber")}
    metrics = []
    for spec in BY_HAND_METRICS:
        case = dict(spec)
        for weighted in (False, True):
            metric = made(spec, keras.metrics)
            for rows in (slice(0, 4), slice(4, None)):
                metric.update_state(inputs["y_true"][rows], inputs["probs"][rows],
                                    sample_weight=inputs["weights"][rows] if weighted else None)
            case["weighted" if weighted else "result"] = float(metric.result())
        metrics.append(case)
    return ({key: value.tolist() for key, value in inputs.items()}, losses, functions,
            metrics)


def main():
    keras.utils.set_random_seed(0)
    x, data = targets()
    sample_weight = np.random.default_rng(7).uniform(0, 2, len(x)).astype("float32")
    inputs, losses, functions, metrics = by_hand()
    reference = {"keras": keras.__version__, "specs": SPECS, "x": x.tolist(),
                 "targets": {key: value.tolist() for key, value in data.items()},
                 "sample_weight": sample_weight.tolist(),
                 "cases": trainings(x, data, sample_weight),
                 "confident_sigmoid": confident_sigmoid(x, data),
                 "by_hand": {"inputs": inputs, "losses": losses, "functions": functions,
                             "metrics": metrics}}
    path = HERE / "losses_parity.json"
    path.write_text(json.dumps(reference) + "\n")
    print(f"wrote {path} (Keras {keras.__version__})")


if __name__ == "__main__":
    main()
