"""The loader behind ``fashion_mnist.load_data`` and ``mnist.load_data``: one search and one set
of checks for any data set in MNIST's layout.

MNIST's layout is four IDX files (``FILE_NAMES``): training images uint8 (N, 28, 28) and their
labels (N,), then the test images and labels. An ``IdxDataset`` describes one such data set: its
name, the SHA-256 of each file's decompressed bytes, the environment variable and the cache folder
it uses, where it can be downloaded, and where a Debian package puts it. ``load`` finds it,
proves every file has the expected bytes, and returns the arrays.

Some mirrors serve the four arrays as one NumPy archive instead (Keras's ``mnist.npz``, with
arrays x_train, y_train, x_test, y_test); an ``NpzArchive`` describes it. A folder that lacks
the IDX files but holds the archive is read from the archive; a downloaded archive is checked
and written into the user cache as the four IDX files, so every later load reads IDX.
"""

import hashlib
import io
import os
import warnings
import zipfile
from dataclasses import dataclass
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

FILE_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
# The array in Keras's .npz archives that holds each IDX file's data.
NPZ_KEYS = dict(zip(FILE_NAMES, ("x_train", "y_train", "x_test", "y_test"), strict=True))
DOWNLOAD_TIMEOUT = 30.0  # seconds without data before a mirror is given up
# Warnings point at the caller of load_data: warnings.warn <- this module's helper <- load <-
# _load_data <- load_data <- the caller.
_CALLER = 5


class NpzArchive(NamedTuple):
    """One .npz file holding the four arrays, as a mirror serves it."""

    name: str  # "mnist.npz"
    sha256: str  # of the file's own bytes (as Keras checks it)
    mirrors: tuple = ()  # folders serving "<mirror><name>"


@dataclass(frozen=True)
class IdxDataset:
    """What ``load`` needs to know of a data set in MNIST's layout."""

    name: str  # in messages: "Fashion-MNIST"
    cache_folder: str  # the user cache is $XDG_CACHE_HOME/tinycnn/<cache_folder>
    data_dir_variable: str  # the environment variable naming a folder to search
    sha256: dict  # FILE_NAMES -> SHA-256 of the decompressed IDX bytes
    mirrors: tuple = ()  # folders serving "<mirror><file name>.gz"
    archive: NpzArchive | None = None  # tried before ``mirrors`` when downloading
    system_dir: Path | None = None  # where ``system_package`` installs the files
    system_package: str | None = None


def user_cache_dir(cache_folder):
    """``$XDG_CACHE_HOME/tinycnn/<cache_folder>``, or ``~/.cache/tinycnn/<cache_folder>``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG spec says to ignore a relative path.
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "tinycnn" / cache_folder


class _Place(NamedTuple):
    label: str
    folder: object  # str, PathLike or None (not given)
    kind: str  # "given" (by the caller), "cache" or "system"


def load(dataset, data_dir=None, *, verify=True, download=True, timeout=DOWNLOAD_TIMEOUT,
         progress=True):
    """``(x_train, y_train), (x_test, y_test)`` of ``dataset`` (an ``IdxDataset``).

    Search order, first hit wins: ``data_dir``, the folder in ``$<data_dir_variable>``, the user
    cache, the system folder (if the data set has one), then a download into the user cache
    (the archive's mirrors first, then the IDX mirrors). ``verify`` checks local files against
    the SHA-256s (downloads are always checked); ``download`` allows the download.
    See ``fashion_mnist.load_data`` for the errors raised.
    """
    cache_dir = user_cache_dir(dataset.cache_folder)
    variable = dataset.data_dir_variable
    cache_place = _Place("user cache", cache_dir, "cache")
    places = [
        _Place("load_data(data_dir=...)", data_dir, "given"),
        _Place(f"${variable}", os.environ.get(variable) or None, "given"),
        cache_place,
    ]
    if dataset.system_dir is not None:
        places.append(_Place(f"system copy (Debian package {dataset.system_package})",
                             dataset.system_dir, "system"))
    tried = []  # one line per place or mirror: where, and why it failed
    passed_over = []  # the lines of folders the caller named but that lacked the files
    for place in places:
        data = _try_place(dataset, place, verify, cache_dir, tried)
        if data is None:
            if place.kind == "given" and place.folder is not None:
                passed_over.append(tried[-1])
            continue
        _warn_passed_over(passed_over, f"{place.label} {place.folder}")
        if place.kind == "system" and verify:
            _copy_into_cache(dataset, data, cache_dir)
        return data
    if not download:
        tried.append("download: not attempted (download=False)")
    elif _download_missing(dataset, cache_dir, timeout, progress, tried):
        data = _try_place(dataset, cache_place, verify, cache_dir, tried)
        if data is not None:
            _warn_passed_over(passed_over, "download")
            return data
    raise DatasetNotFoundError(_not_found_message(dataset, tried))


def _try_place(dataset, place, verify, cache_dir, tried):
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
    archive = None
    if missing and dataset.archive is not None and (folder / dataset.archive.name).is_file():
        archive = folder / dataset.archive.name
    if missing and archive is None:
        also = f" or {dataset.archive.name}" if dataset.archive is not None else ""
        tried.append(f"{where}: missing {', '.join(missing)} (plain or .gz){also}")
        return None
    # Stamps go beside the files in folders the user owns, never into a system folder.
    beside = place.kind != "system" and os.access(folder, os.W_OK)
    files = [archive] if missing else list(paths.values())
    stamp_files = {path: _stamps.stamp_path(path, beside=beside, stamp_dir=cache_dir / "stamps")
                   for path in files}
    try:
        if missing:
            return _read_archive(dataset, archive, verify, stamp_files[archive])
        return _read_folder(dataset, paths, verify, stamp_files)
    except DatasetError as err:
        if place.kind != "cache":
            raise
        # The cache is ours: drop what is broken and let a later place fill it again.
        for path, stamp_file in stamp_files.items():
            path.unlink(missing_ok=True)
            stamp_file.unlink(missing_ok=True)
        warnings.warn(f"removed a bad copy of {dataset.name} from the user cache: {err}",
                      stacklevel=_CALLER)
        tried.append(f"{where}: {err} (removed)")
        return None


def _find(folder, name):
    """``folder/name`` or else ``folder/name.gz``, whichever is a file first; None if neither."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _read_folder(dataset, paths, verify, stamp_files):
    """Read and check the four IDX files: ``(x_train, y_train), (x_test, y_test)``."""
    arrays = {}
    for name, path in paths.items():
        sha256 = dataset.sha256[name] if verify else None
        arrays[name] = _read_checked(path, sha256, stamp_files[path], dataset.name)
    return _pair_up(arrays, {name: str(path) for name, path in paths.items()})


def _read_archive(dataset, path, verify, stamp_file):
    """Read and check an .npz archive: ``(x_train, y_train), (x_test, y_test)``."""
    expected = dataset.archive.sha256
    if not verify or _stamps.read_stamp(path, stamp_file) == expected:
        arrays = _read_npz(path, name=path)
    else:
        state = _stamps.file_state(path)  # before reading, as in _read_checked
        arrays = _read_verified_npz(path, expected, dataset.name, name=path)
        _stamps.write_stamp(path, stamp_file, expected, state)
    return _pair_up(arrays, {name: f"{path}[{key}]" for name, key in NPZ_KEYS.items()})


def _read_checked(path, expected, stamp_file, dataset_name, name=None):
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
            f"the file is damaged or is not {dataset_name} "
            f"(to load other IDX files through this loader, pass verify=False)")
    if stamp_file is not None:
        _stamps.write_stamp(path, stamp_file, actual, state)
    return array


def _read_verified_npz(path, expected, dataset_name, name):
    """``_read_npz`` of the file's bytes once their SHA-256 is shown to be ``expected``: the
    bytes hashed are the bytes parsed, and a wrong file is never parsed."""
    data = Path(path).read_bytes()  # an archive of MNIST's size: 11 MB
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ChecksumError(f"{name}: SHA-256 of the file is {actual}, expected {expected}: "
                            f"the file is damaged or is not {dataset_name}'s archive "
                            f"(to load another archive, pass verify=False)")
    return _read_npz(io.BytesIO(data), name=name)


def _read_npz(source, name):
    """The four arrays of an .npz archive (a path or a file object), keyed by FILE_NAMES;
    DataFormatError if it is not one or lacks an array. Pickles are refused (allow_pickle)."""
    try:
        loaded = np.load(source, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise DataFormatError(f"{name}: holds one array, not an .npz archive of "
                                  f"{', '.join(NPZ_KEYS.values())}")
        with loaded:
            absent = [key for key in NPZ_KEYS.values() if key not in loaded.files]
            if absent:
                raise DataFormatError(f"{name}: the archive has no {', '.join(absent)} "
                                      f"(it holds {', '.join(loaded.files) or 'nothing'})")
            return {file_name: loaded[key] for file_name, key in NPZ_KEYS.items()}
    except DatasetError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        # Not a zip file, a damaged member, a pickle refused: all mean "no usable archive".
        raise DataFormatError(f"{name}: not a readable .npz archive ({err})") from err


def _pair_up(arrays, names):
    """((x_train, y_train), (x_test, y_test)) from the four arrays, checked to fit together;
    ``names`` says what error messages call each array's source."""
    splits = []
    for prefix in ("train", "t10k"):
        images_name, labels_name = f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"
        images, labels = arrays[images_name], arrays[labels_name]
        _check_pair(images, labels, names[images_name], names[labels_name])
        splits.append((images, labels))
    return tuple(splits)


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


def _copy_into_cache(dataset, data, cache_dir):
    """Keep an uncompressed copy of verified system files, so the next load skips gzip."""
    (x_train, y_train), (x_test, y_test) = data
    arrays = dict(zip(FILE_NAMES, (x_train, y_train, x_test, y_test), strict=True))
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        for name, array in arrays.items():
            _install(cache_dir, name, array, dataset.sha256[name])
    except OSError as err:
        warnings.warn(f"could not copy {dataset.name} into the user cache ({err}); loading "
                      f"still works but decompresses the system copy every time",
                      stacklevel=_CALLER)


def _download_missing(dataset, cache_dir, timeout, progress, tried):
    """Download into the cache each file it lacks; True when it has all four."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        tried.append(f"download: cannot create the user cache {cache_dir} ({err})")
        return False
    missing = [name for name in FILE_NAMES if _find(cache_dir, name) is None]
    if missing and dataset.archive is not None and _download_archive(
            dataset, missing, cache_dir, timeout, progress, tried):
        return True
    for name in missing:
        if not _download_one(dataset, name, cache_dir, timeout, progress, tried):
            return False
    return True


def _download_one(dataset, name, cache_dir, timeout, progress, tried):
    """Try each mirror until one gives ``name`` with the right SHA-256; install it."""
    if not dataset.mirrors:
        tried.append("download: no mirrors to try")
    sha256 = dataset.sha256[name]
    for mirror in dataset.mirrors:
        url = f"{mirror.rstrip('/')}/{name}.gz"
        try:
            # The .gz lands in a hidden scratch file that is always deleted; only the verified,
            # decompressed array is renamed into the cache.
            with scratch_path(cache_dir, f"{name}.gz") as tmp:
                _download.fetch(url, tmp, timeout=timeout, progress=progress)
                array = _read_checked(tmp, sha256, None, dataset.name, name=url)
            _install(cache_dir, name, array, sha256)
            return True
        except (DownloadError, ChecksumError, DataFormatError) as err:
            tried.append(f"download {err}")  # these messages start with the URL
        except OSError as err:  # the cache itself: no space left, permissions
            tried.append(f"download {url}: {err}")
    return False


def _download_archive(dataset, missing, cache_dir, timeout, progress, tried):
    """Try each of the archive's mirrors until one gives an archive whose file and arrays have
    the right SHA-256s; install the ``missing`` arrays as IDX files. True on success."""
    archive = dataset.archive
    for mirror in archive.mirrors:
        url = f"{mirror.rstrip('/')}/{archive.name}"
        try:
            with scratch_path(cache_dir, archive.name) as tmp:
                _download.fetch(url, tmp, timeout=timeout, progress=progress)
                arrays = _read_verified_npz(tmp, archive.sha256, dataset.name, name=url)
            # The archive is the right file; its arrays must also be the IDX files' data, or
            # the cache would hold copies that fail their own check on the next load.
            for name in missing:
                actual = hashlib.sha256(idx.encode_idx(arrays[name])).hexdigest()
                if actual != dataset.sha256[name]:
                    raise ChecksumError(
                        f"{url}: array {NPZ_KEYS[name]} is not {dataset.name}'s {name} "
                        f"(SHA-256 of its IDX bytes is {actual}, expected "
                        f"{dataset.sha256[name]})")
            for name in missing:
                _install(cache_dir, name, arrays[name], dataset.sha256[name])
            return True
        except (DownloadError, ChecksumError, DataFormatError) as err:
            tried.append(f"download {err}")  # these messages start with the URL
        except OSError as err:
            tried.append(f"download {url}: {err}")
    return False


def _warn_passed_over(passed_over, used):
    """Say so when a folder the caller named lacked the files and a later place was used."""
    for line in passed_over:
        warnings.warn(f"{line}; using the {used} instead", stacklevel=_CALLER)


def _not_found_message(dataset, tried):
    numbered = [f"  {number}. {line}" for number, line in enumerate(tried, start=1)]
    holding = f"{', '.join(FILE_NAMES)} (each plain or .gz)"
    if dataset.archive is not None:
        holding += f", or {dataset.archive.name}"
    fixes = [f"  - pass load_data(data_dir='/path/to/folder') or set "
             f"{dataset.data_dir_variable} to a folder holding {holding};"]
    if dataset.system_package is not None:
        fixes.append(f"  - install the Debian/Ubuntu package: sudo apt-get install "
                     f"{dataset.system_package};")
    urls = list(dataset.mirrors)
    if dataset.archive is not None:
        urls = [f"{mirror}{dataset.archive.name}" for mirror in dataset.archive.mirrors] + urls
    fixes.append("  - allow the download: load_data(download=True) on a machine that can reach "
                 f"{' or '.join(urls) or 'a mirror'} (proxies: HTTPS_PROXY, HTTP_PROXY).")
    return "\n".join([
        f"{dataset.name} was not found. Places tried, in order:",
        *numbered,
        f"Fix it in one of {'three' if len(fixes) == 3 else 'two'} ways:",
        *fixes,
    ])
