"""How im2col moves, as animations: one frame per window, drawn from the real kernels' numbers.

    im2col    the window walks over the (padded) input; each stop becomes one row of cols.
              Every pixel keeps its colour, so you see it copied into every row that holds it
              (padding is grey: it reads 0). A dilated window (dilation_rate above 1) is
              drawn as a dashed outline over its span, with each cell it reads outlined.
    col2im    the rows of dcols go back, one a frame, each onto the pixels its window covers;
              where windows overlap a pixel collects one value per window, and they add up
              (with dcols all ones the last picture counts the windows over each pixel).
    max pool  each window's gradient goes to its winner (gold) alone; a pixel that wins two
              windows receives both, every other pixel gets 0.
The numbers come from tinycnn/explain/im2col_frames.py, which runs im2col, col2im and the
max pooling kernels themselves. Each ``make_*`` returns the FuncAnimation (a notebook shows
it with ``HTML(anim.to_jshtml())``); each ``animate_*`` writes a GIF and/or the same HTML player
as the training animation's (viz/_output.py) and returns the paths, ``{"gif": Path, "html": Path}``.

Shapes: input_size (H, W); image (H, W); dcols (F, KH*KW); dout (F,), F = H_out * W_out, one
frame per window. Keep them small (up to about 8x8): every cell is labelled. im2col and col2im
take dilation_rate (an int or a pair), as Conv2D does.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation
from matplotlib.colors import to_rgba
from matplotlib.patches import Rectangle

from tinycnn.explain.im2col_frames import col2im_frames, im2col_frames, maxpool_frames
from tinycnn.viz._output import save_animation

PADDING_GREY = (0.85, 0.85, 0.85, 1.0)
EMPTY = (1.0, 1.0, 1.0, 1.0)
FOCUS = "red"
WINNER = "gold"


def make_im2col_animation(input_size=(5, 5), kernel_size=3, strides=1, padding="valid",
                          fps=1.0, dilation_rate=1):
    """im2col on an (H, W) input: one frame per window, the window and the row it becomes."""
    frames = im2col_frames(input_size, kernel_size, strides, padding, dilation_rate)
    return _im2col_animation(frames, fps)[1]


def animate_im2col(input_size=(5, 5), kernel_size=3, strides=1, padding="valid",
                   gif_path=None, html_path=None, fps=1.0, dilation_rate=1):
    """Write the im2col animation (one frame per window) as a GIF and/or an HTML player."""
    frames = im2col_frames(input_size, kernel_size, strides, padding, dilation_rate)
    fig, anim = _im2col_animation(frames, fps)
    return save_animation(anim, fig, gif_path, html_path, fps=fps, title="im2col")


def make_col2im_animation(input_size=(5, 5), kernel_size=3, strides=1, padding="valid",
                          dcols=None, fps=1.0, dilation_rate=1):
    """col2im on an (H, W) input: one frame per row of dcols (default ones) added back."""
    frames = col2im_frames(input_size, kernel_size, strides, padding, dcols, dilation_rate)
    return _col2im_animation(frames, fps)[1]


def animate_col2im(input_size=(5, 5), kernel_size=3, strides=1, padding="valid", dcols=None,
                   gif_path=None, html_path=None, fps=1.0, dilation_rate=1):
    """Write the col2im animation (one frame per row) as a GIF and/or an HTML player."""
    frames = col2im_frames(input_size, kernel_size, strides, padding, dcols, dilation_rate)
    fig, anim = _col2im_animation(frames, fps)
    return save_animation(anim, fig, gif_path, html_path, fps=fps, title="col2im")


def make_maxpool_animation(image=None, pool_size=2, strides=None, padding="valid", dout=None,
                           fps=1.0):
    """Max pooling's backward on image (H, W) (default: a 6x6 of small integers)."""
    frames = maxpool_frames(_default_image() if image is None else image, pool_size, strides,
                            padding, dout)
    return _maxpool_animation(frames, fps)[1]


def animate_maxpool_backward(image=None, pool_size=2, strides=None, padding="valid", dout=None,
                             gif_path=None, html_path=None, fps=1.0):
    """Write the max pooling gradient-routing animation as a GIF and/or an HTML player."""
    frames = maxpool_frames(_default_image() if image is None else image, pool_size, strides,
                            padding, dout)
    fig, anim = _maxpool_animation(frames, fps)
    return save_animation(anim, fig, gif_path, html_path, fps=fps,
                          title="Max pooling: the gradient goes to the winner")


def _default_image():
    """A 6x6 image of small integers: easy to read, with ties for the first one to win."""
    return np.random.default_rng(0).integers(0, 10, size=(6, 6))


# ---- drawing -------------------------------------------------------------------------------
CELL = 0.36  # inches a cell: both grids share one scale, so a pixel looks the same in each
MARGIN = 0.3


class _Grid:
    """A grid of labelled, coloured cells on its own axes, with one outline that moves: made
    once, then updated frame by frame (redrawing every artist would be many times slower)."""

    def __init__(self, fig, left, bottom, shape):
        width, height = fig.get_size_inches()
        rows, cols = shape
        self.ax = fig.add_axes((left / width, bottom / height, cols * CELL / width,
                                rows * CELL / height))
        self.image = self.ax.imshow(np.ones((rows, cols, 4)), interpolation="nearest")
        size = 9 if max(rows, cols) < 30 else 7
        self.texts = np.array([[self.ax.text(col, row, "", ha="center", va="center",
                                             fontsize=size) for col in range(cols)]
                               for row in range(rows)])
        self.ax.set_xticks(np.arange(-0.5, cols), minor=True)
        self.ax.set_yticks(np.arange(-0.5, rows), minor=True)
        self.ax.grid(which="minor", color="0.75", linewidth=0.8)
        self.ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
        self.outline = Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor=FOCUS, linewidth=3)
        self.ax.add_patch(self.outline)
        self.cell_outlines = []  # one per cell of a dilated window, made on first use

    def show(self, colors, labels, title):
        """colors (rows, cols, 4) RGBA, labels (rows, cols) text."""
        self.image.set_data(colors)
        for text, label in zip(self.texts.flat, np.asarray(labels).flat, strict=True):
            text.set_text(label)
        self.ax.set_title(title, fontsize=10)

    def outline_at(self, top, left, height=1, width=1):
        self.outline.set_bounds(left - 0.5, top - 0.5, width, height)

    def outline_window(self, windows, frame):
        """Outline window ``frame`` of ``windows`` (drawn on the padded input). A dilated
        window gets a thin dashed outline over its span, and each cell it reads its own."""
        self.outline_at(*windows.corners[frame], *windows.span)
        if windows.dilation == (1, 1):
            return
        self.outline.set(linestyle="--", linewidth=1.2)
        taps = windows.taps(frame)
        while len(self.cell_outlines) < len(taps):
            self.cell_outlines.append(self.ax.add_patch(Rectangle(
                (-0.5, -0.5), 1, 1, fill=False, edgecolor=FOCUS, linewidth=2.5)))
        for outline, (row, col) in zip(self.cell_outlines, taps, strict=True):
            outline.set_bounds(col - 0.5, row - 0.5, 1, 1)


def _two_grids(left_shape, right_shape, title_lines=2):
    """A figure with two grids side by side, tops aligned, one cell size for both."""
    rows = max(left_shape[0], right_shape[0])
    top_space = 0.45 + 0.22 * title_lines
    fig = plt.figure(figsize=(CELL * (left_shape[1] + right_shape[1]) + 3 * MARGIN + 0.2,
                              CELL * rows + top_space + MARGIN))
    grids = []
    left = MARGIN
    for shape in (left_shape, right_shape):
        bottom = MARGIN + CELL * (rows - shape[0])
        grids.append(_Grid(fig, left, bottom, shape))
        left += CELL * shape[1] + MARGIN + 0.2
    return fig, grids


def _pixel_colors(numbers, count):
    """One colour per pixel number (0 .. count-1), grey for padding (-1)."""
    palette = plt.get_cmap("viridis")((np.arange(count) + 0.5) / count)
    palette[:, :3] = 0.45 + 0.55 * palette[:, :3]  # lighter, so black text stays readable
    colors = np.empty((*numbers.shape, 4))
    colors[numbers < 0] = PADDING_GREY
    colors[numbers >= 0] = palette[numbers[numbers >= 0]]
    return colors


def _value_colors(values, top):
    """A white-to-blue colour for each value in [0, top]."""
    return plt.get_cmap("Blues")(0.05 + 0.55 * np.abs(np.asarray(values, float))
                                 / max(top, 1e-12))


def _labels(numbers):
    """Pixel numbers as text, blank on the padding."""
    return np.where(numbers < 0, "", numbers.astype(str))


def _short(values):
    """Numbers as a cell shows them: 3, 2.5, -0.12."""
    return np.vectorize(lambda value: f"{value:.3g}")(values)


def _animation(fig, draw, count, fps):
    draw(0)  # the figure shown before the animation runs is the first frame
    return fig, FuncAnimation(fig, draw, frames=count, interval=1000 / fps, repeat=True)


def _im2col_animation(frames, fps):
    windows, rows = frames.windows, frames.rows
    index = windows.padded_index
    pixels = windows.input_size[0] * windows.input_size[1]
    kh, kw = windows.kernel_size
    fig, (left, right) = _two_grids(index.shape, rows.shape)
    left.show(_pixel_colors(index, pixels), _labels(index),
              f"input {windows.input_size[0]}x{windows.input_size[1]}, padded")
    title = fig.suptitle("")
    dilated = "" if windows.dilation == (1, 1) else f", dilation {windows.dilation}"

    def draw(frame):
        left.outline_window(windows, frame)
        written = np.arange(len(rows))[:, np.newaxis] <= frame  # (F, 1): the rows so far
        colors = _pixel_colors(rows, pixels)
        colors[~written[:, 0]] = EMPTY
        right.show(colors, np.where(written, _labels(rows), ""), f"cols: {len(rows)} rows")
        right.outline_at(frame, 0, 1, kh * kw)
        title.set_text(f"im2col, kernel {kh}x{kw}{dilated}, strides {windows.strides}, "
                       f"padding {windows.pads}\nwindow {frame} becomes row {frame} of cols")

    return _animation(fig, draw, len(rows), fps)


def _col2im_animation(frames, fps):
    windows, dcols, sums = frames.windows, frames.dcols, frames.sums
    pad_h, pad_w = windows.pads
    height, width = windows.input_size
    framed = windows.padded_index
    kh, kw = windows.kernel_size
    fig, (left, right) = _two_grids(dcols.shape, framed.shape)
    top_value = float(np.abs(sums[-1]).max())
    title = fig.suptitle("")

    def draw(frame):
        written = np.arange(len(dcols))[:, np.newaxis] <= frame
        colors = _value_colors(dcols, float(np.abs(dcols).max()))
        colors[~written[:, 0]] = EMPTY
        left.show(colors, np.where(written, _short(dcols), ""), "dcols")
        left.outline_at(frame, 0, 1, kh * kw)
        picture = np.zeros(framed.shape)
        picture[pad_h:pad_h + height, pad_w:pad_w + width] = sums[frame]
        colors = _value_colors(picture, top_value)
        colors[framed < 0] = PADDING_GREY
        right.show(colors, np.where(framed < 0, "", _short(picture)), "dx (grey: padding)")
        right.outline_window(windows, frame)
        title.set_text(f"col2im: row {frame} goes back onto window {frame}\nwhere windows "
                       "overlap, the values add up")

    return _animation(fig, draw, len(dcols), fps)


def _maxpool_animation(frames, fps):
    windows, image, winners = frames.windows, frames.image, frames.winners
    kh, kw = windows.kernel_size
    fig, (left, right) = _two_grids(image.shape, image.shape)
    right.outline.set_edgecolor(WINNER)
    top_value = float(np.abs(frames.sums[-1]).max())
    top_pixel = float(np.abs(image).max())
    title = fig.suptitle("")

    def draw(frame):
        row, col = winners[frame]
        colors = _value_colors(image, top_pixel)
        colors[row, col] = to_rgba(WINNER)
        left.show(colors, _short(image), "x (gold: the winner)")
        left.outline_at(*(windows.corners[frame] - np.array(windows.pads)), kh, kw)
        right.show(_value_colors(frames.sums[frame], top_value), _short(frames.sums[frame]),
                   "dx so far")
        right.outline_at(row, col)
        title.set_text(f"max pooling backward, window {frame}: its winner x[{row}, {col}]\n"
                       f"receives the window's dout = {_short(frames.dout[frame])}, "
                       "the other pixels 0")

    return _animation(fig, draw, len(winners), fps)
