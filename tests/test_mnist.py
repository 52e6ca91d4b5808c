"""mnist.load_data: the search order, the checks, Keras's mnist.npz and the download path.

MNIST shares its loader with Fashion-MNIST (tinycnn/datasets/_loader.py), whose own tests
(test_fashion_mnist.py) cover stamps, the cache and every way a download can fail. These tests
cover what MNIST adds: its own variable and cache, no system copy, Keras's mnist.npz in a folder
and as the first download, and the IDX mirror when the archive fails. They reuse that file's
tiny stand-in data set (20 + 10 images), its guard against any network contact but 127.0.0.1,
and its HTTP mirror, taught here to serve an archive as well.
"""

import hashlib
import io

import numpy as np
import pytest
import test_fashion_mnist as fashion_tests
from test_fashion_mnist import NAMES, MirrorHandler, TinyFashion, files_under

from tinycnn.datasets import _loader, mnist
from tinycnn.datasets._loader import NPZ_KEYS, NpzArchive
from tinycnn.datasets.errors import ChecksumError, DataFormatError, DatasetNotFoundError

# The Fashion-MNIST tests' fixtures: its tiny data set and HTTP mirror, and (autouse) a user
# cache in tmp_path and a guard that fails any network contact but 127.0.0.1.
tiny = fashion_tests.tiny
mirror = fashion_tests.mirror
isolated = fashion_tests.isolated
loopback_only = fashion_tests.loopback_only


class TinyArchive:
    """A data set's four arrays as one .npz file, as Keras's mnist.npz holds MNIST's."""

    def __init__(self, data):
        buffer = io.BytesIO()
        np.savez(buffer, **{key: data.arrays[name] for name, key in NPZ_KEYS.items()})
        self.bytes = buffer.getvalue()  # made once: a zip records the time it was written
        self.sha256 = hashlib.sha256(self.bytes).hexdigest()

    def write(self, folder):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "mnist.npz").write_bytes(self.bytes)
        return folder


@pytest.fixture
def archive(tiny):
    return TinyArchive(tiny)


def cache_dir():
    return mnist.user_cache_dir()


def load(tiny, tiny_archive, **options):
    """``_load_data`` with the tiny checksums, no mirrors and no download unless asked."""
    options.setdefault("sha256", tiny.sha256)
    options.setdefault("archive", NpzArchive("mnist.npz", tiny_archive.sha256))
    options.setdefault("mirrors", ())
    options.setdefault("download", False)
    options.setdefault("progress", False)
    return mnist._load_data(**options)


def first_pixel(data):
    return int(data[0][0][0, 0, 0])


# Where the files come from.

@pytest.mark.parametrize("compress", [True, False])
def test_loads_idx_files_from_data_dir(tmp_path, tiny, archive, compress):
    folder = tiny.write(tmp_path / "digits", compress=compress)
    tiny.check(load(tiny, archive, data_dir=folder))
    assert not cache_dir().exists()


def test_loads_keras_archive_from_data_dir(tmp_path, tiny, archive, monkeypatch):
    # Keras keeps its download in ~/.keras/datasets/mnist.npz.
    monkeypatch.setenv("HOME", str(tmp_path))
    archive.write(tmp_path / ".keras" / "datasets")
    tiny.check(load(tiny, archive, data_dir="~/.keras/datasets"))
    assert (tmp_path / ".keras" / "datasets" / "mnist.npz.verified").is_file()
    # The next load believes the stamp: the archive is read, not hashed again.
    monkeypatch.setattr(_loader, "_read_verified_npz", refuse_to_hash)
    tiny.check(load(tiny, archive, data_dir="~/.keras/datasets"))


def refuse_to_hash(path, *args, **kwargs):
    raise AssertionError(f"{path} was hashed again although its stamp is valid")


def test_idx_files_come_before_an_archive_in_the_same_folder(tmp_path, tiny):
    folder = TinyFashion(fill=1).write(tmp_path / "both")
    TinyArchive(TinyFashion(fill=2)).write(folder)
    assert first_pixel(load(tiny, TinyArchive(tiny), data_dir=folder, verify=False)) == 1


def test_search_order_and_mnist_has_its_own_variable(tmp_path, tiny, monkeypatch):
    TinyFashion(fill=0).write(tmp_path / "argument")
    TinyFashion(fill=1).write(tmp_path / "variable")
    TinyFashion(fill=2).write(cache_dir())
    TinyFashion(fill=3).write(tmp_path / "fashion")
    monkeypatch.setenv("TINYCNN_MNIST_DIR", str(tmp_path / "variable"))
    monkeypatch.setenv("TINYCNN_DATA_DIR", str(tmp_path / "fashion"))  # Fashion-MNIST's
    archive = TinyArchive(tiny)

    def first(**options):
        # verify=False: the copies differ, so no one set of checksums fits them all.
        return first_pixel(load(tiny, archive, verify=False, **options))

    assert first(data_dir=tmp_path / "argument") == 0
    assert first() == 1
    monkeypatch.delenv("TINYCNN_MNIST_DIR")
    assert first() == 2


def test_user_cache_is_its_own_folder(tmp_path):
    assert cache_dir() == tmp_path / "xdg-cache" / "tinycnn" / "mnist"


def test_not_found_lists_every_place_and_the_fixes(tmp_path, tiny, archive):
    tiny.write(tmp_path / "partial", names=NAMES[:3])
    with pytest.raises(DatasetNotFoundError) as caught:
        load(tiny, archive, data_dir=tmp_path / "partial", mirrors=mnist.MIRRORS,
             archive=mnist.ARCHIVE)
    lines = str(caught.value).splitlines()
    assert lines[:6] == [
        "MNIST was not found. Places tried, in order:",
        f"  1. load_data(data_dir=...) {tmp_path / 'partial'}: missing t10k-labels-idx1-ubyte "
        "(plain or .gz) or mnist.npz",
        "  2. $TINYCNN_MNIST_DIR: not given",
        f"  3. user cache {cache_dir()}: no such folder",
        "  4. download: not attempted (download=False)",
        "Fix it in one of two ways:",
    ]
    assert "set TINYCNN_MNIST_DIR to a folder holding train-images-idx3-ubyte" in lines[6]
    assert lines[6].endswith("(each plain or .gz), or mnist.npz;")
    assert lines[7].startswith("  - allow the download: load_data(download=True) on a machine "
                               "that can reach https://storage.googleapis.com/tensorflow/"
                               "tf-keras-datasets/mnist.npz or https://ossci-datasets")
    assert "apt-get" not in str(caught.value)  # Debian has no package of the digits


# Never wrong data.

def test_wrong_archive_raises_naming_it_and_verify_false_loads_it(tmp_path, tiny, archive):
    other = TinyFashion(fill=5)
    folder = TinyArchive(other).write(tmp_path / "other")
    with pytest.raises(ChecksumError) as caught:
        load(tiny, archive, data_dir=folder)
    message = str(caught.value)
    assert message.startswith(f"{folder / 'mnist.npz'}: SHA-256 of the file is ")
    assert f"expected {archive.sha256}" in message and "verify=False" in message
    assert not (folder / "mnist.npz.verified").exists()
    other.check(load(tiny, archive, data_dir=folder, verify=False))


def test_wrong_idx_file_names_mnist(tmp_path, tiny, archive):
    folder = TinyFashion(fill=5).write(tmp_path / "other")
    with pytest.raises(ChecksumError, match="is not MNIST"):
        load(tiny, archive, data_dir=folder)


@pytest.mark.parametrize("damage, complaint", [
    (lambda data: data[:100], "not a readable .npz archive"),
    (lambda data: b"not a zip file at all", "not a readable .npz archive"),
])
def test_damaged_archive_raises_naming_it(tmp_path, tiny, archive, damage, complaint):
    folder = archive.write(tmp_path / "mine")
    (folder / "mnist.npz").write_bytes(damage(archive.bytes))
    with pytest.raises(DataFormatError, match=f"{folder / 'mnist.npz'}: {complaint}"):
        load(tiny, archive, data_dir=folder, verify=False)


def test_archive_without_an_array_raises_naming_what_it_holds(tmp_path, tiny):
    buffer = io.BytesIO()
    np.savez(buffer, x_train=tiny.arrays[NAMES[0]], y_train=tiny.arrays[NAMES[1]])
    (tmp_path / "mnist.npz").write_bytes(buffer.getvalue())
    with pytest.raises(DataFormatError, match=r"has no x_test, y_test \(it holds x_train, "):
        load(tiny, TinyArchive(tiny), data_dir=tmp_path, verify=False)


def test_archive_of_mismatched_lengths_names_both_arrays(tmp_path, tiny, archive):
    tiny.arrays["t10k-labels-idx1-ubyte"] = tiny.arrays["t10k-labels-idx1-ubyte"][:9]
    TinyArchive(tiny).write(tmp_path)
    with pytest.raises(DataFormatError, match=r"mnist.npz\[x_test\] holds 10 images but .*"
                                              r"mnist.npz\[y_test\] holds 9 labels"):
        load(tiny, archive, data_dir=tmp_path, verify=False)


# Downloads, from the Fashion-MNIST tests' server on 127.0.0.1.

class ArchiveMirrorHandler(MirrorHandler):
    """Also serves /<behaviour>/mnist.npz: "good" the tiny data set's archive, "other"
    another data set's; any other behaviour is a 404."""

    def do_GET(self):
        _, behaviour, file_name = self.path.split("/", 2)
        if file_name != "mnist.npz":
            return super().do_GET()
        self.server.requests.append(self.path)
        body = self.server.archives.get(behaviour)
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def archive_mirror(mirror, archive):
    mirror.RequestHandlerClass = ArchiveMirrorHandler  # read anew for every request
    mirror.archives = {"good": archive.bytes, "other": TinyArchive(TinyFashion(fill=4)).bytes}
    return mirror


def download(tiny, tiny_archive, server, archive_behaviours, idx_behaviours, **options):
    """``load`` from the server: the archive from each of ``archive_behaviours`` in turn, then
    the IDX files from each of ``idx_behaviours``."""
    options.setdefault("archive", NpzArchive(
        "mnist.npz", tiny_archive.sha256, tuple(f"{server.url}/{b}/" for b in archive_behaviours)))
    return load(tiny, tiny_archive, download=True, timeout=5,
                mirrors=[f"{server.url}/{behaviour}/" for behaviour in idx_behaviours], **options)


def test_download_of_the_archive_fills_the_cache_with_idx_files(tiny, archive, archive_mirror):
    tiny.check(download(tiny, archive, archive_mirror, ["good"], ["good"]))
    assert archive_mirror.requests == ["/good/mnist.npz"]  # one file, not four
    assert files_under(cache_dir()) == sorted([*NAMES, *(f"{name}.verified" for name in NAMES)])
    for name in NAMES:
        assert hashlib.sha256((cache_dir() / name).read_bytes()).hexdigest() == tiny.sha256[name]
    tiny.check(download(tiny, archive, archive_mirror, ["good"], ["good"]))
    assert len(archive_mirror.requests) == 1  # the second load is served by the cache


def test_idx_mirror_is_used_when_the_archive_fails(tiny, archive, archive_mirror):
    tiny.check(download(tiny, archive, archive_mirror, ["missing", "other"], ["good"]))
    assert archive_mirror.requests[:2] == ["/missing/mnist.npz", "/other/mnist.npz"]
    assert sorted(archive_mirror.requests[2:]) == sorted(f"/good/{name}.gz" for name in NAMES)


def test_archive_whose_arrays_are_not_the_idx_data_is_refused(tiny, archive, archive_mirror):
    # The file matches the archive's checksum, but its arrays are another data set's: writing
    # them into the cache would store files that fail their own check on the next load.
    other = TinyArchive(TinyFashion(fill=4))
    archive_mirror.archives["other"] = other.bytes
    url = f"{archive_mirror.url}/other/mnist.npz"
    with pytest.raises(DatasetNotFoundError) as caught:
        download(tiny, archive, archive_mirror, [], [],
                 archive=NpzArchive("mnist.npz", other.sha256, (f"{archive_mirror.url}/other/",)))
    assert f"download {url}: array x_train is not MNIST's train-images-idx3-ubyte" in str(
        caught.value)
    assert files_under(cache_dir()) == []


def test_failed_downloads_are_all_listed_and_leave_nothing(tiny, archive, archive_mirror):
    with pytest.raises(DatasetNotFoundError) as caught:
        download(tiny, archive, archive_mirror, ["missing", "other"], ["wrong"])
    message = str(caught.value)
    assert f"download {archive_mirror.url}/missing/mnist.npz: HTTP 404" in message
    assert f"download {archive_mirror.url}/other/mnist.npz: SHA-256 of the file is" in message
    assert (f"download {archive_mirror.url}/wrong/train-images-idx3-ubyte.gz: SHA-256 of the "
            "decompressed IDX bytes") in message
    assert files_under(cache_dir()) == []


def test_default_sources_are_keras_and_torchvision():
    # keras/src/datasets/mnist.py: origin and file_hash.
    assert mnist.ARCHIVE == NpzArchive(
        "mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
        ("https://storage.googleapis.com/tensorflow/tf-keras-datasets/",))
    assert mnist.MIRRORS == ("https://ossci-datasets.s3.amazonaws.com/mnist/",)
    assert mnist.FILE_NAMES == NAMES
