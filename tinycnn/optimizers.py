"""Optimizers: how a parameter p moves given its gradient g.

Keras's optimizers, arguments, defaults and update rules (keras.optimizers); each class's
docstring gives its rule in a few lines. One step, for every optimizer (``Optimizer.step``):

    g  = clip(g)                      clipnorm, clipvalue or global_clipnorm, when one is set
    lr = learning_rate(iterations)    a number, or a schedule's rate at the steps taken so far
    iterations += 1                   t, the step's number, counts from 1
    p -= p * weight_decay * lr        decoupled weight decay, when weight_decay is set
    p, slots = update(p, g, slots)    the optimizer's own rule

``step(params, grads)`` takes the model's parameters as a list of dicts (one per layer, as
``layer.params``) and updates them in place. The state (velocities, moments) sits in
``self.state[slot][key]``, keyed like the parameters, so a saved model resumes training
exactly. Adam runs on a fused Numba kernel (tinycnn/kernels/adam.py, beside its NumPy twin);
the others are a few NumPy lines each, their rules as written.
"""

import inspect
import math
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


def non_negative(value, what):
    """``value`` as a float >= 0, or a ValueError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value >= 0:
        raise ValueError(f"{what}: expected a number >= 0, got {value!r}")
    return float(value)


def optional(check, value, what):
    """None (the option is off), or ``value`` as ``check`` takes it."""
    return None if value is None else check(value, what)


# Keras's base-optimizer arguments tinycnn does not have: named when refused.
KERAS_ONLY = ("name", "use_ema", "ema_momentum", "ema_overwrite_frequency",
              "loss_scale_factor", "gradient_accumulation_steps")


class Optimizer:
    """Base class: the step every optimizer takes (module docstring) and the options of
    Keras's base optimizer, each None (off) by default:

        weight_decay     p -= p * weight_decay * lr before each update, on every parameter
                         the step moves (Keras's exclude_from_weight_decay is not in tinycnn)
        clipnorm         each gradient array scaled down to a norm of at most clipnorm
        clipvalue        each gradient element clipped to [-clipvalue, clipvalue]
        global_clipnorm  all the gradients scaled down together to a norm (over all of them)
                         of at most global_clipnorm
    At most one of the three clipping options, as Keras. ``slots``: the names of the state
    arrays it may keep for each parameter (which it keeps can depend on its settings).
    """

    slots = ()
    OPTIONS = ("weight_decay", "clipnorm", "clipvalue", "global_clipnorm")

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, **unknown):
        if unknown:
            raise TypeError(self._unknown_arguments(unknown))
        kind = type(self).__name__
        if isinstance(learning_rate, dict):  # a schedule, as a model file describes it
            learning_rate = schedules.deserialize(learning_rate)
        if isinstance(learning_rate, schedules.LearningRateSchedule):
            self.schedule, self._learning_rate = learning_rate, None
        else:
            self.schedule, self._learning_rate = None, positive(learning_rate, "learning_rate")
        self.weight_decay = optional(non_negative, weight_decay, f"{kind} weight_decay")
        self.clipnorm = optional(positive, clipnorm, f"{kind} clipnorm")
        self.clipvalue = optional(positive, clipvalue, f"{kind} clipvalue")
        self.global_clipnorm = optional(positive, global_clipnorm, f"{kind} global_clipnorm")
        if sum(value is not None for value in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(f"{kind}: only one of clipnorm, clipvalue and global_clipnorm can "
                             f"be set, got clipnorm={clipnorm!r}, clipvalue={clipvalue!r}, "
                             f"global_clipnorm={global_clipnorm!r}")
        self.iterations = 0
        self.state = {}
        self.kernels = NUMBA  # or tinycnn.kernels.NUMPY, the plain twins

    def _unknown_arguments(self, unknown):
        """The message for arguments this optimizer does not take: their names, and its own."""
        kind = type(self).__name__
        takes = [name for name in inspect.signature(type(self)).parameters
                 if name not in ("self", "options")]
        takes += [name for name in self.OPTIONS if name not in takes]
        keras_only = sorted(set(unknown) & set(KERAS_ONLY))
        note = f" ({', '.join(keras_only)}: Keras's, not in tinycnn)" if keras_only else ""
        return (f"{kind}: unknown argument(s) {sorted(unknown)}{note}; it takes "
                f"{', '.join(takes)}")

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

    def _slot(self, name, key, like, fill=0.0):
        """The state array called ``name`` for parameter ``key``, created on first use as an
        array like ``like`` holding ``fill`` (zeros, unless the optimizer starts elsewhere)."""
        slots = self.state.setdefault(name, {})
        if key not in slots:
            slots[key] = np.full_like(like, fill)
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
        grads = self._clip(grads)
        self._rate = self.learning_rate  # the schedule's at the steps taken so far, as Keras
        self.iterations += 1
        self._begin_step(self.iterations)
        for index, (layer_params, layer_grads) in enumerate(zip(params, grads, strict=True)):
            for key, p in layer_params.items():
                if self.weight_decay is not None:
                    p -= p * self.weight_decay * self._rate  # decoupled: not through g
                self._update(f"{index}/{key}", p, layer_grads[key])

    def _begin_step(self, t):
        """Work out what step t's updates share (Adam's bias corrections); nothing here."""

    def _clip(self, grads):
        """The gradients clipped as Keras's base optimizer clips them, in new arrays (the
        layers' own are left alone); ``grads`` itself when no clipping option is set."""
        if self.clipnorm is not None:
            return [{key: g * (self.clipnorm / max(norm([g]), self.clipnorm))
                     for key, g in layer_grads.items()} for layer_grads in grads]
        if self.clipvalue is not None:
            return [{key: np.clip(g, -self.clipvalue, self.clipvalue)
                     for key, g in layer_grads.items()} for layer_grads in grads]
        if self.global_clipnorm is not None:
            total = norm([g for layer_grads in grads for g in layer_grads.values()])
            # An inf or nan norm makes every gradient nan, as in Keras: the step fails visibly.
            scale = (self.global_clipnorm / max(total, self.global_clipnorm)
                     if math.isfinite(total) else math.nan)
            return [{key: g * scale for key, g in layer_grads.items()}
                    for layer_grads in grads]
        return grads

    def get_config(self):
        rate = self._learning_rate if self.schedule is None else schedules.serialize(
            self.schedule)
        # The options only when set, so that the file of a model that uses none of them
        # loads in a tinycnn from before they existed.
        options = {name: getattr(self, name) for name in self.OPTIONS
                   if getattr(self, name) is not None}
        return {"name": self.name, "learning_rate": rate, **options}


def norm(arrays):
    """The Euclidean norm of all the elements of ``arrays`` together (a float)."""
    return math.sqrt(sum(float(np.sum(np.square(array))) for array in arrays))


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
    descent, or with a velocity ("velocity" slot) when momentum > 0.

        v = momentum * v - lr * g;   p += v                 (momentum = 0: p -= lr * g)
        Nesterov: p += momentum * v - lr * g  (looks one step ahead)
    """

    name = "sgd"
    slots = ("velocity",)

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **options):
        super().__init__(learning_rate, **options)
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


class RMSprop(Optimizer):
    """RMSprop(learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    each step divided by a running root mean square of the gradient.

        v = rho * v + (1 - rho) * g^2                           "velocity"
        centered:  a = rho * a + (1 - rho) * g                  "average_gradient"
                   step = lr * g / sqrt(v - a^2 + eps)          (a variance: g's spread)
        otherwise: step = lr * g / sqrt(v + eps)
        momentum > 0:  s = momentum * s + step;  p -= s         "momentum"
        otherwise:     p -= step
    """

    name = "rmsprop"
    slots = ("velocity", "average_gradient", "momentum")

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **options):
        super().__init__(learning_rate, **options)
        self.rho = fraction(rho, "RMSprop rho")
        self.momentum = fraction(momentum, "RMSprop momentum")
        self.epsilon = positive(epsilon, "RMSprop epsilon")
        self.centered = flag(centered, "RMSprop centered")

    def _update(self, key, p, g):
        v = self._slot("velocity", key, p)
        v *= self.rho
        v += (1 - self.rho) * np.square(g)
        if self.centered:
            a = self._slot("average_gradient", key, p)
            a *= self.rho
            a += (1 - self.rho) * g
            step = self._rate * g / np.sqrt(v - np.square(a) + self.epsilon)
        else:
            step = self._rate * g / np.sqrt(v + self.epsilon)
        if self.momentum > 0:
            s = self._slot("momentum", key, p)
            s *= self.momentum
            s += step
            p -= s
        else:
            p -= step

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}


class Adagrad(Optimizer):
    """Adagrad(learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7): each
    parameter's steps shrink as its squared gradients add up.

        acc = acc + g^2                       "accumulator", from initial_accumulator_value
        p  -= lr * g / sqrt(acc + eps)
    """

    name = "adagrad"
    slots = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **options):
        super().__init__(learning_rate, **options)
        self.initial_accumulator_value = non_negative(
            initial_accumulator_value, "Adagrad initial_accumulator_value")
        self.epsilon = positive(epsilon, "Adagrad epsilon")

    def _update(self, key, p, g):
        acc = self._slot("accumulator", key, p, fill=self.initial_accumulator_value)
        acc += np.square(g)
        p -= self._rate * g / np.sqrt(acc + self.epsilon)

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


class Adam(Optimizer):
    """Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False),
    Keras's defaults: moving averages of the gradient and of its square scale each step.

        m = b1 * m + (1 - b1) * g;   v = b2 * v + (1 - b2) * g^2          "m", "v"
        amsgrad:  v_hat = max(v_hat, v), used in place of v               "v_hat"
        p -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)
    (Keras's form: the bias corrections folded into the step size.)
    """

    name = "adam"
    slots = ("m", "v", "v_hat")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **options):
        super().__init__(learning_rate, **options)
        kind = type(self).__name__
        self.beta_1 = fraction(beta_1, f"{kind} beta_1")
        self.beta_2 = fraction(beta_2, f"{kind} beta_2")
        self.epsilon = positive(epsilon, f"{kind} epsilon")
        self.amsgrad = flag(amsgrad, f"{kind} amsgrad")

    def _begin_step(self, t):
        self._step_size = self._rate * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)

    def _update(self, key, p, g):
        m = self._slot("m", key, p)
        v = self._slot("v", key, p)
        v_hat = self._slot("v_hat", key, p) if self.amsgrad else None
        self.kernels.adam_update(p, g, m, v, self._step_size, self.beta_1, self.beta_2,
                                 self.epsilon, v_hat)

    def get_config(self):
        config = {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                  "epsilon": self.epsilon}
        if self.amsgrad:  # only when on: files that do not use it load in older tinycnn
            config["amsgrad"] = True
        return config


class AdamW(Adam):
    """AdamW(learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
    amsgrad=False): Adam with decoupled weight decay (Loshchilov and Hutter), on by default.

        p -= p * weight_decay * lr;   then Adam's step, from the gradient alone
    """

    name = "adamw"

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **options):
        if weight_decay is None:
            raise ValueError("AdamW weight_decay: expected a number >= 0, got None (for no "
                             "weight decay, use Adam)")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **options)


class Adamax(Optimizer):
    """Adamax(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7): Adam with the
    infinity norm: a decaying maximum of |g| in place of the root mean square.

        m = b1 * m + (1 - b1) * g                                         "m"
        u = max(b2 * u, |g|)                                              "u"
        p -= lr / (1 - b1^t) * m / (u + eps)
    """

    name = "adamax"
    slots = ("m", "u")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **options):
        super().__init__(learning_rate, **options)
        self.beta_1 = fraction(beta_1, "Adamax beta_1")
        self.beta_2 = fraction(beta_2, "Adamax beta_2")
        self.epsilon = positive(epsilon, "Adamax epsilon")

    def _begin_step(self, t):
        self._bias_correction = 1 - self.beta_1**t

    def _update(self, key, p, g):
        m = self._slot("m", key, p)
        u = self._slot("u", key, p)
        m += (1 - self.beta_1) * (g - m)
        np.maximum(self.beta_2 * u, np.abs(g), out=u)
        p -= self._rate * m / (self._bias_correction * (u + self.epsilon))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class Nadam(Optimizer):
    """Nadam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7): Adam with Nesterov
    momentum (Dozat 2016), its momentum warming up over the first steps as mu_t:

        mu_t = b1 * (1 - 0.5 * 0.96^t);   P_t = mu_1 * mu_2 * ... * mu_t
        m = b1 * m + (1 - b1) * g;   v = b2 * v + (1 - b2) * g^2          "m", "v"
        m_hat = mu_(t+1) * m / (1 - P_(t+1)) + (1 - mu_t) * g / (1 - P_t)
        p -= lr * m_hat / (sqrt(v / (1 - b2^t)) + eps)
    """

    name = "nadam"
    slots = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **options):
        super().__init__(learning_rate, **options)
        self.beta_1 = fraction(beta_1, "Nadam beta_1")
        self.beta_2 = fraction(beta_2, "Nadam beta_2")
        self.epsilon = positive(epsilon, "Nadam epsilon")
        self._product = (0, 1.0)  # (t, P_t), carried from step to step

    def _mu(self, t):
        return self.beta_1 * (1 - 0.5 * 0.96**t)

    def _begin_step(self, t):
        # Keras keeps P_t as a variable; here it follows from t, carried from the last step
        # and worked out again, in the same order, when iterations was set (a loaded model).
        known, product = self._product
        if known != t - 1:
            known, product = 0, 1.0
        for s in range(known + 1, t + 1):
            product *= self._mu(s)
        self._product = (t, product)
        mu, mu_next = self._mu(t), self._mu(t + 1)
        self._m_weight = mu_next / (1 - product * mu_next)
        self._g_weight = (1 - mu) / (1 - product)
        self._v_correction = 1 - self.beta_2**t

    def _update(self, key, p, g):
        m = self._slot("m", key, p)
        v = self._slot("v", key, p)
        m += (1 - self.beta_1) * (g - m)
        v += (1 - self.beta_2) * (np.square(g) - v)
        m_hat = self._m_weight * m + self._g_weight * g
        p -= self._rate * m_hat / (np.sqrt(v / self._v_correction) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


OPTIMIZERS = {cls.name: cls for cls in (SGD, RMSprop, Adagrad, Adam, AdamW, Adamax, Nadam)}


def get_optimizer(optimizer):
    """An optimizer from its name ("sgd", "rmsprop", "adagrad", "adam", "adamw", "adamax",
    "nadam": default settings), or the object itself."""
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
