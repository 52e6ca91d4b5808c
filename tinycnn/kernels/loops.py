"""Textbook convolution and max pooling, as nested loops: the ground truth for the tests.

Nothing clever here on purpose: each output pixel is a sum over the kernel window, each
gradient is that same sum read backwards. Pure Python, so only for tiny shapes.

    conv:  out[n, oy, ox, f] = b[f] + sum_{ky, kx, c} xp[n, S*oy+ky, S*ox+kx, c] * W[ky, kx, c, f]
    where xp is x with zero pixels around it (padding "valid", "same" or P pixels a side).
Shapes: x (N, H, W, C), W (KH, KW, C, F), b (F,), out (N, H_out, W_out, F).
"""

import numpy as np

from tinycnn.kernels.im2col import conv_geometry


def _zero_padded(x, kh, kw, stride, padding):
    """x inside a zero frame big enough for every window, and the output size (out_h, out_w)."""
    _, h, w, _ = x.shape
    out_h, pad_h = conv_geometry(h, kh, stride, padding)
    out_w, pad_w = conv_geometry(w, kw, stride, padding)
    # Big enough for the input after its padding, and for the last window.
    height = max(pad_h + h, (out_h - 1) * stride + kh)
    width = max(pad_w + w, (out_w - 1) * stride + kw)
    xp = np.zeros((x.shape[0], height, width, x.shape[3]), dtype=x.dtype)
    xp[:, pad_h : pad_h + h, pad_w : pad_w + w, :] = x
    return xp, (pad_h, pad_w), (out_h, out_w)


def conv2d_forward_loops(x, W, b, stride, padding):
    kh, kw, c, f = W.shape
    xp, _, (out_h, out_w) = _zero_padded(x, kh, kw, stride, padding)
    out = np.zeros((x.shape[0], out_h, out_w, f), dtype=x.dtype)
    for i in range(x.shape[0]):
        for oy in range(out_h):
            for ox in range(out_w):
                for k in range(f):
                    total = b[k]
                    for ky in range(kh):
                        for kx in range(kw):
                            for ch in range(c):
                                pixel = xp[i, stride * oy + ky, stride * ox + kx, ch]
                                total += pixel * W[ky, kx, ch, k]
                    out[i, oy, ox, k] = total
    return out


def conv2d_backward_loops(x, W, dout, stride, padding):
    """Returns (dx, dW, db) for dout: (N, H_out, W_out, F)."""
    kh, kw, c, f = W.shape
    xp, (pad_h, pad_w), (out_h, out_w) = _zero_padded(x, kh, kw, stride, padding)
    dxp = np.zeros_like(xp)
    dW = np.zeros_like(W)
    db = np.zeros(f, dtype=W.dtype)
    for i in range(x.shape[0]):
        for oy in range(out_h):
            for ox in range(out_w):
                for k in range(f):
                    g = dout[i, oy, ox, k]
                    db[k] += g
                    for ky in range(kh):
                        for kx in range(kw):
                            for ch in range(c):
                                y, xx = stride * oy + ky, stride * ox + kx
                                dW[ky, kx, ch, k] += xp[i, y, xx, ch] * g
                                dxp[i, y, xx, ch] += W[ky, kx, ch, k] * g
    h, w = x.shape[1], x.shape[2]
    return dxp[:, pad_h : pad_h + h, pad_w : pad_w + w, :], dW, db


def maxpool_forward_loops(x, kh, kw, stride):
    n, h, w, c = x.shape
    out_h = (h - kh) // stride + 1
    out_w = (w - kw) // stride + 1
    out = np.zeros((n, out_h, out_w, c), dtype=x.dtype)
    for i in range(n):
        for oy in range(out_h):
            for ox in range(out_w):
                for ch in range(c):
                    y0, x0 = stride * oy, stride * ox
                    window = x[i, y0 : y0 + kh, x0 : x0 + kw, ch]
                    out[i, oy, ox, ch] = window.max()
    return out


def maxpool_backward_loops(x, dout, kh, kw, stride):
    """dx for dout: (N, H_out, W_out, C); the first maximum of a window takes the gradient."""
    dx = np.zeros_like(x)
    n, out_h, out_w, c = dout.shape
    for i in range(n):
        for oy in range(out_h):
            for ox in range(out_w):
                for ch in range(c):
                    y0, x0 = stride * oy, stride * ox
                    window = x[i, y0 : y0 + kh, x0 : x0 + kw, ch]
                    ky, kx = np.unravel_index(np.argmax(window), window.shape)
                    dx[i, stride * oy + ky, stride * ox + kx, ch] += dout[i, oy, ox, ch]
    return dx
