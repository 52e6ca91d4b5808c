"""save / load_model / load_weights: exact round trips, and clear errors for files not ours."""

import json
import os

import numpy as np
import pytest

import tinycnn as tc
from tinycnn.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Softmax
from tinycnn.optimizers import SGD, Adam


def every_layer_model(seed=0, optimizer=None):
    """A small model using every layer class and the less common options."""
    model = tc.Sequential([
        Conv2D(3, (3, 2), stride=2, padding=1, input_shape=(7, 6, 1)),
        ReLU(),
        Conv2D(4, 2, padding="same", activation="relu", name="my_conv"),
        MaxPool2D(2, stride=1),
        Flatten(),
        Dropout(0.2),
        Dense(5),
        Softmax(),
    ], name="everything", seed=seed)
    if optimizer is not None:
        model.compile(optimizer=optimizer, metrics=["accuracy"])
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    return rng.random((30, 7, 6, 1)).astype(np.float32), rng.integers(0, 5, size=30)


def assert_same_weights(a, b):
    for i, (wa, wb) in enumerate(zip(a.get_weights(), b.get_weights(), strict=True)):
        assert wa.dtype == wb.dtype, i
        np.testing.assert_array_equal(wa, wb, err_msg=f"weight array {i}")


@pytest.mark.parametrize("optimizer", [lambda: Adam(0.01),
                                       lambda: SGD(0.05, momentum=0.9, nesterov=True)],
                         ids=["adam", "sgd-momentum"])
def test_round_trip_predicts_identically_and_resumes_training_identically(data, tmp_path,
                                                                          optimizer):
    x, y = data
    original = every_layer_model(optimizer=optimizer())
    original.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=1)
    path = tmp_path / "model.npz"
    original.save(path)

    loaded = tc.load_model(path)

    assert loaded.name == "everything" and loaded.seed == original.seed
    assert [layer.get_config() for layer in loaded.layers] == [
        layer.get_config() for layer in original.layers]
    assert loaded.summary(print_fn=None) == original.summary(print_fn=None)
    assert_same_weights(original, loaded)
    assert np.array_equal(loaded.predict(x), original.predict(x))
    assert type(loaded.optimizer) is type(original.optimizer)
    assert loaded.optimizer.get_config() == original.optimizer.get_config()
    assert loaded.optimizer.iterations == original.optimizer.iterations == 8
    assert loaded.optimizer.state.keys() == original.optimizer.state.keys()
    assert loaded.metrics == ["accuracy"] and loaded.loss.name == original.loss.name

    resumed_original = original.fit(x, y, epochs=1, batch_size=8, verbose=0, seed=2)
    resumed_loaded = loaded.fit(x, y, epochs=1, batch_size=8, verbose=0, seed=2)

    assert resumed_loaded.history == resumed_original.history
    assert_same_weights(original, loaded)


def test_uncompiled_model_round_trips_without_optimizer(data, tmp_path):
    x, _ = data
    model = every_layer_model()
    model.save(tmp_path / "plain.npz")
    loaded = tc.load_model(tmp_path / "plain.npz")
    assert loaded.loss is None and loaded.optimizer is None
    assert np.array_equal(loaded.predict(x), model.predict(x))


def test_a_numpy_integer_seed_round_trips(tmp_path):
    model = tc.Sequential([Dense(2, input_shape=(3,))], seed=np.int64(3))
    model.save(tmp_path / "seeded.npz")
    assert tc.load_model(tmp_path / "seeded.npz").seed == 3


def test_load_weights_into_a_model_of_the_same_architecture(data, tmp_path):
    x, _ = data
    source = every_layer_model(seed=1)
    source.save(tmp_path / "w.npz")
    target = every_layer_model(seed=2)
    assert not np.array_equal(target.predict(x), source.predict(x))
    target.load_weights(tmp_path / "w.npz")
    assert np.array_equal(target.predict(x), source.predict(x))


def test_the_file_holds_no_pickles(tmp_path):
    every_layer_model(optimizer="adam").save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    assert all(a.dtype != object for a in arrays.values())
    assert json.loads(str(arrays["tinycnn_model"]))["format"] == "tinycnn-model"


# ---- files that are not ours --------------------------------------------------------------
def saved(tmp_path, model=None):
    path = tmp_path / "good.npz"
    (model or every_layer_model(optimizer="adam")).save(path)
    return path


def test_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError, match="no model file"):
        tc.load_model(tmp_path / "nothing.npz")


@pytest.mark.parametrize("content", [b"hello, this is text", b"", b"\x00" * 100])
def test_a_file_that_is_not_npz_raises_model_file_error(tmp_path, content):
    path = tmp_path / "not-a-model.npz"
    path.write_bytes(content)
    with pytest.raises(tc.ModelFileError, match="not-a-model.npz.*not a readable tinycnn model"):
        tc.load_model(path)


def test_a_single_npy_array_raises_model_file_error(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.arange(3))
    with pytest.raises(tc.ModelFileError, match=r"array\.npy.*single NumPy array"):
        tc.load_model(path)
    with pytest.raises(tc.ModelFileError):
        every_layer_model().load_weights(path)


def test_a_foreign_npz_raises_model_file_error(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, weights=np.ones(3), bias=np.zeros(2))
    with pytest.raises(tc.ModelFileError, match="foreign.npz.*not a tinycnn model"):
        tc.load_model(path)
    with pytest.raises(tc.ModelFileError, match="not a tinycnn model"):
        every_layer_model().load_weights(path)


def test_an_unknown_format_version_raises_model_file_error(tmp_path):
    path = tmp_path / "future.npz"
    description = {"format": "tinycnn-model", "version": 99}
    np.savez(path, tinycnn_model=np.array(json.dumps(description)))
    with pytest.raises(tc.ModelFileError, match="version 99"):
        tc.load_model(path)
    np.savez(path, tinycnn_model=np.array("{not json"))
    with pytest.raises(tc.ModelFileError, match="damaged"):
        tc.load_model(path)


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.99])
def test_a_truncated_file_raises_model_file_error(tmp_path, keep):
    path = saved(tmp_path)
    content = path.read_bytes()
    path.write_bytes(content[: int(len(content) * keep)])
    with pytest.raises(tc.ModelFileError, match="truncated"):
        tc.load_model(path)
    with pytest.raises(tc.ModelFileError, match="truncated"):
        every_layer_model().load_weights(path)


def test_weights_from_another_architecture_raise_and_leave_the_model_untouched(tmp_path):
    other = tc.Sequential([Conv2D(3, (3, 2), stride=2, padding=1, input_shape=(7, 6, 1)),
                           Flatten(), Dense(7)], seed=0)
    path = saved(tmp_path, other)
    model = every_layer_model(seed=5).build()
    before = [w.copy() for w in model.get_weights()]

    with pytest.raises(tc.ModelFileError, match="another architecture") as error:
        model.load_weights(path)

    assert "good.npz" in str(error.value)
    for kept, old in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(kept, old)  # not half loaded


def test_weights_with_extra_layers_raise(tmp_path):
    bigger = tc.Sequential([Dense(4, input_shape=(3,)), Dense(4), Dense(2)], seed=0)
    smaller = tc.Sequential([Dense(4, input_shape=(3,)), Dense(4)], seed=0)
    with pytest.raises(tc.ModelFileError, match="arrays this model does not have"):
        smaller.load_weights(saved(tmp_path, bigger))


def test_model_file_error_is_a_value_error():
    assert issubclass(tc.ModelFileError, ValueError)


# ---- a failing save leaves nothing behind ---------------------------------------------------
def test_saving_into_a_missing_folder_raises_and_writes_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        every_layer_model().save(tmp_path / "missing" / "model.npz")
    assert list(tmp_path.iterdir()) == []


def test_a_save_that_fails_midway_leaves_no_temporary_file_and_keeps_the_old_one(
        tmp_path, monkeypatch):
    path = saved(tmp_path)
    old_content = path.read_bytes()

    def broken_savez(file, **arrays):
        file.write(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        every_layer_model(seed=9).save(path)
    assert os.listdir(tmp_path) == ["good.npz"]
    assert path.read_bytes() == old_content
