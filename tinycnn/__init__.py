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

Images are channels-last, ``(N, H, W, C)``, float32 in training (float64 works too, for exact
gradient checks). Labels are integer class ids ``(N,)``.

Thread settings: Numba's OpenMP threads and OpenBLAS's threads both spin while they wait, and on
a small machine they steal each other's cores (a training step can get 10x slower). So a model
runs its Numba kernels on one thread (``Sequential.kernel_threads``, tinycnn/threads.py), and,
unless you have set it yourself, importing tinycnn sets ``OMP_WAIT_POLICY=PASSIVE`` (idle
OpenMP threads sleep) for when they run on more. See README, "Threads".
"""

import os

# Must happen before Numba's OpenMP pool starts (on the first parallel kernel call); we never
# override a value the user chose.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"

from tinycnn import (  # noqa: E402
    callbacks,
    explain,
    gradcheck,
    kernels,
    layers,
    losses,
    metrics,
    optimizers,
)
from tinycnn.explain import checkup, grad_cam, profile, saliency  # noqa: E402
from tinycnn.model import Sequential, load_model  # noqa: E402
from tinycnn.saving import ModelFileError  # noqa: E402

__all__ = ["Sequential", "load_model", "ModelFileError", "callbacks", "gradcheck", "kernels",
           "layers", "losses", "metrics", "optimizers", "explain", "checkup", "grad_cam",
           "profile", "saliency"]
