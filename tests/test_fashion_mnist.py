"""fashion_mnist.load_data: the search order, verification, the cache, and the download path.

Almost every test runs on a tiny stand-in for Fashion-MNIST (20 + 10 images) written into
temporary folders, with the loader's constants (system folder, mirrors, checksums) passed to
the internal ``_load_data``. Downloads go to an HTTP server on 127.0.0.1 started by the test;
a guard makes any other network contact fail the test. One test loads the real files when the
Debian package dataset-fashion-mnist is installed.
"""

import gzip
import hashlib
import http.server
import ipaddress
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import tinycnn.datasets
from tinycnn.datasets import fashion_mnist, idx
from tinycnn.datasets.errors import (
    ChecksumError,
    DataFormatError,
    DatasetError,
    DatasetNotFoundError,
)

NAMES = fashion_mnist.FILE_NAMES
REAL_DIR = Path("/usr/share/datasets/fashion-mnist")
REAL_FILES_PRESENT = all((REAL_DIR / f"{name}.gz").is_file() for name in NAMES)


class TinyFashion:
    """A 28x28 uint8 dataset of 20 training and 10 test images, two and one per class."""

    def __init__(self, fill=None):
        rng = np.random.default_rng(0)
        train_images = rng.integers(0, 256, size=(20, 28, 28), dtype=np.uint8)
        test_images = rng.integers(0, 256, size=(10, 28, 28), dtype=np.uint8)
        if fill is not None:  # a recognisable image value, to tell copies apart
            train_images[:] = fill
            test_images[:] = fill
        train_labels = np.tile(np.arange(10, dtype=np.uint8), 2)
        test_labels = np.arange(10, dtype=np.uint8)
        self.arrays = dict(zip(NAMES, (train_images, train_labels, test_images, test_labels),
                               strict=True))
        self.sha256 = {name: hashlib.sha256(idx.encode_idx(array)).hexdigest()
                       for name, array in self.arrays.items()}

    def write(self, folder, compress=True, names=NAMES):
        folder.mkdir(parents=True, exist_ok=True)
        for name in names:
            idx.write_idx(folder / (f"{name}.gz" if compress else name), self.arrays[name])
        return folder

    def gz_bytes(self, name):
        return gzip.compress(idx.encode_idx(self.arrays[name]), mtime=0)

    def check(self, data):
        (x_train, y_train), (x_test, y_test) = data
        for name, array in zip(NAMES, (x_train, y_train, x_test, y_test), strict=True):
            assert array.dtype == np.uint8
            np.testing.assert_array_equal(array, self.arrays[name])


@pytest.fixture
def tiny():
    return TinyFashion()


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Point the user cache at a temporary folder and drop variables that would leak in."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("TINYCNN_DATA_DIR", raising=False)
    for variable in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    return tmp_path


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Fail any test that tries to resolve or connect to anything but this machine."""
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            if not ipaddress.ip_address(address[0]).is_loopback:
                raise AssertionError(f"test tried to connect to {address}")
        return real_connect(sock, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise AssertionError(f"test tried to resolve {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def cache_dir():
    return fashion_mnist.user_cache_dir()


def files_under(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def load(tmp_path, tiny, **options):
    """``_load_data`` with a missing system folder, no download, and the tiny checksums."""
    options.setdefault("system_dir", tmp_path / "no-system-copy")
    options.setdefault("sha256", tiny.sha256)
    options.setdefault("download", False)
    options.setdefault("progress", False)
    return fashion_mnist._load_data(**options)


# Where the files come from.

@pytest.mark.parametrize("compress", [True, False])
def test_loads_from_data_dir_plain_or_gzip(tmp_path, tiny, compress):
    folder = tiny.write(tmp_path / "mine", compress=compress)
    tiny.check(load(tmp_path, tiny, data_dir=folder))
    suffix = ".gz" if compress else ""
    assert (folder / f"train-images-idx3-ubyte{suffix}.verified").is_file()
    assert not cache_dir().exists()  # the caller's own folder is used in place


def test_search_order(tmp_path, monkeypatch):
    places = {}
    for fill, place in enumerate(["argument", "variable", "cache", "system"]):
        places[place] = TinyFashion(fill=fill)
    places["argument"].write(tmp_path / "argument")
    places["variable"].write(tmp_path / "variable")
    places["cache"].write(cache_dir())
    places["system"].write(tmp_path / "system")
    monkeypatch.setenv("TINYCNN_DATA_DIR", str(tmp_path / "variable"))

    def first_pixel(**options):
        # verify=False: the four copies differ, so no one set of checksums fits them all.
        data = fashion_mnist._load_data(verify=False, download=False,
                                        system_dir=tmp_path / "system", **options)
        return int(data[0][0][0, 0, 0])

    assert first_pixel(data_dir=tmp_path / "argument") == 0
    assert first_pixel() == 1
    monkeypatch.delenv("TINYCNN_DATA_DIR")
    assert first_pixel() == 2
    (cache_dir() / "t10k-labels-idx1-ubyte.gz").unlink()
    assert first_pixel() == 3


def test_data_dir_accepts_user_home(tmp_path, tiny, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    tiny.write(tmp_path / "fashion")
    tiny.check(load(tmp_path, tiny, data_dir="~/fashion"))


def test_user_cache_dir_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "elsewhere"))
    assert cache_dir() == tmp_path / "elsewhere" / "tinycnn" / "fashion-mnist"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for unusable in ("", "relative/path"):  # the XDG spec says to ignore a relative path
        monkeypatch.setenv("XDG_CACHE_HOME", unusable)
        assert cache_dir() == tmp_path / "home" / ".cache" / "tinycnn" / "fashion-mnist"


def test_system_copy_is_verified_and_cached_uncompressed(tmp_path, tiny, monkeypatch):
    system = tiny.write(tmp_path / "system")
    before = files_under(system)
    tiny.check(load(tmp_path, tiny, system_dir=system))
    assert files_under(system) == before  # nothing written into the system folder
    cached = files_under(cache_dir())
    for name in NAMES:
        assert name in cached and f"{name}.verified" in cached
        assert hashlib.sha256((cache_dir() / name).read_bytes()).hexdigest() == tiny.sha256[name]
    # The system files' stamps live in the user cache.
    assert sum(path.startswith("stamps/") for path in cached) == 4

    # The next load comes from the cache, hashing nothing: the stamps vouch for the files.
    for path in system.iterdir():
        path.unlink()
    monkeypatch.setattr(idx, "read_idx_and_sha256", refuse_to_hash)
    tiny.check(load(tmp_path, tiny, system_dir=system))


def refuse_to_hash(path):
    raise AssertionError(f"{path} was hashed again although its stamp is valid")


def test_stamp_saves_the_hash_and_a_changed_file_voids_it(tmp_path, tiny, monkeypatch):
    folder = tiny.write(tmp_path / "mine")
    load(tmp_path, tiny, data_dir=folder)
    real_hash = idx.read_idx_and_sha256
    monkeypatch.setattr(idx, "read_idx_and_sha256", refuse_to_hash)
    tiny.check(load(tmp_path, tiny, data_dir=folder))

    # Another dataset written over one file: new size or time, so the stamp no longer holds.
    idx.write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.zeros(10, dtype=np.uint8))
    monkeypatch.setattr(idx, "read_idx_and_sha256", real_hash)
    with pytest.raises(ChecksumError, match="t10k-labels-idx1-ubyte.gz: SHA-256"):
        load(tmp_path, tiny, data_dir=folder)


def edit_one_byte_keeping_size_and_mtime(path):
    """Flip the last byte of ``path`` in place, then set its times back as ``touch -r`` would."""
    before = path.stat()
    wait_for_the_next_clock_tick(path)
    with open(path, "r+b") as file:
        file.seek(-1, os.SEEK_END)
        last = file.read(1)[0]
        file.seek(-1, os.SEEK_END)
        file.write(bytes([last ^ 0xFF]))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def wait_for_the_next_clock_tick(path):
    """Wait until a change now would get a later change time than ``path`` has.

    File times tick with the kernel's coarse clock (every few ms), and these tests edit a file
    moments after it was written and stamped."""
    probe = path.with_name(".clock-tick")
    while True:
        probe.write_bytes(b"")
        if probe.stat().st_ctime_ns > path.stat().st_ctime_ns:
            break
        time.sleep(0.001)
    probe.unlink()


def test_an_edit_that_keeps_size_and_mtime_still_voids_the_stamp(tmp_path, tiny):
    folder = tiny.write(tmp_path / "mine", compress=False)
    load(tmp_path, tiny, data_dir=folder)
    edited = folder / "train-images-idx3-ubyte"
    assert edited.with_name(f"{edited.name}.verified").is_file()
    edit_one_byte_keeping_size_and_mtime(edited)
    with pytest.raises(ChecksumError, match=f"{edited}: SHA-256"):
        load(tmp_path, tiny, data_dir=folder)


def test_an_edited_copy_in_the_cache_is_noticed_and_replaced(tmp_path, tiny):
    system = tiny.write(tmp_path / "system")
    tiny.check(load(tmp_path, tiny, system_dir=system))  # verified, copied into the cache
    cached = cache_dir() / "t10k-labels-idx1-ubyte"
    edit_one_byte_keeping_size_and_mtime(cached)
    with pytest.warns(UserWarning, match="removed a bad copy .*t10k-labels-idx1-ubyte: SHA-256"):
        tiny.check(load(tmp_path, tiny, system_dir=system))  # the good data, not the edit
    assert hashlib.sha256(cached.read_bytes()).hexdigest() == tiny.sha256[cached.name]


def test_an_edit_while_the_file_is_hashed_voids_the_stamp(tmp_path, tiny, monkeypatch):
    # The stamp must record the file as it was before the read, not as it is after.
    folder = tiny.write(tmp_path / "mine", compress=False)
    edited = folder / "t10k-images-idx3-ubyte"
    real_hash = idx.read_idx_and_sha256

    def hash_then_edit(path, **options):
        array_and_sha256 = real_hash(path, **options)
        if path == edited:
            edit_one_byte_keeping_size_and_mtime(edited)
        return array_and_sha256

    monkeypatch.setattr(idx, "read_idx_and_sha256", hash_then_edit)
    tiny.check(load(tmp_path, tiny, data_dir=folder))  # the bytes as read, before the edit
    monkeypatch.setattr(idx, "read_idx_and_sha256", real_hash)
    with pytest.raises(ChecksumError, match=f"{edited}: SHA-256"):
        load(tmp_path, tiny, data_dir=folder)


def test_given_folder_without_the_files_warns_when_another_place_is_used(tmp_path, tiny):
    tiny.write(cache_dir(), compress=False)
    (tmp_path / "empty").mkdir()
    with pytest.warns(UserWarning, match=r"empty: missing .*using the user cache"):
        tiny.check(load(tmp_path, tiny, data_dir=tmp_path / "empty"))


def test_not_found_lists_every_place_and_the_fixes(tmp_path, tiny, monkeypatch):
    tiny.write(tmp_path / "partial", names=NAMES[:1])
    monkeypatch.setenv("TINYCNN_DATA_DIR", str(tmp_path / "does-not-exist"))
    with pytest.raises(DatasetNotFoundError) as caught:
        load(tmp_path, tiny, data_dir=tmp_path / "partial")
    message = str(caught.value)
    assert isinstance(caught.value, FileNotFoundError)
    expected_lines = [
        f"1. load_data(data_dir=...) {tmp_path / 'partial'}: missing train-labels-idx1-ubyte, "
        "t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte",
        f"2. $TINYCNN_DATA_DIR {tmp_path / 'does-not-exist'}: no such folder",
        f"3. user cache {cache_dir()}: no such folder",
        f"4. system copy (Debian package dataset-fashion-mnist) {tmp_path / 'no-system-copy'}: "
        "no such folder",
        "5. download: not attempted (download=False)",
        "pass load_data(data_dir=",
        "sudo apt-get install dataset-fashion-mnist",
        "allow the download: load_data(download=True)",
    ]
    for line in expected_lines:
        assert line in message


def test_places_not_given_are_listed_too(tmp_path, tiny):
    with pytest.raises(DatasetNotFoundError) as caught:
        load(tmp_path, tiny)
    assert "1. load_data(data_dir=...): not given" in str(caught.value)
    assert "2. $TINYCNN_DATA_DIR: not given" in str(caught.value)


# Never wrong data.

def test_wrong_checksum_raises_and_is_not_skipped_or_cached(tmp_path, tiny):
    other = TinyFashion(fill=7)
    folder = other.write(tmp_path / "not-fashion")
    tiny.write(tmp_path / "system")
    with pytest.raises(ChecksumError) as caught:
        load(tmp_path, tiny, data_dir=folder, system_dir=tmp_path / "system")
    message = str(caught.value)
    assert str(folder / "train-images-idx3-ubyte.gz") in message
    assert tiny.sha256["train-images-idx3-ubyte"] in message
    assert "verify=False" in message
    assert not (folder / "train-images-idx3-ubyte.gz.verified").exists()
    assert not cache_dir().exists()


def test_verify_false_loads_other_idx_files_and_caches_nothing(tmp_path, tiny):
    digits = TinyFashion(fill=3)  # stands in for, say, the MNIST digits
    system = digits.write(tmp_path / "system")
    digits.check(load(tmp_path, tiny, data_dir=system, verify=False))
    digits.check(load(tmp_path, tiny, system_dir=system, verify=False))
    assert not cache_dir().exists()
    assert files_under(system) == sorted(f"{name}.gz" for name in NAMES)  # no stamps either


def test_damaged_file_in_a_given_folder_raises_naming_it(tmp_path, tiny):
    folder = tiny.write(tmp_path / "mine")
    tiny.write(cache_dir())
    damaged = folder / "train-images-idx3-ubyte.gz"
    damaged.write_bytes(damaged.read_bytes()[:100])
    with pytest.raises(DataFormatError, match=f"{damaged}: corrupt or truncated gzip"):
        load(tmp_path, tiny, data_dir=folder)


def test_images_and_labels_of_different_lengths(tmp_path, tiny):
    folder = tiny.write(tmp_path / "mine")
    idx.write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(19, dtype=np.uint8))
    with pytest.raises(DataFormatError) as caught:
        load(tmp_path, tiny, data_dir=folder, verify=False)
    assert str(caught.value) == (f"{folder / 'train-images-idx3-ubyte.gz'} holds 20 images but "
                                 f"{folder / 'train-labels-idx1-ubyte.gz'} holds 19 labels")


def test_images_must_be_three_dimensional(tmp_path, tiny):
    folder = tiny.write(tmp_path / "mine")
    idx.write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((10, 784), dtype=np.uint8))
    with pytest.raises(DataFormatError, match=r"t10k-images-idx3-ubyte.gz: expected images"):
        load(tmp_path, tiny, data_dir=folder, verify=False)


def test_bad_file_in_the_cache_is_removed_and_refilled(tmp_path, tiny):
    tiny.write(cache_dir(), compress=False)
    tiny.write(tmp_path / "system")
    broken = cache_dir() / "train-labels-idx1-ubyte"
    broken.write_bytes(broken.read_bytes()[:-1])
    with pytest.warns(UserWarning, match="removed a bad copy .* truncated"):
        tiny.check(load(tmp_path, tiny, system_dir=tmp_path / "system"))
    assert hashlib.sha256(broken.read_bytes()).hexdigest() == tiny.sha256[broken.name]


def test_unwritable_cache_warns_and_still_loads(tmp_path, tiny, monkeypatch):
    # A regular file where the cache folder should go: not writable, even for root.
    (tmp_path / "blocker").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "blocker"))
    system = tiny.write(tmp_path / "system")
    with pytest.warns(UserWarning, match="could not copy Fashion-MNIST into the user cache"):
        tiny.check(load(tmp_path, tiny, system_dir=system))


# Downloads, from a server on 127.0.0.1.

class MirrorHandler(http.server.BaseHTTPRequestHandler):
    """Serves /<behaviour>/<name>.gz; the behaviour says how this mirror misbehaves."""

    def do_GET(self):
        server = self.server
        server.requests.append(self.path)
        _, behaviour, file_name = self.path.split("/", 2)
        name = file_name.removesuffix(".gz")
        if behaviour == "stall":
            server.release.wait(timeout=10)
            return
        if behaviour == "missing" or name not in NAMES:
            self.send_error(404)
            return
        source = server.wrong if behaviour == "wrong" else server.good
        body = source.gz_bytes(name)
        if behaviour == "cut":  # a complete transfer of a truncated file
            body = body[: len(body) // 2]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if behaviour == "drop":
            self.wfile.write(body[: len(body) // 2])  # then the connection closes
        else:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def mirror(tiny):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), MirrorHandler)
    server.requests = []
    server.release = threading.Event()
    server.good = tiny
    server.wrong = TinyFashion(fill=9)
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def download(tmp_path, tiny, mirror, *behaviours, **options):
    mirrors = [f"{mirror.url}/{behaviour}/" for behaviour in behaviours]
    options.setdefault("timeout", 5)
    return load(tmp_path, tiny, download=True, mirrors=mirrors, **options)


def test_download_fills_the_cache(tmp_path, tiny, mirror):
    tiny.check(download(tmp_path, tiny, mirror, "good"))
    assert sorted(mirror.requests) == sorted(f"/good/{name}.gz" for name in NAMES)
    assert files_under(cache_dir()) == sorted(
        [*NAMES, *(f"{name}.verified" for name in NAMES)])
    # A second load is served by the cache.
    tiny.check(download(tmp_path, tiny, mirror, "good"))
    assert len(mirror.requests) == 4


def test_download_tries_the_next_mirror(tmp_path, tiny, mirror):
    tiny.check(download(tmp_path, tiny, mirror, "drop", "wrong", "missing", "good"))
    first = NAMES[0]
    assert mirror.requests[:4] == [f"/{behaviour}/{first}.gz"
                                   for behaviour in ("drop", "wrong", "missing", "good")]
    assert not [name for name in files_under(cache_dir()) if name.endswith(".part")]


def test_failed_download_leaves_nothing_behind(tmp_path, tiny, mirror):
    with pytest.raises(DatasetNotFoundError) as caught:
        download(tmp_path, tiny, mirror, "drop", "wrong", "cut", "missing")
    message = str(caught.value)
    url = f"{mirror.url}/%s/train-images-idx3-ubyte.gz"
    assert f"download {url % 'drop'}: connection closed after" in message
    assert f"download {url % 'wrong'}: SHA-256 of the decompressed IDX bytes is" in message
    assert f"download {url % 'cut'}: corrupt or truncated gzip" in message
    assert f"download {url % 'missing'}: HTTP 404" in message
    assert files_under(cache_dir()) == []


def test_download_verifies_even_when_verify_is_false(tmp_path, tiny, mirror):
    with pytest.raises(DatasetNotFoundError, match="SHA-256"):
        download(tmp_path, tiny, mirror, "wrong", verify=False)
    assert files_under(cache_dir()) == []


def test_stalled_mirror_times_out(tmp_path, tiny, mirror):
    with pytest.raises(DatasetNotFoundError, match=r"/stall/.*no data for 0.2 s"):
        download(tmp_path, tiny, mirror, "stall", timeout=0.2)
    assert files_under(cache_dir()) == []


def test_only_missing_files_are_downloaded(tmp_path, tiny, mirror):
    tiny.write(cache_dir(), compress=False, names=NAMES[:2])
    tiny.check(download(tmp_path, tiny, mirror, "good"))
    assert sorted(mirror.requests) == sorted(f"/good/{name}.gz" for name in NAMES[2:])


def test_download_false_contacts_no_mirror(tmp_path, tiny, mirror):
    with pytest.raises(DatasetNotFoundError, match=r"download=False"):
        load(tmp_path, tiny, download=False, mirrors=[f"{mirror.url}/good/"])
    assert mirror.requests == []


def test_default_mirrors_are_the_official_ones():
    assert fashion_mnist.MIRRORS == (
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    )


# Helpers beside the loader.

def test_class_names():
    assert fashion_mnist.CLASS_NAMES == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def test_normalize_images(tiny):
    images = tiny.arrays["train-images-idx3-ubyte"]
    images[0, 0, :2] = [0, 255]
    scaled = fashion_mnist.normalize_images(images)
    assert scaled.shape == (20, 28, 28, 1)
    assert scaled.dtype == np.float32
    assert scaled[0, 0, 0, 0] == 0.0 and scaled[0, 0, 1, 0] == 1.0
    np.testing.assert_allclose(scaled[..., 0] * 255, images, atol=1e-4)
    with pytest.raises(ValueError, match="expected uint8 images"):
        fashion_mnist.normalize_images(scaled)


def test_class_counts(tiny):
    table = fashion_mnist.class_counts(tiny.arrays["train-labels-idx1-ubyte"],
                                       tiny.arrays["t10k-labels-idx1-ubyte"])
    assert list(table.index) == fashion_mnist.CLASS_NAMES
    assert list(table.columns) == ["train", "test", "total"]
    assert (table["train"] == 2).all() and (table["test"] == 1).all()
    assert table.sum().to_dict() == {"train": 20, "test": 10, "total": 30}
    with pytest.raises(ValueError, match="0..9"):
        fashion_mnist.class_counts(np.array([10]), np.array([0]))


def test_exceptions_share_one_base():
    for name in ("ChecksumError", "DataFormatError", "DatasetNotFoundError", "DownloadError"):
        assert issubclass(getattr(tinycnn.datasets, name), DatasetError)


def test_importing_the_datasets_package_pulls_in_nothing_heavy():
    # The parent package tinycnn imports the training core (and Numba) itself, so stand in an
    # empty parent: this checks what tinycnn.datasets imports on its own account.
    package_dir = Path(tinycnn.datasets.__file__).parent.parent
    code = textwrap.dedent(f"""
        import sys, types
        parent = types.ModuleType("tinycnn")
        parent.__path__ = [{str(package_dir)!r}]
        sys.modules["tinycnn"] = parent
        import tinycnn.datasets.fashion_mnist
        print(sorted(m for m in ("numba", "matplotlib", "pandas", "tqdm") if m in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60)
    assert result.stdout.strip() == "[]"


# The real thing, when the Debian package is installed (CI installs it).

@pytest.mark.skipif(not REAL_FILES_PRESENT, reason=f"Fashion-MNIST is not in {REAL_DIR}")
def test_real_fashion_mnist(tmp_path):
    data = fashion_mnist.load_data(download=False)
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert {array.dtype for array in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    table = fashion_mnist.class_counts(y_train, y_test)
    assert (table["train"] == 6000).all() and (table["test"] == 1000).all()
    # Checksums recomputed here, independently of the loader's stamps.
    for name, array in zip(NAMES, (x_train, y_train, x_test, y_test), strict=True):
        assert hashlib.sha256(idx.encode_idx(array)).hexdigest() == fashion_mnist.SHA256[name]
    assert str(cache_dir()).startswith(str(tmp_path))
    assert all((cache_dir() / name).is_file() for name in NAMES)
