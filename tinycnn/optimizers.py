"""Optimizers: how a parameter moves given its gradient g.

SGD:   v = momentum * v - lr * g;   p += v                       (momentum = 0: p -= lr * g)
       Nesterov: p += momentum * v - lr * g  (looks one step ahead)
Adam:  m = b1 * m + (1 - b1) * g;   v = b2 * v + (1 - b2) * g^2
       p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
       (Keras's form: the bias corrections folded into the step size.)

``step(params, grads)`` takes the model's parameters as a list of dicts (one per layer, as
``layer.params``) and updates them in place. The state (velocities, moments) sits in
``self.state``, keyed like the parameters, so a saved model resumes training exactly.
"""

import numbers

import numpy as np

from tinycnn import schedules
from tinycnn.kernels import NUMBA
from tinycnn.layers.shapes import flag


def positive(value, what):
    """``value`` as a float > 0, or a ValueError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{what}: expected a number > 0, got {value!r}")
    return float(value)


def fraction(value, what):
    """``value`` as a float in [0, 1), or a ValueError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{what}: expected a number in [0, 1), got {value!r}")
    return float(value)


class Optimizer:
    """Base class. ``slots``: the names of the state arrays it keeps for each parameter."""

    slots = ()

    def __init__(self, learning_rate):
        if isinstance(learning_rate, dict):  # a schedule, as a model file describes it
            learning_rate = schedules.deserialize(learning_rate)
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            self.schedule, self._learning_rate = learning_rate, None
        else:
            self.schedule, self._learning_rate = None, positive(learning_rate, "learning_rate")
        self.iterations = 0
        self.state = {}
        self.kernels = NUMBA  # or tinycnn.kernels.NUMPY, the plain twins

    @property
    def learning_rate(self):
        """The rate of the next step: the number given, or the schedule's at ``iterations``.
        Setting it (as the learning-rate callbacks do) is refused when a schedule sets it."""
        if self.schedule is not None:
            return self.schedule(self.iterations)
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        if self.schedule is not None:
            raise TypeError(f"{type(self).__name__}: its learning rate comes from a schedule "
                            f"({type(self.schedule).__name__}); it cannot also be set")
        self._learning_rate = positive(value, "learning_rate")

    def _slot(self, name, key, like):
        """The state array called ``name`` for parameter ``key``, created as zeros on first use."""
        slots = self.state.setdefault(name, {})
        if key not in slots:
            slots[key] = np.zeros_like(like)
        return slots[key]

    def forget(self, prefix):
        """Drop the state of every parameter whose key starts with ``prefix`` ("3/" for the
        parameters of layer 3: a layer the model no longer has)."""
        for slots in self.state.values():
            for key in [key for key in slots if key.startswith(prefix)]:
                del slots[key]

    def step(self, params, grads, names=None):
        """params, grads: lists of dicts of arrays, one dict per layer, the same keys and
        shapes; names: the layers' names, for error messages. Updates params in place."""
        names = names or [f"layer {index}" for index in range(len(params))]
        # Every gradient is checked before any parameter moves, so a bad one changes nothing.
        for layer_params, layer_grads, name in zip(params, grads, names, strict=True):
            check_gradients(layer_params, layer_grads, name)
        self._rate = self.learning_rate  # the schedule's at the steps taken so far, as Keras
        self.iterations += 1
        for index, (layer_params, layer_grads) in enumerate(zip(params, grads, strict=True)):
            for key, p in layer_params.items():
                self._update(f"{index}/{key}", p, layer_grads[key])

    def get_config(self):
        rate = self._learning_rate if self.schedule is None else schedules.serialize(
            self.schedule)
        return {"name": self.name, "learning_rate": rate}


def check_gradients(params, grads, layer_name):
    """A clear error when a layer's backward left a gradient out or gave it the wrong shape
    (a wrong shape could otherwise broadcast and train silently wrong)."""
    for key, p in params.items():
        if key not in grads:
            raise KeyError(f"layer {layer_name!r}: backward() set no gradient grads[{key!r}] "
                           f"for its parameter {key!r}; it set {sorted(grads)}")
        if np.shape(grads[key]) != p.shape:
            raise ValueError(f"layer {layer_name!r}: the gradient grads[{key!r}] has shape "
                             f"{np.shape(grads[key])}, but the parameter has shape {p.shape}")


class SGD(Optimizer):
    """SGD(learning_rate=0.01, momentum=0.0, nesterov=False), Keras's defaults: plain gradient
    descent, or with a velocity ("velocity" slot) when momentum > 0 (module docstring)."""

    name = "sgd"
    slots = ("velocity",)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False):
        super().__init__(learning_rate)
        self.momentum = fraction(momentum, "SGD momentum")
        self.nesterov = flag(nesterov, "SGD nesterov")

    def _update(self, key, p, g):
        if self.momentum == 0:
            p -= self._rate * g
            return
        v = self._slot("velocity", key, p)
        v *= self.momentum
        v -= self._rate * g
        if self.nesterov:
            p += self.momentum * v - self._rate * g
        else:
            p += v

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam(learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7), Keras's defaults:
    moving averages of the gradient ("m") and of its square ("v") scale each step."""

    name = "adam"
    slots = ("m", "v")

    def __init__(self, learning_rate=1e-3, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        super().__init__(learning_rate)
        self.beta_1 = fraction(beta_1, "Adam beta_1")
        self.beta_2 = fraction(beta_2, "Adam beta_2")
        self.epsilon = positive(epsilon, "Adam epsilon")

    def step(self, params, grads, names=None):
        t = self.iterations + 1
        self._step_size = (self.learning_rate * np.sqrt(1 - self.beta_2**t)
                           / (1 - self.beta_1**t))
        super().step(params, grads, names)

    def _update(self, key, p, g):
        m = self._slot("m", key, p)
        v = self._slot("v", key, p)
        self.kernels.adam_update(p, g, m, v, self._step_size, self.beta_1, self.beta_2,
                                 self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


OPTIMIZERS = {cls.name: cls for cls in (SGD, Adam)}


def get_optimizer(optimizer):
    """An optimizer from its name ("sgd", "adam": default settings), or the object itself."""
    if isinstance(optimizer, str):
        if optimizer.lower() not in OPTIMIZERS:
            raise ValueError(
                f"compile: unknown optimizer {optimizer!r}: expected one of {sorted(OPTIMIZERS)}"
            )
        return OPTIMIZERS[optimizer.lower()]()
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"compile: optimizer must be a name or an Optimizer, got {optimizer!r}")
    return optimizer


def optimizer_from_config(config):
    config = dict(config)
    return OPTIMIZERS[config.pop("name")](**config)
