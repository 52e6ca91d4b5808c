"""ModelFileError, and the one place where reading a damaged file turns into it.

A model file may come from anyone. Whatever goes wrong while reading it (a damaged zip
directory, a bad CRC, a header NumPy cannot parse, JSON nested too deeply, a size that does not
fit) must reach the user as one exception that names the file and says what is wrong: never a
RecursionError or a NotImplementedError from deep inside zipfile, never a half-loaded model.
"""

import contextlib
import struct
import zipfile
import zlib


class ModelFileError(ValueError):
    """The file is not a tinycnn model, is damaged, or does not fit the model."""


# What zipfile, zlib, numpy.lib.format and json raise for bytes they cannot make sense of.
# MemoryError too: every allocation while reading is bounded by what the file holds, so one
# that still fails means the file asked for more than this machine has.
READ_ERRORS = (zipfile.BadZipFile, zlib.error, struct.error, EOFError, OSError, ValueError,
               KeyError, TypeError, OverflowError, RecursionError, RuntimeError,
               NotImplementedError, MemoryError)  # UnicodeDecodeError is a ValueError


@contextlib.contextmanager
def refusing_damage(path):
    """Turn any of READ_ERRORS raised inside the block into a ModelFileError naming ``path``
    (a ModelFileError already raised passes through as it is)."""
    try:
        yield
    except ModelFileError:
        raise
    except READ_ERRORS as error:
        raise ModelFileError(
            f"{path!r} is not a readable tinycnn model file (truncated, damaged or not an .npz "
            f"archive): {type(error).__name__}: {error}") from error
