"""A model's layers as one flat list, with any model used as a layer opened up.

Keras lets a built model be a layer of another, ``Sequential([model, Softmax()])``; tinycnn
wraps it in a ``NestedNetwork`` (network.py) whose forward and backward run the inner model's
layers. Explanations want those inner layers themselves: Grad-CAM looks at an inner Conv2D, a
saliency map needs the inner first layer's dL/dx, the check-up names the inner layer that
overflows. So they work on the leaves, the layers that compute, in order:
    Sequential([Sequential([conv, pool, flatten, dense]), softmax])
        leaves:  conv, pool, flatten, dense, softmax
Running the leaves one after the other is the same computation as running the model. A
wrapper is recognised by its ``network`` attribute (explain never imports network.py, which
imports summary.py, which imports explain).
"""


def leaf_layers(model):
    """The layers that compute, in order, inner models opened up: a list."""
    leaves = []
    for layer in model.layers:
        inner = getattr(layer, "network", None)
        leaves.extend(leaf_layers(inner) if inner is not None else [layer])
    return leaves


def every_layer(model):
    """The leaves and the wrappers around them: every layer object that keeps something."""
    found = []
    for layer in model.layers:
        found.append(layer)
        inner = getattr(layer, "network", None)
        if inner is not None:
            found.extend(every_layer(inner))
    return found


def leaves_of(layer):
    """The leaves of one layer: itself, or the inner model's leaves for a model used as one."""
    inner = getattr(layer, "network", None)
    return [layer] if inner is None else leaf_layers(inner)
