"""An MkDocs hook: the table of every name in tinycnn.keras, made from tinycnn.keras itself.

reference/keras.md holds the marker below; each build replaces it with one row per name of each
group (``keras.layers.MaxPooling2D`` -> ``tinycnn.layers.MaxPool2D``), linked to that object's
reference entry. A name added to tinycnn.keras appears here with no edit to the docs.
"""

import inspect

MARKER = "<!-- keras-names -->"
GROUPS = ("layers", "models", "callbacks", "optimizers", "losses", "initializers", "utils",
          "datasets", "backend", "regularizers")


def on_page_markdown(markdown, page, **kwargs):
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, keras_table())


def keras_table():
    from tinycnn import keras

    rows = ["| Keras's path | tinycnn's object |", "|---|---|"]
    for name in ("Sequential", "Input"):
        rows.append(row(f"keras.{name}", getattr(keras, name)))
    for group in GROUPS:
        rows += namespace_rows(f"keras.{group}", getattr(keras, group))
    return "\n".join(rows)


def namespace_rows(path, namespace):
    """One row per name, a group inside the group (keras.optimizers.schedules) opened up."""
    rows = []
    for name in sorted(dir(namespace)):
        obj = getattr(namespace, name)
        if type(obj) is type(namespace):
            rows += namespace_rows(f"{path}.{name}", obj)
        else:
            rows.append(row(f"{path}.{name}", obj))
    return rows


def row(path, obj):
    target = canonical_path(obj)
    return f"| `{path}` | [`{target}`][{target}] |"


def canonical_path(obj):
    """Where the object is defined, as the reference pages render it."""
    if inspect.ismodule(obj):
        return obj.__name__
    return f"{obj.__module__}.{obj.__qualname__}"
