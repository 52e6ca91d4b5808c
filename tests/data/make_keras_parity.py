"""Writes keras_parity.json: what real Keras computes for a few small trainings, the reference
tests/test_keras_parity.py holds tinycnn to. Not run by the tests (they need no TensorFlow);
run it again with Keras installed to refresh the reference:

    python -m venv /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tf/bin/python tests/data/make_keras_parity.py

Each case starts from the same initial weights (Keras's own draw, saved here too) and trains
with shuffle=False, so the only randomness is the weights, which both sides share.
"""

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
from keras import layers  # noqa: E402


def make_model():
    return keras.Sequential([
        keras.Input((6, 6, 1)), layers.Conv2D(3, 3, activation="relu"),
        layers.BatchNormalization(), layers.MaxPooling2D(2), layers.Flatten(),
        layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])


def plain(values):
    return [np.asarray(v, np.float64).tolist() for v in values]


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.random((40, 6, 6, 1)).astype("float32")
    y = rng.integers(0, 3, 40)
    initial = make_model().get_weights()
    cases = {}

    def run(name, compile_args, fit_args, targets=y, freeze=None, evaluate_batch=None):
        model = make_model()
        model.set_weights(initial)
        if freeze is not None:
            model.layers[freeze].trainable = False
        model.compile(**compile_args)
        history = model.fit(x, targets, shuffle=False, verbose=0, **fit_args)
        case = {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
                "weights": plain(model.get_weights())}
        if evaluate_batch:
            case["evaluate"] = [float(v) for v in model.evaluate(
                x, targets, batch_size=evaluate_batch, verbose=0)]
        cases[name] = case

    run("adam_batchnorm_validation_split",
        {"optimizer": keras.optimizers.Adam(0.01), "loss": "sparse_categorical_crossentropy",
         "metrics": ["accuracy"]},
        {"batch_size": 16, "epochs": 3, "validation_split": 0.2}, evaluate_batch=7)
    run("sgd_nesterov_label_smoothing",
        {"optimizer": keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
         "loss": keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
         "metrics": ["categorical_accuracy"]},
        {"batch_size": 16, "epochs": 2}, targets=np.eye(3, dtype="float32")[y])
    run("frozen_batchnorm",
        {"optimizer": keras.optimizers.Adam(0.01), "loss": "sparse_categorical_crossentropy",
         "metrics": ["acc"]},
        {"batch_size": 16, "epochs": 2}, freeze=1)

    big = [w.copy() for w in initial]
    big[-2] = big[-2] * 60  # logits far apart: probabilities below 1e-7 for some true classes
    sure = make_model()
    sure.set_weights(big)
    sure.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    cases["confident_mistakes_evaluate"] = {
        "initial": plain(big),
        "evaluate": [float(v) for v in sure.evaluate(x, y, batch_size=8, verbose=0)]}

    reference = {"keras": keras.__version__, "x": x.tolist(), "y": y.tolist(),
                 "initial": plain(initial), "cases": cases}
    path = Path(__file__).with_name("keras_parity.json")
    path.write_text(json.dumps(reference) + "\n")
    print(f"wrote {path} (Keras {keras.__version__})")


if __name__ == "__main__":
    main()
