"""The layers, one per file. Read them in this order: base, activations, initializers, dense,
conv2d, conv_windows, depthwise_conv2d, separable_conv2d, conv2d_transpose, pooling2d,
maxpool2d, averagepool2d, global_pooling, flatten, activation, activation_functions,
leaky_relu, elu, prelu, dropout, spatial_dropout2d, batchnorm, layer_normalization; then the
shape layers reshape, zero_padding2d, cropping2d, upsampling2d, rescaling and identity; the
layers with several inputs: merge (what they share), add, subtract, multiply, average, maximum,
concatenate; then the augmentation layers, which change images in training only:
augmentation (what they share), random_flip, random_translation, random_rotation, random_zoom,
random_contrast.

``LAYER_CLASSES`` maps class names to classes, so that a saved model can be rebuilt. Your own
layer joins it with the ``register`` decorator (or pass ``custom_objects={"Name": Class}`` to
``tinycnn.load_model``, as in Keras)::

    @tinycnn.layers.register
    class Square(Layer):
        ...
"""

from tinycnn.layers.activation import Activation, ReLU, Sigmoid, Softmax, Tanh
from tinycnn.layers.add import Add
from tinycnn.layers.average import Average
from tinycnn.layers.averagepool2d import AveragePooling2D
from tinycnn.layers.base import Layer
from tinycnn.layers.batchnorm import BatchNormalization
from tinycnn.layers.concatenate import Concatenate
from tinycnn.layers.conv2d import Conv2D
from tinycnn.layers.conv2d_transpose import Conv2DTranspose
from tinycnn.layers.cropping2d import Cropping2D
from tinycnn.layers.dense import Dense
from tinycnn.layers.depthwise_conv2d import DepthwiseConv2D
from tinycnn.layers.dropout import Dropout
from tinycnn.layers.elu import ELU
from tinycnn.layers.flatten import Flatten
from tinycnn.layers.global_pooling import GlobalAveragePooling2D, GlobalMaxPooling2D
from tinycnn.layers.identity import Identity
from tinycnn.layers.layer_normalization import LayerNormalization
from tinycnn.layers.leaky_relu import LeakyReLU
from tinycnn.layers.maximum import Maximum
from tinycnn.layers.maxpool2d import MaxPool2D
from tinycnn.layers.multiply import Multiply
from tinycnn.layers.prelu import PReLU
from tinycnn.layers.random_contrast import RandomContrast
from tinycnn.layers.random_flip import RandomFlip
from tinycnn.layers.random_rotation import RandomRotation
from tinycnn.layers.random_translation import RandomTranslation
from tinycnn.layers.random_zoom import RandomZoom
from tinycnn.layers.rescaling import Rescaling
from tinycnn.layers.reshape import Reshape
from tinycnn.layers.separable_conv2d import SeparableConv2D
from tinycnn.layers.spatial_dropout2d import SpatialDropout2D
from tinycnn.layers.subtract import Subtract
from tinycnn.layers.upsampling2d import UpSampling2D
from tinycnn.layers.zero_padding2d import ZeroPadding2D

LAYER_CLASSES = {}


def register(cls):
    """Class decorator: let load_model rebuild layers of this class (by its name)."""
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError(f"register: expected a subclass of tinycnn.layers.Layer, got {cls!r}")
    LAYER_CLASSES[cls.__name__] = cls
    return cls


for _cls in (Activation, AveragePooling2D, BatchNormalization, Conv2D, Dense, Dropout, Flatten,
             GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPool2D, ReLU, Sigmoid, Softmax, Tanh,
             Reshape, ZeroPadding2D, Add, Subtract, Multiply, Average, Maximum, Concatenate,
             RandomFlip, RandomTranslation, RandomRotation, RandomZoom, RandomContrast,
             LeakyReLU, ELU, PReLU, UpSampling2D, Cropping2D, SpatialDropout2D,
             LayerNormalization, Rescaling, Identity, DepthwiseConv2D, SeparableConv2D,
             Conv2DTranspose):
    register(_cls)

__all__ = ["Layer", "Activation", "AveragePooling2D", "BatchNormalization", "Conv2D", "Dense",
           "Dropout", "Flatten", "GlobalAveragePooling2D", "GlobalMaxPooling2D", "MaxPool2D",
           "ReLU", "Sigmoid", "Softmax", "Tanh", "Reshape", "ZeroPadding2D", "Add", "Subtract",
           "Multiply", "Average", "Maximum", "Concatenate", "RandomFlip", "RandomTranslation",
           "RandomRotation", "RandomZoom", "RandomContrast", "LeakyReLU", "ELU", "PReLU",
           "UpSampling2D", "Cropping2D", "SpatialDropout2D", "LayerNormalization", "Rescaling",
           "Identity", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose", "LAYER_CLASSES",
           "register"]
