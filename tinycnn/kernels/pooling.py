"""Max pooling: forward keeps which pixel won each window, backward routes the gradient there.

    out[n, oy, ox, c] = max over (ky, kx) of x[n, S*oy + ky, S*ox + kx, c]
    dx[n, S*oy + ky*, S*ox + kx*, c] += dout[n, oy, ox, c]   where (ky*, kx*) won the window

Shapes:
    x:      (N, H, W, C)
    out:    (N, H_out, W_out, C), H_out = (H - KH) // S + 1 (floor, like Keras "valid")
    argmax: (N, H_out, W_out, C) int32, the winner's flat offset ky*KW + kx inside its window
    dx:     (N, H, W, C)
Ties go to the first pixel in row-major window order, in both the kernel and its twin. Windows
overlap when S < KH; the backward scatter then adds, which is safe because each thread owns
whole images.
"""

import numpy as np
from numba import njit, prange


def maxpool_forward(x, kh, kw, stride):
    """x: (N, H, W, C) -> (out, argmax), both (N, H_out, W_out, C)."""
    return _maxpool_forward(np.ascontiguousarray(x), kh, kw, stride)


def maxpool_backward(dout, argmax, x_shape, kh, kw, stride):
    """dout, argmax: (N, H_out, W_out, C) -> dx: (N, H, W, C)."""
    return _maxpool_backward(np.ascontiguousarray(dout), argmax, tuple(x_shape), kh, kw, stride)


# The loops keep the channel axis innermost: channels are contiguous in memory, so each step
# compares or copies C neighbouring numbers at once (the compiler vectorises it).


@njit(parallel=True, cache=True)
def _maxpool_forward(x, kh, kw, stride):
    n, h, w, c = x.shape
    out_h = (h - kh) // stride + 1
    out_w = (w - kw) // stride + 1
    out = np.empty((n, out_h, out_w, c), dtype=x.dtype)
    argmax = np.zeros((n, out_h, out_w, c), dtype=np.int32)
    for img in prange(n):
        for oy in range(out_h):
            for ox in range(out_w):
                y0, x0 = oy * stride, ox * stride
                for ch in range(c):
                    out[img, oy, ox, ch] = x[img, y0, x0, ch]
                for ky in range(kh):
                    for kx in range(kw):
                        at = ky * kw + kx
                        for ch in range(c):
                            value = x[img, y0 + ky, x0 + kx, ch]
                            if value > out[img, oy, ox, ch]:
                                out[img, oy, ox, ch] = value
                                argmax[img, oy, ox, ch] = at
    return out, argmax


@njit(parallel=True, cache=True)
def _maxpool_backward(dout, argmax, x_shape, kh, kw, stride):
    n, h, w, c = x_shape
    out_h, out_w = dout.shape[1], dout.shape[2]
    dx = np.zeros((n, h, w, c), dtype=dout.dtype)
    for img in prange(n):
        for oy in range(out_h):
            for ox in range(out_w):
                won_at, grad = argmax[img, oy, ox], dout[img, oy, ox]
                for ky in range(kh):
                    for kx in range(kw):
                        at = ky * kw + kx
                        dx_pixel = dx[img, oy * stride + ky, ox * stride + kx]
                        for ch in range(c):
                            if won_at[ch] == at:
                                dx_pixel[ch] += grad[ch]
    return dx


def _windows(x, kh, kw, stride):
    """(N, H_out, W_out, C, KH*KW): every pooling window's pixels, in row-major window order."""
    n, h, w, c = x.shape
    out_h = (h - kh) // stride + 1
    out_w = (w - kw) // stride + 1
    windows = np.empty((n, out_h, out_w, c, kh * kw), dtype=x.dtype)
    for ky in range(kh):
        for kx in range(kw):
            windows[..., ky * kw + kx] = x[
                :, ky : ky + stride * out_h : stride, kx : kx + stride * out_w : stride, :
            ]
    return windows


def maxpool_forward_reference(x, kh, kw, stride):
    """NumPy twin of maxpool_forward."""
    windows = _windows(x, kh, kw, stride)
    argmax = windows.argmax(axis=-1)  # first maximum wins ties, as in the kernel
    return windows.max(axis=-1), argmax.astype(np.int32)


def maxpool_backward_reference(dout, argmax, x_shape, kh, kw, stride):
    """NumPy twin of maxpool_backward: one masked, strided add per window offset."""
    out_h, out_w = dout.shape[1], dout.shape[2]
    dx = np.zeros(x_shape, dtype=dout.dtype)
    for ky in range(kh):
        for kx in range(kw):
            won = argmax == ky * kw + kx
            dx[:, ky : ky + stride * out_h : stride, kx : kx + stride * out_w : stride, :] += (
                dout * won
            )
    return dx
