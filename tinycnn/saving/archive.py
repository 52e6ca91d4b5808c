"""Reading a model file's zip archive without trusting it.

An .npz file is a zip archive of .npy files, and zipfile and NumPy would read whatever it
claims: a member that inflates a thousand-fold, a header that asks for a gigabyte, a
compression method zipfile cannot decode. Here nothing is decompressed, and nothing is
allocated, before its size is known and expected:
    open           the zip directory only (zipfile reads nothing else): every member a .npy
                   file stored uncompressed, as tinycnn writes them (np.savez), so that its
                   size is bytes the file really holds and no zip bomb can hide in it
    check_members  no member the caller does not expect, none missing
    read_array     the .npy header first (version, shape, dtype, C order), checked against
                   what the config says; then exactly shape x itemsize bytes, no more
The CRC of each member is checked as zipfile reaches its end.
"""

import math
import os
import zipfile

import numpy as np
from numpy.lib import format as npy

from tinycnn.saving.errors import ModelFileError

CONFIG_MEMBER = "tinycnn_model"
MAX_CONFIG_BYTES = 2**22  # the JSON config as UTF-32; a thousand layers take ~0.6 MB
MAX_HEADER_BYTES = 4096  # a .npy header NumPy writes for one of our arrays is 128 bytes


class ModelArchive:
    """An open model file: ``with ModelArchive(path) as archive: ...``."""

    def __init__(self, path):
        self.path = path
        self._file = open(path, "rb")
        try:
            self.size = os.fstat(self._file.fileno()).st_size
            if self._file.read(len(npy.MAGIC_PREFIX)) == npy.MAGIC_PREFIX:
                raise ModelFileError(f"{path!r} holds a single NumPy array (.npy), not a "
                                     "tinycnn model (.npz archive)")
            self._zip = zipfile.ZipFile(self._file)
            self._members = self._directory()
        except BaseException:
            self._file.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._zip.close()
        self._file.close()

    def _directory(self):
        """{name without ".npy": ZipInfo}, each member stored, whole and inside the file."""
        infos = self._zip.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise ModelFileError(f"{self.path!r}: its zip directory names a member twice")
        if CONFIG_MEMBER + ".npy" not in names:
            raise ModelFileError(f"{self.path!r} is an .npz archive but not a tinycnn model "
                                 f"(it has no {CONFIG_MEMBER!r} entry)")
        for info in infos:
            where = f"{self.path!r}: member {info.filename!r}"
            if not info.filename.endswith(".npy"):
                raise ModelFileError(f"{where} is not a .npy array; a model file holds "
                                     "nothing else")
            if info.flag_bits & 0x1:
                raise ModelFileError(f"{where} is encrypted")
            if info.compress_type != zipfile.ZIP_STORED:
                raise ModelFileError(f"{where} is compressed (zip method "
                                     f"{info.compress_type}); tinycnn stores arrays "
                                     "uncompressed, so their sizes are the file's own")
            if (info.file_size != info.compress_size
                    or info.header_offset + info.compress_size > self.size):
                raise ModelFileError(f"{where} claims {info.file_size:,} bytes, more than "
                                     "the file holds")
        if sum(info.compress_size for info in infos) > self.size:
            raise ModelFileError(f"{self.path!r}: its members overlap (together they claim "
                                 "more bytes than the file holds)")
        return {info.filename.removesuffix(".npy"): info for info in infos}

    def check_members(self, required, optional=()):
        """Every name in ``required`` is a member, and every member is one of ``required``,
        ``optional`` or the config: nothing else is read, or allowed."""
        missing = [name for name in required if name not in self._members]
        if missing:
            spec = required[missing[0]]
            raise ModelFileError(
                f"{self.path!r} has no {missing[0]!r} for layer {spec.layer!r}"
                f"{f' (nor {len(missing) - 1} more arrays)' if len(missing) > 1 else ''}: "
                "it was saved from another architecture, or is damaged")
        unknown = sorted(set(self._members) - set(required) - set(optional) - {CONFIG_MEMBER})
        if unknown:
            raise ModelFileError(
                f"{self.path!r} holds arrays this model does not have ({unknown[:3]}"
                f"{'...' if len(unknown) > 3 else ''}): it was saved from another "
                "architecture, or is not a tinycnn model file")

    def holds(self, name):
        return name in self._members

    def read_config_text(self):
        """The JSON text of the config member: a 0-d unicode array of at most
        MAX_CONFIG_BYTES."""
        with self._open(CONFIG_MEMBER, MAX_CONFIG_BYTES) as member:
            shape, dtype = self._header(member, CONFIG_MEMBER)
            if shape != () or dtype != np.dtype(f"<U{dtype.itemsize // 4}"):
                raise ModelFileError(f"{self.path!r}: its model description is not text "
                                     f"(a {dtype} array of shape {shape})")
            data = self._data(member, CONFIG_MEMBER, dtype.itemsize)
        return data.decode("utf-32-le").rstrip("\0")  # NumPy pads the string with NULs

    def read_array(self, name, spec):
        """The member ``name`` as an array of ``spec.shape`` and one of ``spec.dtypes``, the
        header checked before any of the data is read."""
        nbytes = math.prod(spec.shape) * max(dtype.itemsize for dtype in spec.dtypes)
        with self._open(name, nbytes) as member:
            shape, dtype = self._header(member, name)
            if dtype not in spec.dtypes:
                raise ModelFileError(
                    f"{self.path!r}: {name!r} (layer {spec.layer!r}) holds {dtype} values; "
                    f"expected {' or '.join(str(d) for d in spec.dtypes)}")
            if shape != spec.shape:
                raise ModelFileError(
                    f"{self.path!r}: {name!r} (layer {spec.layer!r}) has shape {shape} in the "
                    f"file, but {spec.shape} in the model: it was saved from another "
                    "architecture, or is damaged")
            data = self._data(member, name, math.prod(shape) * dtype.itemsize)
        return np.frombuffer(data, dtype=dtype).reshape(shape)

    # ---- one member ------------------------------------------------------------------------
    def _open(self, name, nbytes):
        """The member, if its declared size leaves room for a header and ``nbytes`` at most."""
        info = self._members[name]
        if info.file_size > nbytes + MAX_HEADER_BYTES:
            raise ModelFileError(f"{self.path!r}: member {info.filename!r} claims "
                                 f"{info.file_size:,} bytes; it should hold {nbytes:,}")
        return self._zip.open(info)

    def _header(self, member, name):
        """(shape, dtype) from the .npy header; C order only, as np.save writes it."""
        version = npy.read_magic(member)
        if version == (1, 0):
            shape, fortran_order, dtype = npy.read_array_header_1_0(member, MAX_HEADER_BYTES)
        elif version == (2, 0):
            shape, fortran_order, dtype = npy.read_array_header_2_0(member, MAX_HEADER_BYTES)
        else:
            raise ModelFileError(f"{self.path!r}: {name!r} is a .npy file of version "
                                 f"{version}, which tinycnn does not write")
        if fortran_order:
            raise ModelFileError(f"{self.path!r}: {name!r} is stored in Fortran order")
        return shape, dtype

    def _data(self, member, name, nbytes):
        """Exactly the rest of the member, which must be ``nbytes`` long."""
        left = self._members[name].file_size - member.tell()
        if left != nbytes:
            raise ModelFileError(f"{self.path!r}: {name!r} holds {left:,} bytes of data; its "
                                 f"header says {nbytes:,}")
        data = member.read(nbytes)
        if len(data) != nbytes:
            raise ModelFileError(f"{self.path!r}: {name!r} is truncated")
        return data
