"""One tile through Winograd's F(2x2, 3x3), drawn from the real kernels' numbers.

    d   a 4x4 tile of one input channel          V = B^T d B    (winograd_inputs)
    g   the 3x3 kernel of one filter             U = G g G^T    (winograd_weights)
    M = U * V, element by element: 16 multiplies (for many channels: 16 matrix multiplies)
    Y = A^T M A: the 2x2 outputs (winograd_outputs), equal to the direct sums of 36 products
Shapes: tile (4, 4), kernel (3, 3). Small integers are easiest to follow (the defaults).
"""

import matplotlib.pyplot as plt
import numpy as np

from tinycnn.kernels import NUMBA
from tinycnn.kernels.im2col import WindowGeometry
from tinycnn.viz._output import finish_figure

DEFAULT_TILE = np.array([[1, 2, 0, 3], [4, 1, 2, 1], [0, 3, 1, 2], [2, 0, 4, 1]], float)
DEFAULT_KERNEL = np.array([[1, 0, -1], [2, 1, 0], [0, -1, 1]], float)


def winograd_tile_steps(tile=None, kernel=None):
    """Every matrix of one tile's trip, by name: "d", "V", "g", "U", "M", "Y" and "direct"
    (the 2x2 outputs computed as im2col would), each a 2-D array."""
    d = DEFAULT_TILE if tile is None else np.asarray(tile, dtype=np.float64)
    g = DEFAULT_KERNEL if kernel is None else np.asarray(kernel, dtype=np.float64)
    if d.shape != (4, 4) or g.shape != (3, 3):
        raise ValueError(f"winograd_tile_steps: expects a 4x4 tile and a 3x3 kernel, got "
                         f"{d.shape} and {g.shape}")
    geometry = WindowGeometry.of((4, 4), (3, 3), (1, 1), "valid")
    x, W = d.reshape(1, 4, 4, 1), g.reshape(3, 3, 1, 1)
    V, U = NUMBA.winograd_inputs(x, *geometry), NUMBA.winograd_weights(W)  # (16, 1, 1) each
    M = V * U
    Y = NUMBA.winograd_outputs(M, 1, *geometry)
    direct = NUMBA.im2col(x, *geometry) @ W.reshape(9, 1)
    return {"d": d, "V": V.reshape(4, 4), "g": g, "U": U.reshape(4, 4), "M": M.reshape(4, 4),
            "Y": Y.reshape(2, 2), "direct": direct.reshape(2, 2)}


def _matrix(ax, values, title, cmap):
    limit = max(float(np.abs(values).max()), 1e-9)
    ax.imshow(values, cmap=cmap, vmin=-limit, vmax=limit)
    for (row, col), value in np.ndenumerate(values):
        dark = abs(value) > 0.6 * limit  # white on the darkest cells
        ax.text(col, row, f"{value + 0.0:g}", ha="center", va="center", fontsize=10,
                color="white" if dark else "black")  # + 0.0: no "-0"
    ax.set_title(title, fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_winograd_tile(tile=None, kernel=None, path=None):
    """The figure of one tile through F(2x2, 3x3): d -> V, g -> U, M = U * V, Y = A^T M A,
    beside the direct result. ``path``: save a PNG there (and close the figure)."""
    steps = winograd_tile_steps(tile, kernel)
    fig, axes = plt.subplots(1, 7, figsize=(17, 3.2),
                             gridspec_kw={"width_ratios": [4, 4, 3, 4, 4, 2, 2]})
    panels = [("d", "d: 4x4 input tile"), ("V", "V = B$^T$ d B\n(additions only)"),
              ("g", "g: 3x3 kernel"), ("U", "U = G g G$^T$\n(once per step)"),
              ("M", "M = U * V\n16 multiplies"), ("Y", "Y = A$^T$ M A\n2x2 outputs"),
              ("direct", "direct sums\n36 multiplies")]
    for ax, (key, title) in zip(axes, panels, strict=True):
        _matrix(ax, steps[key], title, "RdBu" if key not in ("d", "g") else "PuOr")
    same = np.allclose(steps["Y"], steps["direct"])
    fig.suptitle("One tile through Winograd F(2x2, 3x3): "
                 + ("the same outputs with 16 multiplies instead of 36" if same
                    else "outputs differ from the direct sums"), fontsize=12)
    fig.tight_layout()
    return finish_figure(fig, path)
