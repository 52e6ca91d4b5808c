"""Checks on what users pass to fit, evaluate and predict: a clear error, never a wrong answer.

Each check names the argument, what was expected and what was given. A dataset given as x
(an ImageDataset) becomes its arrays here, with Keras's refusals beside it.
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



def check_targets(y, n, num_outputs, binary, what="y", dtype=np.float32):
    """Targets (N, K) float64 for a loss that compares them with the K outputs entry by entry
    (binary cross-entropy, the regression losses); (N,) is taken as (N, 1) for a model with
    one output, as Keras expands it. ``binary``: each must lie in [0, 1] (the probability
    that the label is 1). dtype: the model's, as in check_labels."""
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != n:
        raise ValueError(f"{what}: expected {n} targets (one per image), got "
                         f"{len(y) if y.ndim else 'a single value'}")
    if y.ndim == 1 and num_outputs == 1:
        y = y[:, np.newaxis]
    if y.shape != (n, num_outputs):
        raise ValueError(f"{what}: expected targets of shape {(n, num_outputs)}, one for each "
                         f"of the model's {num_outputs} outputs, got {y.shape}")
    if y.dtype.kind not in "biuf":
        raise TypeError(f"{what}: expected numbers as targets, got dtype {y.dtype}")
    y = y.astype(np.float64)
    if not np.isfinite(y).all():
        raise ValueError(f"{what}: the targets contain NaN or infinite values")
    if binary and (y.min() < 0 or y.max() > 1):
        raise ValueError(f"{what}: binary cross-entropy's targets are 0 or 1 (or a "
                         f"probability in between), got values from {y.min()} to {y.max()}")
    check_fits(y, dtype, f"{what} (targets)")
    return y


# ---- a dataset as x (Keras's fit(dataset)) ---------------------------------------------------
def is_dataset(x):
    """Whether x is a dataset of images (an ImageDataset: it gives its arrays with
    ``as_arrays()``), which the core takes without importing images.py (Pillow)."""
    return hasattr(x, "as_arrays") and hasattr(x, "batch_size")


def from_dataset(x, y, batch_size, what, sample_weight=None, validation_split=0.0,
                 labels_needed=True):
    """(x, y, batch_size) to use: for a dataset x, its images and labels (as_arrays()) and
    its batch size; anything Keras refuses beside a dataset is refused here too, by name.
    Arrays pass through as they are."""
    if not is_dataset(x):
        if labels_needed and y is None:
            raise ValueError(f"{what}: y is missing: give the targets (or pass an ImageDataset "
                             "as x, which holds its labels)")
        return x, y, batch_size
    for name, value, hint in (
            ("y", y, "the labels come from the dataset (its label_mode)"),
            ("batch_size", batch_size, "the dataset's batch_size is used (Keras 3.15 ignores "
                                       "this argument with a dataset; tinycnn refuses it)"),
            ("sample_weight", sample_weight, "weigh the classes with class_weight instead")):
        if value is not None:
            raise ValueError(f"{what}: {name} should not be given with a dataset as x: {hint}")
    if validation_split:
        raise ValueError(f"{what}: validation_split is only supported for NumPy arrays, as in "
                         "Keras; for a dataset, make a validation subset "
                         "(image_dataset_from_directory(..., validation_split=0.2, "
                         "subset='both', seed=...)) and pass it as validation_data")
    if x.batch_size is None:
        raise ValueError(f"{what}: the dataset yields single images (batch_size=None); make "
                         "it with a batch_size to train or predict on it")
    arrays = x.as_arrays()
    if not labels_needed:
        return (arrays[0] if isinstance(arrays, tuple) else arrays), None, x.batch_size
    if not isinstance(arrays, tuple):
        raise ValueError(f"{what}: the dataset has no labels (label_mode=None); {what} needs "
                         "them (make it with label_mode 'int', 'categorical' or 'binary')")
    images, labels = arrays
    return images, labels, x.batch_size


def validation_dataset(dataset, validation_batch_size):
    """(validation_data as (x_val, y_val), its batch size) for a dataset given as
    validation_data."""
    if validation_batch_size is not None:
        raise ValueError("fit: validation_batch_size should not be given with a dataset as "
                         "validation_data: the dataset's batch_size is used")
    images, labels, batch_size = from_dataset(dataset, None, None, "fit validation_data")
    return (images, labels), batch_size
