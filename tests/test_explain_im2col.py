"""How im2col moves: the frame data (tinycnn/explain/im2col_frames.py) reproduces im2col,
col2im and max pooling's backward exactly, for many strides and paddings; the animations
(tinycnn/viz/im2col_animation.py) write one frame per window.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from helpers import POOL_PADDINGS, conv_cases  # noqa: E402
from hypothesis import given  # noqa: E402
from PIL import Image  # noqa: E402

from tinycnn.explain.im2col_frames import (  # noqa: E402
    col2im_frames,
    im2col_frames,
    maxpool_frames,
)
from tinycnn.kernels import NUMBA, NUMPY  # noqa: E402
from tinycnn.kernels.im2col import padded  # noqa: E402
from tinycnn.viz import (  # noqa: E402
    animate_col2im,
    animate_im2col,
    animate_maxpool_backward,
    make_col2im_animation,
    make_im2col_animation,
    make_maxpool_animation,
)


def window_case(case):
    """conv_cases' draw as (H, W), (KH, KW), (S_h, S_w), padding: one image, one channel."""
    x_shape, kh, kw, strides, padding, _, _ = case
    return x_shape[1:3], (kh, kw), strides, padding


def framed(image, frames):
    """The (H, W) image on the padded grid the frames draw, zeros on the padding."""
    return padded(image[np.newaxis, :, :, np.newaxis], *frames.windows.kernel_args())[0, :, :, 0]


@given(conv_cases())
def test_each_window_becomes_its_row_of_cols(case):
    size, kernel, strides, padding = window_case(case)
    frames = im2col_frames(size, kernel, strides, padding)
    image = np.random.default_rng(0).normal(size=size)
    cols = NUMBA.im2col(image[np.newaxis, :, :, np.newaxis], *frames.windows.kernel_args())
    grid = framed(image, frames)
    assert len(frames.rows) == len(cols) == len(frames.windows.corners)
    for frame, row in enumerate(cols):
        # The cells the frame highlights, read row by row, are the row im2col wrote ...
        np.testing.assert_array_equal(grid[frames.windows.cells(frame)].ravel(), row)
        # ... and the index map names the pixel each entry copied (-1: padding, read as 0).
        copied = frames.rows[frame]
        np.testing.assert_array_equal(np.where(copied >= 0, image.ravel()[copied], 0.0), row)
    # The padded grid's numbers are the pixels' own, where the frames draw them.
    index = frames.windows.padded_index
    np.testing.assert_array_equal(np.where(index >= 0, image.ravel()[index], 0.0), grid)


@given(conv_cases())
def test_col2im_frames_add_each_row_onto_its_window(case):
    size, kernel, strides, padding = window_case(case)
    count = len(im2col_frames(size, kernel, strides, padding).rows)
    # Small integers: every sum is exact in float32, whatever order the kernels add in.
    dcols = np.random.default_rng(1).integers(-3, 4, size=(count, kernel[0] * kernel[1]))
    frames = col2im_frames(size, kernel, strides, padding, dcols)
    args = frames.windows.kernel_args()
    pad_h, pad_w = frames.windows.pads
    dcols = dcols.astype(np.float32)
    for kernels in (NUMBA, NUMPY):
        np.testing.assert_array_equal(frames.sums[-1],
                                      kernels.col2im(dcols, (1, *size, 1), *args)[0, :, :, 0])
    before = np.zeros(size, np.float32)
    for frame in range(count):
        # Frame f adds row f onto the cells of window f; what lands on padding is dropped.
        grid = np.zeros(frames.windows.padded_index.shape, np.float32)
        grid[frames.windows.cells(frame)] += dcols[frame].reshape(kernel)
        added = grid[pad_h:pad_h + size[0], pad_w:pad_w + size[1]]
        np.testing.assert_array_equal(frames.sums[frame] - before, added)
        before = frames.sums[frame]


def test_with_ones_col2im_counts_the_windows_over_each_pixel():
    frames = col2im_frames((4, 4), 3, 1, "valid")
    np.testing.assert_array_equal(frames.sums[-1], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2],
                                                    [1, 2, 2, 1]])


@given(conv_cases(padding=POOL_PADDINGS))
def test_max_pooling_sends_each_windows_gradient_to_its_winner(case):
    size, kernel, strides, padding = window_case(case)
    image = np.random.default_rng(2).integers(0, 4, size=size)  # small ints: many ties
    frames = maxpool_frames(image, kernel, strides, padding)
    x = image[np.newaxis, :, :, np.newaxis].astype(np.float32)
    args = frames.windows.kernel_args()
    out, argmax = NUMPY.maxpool_forward(x, *args)
    dout = frames.dout.reshape(out.shape)
    np.testing.assert_array_equal(frames.sums[-1],
                                  NUMPY.maxpool_backward(dout, argmax, x.shape, *args)[0, :, :, 0])
    pad_h, pad_w = frames.windows.pads
    before = np.zeros(size)
    for frame, (row, col) in enumerate(frames.winners):
        top, left = frames.windows.corners[frame] - (pad_h, pad_w)
        inside = image[max(top, 0):top + kernel[0], max(left, 0):left + kernel[1]]
        assert image[row, col] == inside.max() == out.ravel()[frame]
        change = frames.sums[frame] - before
        assert change[row, col] == frames.dout[frame]
        assert np.count_nonzero(change) == 1
        before = frames.sums[frame]


@pytest.mark.parametrize("make, args, count", [
    (animate_im2col, ((4, 4), 2, 2, "valid"), 4),
    (animate_col2im, ((3, 3), 2, 1, 0), 4),
    (animate_maxpool_backward, (np.arange(16).reshape(4, 4), 2), 4),
])
def test_the_animations_write_one_frame_per_window(make, args, count, tmp_path):
    written = make(*args, gif_path=tmp_path / "anim.gif", html_path=tmp_path / "anim.html")
    with Image.open(written["gif"]) as gif:
        assert gif.n_frames == count
    page = written["html"].read_text()
    assert page.count("data:image/png;base64") == count and "font-awesome" not in page


def test_the_notebook_versions_return_the_animation_on_its_first_frame():
    for make in (lambda: make_im2col_animation((3, 3), 2),
                 lambda: make_col2im_animation((3, 3), 2),
                 lambda: make_maxpool_animation(np.arange(16).reshape(4, 4))):
        anim = make()
        title = plt.gcf().texts[0].get_text()  # the animation's figure, the last one made
        assert "window 0" in title or "row 0" in title
        assert anim.to_jshtml().count("frames[") >= 4
        plt.close("all")


def test_bad_sizes_get_a_clear_error():
    with pytest.raises(ValueError, match=r"kernel \(5, 5\) with padding 'valid' and strides "
                                         r"\(1, 1\) is larger than the padded input \(4, 4\)"):
        im2col_frames((4, 4), 5)
    with pytest.raises(ValueError, match="kernel_size: expected an int or a pair"):
        im2col_frames((4, 4), (1, 2, 3))
    with pytest.raises(ValueError, match=r"col2im_frames dcols: expected shape \(4, 9\)"):
        col2im_frames((4, 4), 3, dcols=np.ones((4, 4)))
    with pytest.raises(ValueError, match=r"maxpool_frames image: expected \(H, W\)"):
        maxpool_frames(np.ones((1, 4, 4)))
