"""Shared by several test files: the study's model, the hypothesis strategy for conv shapes, and
a small task a model learns in a few steps (column_task)."""

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

import tinycnn as tc
from tinycnn.kernels.im2col import window_geometry
from tinycnn.layers import Conv2D, Dense, Flatten, MaxPool2D


def seed_model(seed=0, dtype="float32"):
    """The notebook's CNN (issue 3): 241,546 parameters."""
    return tc.Sequential([
        Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
        MaxPool2D(2),
        Conv2D(64, 3, activation="relu"),
        MaxPool2D(2),
        Conv2D(128, 3, activation="relu"),
        Flatten(),
        Dense(128, activation="relu"),
        Dense(10, activation="softmax"),
    ], seed=seed, dtype=dtype)


PADDINGS = st.one_of(st.sampled_from(["valid", "same"]), st.integers(0, 2))
POOL_PADDINGS = st.sampled_from(["valid", "same"])  # pooling layers take no number of pixels


@st.composite
def conv_cases(draw, padding=PADDINGS):
    """(x_shape, kh, kw, (stride_h, stride_w), padding, (out_h, pad_h), (out_w, pad_w)) with an
    output >= 1: batch 1-3, channels 1-3, sizes 1-10, kernel 1-4, strides 1-3 (each axis its
    own), as the issue asks. With ``padding=POOL_PADDINGS``, the pooling layers' cases."""
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 10)), draw(st.integers(1, 10))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    strides = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    pad = draw(padding)
    rows, cols = window_geometry((h, w), (kh, kw), strides, pad)
    assume(rows[0] >= 1 and cols[0] >= 1)
    return (n, h, w, c), kh, kw, strides, pad, rows, cols


def column_task(count=64, seed=0):
    """8x8 noise images; class c has a bright pair of columns at 2c: (x, y) with 3 classes."""
    rng = np.random.default_rng(seed)
    y = np.arange(count) % 3
    x = rng.uniform(0, 0.5, size=(count, 8, 8, 1)).astype(np.float32)
    for image, label in zip(x, y, strict=True):
        image[:, 2 * label:2 * label + 2] += 0.5
    return x, y
