"""Plots for tinycnn runs, one module per theme; the core package never imports this one.

    data         one image, one image of each class, images per class
    history      the training curves, and their animation (GIF and HTML player)
    predictions  the prediction animation, the most confident mistakes
    confusion    the confusion matrix heatmap
    filters      first-layer filters, feature maps of each Conv2D layer
    network      the model drawn with Graphviz (branches and merges too); Keras's plot_model
    report       report.html with every figure, animation and table of a run
    explain      where the network looks: five explanations (saliency, Grad-CAM, SmoothGrad,
                 integrated gradients, occlusion) beside test images
    explore      the explorer: one page to click inside a trained network in a browser
    im2col_animation  im2col, col2im and max pooling's gradient, window by window
    winograd     one tile through Winograd's F(2x2, 3x3) transforms

Every plotting function takes arrays (shapes in its docstring) and returns the matplotlib Figure;
with ``path=`` it also saves a PNG and closes the figure. Animation functions return the paths
they wrote. This package never picks a matplotlib backend: a script without a screen calls
``matplotlib.use("Agg")`` (or sets ``MPLBACKEND=Agg``) before importing it.
"""

from tinycnn.viz.confusion import plot_confusion_matrix
from tinycnn.viz.data import plot_class_distribution, plot_class_examples, plot_example
from tinycnn.viz.explain import explanation_examples, plot_explanations
from tinycnn.viz.explore import explore
from tinycnn.viz.filters import conv_feature_maps, plot_feature_maps, plot_filters
from tinycnn.viz.history import (
    animate_history,
    history_frame,
    make_history_animation,
    plot_history,
)
from tinycnn.viz.im2col_animation import (
    animate_col2im,
    animate_im2col,
    animate_maxpool_backward,
    make_col2im_animation,
    make_im2col_animation,
    make_maxpool_animation,
)
from tinycnn.viz.network import NetworkDrawing, draw_network, model_graph, plot_model
from tinycnn.viz.predictions import (
    animate_predictions,
    make_prediction_animation,
    most_confident_mistakes,
    plot_confident_mistakes,
)
from tinycnn.viz.report import build_report
from tinycnn.viz.winograd import plot_winograd_tile, winograd_tile_steps

__all__ = [
    "NetworkDrawing",
    "animate_col2im",
    "animate_history",
    "animate_im2col",
    "animate_maxpool_backward",
    "animate_predictions",
    "build_report",
    "conv_feature_maps",
    "draw_network",
    "explanation_examples",
    "explore",
    "history_frame",
    "make_col2im_animation",
    "make_history_animation",
    "make_im2col_animation",
    "make_maxpool_animation",
    "make_prediction_animation",
    "model_graph",
    "most_confident_mistakes",
    "plot_class_distribution",
    "plot_class_examples",
    "plot_confident_mistakes",
    "plot_confusion_matrix",
    "plot_example",
    "plot_explanations",
    "plot_feature_maps",
    "plot_filters",
    "plot_history",
    "plot_model",
    "plot_winograd_tile",
    "winograd_tile_steps",
]
