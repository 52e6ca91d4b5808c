"""Saliency maps: which pixels, nudged, would move a class's score the most.

For an image x (H, W, C) and a class k with logit z_k (the input of the final softmax, see
logits.py), the saliency map is the gradient of that score with respect to every pixel
(Simonyan, Vedaldi and Zisserman, 2014):
    S[y, x, c] = dz_k / dx[y, x, c]
The model's own backward pass computes it, started from dL/dz = onehot(k) instead of a loss's
gradient: the chain rule then carries "how much does z_k move" down to the pixels (where a
value feeds several layers, the engine adds up what comes back from each). One backward pass
serves a whole batch: in inference mode each image's logits depend on that image alone, so
the gradient of sum_n z[n, k_n] holds every image's own map. The sign says whether a brighter
pixel raises (+) or lowers (-) the score; pictures show |S|, its maximum over the channels.

Shapes: images (N, H, W, C) or (N, H, W); classes (N,); the saliency maps: as the images.
"""

import numpy as np

from tinycnn.explain.inputs import checked_classes, checked_classifier, checked_images
from tinycnn.explain.logits import CHUNK, logit_network, one_hot
from tinycnn.explain.untouched import untouched


def saliency(model, images, classes=None):
    """dz_k/d(image) for each image and its class k: an array shaped like ``images``.

    classes: (N,) class ids, one id for every image, or None for each image's predicted class.
    Inference mode (BatchNorm's moving statistics, no dropout); the model is left as it was.
    """
    checked_classifier(model, "saliency")
    x, shape = checked_images(model, images, "saliency images")
    num_classes = model.output_shape[-1]
    classes = checked_classes(classes, len(x), num_classes, "saliency classes")
    maps = np.empty_like(x)
    with untouched(model), logit_network(model, "saliency") as network:
        for reader in network.input_readers():  # they normally skip dL/dx
            reader.needs_input_grad = True
        for start in range(0, len(x), CHUNK):
            logits = network.forward(x[start:start + CHUNK])
            chosen = logits.argmax(axis=1) if classes is None else classes[start:start + CHUNK]
            maps[start:start + CHUNK] = network.backward(one_hot(chosen, num_classes,
                                                                 logits.dtype))
    return maps.reshape(shape)
