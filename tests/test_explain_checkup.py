"""The training check-up (tinycnn/explain/checkup.py): faults are injected, and the check-up
must name them; a healthy model passes; the caller's model is never touched.
"""

import numpy as np
import pytest
from helpers import column_task, seed_model

import tinycnn as tc
from tinycnn.explain import checkup, copy_model
from tinycnn.explain.watched_step import watched_step
from tinycnn.layers import BatchNormalization, Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D


def small_model(optimizer=None, middle=None, last=None):
    model = tc.Sequential([
        Conv2D(8, 3, activation="relu", input_shape=(8, 8, 1)),
        MaxPool2D(2),
        Flatten(),
        *(middle or [Dense(16, activation="relu")]),
        last or Dense(3, activation="softmax"),
    ], seed=0)
    model.compile(optimizer=optimizer or "adam", metrics=["accuracy"])
    return model.build()


class WrongSignDense(Dense):
    """A Dense layer whose backward hands the layer below -dL/dx: a sign slip in a derivation."""

    def backward_from_preactivation(self, dz):
        dx = super().backward_from_preactivation(dz)
        return None if dx is None else -dx


def verdicts(result):
    return {check.name: check.verdict for check in result.checks}


def test_a_healthy_model_passes_every_check():
    x, y = column_task()
    printed = []
    result = checkup(small_model(), x, y, print_fn=printed.append)
    assert result.ok and set(verdicts(result).values()) == {"ok"}, str(result)
    assert [check.name for check in result.checks] == [
        "initial loss", "dead ReLUs", "backward", "update size", "overfit 20 images",
        "finite values"]
    text = printed[0]
    assert text.startswith('Training check-up of "sequential" on 64 images, 3 classes')
    assert "ln(3) = 1.099" in text and "learned by heart in" in text
    assert "conv2d (Conv2D)" in text and "update / weight" in text


def test_the_check_up_leaves_the_callers_model_alone():
    x, y = column_task()
    model = small_model(middle=[Dense(16, activation="relu"), BatchNormalization(),
                                Dropout(0.2)])
    model.train_on_batch(x[:8], y[:8])
    weights = [w.copy() for w in model.get_weights()]
    moments = {key: value.copy() for key, value in model.optimizer.state["m"].items()}
    caches = [layer._cache for layer in model.layers]
    dropout_rng = model.layers[5].rng.bit_generator.state
    checkup(model, x, y, print_fn=None)
    for old, new in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    assert model.optimizer.iterations == 1
    for key, value in model.optimizer.state["m"].items():
        np.testing.assert_array_equal(value, moments[key])
    assert all(layer._cache is cache for layer, cache in zip(model.layers, caches, strict=True))
    assert model.layers[5].rng.bit_generator.state == dropout_rng


def test_copy_model_shares_nothing_and_computes_the_same():
    x, _ = column_task(8)
    model = small_model(middle=[Dense(16, activation="relu"), BatchNormalization()])
    twin = copy_model(model)
    assert twin is not model and all(a is not b for a, b in zip(twin.layers, model.layers,
                                                                 strict=True))
    assert [layer.name for layer in twin.layers] == [layer.name for layer in model.layers]
    np.testing.assert_array_equal(twin.predict(x), model.predict(x))
    assert twin.optimizer.get_config() == model.optimizer.get_config()
    assert twin.optimizer is not model.optimizer and twin.optimizer.iterations == 0


def test_conv_biases_at_minus_ten_show_as_dead_relus():
    x, y = column_task()
    model = small_model()
    model.layers[0].params["b"][...] = -10.0
    check = checkup(model, x, y, print_fn=None)["dead ReLUs"]
    assert check.verdict == "FAIL"
    assert check.reason.startswith("conv2d: 8 of 8 ReLU channels (100%) output 0 on all 64 "
                                   "images at the start")


def test_a_backward_with_the_wrong_sign_fails_overfitting_and_is_named():
    # At Adam's default learning rate. (With a larger one, the last layer, whose own gradient
    # is right, can learn 20 images by heart on its own: the backward check still names it.)
    x, y = column_task()
    model = small_model(middle=[WrongSignDense(16, activation="relu")])
    result = checkup(model, x, y, print_fn=None)
    assert result["overfit 20 images"].verdict == "FAIL"
    assert "cannot even memorise" in result["overfit 20 images"].reason
    assert result["backward"].verdict == "FAIL"
    assert result["backward"].reason.startswith(
        "wrong_sign_dense (WrongSignDense): its dL/dx disagrees with central differences")
    assert not result.ok


def test_a_learning_rate_of_ten_names_the_first_layer_to_go_non_finite():
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, 32)
    model = seed_model().build()
    model.compile(optimizer=tc.optimizers.SGD(learning_rate=10))
    result = checkup(model, x, y, print_fn=None)
    finite = result["finite values"]
    assert finite.verdict == "FAIL"
    assert "the first NaN or infinity is in" in finite.reason
    assert any(f"of {layer.name} ({type(layer).__name__})" in finite.reason
               for layer in model.layers)
    assert result["update size"].verdict == "FAIL"


def test_adam_with_a_learning_rate_of_ten_fails_on_update_size():
    # Adam's steps are at most about the learning rate, so the weights grow without
    # overflowing: the sizes of the steps and the ReLUs they kill tell the story.
    x, y = column_task()
    result = checkup(small_model(tc.optimizers.Adam(10)), x, y, print_fn=None)
    assert result["update size"].verdict == "FAIL"
    assert "steps as large as the weights; lower the learning rate (10)" in \
        result["update size"].reason
    assert result["dead ReLUs"].verdict == "FAIL" and "training killed them" in \
        result["dead ReLUs"].reason


def test_a_watched_step_names_the_first_layer_that_overflows():
    x, y = column_task(8)
    model = small_model()
    model.layers[0].params["W"][...] = 1e38  # nine pixels of at least 0.5 each: past 3.4e38
    weights = [w.copy() for w in model.get_weights()]
    step = watched_step(model, x, y)
    assert step.problem.describe() == "the output of conv2d (Conv2D) in the forward pass"
    assert step.loss is None
    for old, new in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)  # nothing was updated


def test_batchnorm_a_softmax_layer_and_one_hot_labels_check_out():
    # The conv's bias before a training-mode BatchNorm has a true gradient of 0: both sides of
    # the backward check measure noise there, which must not read as a wrong backward.
    x, y = column_task()
    model = tc.Sequential([Conv2D(8, 3, input_shape=(8, 8, 1)), BatchNormalization(),
                           tc.layers.ReLU(), MaxPool2D(2), Flatten(), Dropout(0.2), Dense(3),
                           tc.layers.Softmax()], seed=0)
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    result = checkup(model.build(), x, np.eye(3)[y], print_fn=None)
    assert verdicts(result)["backward"] == "ok", result["backward"].reason
    assert verdicts(result)["initial loss"] == "ok" and verdicts(result)["finite values"] == "ok"


def test_a_model_trained_from_logits_and_a_model_inside_a_model_check_out():
    x, y = column_task()

    def logits_model():
        return tc.Sequential([Conv2D(8, 3, activation="relu", input_shape=(8, 8, 1)),
                              MaxPool2D(2), Flatten(), Dense(16, activation="relu"), Dense(3)],
                             seed=0).build()

    from_logits = logits_model()
    from_logits.compile(optimizer="adam",
                        loss=tc.losses.SparseCategoricalCrossentropy(from_logits=True))
    outer = tc.Sequential([logits_model(), tc.layers.Softmax()], seed=1)
    outer.compile(optimizer="adam")
    for model in (from_logits, outer.build()):
        result = checkup(model, x, y, print_fn=None)
        assert result.ok and set(verdicts(result).values()) == {"ok"}, str(result)
    # The table names the inner model's own layers.
    assert [row["name"] for row in result.layers] == ["conv2d", "max_pool2d", "flatten",
                                                      "dense", "dense_1", "softmax"]


def test_a_trained_model_skips_the_initial_loss_check():
    x, y = column_task()
    model = small_model()
    model.fit(x, y, epochs=2, verbose=0)
    check = checkup(model, x, y, print_fn=None)["initial loss"]
    assert check.verdict == "skip" and "has trained 4 steps" in check.reason


def test_a_layer_of_yours_is_copied_and_its_backward_checked():
    class Double(Layer):
        def compute_output_shape(self, input_shape):
            return input_shape

        def forward(self, x, training=False):
            self._check_input(x)
            self._cache = True
            return 2 * x

        def backward(self, dout):
            return 2 * dout

    x, y = column_task()
    result = checkup(small_model(middle=[Double(), Dense(16, activation="relu")]), x, y,
                     print_fn=None)
    assert result["backward"].verdict == "ok"


def test_bad_input_gets_a_clear_error():
    x, y = column_task(8)
    unbuilt = tc.Sequential([Conv2D(2, 3), Flatten(), Dense(3, activation="softmax")])
    unbuilt.compile()
    with pytest.raises(RuntimeError, match="checkup: the model 'sequential' is not built"):
        checkup(unbuilt, x, y)
    uncompiled = tc.Sequential([Conv2D(2, 3, input_shape=(8, 8, 1)), Flatten(),
                                Dense(3, activation="softmax")]).build()
    with pytest.raises(RuntimeError, match=r"checkup: the model is not compiled; call "
                                           r"model.compile\(loss=..., optimizer=...\) first"):
        checkup(uncompiled, x, y)
    model = small_model()
    with pytest.raises(ValueError, match=r"checkup x labels: class ids must lie in \[0, 3\)"):
        checkup(model, x, y + 1)
    with pytest.raises(ValueError, match=r"checkup x: expected shape \(N, 8, 8, 1\)"):
        checkup(model, x[:, :7], y)


def test_the_checkup_refuses_a_model_that_is_not_a_softmax_classifier_by_name():
    model = tc.Sequential([Dense(1, activation="sigmoid", input_shape=(4,))], seed=0)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.raises(ValueError, match="checkup: .*softmax.*'binary_crossentropy'"):
        tc.checkup(model, np.ones((8, 4), np.float32), np.zeros(8))
