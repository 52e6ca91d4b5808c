"""The docs site (docs/, mkdocs.yml) is checked like code.

- It builds with ``mkdocs build --strict``: a broken link or anchor, a missing reference target or
  a docstring that does not render fails.
- Every public class, function and module has a reference entry: this walks ``tinycnn.__all__``,
  ``tinycnn.layers.__all__``, the other public modules' names, ``tinycnn.viz``,
  ``tinycnn.datasets`` and every name of ``tinycnn.keras``, and looks each up in the built
  site's inventory (``objects.inv``, what mkdocstrings rendered). A new public name without an
  entry fails here.
- The Python code blocks of every page (outside the reference) run, page by page, in order, in
  one namespace per page, as a reader would paste them; ``fashion_mnist.load_data`` gives a small
  part of the real data so the pages that train stay quick. A block that is only for show is
  written ```` ```text ```` or ```` ```bash ````, never ```` ```python ````.
- The home page, a tutorial with many pictures and a reference page open in headless Chromium:
  every ``<img>`` loads (``naturalWidth > 0``) and nothing is logged as an error.
"""

import ast
import importlib
import inspect
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import types
import zlib
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import tinycnn  # noqa: E402
from tinycnn.datasets import fashion_mnist  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES_WITH_CODE = sorted(
    path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")
    if "reference" not in path.parts and "```python" in path.read_text(encoding="utf-8"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TRAIN_IMAGES, TEST_IMAGES = 600, 200  # what load_data gives the pages


# ---- the build --------------------------------------------------------------------------------
def build_site(site_dir):
    """``mkdocs build --strict`` into site_dir; its output when it fails."""
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's notice, not ours
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=environment, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return site_dir


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return build_site(tmp_path_factory.mktemp("site"))


def inventory(site_dir):
    """The names mkdocstrings rendered, from the site's Sphinx-style objects.inv."""
    data = (site_dir / "objects.inv").read_bytes()
    body = zlib.decompress(data.split(b"\n", 4)[4]).decode("utf-8")
    return {line.split(" ", 1)[0] for line in body.splitlines() if line.strip()}


def test_the_site_builds_strictly_with_every_page_in_the_nav(site):
    assert (site / "index.html").is_file()
    for page in DOCS.rglob("*.md"):
        html = page.relative_to(DOCS).with_suffix(".html")
        assert (site / html).is_file(), f"{page} was not built"


# ---- every public name has a reference entry --------------------------------------------------
def canonical(obj):
    """Where an object is defined: the path its reference entry is rendered under."""
    if inspect.ismodule(obj):
        return obj.__name__
    return f"{obj.__module__}.{obj.__qualname__}"


def documentable(obj):
    return inspect.isclass(obj) or inspect.isroutine(obj) or inspect.ismodule(obj)


def module_names(module):
    """A module's public names: its __all__, or else the classes and functions defined in it
    (imported helpers belong to the module that defines them)."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, obj in vars(module).items()
            if not name.startswith("_") and (inspect.isclass(obj) or inspect.isfunction(obj))
            and obj.__module__ == module.__name__]


def public_objects():
    """{"tinycnn.layers.Conv2D": <class>, ...}: every public class, function and module."""
    found = {}

    def walk(path, obj, depth=0):
        if not documentable(obj) or path in found:
            return
        found[path] = obj
        if inspect.ismodule(obj) and obj.__name__.startswith("tinycnn") and depth < 2:
            for name in module_names(obj):
                walk(f"{path}.{name}", getattr(obj, name), depth + 1)

    walk("tinycnn", tinycnn)
    for module in ("tinycnn.viz", "tinycnn.datasets", "tinycnn.kernels.im2col",
                   "tinycnn.kernels.pooling", "tinycnn.kernels.bias_relu", "tinycnn.kernels.adam",
                   "tinycnn.kernels.loops"):
        walk(module, importlib.import_module(module))
    keras = importlib.import_module("tinycnn.keras")
    found["tinycnn.keras"] = keras

    def names(path, obj):
        """Its groups are namespaces (keras.optimizers.schedules one inside another): each of
        their names counts."""
        if documentable(obj) or isinstance(obj, str):
            return {path: obj}
        return {key: value for member in dir(obj)
                for key, value in names(f"{path}.{member}", getattr(obj, member)).items()}

    for name in keras.__all__:
        found.update(names(f"tinycnn.keras.{name}", getattr(keras, name)))
    return {path: obj for path, obj in found.items() if not isinstance(obj, str)}


def test_every_public_name_has_a_reference_entry(site):
    rendered = inventory(site)
    missing = sorted(f"{path} (defined as {canonical(obj)})"
                     for path, obj in public_objects().items()
                     if path not in rendered and canonical(obj) not in rendered)
    assert not missing, ("public names without a reference entry (add a ::: directive to a "
                         "page of docs/reference/): " + ", ".join(missing))


def test_the_name_walk_finds_what_it_should():
    """The walk above is not vacuous: it reaches layers, losses, kernels, viz and keras."""
    names = public_objects()
    for path in ("tinycnn.Sequential", "tinycnn.layers.Conv2D", "tinycnn.losses.log_softmax",
                 "tinycnn.gradcheck.check_layer", "tinycnn.explain.checkup",
                 "tinycnn.kernels.get_kernels", "tinycnn.kernels.im2col.col2im_reference",
                 "tinycnn.viz.plot_history", "tinycnn.datasets.fashion_mnist.load_data",
                 "tinycnn.keras.layers.MaxPooling2D", "tinycnn.keras.utils.to_categorical"):
        assert path in names, path
    assert len(names) > 150


def test_a_missing_entry_is_caught(tmp_path):
    """Remove one directive from a copy of the docs: the inventory loses that name."""
    copy = tmp_path / "project"
    shutil.copytree(DOCS, copy / "docs", ignore=shutil.ignore_patterns("images"))
    (copy / "docs" / "images").symlink_to(DOCS / "images")
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    (copy / "mkdocs.yml").write_text(config.replace("paths: [.]", f"paths: [{ROOT}]"),
                                     encoding="utf-8")
    page = copy / "docs" / "reference" / "metrics.md"
    text = page.read_text(encoding="utf-8")
    assert "::: tinycnn.metrics\n" in text
    page.write_text(text.replace("::: tinycnn.metrics\n",
                                 "::: tinycnn.metrics\n    options:\n      members: [accuracy]\n"),
                    encoding="utf-8")
    environment = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    subprocess.run([sys.executable, "-m", "mkdocs", "build", "--no-strict", "--site-dir",
                    str(tmp_path / "out")],
                   cwd=copy, capture_output=True, timeout=300, env=environment, check=True)
    rendered = inventory(tmp_path / "out")
    assert "tinycnn.metrics.accuracy" in rendered
    assert "tinycnn.metrics.confusion_matrix" not in rendered


# ---- the pages' code runs ------------------------------------------------------------------------
def python_blocks(page):
    """The ```python blocks of a page, in order, each with the line it starts on."""
    text = (DOCS / page).read_text(encoding="utf-8")
    return [(text[:match.start()].count("\n") + 2, match.group(1))
            for match in re.finditer(r"^```python\n(.*?)^```", text, flags=re.S | re.M)]


@pytest.fixture(scope="module")
def small_fashion():
    """The first 600 training and 200 test images and labels of the real data set."""
    try:
        (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(download=False)
    except Exception as error:  # noqa: BLE001 - any failure to find the data
        pytest.skip(f"Fashion-MNIST is not installed or cached here: {error}")
    return ((x_train[:TRAIN_IMAGES], y_train[:TRAIN_IMAGES]),
            (x_test[:TEST_IMAGES], y_test[:TEST_IMAGES]))


@pytest.fixture
def reader(small_fashion, tmp_path, monkeypatch):
    """Where a page's code runs: a fresh folder, the small data, the layer registry put back."""
    monkeypatch.chdir(tmp_path)  # pages save model files and pictures where they run
    monkeypatch.setattr(fashion_mnist, "load_data", lambda *args, **kwargs: small_fashion)
    saved = dict(tinycnn.layers.LAYER_CLASSES)
    yield tmp_path
    tinycnn.layers.LAYER_CLASSES.clear()
    tinycnn.layers.LAYER_CLASSES.update(saved)


def run_page(page):
    """Run every ```python block of ``page`` in one namespace; return the namespace."""
    namespace = {"__name__": "__docs__"}
    for line, code in python_blocks(page):
        source = "\n" * (line - 1) + code  # tracebacks point at the page's own lines
        exec(compile(source, f"docs/{page}", "exec"), namespace)
    return namespace


def printed_dicts(text):
    return [ast.literal_eval(line) for line in text.splitlines() if line.startswith("{")]


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES_WITH_CODE)
def test_the_code_on_the_page_runs(page, reader, capsys):
    namespace = run_page(page)
    printed = capsys.readouterr().out
    check = PAGE_CHECKS.get(page)
    if check is not None:
        check(namespace, printed)


def check_own_layer(namespace, printed):
    errors = printed_dicts(printed)
    assert [sorted(e) for e in errors] == [["x"], ["beta", "gamma", "x"], ["scale", "x"],
                                           ["scale", "x"]]
    assert all(value < 1e-6 for e in errors for value in e.values()), errors
    assert printed.rstrip().endswith("True")  # the loaded model predicts the same
    assert "Non-trainable params: 8" in printed
    assert type(namespace["model2"].layers[1]).__name__ == "Center"


def check_getting_started(namespace, printed):
    assert "test accuracy: " in printed
    x = namespace["x_test"][:8]
    np.testing.assert_array_equal(namespace["same"].predict(x), namespace["model"].predict(x))


def check_keras(namespace, printed):
    assert "50890" in printed.split()
    assert namespace["model"].epochs_trained == 3
    assert namespace["predictions_single"].shape == (1, 10)
    assert "epoch 1: ['acc', 'loss', 'val_acc', 'val_loss']" in printed


def check_see_inside(namespace, printed):
    assert namespace["maps"].shape == (100, 28, 28, 1)
    assert namespace["cams"].shape == (100, 11, 11)
    assert namespace["drops"].shape == (10, 28, 28)
    assert namespace["every"].shape == (10, 10, 28, 28)
    assert namespace["smooth"].shape == namespace["shares"].shape == (10, 28, 28, 1)
    assert Path("17_where_the_network_looks.png").stat().st_size > 0
    assert namespace["report"].ok


def check_explorer(namespace, printed):
    page = Path("explorer/explorer.html")
    assert str(page) in printed and page.stat().st_size > 0
    assert page.read_text(encoding="utf-8").count("<script") == 2


def check_numpy_twins(namespace, printed):
    assert printed.strip().endswith("True")


def check_im2col(namespace, printed):
    for name in ("im2col.gif", "im2col.html", "col2im.gif", "maxpool.gif"):
        assert Path(name).stat().st_size > 0, name


def check_training(namespace, printed):
    assert "0.164" in printed
    assert isinstance(namespace["model2"], tinycnn.Sequential)


PAGE_CHECKS = {
    "tutorials/own-layer.md": check_own_layer,
    "getting-started.md": check_getting_started,
    "tutorials/keras.md": check_keras,
    "tutorials/see-inside.md": check_see_inside,
    "tutorials/explorer.md": check_explorer,
    "engine/numpy-twins.md": check_numpy_twins,
    "engine/im2col.md": check_im2col,
    "guides/training.md": check_training,
}


def test_every_page_with_code_is_run_and_checked():
    assert set(PAGE_CHECKS) <= set(PAGES_WITH_CODE)
    assert {"tutorials/own-layer.md", "tutorials/keras.md", "tutorials/study.md",
            "getting-started.md"} <= set(PAGES_WITH_CODE)


# ---- the built pages in a real browser ---------------------------------------------------------
class Browser:
    """Headless Chromium driven over its DevTools pipe (file descriptors 3 and 4), with nothing
    but the standard library: open a page, collect what it logs, ask it questions."""

    def __init__(self):
        self.profile = tempfile.TemporaryDirectory()
        to_chromium, self._to_us = os.pipe(), os.pipe()
        read_commands, self._write = to_chromium
        self._read, write_replies = self._to_us

        def descriptors():  # in the child: commands on fd 3, replies on fd 4
            # Copies first: either pipe end may itself be fd 3 or 4, and dup2 onto the same fd
            # would leave it close-on-exec.
            commands, replies = os.dup(read_commands), os.dup(write_replies)
            os.dup2(commands, 3)
            os.dup2(replies, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--remote-debugging-pipe", f"--user-data-dir={self.profile.name}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=descriptors, close_fds=False)
        os.close(read_commands)
        os.close(write_replies)
        self.messages, self.events, self.next_id = queue.Queue(), [], 0
        threading.Thread(target=self._reader, daemon=True).start()
        targets = self.call("Target.getTargets")["targetInfos"]
        page = next(t["targetId"] for t in targets if t["type"] == "page")
        self.session = self.call("Target.attachToTarget", targetId=page, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=self.session)

    def _reader(self):
        buffer = b""
        while chunk := os.read(self._read, 65536):
            buffer += chunk
            *complete, buffer = buffer.split(b"\0")
            for message in complete:
                self.messages.put(json.loads(message))

    def _wait(self, done, timeout=60):
        while True:
            message = self.messages.get(timeout=timeout)
            if "id" not in message:
                self.events.append(message)
            if done(message):
                return message

    def call(self, method, session=None, **params):
        self.next_id += 1
        command = {"id": self.next_id, "method": method, "params": params}
        if session:
            command["sessionId"] = session
        os.write(self._write, json.dumps(command).encode() + b"\0")
        reply = self._wait(lambda m: m.get("id") == command["id"])
        assert "error" not in reply, (method, reply["error"])
        return reply["result"]

    def open(self, url):
        """Go to url; wait for its load event and a moment more for late errors."""
        self.events.clear()
        self.call("Page.navigate", session=self.session, url=url)
        self._wait(lambda m: m.get("method") == "Page.loadEventFired")
        self.evaluate("new Promise(done => setTimeout(done, 500))")

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", session=self.session, expression=expression,
                           awaitPromise=True, returnByValue=True)
        return result["result"].get("value")

    def errors(self):
        """What the page logged as an error: exceptions, console.error, failed loads."""
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(params["exceptionDetails"].get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(" ".join(str(a.get("value", a.get("description")))
                                      for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                entry = params["entry"]
                found.append(f"{entry.get('text')} {entry.get('url', '')}".strip())
        return found

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:  # noqa: BLE001 - the browser may close before it answers
            pass
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self._write)
        self.profile.cleanup()


IMAGES = ("JSON.stringify(Array.from(document.images, "
          "image => [image.getAttribute('src'), image.complete, image.naturalWidth]))")


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("chromium is not installed")
    chromium = Browser()
    yield chromium
    chromium.close()


@pytest.mark.browser
@pytest.mark.parametrize("page, least_images", [("index.html", 1), ("tutorials/study.html", 7),
                                                ("reference/layers.html", 0)])
def test_built_pages_load_every_image_and_log_no_error(site, browser, page, least_images):
    browser.open((site / page).as_uri())
    images = json.loads(browser.evaluate(IMAGES))
    assert len(images) >= least_images, images
    broken = [src for src, complete, width in images if not (complete and width > 0)]
    assert not broken, f"{page}: images that did not load: {broken}"
    assert browser.errors() == [], f"{page} logged errors"
    if page.startswith("reference/"):  # the reference itself rendered, not an empty page
        assert browser.evaluate(
            "document.getElementById('tinycnn.layers.conv2d.Conv2D') !== null") is True


@pytest.mark.browser
def test_the_browser_check_sees_a_broken_image_and_an_error(site, browser, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<img src="missing.png"><script>console.error("boom")</script>',
                    encoding="utf-8")
    browser.open(page.as_uri())
    images = json.loads(browser.evaluate(IMAGES))
    assert images == [["missing.png", True, 0]]
    assert any("boom" in error for error in browser.errors())


def test_the_docstring_converter_keeps_layout():
    sys.path.insert(0, str(DOCS / "hooks"))
    try:
        plain = importlib.import_module("plain_docstrings")
    finally:
        sys.path.remove(str(DOCS / "hooks"))
    text = ("Dense.\n\nForward:   z = x @ W + b\nBackward:  dW = x.T @ dz\n\n"
            "Shapes: H_out*W_out*F, keyed <i>/<name>, ``a_b*c``.\nWith:\n    code = 1\nAfter.")
    markdown = plain.markdown_of(text)
    assert "```text\nForward:   z = x @ W + b\nBackward:  dW = x.T @ dz\n```" in markdown
    assert r"H\_out\*W\_out\*F" in markdown and "&lt;i>" in markdown and "``a_b*c``" in markdown
    assert markdown.index("With:") < markdown.index("code = 1") < markdown.index("After.")
    assert isinstance(plain, types.ModuleType)
