"""model.summary(): the Keras table of layers, output shapes and parameter counts.

    Layer (type)              Output Shape            Param #
    conv2d (Conv2D)           (None, 26, 26, 32)          320
    ...
    Total params: 241,546          every number the layers hold
    Trainable params: 241,546      the optimizer's (layer.params)
    Non-trainable params: 0        layer.state, e.g. BatchNorm's moving mean and variance
Columns grow to fit the longest entry, so long layer names never run into the next column.
A model not built yet (its input shape unknown) shows "?" and "0 (unbuilt)", as Keras does.

A functional model that is more than a chain (a branch, a merge, a shared layer) gets Keras's
"Connected to" column: what each layer reads, each value named as Keras names it,
``<layer>[<call>][0]``: the output of that layer's first call, second call... (counted within
this model; Keras counts a layer's calls in every model it is part of).

With ``costs=True`` two more columns say what each layer costs per image (tinycnn/explain/
costs.py): the multiply-adds of its forward pass, and the bytes its forward pass keeps for
backward (activation memory), with their totals under the table.
"""

from tinycnn.explain.costs import layer_costs

MIN_WIDTHS = (29, 26, 10)  # Keras's column widths, kept when everything fits
CONNECTED_MIN_WIDTH = 20
COST_HEADERS = ("Multiply-adds", "Kept bytes")
COST_MIN_WIDTH = 15


def summary_text(model, costs=False):
    """The summary table of a built model, as one string; ``costs`` adds the cost columns."""
    rows = [(f"{layer.name} ({type(layer).__name__})",
             str((None, *layer.output_shape)) if layer.built else "?",
             f"{layer.count_params():,}" if layer.built else "0 (unbuilt)")
            for layer in model.layers]
    header = ("Layer (type)", "Output Shape", "Param #")
    minimums = MIN_WIDTHS
    connected = connections(model)
    if connected is not None:
        rows = [(*row, cell) for row, cell in zip(rows, connected, strict=True)]
        header += ("Connected to",)
        minimums += (CONNECTED_MIN_WIDTH,)
    if costs:
        per_layer = layer_costs(model)
        rows = [(*row, f"{cost['multiply_adds']:,}", f"{cost['activation_bytes']:,}")
                for row, cost in zip(rows, per_layer, strict=True)]
        header += COST_HEADERS
        minimums += (COST_MIN_WIDTH,) * len(COST_HEADERS)
    widths = [max(minimum, max(len(row[i]) for row in [header, *rows]) + 2)
              for i, minimum in enumerate(minimums)]
    width = sum(widths)

    def line(cells):
        # names, shapes and connections to the left, numbers to the right
        text = "".join(f"{cell:<{size}}" if i < 2 else f"  {cell:<{size - 2}}"
                       if header[i] == "Connected to" else f"{cell:>{size}}"
                       for i, (cell, size) in enumerate(zip(cells, widths, strict=True)))
        return text.rstrip()

    lines = [f'Model: "{model.name}"', "_" * width, line(header), "=" * width]
    for i, row in enumerate(rows):
        lines.append(line(row))
        if i < len(rows) - 1:
            lines.append("")
    total = sum(layer.count_params() for layer in model.layers)
    trainable = sum(layer.count_trainable_params() for layer in model.layers)
    lines += ["=" * width, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}"]
    if costs:
        lines += _cost_totals(per_layer)
    lines.append("_" * width)
    return "\n".join(lines)


def connections(model):
    """The "Connected to" cell of each of ``model.layers``, or None for a Sequential or a
    functional chain (every step reads the one before, no layer called twice), where Keras
    prints no such column."""
    steps = model.steps
    chain = all(step.inputs == (k,) and not step.shared for k, step in enumerate(steps))
    if not model.is_functional or chain:
        return None
    calls = {}
    value_names = [f"{model.layers[0].name}[0][0]"]  # value 0: the InputLayer's output
    for step in steps:
        call = calls[id(step.layer)] = calls.get(id(step.layer), -1) + 1
        value_names.append(f"{step.layer.name}[{call}][0]")
    reads = {id(layer): [] for layer in model.layers}
    for step in steps:
        reads[id(step.layer)] += [value_names[i] for i in step.inputs]
    return [", ".join(reads[id(layer)]) or "-" for layer in model.layers]


def _cost_totals(per_layer, batch_size=32):
    multiply_adds = sum(cost["multiply_adds"] for cost in per_layer)
    kept = sum(cost["activation_bytes"] for cost in per_layer)
    return [f"Multiply-adds per image: {multiply_adds:,} forward (backward: about twice as many)",
            f"Kept for backward per image: {kept:,} bytes = {_readable(kept)} "
            f"({_readable(kept * batch_size)} at batch {batch_size})"]


def _readable(size):
    """Bytes in KiB or MiB, one decimal: 412160 -> '402.5 KiB'."""
    for unit, scale in (("MiB", 2**20), ("KiB", 2**10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"
