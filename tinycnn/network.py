"""Network: layers joined into a graph, and what the graph as a whole can do without a loss.

The engine runs a list of steps, one per layer call, in an order where every step comes after
the steps it reads (graph.py puts a functional model's calls in that order; a Sequential is
the chain where step k reads step k-1):
    value_0 = x;  value_k = layer_k(value_{inputs of step k})     forward, first step to last
    d value_{inputs of step k} += layer_k.backward(d value_k)     backward, last step to first
Where a value feeds several steps, the gradients coming back from them add up; a layer called
by several steps (a shared layer) keeps what each call's backward needs, and the gradients of
its weights add up too.

Building passes each layer's output shape on as the next one's input shape, drawing every
weight from the network's seed. Here too: Keras-style layer names, the summary table, and
get_weights/set_weights. Model and Sequential (model.py) add what training needs: a loss, an
optimizer, fit, evaluate and predict.
"""

import copy
import re

import numpy as np

from tinycnn import graph
from tinycnn.kernels import NUMBA, get_kernels
from tinycnn.layers.activation import Activation
from tinycnn.layers.base import Layer, assign_weights
from tinycnn.layers.shapes import flag
from tinycnn.random import draw_model_seed
from tinycnn.summary import summary_text


class Step:
    """One layer call of a network: the layer, and which values it reads (``inputs``: 0 is the
    network's input, k the output of step k-1). A step of a shared layer keeps its own
    ``cache``: what the layer's forward kept for this call's backward."""

    __slots__ = ("layer", "inputs", "shared", "cache")

    def __init__(self, layer, inputs, shared=False):
        self.layer, self.inputs, self.shared, self.cache = layer, tuple(inputs), shared, None


def make_steps(calls):
    """calls: [(layer, inputs)] in order -> [Step], marking the layers called more than once."""
    calls, counts = list(calls), {}
    for layer, _ in calls:
        counts[id(layer)] = counts.get(id(layer), 0) + 1
    return [Step(layer, inputs, counts[id(layer)] > 1) for layer, inputs in calls]


class Network:
    """Layers and the steps that call them (the part of Model that knows nothing of losses).
    Without a graph (``connect``) it is a linear stack: ``add`` appends a layer.

    ``seed`` fixes the initial weights (and, in Sequential, shuffling and dropout); without
    one, a seed is drawn from the operating system and kept in ``.seed``. ``dtype`` is the
    weights' and the computation's (float64 for exact checks).
    """

    def __init__(self, layers=None, name="network", seed=None, dtype="float32"):
        self.name = name
        self.seed = draw_model_seed() if seed is None else int(seed)
        # Shuffling and dropout across fit calls: one stream from the seed, so a second
        # fit(epochs=1) does not repeat the first one's order, yet a rerun repeats everything.
        self.training_rng = np.random.default_rng([self.seed, 1])
        self.dtype = np.dtype(dtype)
        self.layers, self.built = [], False
        self.kernels = NUMBA
        self._trainable = True
        self._build_rng = None  # draws every weight, layer after layer, from the seed
        self._inputs = self._outputs = None  # a functional model's KerasTensors (graph.py)
        self._symbolic_stack = False  # True when they were made for a Sequential (inputs)
        self._steps = None  # a stack's steps are made from its layers when first needed
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
        self._refuse_on_graph("add")
        if isinstance(layer, Network):
            layer = NestedNetwork(layer)
        if isinstance(layer, graph.KerasTensor):  # keras.Input(shape): the input shape
            if self.layers or not isinstance(layer.layer, graph.InputLayer):
                raise ValueError(f"add: {layer!r} can only come first, and only as "
                                 "keras.Input(...) (a Sequential has no branches)")
            self._declared_input = layer.shape[1:]
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
            self._steps = None
            self._forget_symbolic()
            return
        self.layers.append(layer)
        self._steps = None
        self._forget_symbolic()
        if self.layers[0].declared_input_shape is not None:
            try:
                self.build()
            except Exception:
                self.layers.pop()  # a layer that does not fit is not kept
                self._steps = None
                raise

    def pop(self):
        """Remove the last layer and return it, as Keras's ``Sequential.pop()``: the layers
        below keep their weights; a model left with no layer is unbuilt again."""
        self._refuse_on_graph("pop")
        if not self.layers:
            raise TypeError(f"pop: model {self.name!r} has no layers to remove")
        layer = self.layers.pop()
        self._steps = None
        self._forget_symbolic()
        if not self.layers:
            self.built, self._build_rng = False, None
        return layer

    def _forget_symbolic(self):
        if self._symbolic_stack:  # a Sequential's KerasTensors describe its old layers
            self._inputs = self._outputs = None
            self._symbolic_stack = False

    def _refuse_on_graph(self, what):
        if self.is_functional:
            raise TypeError(f"{what}: model {self.name!r} is a functional model, fixed by its "
                            f"inputs and outputs; {what}() is Sequential's")

    # ---- the graph -----------------------------------------------------------------------
    @property
    def steps(self):
        """The layer calls the engine runs, in order (Step): a stack's are its layers, each
        reading the one before."""
        if self._steps is None:
            self._steps = make_steps((layer, (i,)) for i, layer in enumerate(self.layers))
        return self._steps

    @property
    def output_layer(self):
        """The layer whose call gives the network's output (the last layer of a stack)."""
        return self.steps[-1].layer if self.layers else None

    def connect(self, inputs, outputs):
        """Make this network the graph from ``inputs`` to ``outputs`` (KerasTensors, one
        each, graph.py) and build its layers from the seed, in Keras's layer order; a layer
        built before (in another model) keeps its weights, shared."""
        inputs, outputs = _one_tensor(inputs, "inputs"), _one_tensor(outputs, "outputs")
        if outputs is inputs:
            raise ValueError("Model: the output is the input itself; a model needs a layer")
        layers, nodes = graph.order(inputs, outputs)
        _name_layers(layers)
        self.layers, self._inputs, self._outputs = layers, [inputs], [outputs]
        value = {inputs: 0}
        calls = []
        for node in nodes[1:]:  # nodes[0] is the Input's
            calls.append((node.layer, [value[tensor] for tensor in node.inputs]))
            value[node.output] = len(calls)
        self._steps = make_steps(calls)
        rng = np.random.default_rng(self.seed)
        first_call = {id(node.layer): node for node in reversed(nodes)}
        for layer in layers:
            if layer.built:
                continue
            node = first_call[id(layer)]
            shapes = [tensor.shape[1:] for tensor in node.inputs]
            if layer.takes_list:
                names = [tensor.layer.name for tensor in node.inputs]
                extra = {"input_names": names} if hasattr(layer, "input_names") else {}
                layer.build(shapes, rng, self.dtype, **extra)
            else:
                layer.build(shapes[0], rng, self.dtype)
        self._mark_input_readers()
        self._build_rng, self.built = rng, True
        return self

    @property
    def is_functional(self):
        """True for a model made by ``connect`` (keras.Model(inputs, outputs)), not a stack."""
        return self._inputs is not None and not self._symbolic_stack

    @property
    def inputs(self):
        """[the input KerasTensor], as Keras: a functional model's own; a built Sequential's
        made on first use by calling its layers on a keras.Input (as Keras's Sequential does
        inside), so that ``keras.Model(model.inputs, model.layers[1].output)`` reads an
        intermediate layer."""
        return self._symbolic("inputs")[0]

    @property
    def outputs(self):
        return self._symbolic("outputs")[1]

    @property
    def input(self):
        return self.inputs[0]

    @property
    def output(self):
        return self.outputs[0]

    def _symbolic(self, what):
        if self._inputs is None:
            if not self.built:
                raise AttributeError(f"Sequential model {self.name!r} has no defined {what} "
                                     "yet: give it an input shape (keras.Input) or build it")
            tensor = inputs = graph.Input(shape=self.input_shape, dtype=self.dtype)
            for layer in self.layers:
                tensor = layer(tensor)
            self._inputs, self._outputs, self._symbolic_stack = [inputs], [tensor], True
        return self._inputs, self._outputs

    def input_readers(self):
        """The layers that read only the network's input: they need no dL/dx (nothing below
        them trains), which saves the first conv a matrix multiply and a col2im."""
        reads_other = {id(step.layer) for step in self.steps if step.inputs != (0,)}
        return [step.layer for step in self.steps if id(step.layer) not in reads_other]

    def _mark_input_readers(self):
        for layer in self.input_readers():
            layer.needs_input_grad = False

    @property
    def input_shape(self):
        return self.layers[0].input_shape if self.built else None

    @property
    def output_shape(self):
        return self.output_layer.output_shape if self.built else None

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
        self._mark_input_readers()
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
        return getattr(self.output_layer, "activation", None) == "softmax"

    @property
    def gives_logits(self):
        """True when ``forward(x, logits=True)`` returns the scores before a final softmax:
        the last layer is a Softmax, or a layer (Dense, a model used as a layer) that can stop
        before its softmax (``forward_preactivation``)."""
        if not self.ends_in_softmax:
            return False
        last = self.output_layer
        return isinstance(last, Activation) or getattr(
            last, "gives_logits", hasattr(last, "forward_preactivation"))

    def use_kernels(self, name):
        """Run every layer on the "numba" kernels (default) or on their "numpy" twins, to step
        through plain NumPy code in a debugger."""
        self.kernels = get_kernels(name)
        for layer in self.layers:
            layer.use_kernels(name)
        return self

    def set_rng(self, rng):
        """Hand ``rng`` (a np.random.Generator) to every layer for its training-time draws
        (Layer.set_rng), the layers of a model used as a layer too: fit calls it with the
        stream it shuffles with. A layer made with ``seed=`` keeps drawing from its own."""
        for layer in self.layers:
            layer.set_rng(rng)

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

    def forward(self, x, training=False, logits=False, watch=None):
        """x: (N, *input_shape) -> the output, every step's output read-only (a layer must not
        write into its input: the layer below may keep it for backward).
        ``logits``: for a model that ``gives_logits``, stop before the final softmax and
        return its input z (N, K), the scores a loss reads stably (losses.py); backward then
        takes dL/dz with ``before_activation=True``.
        ``watch(step, out)``, if given, is called after every step (the see-inside tools)."""
        self._ensure_built(x.shape[1:])
        steps = self.steps
        values = [x] + [None] * len(steps)
        stop_before_softmax = logits and self.gives_logits
        for k, step in enumerate(steps, start=1):
            layer = step.layer
            if layer.takes_list:
                inputs = [values[i] for i in step.inputs]
            else:
                inputs = values[step.inputs[0]]
            if k == len(steps) and stop_before_softmax:
                if isinstance(layer, Activation):
                    return inputs
                out = layer.forward_preactivation(inputs, training=training)
            else:
                out = layer.forward(inputs, training=training)
            if step.shared:
                step.cache = layer._cache
            if out is not x:
                out.flags.writeable = False
            values[k] = out
            if watch is not None:
                watch(step, out)
        return values[-1]

    def backward(self, dout, before_activation=False, watch=None):
        """dout: dL/d(output) -> dL/dx (None when the layers reading x skip it); fills every
        layer's grads. ``before_activation``: dout is the gradient before the last layer's
        activation (the logits under a softmax), so that activation is skipped: a
        stand-alone activation layer entirely, Dense's or Conv2D's own inside the layer.
        ``watch(step, dx)``, if given, is called after every step's backward, last step first
        (dx: a list for a layer that takes a list)."""
        for layer in self.layers:  # a gradient a backward does not write must not survive
            layer.grads = {}
        steps = self.steps
        grads = [None] * len(steps) + [dout]  # dL/d(value k), filled from the last
        summed = {}  # a shared layer's weight gradients, added over its calls
        for k in range(len(steps), 0, -1):
            step, dout = steps[k - 1], grads[k]
            grads[k] = None
            layer = step.layer
            if dout is None:  # every value feeds the output: a backward returned None
                raise RuntimeError(f"backward: no gradient reached the output of {layer} "
                                   f"(step {k}): a layer reading it returned None for dL/dx")
            if step.shared:
                layer._cache = step.cache
            if k == len(steps) and before_activation:
                is_softmax = isinstance(layer, Activation)
                dx = dout if is_softmax else layer.backward_from_preactivation(dout)
            else:
                dx = layer.backward(dout)
            if step.shared:
                _add_shared_grads(layer, summed)
            if watch is not None:
                watch(step, dx)
            for i, d in zip(step.inputs, dx if layer.takes_list else [dx], strict=True):
                if d is not None:  # a new array: d may be dout itself, given to several
                    grads[i] = d if grads[i] is None else grads[i] + d
        return grads[0]

    def caches(self):
        """What every layer and step keeps for backward (see NestedNetwork)."""
        return ([layer._cache for layer in self.layers], [step.cache for step in self.steps])

    def restore_caches(self, caches):
        layer_caches, step_caches = caches
        for layer, cache in zip(self.layers, layer_caches, strict=True):
            layer._cache = cache
        for step, cache in zip(self.steps, step_caches, strict=True):
            step.cache = cache

    def replica(self):
        """The same network with every layer replaced by its replica (Layer.replica): shares
        every weight, keeps its own grads and caches (one thread of a parallel predict)."""
        twin = copy.copy(self)
        twins = {id(layer): layer.replica() for layer in self.layers}
        twin.layers = [twins[id(layer)] for layer in self.layers]
        twin._steps = [Step(twins[id(step.layer)], step.inputs, step.shared)
                       for step in self.steps]
        return twin

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r}, layers={len(self.layers)})"


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
        return getattr(self.network.output_layer, "activation", None)

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
    def constraints(self):
        return {f"{i}/{key}": constraint for i, layer in enumerate(self.network.layers)
                for key, constraint in layer.constraints.items()}

    @property
    def weights(self):
        """The inner network's arrays, layer by layer, as Keras orders a nested model's."""
        return self.network.weights

    @property
    def trainable_weights(self):
        return self.network.trainable_weights

    @property
    def non_trainable_weights(self):
        return self.network.non_trainable_weights

    def set_rng(self, rng):
        """Pass ``rng`` on to every layer of the inner network (the wrapper draws nothing
        itself): fit's training stream reaches a Dropout inside a model used as a layer."""
        super().set_rng(rng)
        self.network.set_rng(rng)

    def random_streams(self):
        """The generators the inner layers draw from, each once."""
        streams = {id(stream): stream for layer in self.network.layers
                   for stream in layer.random_streams()}
        return list(streams.values())

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

    @property
    def grads(self):
        """The inner layers' grads, keyed "<layer index>/<key>"; setting it sets theirs (a
        model called twice in a graph gets the sum over both calls, network.py)."""
        return self._gather("grads") if "network" in self.__dict__ else {}

    @grads.setter
    def grads(self, value):
        if "network" not in self.__dict__:  # Layer.__init__, before the network is known
            return
        per_layer = [{} for _ in self.network.layers]
        for name, grad in value.items():
            index, key = name.split("/", 1)
            per_layer[int(index)][key] = grad
        for layer, grads in zip(self.network.layers, per_layer, strict=True):
            layer.grads = grads

    def replica(self):
        twin = copy.copy(self)
        twin.network = self.network.replica()  # first: setting grads sets the twin's own
        twin.grads, twin._cache = {}, None
        return twin

    def use_kernels(self, name):
        self.network.use_kernels(name)
        return super().use_kernels(name)

    # What backward needs lives in the inner layers' caches: this layer's own cache is a
    # copy of them, put back before backward, so that a model called twice in a graph backs
    # each call through its own activations.
    def forward(self, x, training=False):
        """x: (N, *inner input shape) -> the inner network's output."""
        self._check_input(x)
        out = self.network.forward(x, training=training)
        self._cache = self.network.caches()
        return out

    def forward_preactivation(self, x, training=False):
        """x -> the inner network's scores before its final softmax (Network.forward)."""
        self._check_input(x)
        out = self.network.forward(x, training=training, logits=True)
        self._cache = self.network.caches()
        return out

    def backward(self, dout, before_activation=False):
        self.network.restore_caches(self._cached())
        readers = self.network.input_readers()
        own_settings = [layer.needs_input_grad for layer in readers]
        for layer in readers:
            layer.needs_input_grad = self.needs_input_grad
        try:
            dx = self.network.backward(dout, before_activation)
        finally:
            for layer, setting in zip(readers, own_settings, strict=True):
                layer.needs_input_grad = setting
        return dx

    def backward_from_preactivation(self, dz):
        return self.backward(dz, before_activation=True)

    def get_config(self):
        return {"name": self.name, "input_shape": list(self.network.input_shape),
                "dtype": self.network.dtype.name,
                "layers": [{"class": type(layer).__name__, "config": layer.get_config()}
                           for layer in self.network.layers]}


def _add_shared_grads(layer, summed):
    """After one call's backward of a shared layer: add its grads to those of its calls
    backpropagated before, so that layer.grads holds the sum over all of them."""
    before = summed.get(id(layer))
    if before is not None:
        layer.grads = {key: before[key] + grad for key, grad in layer.grads.items()}
    summed[id(layer)] = dict(layer.grads)  # the next call's backward may write into grads


def _one_tensor(tensors, what):
    """Model(inputs, outputs) takes one KerasTensor each (a list of one is fine)."""
    if isinstance(tensors, dict):
        raise TypeError(f"Model: {what} as a dict is not supported in tinycnn; give one "
                        "KerasTensor")
    if isinstance(tensors, (list, tuple)):
        if len(tensors) != 1:
            raise ValueError(f"Model: tinycnn's models have one input and one output; got "
                             f"{len(tensors)} {what}")
        tensors = tensors[0]
    if not isinstance(tensors, graph.KerasTensor):
        raise TypeError(f"Model: {what} should be a KerasTensor (from keras.Input and layer "
                        f"calls), got {type(tensors).__name__}")
    return tensors


def _name_layers(layers):
    """Keras-style names for the layers without one, in order; names must not repeat."""
    taken = set()
    for layer in layers:
        if isinstance(layer, NestedNetwork) and layer.name in taken:
            layer.name = None  # two models left with their default name, "sequential"
        if layer.name is None:
            kind = "InputLayer" if isinstance(layer, graph.InputLayer) else type(layer).__name__
            layer.name = _unique_name(kind, taken)
        elif layer.name in taken:
            raise ValueError(f"Model: two layers are named {layer.name!r}; every layer of a "
                             "model needs its own name")
        taken.add(layer.name)


def _unique_name(class_name, taken):
    """Keras-style auto names, by Keras's snake-case rule: 'Conv2D' -> 'conv2d', then
    'conv2d_1', ...; 'MaxPool2D' -> 'max_pool2d'; 'Conv2DTranspose' -> 'conv2d_transpose';
    'LeakyReLU' -> 'leaky_re_lu'."""
    base = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    base = re.sub("([a-z])([A-Z])", r"\1_\2", base).lower()
    name, count = base, 0
    while name in taken:
        count += 1
        name = f"{base}_{count}"
    return name


