"""im2col and col2im: turn a convolution into one matrix multiply.

im2col copies every KH x KW x C patch that the kernel visits into one row of a matrix, so that
convolving with F filters becomes ``cols @ W.reshape(KH*KW*C, F)``. col2im is its adjoint: it adds
each row of a patch-gradient matrix back onto the pixels that patch came from (pixels shared by
overlapping patches receive the sum).

Shapes (channels-last, rows ordered image by image, then out_y, then out_x):
    x:     (N, H, W, C)
    cols:  (N * H_out * W_out, KH * KW * C), each row ordered (ky, kx, c) to match W's layout
    H_out, and the padding, from ``conv_geometry`` ("valid", "same" or P pixels a side), one
    axis at a time: the stride S_h down the rows may differ from S_w across the columns

Every kernel here and in pooling.py takes the same eight numbers after its arrays: KH, KW,
S_h, S_w, P_h, P_w, H_out, W_out. A layer works them out once, in build, as one
``WindowGeometry`` whose fields are those arguments by name and in order, and calls
``kernel(x, *geometry)``; the kernels themselves take plain ints, which is what Numba compiles.

A dilated kernel (dilation rate (R_h, R_w), an "atrous" convolution) spreads its KH x KW taps
out: tap (ky, kx) of window (oy, ox) reads the padded pixel (S_h*oy + R_h*ky, S_w*ox + R_w*kx),
so the window spans R_h*(KH - 1) + 1 rows (``dilated_span``) while cols keeps KH*KW*C columns.
``im2col_dilated`` and ``col2im_dilated`` take (R_h, R_w) after the eight numbers; with
(1, 1) they compute what im2col and col2im do, which stay the fast path (each window row one
contiguous run).

Padding is done on the fly (out-of-image pixels read as 0) instead of with ``np.pad``, which
would copy the whole batch. The Numba kernels run one image per thread: images never share
output rows or pixels, so the parallel scatter in col2im has no races.
Each Numba kernel has a plain NumPy twin (``*_reference``) with the same signature; tests hold
them equal.
"""

from typing import NamedTuple

import numpy as np

from tinycnn.kernels.jit import kernel


def dilated_span(taps, dilation):
    """How many pixels a kernel of ``taps`` taps, ``dilation`` pixels apart, spans along one
    axis: dilation * (taps - 1) + 1 (3 taps 2 apart span 5 pixels; dilation 1 spans ``taps``)."""
    return dilation * (taps - 1) + 1


def conv_geometry(size, kernel, stride, padding, dilation=1):
    """Output length and padding before the first pixel, along one axis.

    padding "valid": no padding, out = (size - kernel) // stride + 1.
    padding "same":  out = ceil(size / stride); the total padding needed is split with the
                     extra pixel after, as Keras and TensorFlow do.
    padding p (int): p pixels on both sides, out = (size + 2p - kernel) // stride + 1.
    dilation: the step between the kernel's taps; a dilated window spans
    ``dilated_span(kernel, dilation)`` pixels, which takes the place of kernel above.
    Returns (out, pad_before). Pixels past the input's end read as zero, so only the padding
    before needs to be known.
    """
    kernel = dilated_span(kernel, dilation)
    if padding == "valid":
        out, pad_before = (size - kernel) // stride + 1, 0
    elif padding == "same":
        out = -(-size // stride)
        pad_before = max((out - 1) * stride + kernel - size, 0) // 2
    else:
        out, pad_before = (size + 2 * padding - kernel) // stride + 1, padding
    return out, pad_before


def window_geometry(image_shape, kernel_size, strides, padding, dilation_rate=(1, 1)):
    """``conv_geometry`` down the rows and across the columns of an image (H, W, ...):
    ((out_h, pad_h), (out_w, pad_w)) for a (KH, KW) window moving by (S_h, S_w), its taps
    dilation_rate (R_h, R_w) apart."""
    (h, w), (kh, kw), (stride_h, stride_w) = image_shape[:2], kernel_size, strides
    dilation_h, dilation_w = dilation_rate
    return (conv_geometry(h, kh, stride_h, padding, dilation_h),
            conv_geometry(w, kw, stride_w, padding, dilation_w))


class WindowGeometry(NamedTuple):
    """Where a layer's KH x KW windows go on its input, worked out once (in the layer's build):

        kh, kw               KH, KW: the window's height and width (in taps: a dilated
                             window spans more pixels, see ``dilated_span``)
        stride_h, stride_w   S_h, S_w: the step from one window to the next, down and across
        pad_h, pad_w         zero rows before the image's first row, zero columns before its
                             first column (more may follow the last: they read as 0 anyway)
        out_h, out_w         H_out, W_out: how many windows fit down and across

    The fields are the kernels' arguments after their arrays, by name and in order, so a layer
    calls ``kernels.im2col(x, *geometry)`` (tests/test_kernels.py holds the names equal).
    """

    kh: int
    kw: int
    stride_h: int
    stride_w: int
    pad_h: int
    pad_w: int
    out_h: int
    out_w: int

    @classmethod
    def of(cls, image_shape, kernel_size, strides, padding, dilation_rate=(1, 1)):
        """The windows of a (KH, KW) kernel moving by (S_h, S_w) over an image (H, W, ...),
        padded "valid", "same" or P pixels a side (see ``conv_geometry``), its taps
        dilation_rate (R_h, R_w) apart (the rate itself is the dilated kernels' to take)."""
        (out_h, pad_h), (out_w, pad_w) = window_geometry(image_shape, kernel_size, strides,
                                                         padding, dilation_rate)
        return cls(*kernel_size, *strides, pad_h, pad_w, out_h, out_w)


def im2col(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """Patches of x as rows. x: (N, H, W, C) -> cols: (N*H_out*W_out, KH*KW*C).

    stride_h, stride_w: steps between windows, down and across (S_h, S_w).
    pad_h, pad_w: zero pixels before the first row and column (see ``conv_geometry``).
    """
    return _im2col(np.ascontiguousarray(x), kh, kw, stride_h, stride_w, pad_h, pad_w,
                   out_h, out_w)


def col2im(dcols, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """Adjoint of im2col. dcols: (N*H_out*W_out, KH*KW*C) -> dx: (N, H, W, C), summed."""
    return _col2im(np.ascontiguousarray(dcols), tuple(x_shape), kh, kw, stride_h, stride_w,
                   pad_h, pad_w, out_h, out_w)


# In channels-last memory, the KW pixels of one kernel row sit side by side: KW*C consecutive
# numbers. So each window row is one contiguous run, both in x (viewed as (N, H, W*C)) and in
# its row of cols, and the inner loop copies it straight through (the compiler vectorises it;
# taking the two rows as views first lets it see the indices never go negative). Only windows
# that hang over the image's edge go pixel by pixel.


@kernel
def _im2col(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    n, h, w, c = x.shape
    run = kw * c
    x_rows = x.reshape((n, h, w * c))
    cols = np.empty((n * out_h * out_w, kh * run), dtype=x.dtype)
    for img in range(n):
        for oy in range(out_h):
            for ox in range(out_w):
                cols_row = cols[(img * out_h + oy) * out_w + ox]
                x0 = ox * stride_w - pad_w
                inside_x = x0 >= 0 and x0 + kw <= w
                for ky in range(kh):
                    y = oy * stride_h - pad_h + ky
                    start = ky * run
                    if inside_x and 0 <= y < h:
                        x_row = x_rows[img, y]
                        for i in range(run):
                            cols_row[start + i] = x_row[x0 * c + i]
                    else:
                        for kx in range(kw):
                            xx = x0 + kx
                            inside = 0 <= y < h and 0 <= xx < w
                            for ch in range(c):
                                cols_row[start + kx * c + ch] = x[img, y, xx, ch] if inside else 0.0
    return cols


@kernel
def _col2im(dcols, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    n, h, w, c = x_shape
    run = kw * c
    dx_rows = np.zeros((n, h, w * c), dtype=dcols.dtype)
    for img in range(n):
        for oy in range(out_h):
            for ox in range(out_w):
                dcols_row = dcols[(img * out_h + oy) * out_w + ox]
                x0 = ox * stride_w - pad_w
                inside_x = x0 >= 0 and x0 + kw <= w
                for ky in range(kh):
                    y = oy * stride_h - pad_h + ky
                    if y < 0 or y >= h:
                        continue
                    start = ky * run
                    dx_row = dx_rows[img, y]
                    if inside_x:
                        dx_run = dx_row[x0 * c : x0 * c + run]
                        for i in range(run):
                            dx_run[i] += dcols_row[start + i]
                    else:
                        for kx in range(kw):
                            xx = x0 + kx
                            if 0 <= xx < w:
                                for ch in range(c):
                                    dx_row[xx * c + ch] += dcols_row[start + kx * c + ch]
    return dx_rows.reshape((n, h, w, c))


def im2col_dilated(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w, dilation_h,
                   dilation_w):
    """im2col for a kernel whose taps are dilation_h rows and dilation_w columns apart (R_h,
    R_w). x: (N, H, W, C) -> cols: (N*H_out*W_out, KH*KW*C); the other numbers as for im2col,
    worked out for the dilated kernel (``WindowGeometry.of(..., dilation_rate)``)."""
    return _im2col_dilated(np.ascontiguousarray(x), kh, kw, stride_h, stride_w, pad_h, pad_w,
                           out_h, out_w, dilation_h, dilation_w)


def col2im_dilated(dcols, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w,
                   dilation_h, dilation_w):
    """Adjoint of im2col_dilated. dcols: (N*H_out*W_out, KH*KW*C) -> dx: (N, H, W, C)."""
    return _col2im_dilated(np.ascontiguousarray(dcols), tuple(x_shape), kh, kw, stride_h,
                           stride_w, pad_h, pad_w, out_h, out_w, dilation_h, dilation_w)


# A dilated window's taps are not side by side, so these go tap by tap: each tap is one
# pixel's C channels, C consecutive numbers both in x and in the row of cols. A tap that
# falls on the padding reads 0 (im2col) or is dropped (col2im).


@kernel
def _im2col_dilated(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w, dilation_h,
                    dilation_w):
    n, h, w, c = x.shape
    cols = np.empty((n * out_h * out_w, kh * kw * c), dtype=x.dtype)
    for img in range(n):
        for oy in range(out_h):
            for ox in range(out_w):
                cols_row = cols[(img * out_h + oy) * out_w + ox]
                for ky in range(kh):
                    y = oy * stride_h - pad_h + ky * dilation_h
                    for kx in range(kw):
                        xx = ox * stride_w - pad_w + kx * dilation_w
                        start = (ky * kw + kx) * c
                        inside = 0 <= y < h and 0 <= xx < w
                        for ch in range(c):
                            cols_row[start + ch] = x[img, y, xx, ch] if inside else 0.0
    return cols


@kernel
def _col2im_dilated(dcols, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w,
                    dilation_h, dilation_w):
    n, h, w, c = x_shape
    dx = np.zeros((n, h, w, c), dtype=dcols.dtype)
    for img in range(n):
        for oy in range(out_h):
            for ox in range(out_w):
                dcols_row = dcols[(img * out_h + oy) * out_w + ox]
                for ky in range(kh):
                    y = oy * stride_h - pad_h + ky * dilation_h
                    for kx in range(kw):
                        xx = ox * stride_w - pad_w + kx * dilation_w
                        if 0 <= y < h and 0 <= xx < w:
                            start = (ky * kw + kx) * c
                            for ch in range(c):
                                dx[img, y, xx, ch] += dcols_row[start + ch]
    return dx


def padded(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w, fill=0.0):
    """x framed by ``fill``: pad_h/pad_w pixels before, and after as many as the last window
    needs. The twins here and in pooling.py pad this way; the Numba kernels never copy."""
    _, h, w, _ = x.shape
    after_h = max((out_h - 1) * stride_h + kh - h - pad_h, 0)
    after_w = max((out_w - 1) * stride_w + kw - w - pad_w, 0)
    return np.pad(x, ((0, 0), (pad_h, after_h), (pad_w, after_w), (0, 0)), constant_values=fill)


def at_offset(ky, kx, stride_h, stride_w, out_h, out_w):
    """Index of a padded batch that picks pixel (S_h*oy + ky, S_w*ox + kx), the one at offset
    (ky, kx) of window (oy, ox), for every output pixel at once: (N, H_out, W_out, C)."""
    return (slice(None), slice(ky, ky + stride_h * out_h, stride_h),
            slice(kx, kx + stride_w * out_w, stride_w), slice(None))


def im2col_reference(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """NumPy twin of im2col: im2col_dilated_reference with the taps side by side."""
    return im2col_dilated_reference(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w,
                                    1, 1)


def col2im_reference(dcols, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """NumPy twin of col2im: col2im_dilated_reference with the taps side by side."""
    return col2im_dilated_reference(dcols, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w,
                                    out_h, out_w, 1, 1)


def im2col_dilated_reference(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w,
                             dilation_h, dilation_w):
    """NumPy twin of im2col_dilated: pad, then take one strided slice per kernel tap (ky, kx),
    which sits at (R_h*ky, R_w*kx) in every window."""
    n, _, _, c = x.shape
    span_h, span_w = dilated_span(kh, dilation_h), dilated_span(kw, dilation_w)
    xp = padded(x, span_h, span_w, stride_h, stride_w, pad_h, pad_w, out_h, out_w)
    patches = np.empty((n, out_h, out_w, kh, kw, c), dtype=x.dtype)
    for ky in range(kh):
        for kx in range(kw):
            tap = at_offset(dilation_h * ky, dilation_w * kx, stride_h, stride_w, out_h, out_w)
            patches[:, :, :, ky, kx, :] = xp[tap]
    return patches.reshape(n * out_h * out_w, kh * kw * c)


def col2im_dilated_reference(dcols, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h,
                             out_w, dilation_h, dilation_w):
    """NumPy twin of col2im_dilated: add each tap's slice back, then crop the padding."""
    n, h, w, c = x_shape
    patches = dcols.reshape(n, out_h, out_w, kh, kw, c)
    span_h, span_w = dilated_span(kh, dilation_h), dilated_span(kw, dilation_w)
    dxp = padded(np.zeros(x_shape, dcols.dtype), span_h, span_w, stride_h, stride_w, pad_h,
                 pad_w, out_h, out_w)
    for ky in range(kh):
        for kx in range(kw):
            tap = at_offset(dilation_h * ky, dilation_w * kx, stride_h, stride_w, out_h, out_w)
            dxp[tap] += patches[:, :, :, ky, kx, :]
    return dxp[:, pad_h : pad_h + h, pad_w : pad_w + w, :]
