"""Fetch one URL into a local file, with a progress bar and network timeouts.

Only the transfer lives here; checking what arrived is the caller's job. Every failure is a
``DownloadError`` whose message starts with the URL: no route or unknown host, an HTTP error
status, a server that stalls for ``timeout`` seconds, or a connection that closed before all the
bytes the server announced had arrived.
"""

import http.client
import urllib.error
import urllib.request

from .errors import DownloadError

_CHUNK_BYTES = 1 << 16


def fetch(url, destination, *, timeout, progress=True):
    """Download ``url`` into the file ``destination``; return the number of bytes received.

    ``timeout`` (seconds) bounds the connection and every single read, so a silent server
    fails instead of hanging. The progress bar (tqdm, on stderr; set ``TQDM_DISABLE=1`` to hide
    it) is shown when ``progress`` is true. Proxies are taken from the usual environment
    variables (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``).
    """
    from tqdm.auto import tqdm  # imported here: only a download needs it

    request = urllib.request.Request(url, headers={"User-Agent": "tinycnn"})
    received = 0
    total = None
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            announced = response.headers.get("Content-Length")
            total = int(announced) if announced and announced.isdigit() else None
            name = url.rsplit("/", 1)[-1]
            with open(destination, "wb") as out, tqdm(
                total=total, desc=name, unit="B", unit_scale=True, unit_divisor=1024,
                disable=not progress, leave=False,
            ) as bar:
                while chunk := response.read(_CHUNK_BYTES):
                    out.write(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
    except urllib.error.HTTPError as err:
        raise DownloadError(f"{url}: HTTP {err.code} {err.reason}") from err
    except urllib.error.URLError as err:
        raise DownloadError(f"{url}: cannot connect ({err.reason})") from err
    except TimeoutError as err:
        raise DownloadError(f"{url}: no data for {timeout} s, gave up") from err
    except (OSError, http.client.HTTPException) as err:
        # http.client's own errors (bad status line, IncompleteRead) are not OSErrors.
        raise DownloadError(f"{url}: transfer failed after {received} bytes ({err!r})") from err
    # A dropped connection can look like a clean end of the body, so count the bytes.
    if total is not None and received != total:
        raise DownloadError(f"{url}: connection closed after {received} of {total} bytes")
    return received
