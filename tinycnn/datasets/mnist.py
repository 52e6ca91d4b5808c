"""MNIST: 70,000 grey 28x28 pictures of handwritten digits 0-9 (LeCun, Cortes and Burges).

    >>> from tinycnn.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()
    >>> x_train.shape, x_train.dtype, y_train.shape, x_test.shape
    ((60000, 28, 28), dtype('uint8'), (60000,), (10000, 28, 28))

The same loader as ``fashion_mnist`` (``_loader.py``: the same search, checks, stamps, cache and
download), described for MNIST. ``load_data`` looks in this order, first hit wins:

1. the ``data_dir`` argument, then the environment variable ``TINYCNN_MNIST_DIR``: a folder
   holding the four IDX files (each plain or .gz), or else Keras's ``mnist.npz`` (so
   ``load_data("~/.keras/datasets")`` reads the copy Keras downloaded);
2. the user cache, ``$XDG_CACHE_HOME/tinycnn/mnist`` (default ``~/.cache/tinycnn/mnist``);
3. a download into the user cache: ``mnist.npz`` from the mirror Keras downloads it from, and if
   that fails, the four .gz files from the mirror torchvision uses.

No system copy: Debian packages Fashion-MNIST (``dataset-fashion-mnist``) but not the digits.
MNIST has its own variable, not Fashion-MNIST's ``TINYCNN_DATA_DIR``: both data sets use the
same four file names, so one folder cannot hold both.

Every IDX file is checked against the SHA-256 of its decompressed bytes, and ``mnist.npz``
against the SHA-256 Keras checks it with; a downloaded archive's arrays must also match the IDX
checksums before they are written to the cache (as plain IDX files).
"""

import dataclasses

from . import _loader

# SHA-256 of each decompressed IDX file (LeCun's files; torchvision's mirror serves them as
# .gz files with the MD5s torchvision checks).
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
FILE_NAMES = _loader.FILE_NAMES

# What keras.datasets.mnist.load_data downloads, and the SHA-256 it checks the file with.
ARCHIVE = _loader.NpzArchive(
    name="mnist.npz",
    sha256="731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
    mirrors=("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",),
)
# torchvision's mirror of LeCun's .gz files (yann.lecun.com itself now answers 403).
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",)
DATA_DIR_VARIABLE = "TINYCNN_MNIST_DIR"
DOWNLOAD_TIMEOUT = _loader.DOWNLOAD_TIMEOUT

MNIST = _loader.IdxDataset(
    name="MNIST", cache_folder="mnist", data_dir_variable=DATA_DIR_VARIABLE, sha256=SHA256,
    mirrors=MIRRORS, archive=ARCHIVE)


def load_data(data_dir=None, *, verify=True, download=True):
    """Load MNIST as ``keras.datasets.mnist.load_data()`` does: ``(x_train, y_train),
    (x_test, y_test)``.

    Parameters
    ----------
    data_dir : str or os.PathLike, optional
        A folder holding train-images-idx3-ubyte, train-labels-idx1-ubyte,
        t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each plain or ``.gz``), or
        ``mnist.npz``. Searched first; then ``$TINYCNN_MNIST_DIR``, the user cache, the mirrors.
    verify : bool
        Check each file against MNIST's SHA-256 (once; a stamp remembers the result). Pass
        ``verify=False`` to load other files in the same layout; downloads are always verified.
    download : bool
        Allow the download from ``ARCHIVE.mirrors`` and ``MIRRORS`` when no folder has the data.

    Returns
    -------
    (x_train, y_train), (x_test, y_test) :
        x_train uint8 (60000, 28, 28) with pixels 0..255, y_train uint8 (60000,) with the digits
        0..9; x_test uint8 (10000, 28, 28), y_test uint8 (10000,).

    Raises
    ------
    DatasetNotFoundError, ChecksumError, DataFormatError
        As ``fashion_mnist.load_data``: not found anywhere (the message lists every place
        tried), or a file that is damaged or not MNIST (the message names it).
    """
    return _load_data(data_dir, verify=verify, download=download)


def user_cache_dir():
    """``$XDG_CACHE_HOME/tinycnn/mnist``, or ``~/.cache/tinycnn/mnist``."""
    return _loader.user_cache_dir(MNIST.cache_folder)


def _load_data(data_dir=None, *, verify=True, download=True, mirrors=MIRRORS, archive=ARCHIVE,
               sha256=SHA256, timeout=DOWNLOAD_TIMEOUT, progress=True):
    """``load_data`` with its constants as arguments, so tests can point them elsewhere."""
    dataset = dataclasses.replace(MNIST, mirrors=tuple(mirrors), archive=archive, sha256=sha256)
    return _loader.load(dataset, data_dir, verify=verify, download=download, timeout=timeout,
                        progress=progress)
