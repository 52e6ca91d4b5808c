"""Remember that a file was hashed, so the next load need not hash it again.

A stamp is a small JSON file recording a data file's size, modification time (in ns) and the
SHA-256 of its decompressed bytes. While the size and time still match, the file is taken to be
the one that was hashed. Replacing or editing the file changes its time, which voids the stamp.
(The IDX reader still checks every file's structure on every load; the stamp only saves the
hash.)

Stamps live beside the data file (``train-images-idx3-ubyte.gz.verified``) when the caller
allows it, otherwise in a stamp folder inside the user cache, under a name derived from the
data file's absolute path; that is how files in a read-only system folder get stamps.
"""

import hashlib
import json
import os
from pathlib import Path

from ._atomic import atomic_path

SUFFIX = ".verified"


def stamp_path(data_file, *, beside, stamp_dir):
    """Where the stamp of ``data_file`` lives: beside it, or in ``stamp_dir``."""
    data_file = Path(data_file).absolute()
    if beside:
        return data_file.with_name(data_file.name + SUFFIX)
    key = hashlib.sha256(str(data_file).encode()).hexdigest()[:16]
    return Path(stamp_dir) / f"{data_file.name}.{key}{SUFFIX}"


def read_stamp(data_file, stamp_file):
    """The SHA-256 the stamp remembers for ``data_file``, or None if absent or stale."""
    try:
        stamp = json.loads(Path(stamp_file).read_text())
        status = os.stat(data_file)
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict):
        return None
    if stamp.get("size") != status.st_size or stamp.get("mtime_ns") != status.st_mtime_ns:
        return None
    return stamp.get("sha256")


def write_stamp(data_file, stamp_file, sha256):
    """Record ``sha256`` for ``data_file`` as it is now. Best effort: returns False on failure.

    A stamp only saves time, so a folder we cannot write is no reason to fail a load.
    """
    try:
        status = os.stat(data_file)
        stamp = {"file": str(Path(data_file).absolute()), "size": status.st_size,
                 "mtime_ns": status.st_mtime_ns, "sha256": sha256}
        Path(stamp_file).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(stamp_file) as tmp:
            tmp.write_text(json.dumps(stamp, indent=1) + "\n")
    except OSError:
        return False
    return True
