# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A residual network for Fashion-MNIST, with Keras's functional API
#
# The network courses teach after a straight stack of layers: a ResNet. Each block adds its
# input back to what its two convolutions computed, `out = relu(F(x) + x)`, so the block only
# has to learn the correction `F(x)`; the gradient flows back through the `+` unchanged, which
# is what lets such networks go deep. Where a block halves the image and doubles the channels,
# the shortcut is a 1x1 convolution with strides 2 (a "projection"), so the two sides of the
# `+` have the same shape. A block is not a chain, so the model is written with the
# functional API: `keras.Input`, layers called on tensors, `keras.Model(inputs, outputs)`.
#
#     python examples/resnet.py                 # the full run (see "Results" below)
#     python examples/resnet.py --subset 3000 --epochs 1 --out /tmp/resnet   # a quick look
#
# It writes into `outputs/resnet/`: the network drawing, the training history, a Grad-CAM
# picture and the trained model, and prints the test accuracy last.
#
# **Results** (this 2-core machine, `python examples/resnet.py`, 2026-12-02): test accuracy
# 0.9330 (the notebook's CNN: 0.9058 in Keras, 0.9068 in tinycnn here), the epoch chosen on
# validation images (0.9368 at epoch 18); 20 epochs in 1529 s while other jobs shared the
# machine, 51-61 s an epoch alone. A seed repeats a run: a second run's 20 epochs and its
# test accuracy were the first's to every printed digit (tests/test_resnet_example.py repeats
# a quick one).
#
# Why this size: every block at 28x28 would cost 7 million multiply-adds per image and
# convolution, so the stem pools to 14x14 first; three stages (32, 64, 128 channels at 14x14,
# 7x7 and 4x4) keep one epoch under a minute here. A flip-and-shift augmentation (a layer
# written below) lets 20 epochs of a 300,000-parameter network learn without memorising the
# training images, and a cosine learning-rate decay ends the run on small, careful steps.

# %%
import argparse
import sys
import time
from pathlib import Path

import matplotlib
import numpy as np

import tinycnn
from tinycnn import keras
from tinycnn.datasets import fashion_mnist
from tinycnn.keras import layers

if "ipykernel" not in sys.modules:
    matplotlib.use("Agg")  # a script writes its figures to files
from tinycnn import viz  # noqa: E402  (after the backend is chosen)

# %% [markdown]
# The parameters. Run as a script, the command line sets them (`--help` lists them).

# %%
EPOCHS = 20
BATCH_SIZE = 64
SUBSET = None  # None: all 60,000 training and 10,000 test images
SEED = 0
OUT = Path("outputs/resnet")
VALIDATION = 0.1  # the last 10% of the training images choose the epoch; never the test set

if "__file__" in globals() and Path(sys.argv[0]).resolve() == Path(__file__).resolve():
    parser = argparse.ArgumentParser(description="Train a small ResNet on Fashion-MNIST.")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--subset", type=int, default=SUBSET, metavar="N",
                        help="train on the first N training images and test on N/6")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    EPOCHS, BATCH_SIZE, SUBSET, SEED, OUT = (args.epochs, args.batch_size, args.subset,
                                             args.seed, args.out)
OUT.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## The data
# Pixels scaled to [0, 1], a channel axis added: (N, 28, 28, 1).

# %%
(x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
if SUBSET:
    x_train, y_train = x_train[:SUBSET], y_train[:SUBSET]
    x_test, y_test = x_test[:max(SUBSET // 6, 1)], y_test[:max(SUBSET // 6, 1)]
x_train = (x_train / 255.0).astype(np.float32)[..., None]
x_test = (x_test / 255.0).astype(np.float32)[..., None]
print(f"train {x_train.shape}, test {x_test.shape}")


# %% [markdown]
# ## Augmentation, as a layer of our own
# While training, each image is mirrored left-right with probability 1/2 and shifted by up to
# two pixels each way (zeros come in at the edges); at inference the layer passes images
# through. It says it draws random numbers (`draws_random = True`) and draws them from
# `self.random_stream()`: the model's training stream, which `fit` hands every layer (as to
# Dropout), so a seed still fixes the whole run, and the check-up can replay its draws.
# Nothing below it trains, so in training nobody asks it for dL/dx (the engine sets
# `needs_input_grad` to False on the layers that read the model's input); at inference it is
# the identity, and so is its gradient (saliency maps ask for that one).
#
#     x (N, H, W, C) -> out (N, H, W, C)

# %%
class FlipAndShift(tinycnn.layers.Layer):
    draws_random = True

    def __init__(self, shift=2, name=None):
        super().__init__(name=name)
        self.shift = shift

    def compute_output_shape(self, input_shape):
        return input_shape

    def forward(self, x, training=False):
        self._check_input(x)
        self._cache = training
        if not training:
            return x
        n, h, w, _ = x.shape
        rng = self.random_stream()
        flip = rng.random(n) < 0.5
        x = np.where(flip[:, None, None, None], x[:, :, ::-1], x)
        s = self.shift
        padded = np.pad(x, ((0, 0), (s, s), (s, s), (0, 0)))
        dy, dx = rng.integers(0, 2 * s + 1, size=(2, n))
        rows = dy[:, None] + np.arange(h)  # (N, H): the rows each image's window takes
        cols = dx[:, None] + np.arange(w)
        return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]

    def backward(self, dout):
        if not self._cached():
            return dout
        if self.needs_input_grad:
            raise NotImplementedError(f"{self}: no dL/dx through a random flip and shift")
        return None


# %% [markdown]
# ## The network
# A stem (3x3 convolution, BatchNormalization, ReLU, 2x2 max pool), then one residual block
# per stage; the second and third blocks halve the image with strides 2 and widen it, their
# shortcut a 1x1 convolution. A convolution followed by BatchNormalization has no bias:
# BatchNormalization subtracts the mean, so a bias would do nothing (its `beta` is the bias).

# %%
def conv_bn(x, filters, kernel_size=3, strides=1):
    x = layers.Conv2D(filters, kernel_size, strides=strides, padding="same", use_bias=False)(x)
    return layers.BatchNormalization()(x)


def residual_block(x, filters, strides=1):
    """relu(F(x) + shortcut(x)), F = conv-BN-ReLU-conv-BN; the shortcut is x itself when the
    shapes agree, else a 1x1 convolution with the same strides (a projection)."""
    shortcut = x
    if strides != 1 or x.shape[-1] != filters:
        shortcut = conv_bn(x, filters, kernel_size=1, strides=strides)
    y = layers.Activation("relu")(conv_bn(x, filters, strides=strides))
    y = conv_bn(y, filters)
    return layers.Activation("relu")(layers.add([y, shortcut]))


inputs = keras.Input(shape=(28, 28, 1))
x = FlipAndShift()(inputs)
x = layers.Activation("relu")(conv_bn(x, 32))
x = layers.MaxPooling2D(2)(x)                     # 14x14x32
x = residual_block(x, 32)
x = residual_block(x, 64, strides=2)              # 7x7x64
x = residual_block(x, 128, strides=2)             # 4x4x128
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs, name="resnet", seed=SEED)
model.summary()

# %% [markdown]
# ## Training
# Adam with a learning rate that falls from 0.001 to 0 along a half cosine over the whole run.
# The last tenth of the training images is held out; after every epoch the weights are saved
# if their validation accuracy is the best so far, and those weights are the ones tested.

# %%
n_val = int(len(x_train) * VALIDATION)
x_fit, y_fit = x_train[:-n_val], y_train[:-n_val]
x_val, y_val = x_train[-n_val:], y_train[-n_val:]
steps = EPOCHS * -(-len(x_fit) // BATCH_SIZE)
schedule = keras.optimizers.schedules.CosineDecay(0.001, decay_steps=steps)
model.compile(optimizer=keras.optimizers.Adam(schedule),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
best = OUT / "resnet_best.npz"
checkpoint = keras.callbacks.ModelCheckpoint(best, monitor="val_accuracy", save_best_only=True,
                                             save_weights_only=True)
start = time.perf_counter()
history = model.fit(x_fit, y_fit, batch_size=BATCH_SIZE, epochs=EPOCHS, seed=SEED,
                    validation_data=(x_val, y_val), callbacks=[checkpoint], verbose=2)
train_seconds = time.perf_counter() - start
model.load_weights(best)
best_epoch = int(np.argmax(history.history["val_accuracy"])) + 1
print(f"trained in {train_seconds:.0f} s; best validation accuracy "
      f"{max(history.history['val_accuracy']):.4f} at epoch {best_epoch}")
viz.plot_history(history, path=OUT / "history.png")

# %% [markdown]
# ## The test
# Once, with the weights validation chose.

# %%
loss, accuracy = model.evaluate(x_test, y_test, batch_size=500)
print(f"test accuracy {accuracy:.4f} (the notebook's CNN: 0.9058), "
      f"training {train_seconds:.0f} s for {EPOCHS} epochs")

# %% [markdown]
# ## The network drawn, and where it looks
# The drawing shows every branch: each block's shortcut beside its two convolutions. Grad-CAM
# at the last block's output shows which parts of the image raised the predicted class.

# %%
viz.draw_network(model, OUT / "network", title="A small ResNet for Fashion-MNIST")
last_block = model.layers[-3].name  # the ReLU after the last add, 4x4x128
viz.plot_explanations(model, x_test[:6], y_test[:6], fashion_mnist.CLASS_NAMES,
                      layer=last_block, path=OUT / "grad_cam.png")
