"""The network drawn with Graphviz from the model itself: one box per layer (name, type,
activation, output shape, parameter count), an input box, arrows along the data and the total
parameter count.

The arrows come from the engine's steps (network.py): each layer call reads values, and each
value comes from the model's input or from the layer call that made it; so a branch shows as
one box with two arrows out, a merge (Add, Concatenate) as one with two arrows in, and a layer
called twice (shared) as one box with the arrows of both calls. A model used as a layer is one
box. ``plot_model`` is Keras's ``keras.utils.plot_model``, with its arguments and its labels.

The ``.gv`` source is always written; SVG and PNG need Graphviz's ``dot`` program
(``apt-get install graphviz``). Without it ``draw_network`` gives you the source and a one-line
message, not an error (``plot_model`` raises, as Keras's does).
"""

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import graphviz

from tinycnn.graph import InputLayer

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
    # Merge layers: where branches join.
    "Add": "plum",
    "Subtract": "plum",
    "Multiply": "plum",
    "Average": "plum",
    "Maximum": "plum",
    "Concatenate": "plum",
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


def _kind(layer) -> str:
    """The layer's class name; for a model used as a layer, the model's (Sequential...)."""
    inner = getattr(layer, "network", None)
    return type(inner if inner is not None else layer).__name__


def _layer_label(layer) -> str:
    kind = _kind(layer)
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


def _node_ids(model) -> dict:
    """{id(layer): node id} for the layers drawn: positions, not names, so a layer called
    "input" cannot clash. A functional model's InputLayer is the "input" node."""
    drawn = [layer for layer in model.layers if not isinstance(layer, InputLayer)]
    ids = {id(layer): f"layer{index}" for index, layer in enumerate(drawn, start=1)}
    ids.update({id(layer): "input" for layer in model.layers if isinstance(layer, InputLayer)})
    return ids


def _edges(model, node_ids) -> list:
    """The arrows (from, to), each once, in the order the engine runs the steps: from the node
    that gives each value a step reads ("input" for the model's input) to the step's layer."""
    gives = ["input"] + [node_ids[id(step.layer)] for step in model.steps]  # value -> node
    edges = []
    for step in model.steps:
        for value in step.inputs:
            edge = (gives[value], node_ids[id(step.layer)])
            if edge not in edges:
                edges.append(edge)
    return edges


def model_graph(model, title=None) -> graphviz.Digraph:
    """A graphviz.Digraph of ``model``: an input node, one node per layer, an edge along each
    value a layer reads (module docstring).

    Reads ``model.input_shape``, ``model.count_params()``, ``model.steps`` and for each of
    ``model.layers``: ``name``, ``type(layer).__name__``, ``activation``, ``output_shape``,
    ``count_params()``.
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

    entry = model.layers[0]  # a functional model's InputLayer has a name of its own
    input_name, input_kind = (entry.name, "InputLayer") if isinstance(entry, InputLayer) else (
        "input", "Input")
    input_label = LINE_BREAK.join([input_name, input_kind,
                                   f"shape {format_shape(model.input_shape)}"])
    graph.node("input", input_label, fillcolor=INPUT_COLOR)
    node_ids = _node_ids(model)
    for layer in model.layers:
        if not isinstance(layer, InputLayer):
            color = LAYER_COLORS.get(_kind(layer), "white")
            graph.node(node_ids[id(layer)], _layer_label(layer), fillcolor=color)
    for source, target in _edges(model, node_ids):
        graph.edge(source, target)
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


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Keras's ``keras.utils.plot_model``, with its arguments and defaults (Keras 3): the model
    drawn by Graphviz into ``to_file``, whose extension picks the format (png, svg, pdf...; no
    extension: png, the file keeping its name). One box per layer, the arrows along the data
    (module docstring); a Sequential has no input box, a functional model its InputLayer.
        show_shapes             each layer's input and output shapes, batch axis None
        show_dtype              the output's dtype (the model's)
        show_layer_names        "name (Class)" instead of "Class"
        rankdir                 "TB" top to bottom, "LR" left to right
        dpi, splines            Graphviz's resolution and arrow style ("ortho", "curved"...)
        show_layer_activations  "Activation: relu" for layers that have one
        show_trainable          "Trainable" or "Non-trainable" for layers with weights
    ``expand_nested=True`` (a model used as a layer drawn box by box) is not supported; Keras's
    removed ``layer_range`` neither. Returns the picture for a notebook to show when IPython
    is installed, as Keras does (an ``IPython.display.Image``, or ``SVG`` for an .svg file;
    None for formats a notebook cannot show, such as PDF).
    Raises ImportError when Graphviz's ``dot`` is missing, as Keras does."""
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("plot_model: the argument layer_range is not supported (Keras 3 "
                         "removed it)")
    if kwargs:
        raise TypeError(f"plot_model: tinycnn does not support the argument(s) "
                        f"{', '.join(sorted(kwargs))}")
    if expand_nested:
        raise ValueError("plot_model: expand_nested=True is not supported in tinycnn: a model "
                         "used as a layer is drawn as one box")
    if not model.built:
        raise ValueError("plot_model: the model is not built yet; build it first "
                         "(model.build((H, W, C)), or fit it)")
    if shutil.which("dot") is None:
        raise ImportError("plot_model: Graphviz's 'dot' program was not found; run "
                          "'apt-get install graphviz' (https://graphviz.org/download/)")
    options = {"show_shapes": show_shapes, "show_dtype": show_dtype,
               "show_layer_names": show_layer_names,
               "show_layer_activations": show_layer_activations,
               "show_trainable": show_trainable}
    graph = graphviz.Digraph(name=model.name)
    graph.attr(rankdir=rankdir, concentrate="true", dpi=str(dpi), splines=splines)
    graph.attr("node", shape="box", fontname="Helvetica")
    node_ids = _node_ids(model)
    sequential = not isinstance(model.layers[0], InputLayer)  # no input box, as Keras draws
    for layer in model.layers:
        graph.node(node_ids[id(layer)], _keras_label(layer, model.dtype.name, **options))
    for source, target in _edges(model, node_ids):
        if not (sequential and source == "input"):
            graph.edge(source, target)
    to_file = Path(to_file)
    extension = to_file.suffix[1:] or "png"
    to_file.write_bytes(graph.pipe(format=extension))
    try:
        from IPython import display
    except ImportError:
        return None
    if extension == "svg":
        return display.SVG(filename=str(to_file))
    if extension in ("png", "jpg", "jpeg", "gif"):
        return display.Image(filename=str(to_file), format=extension)
    return None


def _keras_label(layer, dtype_name, show_shapes, show_dtype, show_layer_names,
                 show_layer_activations, show_trainable) -> str:
    """The lines of Keras's box for ``layer`` (keras/src/utils/model_visualization.py)."""
    kind = _kind(layer)
    lines = [f"{layer.name} ({kind})" if show_layer_names else kind]
    activation = getattr(layer, "activation", None)
    if show_layer_activations and activation is not None:
        lines.append(f"Activation: {activation}")
    if show_shapes:
        if not isinstance(layer, InputLayer):
            shape = layer.input_shape
            shapes = ([(None, *one) for one in shape] if layer.takes_list
                      else (None, *shape))
            lines.append(f"Input shape: {shapes}")
        lines.append(f"Output shape: {(None, *layer.output_shape)}")
    if show_dtype:
        lines.append(f"Output dtype: {dtype_name}")
    if show_trainable and layer.weights:
        lines.append("Trainable" if layer.trainable else "Non-trainable")
    return LINE_BREAK.join(lines)
