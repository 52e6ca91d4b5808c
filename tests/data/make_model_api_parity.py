"""Writes model_api_parity.json: what real Keras computes with the Model API of issue 19 (class
and sample weights, validation_freq, steps_per_epoch, the learning rate set from a callback,
test_on_batch, predict_on_batch, metric objects in compile and by hand), the reference
tests/test_model_api.py and tests/test_metrics_objects.py hold tinycnn to. Not run by the tests
(they need no TensorFlow); run it again with Keras installed to refresh the reference:

    python -m venv /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tf/bin/python tests/data/make_model_api_parity.py

The trainings start from keras_parity.json's data and initial weights (make_keras_parity.py)
and use shuffle=False, so the only randomness is the weights, which both sides share.
"""

import json
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
from keras import layers  # noqa: E402

HERE = Path(__file__).parent
CLASS_WEIGHT = {0: 1.0, 1: 2.5, 2: 0.5}


def make_model():
    return keras.Sequential([
        keras.Input((6, 6, 1)), layers.Conv2D(3, 3, activation="relu"),
        layers.BatchNormalization(), layers.MaxPooling2D(2), layers.Flatten(),
        layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")])


def plain(values):
    return [np.asarray(v, np.float64).tolist() for v in values]


def floats(values):
    """A result as JSON: a float, or a list of floats (a metric with several thresholds)."""
    values = np.asarray(values, np.float64)
    return values.tolist() if values.ndim else float(values)


def trainings(x, y, initial, sample_weight):
    one_hot = np.eye(3, dtype="float32")[y]
    cases = {}

    def run(name, compile_args, fit_args, targets=y, make_callbacks=None, evaluate=None):
        model = make_model()
        model.set_weights(initial)
        model.compile(**compile_args)
        callbacks = [] if make_callbacks is None else make_callbacks(model)
        history = model.fit(x, targets, shuffle=False, verbose=0, callbacks=callbacks,
                            **fit_args)
        case = {"history": {k: [float(v) for v in vs] for k, vs in history.history.items()},
                "weights": plain(model.get_weights())}
        if evaluate is not None:
            case["evaluate"] = model.evaluate(x, targets, verbose=0, return_dict=True, **evaluate)
        cases[name] = case
        return model

    run("class_weight",
        {"optimizer": keras.optimizers.Adam(0.01), "loss": "sparse_categorical_crossentropy",
         "metrics": ["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)],
         "weighted_metrics": ["accuracy"]},
        {"batch_size": 16, "epochs": 3, "validation_split": 0.2, "class_weight": CLASS_WEIGHT})
    run("sample_weight",
        {"optimizer": keras.optimizers.SGD(0.1, momentum=0.9),
         "loss": "categorical_crossentropy", "metrics": ["categorical_accuracy"],
         "weighted_metrics": [keras.metrics.CategoricalAccuracy(name="weighted_acc")]},
        {"batch_size": 16, "epochs": 2, "validation_split": 0.25,
         "sample_weight": sample_weight},
        targets=one_hot, evaluate={"batch_size": 7, "sample_weight": sample_weight})
    # Keras names Precision(), Recall() and AUC() "precision", "precision_1", ... counting the
    # ones made so far in the session (tinycnn: "precision" always): named here, so that the
    # names do not depend on what ran before.
    confusion = [keras.metrics.Precision(name="precision"),
                 keras.metrics.Recall(class_id=1, name="recall"), keras.metrics.AUC(name="auc"),
                 keras.metrics.AUC(curve="PR", name="pr_auc")]
    run("metric_objects",
        {"optimizer": keras.optimizers.Adam(0.01), "loss": "categorical_crossentropy",
         "metrics": [keras.metrics.CategoricalAccuracy(),
                     keras.metrics.TopKCategoricalAccuracy(k=2), "top_k_categorical_accuracy",
                     *confusion, "precision"]},
        {"batch_size": 16, "epochs": 2, "validation_split": 0.2}, targets=one_hot)
    run("validation_freq",
        {"optimizer": keras.optimizers.Adam(0.01), "loss": "sparse_categorical_crossentropy",
         "metrics": ["accuracy"]},
        {"batch_size": 16, "epochs": 4, "validation_split": 0.2, "validation_freq": 2})
    run("validation_freq_early_stopping",  # the epochs without val_loss are skipped
        {"optimizer": keras.optimizers.Adam(0.01), "loss": "sparse_categorical_crossentropy"},
        {"batch_size": 16, "epochs": 8, "validation_split": 0.2, "validation_freq": 2},
        make_callbacks=lambda model: [keras.callbacks.EarlyStopping(patience=0)])
    run("steps_per_epoch",
        {"optimizer": keras.optimizers.SGD(0.1), "loss": "sparse_categorical_crossentropy",
         "metrics": ["accuracy"]},
        {"batch_size": 8, "epochs": 4, "steps_per_epoch": 2})

    def rates(model):  # a new learning rate before every batch, set from a callback
        def set_rate(batch, logs):
            model.optimizer.learning_rate = 0.2 if batch % 2 == 0 else 0.02

        return [keras.callbacks.LambdaCallback(on_train_batch_begin=set_rate)]

    run("learning_rate_from_a_callback",
        {"optimizer": keras.optimizers.SGD(0.1), "loss": "sparse_categorical_crossentropy"},
        {"batch_size": 16, "epochs": 2}, make_callbacks=rates)
    return cases


def single_batches(x, y, initial, sample_weight):
    model = make_model()
    model.set_weights(initial)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)])
    names_after_compile = model.metrics_names
    return {
        "metrics_names": names_after_compile,
        "test_on_batch": [float(v) for v in model.test_on_batch(x, y)],
        "test_on_batch_weighted": model.test_on_batch(x, y, sample_weight=sample_weight,
                                                      return_dict=True),
        "predict_on_batch": np.asarray(model.predict_on_batch(x[:5]), np.float64).tolist(),
        "evaluate_weighted": model.evaluate(x, y, batch_size=16, sample_weight=sample_weight,
                                            verbose=0, return_dict=True),
    }


# ---- metric objects by hand ------------------------------------------------------------------
def metric_inputs():
    """Scores with ties (rows of equal scores, a tie at the k-th place), labels, weights."""
    rng = np.random.default_rng(19)
    scores = rng.random((12, 4)).astype("float32")
    scores[0] = [0.25, 0.25, 0.25, 0.25]
    scores[1] = [0.1, 0.4, 0.4, 0.1]
    scores[2] = [0.5, 0.3, 0.3, 0.3]
    scores[3] = [0.3, 0.6, 0.5, 0.7]  # exactly 0.3 and 0.6: thresholds' float32 rounding
    probs = scores / scores.sum(axis=1, keepdims=True)
    labels = np.array([0, 2, 1, 3, 0, 1, 2, 3, 0, 1, 2, 3])
    return {"scores": scores, "probs": probs.astype("float32"), "labels": labels,
            "one_hot": np.eye(4, dtype="float32")[labels],
            "weights": rng.uniform(0, 2, 12).astype("float32")}


# (class, arguments, the inputs' keys (y_true, y_pred)): each is updated with the first 7
# rows, then the last 5, without and with the weights.
METRIC_CASES = [
    ("Accuracy", {}, ("labels", "labels_predicted")),
    ("SparseCategoricalAccuracy", {}, ("labels", "probs")),
    ("CategoricalAccuracy", {}, ("one_hot", "probs")),
    ("TopKCategoricalAccuracy", {}, ("one_hot", "probs")),
    ("TopKCategoricalAccuracy", {"k": 2}, ("one_hot", "scores")),
    ("SparseTopKCategoricalAccuracy", {"k": 1}, ("labels", "scores")),
    ("SparseTopKCategoricalAccuracy", {"k": 2}, ("labels", "scores")),
    ("SparseTopKCategoricalAccuracy", {"k": 2, "from_sorted_ids": True},
     ("labels", "sorted_ids")),
    ("Precision", {}, ("one_hot", "scores")),
    ("Precision", {"thresholds": [0.3, 0.6, 0.9]}, ("one_hot", "scores")),
    ("Precision", {"top_k": 2}, ("one_hot", "scores")),
    ("Precision", {"class_id": 2}, ("one_hot", "scores")),
    ("Recall", {}, ("one_hot", "scores")),
    ("Recall", {"thresholds": 0.3}, ("one_hot", "scores")),
    ("Recall", {"top_k": 1, "class_id": 1}, ("one_hot", "scores")),
    ("AUC", {}, ("one_hot", "probs")),
    ("AUC", {"num_thresholds": 7}, ("one_hot", "scores")),
    ("AUC", {"curve": "PR"}, ("one_hot", "scores")),
    ("AUC", {"summation_method": "minoring"}, ("one_hot", "scores")),
    ("AUC", {"curve": "PR", "summation_method": "majoring", "num_thresholds": 11},
     ("one_hot", "probs")),
    ("AUC", {"from_logits": True}, ("one_hot", "logits")),
]


def metric_results(inputs):
    data = dict(inputs)
    data["labels_predicted"] = np.argmax(data["scores"], axis=1)
    data["sorted_ids"] = np.argsort(-data["scores"], axis=1, kind="stable")
    data["logits"] = (data["scores"] - 0.5) * 6
    results = []
    for class_name, arguments, (true_key, pred_key) in METRIC_CASES:
        case = {"class": class_name, "arguments": arguments, "y_true": true_key,
                "y_pred": pred_key}
        for weighted in (False, True):
            metric = getattr(keras.metrics, class_name)(**arguments)
            for rows in (slice(0, 7), slice(7, None)):
                weights = data["weights"][rows] if weighted else None
                metric.update_state(data[true_key][rows], data[pred_key][rows],
                                    sample_weight=weights)
            case["weighted" if weighted else "result"] = floats(metric.result())
        results.append(case)
    return {key: np.asarray(value).tolist() for key, value in data.items()}, results


def main():
    base = json.loads((HERE / "keras_parity.json").read_text())
    x, y = np.array(base["x"], np.float32), np.array(base["y"])
    initial = [np.array(w, np.float32) for w in base["initial"]]
    sample_weight = np.random.default_rng(7).uniform(0, 2, len(x)).astype("float32")
    inputs, metrics = metric_results(metric_inputs())
    reference = {"keras": keras.__version__, "class_weight": {str(k): v for k, v in
                                                              CLASS_WEIGHT.items()},
                 "sample_weight": sample_weight.tolist(),
                 "trainings": trainings(x, y, initial, sample_weight),
                 "single_batches": single_batches(x, y, initial, sample_weight),
                 "metric_inputs": inputs, "metrics": metrics}
    path = HERE / "model_api_parity.json"
    path.write_text(json.dumps(reference) + "\n")
    print(f"wrote {path} (Keras {keras.__version__})")


if __name__ == "__main__":
    main()
