"""The layers, one per file. Read them in this order: base, activations, dense, conv2d,
maxpool2d, flatten, relu, softmax, dropout."""

from tinycnn.layers.base import Layer
from tinycnn.layers.conv2d import Conv2D
from tinycnn.layers.dense import Dense
from tinycnn.layers.dropout import Dropout
from tinycnn.layers.flatten import Flatten
from tinycnn.layers.maxpool2d import MaxPool2D
from tinycnn.layers.relu import ReLU
from tinycnn.layers.softmax import Softmax

LAYER_CLASSES = {cls.__name__: cls for cls in
                 (Conv2D, Dense, Dropout, Flatten, MaxPool2D, ReLU, Softmax)}

__all__ = ["Layer", "Conv2D", "Dense", "Dropout", "Flatten", "MaxPool2D", "ReLU", "Softmax",
           "LAYER_CLASSES"]
