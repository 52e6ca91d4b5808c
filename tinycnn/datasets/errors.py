"""The exceptions that ``tinycnn.datasets`` raises.

Every one derives from ``DatasetError``, so ``except DatasetError`` catches them all; each also
derives from the built-in exception a caller would expect, so ``except ValueError`` catches bad
data and ``except FileNotFoundError`` (an ``OSError``) catches "not found anywhere".

Every message starts with the path of the file at fault (or lists the places tried), so it can
be acted on without a debugger.
"""


class DatasetError(Exception):
    """Base class of every error raised by ``tinycnn.datasets``."""


class DataFormatError(DatasetError, ValueError):
    """A file is not well-formed IDX data, or an images file and its labels file disagree.

    Raised for: a file too short for its header, a wrong magic number, an unknown element type,
    fewer or more data bytes than the dimensions promise (truncated or padded), a corrupt or
    truncated gzip stream, and images and labels of different lengths.
    """


class ChecksumError(DatasetError, ValueError):
    """A file is well-formed IDX but its decompressed bytes have the wrong SHA-256."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """No place in the search order had the files, and no download succeeded.

    The message lists each place tried, why it failed, and the ways to fix it.
    """


class DownloadError(DatasetError, ConnectionError):
    """A download failed; the message starts with the URL and says why.

    The loader catches it, tries the next mirror, and lists it in the final
    ``DatasetNotFoundError`` if every mirror fails.
    """
