"""model.summary(): the Keras table of layers, output shapes and parameter counts.

    Layer (type)              Output Shape            Param #
    conv2d (Conv2D)           (None, 26, 26, 32)          320
    ...
    Total params: 241,546          every number the layers hold
    Trainable params: 241,546      the optimizer's (layer.params)
    Non-trainable params: 0        layer.state, e.g. BatchNorm's moving mean and variance
Columns grow to fit the longest entry, so long layer names never run into the next column.
"""

MIN_WIDTHS = (29, 26, 10)  # Keras's column widths, kept when everything fits


def summary_text(model):
    """The summary table of a built model, as one string."""
    rows = [(f"{layer.name} ({type(layer).__name__})", str((None, *layer.output_shape)),
             f"{layer.count_params():,}") for layer in model.layers]
    header = ("Layer (type)", "Output Shape", "Param #")
    widths = [max(minimum, max(len(row[i]) for row in [header, *rows]) + 2)
              for i, minimum in enumerate(MIN_WIDTHS)]
    width = sum(widths)

    def line(cells):
        name, shape, count = cells
        return f"{name:<{widths[0]}}{shape:<{widths[1]}}{count:>{widths[2]}}".rstrip()

    lines = [f'Model: "{model.name}"', "_" * width, line(header), "=" * width]
    for i, row in enumerate(rows):
        lines.append(line(row))
        if i < len(rows) - 1:
            lines.append("")
    total = sum(layer.count_params() for layer in model.layers)
    trainable = sum(layer.count_trainable_params() for layer in model.layers)
    lines += ["=" * width, f"Total params: {total:,}", f"Trainable params: {trainable:,}",
              f"Non-trainable params: {total - trainable:,}", "_" * width]
    return "\n".join(lines)
