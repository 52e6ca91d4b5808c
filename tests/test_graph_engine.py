"""The functional API's rules, as a learner meets them (issue 18): what a call on a symbolic
tensor gives, the errors that name what is wrong, models used as layers, and training in
pieces on a graph. Numbers against Keras and PyTorch: test_functional_parity.py,
test_graph_torch.py."""

import numpy as np
import pytest

import tinycnn
from tinycnn import keras, training
from tinycnn.keras import layers


def images(n=6, shape=(6, 6, 2), seed=0):
    return np.random.default_rng(seed).random((n, *shape), dtype=np.float32)


def two_branches(seed=0):
    """conv -> [conv, identity] -> add -> flatten -> dense: a skip connection, no BatchNorm."""
    inputs = keras.Input(shape=(6, 6, 2))
    x = layers.Conv2D(3, 3, padding="same", activation="relu", name="first")(inputs)
    y = layers.Conv2D(3, 3, padding="same", name="second")(x)
    x = layers.Flatten()(layers.add([x, y]))
    return keras.Model(inputs, layers.Dense(4, activation="softmax")(x), seed=seed)


def test_tinycnn_names_are_keras_names():
    assert tinycnn.Model is keras.Model is keras.models.Model
    assert tinycnn.Input is keras.Input
    assert isinstance(keras.Sequential(), keras.Model)  # as in Keras


def test_a_call_on_a_symbolic_tensor_gives_its_shape_and_builds_nothing():
    conv = layers.Conv2D(4, 3, strides=2)
    out = conv(keras.Input(shape=(9, 9, 1)))
    assert out.shape == (None, 4, 4, 4)
    assert not conv.built  # the model builds it, from its seed


def test_the_model_knows_its_layers_inputs_and_outputs():
    model = two_branches()
    assert [type(layer).__name__ for layer in model.layers] == [
        "InputLayer", "Conv2D", "Conv2D", "Add", "Flatten", "Dense"]
    assert model.get_layer("second") is model.layers[2]
    assert model.get_layer(index=-1) is model.layers[-1]
    assert model.inputs[0].shape == (None, 6, 6, 2)
    assert model.outputs[0].shape == (None, 4)
    with pytest.raises(ValueError, match="no layer named 'third'.*'first', 'second'"):
        model.get_layer("third")


def test_a_seed_fixes_the_weights_and_another_seed_changes_them():
    same = [two_branches(seed=3).get_weights() for _ in range(2)]
    for a, b in zip(*same, strict=True):
        np.testing.assert_array_equal(a, b)
    other = two_branches(seed=4).get_weights()
    assert not np.array_equal(same[0][0], other[0])


def test_a_shape_mismatch_names_both_layers_and_both_shapes():
    inputs = keras.Input(shape=(6, 6, 2))
    a = layers.Conv2D(3, 3, name="narrow")(inputs)
    b = layers.Conv2D(3, 3, padding="same", name="wide")(inputs)
    with pytest.raises(ValueError) as error:
        layers.Add()([a, b])
    message = str(error.value)
    for part in ("'narrow'", "'wide'", "(4, 4, 3)", "(6, 6, 3)"):
        assert part in message


def test_a_shared_layer_takes_inputs_of_one_shape():
    dense = layers.Dense(3)
    dense(keras.Input(shape=(4,)))
    with pytest.raises(ValueError, match="shares its weights, so it takes inputs of one shape"):
        dense(keras.Input(shape=(5,)))


@pytest.mark.parametrize("make, error, message", [
    (lambda i: keras.Model([i, i], layers.Dense(2)(i)), ValueError, "one input and one output"),
    (lambda i: keras.Model(i, i), ValueError, "needs a layer"),
    (lambda i: keras.Model(i, layers.Dense(2)(keras.Input(shape=(3,)))), ValueError,
     "graph disconnected"),
    (lambda i: keras.Model(i, np.zeros(3)), TypeError, "should be a KerasTensor"),
    (lambda i: keras.Model(), TypeError, "Subclassing Model"),
    (lambda i: keras.Model(i, layers.Dense(2)(i), jit_compile=True), TypeError, "jit_compile"),
    (lambda i: keras.Model(i, layers.Dense(2, name="d")(layers.Dense(3, name="d")(i))),
     ValueError, "two layers are named 'd'"),
])
def test_what_a_functional_model_refuses_is_named(make, error, message):
    with pytest.raises(error, match=message):
        make(keras.Input(shape=(3,)))


def test_add_and_pop_are_sequentials_only():
    model = two_branches()
    with pytest.raises(TypeError, match="functional model.*add\\(\\) is Sequential's"):
        model.add(layers.Dense(2))
    with pytest.raises(TypeError, match="pop\\(\\) is Sequential's"):
        model.pop()


def test_keras_input_refuses_what_tinycnn_cannot_do():
    with pytest.raises(ValueError, match="batch_size"):
        keras.Input(shape=(3,), batch_size=8)
    with pytest.raises(ValueError, match="every size must be known"):
        keras.Input(shape=(None, None, 3))
    with pytest.raises(TypeError, match="sparse"):
        keras.Input(shape=(3,), sparse=True)
    assert keras.Input(batch_shape=(None, 5)).shape == (None, 5)


def test_a_trained_sequential_called_on_a_tensor_is_a_layer_sharing_its_weights():
    base = keras.Sequential([keras.Input(shape=(6, 6, 2)), layers.Conv2D(3, 3),
                             layers.Flatten()], seed=1)
    inputs = keras.Input(shape=(6, 6, 2))
    model = keras.Model(inputs, layers.Dense(2, activation="softmax")(base(inputs)), seed=2)
    x = images()
    np.testing.assert_array_equal(model.layers[1](x), base.predict(x))
    base.trainable = False  # the transfer-learning idiom: freeze the base, train the head
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    kernel = base.layers[0].params["W"].copy()
    model.fit(x, np.array([0, 1] * 3), epochs=2, verbose=0)
    np.testing.assert_array_equal(base.layers[0].params["W"], kernel)


def test_a_graph_trains_in_pieces_as_in_one_pass(monkeypatch):
    """A batch bigger than TRAIN_PIECE goes forward and backward in pieces whose gradients
    add up: on a graph too, the step is the one a single pass gives (float64: exactly up to
    rounding)."""
    x = images(n=40).astype(np.float64)
    y = np.arange(40) % 4

    def trained(piece):
        monkeypatch.setattr(training, "TRAIN_PIECE", piece)
        inputs = keras.Input(shape=(6, 6, 2), dtype="float64")
        shared = layers.Conv2D(2, 3, padding="same", activation="relu")
        h = layers.Conv2D(2, 1)(inputs)
        x_ = layers.concatenate([shared(h), shared(layers.Activation("tanh")(h)), h])
        out = layers.Dense(4, activation="softmax")(layers.GlobalAveragePooling2D()(x_))
        model = keras.Model(inputs, out, seed=5)
        model.compile(optimizer=keras.optimizers.SGD(0.5), loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=40, epochs=2, shuffle=False, verbose=0)
        return model.get_weights()

    for pieces, whole in zip(trained(8), trained(64), strict=True):
        np.testing.assert_allclose(pieces, whole, rtol=1e-12, atol=1e-14)


def test_fit_with_callbacks_evaluate_and_predict_work_on_a_graph(tmp_path):
    x, y = images(n=24), np.arange(24) % 4
    model = two_branches()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    best = tmp_path / "best.npz"
    seen = []

    class Names(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(sorted(logs))

    history = model.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0,
                        callbacks=[keras.callbacks.ModelCheckpoint(best, save_best_only=True),
                                   Names()])
    assert seen == [["accuracy", "loss", "val_accuracy", "val_loss"]] * 3
    assert len(history.history["val_loss"]) == 3
    logs = model.evaluate(x, y, batch_size=5, return_dict=True)
    assert sorted(logs) == ["accuracy", "loss"]
    np.testing.assert_array_equal(model.predict(x, batch_size=7), model(x))
    reloaded = tinycnn.load_model(best)
    assert [layer.name for layer in reloaded.layers] == [layer.name for layer in model.layers]


def test_a_model_from_an_intermediate_layer_reads_what_that_layer_gives():
    """Keras's feature-extraction idiom, on a Sequential: model.inputs and layer.output."""
    model = keras.Sequential([keras.Input(shape=(6, 6, 2)),
                              layers.Conv2D(3, 3, activation="relu", name="features"),
                              layers.Flatten(), layers.Dense(4, activation="softmax")], seed=0)
    features = keras.Model(inputs=model.inputs, outputs=model.get_layer("features").output)
    x = images()
    np.testing.assert_array_equal(features.predict(x), model.layers[0](x))
    assert model.input.shape == (None, 6, 6, 2) and model.output.shape == (None, 4)
    assert not model.is_functional and features.is_functional
    model.pop()  # the Sequential's symbolic tensors follow its layers
    assert model.output.shape == (None, 48)
    with pytest.raises(AttributeError, match="has never been called on a KerasTensor"):
        _ = layers.Dense(2).output
    with pytest.raises(AttributeError, match="no defined inputs yet"):
        _ = keras.Sequential([layers.Dense(2)]).inputs
