"""Where the time goes: forward and backward milliseconds of every layer, on a real batch.

``profile(model, x)`` runs what a training step runs, on the engine (network.py), with a clock
read at every step's end (its ``watch`` hook), a model used as a layer opened up (leaves.py):
    forward   every layer call, training=True, first to last, up to the logits (a final softmax
              is left to the loss, as in training)
    backward  from the loss's gradient at the logits, dL/dz = (softmax(z) - onehot(y)) / N, down
              to the layers reading the input, which skip dL/dx as in training
A layer's time is the time from the end of the step before to the end of its own (the
engine's bookkeeping in between is tiny; the gradients added where a value feeds several
layers count with the next step); a layer called several times (shared) gets the sum of its
calls. The optimizer step is neither run nor timed, so the weights do not move; the rest of
the model is left as it was (``untouched``). Each time is the median of ``repeats`` runs,
after one run that is not timed (Numba compiles a kernel on its first call). Beside the times,
each layer's multiply-adds (costs.py) as a rate, GFLOP/s = 2 * multiply-adds * N / forward
seconds: how close the layer runs to what the machine's matrix multiplies can do.

Shapes: x (N, H, W, C) or (N, H, W); y (N,) class ids (default: the predicted classes).
"""

import statistics
import time

from tinycnn.explain.costs import multiply_adds
from tinycnn.explain.inputs import checked_classes, checked_classifier, checked_images
from tinycnn.explain.leaves import calls_of, computing_layers
from tinycnn.explain.logits import logit_network, one_hot
from tinycnn.explain.untouched import untouched
from tinycnn.layers.activations import softmax


def profile(model, x, y=None, repeats=5, print_fn=print):
    """Time each layer's forward and backward on the batch x; print and return the table.

    Returns one dict per layer: name, type, forward_ms, backward_ms, share (of the total),
    multiply_adds (per image) and gflops (forward). ``print_fn=None`` prints nothing. The model
    is built first if it is not (as summary() does).
    """
    if not getattr(model, "built", True):
        model.build()
    checked_classifier(model, "profile")
    x, _ = checked_images(model, x, "profile x")
    labels = checked_classes(y, len(x), model.output_shape[-1], "profile y")
    if isinstance(repeats, bool) or not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"profile repeats: expected an int >= 1, got {repeats!r}")
    layers = computing_layers(model)  # a model used as a layer, opened up: its own layers
    runs = {id(layer): {"forward": [], "backward": []} for layer in layers}
    with untouched(model), logit_network(model, "profile") as network:
        calls = calls_of(network)
        for run in range(repeats + 1):
            forward_s, backward_s = _timed_step(network, x, labels)
            if run > 0:  # the first run compiles and warms the caches
                for key, times in runs.items():
                    times["forward"].append(forward_s.get(key, 0.0))
                    times["backward"].append(backward_s.get(key, 0.0))
    rows = []
    for layer in layers:
        forward_ms = statistics.median(runs[id(layer)]["forward"]) * 1e3
        backward_ms = statistics.median(runs[id(layer)]["backward"]) * 1e3
        count = multiply_adds(layer) * calls.get(id(layer), 0)
        rows.append({"name": layer.name, "type": type(layer).__name__, "forward_ms": forward_ms,
                     "backward_ms": backward_ms, "multiply_adds": count,
                     "gflops": 2 * count * len(x) / (forward_ms * 1e6) if forward_ms else 0.0})
    total = sum(row["forward_ms"] + row["backward_ms"] for row in rows)
    for row in rows:
        row["share"] = (row["forward_ms"] + row["backward_ms"]) / total if total else 0.0
    if print_fn is not None:
        print_fn(profile_text(rows, len(x)))
    return rows


def _timed_step(network, x, labels):
    """One forward and backward pass of ``network`` (the model opened up, ending at the
    logits), timed step by step: ({id(layer): s}, {id(layer): s})."""
    forward_s, backward_s = {}, {}
    clock = [time.perf_counter()]

    def timer(seconds):
        """A watch hook adding the time since the last step ended to this step's layer."""
        def lap(step, _):
            now = time.perf_counter()
            seconds[id(step.layer)] = seconds.get(id(step.layer), 0.0) + now - clock[0]
            clock[0] = now
        return lap

    z = network.forward(x, training=True, watch=timer(forward_s))
    probs = softmax(z)
    classes = probs.argmax(axis=1) if labels is None else labels
    dz = (probs - one_hot(classes, probs.shape[1], probs.dtype)) / len(x)
    clock[0] = time.perf_counter()
    network.backward(dz, watch=timer(backward_s))
    return forward_s, backward_s


def profile_text(rows, batch_size):
    """The table ``profile`` prints: one line per layer, then the totals."""
    name_width = max(len(f"{row['name']} ({row['type']})") for row in rows) + 2
    lines = [f"Forward and backward time per layer, batch of {batch_size} (median)",
             f"{'Layer (type)':<{name_width}}{'forward ms':>11}{'backward ms':>13}"
             f"{'share':>8}{'GFLOP/s':>9}"]
    for row in rows:
        rate = f"{row['gflops']:.1f}" if row["multiply_adds"] else "-"
        lines.append(f"{row['name'] + ' (' + row['type'] + ')':<{name_width}}"
                     f"{row['forward_ms']:>11.3f}{row['backward_ms']:>13.3f}"
                     f"{row['share']:>8.1%}{rate:>9}")
    forward_ms = sum(row["forward_ms"] for row in rows)
    backward_ms = sum(row["backward_ms"] for row in rows)
    lines.append(f"{'total':<{name_width}}{forward_ms:>11.3f}{backward_ms:>13.3f}{1:>8.0%}")
    lines.append(f"{batch_size / (forward_ms + backward_ms) * 1e3:,.0f} images/s without the "
                 "optimizer step")
    return "\n".join(lines)
