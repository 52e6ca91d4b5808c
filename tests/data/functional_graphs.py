"""Functional-API models written for Keras, run unchanged on real Keras (make_functional_parity.py)
and on tinycnn.keras (test_functional_parity.py): each function takes the ``keras`` module it
builds with. Small shapes, so that the reference stays a small file."""


def residual(keras):
    """A residual block with BatchNormalization and a projection shortcut (1x1 conv, strides 2).
    A conv followed by BatchNormalization has no bias, as in ResNets: its gradient would be
    zero up to rounding, which Adam blows up to steps of the learning rate's size."""
    layers = keras.layers
    inputs = keras.Input(shape=(6, 6, 2))
    x = layers.Conv2D(3, 3, strides=2, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    x = layers.Conv2D(3, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    shortcut = layers.Conv2D(3, 1, strides=2)(inputs)
    x = layers.Activation("relu")(layers.add([x, shortcut]))
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(x))


def branches(keras):
    """Three branches joined by Concatenate, an inception block."""
    layers = keras.layers
    inputs = keras.Input(shape=(5, 5, 2))
    a = layers.Conv2D(2, 1, activation="relu")(inputs)
    b = layers.Conv2D(3, 3, padding="same", activation="relu")(inputs)
    c = layers.MaxPooling2D(3, strides=1, padding="same")(inputs)
    x = layers.Flatten()(layers.Concatenate()([a, b, c]))
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(x))


def shared(keras):
    """One layer object called twice, and one tensor feeding three layers."""
    layers = keras.layers
    inputs = keras.Input(shape=(4, 4, 1))
    h = layers.Dense(5)(layers.Flatten()(inputs))
    twice = layers.Dense(5, activation="tanh")
    a = twice(h)
    b = twice(layers.Activation("relu")(h))
    c = layers.Dense(5, activation="relu")(h)
    x = layers.Add()([a, b, c])
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(x))


def nested(keras):
    """A Sequential used as a layer of a graph model, beside a skip connection."""
    layers = keras.layers
    inner = keras.Sequential([keras.Input(shape=(5, 5, 2)),
                              layers.Conv2D(2, 3, padding="same", activation="relu"),
                              layers.BatchNormalization()])
    inputs = keras.Input(shape=(5, 5, 2))
    x = layers.Subtract()([inner(inputs), inputs])
    x = layers.GlobalMaxPooling2D()(x)
    return keras.Model(inputs, layers.Dense(3, activation="softmax")(x))


GRAPHS = {"residual": residual, "branches": branches, "shared": shared, "nested": nested}
