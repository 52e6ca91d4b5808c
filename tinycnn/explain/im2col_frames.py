"""im2col, col2im and max pooling's gradient, window by window: what the animations draw.

Every number comes from the real kernels (tinycnn/kernels/), so a picture cannot drift from
the code it explains:
    im2col       im2col runs on an image whose pixels hold their own numbers plus one
                 (1, 2, ..., H*W; the padding reads 0), so each entry of ``cols`` tells which
                 pixel it copied: p = value - 1, or -1 for the padding. That is the index map.
    col2im       col2im runs on dcols with only its first f + 1 rows kept, for f = 0, 1, ...:
                 the image after each row has been added back. Where windows overlap, a pixel
                 receives one value from each window that holds it, and they add up.
    max pooling  maxpool_forward's argmax names each window's winner; maxpool_backward runs on
                 dout with only the first f + 1 windows kept: each window's gradient lands on
                 its winner alone, and a pixel that wins two windows receives both.
One image, one channel: inputs are (H, W), and pixel p is the one at row p // W, column p % W.
Frame f is window f, in the order of cols' rows (row by row over the output, oy then ox).
im2col and col2im take a dilation rate (R_h, R_w), as Conv2D does: a window's KH x KW cells (its
taps) are then R_h rows and R_w columns apart, spread over a span of R_h*(KH - 1) + 1 rows and
R_w*(KW - 1) + 1 columns, and the frames run the dilated kernels.

Shapes (F = H_out * W_out frames; H_p, W_p the padded input's size, see kernels/im2col.py):
    padded_index  (H_p, W_p)      the padded input's pixel numbers, -1 on the padding
    corners       (F, 2)          each window's top-left cell (row, column) on the padded input
    taps          (KH*KW, 2)      a window's cells (row, column) on the padded input, in the
                                  order of its row of cols (``Windows.taps(f)``)
    rows          (F, KH*KW)      im2col: the row of cols each window becomes (pixel numbers)
    dcols         (F, KH*KW)      col2im: the rows added back (default: ones, so the last
                                  picture counts the windows that cover each pixel)
    sums          (F, H, W)       col2im and max pooling: dx after frame f
    image         (H, W)          max pooling: the input
    winners       (F, 2)          max pooling: each window's winner (row, column) in the image
    dout          (F,)            max pooling: each window's gradient (default 1, 2, ..., F)
"""

from dataclasses import dataclass

import numpy as np

from tinycnn.kernels import NUMBA
from tinycnn.kernels.im2col import WindowGeometry, dilated_span, padded, window_geometry
from tinycnn.layers.conv_windows import col2im, im2col
from tinycnn.layers.shapes import positive_pair


@dataclass(frozen=True)
class Windows:
    """Where the windows go: sizes (H, W), (KH, KW), (S_h, S_w), (pad_h, pad_w), (H_out, W_out),
    the padded input's pixel numbers, each window's corner on it, and the dilation (R_h, R_w)."""

    input_size: tuple
    kernel_size: tuple
    strides: tuple
    pads: tuple
    out_size: tuple
    padded_index: np.ndarray
    corners: np.ndarray
    dilation: tuple = (1, 1)

    def kernel_args(self):
        """(KH, KW, S_h, S_w, pad_h, pad_w, H_out, W_out): what every kernel takes after x."""
        return (*self.kernel_size, *self.strides, *self.pads, *self.out_size)

    @property
    def span(self):
        """(rows, columns) a window spans: (KH, KW), or more when dilated."""
        return tuple(dilated_span(taps, dilation)
                     for taps, dilation in zip(self.kernel_size, self.dilation, strict=True))

    def cells(self, frame):
        """The padded-input slices (rows, columns) of the cells window ``frame`` reads: its
        KH x KW taps, R_h rows and R_w columns apart."""
        top, left = self.corners[frame]
        (span_h, span_w), (dilation_h, dilation_w) = self.span, self.dilation
        return (slice(top, top + span_h, dilation_h), slice(left, left + span_w, dilation_w))

    def taps(self, frame):
        """(KH*KW, 2): each cell (row, column) window ``frame`` reads, on the padded input, in
        the order of its row of cols."""
        rows, cols = self.cells(frame)
        grid = np.mgrid[rows, cols]  # (2, KH, KW)
        return grid.reshape(2, -1).T


@dataclass(frozen=True)
class Im2colFrames:
    windows: Windows
    rows: np.ndarray


@dataclass(frozen=True)
class Col2imFrames:
    windows: Windows
    dcols: np.ndarray
    sums: np.ndarray


@dataclass(frozen=True)
class MaxPoolFrames:
    windows: Windows
    image: np.ndarray
    winners: np.ndarray
    dout: np.ndarray
    sums: np.ndarray


def window_layout(input_size, kernel_size, strides=1, padding="valid", dilation_rate=1):
    """The Windows of a KH x KW kernel moving over an (H, W) input: padding "valid", "same" or a
    number of pixels, and the dilation rate, as Conv2D takes them."""
    input_size = positive_pair(input_size, "input_size")
    kernel_size = positive_pair(kernel_size, "kernel_size")
    strides = positive_pair(strides, "strides")
    dilation = positive_pair(dilation_rate, "dilation_rate")
    (out_h, pad_h), (out_w, pad_w) = window_geometry(input_size, kernel_size, strides, padding,
                                                     dilation)
    if out_h < 1 or out_w < 1:
        dilated = "" if dilation == (1, 1) else f" dilated {dilation}"
        raise ValueError(f"kernel {kernel_size}{dilated} with padding {padding!r} and strides "
                         f"{strides} is larger than the padded input {input_size}")
    numbers = _pixel_numbers(input_size)
    span = [dilated_span(taps, rate) for taps, rate in zip(kernel_size, dilation, strict=True)]
    framed = padded(numbers, *span, *strides, pad_h, pad_w, out_h, out_w)
    corners = np.array([(oy * strides[0], ox * strides[1])
                        for oy in range(out_h) for ox in range(out_w)])
    return Windows(input_size, kernel_size, strides, (pad_h, pad_w), (out_h, out_w),
                   framed[0, :, :, 0].astype(np.int64) - 1, corners, dilation)


def im2col_frames(input_size, kernel_size, strides=1, padding="valid", dilation_rate=1):
    """The index map of im2col: which pixel each entry of each row of ``cols`` copies."""
    windows = window_layout(input_size, kernel_size, strides, padding, dilation_rate)
    cols = im2col(NUMBA, _pixel_numbers(windows.input_size),
                  WindowGeometry(*windows.kernel_args()), windows.dilation)
    return Im2colFrames(windows, cols.astype(np.int64) - 1)


def col2im_frames(input_size, kernel_size, strides=1, padding="valid", dcols=None,
                  dilation_rate=1):
    """col2im adding the rows of dcols (F, KH*KW) back one at a time (default: ones)."""
    windows = window_layout(input_size, kernel_size, strides, padding, dilation_rate)
    count = len(windows.corners)
    width = windows.kernel_size[0] * windows.kernel_size[1]
    dcols = np.ones((count, width), np.float32) if dcols is None \
        else np.asarray(dcols, np.float32)
    if dcols.shape != (count, width):
        raise ValueError(f"col2im_frames dcols: expected shape {(count, width)} (one row per "
                         f"window, one column per kernel cell), got {dcols.shape}")
    x_shape = (1, *windows.input_size, 1)
    geometry = WindowGeometry(*windows.kernel_args())
    sums = np.stack([col2im(NUMBA, _first_rows(dcols, frame), x_shape, geometry,
                            windows.dilation)[0, :, :, 0]
                     for frame in range(count)])
    return Col2imFrames(windows, dcols, sums)


def maxpool_frames(image, pool_size=2, strides=None, padding="valid", dout=None):
    """Max pooling's backward, window by window, on image (H, W); dout (F,) defaults to
    1, 2, ..., F so that each window's share can be told apart."""
    image = np.asarray(image, np.float32)
    if image.ndim != 2:
        raise ValueError(f"maxpool_frames image: expected (H, W), got shape {image.shape}")
    windows = window_layout(image.shape, pool_size, pool_size if strides is None else strides,
                            padding)
    count = len(windows.corners)
    dout = np.arange(1, count + 1, dtype=np.float32) if dout is None \
        else np.asarray(dout, np.float32)
    if dout.shape != (count,):
        raise ValueError(f"maxpool_frames dout: expected shape ({count},), one value per "
                         f"window, got {dout.shape}")
    x = image[np.newaxis, :, :, np.newaxis]
    _, argmax = NUMBA.maxpool_forward(x, *windows.kernel_args())
    offsets = argmax.reshape(count)  # ky*KW + kx inside each window, padding included
    kernel_w = windows.kernel_size[1]
    winners = (windows.corners - np.array(windows.pads)
               + np.stack([offsets // kernel_w, offsets % kernel_w], axis=1))
    grid = (1, *windows.out_size, 1)
    sums = np.stack([NUMBA.maxpool_backward(_first_rows(dout, frame).reshape(grid), argmax,
                                            x.shape, *windows.kernel_args())[0, :, :, 0]
                     for frame in range(count)])
    return MaxPoolFrames(windows, image, winners, dout, sums)


def _pixel_numbers(input_size):
    """A (1, H, W, 1) float32 image whose pixel p holds p + 1 (exact up to 2**24 pixels)."""
    height, width = input_size
    return np.arange(1, height * width + 1, dtype=np.float32).reshape(1, height, width, 1)


def _first_rows(values, frame):
    """values with every row (or entry) after ``frame`` set to 0."""
    kept = np.zeros_like(values)
    kept[:frame + 1] = values[:frame + 1]
    return kept
