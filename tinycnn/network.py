"""Network: a stack of layers, and what the stack as a whole can do without a loss.

    out = layer_L(... layer_2(layer_1(x)))       forward: each layer's output is the next's input
    dx  = layer_1.backward(... layer_L.backward(dout))   backward: the chain rule, layer by layer
Building passes each layer's output shape on as the next one's input shape, drawing every
weight from the network's seed. Here too: Keras-style layer names, the summary table, and
get_weights/set_weights. Sequential (model.py) adds what training needs: a loss, an optimizer,
fit, evaluate and predict.
"""

import numpy as np

from tinycnn.kernels import NUMBA, get_kernels
from tinycnn.summary import summary_text


class Network:
    """A linear stack of layers (the part of Sequential that knows nothing of losses).

    ``seed`` fixes the initial weights (and, in Sequential, shuffling and dropout); without
    one, a seed is drawn from the operating system and kept in ``.seed``. ``dtype`` is the
    weights' and the computation's (float64 for exact checks).
    """

    def __init__(self, layers=None, name="network", seed=None, dtype="float32"):
        self.name = name
        self.seed = int(np.random.SeedSequence().entropy % 2**32) if seed is None else int(seed)
        # Shuffling and dropout across fit calls: one stream from the seed, so a second
        # fit(epochs=1) does not repeat the first one's order, yet a rerun repeats everything.
        self.training_rng = np.random.default_rng([self.seed, 1])
        self.dtype = np.dtype(dtype)
        self.layers, self.built = [], False
        self.kernels = NUMBA
        for layer in layers or []:
            self.add(layer)

    # ---- building ------------------------------------------------------------------------
    def add(self, layer):
        """Append a layer, giving it a Keras-style name (conv2d, conv2d_1, ...) if it has none."""
        if self.built:
            raise RuntimeError(f"add: model {self.name!r} is already built; add every layer "
                               "before the first fit, predict, summary or build")
        if layer.built:
            raise ValueError(
                f"add: layer {layer.name!r} ({type(layer).__name__}) is already built: it "
                "belongs to a model built before (a notebook cell run again?). A layer holds "
                "its own weights, so each model needs new layer objects: create them again")
        if layer.name is None:
            layer.name = _unique_name(type(layer).__name__, {other.name for other in self.layers})
        self.layers.append(layer)

    @property
    def input_shape(self):
        return self.layers[0].input_shape if self.built else None

    @property
    def output_shape(self):
        return self.layers[-1].output_shape if self.built else None

    def build(self, input_shape=None):
        """Create every layer's weights for images of ``input_shape`` (H, W, C), drawn from the
        model's seed. Defaults to the first layer's ``input_shape=`` argument. All or nothing:
        if a layer cannot take its input, no layer stays built."""
        if not self.layers:
            raise ValueError("build: the model has no layers")
        input_shape = input_shape or self.layers[0].declared_input_shape
        if input_shape is None:
            raise ValueError("build: the input shape is unknown; give the first layer "
                             "input_shape=(H, W, C) or call build((H, W, C))")
        rng = np.random.default_rng(self.seed)
        shape = tuple(input_shape)
        try:
            for layer in self.layers:
                layer.build(shape, rng, self.dtype)
                shape = layer.output_shape
        except Exception:
            for layer in self.layers:
                layer.unbuild()
            raise
        self.layers[0].needs_input_grad = False
        self.built = True
        return self

    def _ensure_built(self, input_shape=None):
        if not self.built:
            declared = self.layers[0].declared_input_shape if self.layers else None
            self.build(declared or input_shape)

    def count_params(self):
        self._ensure_built()
        return sum(layer.count_params() for layer in self.layers)

    def use_kernels(self, name):
        """Run every layer on the "numba" kernels (default) or on their "numpy" twins, to step
        through plain NumPy code in a debugger."""
        self.kernels = get_kernels(name)
        for layer in self.layers:
            layer.use_kernels(name)
        return self

    def summary(self, print_fn=print):
        """Print (and return) a Keras-style table: Layer (type) | Output Shape | Param #."""
        self._ensure_built()
        text = summary_text(self)
        if print_fn is not None:
            print_fn(text)
        return text

    # ---- weights -------------------------------------------------------------------------
    def get_weights(self):
        """Every array of every layer, layer by layer, params then state as Keras orders them
        (BatchNorm: gamma, beta, moving_mean, moving_variance). Views, not copies."""
        return [value for layer in self.layers
                for value in (*layer.params.values(), *layer.state.values())]

    def set_weights(self, weights):
        """Copy arrays (in the order of get_weights) into the model's params and state."""
        self._ensure_built()
        current = self.get_weights()
        if len(weights) != len(current):
            raise ValueError(f"set_weights: expected {len(current)} arrays, got {len(weights)}")
        for i, (target, new) in enumerate(zip(current, weights, strict=True)):
            if target.shape != np.shape(new):
                raise ValueError(f"set_weights: array {i} should have shape {target.shape}, "
                                 f"got {np.shape(new)}")
        for target, new in zip(current, weights, strict=True):
            target[...] = new

    def forward(self, x, training=False):
        """x: (N, *input_shape) -> the last layer's output, each layer's output read-only (a
        layer must not write into its input: the layer below may keep it for backward)."""
        self._ensure_built(x.shape[1:])
        for layer in self.layers:
            out = layer.forward(x, training=training)
            if out is not x:
                out.flags.writeable = False
            x = out
        return x

    def backward(self, dout):
        """dout: dL/d(output) -> dL/dx through every layer (None when the first layer skips
        it); fills every layer's grads."""
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, layers={len(self.layers)})"


def _unique_name(class_name, taken):
    """Keras-style auto names: 'Conv2D' -> 'conv2d', then 'conv2d_1', ...; 'MaxPool2D' ->
    'max_pool2d'."""
    base = "".join("_" + ch.lower() if ch.isupper() and i > 0 and class_name[i - 1].islower()
                   else ch.lower() for i, ch in enumerate(class_name))
    name, count = base, 0
    while name in taken:
        count += 1
        name = f"{base}_{count}"
    return name


