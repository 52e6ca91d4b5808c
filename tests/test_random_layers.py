"""Randomness handed to the layers (tinycnn/layers/base.py): Dropout, SpatialDropout2D and the
augmentation layers draw from ``random_stream()``, their own generator when made with seed=,
else the ``rng`` the network hands every layer (Network.set_rng).

- check_layer rewinds the generator a layer really draws from: a real gradient check passes on
  each seeded layer, and fails once the wrong one is rewound (``rng``: how it was before);
- the check-up of a model of seeded layers runs clean, and its backward check fails the same
  way when the wrong generator is rewound;
- set_rng reaches the layers of models used as layers; a seeded layer keeps its own draws;
- untouched() puts back the generator a seeded layer draws from;
- seeded runs repeat bit for bit; SpatialDropout2D(seed=) is Dropout's, over whole channels.
"""

import numpy as np
import pytest
from helpers import column_task

import tinycnn as tc
from tinycnn.explain import checkup
from tinycnn.explain.backward_check import TOLERANCE, check_backward
from tinycnn.explain.untouched import untouched
from tinycnn.gradcheck import check_layer
from tinycnn.layers import Conv2D, Dense, Dropout, Flatten, Layer
from tinycnn.layers.random_flip import RandomFlip
from tinycnn.layers.random_rotation import RandomRotation
from tinycnn.layers.spatial_dropout2d import SpatialDropout2D
from tinycnn.network import NestedNetwork

# A seeded layer of each kind, made fresh by each test, and the shape of a batch it takes.
SEEDED = {
    "Dropout": (lambda: Dropout(0.5, seed=1), (4, 6)),
    "SpatialDropout2D": (lambda: SpatialDropout2D(0.5, seed=2), (2, 4, 4, 3)),
    "RandomRotation": (lambda: RandomRotation(0.1, seed=3), (2, 5, 6, 1)),
}


def batch(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


def seeded_model():
    """A small CNN with a seeded layer of each kind (compiled)."""
    model = tc.Sequential([
        RandomRotation(0.05, seed=3, input_shape=(8, 8, 1)),
        Conv2D(8, 3, activation="relu"),
        SpatialDropout2D(0.2, seed=2),
        Flatten(),
        Dense(16, activation="relu"),
        Dropout(0.2, seed=1),
        Dense(3, activation="softmax"),
    ], seed=0)
    model.compile(optimizer="adam")
    return model


def rewind_rng_instead(monkeypatch):
    """Bring back the old mistake for one test: whoever saves and restores a layer's draws
    (random_streams) takes its ``rng``, not the generator a seeded layer draws from."""
    monkeypatch.setattr(Layer, "random_streams",
                        lambda layer: [layer.rng] if layer.draws_random else [])


def drawn_streams(model):
    return [layer.random_stream() for layer in model.layers
            if layer.random_stream() is not None]


# ---- check_layer ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", SEEDED)
def test_check_layer_passes_on_a_seeded_layer(name):
    make, shape = SEEDED[name]
    layer = make()
    errors = check_layer(layer, batch(shape))
    assert errors["x"] < 1e-6, errors
    assert layer.random_stream() is layer.generator  # its own, not the rng build handed it
    assert layer.generator is not layer.rng


@pytest.mark.parametrize("name", SEEDED)
def test_check_layer_fails_when_it_rewinds_the_wrong_generator(name, monkeypatch):
    rewind_rng_instead(monkeypatch)
    make, shape = SEEDED[name]
    errors = check_layer(make(), batch(shape))
    assert errors["x"] > 0.1, errors  # each forward drew new masks or angles


def test_check_layer_rewinds_every_stream_of_a_model_used_as_a_layer():
    """Two streams inside: the inner model's (the unseeded SpatialDropout2D's) and the seeded
    Dropout's own."""
    inner = tc.Sequential([SpatialDropout2D(0.5, input_shape=(4, 4, 3)), Flatten(), Dense(5),
                           Dropout(0.5, seed=1)], seed=0, dtype="float64")
    layer = NestedNetwork(inner)
    assert len(layer.random_streams()) == 2
    errors = check_layer(layer, batch((2, 4, 4, 3)))
    assert max(errors.values()) < 1e-6, errors


# ---- the check-up ---------------------------------------------------------------------------
def test_the_check_up_of_a_seeded_model_runs_clean():
    x, y = column_task()
    result = checkup(seeded_model(), x, y, print_fn=None)
    assert result.ok, str(result)


def test_the_backward_check_fails_when_it_rewinds_the_wrong_generator(monkeypatch):
    x, y = column_task(count=8)
    targets = np.eye(3)[y]
    worst, mismatch = check_backward(seeded_model(), x, targets)
    assert mismatch is None and worst < TOLERANCE
    rewind_rng_instead(monkeypatch)
    _, mismatch = check_backward(seeded_model(), x, targets)
    assert mismatch is not None


# ---- handing the stream out -----------------------------------------------------------------
def test_set_rng_reaches_the_layers_of_models_used_as_layers():
    inner = tc.Sequential([RandomFlip(input_shape=(6, 6, 1)), Flatten(), Dropout(0.5),
                           Dropout(0.5, seed=4)], seed=1)
    middle = tc.Sequential([inner], seed=2)
    model = tc.Sequential([middle, Dense(3, activation="softmax")], seed=0)
    stream = np.random.default_rng(5)
    model.set_rng(stream)
    flip, flatten, unseeded, seeded = inner.layers
    assert all(layer.rng is stream for layer in [*model.layers, *middle.layers, *inner.layers])
    assert flip.random_stream() is stream and unseeded.random_stream() is stream
    assert seeded.random_stream() is seeded.generator  # seed=: its own, whatever it is handed
    assert flatten.random_stream() is None  # draws nothing
    assert model.layers[0].random_stream() is None  # the wrapper draws nothing itself


@pytest.mark.parametrize("name", SEEDED)
def test_a_seeded_layer_draws_the_same_whatever_stream_it_is_handed(name):
    make, shape = SEEDED[name]
    x = batch(shape)
    outputs = []
    for handed in (1, 2):
        layer = make().build(shape[1:], np.random.default_rng(handed), np.float64)
        layer.set_rng(np.random.default_rng(handed + 10))
        outputs.append(layer.forward(x, training=True))
    np.testing.assert_array_equal(outputs[0], outputs[1])


def test_untouched_puts_back_the_generator_a_seeded_layer_draws_from():
    model = seeded_model()
    x = column_task(count=4)[0]
    streams = drawn_streams(model)
    assert len(streams) == 3 and all(stream is not model.training_rng for stream in streams)
    before = [stream.bit_generator.state for stream in streams]
    with untouched(model):
        model.forward(x, training=True)
        assert [stream.bit_generator.state for stream in streams] != before  # they drew
    assert [stream.bit_generator.state for stream in streams] == before


# ---- seeded runs ----------------------------------------------------------------------------
def random_model(nested):
    """Seeded and unseeded random layers; with ``nested``, the first four are a model of their
    own used as a layer."""
    front = [RandomRotation(0.1, seed=3, input_shape=(8, 8, 1)), RandomFlip(),
             Conv2D(4, 3, activation="relu"), SpatialDropout2D(0.3, seed=2)]
    if nested:
        front = [tc.Sequential(front, seed=7)]
    return tc.Sequential([*front, SpatialDropout2D(0.3), Flatten(), Dense(8, activation="relu"),
                          Dropout(0.3), Dense(3, activation="softmax")], seed=1)


@pytest.mark.parametrize("nested", [False, True], ids=["stacked", "nested"])
def test_seeded_runs_repeat_bit_for_bit(nested):
    x, y = column_task(count=32)

    def run():
        model = random_model(nested)
        model.compile(optimizer="adam")
        history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        return history.history, model.get_weights()

    (history, weights), (again_history, again_weights) = run(), run()
    assert history == again_history
    for first, second in zip(weights, again_weights, strict=True):
        np.testing.assert_array_equal(first, second)


def test_spatial_dropout_with_a_seed_is_dropout_over_whole_channels():
    x = np.ones((4, 3, 3, 5))
    spatial = SpatialDropout2D(0.4, seed=6)
    whole_channels = Dropout(0.4, noise_shape=(None, 1, 1, None), seed=6)
    np.testing.assert_array_equal(spatial.forward(x, training=True),
                                  whole_channels.forward(x, training=True))
    config = spatial.get_config()
    assert config == {"name": None, "rate": 0.4, "seed": 6, "data_format": "channels_last"}
    assert repr(spatial) == "SpatialDropout2D(name=None, rate=0.4, seed=6)"
    copy = SpatialDropout2D(**config)
    np.testing.assert_array_equal(copy.forward(x, training=True),
                                  SpatialDropout2D(0.4, seed=6).forward(x, training=True))
