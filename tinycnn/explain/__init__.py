"""See inside a network: where it looks, what each layer costs, why training fails, how im2col
moves. Read the files in this order:

    leaves         a model opened up: the layers inside a model used as a layer, and the
                   steps the tools run on the engine (network.py's forward and backward, whose
                   ``watch`` hooks see every layer call: chains and graphs alike)
    untouched      what an explanation borrows from a model's layers, and gives back
    logits         the class scores explained: the logits, the input of the final softmax
    saliency       dz_k/d(image): which pixels move a class's score
    smoothgrad     saliency averaged over noisy copies of the image: less speckle
    integrated_gradients  (x - baseline) times the mean gradient along the path to x: the
                   attributions add up to the change of the class score
    occlusion      a grey patch slid over the image: how much the class probability drops
    grad_cam       Grad-CAM: where a conv layer saw evidence for a class; heatmaps onto images
    costs          multiply-adds and activation memory per layer (model.summary(costs=True))
    profile        forward and backward milliseconds per layer on a real batch
    model_copy     a working copy of a model, sharing nothing with it
    watched_step   one training step, every array checked for NaN and infinity
    backward_check each layer's backward, where it sits in the model, against the loss's
                   central differences
    checkup        the training check-up: initial loss, dead ReLUs, backward, update size,
                   overfitting one batch, finite values
    checkup_report its verdicts and its printed table
    im2col_frames  the real im2col index map, col2im's sums and max pooling's gradient routing,
                   frame by frame, for the animations in tinycnn/viz/im2col_animation.py
Everything here takes arrays and returns arrays (pictures are in tinycnn/viz/explain.py) and
leaves the model it looks at as it was. It uses layers, kernels, graph.py and the small core
modules (validation, threads, optimizers) but never imports network.py or model.py (summary.py
imports it): it runs a model through the model's own methods.
"""

from tinycnn.explain.checkup import checkup
from tinycnn.explain.checkup_report import Check, Checkup
from tinycnn.explain.costs import activation_bytes, layer_costs, multiply_adds
from tinycnn.explain.grad_cam import grad_cam, grad_cams, resize_heatmap
from tinycnn.explain.im2col_frames import col2im_frames, im2col_frames, maxpool_frames
from tinycnn.explain.integrated_gradients import integrated_gradients
from tinycnn.explain.logits import class_logits
from tinycnn.explain.model_copy import copy_model
from tinycnn.explain.occlusion import occlusion, occlusion_maps
from tinycnn.explain.profile import profile
from tinycnn.explain.saliency import saliency
from tinycnn.explain.smoothgrad import smoothgrad

__all__ = ["Check", "Checkup", "activation_bytes", "checkup", "class_logits", "col2im_frames",
           "copy_model", "grad_cam", "grad_cams", "im2col_frames", "layer_costs", "maxpool_frames",
           "multiply_adds", "profile", "resize_heatmap", "saliency", "smoothgrad",
           "integrated_gradients", "occlusion", "occlusion_maps"]
