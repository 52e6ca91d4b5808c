"""Damaged and hostile model files: each gives ModelFileError naming the file, and nothing runs.

A model file is the door through which other people's bytes come in. Every file here is made
by hand with zipfile and numpy.lib.format: a damaged zip directory, a config of wrong types,
arrays that are not what the config says, and files that ask for far more memory than they
hold (a zip bomb; huge shapes in a tiny file), which must be refused before the memory is
taken (measured with tracemalloc, which sees NumPy's allocations).
"""

import copy
import io
import json
import tracemalloc
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy

import tinycnn as tc
from tinycnn.layers import BatchNormalization, Conv2D, Dense, Flatten

MB = 2**20


def small_model():
    """Conv2D, BatchNormalization, Flatten, Dense: params and state; compiled, one Adam step
    taken, so the file holds optimizer state too."""
    model = tc.Sequential([Conv2D(2, 3, input_shape=(5, 5, 1)), BatchNormalization(), Flatten(),
                           Dense(3, activation="softmax")], name="small", seed=0)
    model.compile(optimizer="adam", metrics=["accuracy"])
    x = np.random.default_rng(0).random((4, 5, 5, 1)).astype(np.float32)
    model.fit(x, np.array([0, 1, 2, 0]), epochs=1, batch_size=4, verbose=0)
    return model


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """(config, {member: array}) of a good file written by save."""
    path = tmp_path_factory.mktemp("good") / "good.npz"
    small_model().save(path)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    return json.loads(str(arrays.pop("tinycnn_model"))), arrays


@pytest.fixture(scope="module")
def good_v1(good):
    """The same as a version 1 file (what tinycnn wrote before): the loader before these
    checks read these, so a test on them shows what it did with the same damage."""
    return as_version_1(good[0]), good[1]


def as_version_1(config):
    """``config`` without the keys version 2 added."""
    config = copy.deepcopy(config)
    config["version"] = 1
    config.pop("dtype", None)
    config.pop("training", None)
    specs = list(config["layers"])
    while specs:
        spec = specs.pop()
        spec.pop("trainable", None)
        specs.extend(spec["config"].get("layers", []))
    return config


def npy_header(descr, shape):
    """The .npy header (version 1.0) of an array of dtype ``descr`` and ``shape``."""
    buffer = io.BytesIO()
    npy.write_array_header_1_0(buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def write_model_file(path, config, arrays, config_text=None):
    """A model file made by hand: each member an .npy file, stored as tinycnn stores them."""
    text = json.dumps(config) if config_text is None else config_text
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, value in {"tinycnn_model": np.array(text), **arrays}.items():
            with archive.open(name + ".npy", "w") as member:
                npy.write_array(member, np.asanyarray(value), allow_pickle=True)
    return path


def refused(path, *patterns, load=tc.load_model):
    """load(path) raises ModelFileError naming the file and matching every pattern."""
    with pytest.raises(tc.ModelFileError) as error:
        load(path)
    message = str(error.value)
    assert path.name in message
    for pattern in patterns:
        assert pattern in message, message
    return message


def test_the_good_file_loads(tmp_path, good):
    """The baseline every hostile file below is made from."""
    config, arrays = good
    model = tc.load_model(write_model_file(tmp_path / "same.npz", config, arrays))
    np.testing.assert_array_equal(model.get_weights()[0], arrays["params/0/W"])


# ---- the zip archive ---------------------------------------------------------------------
def patched(path, edit):
    """The file at ``path`` with ``edit(bytearray)`` applied to its bytes."""
    content = bytearray(path.read_bytes())
    edit(content)
    path.write_bytes(bytes(content))
    return path


def member_headers(path, name):
    """Offsets of member ``name``'s local header and of its central directory entry."""
    with zipfile.ZipFile(path) as archive:
        central = archive.start_dir
        for info in archive.infolist():
            if info.filename == name:
                return info.header_offset, central
            central += 46 + len(info.filename.encode()) + len(info.extra) + len(info.comment)
    raise KeyError(name)


@pytest.mark.parametrize("method", [99, zipfile.ZIP_BZIP2])
def test_a_member_compressed_by_an_unsupported_or_any_method(tmp_path, good, method):
    """Before these checks: NotImplementedError (99) escaped from zipfile."""
    path = write_model_file(tmp_path / "method.npz", *good)
    local, central = member_headers(path, "params/0/W.npy")

    def claim_method(content):
        content[local + 8:local + 10] = method.to_bytes(2, "little")
        content[central + 10:central + 12] = method.to_bytes(2, "little")

    refused(patched(path, claim_method), "params/0/W.npy", "compressed")


def test_an_encrypted_member(tmp_path, good):
    """Before these checks: RuntimeError ("password required") escaped from zipfile."""
    path = write_model_file(tmp_path / "locked.npz", *good)
    local, central = member_headers(path, "params/0/W.npy")

    def set_encrypted_flag(content):
        content[local + 6] |= 1
        content[central + 8] |= 1

    refused(patched(path, set_encrypted_flag), "encrypted")


def test_a_corrupt_central_directory(tmp_path, good):
    path = write_model_file(tmp_path / "directory.npz", *good)
    _, central = member_headers(path, "params/0/W.npy")

    def break_directory(content):
        content[central:central + 4] = b"PK\x09\x09"  # the entry's signature

    refused(patched(path, break_directory), "not a readable tinycnn model file")


def test_a_bad_crc(tmp_path, good):
    path = write_model_file(tmp_path / "crc.npz", *good)
    local, _ = member_headers(path, "params/0/W.npy")

    def flip_a_weight_bit(content):
        data = content.index(npy.MAGIC_PREFIX, local) + 128
        content[data + 2] ^= 0x40

    refused(patched(path, flip_a_weight_bit), "CRC")


@pytest.mark.parametrize("version", [1, 2])
@pytest.mark.parametrize("member", ["evil", "params/9/W", "optimizer/m/9/W", "state/0/W"])
def test_a_member_the_format_does_not_know_is_refused_unread(tmp_path, good, good_v1, member,
                                                             version):
    """Before these checks any extra member was read, and then ignored."""
    config, arrays = good_v1 if version == 1 else good
    path = write_model_file(tmp_path / "extra.npz", config, {**arrays, member: np.zeros(3)})
    refused(path, "does not have", member)


def test_a_member_that_is_not_npy_or_named_twice(tmp_path, good):
    path = write_model_file(tmp_path / "text.npz", *good)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("notes.txt", "hello")
    refused(path, "notes.txt", "not a .npy")

    path = write_model_file(tmp_path / "twice.npz", *good)
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(path, "a") as archive:
        archive.writestr("params/0/W.npy", b"")
    refused(path, "a member twice")


def test_a_zip_bomb_member_is_refused_before_it_is_decompressed(tmp_path, good):
    """A 64 MB params member deflated to ~64 KB (np.load would inflate all of it)."""
    config, arrays = good
    path = write_model_file(tmp_path / "bomb.npz", config,
                            {k: v for k, v in arrays.items() if k != "params/0/W"})
    header = npy_header("<f4", (16 * MB,))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("params/0/W.npy", "w", force_zip64=True) as member:
            member.write(header)
            for _ in range(64):
                member.write(bytes(MB))
    assert path.stat().st_size < MB

    for load in (tc.load_model, small_model().load_weights):
        peak, message = peak_memory_of_a_refusal(path, load)
        assert peak < 8 * MB, f"{peak / MB:.0f} MB to refuse a {path.stat().st_size} byte file"
        assert "compressed" in message


def peak_memory_of_a_refusal(path, load):
    """(peak bytes allocated, message) while ``load(path)`` raises ModelFileError."""
    tracemalloc.start()
    try:
        message = refused(path, load=load)
        return tracemalloc.get_traced_memory()[1], message
    finally:
        tracemalloc.stop()


# ---- sizes the config asks for -----------------------------------------------------------
def dense_model_file(path, input_size, units):
    """The file of Dense(units) -> Dense(3), its config edited to ``input_size`` inputs and
    ``units`` units: a tiny file describing a model as large as one likes."""
    model = tc.Sequential([Dense(4, input_shape=(4,)), Dense(3, activation="softmax")], seed=0)
    model.save(path)
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    config = json.loads(str(arrays.pop("tinycnn_model")))
    config["input_shape"] = [input_size]
    config["layers"][0]["config"]["units"] = units
    return write_model_file(path, as_version_1(config), arrays)  # the old loader read it


def test_huge_shapes_in_a_tiny_file_are_refused_before_the_weights_are_drawn(tmp_path):
    """A 2 KB file describing a 4096 x 4096 Dense layer, whose 16.8 million random weights
    (~200 MB) load_model drew before it compared any shape, before these checks."""
    path = dense_model_file(tmp_path / "huge.npz", 4096, 4096)
    assert path.stat().st_size < 4096
    peak, message = peak_memory_of_a_refusal(path, tc.load_model)
    assert peak < 8 * MB, f"{peak / MB:.0f} MB to refuse a {path.stat().st_size} byte file"
    assert "larger model than the file holds" in message and "layer 0 (Dense" in message


@pytest.mark.parametrize("input_size, units", [(10**12, 4), (4, 10**12), (3 * 10**10, 2)],
                         ids=["input", "units", "flat"])
def test_an_axis_longer_than_any_file_can_describe(tmp_path, input_size, units):
    path = dense_model_file(tmp_path / "long.npz", input_size, units)
    refused(path, "an axis longer than")


# ---- the config --------------------------------------------------------------------------
def setting(*keys, value=None, delete=False):
    """A change to the config: config[k1][k2]... = value (or deleted)."""
    def change(config):
        target = config
        for key in keys[:-1]:
            target = target[key]
        if delete:
            del target[keys[-1]]
        else:
            target[keys[-1]] = value
    return change


DENSE = ("layers", 3, "config")
OPTIMIZER = ("compile", "optimizer")
RNG = ("training", "rng")
CONFIG_CHANGES = {
    # layer arguments, checked by the layers' own constructors
    "units 'x'": (setting(*DENSE, "units", value="x"), "layer 3 (Dense 'dense')"),
    "units [3]": (setting(*DENSE, "units", value=[3]), "layer 3 (Dense 'dense')"),
    "units 2.5": (setting(*DENSE, "units", value=2.5), "Dense units"),
    "units true": (setting(*DENSE, "units", value=True), "Dense units"),
    "units -1": (setting(*DENSE, "units", value=-1), "Dense units"),
    "activation 5": (setting(*DENSE, "activation", value=5), "unknown activation"),
    "kernel_size 'x'": (setting("layers", 0, "config", "kernel_size", value="x"),
                        "layer 0 (Conv2D"),
    "padding [1]": (setting("layers", 0, "config", "padding", value=[1]), "Conv2D padding"),
    "momentum 'x'": (setting("layers", 1, "config", "momentum", value="x"), "momentum"),
    "unknown argument": (setting(*DENSE, "colour", value="red"), "colour"),
    "missing argument": (setting(*DENSE, "units", delete=True), "units"),
    "layer name 5": (setting(*DENSE, "name", value=5), "layers[3].config.name"),
    "layer input_shape": (setting("layers", 0, "config", "input_shape", value=[10**6] * 3),
                          "layers[0].config.input_shape"),
    "layer class 5": (setting("layers", 3, "class", value=5), "layers[3].class"),
    "layer class unknown": (setting("layers", 3, "class", value="Nope"), "unknown layer class"),
    "layer config []": (setting("layers", 3, "config", value=[]), "layers[3].config"),
    "trainable 'yes'": (setting("layers", 3, "trainable", value="yes"), "trainable"),
    "trainable missing": (setting("layers", 3, "trainable", delete=True), "trainable"),
    "layer spec extra key": (setting("layers", 3, "code", value="x"), "unknown keys"),
    "layers empty": (setting("layers", value=[]), "layers"),
    "layers 'x'": (setting("layers", value="x"), "layers"),
    "conv on a flat input": (setting("input_shape", value=[25]), "cannot take input"),
    # the model
    "name 5": (setting("name", value=5), "name"),
    "seed -1": (setting("seed", value=-1), "seed"),
    "seed 'x'": (setting("seed", value="x"), "seed"),
    "input_shape 'x'": (setting("input_shape", value="x"), "input_shape"),
    "input_shape []": (setting("input_shape", value=[]), "input_shape"),
    "input_shape [0]": (setting("input_shape", value=[5, 0, 1]), "input_shape[1]"),
    "input_shape 2.5": (setting("input_shape", value=[5, 2.5, 1]), "input_shape[1]"),
    "dtype 'object'": (setting("dtype", value="object"), "dtype"),
    "dtype 'int32'": (setting("dtype", value="int32"), "dtype"),
    "dtype missing": (setting("dtype", delete=True), "missing ['dtype']"),
    "extra key": (setting("code", value="import os"), "unknown keys"),
    "format": (setting("format", value="other"), "not a tinycnn model description"),
    "version 99": (setting("version", value=99), "version 99"),
    "version '2'": (setting("version", value="2"), "version '2'"),
    # compile: loss, metrics, optimizer and its state
    "iterations 'x'": (setting("compile", "iterations", value="x"), "compile.iterations"),
    "iterations -1": (setting("compile", "iterations", value=-1), "compile.iterations"),
    "iterations 1.5": (setting("compile", "iterations", value=1.5), "compile.iterations"),
    "iterations true": (setting("compile", "iterations", value=True), "compile.iterations"),
    "iterations 2**64": (setting("compile", "iterations", value=2**64), "compile.iterations"),
    "iterations missing": (setting("compile", "iterations", delete=True), "missing"),
    "compile 'adam'": (setting("compile", value="adam"), "compile"),
    "optimizer 'lion'": (setting(*OPTIMIZER, "name", value="lion"), "optimizer.name"),
    "learning_rate -1": (setting(*OPTIMIZER, "learning_rate", value=-1.0), "learning_rate"),
    "learning_rate '0.1'": (setting(*OPTIMIZER, "learning_rate", value="0.1"),
                            "learning_rate"),
    "beta_1 5": (setting(*OPTIMIZER, "beta_1", value=5.0), "beta_1"),
    "epsilon 0": (setting(*OPTIMIZER, "epsilon", value=0.0), "epsilon"),
    "optimizer extra key": (setting(*OPTIMIZER, "colour", value=1.0), "optimizer"),
    "optimizer []": (setting(*OPTIMIZER, value=[]), "optimizer"),
    "loss 'mse'": (setting("compile", "loss", "name", value="mse"), "loss.name"),
    "from_logits 'yes'": (setting("compile", "loss", "from_logits", value="yes"),
                          "from_logits"),
    "loss 5": (setting("compile", "loss", value=5), "loss"),
    "metrics 'accuracy'": (setting("compile", "metrics", value="accuracy"), "metrics"),
    "metrics ['precision']": (setting("compile", "metrics", value=["precision"]), "metrics[0]"),
    # the training stream and the epochs
    "training missing": (setting("training", delete=True), "missing ['training']"),
    "epochs_trained -1": (setting("training", "epochs_trained", value=-1), "epochs_trained"),
    "epochs_trained 'x'": (setting("training", "epochs_trained", value="x"), "epochs_trained"),
    "rng MT19937": (setting(*RNG, "bit_generator", value="MT19937"), "bit_generator"),
    "rng state 'x'": (setting(*RNG, "state", "state", value="x"), "rng.state.state"),
    "rng state -1": (setting(*RNG, "state", "state", value=-1), "rng.state.state"),
    "rng state 2**128": (setting(*RNG, "state", "state", value=2**128), "rng.state.state"),
    "rng inc even": (setting(*RNG, "state", "inc", value=2), "odd"),
    "rng has_uint32 2": (setting(*RNG, "has_uint32", value=2), "has_uint32"),
    "rng uinteger 2**32": (setting(*RNG, "uinteger", value=2**32), "uinteger"),
    "rng extra key": (setting(*RNG, "seed", value=1), "unknown keys"),
    "rng []": (setting(*RNG, value=[]), "training.rng"),
}


@pytest.mark.parametrize("change", CONFIG_CHANGES, ids=list(CONFIG_CHANGES))
def test_a_config_of_wrong_types_or_values(tmp_path, good, change):
    edit, expected = CONFIG_CHANGES[change]
    config, arrays = good
    config = copy.deepcopy(config)
    edit(config)
    refused(write_model_file(tmp_path / "config.npz", config, arrays), expected)


VERSION_1_CHANGES = ["units 'x'", "units [3]", "kernel_size 'x'", "layer name 5", "layer class 5",
                     "unknown argument", "iterations 'x'", "iterations -1", "learning_rate '0.1'",
                     "beta_1 5", "from_logits 'yes'", "optimizer 'lion'", "input_shape 'x'"]


@pytest.mark.parametrize("change", VERSION_1_CHANGES)
def test_a_version_1_config_of_wrong_types_or_values(tmp_path, good_v1, change):
    """The same changes to a version 1 file: before these checks some escaped as
    ValueError, TypeError or KeyError, and some loaded (beta_1 5, from_logits 'yes',
    iterations -1)."""
    edit, expected = CONFIG_CHANGES[change]
    config, arrays = good_v1
    config = copy.deepcopy(config)
    edit(config)
    refused(write_model_file(tmp_path / "config.npz", config, arrays), expected)


@pytest.mark.parametrize("text, expected", [
    ('{"format": "tinycnn-model", "version": 2, "seed": NaN}', "NaN"),
    ('{"format": "tinycnn-model", "version": 2, "seed": 1e999}', "1e999"),
    ('{"format": "tinycnn-model", "version": 2, "seed": ' + "9" * 5000 + "}", "damaged"),
    ('{"format": "tinycnn-model", "version": [2]}', "version [2]"),
    ('"tinycnn-model"', "not a tinycnn model description"),
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
    ('{"format": "tinycnn-model", "x": ' + "[" * 100 + "]" * 100 + "}", "nested more than"),
    ('["tinycnn-model"]', "not a tinycnn model description"),
    ("{not json", "damaged"),
], ids=["NaN", "1e999", "a 5000-digit int", "version [2]", "a string",
        "JSON nested 100000 deep", "JSON nested 100 deep", "a list", "not JSON"])
def test_config_text_json_cannot_read_or_should_not(tmp_path, good, text, expected):
    """Before these checks RecursionError escaped for deep nesting, and NaN was a number."""
    _, arrays = good
    refused(write_model_file(tmp_path / "text.npz", None, arrays, config_text=text), expected)


def test_a_config_member_that_is_not_text(tmp_path, good):
    _, arrays = good
    path = tmp_path / "numbers.npz"
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("tinycnn_model.npy", "w") as member:
            npy.write_array(member, np.arange(3))
    refused(path, "not text")

    bad_utf32 = npy_header("<U1", ()) + b"\xff\xff\xff\xff"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("tinycnn_model.npy", bad_utf32)
    refused(path, "not a readable tinycnn model file")


def test_models_used_as_layers_nested_too_deep(tmp_path):
    """Nine models, each the only layer of the next."""
    model = tc.Sequential([Dense(2, input_shape=(2,))], seed=0).build()
    for _ in range(9):
        model = tc.Sequential([model], seed=0).build()
    model.save(tmp_path / "deep.npz")
    refused(tmp_path / "deep.npz", "nest more than 8 deep")


# ---- the arrays --------------------------------------------------------------------------
class RunsCode:
    """An object whose unpickling would call ``_ran`` (it must never be unpickled)."""

    def __reduce__(self):
        return (_ran, ())


RAN = []


def _ran():
    RAN.append(True)
    return 0


@pytest.mark.parametrize("value, expected", [
    (np.ones((3, 3, 1, 2), np.int32), "int32"),
    (np.ones((3, 3, 1, 2), np.complex64), "complex64"),
    (np.ones((3, 3, 1, 2), np.bool_), "bool"),
    (np.ones((3, 3, 1, 2), np.float64), "float64"),
    (np.ones((3, 3, 1, 2), np.float16), "float16"),
    (np.ones((3, 3, 1, 2), ">f4"), ">f4"),
    (np.zeros((3, 3, 1, 2), [("a", "<f4")]), "[('a', '<f4')]"),
    (np.array([RunsCode()] * 18, object).reshape(3, 3, 1, 2), "object"),
    (np.ones((3, 3, 2, 1), np.float32), "shape (3, 3, 2, 1)"),
    (np.ones((10**4,), np.float32), "claims 40,128 bytes"),
    (np.asfortranarray(np.ones((3, 3, 1, 2), np.float32)), "Fortran order"),
], ids=["int32", "complex64", "bool", "float64", "float16", "big-endian", "structured",
        "object", "transposed", "larger", "fortran"])
def test_weights_not_of_the_models_dtype_or_shape(tmp_path, good, value, expected):
    config, arrays = good
    path = write_model_file(tmp_path / "weights.npz", config, {**arrays, "params/0/W": value})
    refused(path, "params/0/W", expected)
    refused(path, "params/0/W", expected, load=small_model().load_weights)
    assert not RAN


@pytest.mark.parametrize("dtype", [np.int32, np.complex64, np.bool_, np.float16])
def test_version_1_weights_that_are_not_float32_or_float64(tmp_path, good_v1, dtype):
    """Before these checks they were cast into the float32 model without a word."""
    config, arrays = good_v1
    value = np.ones((3, 3, 1, 2), dtype)
    path = write_model_file(tmp_path / "weights.npz", config, {**arrays, "params/0/W": value})
    refused(path, "params/0/W", np.dtype(dtype).name)


@pytest.mark.parametrize("name, value, expected", [
    ("optimizer/m/0/W", np.ones(1, np.float32), "shape (1,)"),
    ("optimizer/m/0/W", np.ones((3, 3, 1, 2), np.int64), "int64"),
    ("optimizer/velocity/0/W", np.ones((3, 3, 1, 2), np.float32), "does not have"),
    ("optimizer/m/0/Q", np.ones((3, 3, 1, 2), np.float32), "does not have"),
    ("optimizer/m/2/W", np.ones((3, 3, 1, 2), np.float32), "does not have"),
], ids=["shape", "dtype", "slot of another optimizer", "unknown key", "layer without W"])
def test_optimizer_state_of_any_shape_or_key(tmp_path, good, name, value, expected):
    config, arrays = good
    path = write_model_file(tmp_path / "state.npz", config, {**arrays, name: value})
    refused(path, expected)


def test_a_missing_array(tmp_path, good):
    config, arrays = good
    arrays = {k: v for k, v in arrays.items() if k != "state/1/moving_mean"}
    refused(write_model_file(tmp_path / "missing.npz", config, arrays), "has no")


def test_data_shorter_or_longer_than_its_header_says(tmp_path, good):
    config, arrays = good
    path = write_model_file(tmp_path / "short.npz", config,
                            {k: v for k, v in arrays.items() if k != "params/3/b"})
    for data, expected in ((b"\0" * 8, "holds 8 bytes"), (b"\0" * 64, "holds 64 bytes")):
        header = npy_header("<f4", (3,))
        copy_path = tmp_path / "short-copy.npz"
        copy_path.write_bytes(path.read_bytes())
        with zipfile.ZipFile(copy_path, "a") as archive:
            archive.writestr("params/3/b.npy", header + data)
        refused(copy_path, "params/3/b", expected)
