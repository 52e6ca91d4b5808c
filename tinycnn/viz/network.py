"""The network drawn with Graphviz from the model itself: one box per layer (name, type,
activation, output shape, parameter count), an input box, arrows in data-flow order and the
total parameter count.

The ``.gv`` source is always written; SVG and PNG need Graphviz's ``dot`` program
(``apt-get install graphviz``). Without it you get the source and a one-line message, not an error.
"""

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import graphviz

LAYER_COLORS = {
    "Conv2D": "lightblue",
    "MaxPool2D": "palegreen",
    "AveragePooling2D": "palegreen",
    "GlobalAveragePooling2D": "palegreen",
    "GlobalMaxPooling2D": "palegreen",
    "Flatten": "lightgray",
    "Dense": "navajowhite",
    "Dropout": "lavender",
    "BatchNormalization": "khaki",
    "Activation": "mistyrose",
    "ReLU": "mistyrose",
    "Sigmoid": "mistyrose",
    "Tanh": "mistyrose",
    "Softmax": "mistyrose",
}
INPUT_COLOR = "white"
DOT_MISSING = (
    "Graphviz's 'dot' program was not found: wrote {source} only; "
    "run 'apt-get install graphviz' to get SVG and PNG."
)


@dataclass
class NetworkDrawing:
    """What ``draw_network`` produced.

    graph: the graphviz.Digraph; files: {"gv": Path, "svg": Path, "png": Path} for the files
    written; message: why SVG/PNG are missing (one line), None when they were rendered.
    """

    graph: graphviz.Digraph
    files: dict = field(default_factory=dict)
    message: str | None = None


def format_shape(shape) -> str:
    """(26, 26, 32) -> "26 x 26 x 32"; shapes never include the batch axis."""
    return " x ".join(str(size) for size in shape)


# Graphviz's own escape for a centred line break (kept as the two characters \ and n).
LINE_BREAK = "\\n"


def _layer_label(layer) -> str:
    kind = type(layer).__name__
    # Pooling and Flatten layers have no activation attribute at all.
    activation = getattr(layer, "activation", None)
    heading = f"{kind}, {activation}" if activation else kind
    lines = [
        layer.name,
        heading,
        f"output {format_shape(layer.output_shape)}",
        f"{layer.count_params():,} params",
    ]
    return LINE_BREAK.join(lines)


def model_graph(model, title=None) -> graphviz.Digraph:
    """A graphviz.Digraph of ``model``: an input node, one node per layer, edges in order.

    Reads ``model.input_shape``, ``model.count_params()`` and for each of ``model.layers``:
    ``name``, ``type(layer).__name__``, ``activation``, ``output_shape``, ``count_params()``.
    """
    if model.input_shape is None:
        raise ValueError("the model is not built yet: call model.build() (or fit it) first")
    total = model.count_params()
    caption = f"Total params: {total:,}"
    if title:
        caption = f"{title}{LINE_BREAK}{caption}"
    graph = graphviz.Digraph(name="network", comment="tinycnn model, drawn by tinycnn.viz")
    graph.attr(rankdir="TB", label=caption, labelloc="b", fontname="Helvetica", fontsize="14")
    graph.attr("node", shape="box", style="rounded,filled", fontname="Helvetica", fontsize="11")
    graph.attr("edge", arrowsize="0.7")

    # Node ids are positions, not layer names, so a layer called "input" cannot clash.
    input_label = LINE_BREAK.join(["input", "Input", f"shape {format_shape(model.input_shape)}"])
    graph.node("input", input_label, fillcolor=INPUT_COLOR)
    previous = "input"
    for index, layer in enumerate(model.layers, start=1):
        node_id = f"layer{index}"
        color = LAYER_COLORS.get(type(layer).__name__, "white")
        graph.node(node_id, _layer_label(layer), fillcolor=color)
        graph.edge(previous, node_id)
        previous = node_id
    return graph


def draw_network(model, path, formats=("svg", "png"), title=None) -> NetworkDrawing:
    """Write ``<path>.gv`` and, when ``dot`` is installed, ``<path>.svg`` and ``<path>.png``.

    path: file path without extension (a ".gv" suffix is accepted), e.g. ``outputs/network``.
    Never raises because Graphviz is missing: see ``NetworkDrawing.message``.
    """
    path = Path(path)
    if path.suffix == ".gv":
        path = path.with_suffix("")
    path.parent.mkdir(parents=True, exist_ok=True)
    graph = model_graph(model, title=title)
    source = path.with_name(path.name + ".gv")
    source.write_text(graph.source, encoding="utf-8")
    drawing = NetworkDrawing(graph=graph, files={"gv": source})

    if shutil.which("dot") is None:
        drawing.message = DOT_MISSING.format(source=source.name)
        return drawing
    for image_format in formats:
        target = path.with_name(f"{path.name}.{image_format}")
        try:
            graphviz.render("dot", image_format, source, outfile=target)
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError, OSError) as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
            drawing.message = f"Graphviz could not render {target.name}: {first_line}"
            break
        drawing.files[image_format] = target
    return drawing
