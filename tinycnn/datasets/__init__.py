"""Datasets as NumPy arrays, loaded from local files or official mirrors and always verified.

- ``tinycnn.datasets.fashion_mnist``: ``load_data()``, ``CLASS_NAMES``, ``normalize_images``,
  ``class_counts``; where the files come from is in its docstring and in docs/guides/data.md.
- ``tinycnn.datasets.mnist``: ``load_data()`` for the MNIST digits, through the same loader
  (``_loader.py``: search order, checksums, cache, download), from IDX files or Keras's mnist.npz.
- ``tinycnn.datasets.idx``: a reader and writer for IDX files (MNIST's format), plain or gzip.
- ``tinycnn.datasets.errors``: ``DatasetError`` and its subclasses.

This package stands beside the training core: it returns arrays, and its own modules import
neither Numba nor matplotlib (pandas and tqdm only inside the functions that need them), so it
can be lifted out on its own. (``import tinycnn`` itself does load the training core.)
"""

from . import fashion_mnist, idx, mnist
from .errors import (
    ChecksumError,
    DataFormatError,
    DatasetError,
    DatasetNotFoundError,
    DownloadError,
)

__all__ = [
    "ChecksumError",
    "DataFormatError",
    "DatasetError",
    "DatasetNotFoundError",
    "DownloadError",
    "fashion_mnist",
    "mnist",
    "idx",
]
