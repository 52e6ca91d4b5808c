"""Keras's module paths over tinycnn, so a beginner's Keras notebook runs with its imports changed:

    from tensorflow import keras          ->   from tinycnn import keras
    from tensorflow.keras import layers   ->   from tinycnn.keras import layers

Nothing here is a second copy of anything: each name points at tinycnn's own class or function
(``keras.layers.MaxPooling2D`` is ``tinycnn.layers.MaxPool2D``). A name tinycnn does not have
(an LSTM, say) raises an error that says so and lists what there is.
"""

import sys

import numpy as np

from tinycnn import __version__ as _version
from tinycnn import callbacks as _callbacks
from tinycnn import images as _images
from tinycnn import layers as _layers
from tinycnn import losses as _losses
from tinycnn import metrics as _metrics
from tinycnn import optimizers as _optimizers
from tinycnn import random as _random
from tinycnn import schedules as _schedules
from tinycnn.explain.model_copy import clone_model
from tinycnn.graph import Input
from tinycnn.layers import activation_functions as _activation_functions
from tinycnn.layers import constraints as _constraints
from tinycnn.layers import initializers as _initializers
from tinycnn.layers import regularizers as _regularizers
from tinycnn.model import Model, Sequential, load_model


class _Namespace:
    """A module-like group of names whose missing names explain themselves."""

    def __init__(self, path, **names):
        self._path = path
        self.__dict__.update(names)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        known = ", ".join(sorted(k for k in vars(self) if not k.startswith("_")))
        raise AttributeError(f"{self._path}.{name}: tinycnn has no {name}; it implements "
                             f"{known}")

    def __dir__(self):
        return [k for k in vars(self) if not k.startswith("_")]


def InputLayer(input_shape=None, shape=None, name=None, **kwargs):  # noqa: N802 (Keras's)
    """keras.layers.InputLayer(shape=(28, 28, 1)) (or Keras 2's input_shape=): the same as
    keras.Input, to open a Sequential with."""
    return Input(shape=shape if shape is not None else input_shape, name=name, **kwargs)


# Keras's lowercase forms of the merge layers: add([a, b]) is Add()([a, b]), on arrays.
def add(inputs, **kwargs):
    """keras.layers.add(inputs): Add(**kwargs)(inputs)."""
    return _layers.Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """keras.layers.subtract(inputs): Subtract(**kwargs)(inputs)."""
    return _layers.Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """keras.layers.multiply(inputs): Multiply(**kwargs)(inputs)."""
    return _layers.Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """keras.layers.average(inputs): Average(**kwargs)(inputs)."""
    return _layers.Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """keras.layers.maximum(inputs): Maximum(**kwargs)(inputs)."""
    return _layers.Maximum(**kwargs)(inputs)


def concatenate(inputs, axis=-1, **kwargs):
    """keras.layers.concatenate(inputs, axis=-1): Concatenate(axis, **kwargs)(inputs)."""
    return _layers.Concatenate(axis=axis, **kwargs)(inputs)


def to_categorical(y, num_classes=None, dtype="float32"):
    """Class ids (N,) -> one-hot rows (N, K), as keras.utils.to_categorical."""
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    num_classes = int(y.max()) + 1 if num_classes is None else int(num_classes)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"to_categorical: class ids must lie in [0, {num_classes}), got "
                         f"values from {y.min()} to {y.max()}")
    return np.eye(num_classes, dtype=dtype)[y]


def _fashion_mnist():
    from tinycnn.datasets import fashion_mnist  # beside the core: loaded only when asked for

    return fashion_mnist


layers = _Namespace(
    "keras.layers", Input=Input, InputLayer=InputLayer,
    Conv2D=_layers.Conv2D, Convolution2D=_layers.Conv2D,
    DepthwiseConv2D=_layers.DepthwiseConv2D, SeparableConv2D=_layers.SeparableConv2D,
    SeparableConvolution2D=_layers.SeparableConv2D, Conv2DTranspose=_layers.Conv2DTranspose,
    Convolution2DTranspose=_layers.Conv2DTranspose,
    MaxPooling2D=_layers.MaxPool2D, MaxPool2D=_layers.MaxPool2D,
    AveragePooling2D=_layers.AveragePooling2D, AvgPool2D=_layers.AveragePooling2D,
    GlobalAveragePooling2D=_layers.GlobalAveragePooling2D,
    GlobalAvgPool2D=_layers.GlobalAveragePooling2D,
    GlobalMaxPooling2D=_layers.GlobalMaxPooling2D, GlobalMaxPool2D=_layers.GlobalMaxPooling2D,
    Dense=_layers.Dense, Flatten=_layers.Flatten, Dropout=_layers.Dropout,
    BatchNormalization=_layers.BatchNormalization, Activation=_layers.Activation,
    ReLU=_layers.ReLU, Softmax=_layers.Softmax, Layer=_layers.Layer,
    Reshape=_layers.Reshape, ZeroPadding2D=_layers.ZeroPadding2D,
    Add=_layers.Add, Subtract=_layers.Subtract, Multiply=_layers.Multiply,
    Average=_layers.Average, Maximum=_layers.Maximum, Concatenate=_layers.Concatenate,
    RandomFlip=_layers.RandomFlip, RandomTranslation=_layers.RandomTranslation,
    RandomRotation=_layers.RandomRotation, RandomZoom=_layers.RandomZoom,
    RandomContrast=_layers.RandomContrast,
    LeakyReLU=_layers.LeakyReLU, ELU=_layers.ELU, PReLU=_layers.PReLU,
    UpSampling2D=_layers.UpSampling2D, Cropping2D=_layers.Cropping2D,
    SpatialDropout2D=_layers.SpatialDropout2D, LayerNormalization=_layers.LayerNormalization,
    Rescaling=_layers.Rescaling, Identity=_layers.Identity,
    add=add, subtract=subtract, multiply=multiply, average=average, maximum=maximum,
    concatenate=concatenate,
)
models = _Namespace("keras.models", Sequential=Sequential, Model=Model, load_model=load_model,
                    clone_model=clone_model)


def clear_session():
    """keras.backend.clear_session(): nothing to clear. Keras resets its global state (layer
    name counters, graphs); tinycnn keeps none: names are numbered per model."""


def floatx():
    """keras.backend.floatx(): "float32", tinycnn's default dtype (Sequential(dtype=...))."""
    return "float32"


def image_data_format():
    """keras.backend.image_data_format(): "channels_last", images as (N, H, W, C)."""
    return "channels_last"


backend = _Namespace("keras.backend", clear_session=clear_session, floatx=floatx,
                     image_data_format=image_data_format)
callbacks = _Namespace(
    "keras.callbacks", Callback=_callbacks.Callback, History=_callbacks.History,
    EarlyStopping=_callbacks.EarlyStopping, ModelCheckpoint=_callbacks.ModelCheckpoint,
    CSVLogger=_callbacks.CSVLogger, TerminateOnNaN=_callbacks.TerminateOnNaN,
    LearningRateScheduler=_callbacks.LearningRateScheduler,
    ReduceLROnPlateau=_callbacks.ReduceLROnPlateau, LambdaCallback=_callbacks.LambdaCallback,
    BackupAndRestore=_callbacks.BackupAndRestore, ProgbarLogger=_callbacks.ProgbarLogger,
    TensorBoard=_callbacks.TensorBoard,
)
metrics = _Namespace("keras.metrics", **{
    name: getattr(_metrics, name) for name in (
        "Metric", "Mean", "MeanMetricWrapper", "Accuracy", "SparseCategoricalAccuracy",
        "CategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
        "Precision", "Recall", "AUC", "sparse_categorical_accuracy", "categorical_accuracy",
        "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "get",
        "BinaryAccuracy", "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError",
        "binary_accuracy", "mean_squared_error", "mean_absolute_error")})
optimizers = _Namespace(
    "keras.optimizers", Adam=_optimizers.Adam, SGD=_optimizers.SGD,
    RMSprop=_optimizers.RMSprop, Adagrad=_optimizers.Adagrad, Adamax=_optimizers.Adamax,
    AdamW=_optimizers.AdamW, Nadam=_optimizers.Nadam,
    schedules=_Namespace("keras.optimizers.schedules",
                         LearningRateSchedule=_schedules.LearningRateSchedule,
                         ExponentialDecay=_schedules.ExponentialDecay,
                         PiecewiseConstantDecay=_schedules.PiecewiseConstantDecay,
                         CosineDecay=_schedules.CosineDecay))
losses = _Namespace(
    "keras.losses",
    SparseCategoricalCrossentropy=_losses.SparseCategoricalCrossentropy,
    CategoricalCrossentropy=_losses.CategoricalCrossentropy,
    sparse_categorical_crossentropy=_losses.sparse_categorical_crossentropy,
    categorical_crossentropy=_losses.categorical_crossentropy,
    BinaryCrossentropy=_losses.BinaryCrossentropy, MeanSquaredError=_losses.MeanSquaredError,
    MeanAbsoluteError=_losses.MeanAbsoluteError, Huber=_losses.Huber,
    binary_crossentropy=_losses.binary_crossentropy,
    mean_squared_error=_losses.mean_squared_error,
    mean_absolute_error=_losses.mean_absolute_error, huber=_losses.huber,
    Loss=_losses.Loss, get=_losses.get_loss,
)


def plot_model(model, to_file="model.png", **kwargs):
    """keras.utils.plot_model: the network drawn with Graphviz (tinycnn/viz/network.py)."""
    from tinycnn.viz.network import plot_model as plot  # viz loads matplotlib: only now

    return plot(model, to_file, **kwargs)


utils = _Namespace("keras.utils", to_categorical=to_categorical, plot_model=plot_model,
                   load_img=_images.load_img, img_to_array=_images.img_to_array,
                   array_to_img=_images.array_to_img,
                   image_dataset_from_directory=_images.image_dataset_from_directory,
                   set_random_seed=_random.set_random_seed)
regularizers = _Namespace("keras.regularizers", l1=_regularizers.l1, l2=_regularizers.l2,
                          l1_l2=_regularizers.l1_l2, L1=_regularizers.L1, L2=_regularizers.L2,
                          L1L2=_regularizers.L1L2)
# Keras's class names and its snake_case aliases (keras.initializers.he_normal is HeNormal).
initializers = _Namespace("keras.initializers", **_initializers.INITIALIZERS,
                          get=_initializers.get, serialize=_initializers.serialize)


class _Datasets(_Namespace):
    @property
    def fashion_mnist(self):
        return _fashion_mnist()

    @property
    def mnist(self):
        from tinycnn.datasets import mnist  # beside the core: loaded only when asked for

        return mnist


datasets = _Datasets("keras.datasets")

constraints = _Namespace("keras.constraints", **_constraints.CONSTRAINTS,
                         Constraint=_constraints.Constraint, get=_constraints.get,
                         serialize=_constraints.serialize, deserialize=_constraints.deserialize)
activations = _Namespace("keras.activations", **{
    name: getattr(_activation_functions, name) for name in _activation_functions.__all__})

# `from tinycnn.keras.layers import Dense` (as `from tensorflow.keras.layers import Dense`)
# finds these groups as if they were submodules.
for _group in ("layers", "models", "callbacks", "optimizers", "losses", "utils", "datasets",
               "initializers", "backend", "regularizers", "activations", "metrics", "constraints"):
    sys.modules[f"{__name__}.{_group}"] = globals()[_group]
sys.modules[f"{__name__}.optimizers.schedules"] = optimizers.schedules

__version__ = _version  # tinycnn's: print(keras.__version__) says which library this is

__all__ = ["Sequential", "Model", "Input", "layers", "models", "callbacks", "optimizers", "losses",
           "utils", "datasets", "initializers", "backend", "regularizers", "activations",
           "metrics", "constraints"]
