"""Read and write IDX files, the format of MNIST and Fashion-MNIST, plain or gzip-compressed.

An IDX file is a 4-byte magic number, then one big-endian uint32 per dimension, then the
elements in C order, big-endian:

    magic = 0x00 0x00 TT DD     TT: element type (0x08 uint8 ... 0x0E float64, see _DTYPES)
                                DD: number of dimensions, D
    dims  = D x uint32          e.g. (60000, 28, 28) for Fashion-MNIST's training images
    data  = prod(dims) elements of type TT

So the header alone says how long the file must be: 4 + 4*D + prod(dims)*itemsize bytes. The
reader checks that, byte for byte, and names the file and the problem when it does not hold.
A gzip file is recognised by its own magic bytes (1f 8b), not by its name.

A hostile or broken file costs no more memory than an honest one: the reader refuses a header
that promises more than the file could hold, lets its buffer grow only as data arrives, and
after the data reads at most a few KB more to see whether the file goes on (a small .gz can
inflate to gigabytes of trailing zeros), never the rest.

    >>> images = read_idx("train-images-idx3-ubyte.gz")     # uint8 (60000, 28, 28)
"""

import gzip
import hashlib
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from .errors import DataFormatError

# IDX type code -> element type as stored in the file (big-endian).
_DTYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"
# Deflate cannot expand data by more than about 1032:1, so a gzip file of n bytes cannot hold
# more than this many times n bytes; a header promising more is corrupt, and we say so before
# allocating memory for it.
_MAX_GZIP_RATIO = 1032
# After the data we read at most this many bytes more: enough to say how many bytes too many a
# slightly wrong header leaves over, and never the gigabytes a small gzip can inflate to.
_TAIL_BYTES = 4096
# A gzip's payload buffer starts at this size (1 MiB) and doubles as data arrives.
_FIRST_BUFFER_BYTES = 1 << 20


def read_idx(path, *, name=None):
    """Read an IDX file (plain or gzip) into an array.

    Parameters
    ----------
    path : str or os.PathLike
    name : str, optional
        What error messages call the file (say, the URL it came from); default its path.

    Returns
    -------
    array : np.ndarray, shape ``dims`` from the header, dtype from the header in native byte
        order (uint8 for MNIST and Fashion-MNIST: images (N, 28, 28), labels (N,)).

    Raises
    ------
    DataFormatError
        If the file is not well-formed IDX data (see ``tinycnn.datasets.errors``).
    OSError
        If the file cannot be opened (``FileNotFoundError``, ``PermissionError``).
    """
    return _read(Path(path), name, digest=None)


def read_idx_and_sha256(path, *, name=None):
    """Read an IDX file like ``read_idx`` and hash its decompressed bytes in the same pass.

    Returns
    -------
    array : np.ndarray, as from ``read_idx``.
    sha256 : str, hex SHA-256 of the IDX bytes (header and data) after decompression, so the
        same for a file and its gzip, whatever compressor made the gzip.
    """
    digest = hashlib.sha256()
    array = _read(Path(path), name, digest=digest)
    return array, digest.hexdigest()


def write_idx(path, array, *, compress=None):
    """Write an array as an IDX file.

    Parameters
    ----------
    path : str or os.PathLike
    array : array-like of dtype uint8, int8, int16, int32, float32 or float64, any shape with
        at least one dimension.
    compress : bool or None; None compresses when the name ends in ``.gz``.
    """
    path = Path(path)
    array = np.asarray(array)
    data = encode_idx(array)
    if compress is None:
        compress = path.name.endswith(".gz")
    if compress:
        # mtime=0 keeps the .gz bytes reproducible.
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)


def encode_idx(array):
    """The IDX bytes (header and data) of an array; see ``write_idx`` for the dtypes allowed."""
    array = np.asarray(array)
    codes = {dtype.newbyteorder("="): code for code, dtype in _DTYPES.items()}
    code = codes.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(f"IDX cannot store dtype {array.dtype}; use one of "
                        f"{sorted(str(d.newbyteorder('=')) for d in _DTYPES.values())}")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"IDX needs 1 to 255 dimensions, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(_DTYPES[code], copy=False).tobytes()


def _read(path, name, digest):
    name = path if name is None else name
    with open(path, "rb") as raw:
        compressed = raw.read(2) == _GZIP_MAGIC
        raw.seek(0)
        file_size = os.fstat(raw.fileno()).st_size
        if not compressed:
            return _parse(raw, name, digest, file_size, compressed=False)
        try:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                return _parse(stream, name, digest, file_size, compressed=True)
        except (OSError, EOFError, zlib.error) as err:
            # gzip reports a bad header as OSError, a cut-off stream as EOFError and garbled
            # deflate data as zlib.error; to the caller all three mean "this .gz is broken".
            raise DataFormatError(f"{name}: corrupt or truncated gzip data ({err})") from err


def _parse(stream, name, digest, file_size, compressed):
    """Parse one IDX stream; ``file_size`` (on disk) bounds what the header may claim."""
    magic = stream.read(4)
    if len(magic) < 4:
        raise DataFormatError(f"{name}: {len(magic)} bytes long, too short for an IDX header")
    type_code, ndim = magic[2], magic[3]
    if magic[:2] != b"\x00\x00" or type_code not in _DTYPES or ndim == 0:
        raise DataFormatError(
            f"{name}: not an IDX file: magic number 0x{magic.hex()}, expected 0x0000TTDD with "
            f"TT an element type in {[f'{c:02x}' for c in _DTYPES]} and DD >= 1 dimensions")
    dims_bytes = stream.read(4 * ndim)
    if len(dims_bytes) < 4 * ndim:
        raise DataFormatError(f"{name}: truncated header: the magic number announces {ndim} "
                              f"dimensions but the file ends inside them")
    dims = struct.unpack(f">{ndim}I", dims_bytes)
    dtype = _DTYPES[type_code]
    data_bytes = math.prod(dims) * dtype.itemsize
    promise = f"the header promises {dims} values of {dtype.name} ({data_bytes} data bytes)"
    # Check the claim against the file size before allocating memory for it.
    if not compressed and 4 + 4 * ndim + data_bytes > file_size:
        raise DataFormatError(f"{name}: truncated: {promise} "
                              f"but only {file_size - 4 - 4 * ndim} follow")
    if compressed and data_bytes > file_size * _MAX_GZIP_RATIO:
        raise DataFormatError(f"{name}: corrupt header: {promise}, more than a "
                              f"{file_size}-byte gzip file can hold")
    payload, received = _read_payload(stream, data_bytes, proven=0 if compressed else data_bytes)
    if received < data_bytes:
        raise DataFormatError(f"{name}: truncated: {promise} but only {received} follow")
    tail = stream.read(_TAIL_BYTES + 1)
    if tail:
        extra = f"more than {_TAIL_BYTES}" if len(tail) > _TAIL_BYTES else f"{len(tail)}"
        raise DataFormatError(f"{name}: {extra} unexpected bytes after the data: {promise} "
                              f"(wrong count or dimensions in the header?)")
    if digest is not None:
        digest.update(magic)
        digest.update(dims_bytes)
        digest.update(payload)
    array = np.frombuffer(payload, dtype=dtype).reshape(dims)
    if dtype.itemsize > 1:
        array = array.astype(dtype.newbyteorder("="))
    return array


def _read_payload(stream, data_bytes, *, proven):
    """Read ``data_bytes`` bytes from ``stream``, or fewer if it ends first.

    ``proven`` is how many of them are known to be there (all of a plain file's, whose size was
    checked against the header; none of a gzip's). The buffer starts at that size (at least
    1 MiB) and doubles as the data arrives, never beyond ``data_bytes``: a gzip header may
    promise up to 1032 times the file's size, and a header that lies must not cost all that
    memory before the first byte is read.

    Returns ``(payload, received)``: a bytearray, the data in its first ``received`` bytes.
    """
    payload = bytearray(min(data_bytes, max(proven, _FIRST_BUFFER_BYTES)))
    received = 0
    while received < data_bytes:
        if received == len(payload):
            payload.extend(bytes(min(len(payload), data_bytes - len(payload))))
        # A gzip stream fills at most one decompressed chunk per call, so loop; the view must be
        # released before the buffer can grow.
        with memoryview(payload) as view:
            count = stream.readinto(view[received:])
        if not count:
            break
        received += count
    return payload, received
