"""Where the time goes: forward and backward milliseconds of every layer, on a real batch.

``profile(model, x)`` runs what a training step runs, with a clock around each layer's call:
    forward   every layer, training=True, first to last
    backward  from the loss's gradient at the logits, dL/dz = (softmax(z) - onehot(y)) / N, down
              to the first layer, which skips dL/dx as in training (a final Softmax layer is
              skipped too: training starts below it)
The optimizer step is neither run nor timed, so the weights do not move; the rest of the model
is left as it was (``untouched``). Each time is the median of ``repeats`` runs, after one run
that is not timed (Numba compiles a kernel on its first call). Beside the times, each layer's
multiply-adds (costs.py) as a rate, GFLOP/s = 2 * multiply-adds * N / forward seconds: how
close the layer runs to what the machine's matrix multiplies can do.

Shapes: x (N, H, W, C) or (N, H, W); y (N,) class ids (default: the predicted classes).
"""

import statistics
import time

from tinycnn.explain.costs import multiply_adds
from tinycnn.explain.inputs import checked_classes, checked_classifier, checked_images
from tinycnn.explain.leaves import leaf_layers
from tinycnn.explain.logits import logit_layers, one_hot
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
    layers = leaf_layers(model)  # a model used as a layer, opened up: its layers one by one
    names = [layer.name for layer in layers]
    runs = {name: {"forward": [], "backward": []} for name in names}
    with untouched(model):
        for run in range(repeats + 1):
            forward_s, backward_s = _timed_step(model, layers, x, labels)
            if run > 0:  # the first run compiles and warms the caches
                for name in names:
                    runs[name]["forward"].append(forward_s.get(name, 0.0))
                    runs[name]["backward"].append(backward_s.get(name, 0.0))
    rows = []
    for layer in layers:
        forward_ms = statistics.median(runs[layer.name]["forward"]) * 1e3
        backward_ms = statistics.median(runs[layer.name]["backward"]) * 1e3
        count = multiply_adds(layer)
        rows.append({"name": layer.name, "type": type(layer).__name__, "forward_ms": forward_ms,
                     "backward_ms": backward_ms, "multiply_adds": count,
                     "gflops": 2 * count * len(x) / (forward_ms * 1e6) if forward_ms else 0.0})
    total = sum(row["forward_ms"] + row["backward_ms"] for row in rows)
    for row in rows:
        row["share"] = (row["forward_ms"] + row["backward_ms"]) / total if total else 0.0
    if print_fn is not None:
        print_fn(profile_text(rows, len(x)))
    return rows


def _timed_step(model, layers, x, labels):
    """One forward and backward pass through ``layers`` (the model's leaves), timed layer by
    layer: ({name: s}, {name: s})."""
    forward_s, backward_s = {}, {}
    out = x
    for layer in layers:
        start = time.perf_counter()
        out = layer.forward(out, training=True)
        forward_s[layer.name] = time.perf_counter() - start
    # A model that ends in a softmax outputs probabilities; one without, its logits z.
    probs = out if getattr(layers[-1], "activation", None) == "softmax" else softmax(out)
    with logit_layers(model) as below_softmax:
        classes = probs.argmax(axis=1) if labels is None else labels
        dout = (probs - one_hot(classes, probs.shape[1], probs.dtype)) / len(x)
        for layer in reversed(below_softmax):
            start = time.perf_counter()
            dout = layer.backward(dout)
            backward_s[layer.name] = time.perf_counter() - start
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
