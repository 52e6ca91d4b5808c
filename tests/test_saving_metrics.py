"""Saving models compiled with metric objects, weighted_metrics and the losses beyond
softmax cross-entropy: each metric is stored as its name or {"class", "config"}, each loss by
its config; a loaded model logs the same metrics and resumes training identically. Hostile
values in those keys are refused by name (ModelFileError), and the check-up's copy of a model
gets metric objects of its own."""

import copy
import json

import numpy as np
import pytest
from test_model_file_hostile import refused, setting, write_model_file

import tinycnn as tc
from tinycnn.explain.model_copy import copy_model
from tinycnn.keras import layers

RNG = np.random.default_rng(4)
X = RNG.random((24, 5, 5, 1)).astype(np.float32)
LABELS = (RNG.random((24, 3)) < 0.5).astype(np.float32)  # three yes/no labels per image


def labels_model(metrics=(), weighted_metrics=(), loss="binary_crossentropy", seed=0):
    """Conv2D, Flatten, Dense(3, sigmoid): a multi-label model, compiled."""
    model = tc.Sequential([layers.Conv2D(2, 3, activation="relu", input_shape=(5, 5, 1)),
                           layers.Flatten(), layers.Dense(3, activation="sigmoid")], seed=seed)
    model.compile(optimizer="adam", loss=loss, metrics=list(metrics),
                  weighted_metrics=list(weighted_metrics))
    return model


def every_kind_of_metric():
    """Names, and an object of each metric class a file holds, settings changed."""
    metrics = ["accuracy", "binary_accuracy", "mae",
               tc.metrics.BinaryAccuracy(threshold=0.7, name="sure"),
               tc.metrics.Precision(thresholds=[0.3, 0.6], name="p"),
               tc.metrics.Recall(top_k=2, class_id=1),
               tc.metrics.AUC(num_thresholds=50, curve="PR"),
               tc.metrics.CategoricalAccuracy(), tc.metrics.TopKCategoricalAccuracy(k=2),
               tc.metrics.MeanSquaredError(), tc.metrics.RootMeanSquaredError(),
               tc.metrics.Accuracy(name="exact")]
    weighted = [tc.metrics.AUC(), "binary_accuracy", tc.metrics.MeanAbsoluteError()]
    return metrics, weighted


def saved_and_loaded(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    return tc.load_model(path)


def settings_of(metrics):
    return [(type(metric), metric.get_config()) for metric in metrics]


def test_metric_objects_and_weighted_metrics_come_back_and_log_the_same(tmp_path):
    original = labels_model(*every_kind_of_metric())
    original.fit(X, LABELS, epochs=1, batch_size=8, verbose=0)
    loaded = saved_and_loaded(original, tmp_path)
    assert settings_of(loaded.metric_objects) == settings_of(original.metric_objects)
    assert settings_of(loaded.weighted_metric_objects) == settings_of(
        original.weighted_metric_objects)
    np.testing.assert_equal(loaded.evaluate(X, LABELS, return_dict=True),
                            original.evaluate(X, LABELS, return_dict=True))
    again = [model.fit(X, LABELS, epochs=2, batch_size=8, verbose=0).history
             for model in (original, loaded)]
    np.testing.assert_equal(again[0], again[1])  # the weights, optimizer and stream came back


def test_a_file_without_weighted_metrics_has_no_such_key(tmp_path):
    """So that tinycnn from before weighted_metrics reads it as before."""
    labels_model(metrics=["accuracy"]).save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz") as archive:
        settings = json.loads(str(archive["tinycnn_model"]))["compile"]
    assert sorted(settings) == ["iterations", "loss", "metrics", "optimizer"]
    assert settings["metrics"] == ["accuracy"]


@pytest.mark.parametrize("loss, activation, targets", [
    (tc.losses.BinaryCrossentropy(label_smoothing=0.25), "sigmoid", LABELS),
    (tc.losses.BinaryCrossentropy(from_logits=True), None, LABELS),
    (tc.losses.MeanSquaredError(), None, LABELS * 3),
    (tc.losses.MeanAbsoluteError(), "tanh", LABELS),
    (tc.losses.Huber(delta=0.4), None, LABELS),
    (tc.losses.CategoricalCrossentropy(label_smoothing=0.1), "softmax", np.eye(3)[[0, 1, 2] * 8]),
])
def test_each_loss_comes_back_with_its_settings(tmp_path, loss, activation, targets):
    model = tc.Sequential([layers.Flatten(input_shape=(5, 5, 1)),
                           layers.Dense(3, activation=activation)], seed=0)
    model.compile(optimizer="sgd", loss=loss, metrics=["mse"])
    model.fit(X, targets, epochs=1, verbose=0)
    loaded = saved_and_loaded(model, tmp_path)
    assert type(loaded.loss) is type(loss) and loaded.loss.get_config() == loss.get_config()
    assert loaded.evaluate(X, targets) == model.evaluate(X, targets)


def test_the_names_of_metrics_given_as_functions_or_own_classes_are_refused(tmp_path):
    class Confident(tc.metrics.Mean):
        def update_state(self, y_true, y_pred, sample_weight=None):
            super().update_state(np.max(y_pred, axis=1) > 0.9, sample_weight)

    def hits(y_true, y_pred):
        return np.mean((y_pred > 0.5) == y_true, axis=1)

    model = labels_model(metrics=["accuracy", hits],
                         weighted_metrics=[Confident(name="confident")])
    with pytest.raises(ValueError, match=r"cannot hold the metric\(s\) \['hits', 'confident'\]"):
        model.save(tmp_path / "model.npz")
    assert not any(tmp_path.iterdir())


def test_a_checkpoint_of_a_model_with_metric_objects_loads_with_them(tmp_path):
    model = labels_model(metrics=[tc.metrics.Precision(name="p")])
    model.fit(X, LABELS, epochs=1, verbose=0,
              callbacks=[tc.callbacks.ModelCheckpoint(tmp_path / "best.npz")])
    assert [m.name for m in tc.load_model(tmp_path / "best.npz").metric_objects] == ["p"]


# ---- hostile values ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """(config, {member: array}) of a good file: a multi-label model with metric objects and
    weighted metrics, one training step taken."""
    path = tmp_path_factory.mktemp("good") / "good.npz"
    model = labels_model(metrics=["accuracy", tc.metrics.Precision(name="p")],
                         weighted_metrics=[tc.metrics.AUC(num_thresholds=20)])
    model.fit(X, LABELS, epochs=1, batch_size=24, verbose=0)
    model.save(path)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    return json.loads(str(arrays.pop("tinycnn_model"))), arrays


def test_the_good_file_loads(tmp_path, good):
    config, arrays = good
    loaded = tc.load_model(write_model_file(tmp_path / "same.npz", config, arrays))
    assert [m.name for m in loaded.weighted_metric_objects] == ["auc"]


METRIC = ("compile", "metrics", 1)
WEIGHTED = ("compile", "weighted_metrics")
LOSS = ("compile", "loss")
HOSTILE = {
    "class 'Wiggle'": (setting(*METRIC, "class", value="Wiggle"), "compile.metrics[1].class"),
    "class 5": (setting(*METRIC, "class", value=5), "compile.metrics[1].class"),
    "class 'Mean'": (setting(*METRIC, "class", value="Mean"), "compile.metrics[1].class"),
    "config []": (setting(*METRIC, "config", value=[]), "compile.metrics[1].config"),
    "config missing": (setting(*METRIC, "config", delete=True), "missing ['config']"),
    "extra key": (setting(*METRIC, "code", value="import os"), "unknown keys"),
    "unknown argument": (setting(*METRIC, "config", "colour", value=1),
                         "compile.metrics[1].config"),
    "name 5": (setting(*METRIC, "config", "name", value=5), "compile.metrics[1].config"),
    "thresholds 'x'": (setting(*METRIC, "config", "thresholds", value="x"), "thresholds"),
    "thresholds [[0.5]]": (setting(*METRIC, "config", "thresholds", value=[[0.5]]),
                           "thresholds"),
    "thresholds 2": (setting(*METRIC, "config", "thresholds", value=2.0), "thresholds"),
    "top_k 0": (setting(*METRIC, "config", "top_k", value=0), "top_k"),
    "class_id 'x'": (setting(*METRIC, "config", "class_id", value="x"), "class_id"),
    "metric 'mean'": (setting(*METRIC, value="mean"), "compile.metrics[1]"),
    "metric 5": (setting(*METRIC, value=5), "compile.metrics[1]"),
    "metric for class ids": (setting(*METRIC, value="sparse_categorical_accuracy"),
                             "compile.metrics[1]: compile: metric"),
    "num_thresholds 10**9": (setting(*WEIGHTED, 0, "config", "num_thresholds", value=10**9),
                             "compile.weighted_metrics[0].config.num_thresholds"),
    "from_logits 'yes'": (setting(*WEIGHTED, 0, "config", "from_logits", value="yes"),
                          "compile.weighted_metrics[0].config"),
    "weighted_metrics 'auc'": (setting(*WEIGHTED, value="auc"), "compile.weighted_metrics"),
    "top_k metric object": (setting(*WEIGHTED, 0, value={
        "class": "SparseTopKCategoricalAccuracy", "config": {"k": 2}}),
        "compile.weighted_metrics[0]: compile: metric"),
    "k 'x'": (setting(*WEIGHTED, 0, value={"class": "TopKCategoricalAccuracy",
                                           "config": {"k": "x"}}), "k: expected an int"),
    "compile key": (setting("compile", "weighted", value=[]), "unknown keys"),
    "label_smoothing 2": (setting(*LOSS, "label_smoothing", value=2.0), "label_smoothing"),
    "loss 'huber'": (setting(*LOSS, value={"name": "huber_loss", "delta": -1.0}), "Huber delta"),
    "loss 'bce'": (setting(*LOSS, "name", value="bce"), "compile.loss.name"),
}


@pytest.mark.parametrize("change", HOSTILE, ids=list(HOSTILE))
def test_a_hostile_metric_or_loss_is_refused_by_name(tmp_path, good, change):
    edit, expected = HOSTILE[change]
    config = copy.deepcopy(good[0])
    edit(config)
    refused(write_model_file(tmp_path / "config.npz", config, good[1]), expected)


# ---- the check-up's working copy ------------------------------------------------------------
def test_a_copy_compiles_with_fresh_metric_objects_of_the_same_settings():
    metrics, weighted = every_kind_of_metric()
    original = labels_model(metrics, weighted)
    original.fit(X, LABELS, epochs=1, verbose=0)
    twin = copy_model(original)
    assert settings_of(twin.metric_objects) == settings_of(original.metric_objects)
    assert settings_of(twin.weighted_metric_objects) == settings_of(
        original.weighted_metric_objects)
    given = [m for m in original.metrics + original.weighted_metrics if not isinstance(m, str)]
    copied = [m for m in twin.metrics + twin.weighted_metrics if not isinstance(m, str)]
    assert not any(a is b for a, b in zip(given, copied, strict=True))
    before = original.evaluate(X, LABELS, return_dict=True)
    twin.fit(X, LABELS, epochs=1, verbose=0)
    np.testing.assert_equal(original.evaluate(X, LABELS, return_dict=True), before)
