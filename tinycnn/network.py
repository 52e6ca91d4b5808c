"""Network: a stack of layers, and what the stack as a whole can do without a loss.

    out = layer_L(... layer_2(layer_1(x)))       forward: each layer's output is the next's input
    dx  = layer_1.backward(... layer_L.backward(dout))   backward: the chain rule, layer by layer
Building passes each layer's output shape on as the next one's input shape, drawing every
weight from the network's seed. Here too: Keras-style layer names, the summary table, and
get_weights/set_weights. Sequential (model.py) adds what training needs: a loss, an optimizer,
fit, evaluate and predict.
"""

import copy

import numpy as np

from tinycnn.kernels import NUMBA, get_kernels
from tinycnn.layers.activation import Activation
from tinycnn.layers.base import Layer, assign_weights
from tinycnn.layers.shapes import flag
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
        self._trainable = True
        self._build_rng = None  # draws every weight, layer after layer, from the seed
        for layer in layers or []:
            self.add(layer)

    # ---- building ------------------------------------------------------------------------
    def add(self, layer):
        """Append a layer, giving it a Keras-style name (conv2d, conv2d_1, ...) if it has none.
        A built network (a trained Sequential) may be added too: it acts as one layer and
        shares its weights (see NestedNetwork).

        As in Keras, a network whose input shape is known (the first layer's ``input_shape=``,
        or a ``keras.Input`` first) is built at once, and each layer added later is built on
        the output shape of the one before: its weights are the ones a build of the whole
        stack would draw, since every layer draws from the same stream, in order."""
        if isinstance(layer, Network):
            layer = NestedNetwork(layer)
        if isinstance(layer, InputSpec):  # keras.Input(shape): the next layer's input shape
            if self.layers:
                raise ValueError(f"add: an Input{layer.shape} can only come first")
            self._declared_input = layer.shape
            return
        if layer.built:
            raise ValueError(
                f"add: layer {layer.name!r} ({type(layer).__name__}) is already built: it "
                "belongs to a model built before (a notebook cell run again?). A layer holds "
                "its own weights, so each model needs new layer objects: create them again")
        if layer.name is None:
            layer.name = _unique_name(type(layer).__name__, {other.name for other in self.layers})
        if not self.layers and layer.declared_input_shape is None:
            layer.declared_input_shape = getattr(self, "_declared_input", None)
        if self.built:
            layer.build(self.output_shape, self._build_rng, self.dtype)  # raises if it can't
            self.layers.append(layer)
            return
        self.layers.append(layer)
        if self.layers[0].declared_input_shape is not None:
            try:
                self.build()
            except Exception:
                self.layers.pop()  # a layer that does not fit is not kept
                raise

    def pop(self):
        """Remove the last layer and return it, as Keras's ``Sequential.pop()``: the layers
        below keep their weights; a model left with no layer is unbuilt again."""
        if not self.layers:
            raise TypeError(f"pop: model {self.name!r} has no layers to remove")
        layer = self.layers.pop()
        if not self.layers:
            self.built, self._build_rng = False, None
        return layer

    @property
    def input_shape(self):
        return self.layers[0].input_shape if self.built else None

    @property
    def output_shape(self):
        return self.layers[-1].output_shape if self.built else None

    def build(self, input_shape=None):
        """Create every layer's weights for images of ``input_shape`` (H, W, C), drawn from the
        model's seed; Keras's form with the batch axis first, ``(None, H, W, C)``, works too.
        Defaults to the first layer's ``input_shape=`` argument. All or nothing: if a layer
        cannot take its input, no layer stays built. A built network is left as it is (its
        weights may be trained): building it again for the same shape does nothing."""
        if not self.layers:
            raise ValueError("build: the model has no layers")
        input_shape = input_shape or self.layers[0].declared_input_shape
        if input_shape is None:
            raise ValueError("build: the input shape is unknown; give the first layer "
                             "input_shape=(H, W, C) or call build((H, W, C))")
        if len(input_shape) > 1 and input_shape[0] is None:  # Keras's batch axis
            input_shape = input_shape[1:]
        if any(d is None for d in input_shape):
            raise ValueError(f"build: every size but the batch axis must be known, got "
                             f"{tuple(input_shape)}")
        shape = tuple(int(d) for d in input_shape)
        if self.built:
            if shape != self.input_shape:
                raise ValueError(f"build: model {self.name!r} is built for inputs of shape "
                                 f"{self.input_shape}, not {shape}")
            return self
        rng = np.random.default_rng(self.seed)
        try:
            for layer in self.layers:
                layer.build(shape, rng, self.dtype)
                shape = layer.output_shape
        except Exception:
            for layer in self.layers:
                layer.unbuild()
            raise
        self.layers[0].needs_input_grad = False
        self._build_rng = rng
        self.built = True
        return self

    def _ensure_built(self, input_shape=None):
        if not self.built:
            declared = self.layers[0].declared_input_shape if self.layers else None
            self.build(declared or input_shape)

    def count_params(self):
        self._ensure_built()
        return sum(layer.count_params() for layer in self.layers)

    def penalty(self):
        """The weight penalties of every layer (float, 0.0 without regularizers): what the
        loss a model reports adds (layers/regularizers.py)."""
        return sum(layer.penalty() for layer in self.layers)

    @property
    def trainable(self):
        """Setting it sets every layer's ``trainable`` (Keras's ``base_model.trainable =
        False``, to freeze a whole network); a layer may then be set on its own again."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = flag(value, f"model {self.name!r} trainable")
        for layer in self.layers:
            layer.trainable = self._trainable

    @property
    def ends_in_softmax(self):
        return bool(self.layers) and getattr(self.layers[-1], "activation", None) == "softmax"

    @property
    def gives_logits(self):
        """True when ``forward(x, logits=True)`` returns the scores before a final softmax:
        the last layer is a Softmax, or a layer (Dense, a model used as a layer) that can stop
        before its softmax (``forward_preactivation``)."""
        if not self.ends_in_softmax:
            return False
        last = self.layers[-1]
        return isinstance(last, Activation) or getattr(
            last, "gives_logits", hasattr(last, "forward_preactivation"))

    def use_kernels(self, name):
        """Run every layer on the "numba" kernels (default) or on their "numpy" twins, to step
        through plain NumPy code in a debugger."""
        self.kernels = get_kernels(name)
        for layer in self.layers:
            layer.use_kernels(name)
        return self

    def summary(self, print_fn=print, costs=False):
        """Print (and return) a Keras-style table: Layer (type) | Output Shape | Param #;
        ``costs=True`` adds each layer's multiply-adds and activation memory per image. A model
        whose input shape is not known yet prints as Keras prints it: shapes "?", params
        "0 (unbuilt)"."""
        if self.built or costs:
            self._ensure_built()  # costs need the shapes: an error naming what is missing
        text = summary_text(self, costs=costs)
        if print_fn is not None:
            print_fn(text)
        return text

    # ---- weights -------------------------------------------------------------------------
    @property
    def weights(self):
        """Every array of every layer, layer by layer, each layer's as Keras orders them
        (Layer.weights): the model's own arrays, which training changes."""
        return [value for layer in self.layers for value in layer.weights]

    @property
    def trainable_weights(self):
        """The arrays the optimizer moves, layer by layer (a frozen layer's are not among them)."""
        return [value for layer in self.layers for value in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        """The arrays it does not: state (BatchNorm's moving statistics) and frozen params."""
        return [value for layer in self.layers for value in layer.non_trainable_weights]

    def get_weights(self):
        """Copies of ``weights``, as Keras: ``w = model.get_weights()`` keeps what the weights
        are now, whatever training does next, so ``model.set_weights(w)`` puts them back."""
        self._ensure_built()
        return [np.array(value) for value in self.weights]

    def set_weights(self, weights):
        """Copy arrays (in the order of get_weights) into the model's params and state."""
        self._ensure_built()
        assign_weights(self.weights, weights, "set_weights")

    def forward(self, x, training=False, logits=False):
        """x: (N, *input_shape) -> the last layer's output, each layer's output read-only (a
        layer must not write into its input: the layer below may keep it for backward).
        ``logits``: for a model that ``gives_logits``, stop before the final softmax and
        return its input z (N, K), the scores a loss reads stably (losses.py); backward then
        takes dL/dz with ``before_activation=True``."""
        self._ensure_built(x.shape[1:])
        layers, last = self.layers, None
        if logits and self.gives_logits:
            layers, last = layers[:-1], layers[-1]
        for layer in layers:
            out = layer.forward(x, training=training)
            if out is not x:
                out.flags.writeable = False
            x = out
        if last is not None and not isinstance(last, Activation):
            x = last.forward_preactivation(x, training=training)
        return x

    def backward(self, dout, before_activation=False):
        """dout: dL/d(output) -> dL/dx through every layer (None when the first layer skips
        it); fills every layer's grads. ``before_activation``: dout is the gradient before the
        last layer's activation (the logits under a softmax), so that activation is skipped:
        a stand-alone activation layer entirely, Dense's or Conv2D's own inside the layer."""
        layers = self.layers
        for layer in layers:  # a gradient a backward does not write must not survive
            layer.grads = {}
        if before_activation:
            last, layers = layers[-1], layers[:-1]
            if not isinstance(last, Activation):
                dout = last.backward_from_preactivation(dout)
        for layer in reversed(layers):
            dout = layer.backward(dout)
        return dout

    def replica(self):
        """The same network with every layer replaced by its replica (Layer.replica): shares
        every weight, keeps its own grads and caches (one thread of a parallel predict)."""
        twin = copy.copy(self)
        twin.layers = [layer.replica() for layer in self.layers]
        return twin

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, layers={len(self.layers)})"


class InputSpec:
    """What ``keras.Input(shape=(28, 28, 1))`` makes: not a layer, only the input shape (no
    batch axis) for the first layer of the Sequential it opens."""

    def __init__(self, shape):
        self.shape = tuple(int(d) for d in shape)

    def __repr__(self):
        return f"Input(shape={self.shape})"


class NestedNetwork(Layer):
    """A built network used as one layer of another, as Keras allows:
        probability_model = Sequential([model, Softmax()])
    It holds the network's own layer objects, so the two models share every weight: training
    either one changes both. params, grads and state are the inner layers' arrays, keyed
    "<layer index>/<name>" (e.g. "0/W")."""

    def __init__(self, network):
        if not network.built:
            raise ValueError(
                f"add: model {network.name!r} is not built yet; a model used as a layer must "
                "be built (give its first layer input_shape=..., or call build/fit first)")
        super().__init__(name=network.name, input_shape=network.input_shape)
        self.network = network

    @property
    def mixes_batch(self):
        return any(layer.mixes_batch for layer in self.network.layers)

    @property
    def activation(self):
        return getattr(self.network.layers[-1], "activation", None)

    @property
    def gives_logits(self):
        return self.network.gives_logits

    @property
    def trainable(self):
        return self.network.trainable

    @trainable.setter
    def trainable(self, value):
        self.network.trainable = value

    @property
    def trainable_params(self):
        return {f"{i}/{key}": value for i, layer in enumerate(self.network.layers)
                for key, value in layer.trainable_params.items()}

    @property
    def regularizers(self):
        return {f"{i}/{key}": regularizer for i, layer in enumerate(self.network.layers)
                for key, regularizer in layer.regularizers.items()}

    @property
    def rng(self):
        """The generator of the inner layers that draw (Dropout), one for all of them; setting
        it gives it to each of them (fit hands every layer the model's training stream)."""
        drawing = [layer.rng for layer in self.network.layers if hasattr(layer, "rng")]
        return drawing[0] if drawing else None

    @rng.setter
    def rng(self, value):
        for layer in self.network.layers:
            if hasattr(layer, "rng"):
                layer.rng = value

    def compute_output_shape(self, input_shape):
        if tuple(input_shape) != self.network.input_shape:
            raise ValueError(f"{self}: model {self.network.name!r} takes inputs of shape "
                             f"{self.network.input_shape}, got {tuple(input_shape)}")
        return self.network.output_shape

    def _gather(self, kind):
        return {f"{i}/{key}": value for i, layer in enumerate(self.network.layers)
                for key, value in getattr(layer, kind).items()}

    def build(self, input_shape, rng=None, dtype=None):
        """Take the inner network's shapes and arrays as they are: nothing new is drawn."""
        self.output_shape = self.compute_output_shape(input_shape)
        self.input_shape = self.network.input_shape
        self.params, self.state = self._gather("params"), self._gather("state")
        self.grads = {}
        return self

    def unbuild(self):
        self.input_shape = self.output_shape = None  # the inner network keeps its weights

    def replica(self):
        twin = super().replica()
        twin.network = self.network.replica()
        return twin

    def use_kernels(self, name):
        self.network.use_kernels(name)
        return super().use_kernels(name)

    def forward(self, x, training=False):
        """x: (N, *inner input shape) -> the inner network's output."""
        self._check_input(x)
        return self.network.forward(x, training=training)

    def forward_preactivation(self, x, training=False):
        """x -> the inner network's scores before its final softmax (Network.forward)."""
        self._check_input(x)
        return self.network.forward(x, training=training, logits=True)

    def backward(self, dout, before_activation=False):
        first = self.network.layers[0]
        own_setting, first.needs_input_grad = first.needs_input_grad, self.needs_input_grad
        try:
            dx = self.network.backward(dout, before_activation)
        finally:
            first.needs_input_grad = own_setting
        self.grads = self._gather("grads")
        return dx

    def backward_from_preactivation(self, dz):
        return self.backward(dz, before_activation=True)

    def get_config(self):
        return {"name": self.name, "input_shape": list(self.network.input_shape),
                "dtype": self.network.dtype.name,
                "layers": [{"class": type(layer).__name__, "config": layer.get_config()}
                           for layer in self.network.layers]}


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


