"""Metric objects (tinycnn.metrics, as keras.metrics): by hand and in compile, against Keras 3.15.1.

The reference values were computed by real Keras for the same inputs (model_api_parity.json,
written by tests/data/make_model_api_parity.py). Keras sums in float32, tinycnn in float64:
measured, by-hand results within 3e-7 of Keras's, logged values within 4e-7 relative.
"""

import numpy as np
import pytest
from test_model_api import (
    ONE_HOT,
    REFERENCE,
    X,
    Y,
    assert_like_keras,
    fit_like_the_reference,
    parity_model,
)

from tinycnn import keras, metrics

INPUTS = {name: np.array(values) for name, values in REFERENCE["metric_inputs"].items()}
INPUTS = {name: array.astype(np.float32) if array.dtype.kind == "f" else array
          for name, array in INPUTS.items()}  # Keras's were float32


def case_id(case):
    return f"{case['class']}({', '.join(f'{k}={v}' for k, v in case['arguments'].items())})"


def shown_in_two_batches(case, weighted):
    """The case's metric after update_state on rows 0-6, then 7-11 (with the weights)."""
    metric = getattr(metrics, case["class"])(**case["arguments"])
    for rows in (slice(0, 7), slice(7, None)):
        metric.update_state(INPUTS[case["y_true"]][rows], INPUTS[case["y_pred"]][rows],
                            sample_weight=INPUTS["weights"][rows] if weighted else None)
    return metric


# ---- by hand ------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", REFERENCE["metrics"], ids=case_id)
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_a_metric_by_hand_gives_keras_result(case, weighted):
    # The inputs hold ties: a row of equal scores, a tie at the k-th place, scores of exactly
    # 0.3 and 0.6 where thresholds 0.3 and 0.6 are (compared in float32, as Keras does).
    result = shown_in_two_batches(case, weighted).result()
    np.testing.assert_allclose(result, case["weighted" if weighted else "result"], atol=1e-6)


def test_reset_state_starts_again_and_nothing_seen_gives_zero():
    case = next(case for case in REFERENCE["metrics"] if case["class"] == "Precision")
    metric = shown_in_two_batches(case, weighted=False)
    assert metric.result() == pytest.approx(case["result"], abs=1e-6)
    metric.reset_state()
    assert metric.result() == 0.0  # as Keras: no division by zero
    metric.update_state(INPUTS["one_hot"], INPUTS["scores"])  # the 12 rows at once
    assert metric.result() == pytest.approx(case["result"], abs=1e-6)


@pytest.mark.parametrize("case", REFERENCE["metrics"], ids=case_id)
def test_a_metric_made_again_from_its_config_counts_the_same(case):
    # What a model file would hold of a metric: its class and get_config().
    metric = shown_in_two_batches(case, weighted=True)
    again = type(metric)(**metric.get_config())
    y_true, y_pred, weights = INPUTS[case["y_true"]], INPUTS[case["y_pred"]], INPUTS["weights"]
    again.update_state(y_true[:7], y_pred[:7], sample_weight=weights[:7])
    last = again(y_true[7:], y_pred[7:], sample_weight=weights[7:])  # update, then result
    np.testing.assert_array_equal(last, metric.result())


def test_get_finds_metrics_by_keras_names():
    assert type(metrics.get("top_k_categorical_accuracy")) is metrics.TopKCategoricalAccuracy
    assert metrics.get("AUC").name == "auc" and metrics.get(metrics.Recall).name == "recall"
    assert metrics.get(metrics.categorical_accuracy) is metrics.categorical_accuracy
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        metrics.get("f1")


def test_mean_weighs_its_values_as_keras_documents():
    mean = metrics.Mean()
    mean.update_state([1, 3, 5, 7])
    assert mean.result() == 4.0  # Keras's docstring examples
    mean.reset_state()
    mean.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert mean.result() == 2.0
    assert mean.name == "mean"


def test_metrics_compare_shapes_and_say_what_they_need():
    with pytest.raises(ValueError, match=r"y_true \(12,\) and y_pred \(12, 4\).*one-hot"):
        metrics.Precision().update_state(INPUTS["labels"], INPUTS["scores"])
    with pytest.raises(ValueError, match="AUC thresholds"):
        metrics.AUC(thresholds=[0.5])
    with pytest.raises(ValueError, match=r"thresholds: expected values in \[0, 1\]"):
        metrics.Recall(thresholds=[0.5, 1.5])


# ---- in compile and fit ----------------------------------------------------------------------
def test_metric_objects_in_fit_log_keras_values_under_their_names():
    # Keras names Precision() "precision", "precision_1", ... counting the ones made so far in
    # the session; tinycnn names it "precision". The reference names them so.
    model = parity_model(keras.optimizers.Adam(0.01), "categorical_crossentropy", metrics=[
        metrics.CategoricalAccuracy(), metrics.TopKCategoricalAccuracy(k=2),
        "top_k_categorical_accuracy", metrics.Precision(), metrics.Recall(class_id=1),
        metrics.AUC(), metrics.AUC(curve="PR", name="pr_auc"), "precision"])
    history = fit_like_the_reference(model, ONE_HOT, batch_size=16, epochs=2,
                                     validation_split=0.2)
    assert_like_keras("metric_objects", history, model)


def test_metric_names_follow_keras():
    model = parity_model(loss="categorical_crossentropy", metrics=[
        metrics.Precision(), "precision", metrics.Recall(class_id=1), "recall", "auc",
        metrics.AUC(), "acc", "top_k_categorical_accuracy", "Precision"])
    logs = model.evaluate(X, ONE_HOT, return_dict=True)
    # Keras 3.15.1, the same metrics in a fresh session:
    assert sorted(logs) == ['Precision', 'acc', 'auc', 'auc_1', 'loss', 'precision',
                            'precision_1', 'recall', 'recall_1', 'top_k_categorical_accuracy']
    assert logs["precision"] == logs["precision_1"] == logs["Precision"]


def test_an_object_given_to_compile_is_the_one_fit_updates():
    top_2 = metrics.SparseTopKCategoricalAccuracy(k=2, name="top_2")
    model = parity_model(metrics=[top_2])
    logs = model.evaluate(X, Y, return_dict=True)
    assert top_2.result() == logs["top_2"]
    by_hand = metrics.SparseTopKCategoricalAccuracy(k=2)
    by_hand.update_state(Y, model.predict(X))
    assert by_hand.result() == pytest.approx(logs["top_2"])


def test_a_metric_function_is_averaged_under_its_name():
    def confident(y_true, y_pred):
        return (np.max(y_pred, axis=1) > 0.36).astype(float)

    model = parity_model(metrics=[confident, metrics.sparse_categorical_accuracy])
    logs = model.evaluate(X, Y, batch_size=16, return_dict=True)
    assert list(logs) == ["loss", "confident", "sparse_categorical_accuracy"]
    probs = model.predict(X)
    assert logs["confident"] == pytest.approx(np.mean(np.max(probs, axis=1) > 0.36))
    assert logs["sparse_categorical_accuracy"] == pytest.approx(
        np.mean(np.argmax(probs, axis=1) == Y))


@pytest.mark.parametrize("loss, metric, match", [
    ("sparse_categorical_crossentropy", metrics.Precision(), "takes one-hot targets.*one-hot"),
    ("sparse_categorical_crossentropy", "top_k_categorical_accuracy",
     "use SparseTopKCategoricalAccuracy"),
    ("categorical_crossentropy", metrics.SparseTopKCategoricalAccuracy(),
     "takes class ids targets"),
    ("sparse_categorical_crossentropy", metrics.Mean(), "is a Mean"),
    ("sparse_categorical_crossentropy", "f1_score", "unknown metric 'f1_score'"),
])
def test_metrics_that_cannot_read_the_targets_are_refused_at_compile(loss, metric, match):
    with pytest.raises(ValueError, match=match):
        parity_model(loss=loss, metrics=[metric])


def test_save_refuses_metrics_its_file_cannot_hold_by_name(tmp_path):
    model = parity_model(metrics=["accuracy", metrics.sparse_top_k_categorical_accuracy])
    with pytest.raises(ValueError, match=r"cannot hold the metric\(s\) "
                                         r"\['sparse_top_k_categorical_accuracy'\]"):
        model.save(tmp_path / "m.npz")
    assert not any(tmp_path.iterdir())  # no file, not a file that loads differently
    model.compile(optimizer="sgd", metrics=["accuracy"])
    model.save(tmp_path / "m.npz")
