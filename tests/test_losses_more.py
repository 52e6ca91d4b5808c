"""Losses beyond softmax cross-entropy (binary cross-entropy, mean squared and absolute error,
Huber) and their metrics, against Keras 3.15.1.

tests/data/losses_parity.json holds what Keras (TensorFlow 2.21 backend) computed: small
trainings from the same initial weights (a yes/no sigmoid, three labels at once, from logits,
under a hard sigmoid, two regressions and a Huber loss), a sigmoid so sure that its outputs
round to 0 and 1, and the losses and metrics by hand. It was written by
tests/data/losses_make_parity.py, whose SPECS describe each training once; the tests build the
same models from the specs the JSON holds. Both sides compute in float32 with different
kernels, so the numbers agree to float32 rounding, not bit for bit (measured: weights within
6e-7, logged values within 3e-6 relative, the largest where the metrics' float64 sums meet
Keras's float32 ones).
"""

import json
from pathlib import Path

import numpy as np
import pytest

import tinycnn as tc
from tinycnn import keras
from tinycnn.keras import layers

REFERENCE = json.loads((Path(__file__).parent / "data" / "losses_parity.json").read_text())
X = np.array(REFERENCE["x"], np.float32)
TARGETS = {key: np.array(value, np.float32) for key, value in REFERENCE["targets"].items()}
SAMPLE_WEIGHT = np.array(REFERENCE["sample_weight"], np.float32)
BY_HAND = {key: np.array(value, np.float32)
           for key, value in REFERENCE["by_hand"]["inputs"].items()}


def made(spec, module):
    """A loss or metric from a spec of the JSON: a name as it is, else module.<class>(**config)
    (tinycnn.losses and tinycnn.metrics hold Keras's classes under Keras's names)."""
    return spec if isinstance(spec, str) else getattr(module, spec["class"])(**spec["config"])


def make_model(units, activation, weights=None, seed=0, dtype="float32"):
    """The fixtures' model: Conv2D, MaxPooling2D, Flatten, Dense(8), Dense(units, activation)."""
    model = keras.Sequential([
        keras.Input((6, 6, 1)), layers.Conv2D(3, 3, activation="relu"), layers.MaxPooling2D(2),
        layers.Flatten(), layers.Dense(8, activation="relu"),
        layers.Dense(units, activation=activation)], seed=seed, dtype=dtype)
    if weights is not None:
        model.set_weights([np.array(w, dtype) for w in weights])
    return model


def parity_model(name):
    """The case's model with Keras's initial weights, compiled as its spec says."""
    spec, case = REFERENCE["specs"][name], REFERENCE["cases"][name]
    model = make_model(*spec["output"], case["initial"])
    settings = spec["compile"]
    optimizer, rate = settings["optimizer"]
    model.compile(optimizer=getattr(keras.optimizers, optimizer)(rate),
                  loss=made(settings["loss"], tc.losses),
                  metrics=[made(m, tc.metrics) for m in settings["metrics"]],
                  weighted_metrics=[made(m, tc.metrics)
                                    for m in settings.get("weighted_metrics", [])])
    return model


def with_weights(arguments):
    """The spec's fit or evaluate arguments, "sample_weight": true as the fixture's weights."""
    arguments = dict(arguments)
    if arguments.pop("sample_weight", False):
        arguments["sample_weight"] = SAMPLE_WEIGHT
    if "class_weight" in arguments:
        arguments["class_weight"] = {int(k): v for k, v in arguments["class_weight"].items()}
    return arguments


def fit_like_keras(name, targets=None):
    spec = REFERENCE["specs"][name]
    model = parity_model(name)
    y = TARGETS[spec["targets"]] if targets is None else targets
    history = model.fit(X, y, shuffle=False, verbose=0, **with_weights(spec["fit"]))
    return model, history


def assert_like_keras(name, model, history):
    expected = REFERENCE["cases"][name]
    assert sorted(history.history) == sorted(expected["history"])  # the same names
    for key, values in expected["history"].items():
        np.testing.assert_allclose(history.history[key], values, rtol=5e-6, err_msg=key)
    for ours, theirs in zip(model.get_weights(), expected["weights"], strict=True):
        np.testing.assert_allclose(ours, theirs, atol=5e-6)
    np.testing.assert_allclose(model.predict(X[:5]), expected["predict"], atol=5e-6)


# ---- trainings, as Keras trains them ----------------------------------------------------------
@pytest.mark.parametrize("name", list(REFERENCE["cases"]))
def test_a_training_gives_keras_history_weights_and_predictions(name):
    model, history = fit_like_keras(name)
    assert_like_keras(name, model, history)
    spec = REFERENCE["specs"][name]
    if "evaluate" in spec:
        logs = model.evaluate(X, TARGETS[spec["targets"]], return_dict=True,
                              **with_weights(spec["evaluate"]))
        expected = REFERENCE["cases"][name]["evaluate"]
        assert sorted(logs) == sorted(expected)
        for key, value in expected.items():
            assert logs[key] == pytest.approx(value, rel=1e-5), key


def test_accuracy_is_the_kind_keras_picks_for_the_outputs():
    """One output: binary accuracy; three sigmoids: Keras's categorical accuracy (the
    multi_label case's history holds Keras's numbers for it)."""
    assert [type(m) for m in parity_model("binary_sigmoid").metric_objects] == [
        tc.metrics.BinaryAccuracy]
    assert type(parity_model("multi_label").metric_objects[0]) is tc.metrics.CategoricalAccuracy


def test_accuracy_is_picked_again_once_a_model_compiled_unbuilt_knows_its_outputs():
    model = tc.Sequential([layers.Flatten(), layers.Dense(3, activation="sigmoid")], seed=0)
    model.compile(loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(X, TARGETS["multi_label"], epochs=1, verbose=0)
    assert type(model.metric_objects[0]) is tc.metrics.CategoricalAccuracy


def test_binary_targets_as_a_column_or_a_vector_train_alike():
    column = parity_model("binary_sigmoid").fit(X, TARGETS["binary_column"], epochs=2,
                                                 verbose=0)
    vector = parity_model("binary_sigmoid").fit(X, TARGETS["binary"], epochs=2, verbose=0)
    assert column.history == vector.history


def test_a_confident_sigmoid_counts_its_mistakes_from_the_logits():
    case = REFERENCE["confident_sigmoid"]
    model = make_model(1, "sigmoid", case["initial"])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    np.testing.assert_allclose(model.predict(X), case["predict"], rtol=1e-5, atol=1e-7)
    assert np.any(model.predict(X) == 1.0)  # float32 says "sure": the clipped loss would cap it
    logs = model.evaluate(X, TARGETS["binary"], batch_size=8, return_dict=True)
    assert logs["loss"] == pytest.approx(case["evaluate"]["loss"], rel=1e-5)  # Keras: 11.16
    assert logs["accuracy"] == pytest.approx(case["evaluate"]["accuracy"])


# ---- by hand ----------------------------------------------------------------------------------
@pytest.mark.parametrize("case", REFERENCE["by_hand"]["losses"],
                         ids=lambda case: f"{case['class']}{case['config']}")
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_a_loss_by_hand_gives_keras_value(case, weighted):
    loss = made(case, tc.losses)
    y_pred = BY_HAND["logits" if case["config"].get("from_logits") else "probs"]
    weights = BY_HAND["weights"] if weighted else None
    result = loss(BY_HAND["y_true"], y_pred, sample_weight=weights)
    np.testing.assert_allclose(result, case["weighted" if weighted else "result"], rtol=2e-6)


@pytest.mark.parametrize("name", list(REFERENCE["by_hand"]["functions"]))
def test_a_loss_function_gives_keras_loss_per_example(name):
    per_example = getattr(tc.losses, name)(BY_HAND["y_true"], BY_HAND["probs"])
    np.testing.assert_allclose(per_example, REFERENCE["by_hand"]["functions"][name], rtol=2e-6)


@pytest.mark.parametrize("case", REFERENCE["by_hand"]["metrics"],
                         ids=lambda case: f"{case['class']}{case['config']}")
@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_a_metric_by_hand_gives_keras_result(case, weighted):
    metric = made(case, tc.metrics)
    for rows in (slice(0, 4), slice(4, None)):
        metric.update_state(BY_HAND["y_true"][rows], BY_HAND["probs"][rows],
                            sample_weight=BY_HAND["weights"][rows] if weighted else None)
    assert metric.result() == pytest.approx(case["weighted" if weighted else "result"], rel=1e-6)


def test_keras_examples_from_the_docstrings():
    """keras.losses' own examples: a 1-D y_pred is one example of K values."""
    bce = tc.losses.BinaryCrossentropy(from_logits=True)
    assert bce([0, 1, 0, 0], np.array([-18.6, 0.51, 2.94, -12.8])) == pytest.approx(0.8654,
                                                                                   abs=1e-4)
    assert tc.losses.MeanSquaredError()([1.0, 0.0, 1.0], np.array([0.9, 0.1, 0.8])) == \
        pytest.approx(0.02)
    np.testing.assert_allclose(
        tc.losses.binary_crossentropy([[0, 1], [0, 0]], np.array([[0.6, 0.4], [0.4, 0.6]])),
        [0.916, 0.714], atol=1e-3)
    assert tc.losses.huber([[0, 1], [0, 0]], np.array([[0.6, 0.4], [0.4, 0.6]])).mean() == \
        pytest.approx(0.155)


# ---- the gradients training starts from ----------------------------------------------------
def numerical_gradients(model, loss_of_model, eps=1e-6):
    """Centred differences of loss_of_model() with respect to every weight, in float64."""
    grads = []
    for weights in model.weights:
        grad = np.zeros_like(weights)
        for index in np.ndindex(weights.shape):
            kept = weights[index]
            weights[index] = kept + eps
            above = loss_of_model()
            weights[index] = kept - eps
            below = loss_of_model()
            weights[index] = kept
            grad[index] = (above - below) / (2 * eps)
        grads.append(grad)
    return grads


@pytest.mark.parametrize("activation, loss", [
    ("sigmoid", tc.losses.BinaryCrossentropy()),  # from the logits, the sigmoid skipped
    ("sigmoid", tc.losses.BinaryCrossentropy(label_smoothing=0.2)),
    (None, tc.losses.BinaryCrossentropy(from_logits=True)),
    ("hard_sigmoid", tc.losses.BinaryCrossentropy()),  # clipped probabilities, through it
    (None, tc.losses.MeanSquaredError()),
    ("tanh", tc.losses.MeanAbsoluteError()),
    (None, tc.losses.Huber(delta=0.3)),
])
def test_the_gradient_of_a_whole_model_is_the_centred_difference_of_its_loss(activation, loss):
    rng = np.random.default_rng(5)
    model = tc.Sequential([layers.Flatten(input_shape=(3, 3, 1)), layers.Dense(4, "relu"),
                           layers.Dense(2, activation=activation)], seed=1, dtype="float64")
    model.compile(optimizer="sgd", loss=loss)
    x = rng.standard_normal((5, 3, 3, 1))
    y = (rng.random((5, 2)) < 0.5).astype(np.float64) if loss.targets == "binary" else \
        rng.standard_normal((5, 2))
    weights = rng.uniform(0, 2, 5)

    def loss_of_model():
        return model.loss_of(model.forward(x, training=True, logits=True), y, weights)

    scores = model.forward(x, training=True, logits=True)
    model.backward_loss(model.probabilities(scores), y, sample_weight=weights)
    analytic = [layer.grads[key] for layer in model.layers for key in layer.params]
    for ours, numeric in zip(analytic, numerical_gradients(model, loss_of_model), strict=True):
        np.testing.assert_allclose(ours, numeric, rtol=1e-6, atol=1e-8)


def test_a_sigmoid_layer_of_its_own_trains_as_a_sigmoid_inside_dense():
    """Either way the loss reads the logits and backward starts below the sigmoid."""
    histories = []
    for ending in ([layers.Dense(3, activation="sigmoid")],
                   [layers.Dense(3), layers.Activation("sigmoid")]):
        model = tc.Sequential([layers.Flatten(input_shape=(6, 6, 1)), *ending], seed=2)
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        assert model.gives_logits
        histories.append(model.fit(X, TARGETS["multi_label"], epochs=2, verbose=0).history)
    assert histories[0] == histories[1]


# ---- what each loss asks of the model, refused by name -------------------------------------
def tiny(activation, units=1):
    return tc.Sequential([layers.Flatten(input_shape=(6, 6, 1)),
                          layers.Dense(units, activation=activation)], seed=0)


@pytest.mark.parametrize("activation, loss, match", [
    (None, "binary_crossentropy", "needs probabilities.*does not end in a sigmoid"),
    ("softmax", "binary_crossentropy", "Keras would read its logits as a sigmoid's"),
    ("sigmoid", tc.losses.BinaryCrossentropy(from_logits=True), "sigmoid.*applied twice"),
    ("sigmoid", "sparse_categorical_crossentropy", "does not end in a softmax"),
])
def test_a_loss_refuses_an_output_it_cannot_read(activation, loss, match):
    with pytest.raises(ValueError, match=match):
        tiny(activation, units=2).compile(loss=loss)


@pytest.mark.parametrize("loss, targets, match", [
    ("binary_crossentropy", np.full(40, 2.0), r"targets are 0 or 1.*from 2.0 to 2.0"),
    ("mse", np.zeros((40, 3)), r"targets of shape \(40, 1\)"),
    ("mae", np.full(40, np.nan), "NaN"),
])
def test_targets_that_do_not_fit_the_loss_are_refused(loss, targets, match):
    model = tiny("sigmoid" if loss == "binary_crossentropy" else None)
    model.compile(loss=loss)
    with pytest.raises(ValueError, match=match):
        model.fit(X, targets, verbose=0)


def test_compile_takes_keras_names_classes_and_functions_for_the_losses():
    losses = tc.losses
    names = {"binary_crossentropy": losses.BinaryCrossentropy, "bce": losses.BinaryCrossentropy,
             "mse": losses.MeanSquaredError, "mean_squared_error": losses.MeanSquaredError,
             "MSE": losses.MeanSquaredError, "mae": losses.MeanAbsoluteError,
             "huber": losses.Huber, "Huber": losses.Huber,
             losses.mean_absolute_error: losses.MeanAbsoluteError,
             losses.BinaryCrossentropy: losses.BinaryCrossentropy}
    for given, cls in names.items():
        assert type(losses.get_loss(given)) is cls, given


@pytest.mark.parametrize("metric, match", [
    ("sparse_categorical_accuracy", "takes class ids targets, but the loss takes values"),
    (tc.metrics.SparseTopKCategoricalAccuracy(), "takes class ids targets"),
])
def test_metrics_for_class_ids_are_refused_with_a_regression_loss(metric, match):
    with pytest.raises(ValueError, match=match):
        tiny(None).compile(loss="mse", metrics=[metric])


@pytest.mark.parametrize("arguments, match", [
    ({"delta": 0}, "Huber delta: expected a number > 0"),
    ({"delta": "1"}, "Huber delta"),
])
def test_huber_refuses_a_delta_it_cannot_use(arguments, match):
    with pytest.raises(ValueError, match=match):
        tc.losses.Huber(**arguments)
