"""Where a convolution layer's windows go, and the kernels that cut them out and put them back:
what Conv2D, DepthwiseConv2D, SeparableConv2D and Conv2DTranspose share.

A kernel has KH x KW taps. With a dilation rate (R_h, R_w) above 1 its taps are R_h rows and
R_w columns apart (a dilated, or "atrous", convolution: a wider view for the same weights):
    tap (ky, kx) of window (oy, ox) reads x_pad[S_h*oy + R_h*ky, S_w*ox + R_w*kx]
so a window spans R_h*(KH - 1) + 1 rows and R_w*(KW - 1) + 1 columns, and the output size
is worked out for that span: H_out = (H + 2P - R_h*(KH - 1) - 1) // S_h + 1, or ceil(H / S_h)
for "same" (``conv_geometry`` in tinycnn/kernels/im2col.py). cols keeps one column per tap and
channel, KH*KW*C, dilated or not.

``im2col`` and ``col2im`` take the layer's kernel set (``layer.kernels``: the Numba kernels or
their NumPy twins), its WindowGeometry and its dilation rate. With (1, 1) they call the set's
own im2col and col2im, exactly what Conv2D ran before dilation existed (each window row one
contiguous run: the study's model runs only these); otherwise the set's dilated versions.
"""

from types import SimpleNamespace

from tinycnn.kernels import im2col as im2col_kernels
from tinycnn.kernels.im2col import WindowGeometry

# The dilated kernels of each kernel set (tinycnn.kernels.NUMBA and NUMPY), by its name.
DILATED = {
    "numba": SimpleNamespace(im2col=im2col_kernels.im2col_dilated,
                             col2im=im2col_kernels.col2im_dilated),
    "numpy": SimpleNamespace(im2col=im2col_kernels.im2col_dilated_reference,
                             col2im=im2col_kernels.col2im_dilated_reference),
}


def im2col(kernels, x, geometry, dilation_rate):
    """x: (N, H, W, C) -> cols: (N*H_out*W_out, KH*KW*C), one row per window of ``geometry``."""
    if dilation_rate == (1, 1):
        return kernels.im2col(x, *geometry)
    return DILATED[kernels.name].im2col(x, *geometry, *dilation_rate)


def col2im(kernels, dcols, x_shape, geometry, dilation_rate):
    """The adjoint of im2col: dcols (N*H_out*W_out, KH*KW*C) -> dx (N, H, W, C), each row added
    back onto the pixels its window read."""
    if dilation_rate == (1, 1):
        return kernels.col2im(dcols, x_shape, *geometry)
    return DILATED[kernels.name].col2im(dcols, x_shape, *geometry, *dilation_rate)


def conv_geometry_of(layer, input_shape):
    """The WindowGeometry of a convolution layer's kernel (its kernel_size, strides, padding and
    dilation_rate) on images (H, W, C), or a ValueError naming the layer and the sizes."""
    if len(input_shape) != 3:
        raise ValueError(f"{layer}: expects images (H, W, C), got input shape {input_shape}")
    geometry = WindowGeometry.of(input_shape, layer.kernel_size, layer.strides, layer.padding,
                                 layer.dilation_rate)
    if geometry.out_h < 1 or geometry.out_w < 1:
        dilated = "" if layer.dilation_rate == (1, 1) else f" dilated {layer.dilation_rate}"
        raise ValueError(
            f"{layer}: kernel {layer.kernel_size}{dilated} with padding {layer.padding!r} and "
            f"strides {layer.strides} is larger than the padded input {input_shape[:2]}"
        )
    return geometry
