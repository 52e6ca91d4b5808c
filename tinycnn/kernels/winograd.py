"""Winograd convolution F(2x2, 3x3): the same 3x3 convolution with 2.25x fewer multiplies.

im2col (im2col.py) computes every output pixel on its own: 9 multiplies per input channel and
filter. Winograd computes a 2x2 block of outputs at once from the 4x4 tile of input that block
reads, in three steps. In one dimension, F(2, 3) gives two outputs of a 3-tap filter g from
four inputs d with 4 multiplies instead of 6:

    y0 = d0*g0 + d1*g1 + d2*g2          m0 = (d0 - d2) * g0
    y1 = d1*g0 + d2*g1 + d3*g2          m1 = (d1 + d2) * (g0 + g1 + g2) / 2
                                        m2 = (d2 - d1) * (g0 - g1 + g2) / 2
    y0 = m0 + m1 + m2                   m3 = (d1 - d3) * g2
    y1 = m1 - m2 - m3

The filter's combinations are worked out once per step, not once per tile. Written with
matrices, y = A^T [(G g) * (B^T d)] with * element by element, and nested for two dimensions:

    Y = A^T [ (G g G^T) * (B^T d B) ] A         d: 4x4 tile, g: 3x3 kernel, Y: 2x2 outputs

          | 1  0 -1  0 |             |  1    0    0  |
    B^T = | 0  1  1  0 |         G = | 1/2  1/2  1/2 |       A^T = | 1  1  1  0 |
          | 0 -1  1  0 |             | 1/2 -1/2  1/2 |             | 0  1 -1 -1 |
          | 0  1  0 -1 |             |  0    0    1  |

Why 2.25x fewer: a 2x2 block of outputs needs 2*2*9 = 36 multiplies per (input channel,
filter) pair computed directly, 16 (one per entry of the 4x4 product) with Winograd. The
transforms cost only additions (B and A hold 0 and +-1; G's halves touch the weights alone),
and each is paid once per tile and channel, not per channel pair. Summed over the C input
channels, the 16 element-by-element products become 16 matrix multiplies, one per tile
position p, which is where the time goes (as in im2col, BLAS does it):

    U = G g G^T        weights:  W (3, 3, C, F)  -> U (16, C, F)         winograd_weights
    V = B^T d B        inputs:   x (N, H, W, C)  -> V (16, T, C)         winograd_inputs
    M[p] = V[p] @ U[p]           16 GEMMs (T, C) @ (C, F) -> M (16, T, F)      (the layer)
    Y = A^T M A        outputs:  M (16, T, F)    -> z (N*H_out*W_out, F) winograd_outputs

T = N * ceil(H_out/2) * ceil(W_out/2) tiles, ordered image by image, tile row, tile column.
Tiles overlap by two pixels (each starts 2 pixels after the last and reads 4); the last tile
row or column may hang over the output's edge: it reads zeros and its extra outputs are
dropped, so an odd H_out wastes a little (conv2d_1's 11x11 outputs take 6x6 tiles: 144
computed for 121 kept, so 1.89x fewer multiplies there, not 2.25x).

Backward is each step's adjoint, in reverse (the transpose of every matrix above):
    dM = A dY A^T                 dz (N*H_out*W_out, F) -> dM (16, T, F)   winograd_outputs_backward
    dU[p] = V[p]^T @ dM[p]        dW = G^T dU G  -> (3, 3, C, F)   winograd_weights_backward
    dV[p] = dM[p] @ U[p]^T        dx = B dV B^T, overlapping tiles added   winograd_inputs_backward
so the gradients are exact in exact arithmetic, and dM is shared by dW and dx.

Where the rounding error comes from: each transformed value is a sum or difference of 4
inputs (B) or of up to 9 products (A), so float32 rounds a few more times per output than a
direct sum; cancellation between large terms of opposite sign costs most. F(2x2, 3x3)'s
entries are 0, +-1 and 1/2, all exact in binary, and its error stays next to im2col's (a few
1e-7 relative in float32, tests/test_winograd.py measures it against float64). Larger tiles
multiply less (F(4x4, 3x3): 36 multiplies per 16 outputs instead of 144) but their matrices
hold 4, 5, 8, 1/6 and 1/24, and the error grows with them: ``F43`` is kept here, with the
NumPy twins that take any tile size, so the tests can measure it; the layer uses F(2x2, 3x3).

The Numba kernels go one band of tiles (one tile row of one image) at a time. Each transform
is separable: apply the 4x4 (or 4x2...) matrix down the tile's rows, then across its columns.
Down the rows it runs over whole image rows at once (long loops the compiler vectorises);
across, it runs tile by tile over the C numbers of one pixel. Each helper below is one matrix,
written out row by row, applied to runs of numbers. Each kernel has a NumPy twin
(``*_reference``) that does the matrix products on all tiles at once; tests hold them equal.
Every kernel takes the eight numbers of a ``WindowGeometry`` after its arrays, like im2col,
and refuses any window but 3x3 with stride 1 (dilation is the layer's to refuse).
"""

from typing import NamedTuple

import numpy as np

from tinycnn.kernels.jit import kernel


class Transform(NamedTuple):
    """The matrices of F(m x m, 3 x 3): tiles of a = m + 2 pixels give m x m outputs."""

    BT: np.ndarray  # (a, a): input tile d -> B^T d B
    G: np.ndarray  # (a, 3): kernel g -> G g G^T
    AT: np.ndarray  # (m, a): products M -> A^T M A


F23 = Transform(
    BT=np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=np.float64),
    G=np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]),
    AT=np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=np.float64),
)

# F(4x4, 3x3), interpolation points 0, +-1, +-2 (Lavin and Gray, 2015): 6x6 tiles.
F43 = Transform(
    BT=np.array([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
                 [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
                dtype=np.float64),
    G=np.array([[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
                [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]]),
    AT=np.array([[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0],
                 [0, 1, -1, 8, -8, 1]], dtype=np.float64),
)


def tile_counts(out_h, out_w, m=2):
    """(tiles down, tiles across): ceil(H_out / m), ceil(W_out / m)."""
    return -(-out_h // m), -(-out_w // m)


def check_window(kh, kw, stride_h, stride_w):
    """Winograd F(2x2, 3x3) computes 3x3 windows moving one pixel at a time, nothing else."""
    if (kh, kw, stride_h, stride_w) != (3, 3, 1, 1):
        raise ValueError(f"Winograd F(2x2, 3x3) needs a 3x3 kernel with strides 1, got "
                         f"kernel ({kh}, {kw}) and strides ({stride_h}, {stride_w})")


# ---- the Numba kernels --------------------------------------------------------------------
def winograd_weights(W):
    """U = G g G^T for every (input channel, filter): W (3, 3, C, F) -> U (16, C, F)."""
    check_window(*W.shape[:2], 1, 1)
    _, _, c, f = W.shape
    U = _weights(np.ascontiguousarray(W).reshape(3, 3, c * f))
    return U.reshape(16, c, f)


def winograd_weights_backward(dU):
    """dW = G^T dU G, the adjoint of winograd_weights: dU (16, C, F) -> dW (3, 3, C, F)."""
    _, c, f = dU.shape
    dW = _weights_backward(np.ascontiguousarray(dU).reshape(4, 4, c * f))
    return dW.reshape(3, 3, c, f)


def winograd_inputs(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """V = B^T d B for every 4x4 tile d: x (N, H, W, C) -> V (16, T, C); pixels outside the
    image (the padding, the last tiles' overhang) read as 0."""
    check_window(kh, kw, stride_h, stride_w)
    return _inputs(np.ascontiguousarray(x), pad_h, pad_w, out_h, out_w)


def winograd_inputs_backward(dV, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h,
                             out_w):
    """dx = B dV B^T, the adjoint of winograd_inputs: dV (16, T, C) -> dx (N, H, W, C), the
    overlapping tiles added up (like col2im), the padding dropped."""
    check_window(kh, kw, stride_h, stride_w)
    return _inputs_backward(np.ascontiguousarray(dV), tuple(x_shape), pad_h, pad_w, out_h,
                            out_w)


def winograd_outputs(M, n, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """Y = A^T M A for every tile: M (16, T, F) -> z (N*H_out*W_out, F), rows ordered like
    im2col's (image, out_y, out_x); outputs past the edge are dropped."""
    check_window(kh, kw, stride_h, stride_w)
    return _outputs(np.ascontiguousarray(M), n, out_h, out_w)


def winograd_outputs_backward(dz, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w):
    """dM = A dY A^T, the adjoint of winograd_outputs: dz (N*H_out*W_out, F) or
    (N, H_out, W_out, F) -> dM (16, T, F); outputs past the edge count as 0."""
    check_window(kh, kw, stride_h, stride_w)
    f = dz.shape[-1]
    return _outputs_backward(np.ascontiguousarray(dz).reshape(-1, out_h, out_w * f), f)


# Each helper applies one matrix to runs of numbers, the matrix written out one row a loop, so
# that each loop reads two or three runs and writes one, which the compiler vectorises. The
# band helpers take whole rows (views made once per band of tiles); the tile helpers index
# 3-D arrays in place (a view per tile and channel run would cost more than the arithmetic).
# "_add" helpers add into their outputs: the adjoints of overlapping tiles meet there.


@kernel
def _apply_BT(d0, d1, d2, d3, v0, v1, v2, v3):
    """(v0, v1, v2, v3) = B^T (d0, d1, d2, d3), each a run of numbers."""
    for i in range(len(d0)):
        v0[i] = d0[i] - d2[i]
    for i in range(len(d0)):
        v1[i] = d1[i] + d2[i]
    for i in range(len(d0)):
        v2[i] = d2[i] - d1[i]
    for i in range(len(d0)):
        v3[i] = d1[i] - d3[i]


@kernel
def _apply_BT_across(band, i, col, V, t):
    """V[4i + j, t] = (B^T applied across band[i, col:col + 4]) [j]: one tile's row i."""
    for ch in range(V.shape[2]):
        V[4 * i, t, ch] = band[i, col, ch] - band[i, col + 2, ch]
    for ch in range(V.shape[2]):
        V[4 * i + 1, t, ch] = band[i, col + 1, ch] + band[i, col + 2, ch]
    for ch in range(V.shape[2]):
        V[4 * i + 2, t, ch] = band[i, col + 2, ch] - band[i, col + 1, ch]
    for ch in range(V.shape[2]):
        V[4 * i + 3, t, ch] = band[i, col + 1, ch] - band[i, col + 3, ch]


@kernel
def _add_B(v0, v1, v2, v3, d0, d1, d2, d3):
    """(d0, d1, d2, d3) += B (v0, v1, v2, v3): B^T's columns."""
    for i in range(len(v0)):
        d0[i] += v0[i]
    for i in range(len(v0)):
        d1[i] += v1[i] - v2[i] + v3[i]
    for i in range(len(v0)):
        d2[i] += v1[i] + v2[i] - v0[i]
    for i in range(len(v0)):
        d3[i] -= v3[i]


@kernel
def _add_B_across(dV, t, i, band, col):
    """band[i, col:col + 4] += B applied across dV[4i:4i + 4, t]: the adjoint of
    _apply_BT_across."""
    for ch in range(dV.shape[2]):
        band[i, col, ch] += dV[4 * i, t, ch]
    for ch in range(dV.shape[2]):
        band[i, col + 1, ch] += dV[4 * i + 1, t, ch] - dV[4 * i + 2, t, ch] + dV[4 * i + 3, t, ch]
    for ch in range(dV.shape[2]):
        band[i, col + 2, ch] += dV[4 * i + 1, t, ch] + dV[4 * i + 2, t, ch] - dV[4 * i, t, ch]
    for ch in range(dV.shape[2]):
        band[i, col + 3, ch] -= dV[4 * i + 3, t, ch]


@kernel
def _apply_AT(m0, m1, m2, m3, y0, y1):
    """(y0, y1) = A^T (m0, m1, m2, m3)."""
    for i in range(len(y0)):
        y0[i] = m0[i] + m1[i] + m2[i]
    for i in range(len(y0)):
        y1[i] = m1[i] - m2[i] - m3[i]


@kernel
def _apply_AT_across(M, t, i, band, col):
    """band[i, col:col + 2] = A^T applied across M[4i:4i + 4, t]."""
    for ch in range(M.shape[2]):
        band[i, col, ch] = M[4 * i, t, ch] + M[4 * i + 1, t, ch] + M[4 * i + 2, t, ch]
    for ch in range(M.shape[2]):
        band[i, col + 1, ch] = M[4 * i + 1, t, ch] - M[4 * i + 2, t, ch] - M[4 * i + 3, t, ch]


@kernel
def _apply_A(y0, y1, m0, m1, m2, m3):
    """(m0, m1, m2, m3) = A (y0, y1): A^T's columns."""
    for i in range(len(y0)):
        m0[i] = y0[i]
    for i in range(len(y0)):
        m1[i] = y0[i] + y1[i]
    for i in range(len(y0)):
        m2[i] = y0[i] - y1[i]
    for i in range(len(y0)):
        m3[i] = -y1[i]


@kernel
def _apply_A_across(band, i, col, dM, t):
    """dM[4i:4i + 4, t] = A applied across band[i, col:col + 2]: the adjoint of
    _apply_AT_across."""
    for ch in range(dM.shape[2]):
        dM[4 * i, t, ch] = band[i, col, ch]
    for ch in range(dM.shape[2]):
        dM[4 * i + 1, t, ch] = band[i, col, ch] + band[i, col + 1, ch]
    for ch in range(dM.shape[2]):
        dM[4 * i + 2, t, ch] = band[i, col, ch] - band[i, col + 1, ch]
    for ch in range(dM.shape[2]):
        dM[4 * i + 3, t, ch] = -band[i, col + 1, ch]


@kernel
def _apply_G(g0, g1, g2, u0, u1, u2, u3):
    """(u0, u1, u2, u3) = G (g0, g1, g2)."""
    for i in range(len(g0)):
        u0[i] = g0[i]
    for i in range(len(g0)):
        u1[i] = (g0[i] + g1[i] + g2[i]) * 0.5
    for i in range(len(g0)):
        u2[i] = (g0[i] - g1[i] + g2[i]) * 0.5
    for i in range(len(g0)):
        u3[i] = g2[i]


@kernel
def _apply_GT(u0, u1, u2, u3, g0, g1, g2):
    """(g0, g1, g2) = G^T (u0, u1, u2, u3): G's columns."""
    for i in range(len(g0)):
        g0[i] = u0[i] + (u1[i] + u2[i]) * 0.5
    for i in range(len(g0)):
        g1[i] = (u1[i] - u2[i]) * 0.5
    for i in range(len(g0)):
        g2[i] = (u1[i] + u2[i]) * 0.5 + u3[i]


@kernel
def _weights(W):
    # W: (3, 3, C*F), one run per tap. Down the kernel's rows, then across its columns.
    half = np.empty((4, 3, W.shape[2]), dtype=W.dtype)  # G g
    U = np.empty((4, 4, W.shape[2]), dtype=W.dtype)
    for kx in range(3):
        _apply_G(W[0, kx], W[1, kx], W[2, kx], half[0, kx], half[1, kx], half[2, kx],
                 half[3, kx])
    for i in range(4):
        _apply_G(half[i, 0], half[i, 1], half[i, 2], U[i, 0], U[i, 1], U[i, 2], U[i, 3])
    return U.reshape((16, W.shape[2]))


@kernel
def _weights_backward(dU):
    # dU: (4, 4, C*F). The adjoint of _weights: across the columns first, then down the rows.
    half = np.empty((4, 3, dU.shape[2]), dtype=dU.dtype)
    dW = np.empty((3, 3, dU.shape[2]), dtype=dU.dtype)
    for i in range(4):
        _apply_GT(dU[i, 0], dU[i, 1], dU[i, 2], dU[i, 3], half[i, 0], half[i, 1], half[i, 2])
    for kx in range(3):
        _apply_GT(half[0, kx], half[1, kx], half[2, kx], half[3, kx], dW[0, kx], dW[1, kx],
                  dW[2, kx])
    return dW


@kernel
def _row_or(rows, img, y, fallback):
    """Row y of image img (a run of W*C numbers), or ``fallback`` where y is off the image."""
    return rows[img, y] if 0 <= y < rows.shape[1] else fallback


@kernel
def _inputs(x, pad_h, pad_w, out_h, out_w):
    n, h, w, c = x.shape
    tiles_h, tiles_w = (out_h + 1) // 2, (out_w + 1) // 2
    x_rows = x.reshape((n, h, w * c))
    V = np.empty((16, n * tiles_h * tiles_w, c), dtype=x.dtype)
    # band[i]: row i of B^T d for a whole tile row, pixel by pixel in padded columns (the
    # image's pixel 0 at column pad_w); columns off the image are never written: they stay 0.
    band = np.zeros((4, 2 * tiles_w + 2, c), dtype=x.dtype)
    band_rows = band.reshape((4, (2 * tiles_w + 2) * c))
    left = pad_w * c
    run = min(w * c, band_rows.shape[1] - left)  # the image columns some tile reads
    b0, b1 = band_rows[0, left:left + run], band_rows[1, left:left + run]
    b2, b3 = band_rows[2, left:left + run], band_rows[3, left:left + run]
    zeros = np.zeros(w * c, dtype=x.dtype)
    for img in range(n):
        for ty in range(tiles_h):
            y0 = 2 * ty - pad_h
            d0, d1 = _row_or(x_rows, img, y0, zeros), _row_or(x_rows, img, y0 + 1, zeros)
            d2, d3 = _row_or(x_rows, img, y0 + 2, zeros), _row_or(x_rows, img, y0 + 3, zeros)
            _apply_BT(d0[:run], d1[:run], d2[:run], d3[:run], b0, b1, b2, b3)  # down
            first = (img * tiles_h + ty) * tiles_w
            for tx in range(tiles_w):
                for i in range(4):
                    _apply_BT_across(band, i, 2 * tx, V, first + tx)
    return V


@kernel
def _inputs_backward(dV, x_shape, pad_h, pad_w, out_h, out_w):
    n, h, w, c = x_shape
    tiles_h, tiles_w = (out_h + 1) // 2, (out_w + 1) // 2
    dx_rows = np.zeros((n, h, w * c), dtype=dV.dtype)
    band = np.empty((4, 2 * tiles_w + 2, c), dtype=dV.dtype)  # B dV across a tile row
    band_rows = band.reshape((4, (2 * tiles_w + 2) * c))
    left = pad_w * c
    run = min(w * c, band_rows.shape[1] - left)
    b0, b1 = band_rows[0, left:left + run], band_rows[1, left:left + run]
    b2, b3 = band_rows[2, left:left + run], band_rows[3, left:left + run]
    discard = np.empty(w * c, dtype=dV.dtype)  # gradients of rows off the image go here
    for img in range(n):
        for ty in range(tiles_h):
            band[:] = 0.0
            first = (img * tiles_h + ty) * tiles_w
            for tx in range(tiles_w):
                for i in range(4):
                    _add_B_across(dV, first + tx, i, band, 2 * tx)
            y0 = 2 * ty - pad_h
            d0, d1 = _row_or(dx_rows, img, y0, discard), _row_or(dx_rows, img, y0 + 1, discard)
            d2 = _row_or(dx_rows, img, y0 + 2, discard)
            d3 = _row_or(dx_rows, img, y0 + 3, discard)
            _add_B(b0, b1, b2, b3, d0[:run], d1[:run], d2[:run], d3[:run])  # down
    return dx_rows.reshape((n, h, w, c))


@kernel
def _outputs(M, n, out_h, out_w):
    f = M.shape[2]
    tiles_h, tiles_w = (out_h + 1) // 2, (out_w + 1) // 2
    z_rows = np.empty((n, out_h, out_w * f), dtype=M.dtype)
    band = np.empty((4, 2 * tiles_w, f), dtype=M.dtype)  # M A across a tile row
    band_rows = band.reshape((4, 2 * tiles_w * f))
    run = out_w * f
    b0, b1, b2, b3 = band_rows[0, :run], band_rows[1, :run], band_rows[2, :run], band_rows[3, :run]
    discard = np.empty(run, dtype=M.dtype)  # an odd H_out's extra output row
    for img in range(n):
        for ty in range(tiles_h):
            first = (img * tiles_h + ty) * tiles_w
            for tx in range(tiles_w):
                for i in range(4):
                    _apply_AT_across(M, first + tx, i, band, 2 * tx)
            y0 = _row_or(z_rows, img, 2 * ty, discard)
            y1 = _row_or(z_rows, img, 2 * ty + 1, discard)
            _apply_AT(b0, b1, b2, b3, y0, y1)  # down
    return z_rows.reshape((n * out_h * out_w, f))


@kernel
def _outputs_backward(dz_rows, f):
    n, out_h, run = dz_rows.shape
    tiles_h, tiles_w = (out_h + 1) // 2, (run // f + 1) // 2
    dM = np.empty((16, n * tiles_h * tiles_w, f), dtype=dz_rows.dtype)
    band = np.zeros((4, 2 * tiles_w, f), dtype=dz_rows.dtype)  # A dY down a tile row
    band_rows = band.reshape((4, 2 * tiles_w * f))
    b0, b1, b2, b3 = band_rows[0, :run], band_rows[1, :run], band_rows[2, :run], band_rows[3, :run]
    zeros = np.zeros(run, dtype=dz_rows.dtype)  # the gradient of outputs past the edge
    for img in range(n):
        for ty in range(tiles_h):
            y0 = _row_or(dz_rows, img, 2 * ty, zeros)
            y1 = _row_or(dz_rows, img, 2 * ty + 1, zeros)
            _apply_A(y0, y1, b0, b1, b2, b3)  # down
            first = (img * tiles_h + ty) * tiles_w
            for tx in range(tiles_w):
                for i in range(4):
                    _apply_A_across(band, i, 2 * tx, dM, first + tx)
    return dM


# ---- the NumPy twins: the matrix products on all tiles at once, for any Transform ---------
def winograd_weights_reference(W, transform=F23):
    """NumPy twin of winograd_weights: U = G g G^T. W (3, 3, C, F) -> U (a*a, C, F)."""
    check_window(*W.shape[:2], 1, 1)
    G = transform.G.astype(W.dtype)
    U = G @ W.transpose(2, 3, 0, 1) @ G.T  # (C, F, a, a)
    return U.transpose(2, 3, 0, 1).reshape(-1, *W.shape[2:])


def winograd_weights_backward_reference(dU, transform=F23):
    """NumPy twin of winograd_weights_backward: dW = G^T dU G. (a*a, C, F) -> (3, 3, C, F)."""
    G = transform.G.astype(dU.dtype)
    a = len(G)
    dW = G.T @ dU.reshape(a, a, *dU.shape[1:]).transpose(2, 3, 0, 1) @ G  # (C, F, 3, 3)
    return dW.transpose(2, 3, 0, 1)


def _tiled_frame(out_h, out_w, transform):
    """(tiles_h, tiles_w, m, a): how many tiles, outputs per tile side, tile side."""
    m, a = transform.AT.shape
    return (*tile_counts(out_h, out_w, m), m, a)


def winograd_inputs_reference(x, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w,
                              transform=F23):
    """NumPy twin of winograd_inputs: cut out every tile, then V = B^T d B on all of them."""
    check_window(kh, kw, stride_h, stride_w)
    n, h, w, c = x.shape
    tiles_h, tiles_w, m, a = _tiled_frame(out_h, out_w, transform)
    frame_h, frame_w = m * tiles_h + a - m, m * tiles_w + a - m  # the tiles' padded span
    xp = np.zeros((n, frame_h, frame_w, c), dtype=x.dtype)
    rows, cols = min(h, frame_h - pad_h), min(w, frame_w - pad_w)
    xp[:, pad_h:pad_h + rows, pad_w:pad_w + cols] = x[:, :rows, :cols]
    tiles = np.empty((n, tiles_h, tiles_w, c, a, a), dtype=x.dtype)
    for k in range(a):
        for j in range(a):
            tiles[..., k, j] = xp[:, k:k + m * tiles_h:m, j:j + m * tiles_w:m]
    BT = transform.BT.astype(x.dtype)
    V = BT @ tiles @ BT.T  # (N, tiles_h, tiles_w, C, a, a)
    return V.transpose(4, 5, 0, 1, 2, 3).reshape(a * a, -1, c)


def winograd_inputs_backward_reference(dV, x_shape, kh, kw, stride_h, stride_w, pad_h, pad_w,
                                       out_h, out_w, transform=F23):
    """NumPy twin of winograd_inputs_backward: dd = B dV B^T on all tiles, then each tile's
    pixels added back where they were cut from."""
    check_window(kh, kw, stride_h, stride_w)
    n, h, w, c = x_shape
    tiles_h, tiles_w, m, a = _tiled_frame(out_h, out_w, transform)
    BT = transform.BT.astype(dV.dtype)
    dtiles = dV.reshape(a, a, n, tiles_h, tiles_w, c).transpose(2, 3, 4, 5, 0, 1)
    dtiles = BT.T @ dtiles @ BT  # (N, tiles_h, tiles_w, C, a, a)
    frame_h, frame_w = m * tiles_h + a - m, m * tiles_w + a - m
    dxp = np.zeros((n, max(frame_h, pad_h + h), max(frame_w, pad_w + w), c), dtype=dV.dtype)
    for k in range(a):
        for j in range(a):
            dxp[:, k:k + m * tiles_h:m, j:j + m * tiles_w:m] += dtiles[..., k, j]
    return dxp[:, pad_h:pad_h + h, pad_w:pad_w + w]


def winograd_outputs_reference(M, n, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h, out_w,
                               transform=F23):
    """NumPy twin of winograd_outputs: Y = A^T M A on all tiles, the tiles laid side by side,
    the overhang cropped."""
    check_window(kh, kw, stride_h, stride_w)
    tiles_h, tiles_w, m, a = _tiled_frame(out_h, out_w, transform)
    f = M.shape[2]
    AT = transform.AT.astype(M.dtype)
    Y = AT @ M.reshape(a, a, n, tiles_h, tiles_w, f).transpose(2, 3, 4, 5, 0, 1) @ AT.T
    Y = Y.transpose(0, 1, 4, 2, 5, 3).reshape(n, m * tiles_h, m * tiles_w, f)
    return Y[:, :out_h, :out_w].reshape(-1, f)


def winograd_outputs_backward_reference(dz, kh, kw, stride_h, stride_w, pad_h, pad_w, out_h,
                                        out_w, transform=F23):
    """NumPy twin of winograd_outputs_backward: dz framed with zeros to whole tiles, then
    dM = A dY A^T on all of them."""
    check_window(kh, kw, stride_h, stride_w)
    tiles_h, tiles_w, m, a = _tiled_frame(out_h, out_w, transform)
    f = dz.shape[-1]
    dz = dz.reshape(-1, out_h, out_w, f)
    n = len(dz)
    dY = np.zeros((n, m * tiles_h, m * tiles_w, f), dtype=dz.dtype)
    dY[:, :out_h, :out_w] = dz
    dY = dY.reshape(n, tiles_h, m, tiles_w, m, f).transpose(0, 1, 3, 5, 2, 4)
    AT = transform.AT.astype(dz.dtype)
    dM = AT.T @ dY @ AT  # (N, tiles_h, tiles_w, F, a, a)
    return dM.transpose(4, 5, 0, 1, 2, 3).reshape(a * a, -1, f)
