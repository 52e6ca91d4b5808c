"""tinycnn: a convolutional neural network written from scratch in NumPy and Numba.

Every layer is a short file you can read top to bottom; every fast Numba kernel has a slow,
obvious NumPy twin beside it, and the tests hold them equal.

Glossary of symbols, used the same way in every docstring:

    N       batch size (number of images)
    H, W    input height and width, in pixels
    C       channels (C_in into a layer, C_out or F out of it)
    F       number of convolution filters (= C_out of a Conv2D)
    KH, KW  kernel (or pooling window) height and width
    S       stride (S_h down, S_w across), P padding (pixels added on each side)
    H_out   (H + 2P - KH) // S_h + 1, and W_out likewise
    D       features of a flat vector (Dense input), U units (Dense output)
    K       number of classes
    R_h, R_w  dilation rate (R = 1: an ordinary window; R = 2: every other pixel)
    M       depth multiplier (DepthwiseConv2D: M filters per input channel)

Images are channels-last, ``(N, H, W, C)``, float32 in training (float64 works too, for exact
gradient checks). Labels are integer class ids ``(N,)`` for the classifiers (one-hot rows
``(N, K)`` for categorical cross-entropy, 0/1 values for binary, real values for regression).

Threads: the Numba kernels are plain serial loops; a model uses the cores by running pieces of
each batch on threads of its own (``Sequential.workers``, tinycnn/parallel.py), with NumPy's
matrix multiplies held to one thread each meanwhile. Importing tinycnn changes no setting of
the process. See docs/engine/threads.md.
"""

__version__ = "0.1.0"

from tinycnn import (
    callbacks,
    explain,
    gradcheck,
    kernels,
    layers,
    losses,
    metrics,
    optimizers,
)
from tinycnn.explain import (
    checkup,
    grad_cam,
    integrated_gradients,
    occlusion,
    profile,
    saliency,
    smoothgrad,
)
from tinycnn.graph import Input
from tinycnn.model import Model, Sequential, load_model
from tinycnn.saving import ModelFileError

__all__ = ["Sequential", "Model", "Input", "load_model", "ModelFileError", "callbacks",
           "gradcheck", "kernels", "layers", "losses", "metrics", "optimizers", "explain",
           "checkup", "grad_cam", "profile", "saliency", "smoothgrad",
           "integrated_gradients", "occlusion"]
