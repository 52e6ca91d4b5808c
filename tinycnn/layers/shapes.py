"""Argument checks shared by the layers' constructors (and fit's): clear errors for bad values."""

import numbers


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
