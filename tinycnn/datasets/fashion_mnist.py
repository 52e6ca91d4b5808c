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

Two helpers turn the arrays into what a model and a notebook want: ``normalize_images`` (uint8
(N, 28, 28) -> float32 (N, 28, 28, 1) in [0, 1]) and ``class_counts`` (a pandas table).
"""

import os
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import _download, _stamps, idx
from ._atomic import atomic_path, scratch_path
from .errors import (
    ChecksumError,
    DataFormatError,
    DatasetError,
    DatasetNotFoundError,
    DownloadError,
)

CLASS_NAMES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]

# SHA-256 of each decompressed IDX file (the same bytes on every mirror and in Debian).
SHA256 = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
FILE_NAMES = tuple(SHA256)

# The mirrors Keras and torchvision download from; each serves "<mirror><file name>.gz".
MIRRORS = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
    "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
)
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
DATA_DIR_VARIABLE = "TINYCNN_DATA_DIR"
DOWNLOAD_TIMEOUT = 30.0  # seconds without data before a mirror is given up


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
        Pass ``verify=False`` to load your own IDX files through the same reader, for example
        the MNIST digits: ``load_data("~/mnist", verify=False)``. The IDX structure is still
        checked, but the contents are not, and unverified files are never copied to the cache.
        Downloads are always verified.
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
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says to ignore a relative path.
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "tinycnn" / "fashion-mnist"


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


class _Place(NamedTuple):
    label: str
    folder: object  # str, PathLike or None (not given)
    kind: str  # "given" (by the caller), "cache" or "system"


def _load_data(data_dir=None, *, verify=True, download=True, system_dir=SYSTEM_DIR,
               mirrors=MIRRORS, sha256=SHA256, timeout=DOWNLOAD_TIMEOUT, progress=True):
    """``load_data`` with its constants as arguments, so tests can point them elsewhere."""
    cache_dir = user_cache_dir()
    expected = sha256 if verify else None
    cache_place = _Place("user cache", cache_dir, "cache")
    places = [
        _Place("load_data(data_dir=...)", data_dir, "given"),
        _Place(f"${DATA_DIR_VARIABLE}", os.environ.get(DATA_DIR_VARIABLE) or None, "given"),
        cache_place,
        _Place("system copy (Debian package dataset-fashion-mnist)", system_dir, "system"),
    ]
    tried = []  # one line per place or mirror: where, and why it failed
    passed_over = []  # the lines of folders the caller named but that lacked the files
    for place in places:
        data = _try_place(place, expected, cache_dir, tried)
        if data is None:
            if place.kind == "given" and place.folder is not None:
                passed_over.append(tried[-1])
            continue
        _warn_passed_over(passed_over, f"{place.label} {place.folder}")
        if place.kind == "system" and verify:
            _copy_into_cache(data, cache_dir, sha256)
        return data
    if not download:
        tried.append("download: not attempted (download=False)")
    elif _download_missing(cache_dir, mirrors, sha256, timeout, progress, tried):
        data = _try_place(cache_place, expected, cache_dir, tried)
        if data is not None:
            _warn_passed_over(passed_over, "download")
            return data
    raise DatasetNotFoundError(_not_found_message(tried, mirrors))


def _try_place(place, expected, cache_dir, tried):
    """The four arrays from one place, or None (with a line in ``tried``) if it lacks them."""
    if place.folder is None:
        tried.append(f"{place.label}: not given")
        return None
    folder = Path(place.folder).expanduser()
    where = f"{place.label} {folder}"
    if not folder.is_dir():
        tried.append(f"{where}: no such folder")
        return None
    paths = {name: _find(folder, name) for name in FILE_NAMES}
    missing = [name for name, path in paths.items() if path is None]
    if missing:
        tried.append(f"{where}: missing {', '.join(missing)} (plain or .gz)")
        return None
    # Stamps go beside the files in folders the user owns, never into a system folder.
    beside = place.kind != "system" and os.access(folder, os.W_OK)
    stamp_files = {name: _stamps.stamp_path(path, beside=beside, stamp_dir=cache_dir / "stamps")
                   for name, path in paths.items()}
    try:
        return _read_folder(paths, expected, stamp_files)
    except DatasetError as err:
        if place.kind != "cache":
            raise
        # The cache is ours: drop what is broken and let a later place fill it again.
        for name, path in paths.items():
            path.unlink(missing_ok=True)
            stamp_files[name].unlink(missing_ok=True)
        warnings.warn(f"removed a bad copy of Fashion-MNIST from the user cache: {err}",
                      stacklevel=4)
        tried.append(f"{where}: {err} (removed)")
        return None


def _find(folder, name):
    """``folder/name`` or else ``folder/name.gz``, whichever is a file first; None if neither."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _read_folder(paths, expected, stamp_files):
    """Read and check the four files: ``(x_train, y_train), (x_test, y_test)``."""
    arrays = {}
    for name, path in paths.items():
        sha256 = None if expected is None else expected[name]
        arrays[name] = _read_checked(path, sha256, stamp_files[name])
    splits = []
    for prefix in ("train", "t10k"):
        images_name, labels_name = f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
        images, labels = arrays[images_name], arrays[labels_name]
        _check_pair(images, labels, paths[images_name], paths[labels_name])
        splits.append((images, labels))
    return tuple(splits)


def _read_checked(path, expected, stamp_file, name=None):
    """Read one IDX file; if ``expected`` is a SHA-256, prove the file's bytes have it.

    ``name`` is what error messages call the file (default: its path).
    """
    name = path if name is None else name
    if expected is None:
        return idx.read_idx(path, name=name)
    if stamp_file is not None and _stamps.read_stamp(path, stamp_file) == expected:
        return idx.read_idx(path, name=name)
    state = _stamps.file_state(path)  # before reading: an edit during the read voids the stamp
    array, actual = idx.read_idx_and_sha256(path, name=name)
    if actual != expected:
        raise ChecksumError(
            f"{name}: SHA-256 of the decompressed IDX bytes is {actual}, expected {expected}: "
            f"the file is damaged or is not Fashion-MNIST "
            f"(to load other IDX files, such as MNIST digits, pass verify=False)")
    if stamp_file is not None:
        _stamps.write_stamp(path, stamp_file, actual, state)
    return array


def _check_pair(images, labels, images_path, labels_path):
    if images.ndim != 3:
        raise DataFormatError(f"{images_path}: expected images (N, H, W), got {images.shape}")
    if labels.ndim != 1:
        raise DataFormatError(f"{labels_path}: expected labels (N,), got {labels.shape}")
    if len(images) != len(labels):
        raise DataFormatError(f"{images_path} holds {len(images)} images but {labels_path} "
                              f"holds {len(labels)} labels")


def _install(cache_dir, name, array, sha256):
    """Write a verified array into the cache as plain IDX, atomically, with its stamp."""
    destination = cache_dir / name
    with atomic_path(destination) as tmp:
        idx.write_idx(tmp, array, compress=False)
    stamp_file = _stamps.stamp_path(destination, beside=True, stamp_dir=None)
    _stamps.write_stamp(destination, stamp_file, sha256, _stamps.file_state(destination))


def _copy_into_cache(data, cache_dir, sha256):
    """Keep an uncompressed copy of verified system files, so the next load skips gzip."""
    (x_train, y_train), (x_test, y_test) = data
    arrays = dict(zip(FILE_NAMES, (x_train, y_train, x_test, y_test), strict=True))
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for name, array in arrays.items():
            _install(cache_dir, name, array, sha256[name])
    except OSError as err:
        warnings.warn(f"could not copy Fashion-MNIST into the user cache ({err}); loading "
                      f"still works but decompresses the system copy every time", stacklevel=4)


def _download_missing(cache_dir, mirrors, sha256, timeout, progress, tried):
    """Download into the cache each file it lacks; True when it has all four."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        tried.append(f"download: cannot create the user cache {cache_dir} ({err})")
        return False
    for name in FILE_NAMES:
        if _find(cache_dir, name) is None and not _download_one(
                name, cache_dir, mirrors, sha256[name], timeout, progress, tried):
            return False
    return True


def _download_one(name, cache_dir, mirrors, sha256, timeout, progress, tried):
    """Try each mirror until one gives ``name`` with the right SHA-256; install it."""
    if not mirrors:
        tried.append("download: no mirrors to try")
    for mirror in mirrors:
        url = f"{mirror.rstrip('/')}/{name}.gz"
        try:
            # The .gz lands in a hidden scratch file that is always deleted; only the verified,
            # decompressed array is renamed into the cache.
            with scratch_path(cache_dir, f"{name}.gz") as tmp:
                _download.fetch(url, tmp, timeout=timeout, progress=progress)
                array = _read_checked(tmp, sha256, stamp_file=None, name=url)
            _install(cache_dir, name, array, sha256)
            return True
        except (DownloadError, ChecksumError, DataFormatError) as err:
            tried.append(f"download {err}")  # these messages start with the URL
        except OSError as err:  # the cache itself: no space left, permissions
            tried.append(f"download {url}: {err}")
    return False


def _warn_passed_over(passed_over, used):
    """Say so when a folder the caller named lacked the files and a later place was used."""
    for line in passed_over:
        warnings.warn(f"{line}; using the {used} instead", stacklevel=4)


def _not_found_message(tried, mirrors):
    numbered = [f"  {number}. {line}" for number, line in enumerate(tried, start=1)]
    return "\n".join([
        "Fashion-MNIST was not found. Places tried, in order:",
        *numbered,
        "Fix it in one of three ways:",
        f"  - pass load_data(data_dir='/path/to/folder') or set {DATA_DIR_VARIABLE} to a folder "
        f"holding {', '.join(FILE_NAMES)} (each plain or .gz);",
        "  - install the Debian/Ubuntu package: sudo apt-get install dataset-fashion-mnist;",
        "  - allow the download: load_data(download=True) on a machine that can reach "
        f"{' or '.join(mirrors) or 'a mirror'} (proxies: HTTPS_PROXY, HTTP_PROXY).",
    ])
