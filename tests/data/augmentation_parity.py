"""Writes augmentation_parity.json: what real Keras computes with its random image layers on
fixed transformations, the reference tests/test_augmentation_layers.py holds tinycnn's
transform functions to. Not run by the tests (they need no TensorFlow); run it again with
Keras installed to refresh the reference (Keras 3.15.1 on TensorFlow wrote this one):

    python -m venv /tmp/tf && /tmp/tf/bin/pip install tensorflow-cpu==2.21.0
    /tmp/tf/bin/python tests/data/augmentation_parity.py

Keras's random draws cannot be matched, so each case fixes the drawn parameters and calls the
Keras layer's own ``transform_images`` with them (its matrices, then TensorFlow's
ImageProjectiveTransformV3), or ``keras.ops.image.affine_transform`` on a general matrix:
every fill mode with both interpolations, on shifts by whole, half and fractional pixels and
by most of the image, turns, zooms in and out, a shear, and a projective matrix that sends one
pixel to infinity. Parameters are in tinycnn's units (pixels, radians, zoom factors).

"factor_rules": for each factor value, whether Keras refuses it (ValueError), else the range
of the parameter it draws (tinycnn's units: a fraction of the height, a zoom factor, a
fraction of a turn, a contrast factor), from the parsed factor, and the smallest and largest
of 4000 of Keras's own draws.
"""

import json
import math
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

FILL_VALUE = 0.25
SHIFTS = {"dy": [2.0, 0.5, -6.3], "dx": [-3.0, -1.5, 5.2]}  # images of 7 rows, 6 columns
ANGLES = [math.radians(degrees) for degrees in (17.0, -123.0, 250.0)]
ZOOMS = {"zoom_y": [0.6, 1.9, 1.0], "zoom_x": [1.4, 0.45, 1.25]}
# Coefficients in eighths and sixteenths: float32 (TensorFlow) and float64 (tinycnn) compute
# the same coordinates, so a tie between two pixels is a tie on both sides.
MATRICES = [[1.25, 0.375, -2.0, -0.3125, 0.875, 1.5, 0.0, 0.0],  # a shear
            [2.5, -0.75, 3.0, 0.625, 3.125, -9.0, 0.0, 0.0],  # several periods of each fill mode
            [0.875, 0.125, 0.5, -0.1875, 1.125, 0.25, 0.0625, -0.25]]  # k = 0 at (4, 0)
FLIPS = [True, False, True]
CONTRASTS = [  # (images scaled by, value_range, factors)
    (1.0, (0, 255), [0.5, 1.0, 1.7]),
    (255.0, (0, 255), [1.9, 0.3, 1.2]),
    (1.0, (0.2, 0.8), [1.3, 0.8, 2.0]),
]
FACTOR_VALUES = {  # (layer, argument): values
    ("RandomTranslation", "height_factor"): [
        0.2, -0.3, [0.1, 0.3], [0.3, -0.2], 1.0, [-1.0, 1.0], 1.5, [-1.5, 0.2], [0.2],
        [0.1, 0.2, 0.3], "0.2", None],
    ("RandomZoom", "height_factor"): [
        0.3, -0.4, [-0.5, 0.2], 1.0, [0.5, -0.99], -1.0, [-1.0, 0.5], 1.2],
    ("RandomRotation", "factor"): [
        0.1, -0.25, [0.3, -0.1], [-3.0, 0.5], [0.5, 2.0], 1.0, [2.0, 0.5], 1.5, -1.2],
    ("RandomContrast", "factor"): [
        0.2, 1.0, 0.0, [0.1, 0.3], [0.5, 3.0], [-0.5, 0.5], [-0.5, 0.2], -0.2, 1.5, [1.5, 3.0],
        [-0.5, -0.1]],
}


def plain(output):
    """An output as JSON lists, to 8 decimals (the tests hold tinycnn to 1e-5)."""
    return np.round(np.asarray(output, np.float64), 8).tolist()


def column(values):
    return np.asarray(values, np.float32).reshape(-1, 1)


def geometric_cases(images):
    """{name: case} for translate, rotate, zoom and affine_transform, every mode."""
    height, width = images.shape[1:3]
    degrees = tf.constant(np.degrees(ANGLES), tf.float32)
    ones, zeros = tf.ones(len(ANGLES)), tf.zeros(len(ANGLES))
    cases = {}
    for fill_mode in ("reflect", "wrap", "constant", "nearest"):
        for interpolation in ("nearest", "bilinear"):
            options = {"fill_mode": fill_mode, "interpolation": interpolation,
                       "fill_value": FILL_VALUE}
            translation = keras.layers.RandomTranslation(0.1, 0.1, **options)
            rotation = keras.layers.RandomRotation(0.1, **options)
            zoom = keras.layers.RandomZoom(0.1, 0.1, **options)
            rotation_matrix = rotation._compute_affine_matrix(
                center_x=0.5, center_y=0.5, angle=degrees, translate_x=zeros,
                translate_y=zeros, scale=ones, shear_x=zeros, shear_y=zeros, height=height,
                width=width)
            outputs = {
                "translate": (SHIFTS, translation.transform_images(images, {
                    "translations": np.hstack([column(SHIFTS["dx"]), column(SHIFTS["dy"])])})),
                "rotate": ({"angles": ANGLES}, rotation.transform_images(images, {
                    "rotation_matrix": rotation_matrix})),
                "zoom": (ZOOMS, zoom.transform_images(images, {
                    "height_zoom": column(ZOOMS["zoom_y"]),
                    "width_zoom": column(ZOOMS["zoom_x"])})),
                "affine_transform": ({"transforms": MATRICES}, keras.ops.image.affine_transform(
                    images, np.asarray(MATRICES, np.float32), **options)),
            }
            for function, (arguments, output) in outputs.items():
                cases[f"{function}_{fill_mode}_{interpolation}"] = {
                    "function": function, "arguments": arguments, "options": options,
                    "output": plain(output)}
    return cases


def colour_cases(images):
    """{name: case} for flip (every mode) and adjust_contrast."""
    cases = {}
    for mode in ("horizontal", "vertical", "horizontal_and_vertical"):
        layer = keras.layers.RandomFlip(mode)
        flips = np.asarray(FLIPS).reshape(-1, 1, 1, 1)
        cases[f"flip_{mode}"] = {
            "function": "flip", "arguments": {"flips": FLIPS}, "options": {"mode": mode},
            "output": plain(layer.transform_images(images, {"flips": flips}))}
    for i, (scale, value_range, factors) in enumerate(CONTRASTS):
        layer = keras.layers.RandomContrast(0.5, value_range=value_range)
        output = layer.transform_images(images * scale, {
            "contrast_factor": np.asarray(factors, np.float32).reshape(-1, 1, 1, 1)})
        cases[f"adjust_contrast_{i}"] = {
            "function": "adjust_contrast", "scale": scale,
            "arguments": {"factors": factors}, "options": {"value_range": list(value_range)},
            "output": plain(output)}
    return cases


def drawn_range(layer_name, value):
    """(the range the factor gives, [min, max] of Keras's draws), in tinycnn's units."""
    factor = tuple(value) if isinstance(value, list) else value
    batch = np.zeros((4000, 4, 5, 1), np.float32)
    if layer_name == "RandomTranslation":
        layer = keras.layers.RandomTranslation(factor, 0.1, seed=1)
        nominal = (layer.height_lower, layer.height_upper)
        drawn = layer.get_random_transformation(batch)["translations"][:, 1] / 4
    elif layer_name == "RandomZoom":
        layer = keras.layers.RandomZoom(factor, seed=1)
        nominal = (1 + layer.height_lower, 1 + layer.height_upper)
        drawn = layer.get_random_transformation(batch)["height_zoom"]
    elif layer_name == "RandomRotation":
        layer = keras.layers.RandomRotation(factor, seed=1)
        nominal = layer.factor
        drawn = layer.get_random_transformation(batch)["angle"] / 360
    else:
        layer = keras.layers.RandomContrast(factor, seed=1)
        nominal = (1 - layer.factor[0], 1 + layer.factor[1])
        drawn = layer.get_random_transformation(batch)["contrast_factor"]
    drawn = np.asarray(drawn, np.float64)
    return sorted(float(v) for v in nominal), [float(drawn.min()), float(drawn.max())]


def factor_rules():
    rules = []
    for (layer_name, argument), values in FACTOR_VALUES.items():
        for value in values:
            rule = {"layer": layer_name, "argument": argument, "value": value}
            try:
                rule["range"], rule["drawn"] = drawn_range(layer_name, value)
            except ValueError as error:
                rule["error"] = str(error)
            rules.append(rule)
    return rules


def main():
    images = np.random.default_rng(0).random((3, 7, 6, 2)).astype(np.float32)
    reference = {"keras": keras.__version__, "tensorflow": tf.__version__,
                 "backend": keras.backend.backend(), "images": images.tolist(),
                 "cases": {**geometric_cases(images), **colour_cases(images)},
                 "factor_rules": factor_rules()}
    path = Path(__file__).with_name("augmentation_parity.json")
    path.write_text(json.dumps(reference) + "\n")
    print(f"wrote {path} (Keras {keras.__version__}, {len(reference['cases'])} cases, "
          f"{len(reference['factor_rules'])} factor rules)")


if __name__ == "__main__":
    main()
