"""Max and average pooling: one number per window, for each channel on its own.

Window (oy, ox) covers the input rows S_h*oy - P_h ... S_h*oy - P_h + KH - 1, and the columns
likewise; pixels outside the image (the padding) never count:
    max:      out[n, oy, ox, c] = max of x[n, y, x, c] over the window's real pixels
              dx[n, y*, x*, c] += dout[n, oy, ox, c]   at the pixel (y*, x*) that won
    average:  out[n, oy, ox, c] = (sum of x[n, y, x, c] over the window's real pixels) / count
              dx[n, y, x, c] += dout[n, oy, ox, c] / count   at each of those pixels
count is the number of real pixels in the window: at an edge padded by "same" it is less than
KH*KW, as in Keras and TensorFlow (PyTorch's default, count_include_pad, divides by KH*KW).

Shapes:
    x:      (N, H, W, C)
    out:    (N, H_out, W_out, C); H_out and the padding P_h come from
            ``tinycnn.kernels.im2col.conv_geometry`` with "valid" or "same", which leave at
            least one real pixel in every window
    argmax: (N, H_out, W_out, C) int32, the winner's flat offset ky*KW + kx inside its window
            (counted from the window's corner, padding included)
    dx:     (N, H, W, C)
Max-pool ties go to the first pixel in row-major window order, in both the kernels and their
twins. Windows overlap when S_h < KH or S_w < KW; the backward scatters then add, which is safe
because each thread owns whole images. Each Numba kernel has a plain NumPy twin
(``*_reference``) with the same signature; tests hold them equal.
"""

import numpy as np

from tinycnn.kernels.im2col import at_offset, padded
from tinycnn.kernels.jit import kernel


def maxpool_forward(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """x: (N, H, W, C) -> (out, argmax), both (N, H_out, W_out, C)."""
    return _maxpool_forward(np.ascontiguousarray(x), kh, kw, stride_h, stride_w, pad_h, pad_w,
                            out_h, out_w)


def maxpool_backward(dout, argmax, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h,
                     out_w):
    """dout, argmax: (N, H_out, W_out, C) -> dx: (N, H, W, C)."""
    return _maxpool_backward(np.ascontiguousarray(dout), argmax, tuple(x_shape), kh, kw,
                             stride_h, stride_w, pad_h, pad_w, out_h, out_w)


def avgpool_forward(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """x: (N, H, W, C) -> out: (N, H_out, W_out, C)."""
    return _avgpool_forward(np.ascontiguousarray(x), kh, kw, stride_h, stride_w, pad_h, pad_w,
                            out_h, out_w)


def avgpool_backward(dout, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """dout: (N, H_out, W_out, C) -> dx: (N, H, W, C)."""
    return _avgpool_backward(np.ascontiguousarray(dout), tuple(x_shape), kh, kw, stride_h,
                             stride_w, pad_h, pad_w, out_h, out_w)


# The loops keep the channel axis innermost: channels are contiguous in memory, so each step
# compares, adds or copies C neighbouring numbers at once (the compiler vectorises it). Instead
# of testing every pixel against the image's edges, each window's loops run only over the
# offsets that land inside the image (``_inside``); away from the edges that is the whole window.


@kernel
def _inside(start, kernel, size):
    """The offsets k in [lo, hi) with 0 <= start + k < size, for a window starting at ``start``."""
    return max(0, -start), min(kernel, size - start)


@kernel
def _maxpool_forward(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    n, h, w, c = x.shape
    out = np.empty((n, out_h, out_w, c), dtype=x.dtype)
    argmax = np.empty((n, out_h, out_w, c), dtype=np.int32)
    for img in range(n):
        for oy in range(out_h):
            y0 = oy * stride_h - pad_h
            ky_lo, ky_hi = _inside(y0, kh, h)
            for ox in range(out_w):
                x0 = ox * stride_w - pad_w
                kx_lo, kx_hi = _inside(x0, kw, w)
                # Start from the window's first real pixel; only a strictly larger value
                # takes over, so the first maximum wins ties.
                first = ky_lo * kw + kx_lo
                for ch in range(c):
                    out[img, oy, ox, ch] = x[img, y0 + ky_lo, x0 + kx_lo, ch]
                    argmax[img, oy, ox, ch] = first
                for ky in range(ky_lo, ky_hi):
                    for kx in range(kx_lo, kx_hi):
                        at = ky * kw + kx
                        for ch in range(c):
                            value = x[img, y0 + ky, x0 + kx, ch]
                            if value > out[img, oy, ox, ch]:
                                out[img, oy, ox, ch] = value
                                argmax[img, oy, ox, ch] = at
    return out, argmax


@kernel
def _maxpool_backward(dout, argmax, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h,
                      out_w):
    n, h, w, c = x_shape
    dx = np.zeros((n, h, w, c), dtype=dout.dtype)
    for img in range(n):
        for oy in range(out_h):
            y0 = oy * stride_h - pad_h
            ky_lo, ky_hi = _inside(y0, kh, h)
            for ox in range(out_w):
                x0 = ox * stride_w - pad_w
                kx_lo, kx_hi = _inside(x0, kw, w)
                # Test every offset against the winner rather than jump to it: the compare
                # runs over C channels at once, a jump would go channel by channel.
                for ky in range(ky_lo, ky_hi):
                    for kx in range(kx_lo, kx_hi):
                        at = ky * kw + kx
                        for ch in range(c):
                            if argmax[img, oy, ox, ch] == at:
                                dx[img, y0 + ky, x0 + kx, ch] += dout[img, oy, ox, ch]
    return dx


@kernel
def _avgpool_forward(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    n, h, w, c = x.shape
    out = np.zeros((n, out_h, out_w, c), dtype=x.dtype)
    for img in range(n):
        for oy in range(out_h):
            y0 = oy * stride_h - pad_h
            ky_lo, ky_hi = _inside(y0, kh, h)
            for ox in range(out_w):
                x0 = ox * stride_w - pad_w
                kx_lo, kx_hi = _inside(x0, kw, w)
                for ky in range(ky_lo, ky_hi):
                    for kx in range(kx_lo, kx_hi):
                        for ch in range(c):
                            out[img, oy, ox, ch] += x[img, y0 + ky, x0 + kx, ch]
                count = (ky_hi - ky_lo) * (kx_hi - kx_lo)
                for ch in range(c):
                    out[img, oy, ox, ch] /= count
    return out


@kernel
def _avgpool_backward(dout, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    n, h, w, c = x_shape
    dx = np.zeros((n, h, w, c), dtype=dout.dtype)
    for img in range(n):
        for oy in range(out_h):
            y0 = oy * stride_h - pad_h
            ky_lo, ky_hi = _inside(y0, kh, h)
            for ox in range(out_w):
                x0 = ox * stride_w - pad_w
                kx_lo, kx_hi = _inside(x0, kw, w)
                # One division a window, not one a pixel: multiplying is much cheaper.
                share = 1.0 / ((ky_hi - ky_lo) * (kx_hi - kx_lo))
                for ky in range(ky_lo, ky_hi):
                    for kx in range(kx_lo, kx_hi):
                        for ch in range(c):
                            dx[img, y0 + ky, x0 + kx, ch] += dout[img, oy, ox, ch] * share
    return dx


# ---- the NumPy twins: pad, then one strided slice per window offset (ky, kx) ----------------
def _windows(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w, fill):
    """(N, H_out, W_out, C, KH*KW): every window's pixels in row-major window order, padding
    read as ``fill``."""
    n, _, _, c = x.shape
    xp = padded(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w, fill)
    windows = np.empty((n, out_h, out_w, c, kh * kw), dtype=x.dtype)
    for ky in range(kh):
        for kx in range(kw):
            windows[..., ky * kw + kx] = xp[at_offset(ky, kx, stride_h, stride_w, out_h, out_w)]
    return windows


def _scatter(shares, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """The adjoint of _windows: shares (N, H_out, W_out, C, KH*KW), what each window sends to
    each of its pixels, added up into dx: (N, H, W, C); what lands on the padding is dropped."""
    _, h, w, _ = x_shape
    dxp = padded(np.zeros(x_shape, shares.dtype), kh, kw, stride_h, stride_w, pad_h, pad_w,
                 out_h, out_w)
    for ky in range(kh):
        for kx in range(kw):
            dxp[at_offset(ky, kx, stride_h, stride_w, out_h, out_w)] += shares[..., ky * kw + kx]
    return dxp[:, pad_h : pad_h + h, pad_w : pad_w + w, :]


def _real_pixel_counts(x_shape, dtype, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """(1, H_out, W_out, 1): how many real pixels each window holds (the padding reads 0)."""
    ones = np.ones((1, *x_shape[1:3], 1), dtype=dtype)
    return _windows(ones, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w, 0.0).sum(-1)


def maxpool_forward_reference(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """NumPy twin of maxpool_forward: padding reads -inf, so it never wins."""
    geometry = (kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w)
    windows = _windows(x, *geometry, -np.inf)
    argmax = windows.argmax(axis=-1)  # first maximum wins ties, as in the kernel
    return windows.max(axis=-1), argmax.astype(np.int32)


def maxpool_backward_reference(dout, argmax, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w,
                               out_h, out_w):
    """NumPy twin of maxpool_backward: each window sends dout to its winner, 0 elsewhere."""
    geometry = (kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w)
    won = argmax[..., np.newaxis] == np.arange(kh * kw)
    shares = dout[..., np.newaxis] * won
    return _scatter(shares, x_shape, *geometry)


def avgpool_forward_reference(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """NumPy twin of avgpool_forward: window sums (padding reads 0) over real-pixel counts."""
    geometry = (kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w)
    sums = _windows(x, *geometry, 0.0).sum(axis=-1)
    return sums / _real_pixel_counts(x.shape, x.dtype, *geometry)


def avgpool_backward_reference(dout, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h,
                               out_w):
    """NumPy twin of avgpool_backward: every pixel of a window gets dout / count."""
    geometry = (kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w)
    share = dout / _real_pixel_counts(x_shape, dout.dtype, *geometry)
    shares = np.repeat(share[..., np.newaxis], kh * kw, axis=-1)
    return _scatter(shares, x_shape, *geometry)
