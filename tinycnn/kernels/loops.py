"""Textbook convolution, pooling and dense layers, as nested loops: the tests' ground truth.

Nothing clever here on purpose: each output pixel is a sum (or a max, or a mean) over its
window, each gradient is that same sum read backwards. Pure Python, so only for tiny shapes.

    conv:     out[n, oy, ox, f] = b[f] + sum_{ky, kx, c} xp[n, S_h*oy + R_h*ky, S_w*ox + R_w*kx, c]
                                                          * W[ky, kx, c, f]
              where xp is x with zero pixels around it ("valid", "same" or P pixels a side)
              and (R_h, R_w) the dilation rate: (1, 1), the taps side by side, unless given.
    depthwise: out[n, oy, ox, c*M + m] = b[c*M + m]
                        + sum_{ky, kx} xp[n, S_h*oy + R_h*ky, S_w*ox + R_w*kx, c] * W[ky, kx, c, m]
              every channel c convolved with its own M filters, no sum over channels.
    transposed conv: every input pixel stamps the kernel, times its value, onto the output:
              outp[n, S_h*iy + R_h*ky, S_w*ix + R_w*kx, f] += x[n, iy, ix, c] * W[ky, kx, f, c]
              then out = outp cropped by the padding of the convolution it transposes, + b.
    pooling:  out[n, oy, ox, c] = max (or mean) of the window's pixels that lie inside the
              image; padding ("valid" or "same") adds window positions, never values.
    dense:    out[n, u] = b[u] + sum_d x[n, d] * W[d, u]
Shapes: x (N, H, W, C), W (KH, KW, C, F), b (F,), out (N, H_out, W_out, F or C); depthwise
W (KH, KW, C, M), b (C*M,), out (N, H_out, W_out, C*M); transposed W (KH, KW, F, C), b (F,);
for dense, x (N, D), W (D, U), b (U,), out (N, U).
strides is a pair (S_h, S_w): the step down the rows and the step across the columns;
dilation_rate a pair (R_h, R_w): the step between a kernel's taps.
Every product in a forward loop is one multiply-add (``total += a * w``), so running the loops
on numbers that count their multiplications measures a layer's arithmetic
(tests/test_explain_costs.py holds tinycnn.explain's counts to it).
"""

import numpy as np

from tinycnn.kernels.im2col import dilated_span, window_geometry


def _zero_padded(x, kh, kw, strides, padding, dilation_rate=(1, 1)):
    """x inside a zero frame big enough for every window, and the output size (out_h, out_w)."""
    _, h, w, _ = x.shape
    (stride_h, stride_w), (dilation_h, dilation_w) = strides, dilation_rate
    (out_h, pad_h), (out_w, pad_w) = window_geometry((h, w), (kh, kw), strides, padding,
                                                     dilation_rate)
    # Big enough for the input after its padding, and for the last window.
    height = max(pad_h + h, (out_h - 1) * stride_h + dilated_span(kh, dilation_h))
    width = max(pad_w + w, (out_w - 1) * stride_w + dilated_span(kw, dilation_w))
    xp = np.zeros((x.shape[0], height, width, x.shape[3]), dtype=x.dtype)
    xp[:, pad_h : pad_h + h, pad_w : pad_w + w, :] = x
    return xp, (pad_h, pad_w), (out_h, out_w)


def conv2d_forward_loops(x, W, b, strides, padding, dilation_rate=(1, 1)):
    """The textbook convolution: x (N, H, W, C_in), W (KH, KW, C_in, F), b (F,) -> out
    (N, H_out, W_out, F), one output value at a time (the ground truth of the tests)."""
    kh, kw, c, f = W.shape
    (stride_h, stride_w), (dilation_h, dilation_w) = strides, dilation_rate
    xp, _, (out_h, out_w) = _zero_padded(x, kh, kw, strides, padding, dilation_rate)
    out = np.zeros((x.shape[0], out_h, out_w, f), dtype=x.dtype)
    for i in range(x.shape[0]):
        for oy in range(out_h):
            for ox in range(out_w):
                for k in range(f):
                    total = b[k]
                    for ky in range(kh):
                        for kx in range(kw):
                            y, xx = stride_h * oy + dilation_h * ky, stride_w * ox + dilation_w * kx
                            for ch in range(c):
                                total += xp[i, y, xx, ch] * W[ky, kx, ch, k]
                    out[i, oy, ox, k] = total
    return out


def conv2d_backward_loops(x, W, dout, strides, padding, dilation_rate=(1, 1)):
    """Returns (dx, dW, db) for dout: (N, H_out, W_out, F)."""
    kh, kw, c, f = W.shape
    (stride_h, stride_w), (dilation_h, dilation_w) = strides, dilation_rate
    xp, (pad_h, pad_w), (out_h, out_w) = _zero_padded(x, kh, kw, strides, padding,
                                                      dilation_rate)
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
                            y, xx = stride_h * oy + dilation_h * ky, stride_w * ox + dilation_w * kx
                            for ch in range(c):
                                dW[ky, kx, ch, k] += xp[i, y, xx, ch] * g
                                dxp[i, y, xx, ch] += W[ky, kx, ch, k] * g
    h, w = x.shape[1], x.shape[2]
    return dxp[:, pad_h : pad_h + h, pad_w : pad_w + w, :], dW, db


def depthwise_conv2d_forward_loops(x, W, b, strides, padding, dilation_rate=(1, 1)):
    """The textbook depthwise convolution: x (N, H, W, C), W (KH, KW, C, M), b (C*M,) -> out
    (N, H_out, W_out, C*M); output channel c*M + m is channel c under its filter m alone."""
    kh, kw, c, multiplier = W.shape
    (stride_h, stride_w), (dilation_h, dilation_w) = strides, dilation_rate
    xp, _, (out_h, out_w) = _zero_padded(x, kh, kw, strides, padding, dilation_rate)
    out = np.zeros((x.shape[0], out_h, out_w, c * multiplier), dtype=x.dtype)
    for i in range(x.shape[0]):
        for oy in range(out_h):
            for ox in range(out_w):
                for ch in range(c):
                    for m in range(multiplier):
                        total = b[ch * multiplier + m]
                        for ky in range(kh):
                            for kx in range(kw):
                                y = stride_h * oy + dilation_h * ky
                                xx = stride_w * ox + dilation_w * kx
                                total += xp[i, y, xx, ch] * W[ky, kx, ch, m]
                        out[i, oy, ox, ch * multiplier + m] = total
    return out


def conv2d_transpose_forward_loops(x, W, b, out_size, strides, padding, dilation_rate=(1, 1)):
    """The textbook transposed convolution: x (N, H, W, C), W (KH, KW, F, C), b (F,) -> out
    (N, H_out, W_out, F) for out_size (H_out, W_out). padding is the one of the convolution it
    transposes, the convolution from (H_out, W_out) back down to (H, W)."""
    kh, kw, f, c = W.shape
    n, h, w, _ = x.shape
    (stride_h, stride_w), (dilation_h, dilation_w) = strides, dilation_rate
    (_, pad_h), (_, pad_w) = window_geometry(out_size, (kh, kw), strides, padding,
                                             dilation_rate)
    # The output with its padding, big enough for every stamp.
    height = max(pad_h + out_size[0], (h - 1) * stride_h + dilated_span(kh, dilation_h))
    width = max(pad_w + out_size[1], (w - 1) * stride_w + dilated_span(kw, dilation_w))
    outp = np.zeros((n, height, width, f), dtype=x.dtype)
    for i in range(n):
        for iy in range(h):
            for ix in range(w):
                for ch in range(c):
                    for ky in range(kh):
                        for kx in range(kw):
                            y, xx = stride_h * iy + dilation_h * ky, stride_w * ix + dilation_w * kx
                            for k in range(f):
                                outp[i, y, xx, k] += x[i, iy, ix, ch] * W[ky, kx, k, ch]
    return outp[:, pad_h : pad_h + out_size[0], pad_w : pad_w + out_size[1], :] + b


def _pool_windows(h, w, kh, kw, strides, padding):
    """(out_h, out_w), and for every output pixel (oy, ox, rows, cols): the slices of the input
    its window covers, cut at the image's edges so padded pixels never take part."""
    (stride_h, stride_w) = strides
    (out_h, pad_h), (out_w, pad_w) = window_geometry((h, w), (kh, kw), strides, padding)
    windows = []
    for oy in range(out_h):
        top = stride_h * oy - pad_h
        rows = slice(max(top, 0), min(top + kh, h))
        for ox in range(out_w):
            left = stride_w * ox - pad_w
            windows.append((oy, ox, rows, slice(max(left, 0), min(left + kw, w))))
    return (out_h, out_w), windows


def _pool_forward_loops(x, kh, kw, strides, padding, reduce):
    """out[i, oy, ox, ch] = reduce(the real pixels of window (oy, ox) in channel ch)."""
    n, h, w, c = x.shape
    (out_h, out_w), windows = _pool_windows(h, w, kh, kw, strides, padding)
    out = np.zeros((n, out_h, out_w, c), dtype=x.dtype)
    for i in range(n):
        for oy, ox, rows, cols in windows:
            for ch in range(c):
                out[i, oy, ox, ch] = reduce(x[i, rows, cols, ch])
    return out


def maxpool_forward_loops(x, kh, kw, strides, padding="valid"):
    """The textbook max pool: x (N, H, W, C) -> (N, H_out, W_out, C), the largest value of each
    KH x KW window."""
    return _pool_forward_loops(x, kh, kw, strides, padding, np.max)


def maxpool_backward_loops(x, dout, kh, kw, strides, padding="valid"):
    """dx for dout: (N, H_out, W_out, C); the first maximum of a window takes the gradient."""
    n, h, w, c = x.shape
    _, windows = _pool_windows(h, w, kh, kw, strides, padding)
    dx = np.zeros_like(x)
    for i in range(n):
        for oy, ox, rows, cols in windows:
            for ch in range(c):
                window = x[i, rows, cols, ch]
                ky, kx = np.unravel_index(np.argmax(window), window.shape)
                dx[i, rows.start + ky, cols.start + kx, ch] += dout[i, oy, ox, ch]
    return dx


def avgpool_forward_loops(x, kh, kw, strides, padding="valid"):
    """The mean of each window's real pixels: at a "same"-padded edge, fewer than KH*KW."""
    return _pool_forward_loops(x, kh, kw, strides, padding, np.mean)


def avgpool_backward_loops(x_shape, dout, kh, kw, strides, padding="valid"):
    """dx for dout: (N, H_out, W_out, C); each real pixel of a window gets dout / count."""
    n, h, w, c = x_shape
    _, windows = _pool_windows(h, w, kh, kw, strides, padding)
    dx = np.zeros(x_shape, dtype=dout.dtype)
    for i in range(n):
        for oy, ox, rows, cols in windows:
            count = (rows.stop - rows.start) * (cols.stop - cols.start)
            for ch in range(c):
                dx[i, rows, cols, ch] += dout[i, oy, ox, ch] / count
    return dx


def dense_forward_loops(x, W, b):
    """out (N, U) for x (N, D), W (D, U), b (U,): one dot product per output value."""
    out = np.zeros((x.shape[0], W.shape[1]), dtype=x.dtype)
    for i in range(x.shape[0]):
        for unit in range(W.shape[1]):
            total = b[unit]
            for d in range(W.shape[0]):
                total += x[i, d] * W[d, unit]
            out[i, unit] = total
    return out
