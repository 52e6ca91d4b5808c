"""save / load_model / load_weights: exact round trips (dtype, trainable flags, the training
stream and epochs too), clear errors for files not ours, and saving all or nothing (permissions
kept, flushed to disk, temporaries of killed saves cleaned up). Hostile files:
test_model_file_hostile.py."""

import json
import os
import stat
import subprocess
import sys
import threading

import numpy as np
import pytest

import tinycnn as tc
from tinycnn.layers import Conv2D, Dense, Dropout, Flatten, Layer, MaxPool2D, ReLU, Softmax
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


# ---- what version 2 keeps: dtype, trainable, the training stream, epochs -------------------
def test_a_float64_model_comes_back_float64(data, tmp_path):
    x, _ = data
    model = every_layer_model()
    model = tc.Sequential([type(layer)(**layer.get_config()) for layer in model.layers],
                          seed=0, dtype="float64").build((7, 6, 1))
    model.save(tmp_path / "f64.npz")
    loaded = tc.load_model(tmp_path / "f64.npz")
    assert loaded.dtype == np.float64
    assert_same_weights(model, loaded)  # float64 arrays, not float32 copies
    assert np.array_equal(loaded.predict(x), model.predict(x))


def test_trainable_flags_round_trip_inner_layers_too(tmp_path):
    inner = tc.Sequential([Dense(4, input_shape=(3,)), Dense(4)], name="inner", seed=0).build()
    model = tc.Sequential([inner, Dense(2, activation="softmax")], seed=0).build()
    inner.layers[0].trainable = False
    model.layers[1].trainable = False
    model.save(tmp_path / "frozen.npz")

    loaded = tc.load_model(tmp_path / "frozen.npz")

    flags = [getattr(layer, "trainable", True) for layer in loaded.layers]
    inner_flags = [getattr(layer, "trainable", True) for layer in loaded.layers[0].network.layers]
    assert flags == [True, False] and inner_flags == [False, True]


def test_a_reloaded_model_continues_its_training_stream(data, tmp_path):
    """fit(2); save; load; fit(2) shuffles and drops out as fit(2); fit(2) does (before format
    version 2, the reloaded model started the stream from the seed again: epoch 1's order)."""
    x, y = data
    straight = every_layer_model(optimizer=Adam(0.01))
    straight.fit(x, y, epochs=2, batch_size=8, verbose=0)
    straight.fit(x, y, epochs=2, batch_size=8, verbose=0)

    saved = every_layer_model(optimizer=Adam(0.01))
    saved.fit(x, y, epochs=2, batch_size=8, verbose=0)
    saved.save(tmp_path / "half.npz")
    resumed = tc.load_model(tmp_path / "half.npz")
    resumed.fit(x, y, epochs=2, batch_size=8, verbose=0)

    assert_same_weights(straight, resumed)
    assert resumed.training_rng.random() == straight.training_rng.random()


def test_epochs_trained_round_trips(tmp_path):
    model = every_layer_model(optimizer="adam").build()
    model.epochs_trained = 7
    model.save(tmp_path / "seven.npz")
    assert tc.load_model(tmp_path / "seven.npz").epochs_trained == 7


def write_version_1_file(path):
    """A file laid out as tinycnn wrote it before version 2 (np.savez, no dtype, trainable or
    training keys): a model used as a layer (Dense(4, relu) on 4 inputs), then Dense(3,
    softmax); compiled with Adam, 2 steps taken; returns its weights."""
    rng = np.random.default_rng(0)
    weights = {"params/0/0/W": rng.random((4, 4)), "params/0/0/b": rng.random(4),
               "params/1/W": rng.random((4, 3)), "params/1/b": rng.random(3)}
    weights = {name: value.astype(np.float32) for name, value in weights.items()}
    dense = {"class": "Dense", "config": {"name": "dense", "units": 4, "activation": "relu"}}
    config = {
        "format": "tinycnn-model", "version": 1, "name": "old", "seed": 5, "input_shape": [4],
        "layers": [{"class": "NestedNetwork", "config": {"name": "inner", "input_shape": [4],
                                                         "dtype": "float32", "layers": [dense]}},
                   {"class": "Dense", "config": {"name": "dense_1", "units": 3,
                                                 "activation": "softmax"}}],
        "compile": {"loss": {"name": "sparse_categorical_crossentropy", "from_logits": False},
                    "metrics": ["accuracy"],
                    "optimizer": {"name": "adam", "learning_rate": 0.01, "beta_1": 0.9,
                                  "beta_2": 0.999, "epsilon": 1e-07},
                    "iterations": 2}}
    moments = {f"optimizer/{slot}/{name.removeprefix('params/')}": np.full_like(value, 0.5)
               for name, value in weights.items() for slot in ("m", "v")}
    np.savez(path, tinycnn_model=np.array(json.dumps(config)), **weights, **moments)
    return weights


def test_a_version_1_file_still_loads(tmp_path):
    weights = write_version_1_file(tmp_path / "old.npz")
    loaded = tc.load_model(tmp_path / "old.npz")

    x = np.random.default_rng(1).random((5, 4)).astype(np.float32)
    hidden = np.maximum(x @ weights["params/0/0/W"] + weights["params/0/0/b"], 0)
    logits = hidden @ weights["params/1/W"] + weights["params/1/b"]
    expected = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(loaded.predict(x), expected / expected.sum(1, keepdims=True),
                               rtol=1e-5)
    assert loaded.dtype == np.float32 and loaded.name == "old" and loaded.seed == 5
    assert loaded.optimizer.iterations == 2 and loaded.optimizer.learning_rate == 0.01
    assert sorted(loaded.optimizer.state["m"]) == ["0/0/W", "0/0/b", "1/W", "1/b"]
    # no training key: the stream from the seed, and no epochs, as before
    assert loaded.training_rng.random() == np.random.default_rng([5, 1]).random()
    assert getattr(loaded, "epochs_trained", 0) == 0


def test_a_custom_layer_drawing_weights_loads_with_custom_objects(tmp_path):
    """Its weights are drawn with rng.normal(size=...) and rng.standard_normal(shape): the
    checks on a file's sizes must see both."""
    class Scale(Layer):
        def compute_output_shape(self, input_shape):
            return input_shape

        def _create_params(self, input_shape, rng, dtype):
            return {"a": rng.normal(0, 1, size=input_shape).astype(dtype),
                    "c": rng.standard_normal(input_shape).astype(dtype)}

        def forward(self, x, training=False):
            self._check_input(x)
            return x * self.params["a"] + self.params["c"]

    model = tc.Sequential([Scale(input_shape=(3,)), Dense(2, activation="softmax")],
                          seed=0).build()
    model.save(tmp_path / "scale.npz")
    with pytest.raises(tc.ModelFileError, match="unknown layer class 'Scale'"):
        tc.load_model(tmp_path / "scale.npz")
    loaded = tc.load_model(tmp_path / "scale.npz", custom_objects={"Scale": Scale})
    x = np.ones((2, 3), np.float32)
    assert np.array_equal(loaded.predict(x), model.predict(x))


# ---- saving: permissions, durability, temporaries of killed saves ---------------------------
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and processes")


@posix_only
def test_saving_over_a_file_keeps_its_permission_bits(tmp_path):
    path = saved(tmp_path)
    os.chmod(path, 0o640)
    every_layer_model(seed=4).save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640

    umask = os.umask(0o027)
    try:
        every_layer_model().save(tmp_path / "new.npz")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "new.npz").st_mode) == 0o640  # 0o666 & ~0o027


def test_the_file_reaches_the_disk_before_the_rename_and_the_rename_after(tmp_path, monkeypatch):
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(descriptor):
        is_folder = stat.S_ISDIR(os.fstat(descriptor).st_mode)
        events.append("fsync folder" if is_folder else "fsync file")
        real_fsync(descriptor)

    def replace(source, target):
        events.append("rename")
        real_replace(source, target)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    every_layer_model().save(tmp_path / "durable.npz")
    folder_sync = ["fsync folder"] if os.name == "posix" else []
    assert events == ["fsync file", "rename", *folder_sync]


def a_dead_pid():
    """The id of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@posix_only
def test_the_next_save_removes_temporaries_of_dead_processes_only(tmp_path):
    path = saved(tmp_path)
    dead, alive = a_dead_pid(), os.getppid()
    stale = tmp_path / f".good.npz.{dead}.0123abcd.tmp"
    kept = [tmp_path / f".good.npz.{alive}.0123abcd.tmp",  # a save running in another process
            tmp_path / f".other.npz.{dead}.0123abcd.tmp",  # another target's
            tmp_path / f".good.npz.{dead}.tmp"]  # not a name save makes
    for temporary in (stale, *kept):
        temporary.write_bytes(b"half a file")

    every_layer_model(seed=2).save(path)

    assert not stale.exists()
    assert all(temporary.exists() for temporary in kept)


KILLED_SAVE = """
import sys, time
import numpy as np
import tinycnn as tc
from tinycnn.layers import Dense

def stuck_savez(file, **arrays):
    file.write(b"half a file")
    file.flush()
    print("writing", flush=True)
    time.sleep(600)

model = tc.Sequential([Dense(2, input_shape=(3,))], seed=0).build()
np.savez = stuck_savez
model.save(sys.argv[1])
"""


@posix_only
def test_a_killed_save_leaves_a_temporary_the_next_save_removes(tmp_path):
    path = saved(tmp_path)
    process = subprocess.Popen([sys.executable, "-c", KILLED_SAVE, str(path)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stuck = threading.Timer(300, process.kill)  # a child that never gets there fails the test
    stuck.start()
    try:
        line = process.stdout.readline()
        assert line == "writing\n", process.stderr.read()
    finally:
        stuck.cancel()
        process.kill()
        process.wait()
    assert len(os.listdir(tmp_path)) == 2  # the old file and the killed save's temporary

    every_layer_model(seed=3).save(path)

    assert os.listdir(tmp_path) == ["good.npz"]
    assert tc.load_model(path).seed == 3


def test_every_optimizer_says_which_state_slots_a_file_may_hold():
    from tinycnn.optimizers import OPTIMIZERS
    every_slot = {"sgd": {"momentum": 0.5}, "rmsprop": {"momentum": 0.5, "centered": True},
                  "adam": {"amsgrad": True}, "adamw": {"amsgrad": True}}
    for optimizer in OPTIMIZERS.values():  # the slots its steps make are the ones it declares
        model = tc.Sequential([Flatten(input_shape=(2, 2, 1)), Dense(2, activation="softmax")],
                              seed=0)
        model.compile(optimizer=optimizer(**every_slot.get(optimizer.name, {})))
        model.train_on_batch(np.ones((2, 2, 2, 1), np.float32), np.array([0, 1]))
        assert set(model.optimizer.state) == set(optimizer.slots), optimizer.name
