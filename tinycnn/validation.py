"""Checks on what users pass to fit, evaluate and predict: a clear error, never a wrong answer.

Each check names the argument, what was expected and what was given.
"""

import numpy as np


def check_not_single_image(x, input_shape, what="x"):
    """A clear error for one image passed where a batch belongs: (28, 28, 1) for a model of
    28x28x1 images would otherwise read as 28 images (or build the model for them)."""
    if input_shape is None:
        return
    single = [tuple(input_shape)]
    if len(input_shape) == 3 and input_shape[2] == 1:
        single.append(tuple(input_shape[:2]))  # a grayscale image without its channel axis
    if x.shape in single:
        raise ValueError(
            f"{what}: got one image of shape {x.shape}, but the model takes a batch of shape "
            f"(N, {', '.join(map(str, input_shape))}); for a single image pass x[None] "
            "(or np.expand_dims(x, 0)), a batch of one")


def check_images(x, input_shape, dtype, what="x"):
    """Images as ``dtype`` (N, *input_shape); (N, H, W) grayscale gains a channel axis."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{what}: expected a NumPy array, got {type(x).__name__}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"{what}: expected float images, got dtype {x.dtype}; scale them first "
            "(e.g. x / 255.0, or tinycnn.datasets.fashion_mnist.normalize_images)"
        )
    if len(input_shape) == 3 and input_shape[2] == 1 and x.ndim == 3:
        x = x[..., np.newaxis]
    if x.shape[1:] != tuple(input_shape):
        raise ValueError(
            f"{what}: expected shape (N, {', '.join(map(str, input_shape))}) for this model, "
            f"got {x.shape}"
        )
    if len(x) == 0:
        raise ValueError(f"{what}: got no examples (shape {x.shape})")
    if not np.isfinite(x).all():
        raise ValueError(f"{what}: contains NaN or infinite values")
    check_fits(x, dtype, what)
    return np.asarray(x, dtype=dtype)


def check_fits(x, dtype, what):
    """Refuse finite values that ``dtype`` cannot hold: the cast would make them inf (1e39
    from float64 into float32), and every number computed from them NaN, with no error."""
    limit = float(np.finfo(dtype).max)  # a Python float: comparing with it casts nothing
    if x.size == 0 or float(np.finfo(x.dtype).max) <= limit:
        return  # nothing, or a float no wider than dtype: nothing to overflow
    largest = max(float(x.max()), -float(x.min()))  # |x| without a temporary copy of x
    if largest > limit:
        raise ValueError(
            f"{what}: values as large as {largest:.3g} in magnitude do not fit in the model's "
            f"{np.dtype(dtype).name} (largest {limit:.4g}): they would become infinite; "
            "scale them first")


def check_labels(y, n, num_classes, sparse, what="y", dtype=np.float32):
    """Integer labels (N,) in [0, K) for a sparse loss, or targets (N, K) otherwise.

    dtype: the model's; targets meet its outputs in the loss's gradient, so they must fit in
    it (float32, tinycnn's default, unless told)."""
    y = np.asarray(y)
    if len(y) != n:
        raise ValueError(f"{what}: expected {n} labels (one per image), got {len(y)}")
    if not sparse:
        if y.shape != (n, num_classes):
            raise ValueError(f"{what}: expected one-hot targets of shape {(n, num_classes)}, "
                             f"got {y.shape} (use sparse_categorical_crossentropy for class ids)")
        y = y.astype(np.float64)
        if not np.isfinite(y).all():
            raise ValueError(f"{what}: the targets contain NaN or infinite values")
        check_fits(y, dtype, f"{what} (targets)")
        return y
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{what}: expected class ids of shape ({n},), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        if not (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y))):
            raise TypeError(f"{what}: expected integer class ids, got dtype {y.dtype}")
    if y.min() < 0 or y.max() >= num_classes:
        raise ValueError(
            f"{what}: class ids must lie in [0, {num_classes}) for a model with {num_classes} "
            f"outputs, got values from {y.min()} to {y.max()}"
        )
    return y.astype(np.int64)

