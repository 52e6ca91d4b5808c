"""Checks on what users pass to the explanations: a clear error, never a wrong picture.

Each names the function and the argument, what was expected and what was given. The image and
label checks are the ones fit and predict use (tinycnn/validation.py).
"""

import numpy as np

from tinycnn.validation import check_images, check_labels, check_not_single_image


def checked_model(model, what):
    """A built model with layers; explaining a model that was never built explains nothing."""
    if not getattr(model, "layers", None):
        raise ValueError(f"{what}: the model has no layers")
    if not model.built:
        raise RuntimeError(
            f"{what}: the model {model.name!r} is not built, so it has no weights to explain; "
            "train it (fit), load it (tinycnn.load_model) or call model.build((H, W, C)) first")
    return model


def checked_classifier(model, what):
    """A built model whose output is one score per class, (N, K)."""
    checked_model(model, what)
    if len(model.output_shape) != 1:
        raise ValueError(
            f"{what}: needs a classifier whose output is class scores (N, K), but the model's "
            f"output has shape {(None, *model.output_shape)}")
    return model


def checked_images(model, images, what):
    """images: (N, H, W, C), or (N, H, W) for a grayscale model -> (x, shape): x (N, H, W, C)
    in the model's dtype, and the shape the caller's array had (results come back in it)."""
    if not isinstance(images, np.ndarray):
        raise TypeError(f"{what}: expected a NumPy array, got {type(images).__name__}")
    check_not_single_image(images, model.input_shape, what)
    return check_images(images, model.input_shape, model.dtype, what), images.shape


def checked_classes(classes, count, num_classes, what):
    """classes: (N,) class ids, one int for every image, or None (each image's predicted
    class, which stays None here) -> (N,) int64 in [0, K), or None."""
    if classes is None:
        return None
    classes = np.asarray(classes)
    if classes.ndim == 0:
        classes = np.full(count, classes)
    return check_labels(classes, count, num_classes, sparse=True, what=what)
