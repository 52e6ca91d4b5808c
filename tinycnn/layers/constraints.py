"""Weight constraints (``keras.constraints``): after every optimizer step, a parameter W is
projected back into a set of allowed values, as Keras does right after it updates a variable.

Keras 3.15.1's formulas, with eps = 1e-7 (``keras.backend.epsilon()``) and the norms taken over
``axis`` (an int or a list of ints), one norm per slice, kept as an axis of size 1:
    norms = sqrt(sum over axis of W^2)
    MaxNorm(max_value=2, axis=0)     W * clip(norms, 0, max_value) / (eps + norms)
    NonNeg()                         max(W, 0)
    UnitNorm(axis=0)                 W / (eps + norms)
    MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0)
                                     desired = rate * clip(norms, min_value, max_value)
                                               + (1 - rate) * norms
                                     W * desired / (eps + norms)
eps keeps a zero slice at zero (0 / eps) instead of NaN; it also means a slice already inside
MaxNorm's ball shrinks by norms / (eps + norms), a factor of 1 - 1e-7 for a norm of 1, every
step, exactly as in Keras. axis=0 on a Dense kernel W (D, U) takes one norm per unit (its D
incoming weights); for a conv kernel (KH, KW, C_in, F) Keras suggests axis=[0, 1, 2], one norm
per filter (Keras's default, axis=0, takes one per (kx, c, f) column of KH values).

A layer given ``kernel_constraint=`` (``bias_constraint=``, ``depthwise_constraint=``, ...)
keeps it in ``layer.constraints``, keyed like its params ({"W": MaxNorm(...)});
``layer.apply_constraints()`` (tinycnn/layers/base.py) projects those params in place, and the
training step calls it for every layer after the optimizer's step. As in Keras, only the params
the optimizer moved are projected (not a frozen layer's), and neither the initial weights nor
those set with set_weights are.

Names as Keras's: the classes, their snake_case aliases (``max_norm`` is ``MaxNorm``),
``get``, which takes a name, a class, a constraint or its config, ``serialize`` and
``deserialize``. Shapes: W any; norms: W's shape
with a 1 on each axis of ``axis``.
"""

import numbers

import numpy as np

EPSILON = 1e-7  # keras.backend.epsilon()


class Constraint:
    """Base class, as Keras's: ``constraint(W)`` returns the projected W (a new array of W's
    shape and dtype; this one returns W unchanged). Subclass it, override ``__call__`` and
    ``get_config``, for a constraint of your own."""

    def __call__(self, W):
        return W

    def check(self, shape, what):
        """Refuse a parameter of ``shape`` this constraint cannot project (a ValueError naming
        ``what``); a layer checks its constraints when it is built."""

    def get_config(self):
        """The constructor's arguments (JSON values)."""
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class NormConstraint(Constraint):
    """What MaxNorm, UnitNorm and MinMaxNorm share: the slices' norms over ``axis``."""

    def __init__(self, axis=0):
        self.axis = _axis(axis, f"{type(self).__name__} axis")

    def norms(self, W):
        """sqrt(sum of W^2 over axis), the axes kept with size 1: W's dtype."""
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        return np.sqrt(np.sum(np.square(W), axis=axis, keepdims=True))

    def rescaled(self, W, desired, norms):
        """W * desired / (eps + norms), in W's dtype."""
        return W * (desired / (W.dtype.type(EPSILON) + norms))

    def check(self, shape, what):
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        if any(not -len(shape) <= axis < len(shape) for axis in axes):
            raise ValueError(f"{what}: {self!r} takes norms over axis {self.axis}, but the "
                             f"weight has shape {shape} ({len(shape)} axes)")
        if len({axis % len(shape) for axis in axes}) < len(axes):
            raise ValueError(f"{what}: {self!r} names an axis twice for a weight of shape "
                             f"{shape}")

    def get_config(self):
        return {"axis": self.axis}


class MaxNorm(NormConstraint):
    """MaxNorm(max_value=2, axis=0): every slice's norm at most max_value (>= 0)."""

    def __init__(self, max_value=2, axis=0):
        super().__init__(axis)
        self.max_value = _number(max_value, "MaxNorm max_value")

    def __call__(self, W):
        norms = self.norms(W)
        return self.rescaled(W, np.clip(norms, 0, self.max_value), norms)

    def get_config(self):
        return {"max_value": self.max_value, **super().get_config()}


class NonNeg(Constraint):
    """NonNeg(): every weight at least 0."""

    def __call__(self, W):
        return np.maximum(W, 0)


class UnitNorm(NormConstraint):
    """UnitNorm(axis=0): every slice's norm 1 (a zero slice stays zero)."""

    def __call__(self, W):
        return W / (W.dtype.type(EPSILON) + self.norms(W))


class MinMaxNorm(NormConstraint):
    """MinMaxNorm(min_value=0.0, max_value=1.0, rate=1.0, axis=0): every slice's norm moved
    towards [min_value, max_value], all the way for rate=1, a fraction ``rate`` of the way
    otherwise (0 <= rate <= 1, 0 <= min_value <= max_value)."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        super().__init__(axis)
        self.min_value = _number(min_value, "MinMaxNorm min_value")
        self.max_value = _number(max_value, "MinMaxNorm max_value")
        self.rate = _number(rate, "MinMaxNorm rate", high=1.0)
        if self.min_value > self.max_value:
            raise ValueError(f"MinMaxNorm: min_value {min_value!r} is above max_value "
                             f"{max_value!r}")

    def __call__(self, W):
        norms = self.norms(W)
        desired = (self.rate * np.clip(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return self.rescaled(W, desired, norms)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                **super().get_config()}


# Keras's lowercase aliases: the classes themselves, as in keras.constraints
max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm

CONSTRAINTS = {cls.__name__: cls for cls in (MaxNorm, NonNeg, UnitNorm, MinMaxNorm)}
CONSTRAINTS.update({"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
                    "min_max_norm": MinMaxNorm})


def get(identifier, what="constraint"):
    """None, or a Constraint from a name ("max_norm" or "MaxNorm", Keras's defaults), a class,
    a Constraint, or its config {"class_name": "MaxNorm", "config": {...}} (Keras's, with
    "module" and "registered_name", too); anything else is an error naming ``what``."""
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Constraint):
        return identifier()
    if isinstance(identifier, str):
        return _lookup(identifier, what)()
    if isinstance(identifier, dict) and {"class_name", "config"} <= set(identifier) \
            <= {"class_name", "config", "module", "registered_name"}:
        cls, arguments = _lookup(identifier["class_name"], what), identifier["config"]
        if not isinstance(arguments, dict):
            raise ValueError(f"{what}: expected its config to be a dict of arguments, got "
                             f"{arguments!r}")
        try:
            return cls.from_config(arguments)
        except TypeError as error:
            raise ValueError(f"{what}: {cls.__name__} does not take {arguments!r} ({error})") \
                from None
    hint = (" (a function: subclass keras.constraints.Constraint instead, so that the model "
            "can be saved)" if callable(identifier) else "")
    raise ValueError(f"{what}: expected None, a constraint's name (one of {_names()}), a "
                     f"{{'class_name': ..., 'config': {{...}}}} dict or a "
                     f"keras.constraints.Constraint, got {identifier!r}{hint}")


def serialize(constraint):
    """What a layer's get_config holds: {"class_name": "MaxNorm", "config": {...}}, as Keras's
    serialize (less its "module"); get() takes it back."""
    if constraint is None:
        return None
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}


def deserialize(config):
    """keras.constraints.deserialize: a Constraint from serialize's dict (or a name)."""
    if not isinstance(config, (dict, str)):
        raise ValueError(f"constraints.deserialize: expected a dict (or a name), got {config!r}")
    return get(config, "constraints.deserialize")


def attach(layer, **given):
    """A layer's ``constraints`` dict, keyed like its params, from Keras's arguments: the
    class's ``constraint_arguments`` ({"W": "kernel_constraint", ...}) names the argument of
    each param key, and ``given`` holds the values passed ({"kernel_constraint": ...}). Each is
    read by get (errors name the layer's class and the argument); None is left out."""
    kind, constraints = type(layer).__name__, {}
    for key, argument in type(layer).constraint_arguments.items():
        constraint = get(given[argument], f"{kind} {argument}")
        if constraint is not None:
            constraints[key] = constraint
    return constraints


def constraint_config(layer):
    """The get_config entries of a layer's constraints ({"kernel_constraint": {...}}), only
    those it has, so the files of layers without any are as before."""
    names = type(layer).constraint_arguments
    return {names[key]: serialize(constraint) for key, constraint in layer.constraints.items()}


def _lookup(name, what):
    if not isinstance(name, str) or name not in CONSTRAINTS:
        raise ValueError(f"{what}: unknown constraint {name!r}; tinycnn has {_names()}")
    return CONSTRAINTS[name]


def _names():
    return ", ".join(sorted(CONSTRAINTS, key=str.lower))


def _number(value, what, high=np.inf):
    """A number in [0, high] (not a bool), as a float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
            or not 0 <= value <= high:
        bounds = "a number >= 0" if high == np.inf else f"a number in [0, {high:g}]"
        raise ValueError(f"{what}: expected {bounds}, got {value!r}")
    return float(value)


def _axis(value, what):
    """An int, or a non-empty list (or tuple) of ints, as Keras's ``axis``: an int or a list."""
    if isinstance(value, (list, tuple)) and value:
        return [_one_axis(axis, what, value) for axis in value]
    return _one_axis(value, what, value)


def _one_axis(axis, what, given):
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise ValueError(f"{what}: expected an int or a non-empty list of ints, got {given!r}")
    return int(axis)
