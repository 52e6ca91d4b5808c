"""Check a layer's backward pass against numerical derivatives (central differences).

For a random upstream gradient dout, define the scalar L(x) = sum(forward(x) * dout). Then the
layer's backward(dout) must equal dL/dx, and layer.grads[name] must equal dL/dparams[name].
Each element's derivative is measured as
    (L(v + eps) - L(v - eps)) / (2 * eps)          (error O(eps^2), plus rounding noise)
and the arrays are compared by the relative error left once that noise is allowed for:
    max(max|a - n| - floor, 0) / max(|a| + |n|)
The floor, zero_floor(sum |out * dout|, eps), is 1000 times the rounding noise of the difference
quotient, about 1e-16 * sum |out * dout| / eps (so 5.5e-6 for 50 terms of size 1). Without it a
gradient that is exactly 0 in exact arithmetic fails with an error of 1, as both sides measure
only rounding (~1e-15 analytic, ~1e-9 numerical): BatchNorm's dx and dgamma when dout is the
same throughout each channel, a Dense bias when the rows of dout cancel. A wrong gradient still
shows, unless it is itself smaller than the floor.
Use float64 (``layer.build(shape, rng, dtype=np.float64)``): in float32 the rounding error of L
swamps the derivative. With eps = 1e-6 a correct layer gives 0 or errors around 1e-8.

    >>> from tinycnn.layers import Conv2D
    >>> layer = Conv2D(2, 3).build((5, 5, 1), np.random.default_rng(0), np.float64)
    >>> errors = check_layer(layer, np.random.default_rng(1).normal(size=(2, 5, 5, 1)))
    >>> max(errors.values()) < 1e-6
    True
"""

import numpy as np

ROUNDING = np.finfo(np.float64).eps / 2  # 1.1e-16: float64's relative rounding error
NOISE_MARGIN = 1000


def zero_floor(loss_size, step):
    """Below this a central-difference derivative is rounding noise, as good as 0.

    loss_size: the size of the terms the loss L adds up (sum |out * dout| for check_layer;
    1 for a loss of order 1). L carries a rounding error of about ROUNDING * loss_size, so
    (L(v + step) - L(v - step)) / (2 step) carries about ROUNDING * loss_size / step; the
    floor is NOISE_MARGIN times that (measured noise: up to ~5 times the estimate). It assumes
    the forward pass loses no more than a digit or two to cancellation.
    tinycnn.explain.backward_check uses it too.
    """
    return NOISE_MARGIN * ROUNDING * loss_size / step


def relative_error(analytic, numeric, floor=0.0):
    """max(max |a - n| - floor, 0) / max(|a| + |n|): 0 when a and n agree to within floor.

    floor: an absolute difference that counts as agreement, such as zero_floor(...)."""
    scale = np.max(np.abs(analytic) + np.abs(numeric))
    excess = np.max(np.abs(analytic - numeric)) - floor
    # excess > 0 implies scale > floor >= 0, so no division by zero; a NaN stays NaN (and fails)
    return 0.0 if excess <= 0 else float(excess / scale)


def numerical_gradient(f, array, eps=1e-6):
    """dF/darray by central differences; ``f()`` reads ``array``, which is nudged in place."""
    grad = np.zeros_like(array)
    flat, flat_grad = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        flat[i] = saved + eps
        up = f()
        flat[i] = saved - eps
        down = f()
        flat[i] = saved
        flat_grad[i] = (up - down) / (2 * eps)
    return grad


# The generator that builds the layer and draws dout is seeded with this tag as well as
# ``seed``, so it can never be the stream a caller made with default_rng(seed) for x: dout
# equal to x would make a wrong backward pass for the wrong reason (or fail a right one).
_OWN_STREAM = 0x6772616463686B  # "gradchk"


def check_layer(layer, x, dout=None, eps=1e-6, seed=0, training=True):
    """Relative errors {"x": ..., "W": ..., ...} of backward against numerical gradients,
    beyond the floor zero_floor(sum |out * dout|, eps) (see the module docstring).

    x: a float64 input batch; the layer is built on it in float64 if it is not built yet.
    For a layer with several inputs (``layer.takes_list``, the merge layers), x is a list of
    batches [x_0, x_1, ...], and the errors have one key per input instead of "x": "x0", "x1",
    ... (dL/dx_i from the i-th array backward returns), then the params as usual.
    dout: the upstream gradient (default: standard normal, from ``seed``).
    training: the mode of every forward call (BatchNorm differs between the two; Dropout and
    the augmentation layers draw in training, the same numbers in every call).
    The layer's state (e.g. BatchNorm's moving averages) is put back as it was afterwards.
    """
    several = getattr(layer, "takes_list", False)
    inputs = [np.array(v, dtype=np.float64) for v in x] if several else [np.array(x, np.float64)]
    names = [f"x{i}" for i in range(len(inputs))] if several else ["x"]
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_OWN_STREAM,)))
    if not layer.built:
        shapes = [v.shape[1:] for v in inputs]
        layer.build(shapes if several else shapes[0], rng, np.float64)
    for name, value in layer.params.items():
        if value.dtype != np.float64:
            raise TypeError(f"check_layer: parameter {name!r} of {layer} is {value.dtype}; "
                            "build the layer with dtype=np.float64")
    saved_state = {name: value.copy() for name, value in layer.state.items()}
    # A layer that draws random numbers (Dropout, the augmentation layers) must draw the same
    # ones on every call: each forward starts the generators it really draws from (its own,
    # with seed=, else its rng: Layer.random_streams) where the first forward started them.
    streams = layer.random_streams()
    start_states = [stream.bit_generator.state for stream in streams]

    def forward():
        for stream, state in zip(streams, start_states, strict=True):
            stream.bit_generator.state = state
        return layer.forward(inputs if several else inputs[0], training=training)

    try:
        out = forward()
        dout = rng.standard_normal(out.shape) if dout is None else np.asarray(dout, np.float64)
        floor = zero_floor(float(np.sum(np.abs(out * dout))), eps)
        # A model's first layer skips dL/dx to save time; here we want it.
        needs_input_grad, layer.needs_input_grad = layer.needs_input_grad, True
        try:
            dx = layer.backward(dout)
        finally:
            layer.needs_input_grad = needs_input_grad
        dxs = list(dx) if several else [dx]
        if len(dxs) != len(inputs):
            raise ValueError(f"check_layer: {layer}'s backward returned {len(dxs)} gradients "
                             f"for {len(inputs)} inputs")
        analytic = {**dict(zip(names, dxs, strict=True)),
                    **{name: g.copy() for name, g in layer.grads.items()}}

        def loss():
            return float(np.sum(forward() * dout))

        errors = {name: relative_error(analytic[name], numerical_gradient(loss, value, eps),
                                       floor)
                  for name, value in zip(names, inputs, strict=True)}
        for name, value in layer.params.items():
            if name not in analytic:
                raise KeyError(f"check_layer: {layer}'s backward set no grads[{name!r}]")
            numeric = numerical_gradient(loss, value, eps)
            errors[name] = relative_error(analytic[name], numeric, floor)
    finally:
        for name, value in saved_state.items():
            layer.state[name][...] = value
    return errors


def check_loss(loss, y_true, probs, eps=1e-6):
    """Relative error of ``loss.gradient(y_true, probs)`` against numerical dL/dprobs
    (Keras's argument order: the targets first). The probabilities' rows should sum to 1, as
    a softmax's do: the loss normalises them, which this derivative leaves out."""
    probs = np.array(probs, dtype=np.float64)
    numeric = numerical_gradient(lambda: loss(y_true, probs), probs, eps)
    return relative_error(loss.gradient(y_true, probs), numeric)
