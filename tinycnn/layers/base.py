"""The Layer base class: what every layer shares (naming, building, shape checks, state).

A layer's life:
    layer = Conv2D(32, 3)              # __init__ stores hyper-parameters only
    layer.build((28, 28, 1), rng)      # creates params and state; shapes become known
    out = layer.forward(x, training=True)   # keeps what backward needs (the last call only)
    dx = layer.backward(dout)          # returns dL/dx and overwrites layer.grads

Three dicts of arrays, none with the batch axis N in its shapes:
    params  what the optimizer trains (W, b; BatchNorm's gamma and beta), unless the layer is
            frozen: ``layer.trainable = False`` (as in Keras) leaves them where they are, while
            dL/dx still flows through the layer
    grads   dL/dparams after backward: the same keys and shapes as params; every backward
            must write each of them (fit names the layer and the key of one it did not)
    state   what the layer keeps that is NOT trained by gradients (BatchNorm's moving mean and
            variance): created in build, changed by forward(training=True), saved and loaded
            with the params, never seen by the optimizer

Weight constraints (``kernel_constraint=``, ..., tinycnn/layers/constraints.py) live in
``constraints``, keyed like params; ``apply_constraints()`` projects the trainable params back
into them, in place, and the training step calls it for every layer after the optimizer's step.

``training`` changes what forward computes only for layers that behave differently while
training: Dropout drops values, BatchNorm normalises with the batch's own statistics (and
updates its state). Every forward call, training or not, keeps what backward needs in
``self._cache``, replacing the previous call's: so backward also works after an inference
forward (saliency maps need that), and nothing grows across calls.

Randomness is handed to a layer, never found: a layer whose training forward draws random
numbers (Dropout's masks, the augmentation layers' transforms) says so (``draws_random =
True``) and draws from ``random_stream()``, which is
    generator   its own, np.random.default_rng(seed), when it was made with ``seed=``
                (own_generator below), whatever the network hands it; else
    rng         the generator the network hands every layer (``set_rng``): build hands it
                the weights' generator, fit the model's training stream (Network.set_rng),
                so a seeded model draws the same numbers on every rerun.
A layer that draws nothing has no stream (None). Whoever runs a forward pass again and
needs the same draws (gradcheck, the check-up) saves and restores the state of the generators
the layer really draws from, ``random_streams()`` (a model used as a layer has several).

A layer never writes into its input ``x``: the layer below may keep it (or the very same
array it returned) for its own backward. Sequential marks each layer's output read-only, so a
layer that tries gets NumPy's "assignment destination is read-only" at once, instead of
silently wrong gradients.
"""

import copy

import numpy as np

from tinycnn.kernels import NUMBA, get_kernels
from tinycnn.layers.shapes import flag


class Layer:
    """Base class. Subclasses implement ``compute_output_shape``, ``forward`` and ``backward``,
    ``_create_params`` if they have weights and ``_create_state`` if they keep state."""

    # True for a layer whose training forward pass mixes the images of a batch (BatchNorm's
    # batch mean and variance). Sequential then never runs a training step in pieces: the
    # pieces' gradients would add up to a different step than the whole batch's.
    mixes_batch = False

    # True for a layer with several inputs (the merge layers, tinycnn/layers/merge.py): build
    # takes a list of shapes, forward a list of arrays, and backward returns a list of dL/dx.
    takes_list = False

    # True for a layer whose training forward draws random numbers (Dropout, the augmentation
    # layers): it draws from random_stream(), see the module docstring.
    draws_random = False
    # The generator the network hands every layer (set_rng), and a layer's own, made from its
    # seed= (own_generator); None until it has one.
    rng = None
    generator = None

    def __init__(self, name=None, input_shape=None):
        if input_shape is not None:
            input_shape = tuple(int(d) for d in input_shape)
        self.name = name
        self.declared_input_shape = input_shape
        self.input_shape = None
        self.output_shape = None
        self.params = {}
        self.grads = {}
        self.state = {}
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
        """Create the weights and state for inputs of ``input_shape`` (no batch axis), weights
        drawn from ``rng`` (a ``np.random.Generator``; a fresh unseeded one if None).
        A layer that ``takes_list`` gets a list of shapes, one per input."""
        if self.takes_list:
            input_shape = [tuple(int(d) for d in shape) for shape in input_shape]
        else:
            input_shape = tuple(int(d) for d in input_shape)
        output_shape = self.compute_output_shape(input_shape)
        rng = np.random.default_rng() if rng is None else rng
        dtype = np.dtype(dtype)
        self.set_rng(rng)  # until the network hands it its training stream
        self.params = self._create_params(input_shape, rng, dtype)
        for key, constraint in self.constraints.items():  # still unbuilt if one refuses
            if key in self.params:  # a bias_constraint with use_bias=False has nothing to do
                constraint.check(self.params[key].shape, f"{self} params[{key!r}]")
        self.state = self._create_state(input_shape, dtype)
        self.grads = {}  # backward writes them; a zero here would hide one it forgot
        self.input_shape, self.output_shape = input_shape, output_shape
        self._cache = None
        return self

    def unbuild(self):
        """Forget the weights, state and shapes (a model whose build failed half-way)."""
        self.input_shape = self.output_shape = self._cache = None
        self.params, self.grads, self.state = {}, {}, {}

    def compute_output_shape(self, input_shape):
        raise NotImplementedError

    def replica(self):
        """A twin for one thread of a parallel predict (tinycnn/parallel.py): the very same
        params and state arrays, but its own grads and cache, so that two threads running at
        once never write into the same array. It is a shallow copy: anything
        forward or backward *assigns* to ``self.<name>`` is the twin's own; a layer that
        writes into an array or a list it made in build must give the twin its own copy."""
        twin = copy.copy(self)
        twin.grads, twin._cache = {}, None
        return twin

    def _create_params(self, input_shape, rng, dtype):
        return {}

    # ---- randomness -------------------------------------------------------------------------
    def set_rng(self, rng):
        """Hand the layer ``rng`` (a np.random.Generator) for its training-time draws: build
        hands it the weights' generator, Network.set_rng (fit) the model's training stream."""
        self.rng = rng

    def random_stream(self):
        """The generator the next training forward draws from: the layer's own if it was made
        with seed=, else ``rng``; None for a layer that draws nothing."""
        if not self.draws_random:
            return None
        return self.generator if self.generator is not None else self.rng

    def random_streams(self):
        """Every generator a forward of this layer draws from, for whoever saves and restores
        their state to run it again with the same draws (gradcheck, the check-up):
        [random_stream()], or [] for a layer that draws nothing (a model used as a layer lists
        its layers' streams)."""
        stream = self.random_stream()
        return [] if stream is None else [stream]

    def _create_state(self, input_shape, dtype):
        return {}

    # ---- weights, by Keras's names ----------------------------------------------------------
    @property
    def weights(self):
        """The layer's arrays as Keras orders them: params, then state (Dense and Conv2D:
        kernel W, bias b; BatchNormalization: gamma, beta, moving_mean, moving_variance).
        The arrays themselves: training changes them."""
        return [*self.params.values(), *self.state.values()]

    @property
    def trainable_weights(self):
        return list(self.trainable_params.values())

    @property
    def non_trainable_weights(self):
        frozen = [] if self.trainable else list(self.params.values())
        return [*frozen, *self.state.values()]

    def get_weights(self):
        """Copies of ``weights`` (Keras's order), so a real Keras layer's weights, or
        another layer's, can be moved over with ``set_weights``."""
        return [np.array(value) for value in self.weights]

    def set_weights(self, weights):
        """Copy arrays, in the order of get_weights, into the layer's params and state."""
        if not self.built:
            raise RuntimeError(f"{self}: set_weights needs a built layer (build it, or call "
                               "it on data, first)")
        assign_weights(self.weights, weights, f"{self} set_weights")

    @property
    def kernel(self):
        """Keras's name for params["W"] (Dense, Conv2D)."""
        return self._keras_param("W", "kernel")

    @property
    def bias(self):
        """Keras's name for params["b"] (Dense, Conv2D); None for one made with
        use_bias=False, as in Keras."""
        if "W" in self.params and "b" not in self.params:
            return None
        return self._keras_param("b", "bias")

    def _keras_param(self, key, keras_name):
        if key not in self.params:
            raise AttributeError(f"{self} has no {keras_name} (its params: {sorted(self.params)})")
        return self.params[key]

    def count_params(self):
        """Every number the layer holds, trained or not (Keras's Param # column)."""
        return (int(sum(value.size for value in self.params.values()))
                + int(sum(value.size for value in self.state.values())))

    def count_trainable_params(self):
        return int(sum(value.size for value in self.trainable_params.values()))

    @property
    def trainable(self):
        """False freezes the layer (Keras's ``layer.trainable = False``): the optimizer leaves
        its params alone and summary counts them as non-trainable; dL/dx still flows through
        it, and a frozen BatchNormalization normalises with its moving statistics."""
        return self.__dict__.get("_trainable", True)  # a subclass may skip our __init__

    @trainable.setter
    def trainable(self, value):
        self._trainable = flag(value, f"{self} trainable")

    @property
    def trainable_params(self):
        """The params the optimizer moves: all of them, or none when the layer is frozen."""
        return self.params if self.trainable else {}

    # Weight penalties (layers/regularizers.py), keyed like params: {"W": L1L2(...)}.
    regularizers = {}

    def add_penalties(self, grads):
        """Add the gradients of this layer's weight penalties into ``grads`` (a dict like
        layer.grads) and return the penalty (float) for the loss; only trainable params are
        penalised, as in Keras."""
        penalty, params = 0.0, self.trainable_params
        for key, regularizer in self.regularizers.items():
            if key in params:
                penalty += regularizer(params[key])
                grads[key] = grads[key] + regularizer.gradient(params[key])
        return penalty

    def penalty(self):
        """This layer's weight penalties (float), as add_penalties counts them."""
        params = self.trainable_params
        return sum(regularizer(params[key]) for key, regularizer in self.regularizers.items()
                   if key in params)

    # Weight constraints (layers/constraints.py), keyed like params: {"W": MaxNorm(...)}.
    constraints = {}

    def apply_constraints(self):
        """Project each trainable param that has a constraint back into it, in place (so
        model.weights and the optimizer's slots keep their arrays). Keras does it right after
        the optimizer's update, every step: the training step calls this for every layer after
        optimizer.step. Only trainable params, as in Keras: a frozen layer's are left alone."""
        params = self.trainable_params
        for key, constraint in self.constraints.items():
            if key in params:
                params[key][...] = constraint(params[key])

    @property
    def output(self):
        """The KerasTensor its first call on symbolic tensors gave (Keras's ``layer.output``),
        e.g. ``keras.Model(model.input, model.get_layer("conv2d").output)``."""
        return self._first_call("output").output

    @property
    def input(self):
        """The KerasTensor(s) its first call on symbolic tensors read (Keras's ``layer.input``)."""
        inputs = self._first_call("input").inputs
        return inputs if self.takes_list else inputs[0]

    def _first_call(self, what):
        nodes = self.__dict__.get("_inbound_nodes")
        if not nodes:
            raise AttributeError(f"{self} has never been called on a KerasTensor, so it has "
                                 f"no {what} (a Sequential's layers get one from "
                                 "model.inputs, once the model is built)")
        return nodes[0]

    def __call__(self, inputs, training=False):
        """Keras's ``layer(x)``. On arrays it runs the layer: forward(inputs, training), the
        layer built on first use. On KerasTensors (from keras.Input) it records the call, for
        a functional model (graph.py), and returns a KerasTensor. inputs: one of them, or a
        list for a layer that ``takes_list``."""
        from tinycnn import graph  # graph.py builds on this module

        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if any(isinstance(item, graph.KerasTensor) for item in items):
            return graph.call(self, inputs)
        for item in items:
            if not isinstance(item, np.ndarray):
                raise TypeError(f"{self}: called on {type(item).__name__}; a layer runs on "
                                "NumPy arrays, or on KerasTensors (keras.Input) to build a "
                                "functional model")
        return self.forward(list(inputs) if self.takes_list else inputs,
                            training=flag(training, f"{self} training"))

    def use_kernels(self, name):
        """Switch this layer to the "numba" kernels or to their "numpy" twins."""
        self.kernels = get_kernels(name)
        return self

    # ---- checks shared by every forward and backward ------------------------------------
    def _check_input(self, x):
        """Build on first use, and refuse an input this layer cannot take, naming both shapes."""
        if self.takes_list:
            return self._check_inputs(x)
        self._check_array(x, f"{self}")
        if not self.built:
            self.build(x.shape[1:], dtype=x.dtype)
        if x.shape[1:] != self.input_shape:
            raise ValueError(
                f"{self}: expected input of shape (N, {', '.join(map(str, self.input_shape))}), "
                f"got {x.shape}"
            )

    def _check_inputs(self, xs):
        """The same for a layer that ``takes_list``: a list of arrays, one per input, that
        share the batch size N and the dtype."""
        if not isinstance(xs, (list, tuple)):
            raise TypeError(f"{self}: expected a list of NumPy arrays, one per input, got "
                            f"{type(xs).__name__}")
        for i, x in enumerate(xs):
            self._check_array(x, f"{self} input {i}")
        if len({x.shape[0] for x in xs}) > 1 or len({x.dtype for x in xs}) > 1:
            raise ValueError(f"{self}: expected inputs of one batch size and dtype, got shapes "
                             f"{[x.shape for x in xs]} and dtypes {[x.dtype.name for x in xs]}")
        shapes = [x.shape[1:] for x in xs]
        if not self.built:  # an empty list builds nothing: the layer refuses fewer than 2
            self.build(shapes, dtype=xs[0].dtype if xs else np.float32)
        if shapes != self.input_shape:
            expected = ", ".join(f"(N, {', '.join(map(str, shape))})" for shape in self.input_shape)
            raise ValueError(f"{self}: expected inputs of shapes [{expected}], got "
                             f"{[x.shape for x in xs]}")

    def _check_array(self, x, what):
        """x is a float array with a batch axis; ``what`` names it in the errors."""
        if not isinstance(x, np.ndarray):
            raise TypeError(f"{what}: expected a NumPy array, got {type(x).__name__}")
        if x.dtype not in (np.float32, np.float64):
            raise TypeError(
                f"{what}: expected a float32 or float64 array, got dtype {x.dtype} "
                "(scale images to floats first, e.g. (x / 255.0).astype(np.float32))"
            )
        if x.ndim == 0 or x.shape[0] == 0:
            raise ValueError(f"{what}: got an empty batch of shape {x.shape}")

    def _cached(self):
        """What the last forward call stored; backward needs it."""
        if self._cache is None:
            raise RuntimeError(f"{self}: backward() needs a forward(x) call first")
        return self._cache

    # ---- saving ---------------------------------------------------------------------------
    def get_config(self):
        """Constructor arguments that rebuild this layer (JSON-serialisable)."""
        return {"name": self.name}

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


def own_generator(seed, what):
    """(seed, generator) for the ``seed=`` of a layer that draws random numbers (Dropout,
    SpatialDropout2D, the augmentation layers), stored as ``layer.seed`` and
    ``layer.generator``: (None, None) without one, and the layer draws from ``layer.rng``, the
    stream the network hands it; else (seed, np.random.default_rng(seed)), the layer's own
    generator, which random_stream() returns whatever the network hands it. seed: None or an
    int >= 0; ``what`` names it in the error."""
    if seed is None:
        return None, None
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{what}: expected None or an int >= 0, got {seed!r}")
    return int(seed), np.random.default_rng(int(seed))


def assign_weights(targets, weights, what):
    """Copy each of ``weights`` into the array of ``targets`` at its place, after checking all
    of them first (the count, every shape), so a wrong list changes nothing."""
    weights = list(weights)
    if len(weights) != len(targets):
        raise ValueError(f"{what}: expected {len(targets)} arrays, got {len(weights)}")
    for i, (target, new) in enumerate(zip(targets, weights, strict=True)):
        if target.shape != np.shape(new):
            raise ValueError(f"{what}: array {i} should have shape {target.shape}, "
                             f"got {np.shape(new)}")
    for target, new in zip(targets, weights, strict=True):
        target[...] = new
