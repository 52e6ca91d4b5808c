"""Beginner-style Keras code runs on tinycnn with only its import lines changed (issue 11).

Each test is written as the Keras tutorials and notebooks write it, on Fashion-MNIST subsets,
and asserts real results: accuracy above chance (10%), shapes, the history dict."""

import numpy as np
import pytest

import tinycnn as tc
from tinycnn import keras


@pytest.fixture(scope="module")
def fashion():
    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.fashion_mnist.load_data(
            download=False)
    except Exception as error:  # noqa: BLE001 - any failure to find the data
        pytest.skip(f"Fashion-MNIST is not installed or cached here: {error}")
    return (x_train[:3000], y_train[:3000]), (x_test[:1000], y_test[:1000])


def test_the_classification_tutorial(fashion, capsys):
    # ---- as in the TensorFlow "basic classification" tutorial, imports changed -------------
    (train_images, train_labels), (test_images, test_labels) = fashion
    class_names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    train_images = train_images / 255.0
    test_images = test_images / 255.0

    model = keras.Sequential([
        keras.layers.Flatten(input_shape=(28, 28)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer="adam",
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    history = model.fit(train_images, train_labels, epochs=3, verbose=0)
    test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
    probability_model = keras.Sequential([model, keras.layers.Softmax()])
    predictions = probability_model.predict(test_images)
    img = test_images[1]
    img = np.expand_dims(img, 0)
    predictions_single = probability_model.predict(img)
    # ------------------------------------------------------------------------------------------
    assert train_images.dtype == np.float64  # taken as it is, computed in float32
    assert isinstance(history.history, dict) and len(history.history["loss"]) == 3
    assert history.history["loss"][2] < history.history["loss"][0]
    assert test_acc > 0.7 and np.isfinite(test_loss)
    assert "loss: " in capsys.readouterr().out  # verbose=2 prints one line
    assert predictions.shape == (1000, 10)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)
    assert predictions_single.shape == (1, 10)
    np.testing.assert_allclose(predictions_single[0], predictions[1], rtol=1e-4, atol=1e-7)
    assert class_names[np.argmax(predictions_single[0])] in class_names
    # the probability model shares the trained model's weights
    assert probability_model.layers[0].params["1/W"] is model.layers[1].params["W"]


def test_the_notebook_pattern(fashion, tmp_path):
    # ---- as in shared/notebook.md: the Keras notebook the study reproduces ------------------
    from tinycnn.keras.callbacks import Callback, EarlyStopping
    from tinycnn.keras.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from tinycnn.keras.models import Sequential
    from tinycnn.keras.utils import to_categorical

    (X_train, y_train), (X_test, y_test) = fashion
    X_train, y_train = X_train[:1500], y_train[:1500]  # the notebook's model is the slow one
    X_train = X_train.reshape(-1, 28, 28, 1).astype("float32") / 255
    X_test = X_test.reshape(-1, 28, 28, 1).astype("float32") / 255

    class Seen(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.during = dict(self.model.history.history)

    model = Sequential()
    model.add(Conv2D(32, (3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(MaxPooling2D((2, 2)))
    model.add(Conv2D(64, (3, 3), activation="relu"))
    model.add(MaxPooling2D((2, 2)))
    model.add(Conv2D(128, (3, 3), activation="relu"))
    model.add(Flatten())
    model.add(Dense(128, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    seen = Seen()
    history = model.fit(X_train, y_train, epochs=2, batch_size=32, validation_split=0.2,
                        callbacks=[seen, EarlyStopping(patience=3)], verbose=0)
    loss, accuracy = model.evaluate(X_test, y_test)
    y_pred = np.argmax(model.predict(X_test), axis=1)
    # ------------------------------------------------------------------------------------------
    assert model.count_params() == 241_546
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert seen.during == history.history  # self.model.history during training, as Keras
    assert accuracy > 0.5 and y_pred.shape == (1000,)
    assert np.mean(y_pred == y_test) == pytest.approx(accuracy)
    one_hot = to_categorical(y_test)
    assert one_hot.shape == (1000, 10) and one_hot.dtype == np.float32
    np.testing.assert_array_equal(one_hot.argmax(axis=1), y_test)


def test_keras_positional_order_of_compile_and_fit():
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 6, 6, 1)), rng.integers(0, 3, 40)
    model = keras.Sequential([keras.Input(shape=(6, 6, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", ["accuracy"])
    history = model.fit(x, y, 8, 2, 0)  # batch_size, epochs, verbose
    assert len(history.history["loss"]) == 2 and model.optimizer.iterations == 10
    assert model.layers[0].input_shape == (6, 6, 1)


def test_logits_and_softmax_paths_give_the_same_weights():
    rng = np.random.default_rng(1)
    x, y = rng.random((64, 8, 8, 1)).astype(np.float32), rng.integers(0, 4, 64)

    def trained(last_activation, loss):
        model = tc.Sequential([tc.layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
                               tc.layers.Flatten(),
                               tc.layers.Dense(4, activation=last_activation)], seed=3)
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
        history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        return model, history

    softmax_model, softmax_history = trained("softmax", "sparse_categorical_crossentropy")
    logits_model, logits_history = trained(
        None, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    for a, b in zip(softmax_model.get_weights(), logits_model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(softmax_history.history["loss"], logits_history.history["loss"],
                               rtol=1e-5)
    # and one-hot targets with categorical cross-entropy from logits
    one_hot = keras.utils.to_categorical(y, 4)
    model = tc.Sequential([tc.layers.Flatten(input_shape=(8, 8, 1)), tc.layers.Dense(4)], seed=0)
    model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    assert np.isfinite(model.fit(x, one_hot, epochs=1, verbose=0).history["loss"][0])


def test_from_logits_loss_is_stable_for_huge_logits():
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    z = np.array([[1000.0, 0.0, -1000.0]])
    assert loss(np.array([0]), z) == pytest.approx(0.0, abs=1e-12)  # Keras's (y_true, y_pred)
    assert loss(np.array([2]), z) == pytest.approx(2000.0)
    grad = loss.gradient_wrt_logits(np.array([2]), tc.layers.activations.softmax(z))
    np.testing.assert_allclose(grad, [[1.0, 0.0, -1.0]], atol=1e-12)


def test_softmax_twice_and_missing_layers_are_explained():
    model = keras.Sequential([keras.layers.Flatten(input_shape=(4, 4)),
                              keras.layers.Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match="from_logits=True.*softmax.*twice"):
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(AttributeError, match=r"keras.layers.LSTM: tinycnn has no LSTM.*Conv2D"):
        model.add(keras.layers.LSTM(32))
    with pytest.raises(ImportError):
        from tinycnn.keras.layers import SimpleRNN  # noqa: F401


def test_saved_logits_model_and_nested_model_load(tmp_path):
    rng = np.random.default_rng(2)
    x, y = rng.random((32, 4, 4)), rng.integers(0, 3, 32)
    model = keras.Sequential([keras.layers.Flatten(input_shape=(4, 4)),
                              keras.layers.Dense(3)], seed=0)
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=1, verbose=0)
    wrapped = keras.Sequential([model, keras.layers.Softmax()])
    model.save(tmp_path / "logits.npz")
    wrapped.save(tmp_path / "wrapped.npz")
    loaded = keras.models.load_model(tmp_path / "logits.npz")
    assert loaded.loss.from_logits
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "wrapped.npz").predict(x),
                                  wrapped.predict(x))
