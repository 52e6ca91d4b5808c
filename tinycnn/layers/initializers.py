"""Weight initializers, as Keras's (``keras.initializers``): what a layer's weights start as.

Dense and Conv2D take them by name or as objects: ``Dense(10, kernel_initializer="he_normal")``,
``Conv2D(32, 3, bias_initializer=Constant(0.1))``; the defaults, as in Keras, are
"glorot_uniform" for kernels and "zeros" for biases. An initializer is called as
``initializer(shape, rng, dtype)`` and draws from ``rng``, the generator the model passes to
build, so that ``Sequential(..., seed=...)`` decides every weight (no initializer has a seed of
its own).

The fans, as Keras's ``compute_fans``: a Dense kernel W (D, U) has fan_in = D, fan_out = U; a
conv kernel W (KH, KW, C_in, F) has fan_in = KH*KW*C_in and fan_out = KH*KW*F (every input
pixel of a window feeds each output, every output pixel of a filter reads each input).

Variance scaling (Glorot, He, LeCun) aims at Var(W) = scale / n, where n is fan_in, fan_out or
fan_avg = (fan_in + fan_out) / 2:
    uniform:           W ~ U(-limit, limit),  limit = sqrt(3 * scale / n)
    truncated normal:  W ~ N(0, stddev^2) with every value beyond 2 stddev drawn again,
                       stddev = sqrt(scale / n) / 0.87962566103423978
(0.8796... is the standard deviation of N(0, 1) cut at +-2: dividing by it gives the cut
values the variance scale / n again.)
    GlorotUniform  scale 1, fan_avg, uniform:  limit = sqrt(6 / (fan_in + fan_out))
    GlorotNormal   scale 1, fan_avg, truncated normal
    HeUniform      scale 2, fan_in,  uniform:  limit = sqrt(6 / fan_in)
    HeNormal       scale 2, fan_in,  truncated normal
    LecunNormal    scale 1, fan_in,  truncated normal
"""

import numpy as np

TRUNCATED_STDDEV = 0.87962566103423978  # the standard deviation of N(0, 1) cut at +-2


def compute_fans(shape):
    """(fan_in, fan_out) of a weight of ``shape``, as Keras computes them: (D, U) -> (D, U);
    (KH, KW, C_in, F) -> (KH*KW*C_in, KH*KW*F); a vector (F,) -> (F, F)."""
    shape = tuple(int(size) for size in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive_field, shape[-1] * receptive_field


def truncated_normal(shape, mean, stddev, rng, dtype):
    """N(mean, stddev^2) values of ``shape``, each outside mean +- 2 stddev drawn again (as
    Keras's NumPy backend does), from ``rng``."""
    values = rng.normal(mean, stddev, size=shape)
    outside = np.abs(values - mean) > 2 * stddev
    while outside.any():
        values[outside] = rng.normal(mean, stddev, size=int(outside.sum()))
        outside = np.abs(values - mean) > 2 * stddev
    return values.astype(dtype)


def filled(shape, value, rng, dtype):
    """An array of ``shape`` holding ``value``. It is made through ``rng`` so that a model
    file's size limit counts it as it counts drawn weights (tinycnn/saving/expected.py):
    ``rng.integers(0, 1)`` is all zeros and takes no random numbers from the stream."""
    zeros = rng.integers(0, 1, size=shape, dtype=np.int8)
    return zeros.astype(dtype) + np.asarray(value, dtype)


class Initializer:
    """Base class: ``initializer(shape, rng, dtype)`` -> a new array of ``shape``."""

    def __call__(self, shape, rng, dtype=np.float32):
        raise NotImplementedError

    def get_config(self):
        """The constructor's arguments (JSON values)."""
        return {}

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class Zeros(Initializer):
    """Every value 0 (Keras's default for biases)."""

    def __call__(self, shape, rng, dtype=np.float32):
        return filled(shape, 0.0, rng, dtype)


class Ones(Initializer):
    """Every value 1."""

    def __call__(self, shape, rng, dtype=np.float32):
        return filled(shape, 1.0, rng, dtype)


class Constant(Initializer):
    """Every value ``value`` (a number)."""

    def __init__(self, value=0.0):
        self.value = _number(value, "Constant value")

    def __call__(self, shape, rng, dtype=np.float32):
        return filled(shape, self.value, rng, dtype)

    def get_config(self):
        return {"value": self.value}


class RandomInitializer(Initializer):
    """What the random initializers share: Keras's ``seed`` argument, refused unless None."""

    def __init__(self, seed=None):
        if seed is not None:
            raise ValueError(
                f"{type(self).__name__}(seed={seed!r}): tinycnn draws every weight from the "
                "model's generator, so the model's seed decides them all "
                "(Sequential([...], seed=...)); an initializer takes no seed of its own")

    def get_config(self):
        return {"seed": None}


class RandomNormal(RandomInitializer):
    """W ~ N(mean, stddev^2)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean = _number(mean, "RandomNormal mean")
        self.stddev = _number(stddev, "RandomNormal stddev", low=0.0)

    def __call__(self, shape, rng, dtype=np.float32):
        return rng.normal(self.mean, self.stddev, size=shape).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


class TruncatedNormal(RandomNormal):
    """W ~ N(mean, stddev^2), every value beyond 2 stddev of the mean drawn again."""

    def __call__(self, shape, rng, dtype=np.float32):
        return truncated_normal(shape, self.mean, self.stddev, rng, dtype)


class RandomUniform(RandomInitializer):
    """W ~ U(minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval = _number(minval, "RandomUniform minval")
        self.maxval = _number(maxval, "RandomUniform maxval", low=self.minval)

    def __call__(self, shape, rng, dtype=np.float32):
        return rng.uniform(self.minval, self.maxval, size=shape).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


class VarianceScaling(RandomInitializer):
    """Var(W) = scale / n, n by ``mode`` ("fan_in", "fan_out", "fan_avg"), drawn from a
    "truncated_normal" ("normal" is the same), an "untruncated_normal" or a "uniform"
    distribution (see the module docstring)."""

    MODES = ("fan_in", "fan_out", "fan_avg")
    DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        self.scale = _number(scale, f"{type(self).__name__} scale", low=0.0)
        if self.scale == 0:
            raise ValueError(f"{type(self).__name__} scale: expected a positive number, got 0")
        self.mode = _choice(mode, f"{type(self).__name__} mode", self.MODES)
        if isinstance(distribution, str) and distribution.lower() == "normal":
            distribution = "truncated_normal"
        self.distribution = _choice(distribution, f"{type(self).__name__} distribution",
                                    self.DISTRIBUTIONS, lower=True)

    def __call__(self, shape, rng, dtype=np.float32):
        fan_in, fan_out = compute_fans(shape)
        fans = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        n = max(1.0, fans[self.mode])
        if self.distribution == "uniform":
            # 3 * scale / n, not Keras's 3 * (scale / n): one rounding, so GlorotUniform's
            # limit is sqrt(6 / (fan_in + fan_out)) to the last bit, as tinycnn always drew it
            limit = np.sqrt(3.0 * self.scale / n)
            return rng.uniform(-limit, limit, size=shape).astype(dtype)
        stddev = np.sqrt(self.scale / n)
        if self.distribution == "untruncated_normal":
            return rng.normal(0.0, stddev, size=shape).astype(dtype)
        return truncated_normal(shape, 0.0, stddev / TRUNCATED_STDDEV, rng, dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                **super().get_config()}


class _Preset(VarianceScaling):
    """A VarianceScaling whose scale, mode and distribution are fixed (its config: seed)."""

    PRESET = {}

    def __init__(self, seed=None):
        super().__init__(**self.PRESET, seed=seed)

    def get_config(self):
        return {"seed": None}


class GlorotUniform(_Preset):
    """U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)): Keras's default for kernels."""

    PRESET = {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}


class GlorotNormal(_Preset):
    """Truncated normal with variance 2 / (fan_in + fan_out)."""

    PRESET = {"scale": 1.0, "mode": "fan_avg", "distribution": "truncated_normal"}


class HeUniform(_Preset):
    """U(-limit, limit), limit = sqrt(6 / fan_in): for kernels followed by a ReLU."""

    PRESET = {"scale": 2.0, "mode": "fan_in", "distribution": "uniform"}


class HeNormal(_Preset):
    """Truncated normal with variance 2 / fan_in: for kernels followed by a ReLU."""

    PRESET = {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}


class LecunNormal(_Preset):
    """Truncated normal with variance 1 / fan_in."""

    PRESET = {"scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal"}


# Keras's names: each class's, and its snake_case name, which a layer's arguments may give.
INITIALIZERS = {
    "zeros": Zeros, "ones": Ones, "constant": Constant,
    "random_normal": RandomNormal, "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
    "glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal,
    "he_uniform": HeUniform, "he_normal": HeNormal, "lecun_normal": LecunNormal,
}
INITIALIZERS.update({cls.__name__: cls for cls in list(INITIALIZERS.values())})


def get(identifier, where="initializer"):
    """An Initializer from a name ("he_normal" or "HeNormal"), a config
    {"class_name": "RandomNormal", "config": {"stddev": 0.1}} (Keras's, with "module" and
    "registered_name", too), a class or an Initializer; ``where`` names the argument in errors."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, str):
        return _lookup(identifier, where)()
    # Keras's own serialised form adds "module" and "registered_name": they change nothing here
    if isinstance(identifier, dict) and {"class_name", "config"} <= set(identifier) \
            <= {"class_name", "config", "module", "registered_name"}:
        cls, arguments = _lookup(identifier["class_name"], where), identifier["config"]
        if not isinstance(arguments, dict):
            raise TypeError(f"{where}: expected its config to be a dict of arguments, got "
                            f"{arguments!r}")
        try:
            return cls(**arguments)
        except TypeError as error:
            raise TypeError(f"{where}: {cls.__name__} does not take {arguments!r} ({error})") \
                from None
    raise TypeError(f"{where}: expected an initializer's name (one of {_names()}), a "
                    "{'class_name': ..., 'config': {...}} dict or an initializer object, got "
                    f"{identifier!r}")


def serialize(initializer):
    """What a layer's get_config holds: the snake_case name of an initializer with its default
    arguments ("glorot_uniform"), else {"class_name": ..., "config": {...}}; get() takes both."""
    cls = type(initializer)
    names = [name for name, known in INITIALIZERS.items() if known is cls and name.islower()]
    config = initializer.get_config()
    if names and config == cls().get_config():
        return names[0]
    return {"class_name": cls.__name__, "config": config}


def _lookup(name, where):
    if not isinstance(name, str) or name not in INITIALIZERS:
        raise ValueError(f"{where}: unknown initializer {name!r}; tinycnn has {_names()}")
    return INITIALIZERS[name]


def _names():
    return ", ".join(sorted(INITIALIZERS, key=str.lower))


def _number(value, what, low=None):
    """A finite int or float (not a bool), at least ``low`` if given, as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value):
        raise TypeError(f"{what}: expected a finite number, got {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{what}: expected a number >= {low}, got {value!r}")
    return float(value)


def _choice(value, what, choices, lower=False):
    if isinstance(value, str) and (value.lower() if lower else value) in choices:
        return value.lower() if lower else value
    raise ValueError(f"{what}: expected one of {list(choices)}, got {value!r}")
