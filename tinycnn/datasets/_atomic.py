"""Write a file so that readers see either the old file or the complete new one, never a part.

The bytes go to a hidden temporary file in the same folder (so the final rename stays on one
file system and is atomic), are flushed to disk, and only then renamed over the destination.
If anything fails, the temporary file is removed and the destination is untouched.
"""

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(destination):
    """Yield a temporary path to write; on success it becomes ``destination``.

        >>> with atomic_path(cache / "train-images-idx3-ubyte") as tmp:
        ...     write_idx(tmp, images)
    """
    destination = Path(destination)
    with scratch_path(destination.parent, destination.name) as tmp:
        yield tmp
        # fsync before the rename: after a crash the name must not point at unwritten blocks.
        descriptor = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(tmp, destination)


@contextlib.contextmanager
def scratch_path(folder, name):
    """Yield a fresh hidden path ``folder/.name.XXXX.part``, removed on exit if still there."""
    descriptor, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".part")
    os.close(descriptor)
    tmp = Path(tmp)
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)
