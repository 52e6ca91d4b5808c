"""Remember that a file was hashed, so the next load need not hash it again.

A stamp is a small JSON file recording a data file's state (size, inode, modification and
change times in ns) and the SHA-256 of its decompressed bytes. While the state still matches,
the file is taken to be the one that was hashed; any change to its bytes voids the stamp.
(The IDX reader still checks every file's structure on every load; the stamp only saves the
hash.)

Why the change time (``st_ctime_ns``) and not only the modification time: ``touch -r`` or
``os.utime`` can set the modification time back after an edit, so a file edited in place keeps
its size and mtime. The kernel sets the change time to "now" on every write, and on ``utime``
itself, and offers no way to set it back. Hashing on every load would also be safe, but would
add ~40 ms (SHA-256 of 55 MB) to a warm load of ~60 ms; the stamp exists to avoid that.
One limit remains, shared by make and git: timestamps tick with the kernel's clock (every few
ms), so an edit in the same tick as the file's previous change goes unseen.

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


def file_state(data_file):
    """What a stamp records of ``data_file``: ``{"size", "inode", "mtime_ns", "ctime_ns"}``.

    Raises OSError if the file cannot be examined.
    """
    status = os.stat(data_file)
    # The inode tells a file renamed into place from the one that was stamped, even on a file
    # system whose rename leaves the change time alone.
    return {"size": status.st_size, "inode": status.st_ino,
            "mtime_ns": status.st_mtime_ns, "ctime_ns": status.st_ctime_ns}


def read_stamp(data_file, stamp_file):
    """The SHA-256 the stamp remembers for ``data_file``, or None if absent or stale.

    A stamp written before the change time was recorded has no ``ctime_ns``, so it is stale:
    the file is hashed once more and stamped anew.
    """
    try:
        stamp = json.loads(Path(stamp_file).read_text())
        state = file_state(data_file)
    except (OSError, ValueError):
        return None
    if not isinstance(stamp, dict):
        return None
    if any(stamp.get(key) != value for key, value in state.items()):
        return None
    return stamp.get("sha256")


def write_stamp(data_file, stamp_file, sha256, state):
    """Record that ``data_file``, in ``state`` (from ``file_state``), hashes to ``sha256``.

    Take ``state`` before reading the file: if it is edited while being read, its change time
    moves on and the stamp is stale from the start, rather than vouching for the new bytes.
    Best effort: returns False on failure, since a stamp only saves time and a folder we cannot
    write is no reason to fail a load.
    """
    try:
        stamp = {"file": str(Path(data_file).absolute()), **state, "sha256": sha256}
        Path(stamp_file).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(stamp_file) as tmp:
            tmp.write_text(json.dumps(stamp, indent=1) + "\n")
    except OSError:
        return False
    return True
