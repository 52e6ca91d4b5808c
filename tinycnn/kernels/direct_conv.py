"""Direct convolution: the multiply-adds of a convolution as plain loops, with no im2col matrix.

    z[n, oy, ox, f]  = sum_{ky, kx, c}  x[n, y, x, c] * W[ky, kx, c, f]
    dW[ky, kx, c, f] = sum_{n, oy, ox}  x[n, y, x, c] * dz[n, oy, ox, f]
    where y = S_h*oy - P_h + ky and x = S_w*ox - P_w + kx
(pixels outside the image, the padding, are zero, so they add nothing and are skipped).

Why a second way to convolve: im2col + one matrix multiply is fast when each window is long
(KH*KW*C_in of a few hundred numbers: BLAS runs near its peak). A first layer on grayscale
images has windows of KH*KW*1 = 9 numbers: im2col then writes a matrix as big as the multiply's
work, and BLAS, given an inner dimension of 9, runs at a tenth of its speed. Looping straight
over the image, with the F filters innermost (contiguous in W, z and dW, so the compiler
vectorises them), does the same arithmetic without the copy. Conv2D picks this way for short
windows (``DIRECT_MAX_DEPTH`` in tinycnn/layers/conv2d.py).

Shapes (channels-last, like the rest of tinycnn):
    x:   (N, H, W, C)
    W:   (KH, KW, C, F)
    z:   (N * H_out * W_out, F), rows ordered image by image, then oy, then ox (as im2col's)
    dz:  the same as z;  dW: the same as W
H_out, W_out and the padding P_h, P_w come from ``conv_geometry`` (tinycnn/kernels/im2col.py).
Each Numba kernel has a plain NumPy twin (``*_reference``) with the same signature; tests hold
them equal.
"""

import numpy as np

from tinycnn.kernels.im2col import at_offset, padded, window_inside
from tinycnn.kernels.jit import kernel


def conv_direct(x, W, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """x: (N, H, W, C), W: (KH, KW, C, F) -> z: (N*H_out*W_out, F), before bias."""
    return _conv_direct(np.ascontiguousarray(x), np.ascontiguousarray(W), stride_h, stride_w,
                        pad_h, pad_w, out_h, out_w)


def conv_direct_weight_grad(x, dz, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """x: (N, H, W, C), dz: (N*H_out*W_out, F) -> dW: (KH, KW, C, F)."""
    return _conv_direct_weight_grad(np.ascontiguousarray(x), np.ascontiguousarray(dz), kh, kw,
                                    stride_h, stride_w, pad_h, pad_w, out_h, out_w)


# The loops run window row by window row: for one output row (n, oy) and one kernel offset
# (ky, kx, c), every window of the row meets its pixel, and that pixel times W[ky, kx, c, :]
# is added to the window's F outputs. F is innermost (contiguous in W, z and dW: the compiler
# vectorises it), and one output row of z stays in the first-level cache while the KH*KW*C
# offsets pass over it. Windows that hang over the image's edge skip their outside offsets.


@kernel
def _conv_direct(x, W, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    n, h, w, c = x.shape
    kh, kw, _, f = W.shape
    z = np.zeros((n * out_h * out_w, f), dtype=x.dtype)
    for img in range(n):
        for oy in range(out_h):
            first_row = (img * out_h + oy) * out_w
            y0 = oy * stride_h - pad_h
            ky_lo, ky_hi = window_inside(y0, kh, h)
            for ky in range(ky_lo, ky_hi):
                for kx in range(kw):
                    for ch in range(c):
                        for ox in range(out_w):
                            xx = ox * stride_w - pad_w + kx
                            if 0 <= xx < w:
                                pixel = x[img, y0 + ky, xx, ch]
                                for j in range(f):
                                    z[first_row + ox, j] += pixel * W[ky, kx, ch, j]
    return z


@kernel
def _conv_direct_weight_grad(x, dz, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    n, h, w, c = x.shape
    f = dz.shape[1]
    dW = np.zeros((kh, kw, c, f), dtype=dz.dtype)
    for img in range(n):
        for oy in range(out_h):
            first_row = (img * out_h + oy) * out_w
            y0 = oy * stride_h - pad_h
            ky_lo, ky_hi = window_inside(y0, kh, h)
            for ky in range(ky_lo, ky_hi):
                for kx in range(kw):
                    for ch in range(c):
                        for ox in range(out_w):
                            xx = ox * stride_w - pad_w + kx
                            if 0 <= xx < w:
                                pixel = x[img, y0 + ky, xx, ch]
                                for j in range(f):
                                    dW[ky, kx, ch, j] += pixel * dz[first_row + ox, j]
    return dW


def conv_direct_reference(x, W, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """NumPy twin of conv_direct: for each kernel offset (ky, kx), the pixels it meets in every
    window at once (one strided slice of the padded batch) times that offset's weights."""
    kh, kw, _, f = W.shape
    xp = padded(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w)
    z = np.zeros((x.shape[0], out_h, out_w, f), dtype=x.dtype)
    for ky in range(kh):
        for kx in range(kw):
            z += xp[at_offset(ky, kx, stride_h, stride_w, out_h, out_w)] @ W[ky, kx]
    return z.reshape(-1, f)


def conv_direct_weight_grad_reference(x, dz, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h,
                                      out_w):
    """NumPy twin of conv_direct_weight_grad: one (C, F) block of dW per kernel offset."""
    c, f = x.shape[3], dz.shape[1]
    xp = padded(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w)
    dW = np.empty((kh, kw, c, f), dtype=dz.dtype)
    for ky in range(kh):
        for kx in range(kw):
            pixels = xp[at_offset(ky, kx, stride_h, stride_w, out_h, out_w)].reshape(-1, c)
            dW[ky, kx] = pixels.T @ dz
    return dW
