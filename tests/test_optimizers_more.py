"""RMSprop, Adagrad, Adamax, AdamW, Nadam and Adam's AMSGrad, and Keras's base options on every
optimizer (clipnorm, clipvalue, global_clipnorm, weight_decay) (issue 19, item 6).

tests/data/optimizers_parity.json holds what Keras 3.15.1 (TensorFlow 2.21 backend) did to a
few float32 arrays given the same gradients, step by step (tests/data/make_optimizers_parity.py
wrote it; these tests need no TensorFlow). Both sides compute in float32, so the arrays agree
to rounding, not bit for bit. Measured: within 2.4e-7 (one float32 step of the largest arrays'
values, which reach 2.5), except Adam's, within 7.2e-7: Keras works out the bias correction
1 - beta_2^t in float32, 1.3e-5 off at t = 1 for beta_2 = 0.999; tinycnn in float64 (with
it in float32 too, Adam's agree within 2.4e-7 as well).
"""

import json
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinycnn as tc
from tinycnn import optimizers
from tinycnn.kernels import NUMBA, NUMPY, get_kernels
from tinycnn.layers import Conv2D, Dense, Flatten
from tinycnn.optimizers import (
    SGD,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Nadam,
    RMSprop,
    get_optimizer,
    optimizer_from_config,
)
from tinycnn.saving.config import check_config
from tinycnn.saving.errors import ModelFileError
from tinycnn.schedules import ExponentialDecay

REFERENCE = json.loads((Path(__file__).parent / "data" / "optimizers_parity.json").read_text())
RTOL = 1e-5
ATOL = {"Adam": 1e-6, "AdamW": 1e-6}  # Keras's float32 bias correction (module docstring)
DEFAULT_ATOL = 3e-7
NAMES = ["sgd", "rmsprop", "adagrad", "adam", "adamw", "adamax", "nadam"]


def raises(exception, *fragments):
    """pytest.raises whose message must contain every fragment, literally and in order."""
    return pytest.raises(exception, match=".*".join(re.escape(f) for f in fragments))


def nest(arrays):
    """The reference's flat list of arrays as tinycnn's params: one dict per layer."""
    arrays = iter(arrays)
    return [{key: np.array(next(arrays), np.float32) for key in layer}
            for layer in REFERENCE["layout"]]


def flat(params):
    return [p for layer in params for p in layer.values()]


# ---- each optimizer and option moves the arrays as Keras's does ------------------------------
@pytest.mark.parametrize("kernels", ["numba", "numpy"])
@pytest.mark.parametrize("case", sorted(REFERENCE["cases"]))
def test_each_step_equals_keras(case, kernels):
    """The "<Optimizer>_defaults" cases hold tinycnn's defaults to Keras's too."""
    spec = REFERENCE["cases"][case]
    optimizer = getattr(optimizers, spec["optimizer"])(**spec["arguments"])
    optimizer.kernels = get_kernels(kernels)
    params = nest(REFERENCE["initial"])
    atol = ATOL.get(spec["optimizer"], DEFAULT_ATOL)
    for step, (grads, expected) in enumerate(
            zip(REFERENCE["grads"], spec["weights"], strict=True), start=1):
        optimizer.step(params, nest(grads))
        for index, (ours, theirs) in enumerate(zip(flat(params), expected, strict=True)):
            assert ours.dtype == np.float32
            np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=atol,
                                       err_msg=f"{case}, step {step}, array {index}")


@pytest.mark.parametrize("option", [{"clipnorm": 0.1}, {"clipvalue": 0.1},
                                    {"global_clipnorm": 0.1}], ids=lambda o: next(iter(o)))
def test_clipping_leaves_the_layers_gradients_alone(option):
    params, grads = nest(REFERENCE["initial"]), nest(REFERENCE["grads"][0])
    before = [g.copy() for g in flat(grads)]
    SGD(**option).step(params, grads)
    for g, g_before in zip(flat(grads), before, strict=True):
        np.testing.assert_array_equal(g, g_before)


def test_a_global_norm_that_is_not_finite_makes_the_step_nan_as_in_keras():
    params = [{"W": np.ones(3, np.float32)}]
    SGD(global_clipnorm=1.0).step(params, [{"W": np.array([np.inf, 1, 1], np.float32)}])
    assert np.isnan(params[0]["W"]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@given(shape=st.lists(st.integers(1, 6), min_size=1, max_size=4), seed=st.integers(0, 2**16))
def test_the_amsgrad_kernel_equals_its_twin(dtype, shape, seed):
    rng = np.random.default_rng(seed)
    fast = [rng.standard_normal(shape).astype(dtype), np.zeros(shape, dtype),
            np.zeros(shape, dtype), np.zeros(shape, dtype)]  # p, m, v, v_hat
    slow = [a.copy() for a in fast]
    for scale in (1.0, 0.1, 2.0):  # v_hat keeps the largest v: the 1.0 step's after the 0.1
        g = (scale * rng.standard_normal(shape)).astype(dtype)
        for kernels, (p, m, v, v_hat) in ((NUMBA, fast), (NUMPY, slow)):
            kernels.adam_update(p, g, m, v, 1e-2, 0.9, 0.999, 1e-7, v_hat)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    for name, a, b in zip(["p", "m", "v", "v_hat"], fast, slow, strict=True):
        assert a.dtype == dtype, name
        np.testing.assert_allclose(a, b, rtol=tolerance, atol=tolerance, err_msg=name)
    assert (fast[3] >= fast[2]).all()


# ---- in a model: by name, trained, saved with its slots, resumed -----------------------------
WITH_OPTIONS = {
    "sgd-momentum-weight_decay-clipvalue": lambda: SGD(0.05, momentum=0.9, weight_decay=0.01,
                                                       clipvalue=0.5),
    "rmsprop-centered-momentum-clipnorm": lambda: RMSprop(momentum=0.5, centered=True,
                                                          clipnorm=1.0),
    "adam-amsgrad-global_clipnorm-schedule": lambda: Adam(ExponentialDecay(0.01, 3, 0.5),
                                                          amsgrad=True, global_clipnorm=1.0),
    "nadam-weight_decay": lambda: Nadam(weight_decay=0.01),
}
TRAINED = {**{name: name for name in NAMES}, **WITH_OPTIONS}


def small_model(optimizer):
    model = tc.Sequential([Conv2D(2, 3, activation="relu", input_shape=(6, 6, 1)), Flatten(),
                           Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return model


def fresh(optimizer):
    """A new optimizer each time: a name as it is, or one built by its maker."""
    return optimizer if isinstance(optimizer, str) else optimizer()


@pytest.mark.parametrize("optimizer", TRAINED.values(), ids=TRAINED.keys())
def test_a_model_trains_and_resumes_from_its_file_as_if_never_stopped(optimizer, tiny_data,
                                                                      tmp_path):
    x, y = tiny_data
    uninterrupted = small_model(fresh(optimizer))
    loss_before = uninterrupted.evaluate(x, y)
    uninterrupted.fit(x, y, epochs=4, batch_size=16, verbose=0)
    assert uninterrupted.evaluate(x, y) < loss_before

    stopped = small_model(fresh(optimizer))
    stopped.fit(x, y, epochs=2, batch_size=16, verbose=0)
    stopped.save(tmp_path / "model.npz")
    resumed = tc.load_model(tmp_path / "model.npz")
    assert resumed.optimizer.get_config() == stopped.optimizer.get_config()
    resumed.fit(x, y, initial_epoch=2, epochs=4, batch_size=16, verbose=0)

    for ours, theirs in zip(resumed.get_weights(), uninterrupted.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert resumed.optimizer.iterations == uninterrupted.optimizer.iterations == 12
    assert resumed.optimizer.state.keys() == uninterrupted.optimizer.state.keys()
    for slot, arrays in uninterrupted.optimizer.state.items():
        for key, array in arrays.items():
            np.testing.assert_array_equal(resumed.optimizer.state[slot][key], array)


# Settings under which each optimizer keeps every slot it declares.
EVERY_SLOT = {"sgd": {"momentum": 0.5}, "rmsprop": {"momentum": 0.5, "centered": True},
              "adam": {"amsgrad": True}, "adamw": {"amsgrad": True}}


@pytest.mark.parametrize("name", NAMES)
def test_the_slots_an_optimizer_keeps_are_the_ones_it_declares(name, tiny_data):
    x, y = tiny_data
    optimizer = optimizers.OPTIMIZERS[name](**EVERY_SLOT.get(name, {}))
    small_model(optimizer).train_on_batch(x[:4], y[:4])
    assert set(optimizer.state) == set(optimizer.slots)


@pytest.mark.parametrize("optimizer, kept", [
    (RMSprop(), {"velocity"}), (RMSprop(centered=True), {"velocity", "average_gradient"}),
    (Adam(), {"m", "v"}), (SGD(), set())], ids=["rmsprop", "rmsprop-centered", "adam", "sgd"])
def test_slots_only_for_the_settings_that_use_them_as_keras(optimizer, kept):
    optimizer.step(nest(REFERENCE["initial"]), nest(REFERENCE["grads"][0]))
    assert set(optimizer.state) == kept


# ---- settings: config round trip, the model file, bad arguments ----------------------------
CONFIGURED = [
    SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    RMSprop(0.01, rho=0.8, momentum=0.5, epsilon=1e-6, centered=True, clipnorm=1.0),
    Adagrad(0.1, initial_accumulator_value=0.5, epsilon=1e-6, clipvalue=0.5),
    Adam(ExponentialDecay(0.01, 3, 0.5), amsgrad=True, global_clipnorm=2.0),
    AdamW(0.01, weight_decay=0.1, beta_1=0.8, amsgrad=True),
    Adamax(0.02, beta_1=0.8, beta_2=0.99, weight_decay=0.01),
    Nadam(0.01, beta_2=0.99, epsilon=1e-5, clipnorm=0.5),
]


@pytest.mark.parametrize("optimizer", CONFIGURED, ids=lambda o: o.name)
def test_get_config_round_trips_through_json(optimizer):
    config = json.loads(json.dumps(optimizer.get_config()))
    rebuilt = optimizer_from_config(config)
    assert type(rebuilt) is type(optimizer)
    assert rebuilt.get_config() == config


def test_options_appear_in_the_config_only_when_set():
    """So the file of a model that uses none reads in older tinycnn: Adam's and SGD's
    configs are what they were before the options."""
    assert Adam().get_config() == {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9,
                                   "beta_2": 0.999, "epsilon": 1e-7}
    assert SGD().get_config() == {"name": "sgd", "learning_rate": 0.01, "momentum": 0.0,
                                  "nesterov": False}
    assert AdamW().get_config()["weight_decay"] == 0.004
    assert SGD(clipnorm=1).get_config()["clipnorm"] == 1.0


@pytest.mark.parametrize("name", NAMES)
def test_get_optimizer_builds_each_by_name_with_keras_defaults(name):
    optimizer = get_optimizer(name.upper())
    assert type(optimizer) is optimizers.OPTIMIZERS[name] and optimizer.name == name
    assert optimizer.learning_rate == (0.01 if name == "sgd" else 0.001)


def saved_config(optimizer, tmp_path):
    """The model file's description of a small model compiled with ``optimizer``."""
    small_model(optimizer).save(tmp_path / "model.npz")
    with np.load(tmp_path / "model.npz") as archive:
        return json.loads(str(archive["tinycnn_model"]))


@pytest.mark.parametrize("change, fragment", [
    ({"clipnorm": -1.0}, "clipnorm"),
    ({"clipvalue": 0.5}, "only one of clipnorm, clipvalue and global_clipnorm"),
    ({"weight_decay": "0.1"}, "weight_decay"),
    ({"centered": 1}, "centered"),
    ({"beta_1": 0.9}, "beta_1"),
])
def test_a_model_file_with_bad_optimizer_settings_is_refused(change, fragment, tmp_path):
    config = saved_config(RMSprop(clipnorm=1.0), tmp_path)
    check_config(config, "model.npz")  # as saved: accepted
    config["compile"]["optimizer"].update(change)
    with raises(ModelFileError, "compile.optimizer", fragment):
        check_config(config, "model.npz")


@pytest.mark.parametrize("make, exception, fragments", [
    (lambda: RMSprop(rho=1.0), ValueError, ["RMSprop rho", "[0, 1)", "1.0"]),
    (lambda: RMSprop(momentum=-0.1), ValueError, ["RMSprop momentum", "-0.1"]),
    (lambda: RMSprop(epsilon=0), ValueError, ["RMSprop epsilon", "> 0"]),
    (lambda: RMSprop(centered="yes"), TypeError, ["RMSprop centered", "'yes'"]),
    (lambda: Adagrad(initial_accumulator_value=-1), ValueError,
     ["Adagrad initial_accumulator_value", ">= 0", "-1"]),
    (lambda: Adamax(beta_2=1.0), ValueError, ["Adamax beta_2", "1.0"]),
    (lambda: Nadam(beta_1="0.9"), ValueError, ["Nadam beta_1", "'0.9'"]),
    (lambda: AdamW(weight_decay=None), ValueError, ["AdamW weight_decay", "None", "Adam"]),
    (lambda: AdamW(beta_1=2), ValueError, ["AdamW beta_1", "2"]),
    (lambda: Adam(amsgrad="no"), TypeError, ["Adam amsgrad", "'no'"]),
    (lambda: Adam(weight_decay=-0.1), ValueError, ["Adam weight_decay", ">= 0", "-0.1"]),
    (lambda: SGD(clipnorm=0), ValueError, ["SGD clipnorm", "> 0", "0"]),
    (lambda: Nadam(clipvalue=-1), ValueError, ["Nadam clipvalue", "-1"]),
    (lambda: Adagrad(global_clipnorm="1"), ValueError, ["Adagrad global_clipnorm", "'1'"]),
    (lambda: SGD(clipnorm=1.0, global_clipnorm=1.0), ValueError,
     ["SGD: only one of clipnorm, clipvalue and global_clipnorm", "clipnorm=1.0",
      "global_clipnorm=1.0"]),
    (lambda: RMSprop(colour=1), TypeError,
     ["RMSprop: unknown argument(s) ['colour']", "it takes learning_rate, rho", "clipnorm"]),
    (lambda: Adam(use_ema=True, ema_momentum=0.9), TypeError,
     ["Adam: unknown argument(s) ['ema_momentum', 'use_ema']", "Keras's, not in tinycnn"]),
    (lambda: AdamW(decay=0.1), TypeError,
     ["AdamW: unknown argument(s) ['decay']", "learning_rate, weight_decay, beta_1"]),
    (lambda: get_optimizer("lion"), ValueError,
     ["unknown optimizer 'lion'", "'adagrad', 'adam', 'adamax', 'adamw', 'nadam', 'rmsprop'"]),
])
def test_bad_arguments_are_refused_by_name(make, exception, fragments):
    with raises(exception, *fragments):
        make()
