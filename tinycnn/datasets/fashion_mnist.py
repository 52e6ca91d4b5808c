"""Fashion-MNIST: 70,000 grey 28x28 pictures of clothing in 10 classes (Zalando Research, 2017).

    >>> from tinycnn.datasets import fashion_mnist
    >>> (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    >>> x_train.shape, x_train.dtype, y_train.shape, x_test.shape
    ((60000, 28, 28), dtype('uint8'), (60000,), (10000, 28, 28))
    >>> fashion_mnist.CLASS_NAMES[y_train[0]]
    'Ankle boot'

``load_data`` looks for the four IDX files (plain or .gz) in this order, first hit wins:

1. the ``data_dir`` argument, then the environment variable ``TINYCNN_DATA_DIR``;
2. the user cache, ``$XDG_CACHE_HOME/tinycnn/fashion-mnist`` (default ``~/.cache/...``);
3. the system copy that Debian's package ``dataset-fashion-mnist`` installs in
   ``/usr/share/datasets/fashion-mnist`` (copied, uncompressed, into the user cache so the next
   load is fast);
4. a download from the official mirrors into the user cache.

Every file is checked against the SHA-256 of its decompressed bytes (Debian recompressed the
.gz files, so the .gz checksums differ from upstream; the IDX bytes inside are identical).
A stamp remembers each check, so a warm load reads ~55 MB and hashes nothing.
The search, the checks, the cache and the download are ``_loader.py``'s, shared with
``tinycnn.datasets.mnist``; this module describes Fashion-MNIST to it.

Two helpers turn the arrays into what a model and a notebook want: ``normalize_images`` (uint8
(N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1]) and ``class_counts`` (a pandas table).
"""

import dataclasses
from pathlib import Path

import numpy as np

from . import _loader

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

# SHA-256 of each decompressed IDX file (the same bytes on every mirror and in Debian).
SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
FILE_NAMES = _loader.FILE_NAMES

# The mirrors Keras and torchvision download from; each serves "<mirror><file name>.gz".
MIRRORS = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
)
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
DATA_DIR_VARIABLE = "TINYCNN_DATA_DIR"
DOWNLOAD_TIMEOUT = _loader.DOWNLOAD_TIMEOUT

FASHION_MNIST = _loader.IdxDataset(
    name="Fashion-MNIST", cache_folder="fashion-mnist", data_dir_variable=DATA_DIR_VARIABLE,
    sha256=SHA256, mirrors=MIRRORS, system_dir=SYSTEM_DIR,
    system_package="dataset-fashion-mnist")


def load_data(data_dir=None, *, verify=True, download=True):
    """Load Fashion-MNIST as Keras does: ``(x_train, y_train), (x_test, y_test)``.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        A folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte,
        t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each plain or ``.gz``. Searched
        first; then ``$TINYCNN_DATA_DIR``, the user cache, the system copy, the mirrors.
    verify : bool
        Check each file's decompressed bytes against Fashion-MNIST's SHA-256 (once; a stamp
        beside the file, or in the user cache for read-only folders, remembers the result).
        Pass ``verify=False`` to load your own IDX files in the same layout through the same
        reader (the MNIST digits have their own loader, ``tinycnn.datasets.mnist``). The IDX
        structure is still checked, but the contents are not, and unverified files are never
        copied to the cache. Downloads are always verified.
    download : bool
        Allow the download from ``MIRRORS`` when no folder has the files.

    Returns
    -------
    (x_train, y_train), (x_test, y_test) :
        x_train uint8 (60000, 28, 28), y_train uint8 (60000,) with class ids 0..9 (see
        ``CLASS_NAMES``); x_test uint8 (10000, 28, 28), y_test uint8 (10000,).

    Raises
    ------
    DatasetNotFoundError (a FileNotFoundError)
        No place had all four files and no download succeeded; the message lists every place
        tried, why it failed, and how to fix it.
    ChecksumError, DataFormatError (ValueErrors)
        A folder holds the four files but one is corrupt, truncated or not Fashion-MNIST, or
        images and labels differ in length. The message names the file. We raise rather than
        quietly use the next place, except for a bad file in the user cache, which is deleted
        (with a warning) and fetched again.
    """
    return _load_data(data_dir, verify=verify, download=download)


def user_cache_dir():
    """``$XDG_CACHE_HOME/tinycnn/fashion-mnist``, or ``~/.cache/tinycnn/fashion-mnist``."""
    return _loader.user_cache_dir(FASHION_MNIST.cache_folder)


def normalize_images(images):
    """uint8 images (N, H, W) -> float32 (N, H, W, 1) in [0, 1], channels-last for Conv2D."""
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(f"expected uint8 images (N, H, W), got {images.dtype} {images.shape}")
    scaled = images.astype(np.float32)
    scaled /= 255
    return scaled[..., np.newaxis]


def class_counts(y_train, y_test):
    """The number of images of each class in each split, as a pandas DataFrame.

    y_train, y_test : integer labels (N,) in 0..9.
    Returns one row per class, in class-id order, index ``CLASS_NAMES`` (named "class"), int64
    columns "train", "test" and "total"; ``table.sum()`` gives the size of each split.
    """
    import pandas as pd  # imported here: pandas is slow to import and only this needs it

    counts = {}
    for split, labels in (("train", y_train), ("test", y_test)):
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.dtype.kind not in "iu":
            raise ValueError(f"y_{split}: expected integer labels (N,), got "
                             f"{labels.dtype} {labels.shape}")
        if labels.size and (labels.min() < 0 or labels.max() >= len(CLASS_NAMES)):
            raise ValueError(f"y_{split}: labels must lie in 0..{len(CLASS_NAMES) - 1}")
        counts[split] = np.bincount(labels, minlength=len(CLASS_NAMES)).astype(np.int64)
    table = pd.DataFrame(counts, index=pd.Index(CLASS_NAMES, name="class"))
    table["total"] = table["train"] + table["test"]
    return table


def _load_data(data_dir=None, *, verify=True, download=True, system_dir=SYSTEM_DIR,
               mirrors=MIRRORS, sha256=SHA256, timeout=DOWNLOAD_TIMEOUT, progress=True):
    """``load_data`` with its constants as arguments, so tests can point them elsewhere."""
    dataset = dataclasses.replace(FASHION_MNIST, system_dir=system_dir, mirrors=tuple(mirrors),
                                  sha256=sha256)
    return _loader.load(dataset, data_dir, verify=verify, download=download, timeout=timeout,
                        progress=progress)
