"""What the random image layers share (RandomFlip, RandomTranslation, RandomRotation,
RandomZoom, RandomContrast): their base classes, their argument checks, and the resampling
behind the three geometric ones, Keras's ``ops.image.affine_transform``.

Training only. forward(x, training=True) draws one transformation per image and applies it;
forward(x) at inference returns x itself, and backward then returns dout (saliency needs it).
Randomness: from ``self.random_stream()``, as Dropout (tinycnn/layers/base.py): the layer's
own generator, ``np.random.default_rng(seed)``, if it was made with ``seed=``, else
``self.rng``, the model's training stream that fit hands every layer, so a seeded model repeats
a run bit for bit. Keras's own draws cannot be matched; its geometry is, to 1e-5
(tests/test_augmentation_layers.py, against Keras 3.15.1 with TensorFlow).

The geometry: a transform is 8 numbers [a0, a1, a2, b0, b1, b2, c0, c1] per image (Keras's).
Output pixel (row y, column x) reads the input at
    x_in = (a0 x + a1 y + a2) / k,   y_in = (b0 x + b1 y + b2) / k,   k = c0 x + c1 y + 1
(k = 0 reads fill_value). A point outside the image is first moved inside by fill_mode, per
axis of length L, exactly as TensorFlow's kernel does (ImageProjectiveTransformV3):
    "reflect"   (d c b a | a b c d | d c b a): mirrored about the image's outer edges
    "wrap"      (a b c d | a b c d | a b c d), with TensorFlow's period: see _wrap
    "nearest"   (a a a a | a b c d | d d d d): the edge pixel
    "constant"  (k k k k | a b c d | k k k k): fill_value, k
and then clamped to [0, L - 1] (except "constant"). Interpolation:
    "nearest"   the pixel at (round(y_in), round(x_in)), halves rounded away from zero
    "bilinear"  the four pixels around (y_in, x_in), weighted by the opposite rectangle's area
Each pixel read is a tap t: an index i_t into the images' pixels, which have one more pixel
appended that holds fill_value (read by a tap off the image, with weight 0 unless fill_mode is
"constant", and where k = 0), and a weight w_t. So out = sum over t of w_t * pixel[i_t], linear
in x for fixed transforms, and dL/dx is that sum run backwards (the adjoint, a scatter-add),
dropping what reaches the fill pixel:
    dx[i_t] += w_t * dout        for every output pixel and each of its taps t

Shapes: images, x, out, dout, dx: (N, H, W, C); transforms: (N, 8) or (8,); a tap's index
and weights: (N, H, W).
"""

import numbers
from typing import NamedTuple

import numpy as np

from tinycnn.layers.base import Layer, own_generator

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("nearest", "bilinear")


# ---- argument checks ------------------------------------------------------------------------
def choice(value, allowed, what):
    """``value`` if it is one of ``allowed`` (strings), else a ValueError naming all of them."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{what}: expected one of {', '.join(map(repr, allowed))}, "
                         f"got {value!r}")
    return value


def number(value, what):
    """A real number as a float (NumPy's too; not a bool, not a string)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{what}: expected a number, got {value!r}")
    return float(value)


def pair_or_number(value, what):
    """A number f, or a pair (a, b) of numbers as a tuple of two floats."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{what}: expected a number or a pair (lower, upper), got "
                             f"{value!r}")
        return tuple(number(v, what) for v in value)
    return number(value, what)


def checked_range(factor, what, low=-1.0, high=1.0, low_open=False):
    """RandomTranslation's and RandomZoom's rule (as Keras's): f -> (-|f|, |f|); a pair ->
    (min, max); every number given must lie in [low, high] ((low, high] with ``low_open``)."""
    value = pair_or_number(factor, what)
    for v in value if isinstance(value, tuple) else (value,):
        if v > high or v < low or (low_open and v == low):
            bounds = f"{'(' if low_open else '['}{low:g}, {high:g}]"
            raise ValueError(f"{what}: expected numbers in {bounds}, got {factor!r}")
    return tuple(sorted(value)) if isinstance(value, tuple) else (-abs(value), abs(value))


def base_range(factor, what, low, high):
    """RandomRotation's and RandomContrast's rule (Keras's base image layer): f in
    [low, high] -> (max(-|f|, low), |f|); a pair (a, b) is refused only when a > high or
    b < low, then sorted. So RandomContrast(0.2), low = 0, gives (0, 0.2), as Keras does."""
    value = pair_or_number(factor, what)
    if isinstance(value, tuple):
        if value[0] > high or value[1] < low:
            raise ValueError(f"{what}: expected a pair (a, b) with a <= {high:g} and "
                             f"b >= {low:g}, got {factor!r}")
        return tuple(sorted(value))
    if not low <= value <= high:
        raise ValueError(f"{what}: expected a number in [{low:g}, {high:g}], got {factor!r}")
    return (max(-abs(value), low), abs(value))


def as_config(value):
    """A constructor argument as JSON keeps it: a pair as a list."""
    return list(value) if isinstance(value, tuple) else value


# ---- resampling: Keras's affine_transform, and its adjoint ------------------------------------
class Tap(NamedTuple):
    """One of the pixels each output pixel reads (1 for "nearest", 4 for "bilinear"):
    index (N, H, W) into the images' pixels, images.reshape(N*H*W, C), with one more pixel
    after them that holds fill_value (index N*H*W), read by a tap that lies outside its image
    or that no point maps to; weights (N, H, W)."""

    index: np.ndarray
    weights: np.ndarray


class AxisTap(NamedTuple):
    """Where a tap reads along one axis: offset (the index times the axis's stride in the
    pixels, or a number past the last pixel when off the image) and weight."""

    offset: np.ndarray
    weight: np.ndarray


def affine_matrices(a0, a1, a2, b0, b1, b2):
    """The (N, 8) transforms [a0, a1, a2, b0, b1, b2, 0, 0] from numbers or (N,) arrays."""
    columns = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (a0, a1, a2, b0, b1, b2)))
    zeros = np.zeros_like(columns[0])
    return np.stack([*columns, zeros, zeros], axis=-1).reshape(-1, 8)


def _reflect(coord, length):
    # TensorFlow's steps (tensorflow/core/kernels/image/image_ops.h, after scipy.ndimage):
    # L = 4 maps -1 to 0, -5 to 3, 4 to 3; the clamp that follows takes (-1, 0) to 0
    period = 2 * length
    below = coord + period * np.trunc(-coord / period)  # into (-period, 0]
    below = np.where(below < -length, below + period, -below - 1)
    above = coord - period * np.trunc(coord / period)  # into [0, period)
    above = np.where(above >= length, period - above - 1, above)
    return np.where(coord < 0, below, np.where(coord > length - 1, above, coord))


def _wrap(coord, length):
    # TensorFlow's wrap steps by L but counts periods of L - 1, so a point between the last
    # pixel and the next copy's first lands past an edge and is clamped to it
    size = length - 1
    below = coord + length * (np.trunc(-coord / size) + 1)
    above = coord - length * np.trunc(coord / size)
    return np.where(coord < 0, below, np.where(coord > size, above, coord))


COORDINATE_MAPS = {"reflect": _reflect, "wrap": _wrap, "nearest": lambda coord, length: coord}


def _inside_coordinate(coord, length, fill_mode):
    """A source coordinate moved inside [0, length - 1] by fill_mode; "constant" leaves it
    where it is (only limited to [-2, length + 1], where every pixel reads fill_value)."""
    if fill_mode == "constant":
        return np.clip(coord, -2, length + 1)
    if length <= 1:
        return np.zeros_like(coord)
    return np.clip(COORDINATE_MAPS[fill_mode](coord, length), 0, length - 1)


def _axis_taps(coord, length, interpolation, stride, outside):
    """The pixels along one axis that a coordinate reads: the nearest one (halves rounded
    away from zero, as C's round; np.round would round them to even), or the two around it,
    each weighted by its closeness (linear interpolation). Off the image, the offset is
    ``outside``."""
    if interpolation == "nearest":
        reads = [(np.trunc(coord + np.copysign(0.5, coord)), np.ones(1))]
    else:
        low = np.floor(coord)
        reads = [(low, low + 1 - coord), (low + 1, coord - low)]
    return [AxisTap(np.where((position >= 0) & (position < length),
                             position.astype(np.int64) * stride, outside), weight)
            for position, weight in reads]


def _source_coordinates(transforms, height, width):
    """(x_in, y_in, defined) for every output pixel, from (N, 8) transforms. Terms that are 0
    for every image are left out, so that for a translation or a zoom x_in is (N, 1, W) and
    y_in (N, H, 1): the work along the axes is done once per column and once per row."""
    a0, a1, a2, b0, b1, b2, c0, c1 = (transforms[:, i, None, None] for i in range(8))
    y = np.arange(height, dtype=np.float64)[None, :, None]
    x = np.arange(width, dtype=np.float64)[None, None, :]
    source_x, source_y = a0 * x + a2, b1 * y + b2
    if a1.any():
        source_x = source_x + a1 * y
    if b0.any():
        source_y = source_y + b0 * x
    if not (c0.any() or c1.any()):
        return source_x, source_y, True
    k = c0 * x + c1 * y + 1
    defined = k != 0  # k = 0: the point is at infinity, and reads fill_value
    k = np.where(defined, k, 1.0)
    return source_x / k, source_y / k, defined


def resampling(transforms, shape, interpolation="bilinear", fill_mode="constant"):
    """The taps that affine_transform reads for images of ``shape`` (N, H, W, C): every pair
    of a row tap and a column tap (bilinear: 2 x 2, nearest: 1 x 1)."""
    n, height, width, _ = shape
    transforms = np.broadcast_to(np.asarray(transforms, np.float64).reshape(-1, 8), (n, 8))
    source_x, source_y, defined = _source_coordinates(transforms, height, width)
    fill_pixel = n * height * width
    # An axis tap off the image has offset fill_pixel, so the tap's index is at or past the
    # fill pixel, and np.minimum brings it back to it.
    rows = _axis_taps(_inside_coordinate(source_y, height, fill_mode), height, interpolation,
                      stride=width, outside=fill_pixel)
    columns = _axis_taps(_inside_coordinate(source_x, width, fill_mode), width, interpolation,
                         stride=1, outside=fill_pixel)
    first_pixel = np.arange(n)[:, None, None] * (height * width)
    taps = []
    for row in rows:
        for column in columns:
            index = first_pixel + row.offset + column.offset
            np.minimum(index, fill_pixel, out=index)  # in place: index is our own new array
            weights = np.broadcast_to(row.weight * column.weight, index.shape)
            if defined is not True:
                index = np.where(defined, index, fill_pixel)
            taps.append(Tap(index, weights))
    return taps


def resample(images, taps, fill_value=0.0):
    """out (N, H, W, C) = sum over taps of weights * the tap's pixel (or fill_value)."""
    n, height, width, channels = images.shape
    pixels = np.concatenate([images.reshape(n * height * width, channels),
                             np.full((1, channels), fill_value, images.dtype)])
    out = np.zeros(images.shape, images.dtype)
    for tap in taps:
        values = pixels[tap.index]  # (N, H, W, C), our own copy: scaled in place
        values *= tap.weights[..., None]
        out += values
    return out


def resample_adjoint(dout, taps):
    """dx (N, H, W, C): each output pixel's dout sent back to the pixels it read, times the
    weights; what went to the fill pixel is dropped (fill_value depends on no pixel)."""
    n, height, width, channels = dout.shape
    size = (n * height * width + 1) * channels
    dx = np.zeros(size)
    for tap in taps:
        index = tap.index[..., None] * channels + np.arange(channels)
        dx += np.bincount(index.ravel(), (tap.weights[..., None] * dout).ravel(), size)
    return dx[:-channels].reshape(dout.shape).astype(dout.dtype)


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="constant",
                     fill_value=0.0):
    """Keras's ``keras.ops.image.affine_transform`` on (N, H, W, C) images: see the module
    docstring. transforms: (N, 8), one per image, or (8,) for all of them."""
    choice(interpolation, INTERPOLATIONS, "affine_transform interpolation")
    choice(fill_mode, FILL_MODES, "affine_transform fill_mode")
    return resample(images, resampling(transforms, images.shape, interpolation, fill_mode),
                    fill_value)


# ---- the layers' shared behaviour ---------------------------------------------------------------
class AugmentationCache(NamedTuple):
    """What forward keeps for backward: what the training forward's transform needs to send
    dout back (a flip's flags, a contrast's factors, a resampling's taps); None after an
    inference forward, which changed nothing."""

    transformation: object


class RandomImageLayer(Layer):
    """Base class of the random image layers. A subclass implements
        draw(rng, shape) -> the transformation of each image of a batch of ``shape``
        augment(x, transformation) -> (out, what augment_backward needs)
        augment_backward(dout, kept) -> dx
    data_format: None or "channels_last" (Keras's argument; tinycnn's images are channels-last).
    seed: None (draw from the model's training stream) or an int (the layer's own generator).
    """

    draws_random = True

    def __init__(self, seed=None, data_format=None, name=None, input_shape=None):
        super().__init__(name=name, input_shape=input_shape)
        kind = type(self).__name__
        if data_format not in (None, "channels_last"):
            raise ValueError(f"{kind} data_format: tinycnn's images are channels-last "
                             f"(N, H, W, C); got {data_format!r}")
        self.seed, self.generator = own_generator(seed, f"{kind} seed")

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(f"{self}: expects images (H, W, C), got input shape {input_shape}")
        return input_shape

    def forward(self, x, training=False):
        """x: (N, H, W, C) -> out: the same shape; x itself at inference."""
        self._check_input(x)
        if not training:
            self._cache = AugmentationCache(transformation=None)
            return x
        out, kept = self.augment(x, self.draw(self.random_stream(), x.shape))
        self._cache = AugmentationCache(transformation=kept)
        return out

    def backward(self, dout):
        """dout -> dx: dout after an inference forward; None when nothing below needs dL/dx
        (the model's first layer); else dout sent back through the transform."""
        kept = self._cached().transformation
        if kept is None:
            return dout
        if not self.needs_input_grad:
            return None
        return self.augment_backward(dout, kept)

    def get_config(self):
        return {"name": self.name, **self.arguments(), "seed": self.seed,
                "data_format": "channels_last"}

    def __repr__(self):
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.arguments().items())
        return f"{type(self).__name__}(name={self.name!r}, {arguments})"


class RandomAffineLayer(RandomImageLayer):
    """Base class of RandomTranslation, RandomRotation and RandomZoom: a subclass's
    ``transforms(transformation, height, width)`` gives the (N, 8) matrices of what it drew,
    and affine_transform applies them with the layer's fill_mode, interpolation and
    fill_value."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 data_format=None, name=None, input_shape=None):
        super().__init__(seed=seed, data_format=data_format, name=name, input_shape=input_shape)
        kind = type(self).__name__
        self.fill_mode = choice(fill_mode, FILL_MODES, f"{kind} fill_mode")
        self.interpolation = choice(interpolation, INTERPOLATIONS, f"{kind} interpolation")
        self.fill_value = number(fill_value, f"{kind} fill_value")

    def augment(self, x, transformation):
        _, height, width, _ = x.shape
        taps = resampling(self.transforms(transformation, height, width), x.shape,
                          self.interpolation, self.fill_mode)
        return resample(x, taps, self.fill_value), taps

    def augment_backward(self, dout, taps):
        return resample_adjoint(dout, taps)

    def resampling_arguments(self):
        return {"fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}
