"""Sequential: the seed model's summary, fit/evaluate/predict, seeds, optimizers, Ctrl-C."""

import os
import signal

import numpy as np
import pytest
from helpers import seed_model

import tinycnn as tc
from tinycnn.callbacks import Callback
from tinycnn.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D
from tinycnn.optimizers import SGD, Adam

SEED_MODEL_ROWS = [  # (name, class, Keras output shape, parameters), as the notebook shows
    ("conv2d", "Conv2D", (None, 26, 26, 32), 320),
    ("max_pool2d", "MaxPool2D", (None, 13, 13, 32), 0),
    ("conv2d_1", "Conv2D", (None, 11, 11, 64), 18_496),
    ("max_pool2d_1", "MaxPool2D", (None, 5, 5, 64), 0),
    ("conv2d_2", "Conv2D", (None, 3, 3, 128), 73_856),
    ("flatten", "Flatten", (None, 1152), 0),
    ("dense", "Dense", (None, 128), 147_584),
    ("dense_1", "Dense", (None, 10), 1_290),
]


def small_model(seed=0, optimizer="adam"):
    """A conv model small enough to train in milliseconds, with dropout to exercise its rng."""
    model = tc.Sequential([
        Conv2D(4, 3, activation="relu", input_shape=(6, 6, 1)),
        MaxPool2D(2),
        Flatten(),
        Dropout(0.25),
        Dense(3, activation="softmax"),
    ], seed=seed)
    model.compile(loss="sparse_categorical_crossentropy", optimizer=optimizer,
                  metrics=["accuracy"])
    return model


def assert_same_weights(a, b):
    for i, (wa, wb) in enumerate(zip(a.get_weights(), b.get_weights(), strict=True)):
        np.testing.assert_array_equal(wa, wb, err_msg=f"weight array {i}")


# ---- the seed model ----------------------------------------------------------------------
def test_seed_model_summary_reads_like_keras():
    model = seed_model()
    printed = []
    text = model.summary(print_fn=printed.append)

    assert printed == [text]
    assert model.count_params() == 241_546
    assert "Total params: 241,546" in text and "Trainable params: 241,546" in text
    assert "Non-trainable params: 0" in text
    rows = [line for line in text.splitlines() if line.split(" ")[0] in
            {name for name, *_ in SEED_MODEL_ROWS}]
    assert len(rows) == len(SEED_MODEL_ROWS)
    for line, (name, cls, shape, params) in zip(rows, SEED_MODEL_ROWS, strict=True):
        assert line.startswith(f"{name} ({cls})"), line
        assert str(shape) in line, line
        assert line.rstrip().endswith(f"{params:,}"), line


def test_seed_model_layers_know_their_shapes_and_parameter_counts():
    model = seed_model().build()
    assert model.input_shape == (28, 28, 1) and model.output_shape == (10,)
    for layer, (name, cls, shape, params) in zip(model.layers, SEED_MODEL_ROWS, strict=True):
        assert (layer.name, type(layer).__name__) == (name, cls)
        assert layer.output_shape == shape[1:]
        assert layer.count_params() == params
        assert layer.grads == {}  # until a backward pass writes them
    conv, dense = model.layers[2], model.layers[6]
    assert conv.params["W"].shape == (3, 3, 32, 64) and conv.params["b"].shape == (64,)
    assert dense.params["W"].shape == (1152, 128) and dense.params["b"].shape == (128,)
    assert all(w.dtype == np.float32 for w in model.get_weights())
    # Glorot uniform weights, zero biases
    limit = np.sqrt(6 / (3 * 3 * 32 + 3 * 3 * 64))
    assert np.abs(conv.params["W"]).max() <= limit and np.abs(conv.params["W"]).max() > limit / 2
    assert not conv.params["b"].any()


def test_grayscale_images_without_channel_axis_are_accepted(rng):
    model = seed_model()
    model.compile(metrics=["accuracy"])
    x = rng.random((12, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, size=12)

    history = model.fit(x, y, epochs=1, batch_size=6, verbose=0)
    probs = model.predict(x)

    assert len(history.history["loss"]) == 1
    assert probs.shape == (12, 10)
    np.testing.assert_array_equal(probs, model.predict(x[..., np.newaxis]))


# ---- seeds -------------------------------------------------------------------------------
def test_same_model_seed_gives_bit_identical_weights_and_history(tiny_data):
    x, y = tiny_data
    a, b = small_model(seed=0), small_model(seed=0)
    a.build()
    b.build()
    assert_same_weights(a, b)

    history_a = a.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)
    history_b = b.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)

    assert history_a.history == history_b.history
    assert_same_weights(a, b)
    other = small_model(seed=1).build()
    assert not np.array_equal(other.get_weights()[0], small_model(seed=0).build().get_weights()[0])


def test_fit_seed_fixes_shuffling_and_dropout(tiny_data):
    x, y = tiny_data
    runs = {}
    for name, fit_seed in (("first", 5), ("again", 5), ("other", 6)):
        model = small_model(seed=0)
        history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=fit_seed)
        runs[name] = (history.history, model.get_weights())

    assert runs["first"][0] == runs["again"][0]
    for wa, wb in zip(runs["first"][1], runs["again"][1], strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert runs["first"][0] != runs["other"][0]


# ---- fit, evaluate, predict ------------------------------------------------------------------
def test_validation_split_takes_the_last_fraction_before_shuffling(tiny_data):
    x, y = tiny_data  # 48 examples: a split of 0.25 keeps the last 12 for validation
    split = small_model()
    history_split = split.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0,
                              seed=3)
    explicit = small_model()
    history_explicit = explicit.fit(x[:36], y[:36], epochs=2, batch_size=8,
                                    validation_data=(x[36:], y[36:]), verbose=0, seed=3)
    first = small_model()
    history_first = first.fit(x[12:], y[12:], epochs=2, batch_size=8,
                              validation_data=(x[:12], y[:12]), verbose=0, seed=3)

    assert history_split.history == history_explicit.history
    assert_same_weights(split, explicit)
    assert history_split.history != history_first.history


def test_history_keys_and_lengths(tiny_data):
    x, y = tiny_data
    model = small_model()
    history = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0)
    assert isinstance(history, tc.callbacks.History)
    assert model.history is history
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(values) == 3 for values in history.history.values())
    assert history.epoch == [0, 1, 2]
    assert all(isinstance(v, float) for values in history.history.values() for v in values)

    without_validation = small_model().fit(x, y, epochs=1, verbose=0)
    assert set(without_validation.history) == {"loss", "accuracy"}


def test_fit_runs_every_batch_of_every_epoch(tiny_data):
    x, y = tiny_data

    class CountBatches(Callback):
        def __init__(self):
            super().__init__()
            self.batches = []

        def on_batch_end(self, batch, logs=None):
            self.batches.append(batch)

    counter = CountBatches()
    model = small_model()
    model.fit(x, y, epochs=2, batch_size=10, callbacks=[counter], verbose=0)
    assert counter.batches == [0, 1, 2, 3, 4] * 2  # 48 examples: 4 batches of 10 and one of 8
    assert model.optimizer.iterations == 10


def test_evaluate_returns_loss_and_accuracy_consistent_with_predict(tiny_data):
    x, y = tiny_data
    model = small_model()
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)

    loss, acc = model.evaluate(x, y)
    probs = model.predict(x)

    assert isinstance(loss, float) and isinstance(acc, float)
    assert acc == np.mean(probs.argmax(axis=1) == y)
    assert loss == pytest.approx(-np.mean(np.log(probs[np.arange(len(y)), y])), rel=1e-5)
    no_metrics = small_model()
    no_metrics.compile()
    assert isinstance(no_metrics.evaluate(x, y), float)


def test_predict_gives_probabilities_independent_of_batch_size(tiny_data):
    x, _ = tiny_data
    model = small_model()
    probs = model.predict(x)
    assert probs.shape == (48, 3) and probs.dtype == np.float32
    assert (probs >= 0).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(model.predict(x, batch_size=5), probs, rtol=1e-5, atol=1e-7)


def test_predict_does_not_drop_out(tiny_data):
    x, _ = tiny_data
    model = small_model()
    np.testing.assert_array_equal(model.predict(x), model.predict(x))


def test_verbose_0_is_silent_and_verbose_1_shows_a_progress_bar(tiny_data, capsys):
    x, y = tiny_data
    small_model().fit(x, y, epochs=1, verbose=0)
    silent = capsys.readouterr()
    assert silent.out == "" and silent.err == ""
    small_model().fit(x, y, epochs=2, verbose=1)
    shown = capsys.readouterr()
    assert "Epoch 1/2" in shown.err + shown.out and "Epoch 2/2" in shown.err + shown.out


def test_categorical_crossentropy_with_one_hot_targets_trains_like_the_sparse_loss(tiny_data):
    x, y = tiny_data
    sparse = small_model()
    one_hot = small_model()
    one_hot.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    targets = np.eye(3)[y]

    history_sparse = sparse.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)
    history_one_hot = one_hot.fit(x, targets, epochs=2, batch_size=8, validation_split=0.25,
                                  verbose=0)

    for key, values in history_sparse.history.items():
        np.testing.assert_allclose(history_one_hot.history[key], values, rtol=1e-4, err_msg=key)
    for ws, wo in zip(sparse.get_weights(), one_hot.get_weights(), strict=True):
        np.testing.assert_allclose(wo, ws, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(one_hot.evaluate(x, targets), sparse.evaluate(x, y), rtol=1e-4)


# ---- optimizers -----------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer, cls, learning_rate", [
    ("sgd", SGD, 0.01), ("adam", Adam, 1e-3), ("Adam", Adam, 1e-3),
    (SGD(0.05, momentum=0.9, nesterov=True), SGD, 0.05), (Adam(learning_rate=0.01), Adam, 0.01),
])
def test_optimizers_by_name_or_object_train_the_model(tiny_data, optimizer, cls, learning_rate):
    x, y = tiny_data
    model = small_model(optimizer=optimizer)
    assert isinstance(model.optimizer, cls)
    assert model.optimizer.learning_rate == learning_rate
    before = [w.copy() for w in model.build().get_weights()]
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert any(not np.array_equal(b, a) for b, a in zip(before, model.get_weights(),
                                                         strict=True))


def test_adam_defaults_match_keras():
    adam = tc.optimizers.get_optimizer("adam")
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (1e-3, 0.9, 0.999,
                                                                           1e-7)
    sgd = tc.optimizers.get_optimizer("sgd")
    assert (sgd.learning_rate, sgd.momentum, sgd.nesterov) == (0.01, 0.0, False)


def run_steps(optimizer, grads):
    p = np.array([1.0, -2.0, 3.0])
    for g in grads:
        optimizer.step([{"W": p}], [{"W": np.array(g)}])
    return p


GRADS = [[0.5, -1.0, 2.0], [0.1, 0.3, -0.2], [-0.4, 0.2, 0.0]]


def test_sgd_follows_its_formulas():
    lr, mu = 0.1, 0.9
    p, v = np.array([1.0, -2.0, 3.0]), np.zeros(3)
    p_nesterov, v_nesterov = p.copy(), np.zeros(3)
    for g in map(np.array, GRADS):
        v = mu * v - lr * g
        p = p + v
        v_nesterov = mu * v_nesterov - lr * g
        p_nesterov = p_nesterov + mu * v_nesterov - lr * g
    plain = np.array([1.0, -2.0, 3.0]) - lr * np.sum(GRADS, axis=0)
    np.testing.assert_allclose(run_steps(SGD(lr), GRADS), plain, rtol=1e-12)
    np.testing.assert_allclose(run_steps(SGD(lr, momentum=mu), GRADS), p, rtol=1e-12)
    np.testing.assert_allclose(run_steps(SGD(lr, momentum=mu, nesterov=True), GRADS), p_nesterov,
                               rtol=1e-12)


def test_adam_follows_the_keras_formula():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    p, m, v = np.array([1.0, -2.0, 3.0]), np.zeros(3), np.zeros(3)
    for t, g in enumerate(map(np.array, GRADS), start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(v) + eps)
    adam = Adam(lr, beta_1=b1, beta_2=b2, epsilon=eps)
    np.testing.assert_allclose(run_steps(adam, GRADS), p, rtol=1e-12)
    assert adam.iterations == 3


# ---- kernels --------------------------------------------------------------------------------
def test_numpy_twins_give_the_same_predictions_and_training_as_numba(tiny_data):
    x, y = tiny_data
    fast, slow = small_model(), small_model().use_kernels("numpy")
    assert {layer.kernels.name for layer in slow.layers} == {"numpy"}
    np.testing.assert_allclose(slow.predict(x), fast.predict(x), rtol=1e-5, atol=1e-7)
    fast.fit(x, y, epochs=1, batch_size=8, verbose=0)
    slow.fit(x, y, epochs=1, batch_size=8, verbose=0)
    for wf, ws in zip(fast.get_weights(), slow.get_weights(), strict=True):
        np.testing.assert_allclose(ws, wf, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(slow.predict(x), fast.predict(x), rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match="unknown kernel set 'cuda'"):
        fast.use_kernels("cuda")


# ---- Ctrl-C ---------------------------------------------------------------------------------
class StopAtBatch(Callback):
    """Counts batches; at global batch ``stop_at`` (1-based) presses Ctrl-C or sets
    stop_training."""

    def __init__(self, stop_at, how):
        super().__init__()
        self.stop_at, self.how = stop_at, how
        self.batches = 0
        self.train_ended = False

    def on_batch_end(self, batch, logs=None):
        self.batches += 1
        if self.batches == self.stop_at:
            if self.how == "ctrl-c":
                os.kill(os.getpid(), signal.SIGINT)
            else:
                self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.train_ended = True


def test_ctrl_c_stops_after_the_current_batch_and_keeps_weights_and_history(tiny_data, capsys):
    x, y = tiny_data  # 48 examples in batches of 8: 6 batches an epoch
    handler_before = signal.getsignal(signal.SIGINT)
    interrupted = small_model()
    ctrl_c = StopAtBatch(stop_at=9, how="ctrl-c")  # the 3rd batch of the 2nd epoch

    history = interrupted.fit(x, y, epochs=4, batch_size=8, callbacks=[ctrl_c], verbose=0)

    assert ctrl_c.batches == 9 and interrupted.optimizer.iterations == 9
    assert ctrl_c.train_ended
    assert len(history.history["loss"]) == 1  # the finished first epoch is kept
    assert interrupted.history is history
    assert all(np.isfinite(w).all() for w in interrupted.get_weights())
    assert signal.getsignal(signal.SIGINT) is handler_before
    assert "Interrupted in epoch 2 after batch 3" in capsys.readouterr().out

    # The weights are those after exactly 9 steps: the same as stopping there by a callback.
    stopped = small_model()
    stopped.fit(x, y, epochs=4, batch_size=8, callbacks=[StopAtBatch(9, "flag")], verbose=0)
    assert stopped.optimizer.iterations == 9
    assert_same_weights(interrupted, stopped)


def test_sigint_handler_is_restored_when_fit_raises(tiny_data):
    x, y = tiny_data
    handler_before = signal.getsignal(signal.SIGINT)

    class Boom(Callback):
        def on_batch_end(self, batch, logs=None):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        small_model().fit(x, y, callbacks=[Boom()], verbose=0)
    assert signal.getsignal(signal.SIGINT) is handler_before


def test_history_has_accuracy_only_when_it_is_a_metric():
    rng = np.random.default_rng(0)
    x, y = rng.random((20, 6, 6, 1)).astype(np.float32), rng.integers(0, 3, 20)
    model = tc.Sequential([Flatten(input_shape=(6, 6, 1)), Dense(3, activation="softmax")],
                          seed=0)
    model.compile(loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=1, validation_split=0.25, verbose=0)
    assert sorted(history.history) == ["loss", "val_loss"]
    assert isinstance(model.evaluate(x, y), float)


def test_successive_fit_calls_shuffle_differently_but_reruns_repeat():
    """Without a fit seed, the model's stream continues from call to call (a second 1-epoch
    fit is not a replay of the first), and a fresh model with the same seed repeats it all."""
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 6, 6, 1)).astype(np.float32), rng.integers(0, 3, 64)

    def two_fits():
        model = tc.Sequential([Flatten(input_shape=(6, 6, 1)), Dense(3, activation="softmax")],
                              seed=5)
        model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd")
        orders = []

        class Recorder(tc.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                orders.append(self.model.training_rng.bit_generator.state["state"]["state"])

        for _ in range(2):
            model.fit(x, y, epochs=1, batch_size=8, verbose=0, callbacks=[Recorder()])
        return orders, model.get_weights()

    orders, weights = two_fits()
    assert orders[0] != orders[1]
    orders_again, weights_again = two_fits()
    assert orders_again == orders
    for a, b in zip(weights, weights_again, strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_large_batch_in_pieces_takes_the_same_step_as_one_pass(monkeypatch):
    """Gradient accumulation over pieces of TRAIN_PIECE images is the same optimisation step
    (and the same loss and probabilities) as one forward and backward over the whole batch."""
    import tinycnn.training as training_module

    rng = np.random.default_rng(3)
    x = rng.random((96, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, 96)

    def one_step(piece):
        monkeypatch.setattr(training_module, "TRAIN_PIECE", piece)
        model = seed_model(seed=1)
        model.compile(optimizer=SGD(learning_rate=0.1))
        loss, probs = model.train_step(x, y)
        return loss, probs, model.get_weights()

    loss_pieces, probs_pieces, weights_pieces = one_step(32)  # three pieces
    loss_whole, probs_whole, weights_whole = one_step(1000)  # one pass
    assert loss_pieces == pytest.approx(loss_whole, rel=1e-6)
    np.testing.assert_allclose(probs_pieces, probs_whole, rtol=1e-5, atol=1e-7)
    for pieces, whole in zip(weights_pieces, weights_whole, strict=True):
        np.testing.assert_allclose(pieces, whole, rtol=1e-4, atol=1e-6)
    start = seed_model(seed=1).build().get_weights()
    assert any(not np.allclose(w, s) for w, s in zip(weights_pieces, start, strict=True))
