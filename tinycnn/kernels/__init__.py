"""Kernels: free functions with no layer state, each fast one beside its NumPy twin.

The layers call kernels through a namespace they hold (``layer.kernels``), so a learner can
switch one layer, or a whole model (``model.use_kernels("numpy")``), to the slow, obvious
twins and step through them in a debugger. Both sets compute the same numbers.
"""

from types import SimpleNamespace

from tinycnn.kernels import adam, bias_relu, im2col, pooling, winograd

NUMBA = SimpleNamespace(
    name="numba",
    im2col=im2col.im2col,
    col2im=im2col.col2im,
    maxpool_forward=pooling.maxpool_forward,
    maxpool_backward=pooling.maxpool_backward,
    avgpool_forward=pooling.avgpool_forward,
    avgpool_backward=pooling.avgpool_backward,
    bias_relu=bias_relu.bias_relu,
    relu_backward=bias_relu.relu_backward,
    column_sums=bias_relu.column_sums,
    adam_update=adam.adam_update,
    winograd_weights=winograd.winograd_weights,
    winograd_weights_backward=winograd.winograd_weights_backward,
    winograd_inputs=winograd.winograd_inputs,
    winograd_inputs_backward=winograd.winograd_inputs_backward,
    winograd_outputs=winograd.winograd_outputs,
    winograd_outputs_backward=winograd.winograd_outputs_backward,
)

NUMPY = SimpleNamespace(
    name="numpy",
    im2col=im2col.im2col_reference,
    col2im=im2col.col2im_reference,
    maxpool_forward=pooling.maxpool_forward_reference,
    maxpool_backward=pooling.maxpool_backward_reference,
    avgpool_forward=pooling.avgpool_forward_reference,
    avgpool_backward=pooling.avgpool_backward_reference,
    bias_relu=bias_relu.bias_relu_reference,
    relu_backward=bias_relu.relu_backward_reference,
    column_sums=bias_relu.column_sums_reference,
    adam_update=adam.adam_update_reference,
    winograd_weights=winograd.winograd_weights_reference,
    winograd_weights_backward=winograd.winograd_weights_backward_reference,
    winograd_inputs=winograd.winograd_inputs_reference,
    winograd_inputs_backward=winograd.winograd_inputs_backward_reference,
    winograd_outputs=winograd.winograd_outputs_reference,
    winograd_outputs_backward=winograd.winograd_outputs_backward_reference,
)

KERNEL_SETS = {"numba": NUMBA, "numpy": NUMPY}


def get_kernels(name):
    """The kernel set called ``name``: "numba" (fast, the default) or "numpy" (the twins)."""
    if name not in KERNEL_SETS:
        raise ValueError(f"unknown kernel set {name!r}: expected one of {sorted(KERNEL_SETS)}")
    return KERNEL_SETS[name]
