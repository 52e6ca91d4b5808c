"""Saving and loading functional models (keras.Model(inputs, outputs)).

The file holds the graph (which layer each step calls, on which values) and the InputLayer,
and loading rebuilds the same graph: a Model that predicts bit-identically, keeps its
trainable flags, compiled state and optimizer state (one more epoch after loading equals one
more epoch without saving), with a shared layer still one layer and a model used as a layer
still inside. Sequentials are still written as format version 2, and files saved before
functional models existed still load. A hostile graph description raises ModelFileError
naming what is wrong, before any model is built. (Sequential round trips: test_saving.py;
hostile files in general: test_model_file_hostile.py.)
"""

import copy
import json
from pathlib import Path

import numpy as np
import pytest
from test_model_file_hostile import setting

import tinycnn as tc
from tinycnn import keras
from tinycnn.keras import layers
from tinycnn.network import NestedNetwork
from tinycnn.optimizers import SGD

DATA = Path(__file__).parent / "data"


# ---- models, data and what a round trip must keep ----------------------------------------
def residual_model(seed=0):
    """A residual block, a Dense shared by two poolings, Concatenate and Dropout; one layer
    frozen; compiled with Adam. Its steps (value 0 is the input, step k gives value k+1):
    RESIDUAL_STEPS."""
    inputs = keras.Input(shape=(8, 8, 3), name="image")
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    y = layers.BatchNormalization()(layers.Conv2D(4, 3, padding="same")(x))
    z = layers.Activation("relu")(layers.Add()([x, y]))
    shared = layers.Dense(5, activation="relu", name="shared")
    a = shared(layers.GlobalAveragePooling2D()(z))
    b = shared(layers.GlobalMaxPooling2D()(z))
    merged = layers.Dropout(0.25)(layers.Concatenate()([a, b]))
    outputs = layers.Dense(3, activation="softmax")(merged)
    model = keras.Model(inputs, outputs, name="residual", seed=seed)
    model.get_layer("conv2d_1").trainable = False
    model.compile(optimizer="adam", metrics=["accuracy"])
    return model


# (layer index in model.layers, the values it reads); layers[0] is the InputLayer "image"
RESIDUAL_STEPS = [
    (1, [0]),      # step 0   conv2d                    -> value 1
    (2, [1]),      # step 1   conv2d_1 (frozen)         -> value 2
    (3, [2]),      # step 2   batch_normalization       -> value 3
    (4, [1, 3]),   # step 3   add: conv2d + batch_norm  -> value 4
    (5, [4]),      # step 4   activation                -> value 5
    (6, [5]),      # step 5   global_average_pooling2d  -> value 6
    (7, [5]),      # step 6   global_max_pooling2d      -> value 7
    (8, [6]),      # step 7   shared                    -> value 8
    (8, [7]),      # step 8   shared, again             -> value 9
    (9, [8, 9]),   # step 9   concatenate               -> value 10
    (10, [10]),    # step 10  dropout                   -> value 11
    (11, [11]),    # step 11  dense (softmax), the output: value 12
]


def model_with_a_sequential_inside(seed=0):
    """Conv2D and pooling, then a Sequential (its first layer frozen) as the last layer;
    compiled with SGD and momentum."""
    head = keras.Sequential([layers.Dense(6, activation="relu", input_shape=(4,)),
                             layers.Dense(3, activation="softmax")], name="head", seed=seed)
    head.layers[0].trainable = False
    inputs = keras.Input(shape=(8, 8, 3))
    features = layers.GlobalAveragePooling2D()(layers.Conv2D(4, 3, activation="relu")(inputs))
    model = keras.Model(inputs, head(features), name="with_head", seed=seed)
    model.compile(optimizer=SGD(0.05, momentum=0.9), metrics=["accuracy"])
    return model


def sequential_with_a_graph_inside():
    """A Sequential whose middle layer is a functional model (a residual Dense block)."""
    block_input = keras.Input(shape=(4,))
    block_output = layers.Add()([layers.Dense(4)(block_input), block_input])
    block = keras.Model(block_input, block_output, name="block", seed=1)
    return keras.Sequential([layers.Flatten(input_shape=(2, 2)), block,
                             layers.Dense(2, activation="softmax")], seed=0)


@pytest.fixture
def data():
    """(x, y): 24 random 8x8 RGB images (N, 8, 8, 3) float32 and labels in [0, 3)."""
    rng = np.random.default_rng(5)
    return rng.random((24, 8, 8, 3)).astype(np.float32), rng.integers(0, 3, size=24)


def save_and_load(model, tmp_path, load=tc.load_model):
    path = tmp_path / f"{model.name}.npz"
    model.save(path)
    return load(path)


def saved_file(path):
    """(config, {member: array}) of the model file at ``path``."""
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    return json.loads(str(arrays.pop("tinycnn_model"))), arrays


def graph_of(model):
    """[(layer index, values read)] for each step the engine runs, as RESIDUAL_STEPS."""
    index = {id(layer): i for i, layer in enumerate(model.layers)}
    return [(index[id(step.layer)], list(step.inputs)) for step in model.steps]


def assert_same_model(original, loaded):
    """The same class, graph, layers (configs and trainable flags), weights and compiled
    state, down to every bit of every array."""
    assert type(loaded) is type(original)
    assert (loaded.name, loaded.seed, loaded.dtype) == (original.name, original.seed,
                                                         original.dtype)
    assert graph_of(loaded) == graph_of(original)
    assert [layer.get_config() for layer in loaded.layers] == [
        layer.get_config() for layer in original.layers]
    assert [layer.trainable for layer in loaded.layers] == [
        layer.trainable for layer in original.layers]
    assert_same_arrays(loaded.get_weights(), original.get_weights())
    assert loaded.epochs_trained == original.epochs_trained
    if original.loss is not None:
        assert loaded.loss.get_config() == original.loss.get_config()
        assert loaded.metrics == original.metrics
        assert loaded.optimizer.get_config() == original.optimizer.get_config()
        assert loaded.optimizer.iterations == original.optimizer.iterations
        assert loaded.optimizer.state.keys() == original.optimizer.state.keys()
        for slot, values in original.optimizer.state.items():
            assert loaded.optimizer.state[slot].keys() == values.keys()
            assert_same_arrays([loaded.optimizer.state[slot][key] for key in values],
                               list(values.values()))


def assert_same_arrays(actual, expected):
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
        assert a.dtype == e.dtype, i
        np.testing.assert_array_equal(a, e, err_msg=f"array {i}")


def assert_resumes_identically(original, loaded, x, y):
    """One more epoch of each, from their own training streams (shuffling and dropout), gives
    the same history and the same weights: saving and loading changed nothing."""
    after_original = original.fit(x, y, epochs=1, batch_size=8, verbose=0)
    after_loaded = loaded.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert after_loaded.history == after_original.history
    assert_same_arrays(loaded.get_weights(), original.get_weights())


# ---- round trips -------------------------------------------------------------------------
def test_the_file_holds_the_graph_the_input_layer_and_a_shared_layer_once(tmp_path):
    model = residual_model()
    model.save(tmp_path / "residual.npz")
    config, arrays = saved_file(tmp_path / "residual.npz")

    assert config["version"] == 3 and config["name"] == "residual" and config["seed"] == 0
    assert config["graph"] == {"steps": [{"layer": index, "inputs": inputs}
                                         for index, inputs in RESIDUAL_STEPS], "output": 12}
    assert graph_of(model) == RESIDUAL_STEPS
    assert config["layers"][0] == {
        "class": "InputLayer", "config": {"name": "image", "shape": [8, 8, 3],
                                          "dtype": "float32"}, "trainable": True}
    params = {name for name in arrays if name.startswith("params/")}
    assert params == {f"params/{i}/{key}" for i, layer in enumerate(model.layers)
                      for key in layer.params}
    assert {"params/8/W", "params/8/b"} <= params  # the shared Dense: stored once


def test_a_functional_model_round_trips_and_resumes_training_identically(data, tmp_path):
    x, y = data
    model = residual_model()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)

    loaded = save_and_load(model, tmp_path, load=keras.models.load_model)

    assert type(loaded) is tc.Model
    assert_same_model(model, loaded)
    assert not loaded.get_layer("conv2d_1").trainable
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert_resumes_identically(model, loaded, x, y)


def test_a_shared_layer_is_still_one_layer_called_by_two_steps(tmp_path):
    model = residual_model()
    loaded = save_and_load(model, tmp_path)
    shared = loaded.get_layer("shared")

    callers = [k for k, step in enumerate(loaded.steps) if step.layer is shared]

    assert callers == [7, 8] and all(loaded.steps[k].shared for k in callers)
    assert [layer is shared for layer in loaded.layers].count(True) == 1
    assert loaded.count_params() == model.count_params()  # its weights counted once


def test_a_sequential_used_as_a_layer_of_a_graph_round_trips(data, tmp_path):
    x, y = data
    model = model_with_a_sequential_inside()
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)

    loaded = save_and_load(model, tmp_path)

    assert_same_model(model, loaded)
    head = loaded.layers[-1]
    assert isinstance(head, NestedNetwork) and head.name == "head"
    assert [layer.get_config() for layer in head.network.layers] == [
        layer.get_config() for layer in model.layers[-1].network.layers]
    assert [layer.trainable for layer in head.network.layers] == [False, True]
    assert np.array_equal(loaded.predict(x), model.predict(x))
    assert_resumes_identically(model, loaded, x, y)


def test_a_graph_used_as_a_layer_of_a_sequential_round_trips(tmp_path):
    model = sequential_with_a_graph_inside()
    model.save(tmp_path / "outer.npz")
    config, _ = saved_file(tmp_path / "outer.npz")
    loaded = tc.load_model(tmp_path / "outer.npz")

    assert config["version"] == 3 and config["graph"] is None  # the outer model is a stack
    assert config["layers"][1]["config"]["graph"] == {
        "steps": [{"layer": 1, "inputs": [0]}, {"layer": 2, "inputs": [1, 0]}], "output": 2}
    assert type(loaded) is tc.Sequential
    assert graph_of(loaded.layers[1].network) == graph_of(model.layers[1].network)
    x = np.random.default_rng(2).random((5, 2, 2)).astype(np.float32)
    assert np.array_equal(loaded.predict(x), model.predict(x))


def test_a_float64_graph_comes_back_float64(tmp_path):
    inputs = keras.Input(shape=(3,), dtype="float64")
    model = keras.Model(inputs, layers.Dense(2, activation="softmax")(inputs), seed=0)

    loaded = save_and_load(model, tmp_path)

    assert loaded.dtype == np.float64 and loaded.layers[0].dtype == np.float64
    assert_same_model(model, loaded)


def test_load_weights_into_a_functional_model_of_the_same_graph(data, tmp_path):
    x, _ = data
    source, target = residual_model(seed=1), residual_model(seed=2)
    source.save(tmp_path / "source.npz")
    assert not np.array_equal(target.predict(x), source.predict(x))

    target.load_weights(tmp_path / "source.npz")

    assert np.array_equal(target.predict(x), source.predict(x))


# ---- the format's older versions ---------------------------------------------------------
def test_a_sequential_is_still_written_as_version_2_without_graph_keys(tmp_path):
    """Only a model with a graph needs version 3: tinycnn from before functional models still
    reads the Sequentials saved now."""
    inner = keras.Sequential([layers.Dense(2, input_shape=(3,))], name="inner", seed=0)
    model = keras.Sequential([inner, layers.Dense(2, activation="softmax")], seed=0)
    model.save(tmp_path / "stack.npz")

    config, _ = saved_file(tmp_path / "stack.npz")

    assert config["version"] == 2
    assert "graph" not in config and "graph" not in config["layers"][0]["config"]


def test_a_file_saved_before_functional_models_still_loads():
    """tests/data/sequential_v2.npz was saved by tinycnn at commit 6a2cfb5 (format version 2):
    Sequential([Conv2D(2, 3, input_shape=(4, 4, 1)), BatchNormalization(), Flatten(),
    Sequential([Dense(4, relu)]) (a model used as a layer), Dense(3, softmax)], seed=0),
    compiled with Adam and fit one epoch of two batches; sequential_v2_predictions.npz holds
    the images it was given and what it predicted for them then."""
    path = DATA / "sequential_v2.npz"
    config, arrays = saved_file(path)
    loaded = tc.load_model(path)

    assert config["version"] == 2 and type(loaded) is tc.Sequential
    assert isinstance(loaded.layers[3], NestedNetwork)
    assert_same_arrays([loaded.layers[0].params["W"], loaded.layers[3].params["0/W"]],
                       [arrays["params/0/W"], arrays["params/3/0/W"]])
    assert loaded.optimizer.iterations == 2
    with np.load(DATA / "sequential_v2_predictions.npz") as saved:
        # the same weights; another CPU may round the last bit differently
        np.testing.assert_allclose(loaded.predict(saved["x"]), saved["probs"], rtol=1e-6)


# ---- hostile graph descriptions ----------------------------------------------------------
@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """(config, {member: array}) of residual_model() saved: each hostile file is this one with
    its config edited."""
    path = tmp_path_factory.mktemp("good") / "good.npz"
    residual_model().save(path)
    return saved_file(path)


def edited_file(path, good, edit):
    """The good file with ``edit(config)`` applied to a copy of its config (np.savez stores
    members as tinycnn's save does)."""
    config, arrays = copy.deepcopy(good[0]), good[1]
    edit(config)
    np.savez(path, tinycnn_model=np.array(json.dumps(config)), **arrays)
    return path


def refused(path, *phrases):
    """load_model(path) raises ModelFileError naming the file and holding every phrase."""
    with pytest.raises(tc.ModelFileError) as error:
        tc.load_model(path)
    message = str(error.value)
    assert path.name in message
    for phrase in phrases:
        assert phrase in message, message


def step(k, **changes):
    """An edit of graph.steps[k]: step(3, inputs=[3]) makes step 3 read value 3 only."""
    def edit(config):
        config["graph"]["steps"][k].update(changes)
    return edit


def without_the_input_layer(config):
    """layers[0] removed, each step's layer index moved down to its layer's new place."""
    del config["layers"][0]
    for each in config["graph"]["steps"]:
        each["layer"] -= 1


def pooling_layers_swapped(config):
    """The two pooling layers listed in each other's place (steps still call the same ones):
    the same graph, but not model.layers' order."""
    specs = config["layers"]
    specs[6], specs[7] = specs[7], specs[6]
    for each in config["graph"]["steps"]:
        each["layer"] = {6: 7, 7: 6}.get(each["layer"], each["layer"])


def pooling_steps_swapped(config):
    """Steps 5 and 6 (the poolings, both reading value 5) run in each other's place, the steps
    after them reading the values where they now are: the same graph, in another order."""
    steps = config["graph"]["steps"]
    steps[5], steps[6] = steps[6], steps[5]
    for each in steps[7:]:
        each["inputs"] = [{6: 7, 7: 6}.get(value, value) for value in each["inputs"]]


HOSTILE_GRAPHS = {
    "a step reads a value not computed yet": (
        step(1, inputs=[5]), "graph.steps[1].inputs[0]", "value 5 is not computed before step 1"),
    "a step reads its own output (a cycle)": (
        step(4, inputs=[5]), "graph.steps[4].inputs[0]", "would make a cycle"),
    "a step reads value -1": (step(4, inputs=[-1]), "graph.steps[4].inputs[0]"),
    "a step reads nothing": (step(4, inputs=[]), "graph.steps[4].inputs", "non-empty list"),
    "a layer index out of range": (
        step(0, layer=12), "graph.steps[0].layer", "a layer index in [1, 12)"),
    "a step calls the InputLayer": (
        step(0, layer=0), "graph.steps[0].layer", "the InputLayer, is called by no step"),
    "a layer index that is a string": (step(0, layer="1"), "graph.steps[0].layer"),
    "a Dense called on two values": (
        step(7, inputs=[6, 7]), "step 7 (values [6, 7])", "Dense 'shared'", "takes one input"),
    "an Add called on one value": (
        step(3, inputs=[3]), "Add 'add'", "on 1 value", "takes a list of 2 or more inputs"),
    "the output is not the last step": (
        setting("graph", "output", value=5), "graph.output", "the last step's value, 12"),
    "the output is missing": (setting("graph", "output", delete=True), "missing ['output']"),
    "no InputLayer spec": (
        without_the_input_layer, "layers[0]", "must be its InputLayer", "got class 'Conv2D'"),
    "an InputLayer spec without its shape": (
        setting("layers", 0, "config", "shape", delete=True), "layers[0].config",
        "missing ['shape']"),
    "an InputLayer of another shape": (
        setting("layers", 0, "config", "shape", value=[8, 8, 1]), "layers[0].config.shape",
        "expected the input_shape [8, 8, 3]"),
    "an InputLayer of dtype int32": (
        setting("layers", 0, "config", "dtype", value="int32"), "layers[0].config.dtype"),
    "an InputLayer in the middle": (
        setting("layers", 5, "class", value="InputLayer"), "layers[5].class",
        "can only be layers[0]"),
    "a layer no step calls": (
        step(4, layer=3), "layers[5]", "'activation' (Activation) is called by no step"),
    "a step whose output nobody reads": (
        step(8, inputs=[6]), "graph.steps[6]", "(value 7) is read by no later step"),
    "the layers out of keras.Model's order": (
        pooling_layers_swapped, "layers[6]", "the layers are out of order"),
    "the steps out of keras.Model's order": (
        pooling_steps_swapped, "graph.steps[5]", "the steps are out of order"),
    "two layers of one name": (
        setting("layers", 2, "config", "name", value="conv2d"), "layers[2].config.name",
        "'conv2d' is the name of layers[1] too"),
    "no graph in version 3": (setting("graph", delete=True), "missing ['graph']"),
    "a graph in version 2": (setting("version", value=2), "unknown keys ['graph']"),
    "a graph that is a list": (setting("graph", value=[]), "graph: expected an object"),
    "no steps": (setting("graph", "steps", value=[]), "graph.steps", "non-empty list"),
    "a step with a key the format does not know": (
        step(0, code="import os"), "graph.steps[0]", "unknown keys ['code']"),
}


@pytest.mark.parametrize("case", HOSTILE_GRAPHS, ids=list(HOSTILE_GRAPHS))
def test_a_hostile_graph_description(tmp_path, good, case):
    edit, *phrases = HOSTILE_GRAPHS[case]
    refused(edited_file(tmp_path / "hostile.npz", good, edit), *phrases)


def test_a_shared_layer_called_on_inputs_of_two_shapes(tmp_path):
    """Dense(4) called twice, on the input (4,) and on its own output; the file edited to
    Dense(3), whose output (3,) its second call cannot take with the first call's weights."""
    inputs = keras.Input(shape=(4,))
    dense = layers.Dense(4)
    model = keras.Model(inputs, dense(dense(inputs)), seed=0)
    model.save(tmp_path / "twice.npz")
    good = saved_file(tmp_path / "twice.npz")

    path = edited_file(tmp_path / "hostile.npz", good,
                       setting("layers", 1, "config", "units", value=3))

    refused(path, "step 1 calls layer 1 on inputs of shape (3,)", "step 0 called it on (4,)")


def test_a_hostile_graph_inside_a_model_used_as_a_layer(tmp_path):
    sequential_with_a_graph_inside().save(tmp_path / "outer.npz")
    good = saved_file(tmp_path / "outer.npz")
    inner_steps = ("layers", 1, "config", "graph", "steps")

    path = edited_file(tmp_path / "hostile.npz", good, setting(*inner_steps, 1, "inputs",
                                                               value=[2, 0]))

    refused(path, "layers[1].config.graph.steps[1].inputs[0]", "not computed before step 1")


def test_a_chain_of_steps_too_deep_to_order(tmp_path, good):
    """3000 Activation layers one after another: keras.Model could not order them (it walks
    the graph recursively), and neither can the check; a ModelFileError, not a
    RecursionError."""
    depth = 3000
    relu = [{"class": "Activation", "config": {"name": f"relu_{i}", "activation": "relu"},
             "trainable": True} for i in range(depth)]

    def deep_chain(config):
        config["layers"] = config["layers"][:1] + relu
        config["graph"] = {"steps": [{"layer": i + 1, "inputs": [i]} for i in range(depth)],
                           "output": depth}

    path = edited_file(tmp_path / "deep.npz", (good[0], {}), deep_chain)
    refused(path, "graph.steps", "chain too deep")
