"""The Layer base class: what every layer shares (naming, building, shape checks, state).

A layer's life:
    layer = Conv2D(32, 3)              # __init__ stores hyper-parameters only
    layer.build((28, 28, 1), rng)      # creates params; input/output shapes become known
    out = layer.forward(x, training=True)   # caches what backward needs (one step only)
    dx = layer.backward(dout)          # returns dL/dx and overwrites layer.grads

``params`` and ``grads`` are dicts with the same keys and shapes. Shapes never include the
batch axis N.
"""

import numpy as np

from tinycnn.kernels import NUMBA, get_kernels


class Layer:
    """Base class. Subclasses implement ``compute_output_shape``, ``forward`` and ``backward``,
    and ``_create_params`` if they have weights."""

    def __init__(self, name=None, input_shape=None):
        if input_shape is not None:
            input_shape = tuple(int(d) for d in input_shape)
        self.name = name
        self.declared_input_shape = input_shape
        self.input_shape = None
        self.output_shape = None
        self.params = {}
        self.grads = {}
        self.kernels = NUMBA
        # The model's first layer needs no dL/dx (nothing is below it to train); Sequential
        # sets this to False there, which saves conv1 a matrix multiply and a col2im.
        self.needs_input_grad = True
        self._cache = None

    # ---- building -------------------------------------------------------------------------
    @property
    def built(self):
        return self.output_shape is not None

    def build(self, input_shape, rng=None, dtype=np.float32):
        """Create the weights for inputs of ``input_shape`` (no batch axis), drawn from ``rng``
        (a ``np.random.Generator``; a fresh unseeded one if None)."""
        input_shape = tuple(int(d) for d in input_shape)
        self.output_shape = self.compute_output_shape(input_shape)
        self.input_shape = input_shape
        rng = np.random.default_rng() if rng is None else rng
        self.params = self._create_params(input_shape, rng, np.dtype(dtype))
        self.grads = {key: np.zeros_like(value) for key, value in self.params.items()}
        self._cache = None
        return self

    def compute_output_shape(self, input_shape):
        raise NotImplementedError

    def _create_params(self, input_shape, rng, dtype):
        return {}

    def count_params(self):
        return int(sum(value.size for value in self.params.values()))

    def use_kernels(self, name):
        """Switch this layer to the "numba" kernels or to their "numpy" twins."""
        self.kernels = get_kernels(name)
        return self

    # ---- checks shared by every forward and backward ------------------------------------
    def _check_input(self, x):
        """Build on first use, and refuse an input this layer cannot take, naming both shapes."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{self}: expected a NumPy array, got {type(x).__name__}")
        if x.dtype not in (np.float32, np.float64):
            raise TypeError(
                f"{self}: expected a float32 or float64 array, got dtype {x.dtype} "
                "(scale images to floats first, e.g. (x / 255.0).astype(np.float32))"
            )
        if x.ndim == 0 or x.shape[0] == 0:
            raise ValueError(f"{self}: got an empty batch of shape {x.shape}")
        if not self.built:
            self.build(x.shape[1:], dtype=x.dtype)
        if x.shape[1:] != self.input_shape:
            raise ValueError(
                f"{self}: expected input of shape (N, {', '.join(map(str, self.input_shape))}), "
                f"got {x.shape}"
            )

    def _cached(self):
        """What the last forward(training=True) stored; backward needs it."""
        if self._cache is None:
            raise RuntimeError(
                f"{self}: backward() needs a forward(x, training=True) call first"
            )
        return self._cache

    # ---- saving ---------------------------------------------------------------------------
    def get_config(self):
        """Constructor arguments that rebuild this layer (JSON-serialisable)."""
        return {"name": self.name}

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"
