"""Argument checks shared by the layers' constructors (and fit's): clear errors for bad values."""

import numbers

import numpy as np


def positive_int(value, what):
    """``value`` as an int >= 1 (NumPy integers too), or a ValueError naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{what}: expected a positive int, got {value!r}")
    return int(value)


def positive_pair(value, what):
    """An int n, or a pair (height, width), as a tuple of two positive ints."""
    pair = (value, value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise ValueError(f"{what}: expected an int or a pair (height, width), got {value!r}")
    return tuple(positive_int(v, what) for v in pair)


def padding_mode(value, what, allow_int=True):
    """"valid" or "same" in any case ("SAME" -> "same"), or, with ``allow_int``, a number of
    zero pixels a side (an int >= 0)."""
    if isinstance(value, str) and value.lower() in ("valid", "same"):
        return value.lower()
    if (allow_int and isinstance(value, numbers.Integral) and not isinstance(value, bool)
            and value >= 0):
        return int(value)
    expected = "'valid', 'same' or an int >= 0" if allow_int else "'valid' or 'same'"
    raise ValueError(f"{what}: expected {expected}, got {value!r}")


def strides_or_alias(strides, stride, layer, default):
    """The layer's ``strides`` (Keras's name), or ``stride`` (tinycnn's older name, still
    accepted) if that is the one given; both given and different is an error. ``default`` is
    the value of ``strides`` that means "not given"."""
    if stride is None:
        return strides
    pair = positive_pair(stride, f"{layer} stride")
    if strides != default and positive_pair(strides, f"{layer} strides") != pair:
        raise ValueError(f"{layer}: expected strides or its older name stride, not both, got "
                         f"strides={strides!r} and stride={stride!r}")
    return pair


def flag(value, what):
    """A True/False setting as a bool; anything else (a string "False" is truthy) is an error."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{what}: expected True or False, got {value!r}")
    return bool(value)


def channels_last(data_format, what):
    """Keras's data_format: None or "channels_last" (tinycnn's images are (N, H, W, C));
    "channels_first", or anything else, is refused by name."""
    if data_format is None or data_format == "channels_last":
        return "channels_last"
    raise ValueError(f"{what} data_format: tinycnn's layers take channels-last images "
                     f"(N, H, W, C) only: expected None or 'channels_last', got {data_format!r}")


def dilation_pair(dilation_rate, strides, what, with_strides=False):
    """A dilation rate (an int or a pair) as a pair of positive ints. Keras's Conv2D and
    Conv2DTranspose refuse strides > 1 together with dilation_rate > 1, and so does this unless
    ``with_strides`` (DepthwiseConv2D and SeparableConv2D take both, as Keras's do)."""
    pair = positive_pair(dilation_rate, f"{what} dilation_rate")
    if not with_strides and max(pair) > 1 and max(strides) > 1:
        raise ValueError(f"{what}: strides > 1 together with dilation_rate > 1 is not supported "
                         f"(as in Keras), got strides={strides} and dilation_rate={pair}")
    return pair
