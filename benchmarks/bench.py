"""Speed and memory of tinycnn, side by side with TensorFlow/Keras and PyTorch on the CPU.

    python benchmarks/bench.py                      # everything except the slow ones
    python benchmarks/bench.py train inference      # only the side-by-side comparison
    python benchmarks/bench.py --threads 2 --repeats 7 all

Sections:
    train      training images/s of the notebook's model at batch 32 and 128, in tinycnn,
               TensorFlow/Keras and PyTorch (those installed: pip install .[bench])
    inference  images/s of prediction at batch 1000, the same three
    layers     tinycnn's forward and backward time per layer, and its share of a step
    kernels    each Numba kernel against its NumPy twin (seed-model shapes) and the textbook loops
    compile    first use with an empty Numba cache, and import + first step with a warm one
    epoch      one epoch of fit (48,000 images, batch 32), as the study runs it
    memory     peak memory of the study (1 epoch on the full data), in a child process
    explain    each explanation (saliency, grad_cam, occlusion, smoothgrad, integrated_gradients)
               of 100 images, and the explorer page of 100 images, milliseconds
Results go to benchmarks/results/latest.json and latest.md (a markdown table for
docs/performance.md).

How train and inference stay fair (one pass covers both):
- Every library runs in a process of its own (benchmarks/worker.py) that imports only that
  library and NumPy, with the environment this script was started with, so that no thread
  pool or environment variable of one library touches another (OMP_WAIT_POLICY=PASSIVE, which
  tinycnn's import once set, slows PyTorch by about a fifth). A worker that loaded another
  library is refused; this script imports tinycnn only after the side-by-side pass.
- Each library keeps its own default thread settings; --threads N, only when given, limits
  every library alike (tinycnn: Numba, BLAS and the model's workers; TensorFlow: intra- and
  inter-op threads; PyTorch: torch.set_num_threads). Every process reports the settings it
  ran with.
- The same model, data (np.random.default_rng(0)), batch sizes and warm-up for all. A library
  with several usual ways to train or predict (Keras: train_on_batch and fit; predict and
  calling the model) has each timed and is reported at its fastest (highest median).
- --repeats rounds, one process per library per round, in an order that rotates each round.
  Speeds on a small shared machine move by 10-40% between runs: the tables give medians with
  the min-max beside them, and the ratio tinycnn / best peer of one sitting is the figure to
  quote.
The other sections are tinycnn-only and run in this process.
"""

import argparse
import importlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from models import LIBRARIES, TinycnnRunner, installed  # noqa: E402  (imports no library)

# The environment the user started us with, taken before anything imports tinycnn: every
# worker gets exactly this one.
USER_ENVIRONMENT = dict(os.environ)

SECTIONS = ["train", "inference", "layers", "kernels", "compile", "epoch", "memory", "explain"]
DEFAULT_SECTIONS = ["train", "inference", "layers", "kernels", "compile", "explain"]
SIDE_BY_SIDE = ["train", "inference"]
NOT_INSTALLED = "not installed (pip install .[bench])"


def settings(threads, model_threads):
    """What decides tinycnn's speed in this process (the tinycnn-only sections)."""
    import numba
    from threadpoolctl import threadpool_info

    blas = [f"{p['internal_api']} {p.get('version')} ({p['num_threads']} threads)"
            for p in threadpool_info() if p["user_api"] == "blas"]
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet
        layer = "not started"
    return {
        "numpy": np.__version__,
        "numba": numba.__version__,
        "numba_threading_layer": layer,
        "numba_threads": numba.get_num_threads(),
        "blas": "; ".join(blas),
        "threads": threads or "library default",
        "tinycnn_model": model_threads,
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
        "OPENBLAS_THREAD_TIMEOUT": os.environ.get("OPENBLAS_THREAD_TIMEOUT"),
    }


def _cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def set_threads(threads):
    """Numba's (at most) and BLAS's thread counts in this process, to ``threads``."""
    import numba
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    return threadpool_limits(limits=threads)


def summarise(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": len(values)}


def fake_data(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, n)


# ---- train and inference: every library in its own process, in rotating rounds -------------
def run_worker(library, options):
    """One worker process for ``library``; returns its JSON result."""
    command = [sys.executable, str(HERE / "worker.py"), library, *options]
    done = subprocess.run(command, env=USER_ENVIRONMENT, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-25:])
        raise RuntimeError(f"{' '.join(command)} failed (exit {done.returncode}):\n{tail}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    others = [module for name, (module, _) in LIBRARIES.items() if name != library]
    intruders = [module for module in result["libraries_loaded"] if module in others]
    if intruders:
        raise RuntimeError(f"the {library} worker also loaded {', '.join(intruders)}: "
                           "its figures would not be its own")
    return result


def _compact(settings):
    environment = settings.get("environment") or {}
    parts = [f"{key} {value}" for key, value in settings.items()
             if key not in ("environment", "pid")]
    parts.append("environment: " + (", ".join(f"{k}={v}" for k, v in environment.items())
                                    or "no thread variables set"))
    return "; ".join(parts)


def bench_side_by_side(sections, repeats, threads=None, workers=None, quick=False,
                       libraries=tuple(LIBRARIES)):
    """Images/s of every installed library, one worker process per library and round.
    ``workers``: tinycnn's Sequential.workers (default: ``threads`` if given, else its own)."""
    present = [library for library in libraries if installed(library)]
    for library in libraries:
        if library not in present:
            print(f"  {LIBRARIES[library][1]}: {NOT_INSTALLED}, skipped")
    options = ["--sections", *sections]
    options += ["--threads", str(threads)] if threads else []
    options += ["--quick"] if quick else []
    runs = {library: [] for library in present}
    orders = []
    for round_index in range(repeats):
        shift = round_index % max(1, len(present))
        order = present[shift:] + present[:shift]
        orders.append(order)
        for library in order:
            extra = ["--workers", str(workers)] if library == "tinycnn" and workers else []
            result = run_worker(library, options + extra)
            runs[library].append(result)
            figures = "; ".join(f"{measure}: " + ", ".join(f"{rate:,.0f} {way}"
                                                            for way, rate in ways.items())
                                for measure, ways in result["results"].items())
            print(f"  round {round_index + 1}/{repeats} {result['name']:10s} {figures}")
            print(f"    {result['name']} {result['version']}: {_compact(result['settings'])}")
    return summarise_side_by_side(runs, libraries, orders, quick)


def summarise_side_by_side(runs, libraries, orders, quick):
    """Medians per library, way and measure; each library's fastest way; tinycnn / best peer."""
    summary = {"quick": quick, "rounds": orders, "libraries": {}, "measures": {}, "ratios": {}}
    for library in libraries:
        results = runs.get(library, [])
        summary["libraries"][library] = {
            "name": LIBRARIES[library][1],
            "version": results[0]["version"] if results else None,
            "status": "measured" if results else NOT_INSTALLED,
            "settings": [result["settings"] for result in results],
            "images": {"train": results[0]["train_images"],
                       "inference": results[0]["inference_images"]} if results else None,
        }
        for measure in (results[0]["results"] if results else {}):
            ways = {way: summarise([result["results"][measure][way] for result in results])
                    for way in results[0]["results"][measure]}
            best = max(ways, key=lambda way: ways[way]["median"])
            summary["measures"].setdefault(measure, {})[library] = {
                **ways[best], "way": best, "ways": ways}
    for measure, figures in summary["measures"].items():
        peers = {library: r for library, r in figures.items() if library != "tinycnn"}
        if "tinycnn" in figures and peers:
            peer = max(peers, key=lambda library: peers[library]["median"])
            summary["ratios"][measure] = {
                "peer": peer, "tinycnn / best": figures["tinycnn"]["median"]
                / peers[peer]["median"]}
    return summary


def side_by_side_tables(summary):
    """Markdown: the comparison table, then every way each library was timed."""
    libraries = summary["libraries"]

    def title(library):
        info = libraries[library]
        version = ".".join(info["version"].split("+")[0].split(".")[:2]) if info["version"] else ""
        return f"{info['name']} {version}".strip() if library != "tinycnn" else "tinycnn"

    lines = ["| measure | " + " | ".join(title(library) for library in libraries)
             + " | tinycnn / best |", "|---" * (len(libraries) + 2) + "|"]
    for measure, figures in summary["measures"].items():
        cells = []
        for library in libraries:
            r = figures.get(library)
            if r is None:
                cells.append(libraries[library]["status"])
                continue
            way = f", {r['way']}" if len(r["ways"]) > 1 else ""
            cells.append(f"{r['median']:,.0f} ({r['min']:,.0f}-{r['max']:,.0f}){way}")
        ratio = summary["ratios"].get(measure)
        cells.append(f"{ratio['tinycnn / best']:.2f}x (vs {libraries[ratio['peer']]['name']})"
                     if ratio else "-")
        lines.append(f"| {measure}, images/s | " + " | ".join(cells) + " |")
    lines += ["", "| library | measure | way | images/s, median | min-max | runs |",
              "|---|---|---|---|---|---|"]
    for measure, figures in summary["measures"].items():
        for library in libraries:
            for way, r in figures.get(library, {}).get("ways", {}).items():
                lines.append(f"| {title(library)} | {measure} | {way} | {r['median']:,.0f} | "
                             f"{r['min']:,.0f}-{r['max']:,.0f} | {r['runs']} |")
    return lines


def side_by_side_settings(summary):
    """Markdown bullets: each library's version and the settings of its first process."""
    lines = []
    for info in summary["libraries"].values():
        if info["settings"]:
            lines.append(f"- {info['name']} {info['version']}: {_compact(info['settings'][0])}")
        else:
            lines.append(f"- {info['name']}: {info['status']}")
    return lines


# ---- tinycnn-only sections, in this process -----------------------------------------------
def _time_layers(model, x, y, steps, forward, backward):
    """Add each layer's forward and backward seconds over ``steps`` training steps."""
    for _ in range(steps):
        out = x
        for layer in model.layers:
            start = time.perf_counter()
            out = layer.forward(out, training=True)
            forward[layer.name] += time.perf_counter() - start
        start = time.perf_counter()
        dout = model.loss.gradient_wrt_logits(y, out)  # out: the probabilities
        dout = model.layers[-1].backward_from_preactivation(dout)
        backward[model.layers[-1].name] += time.perf_counter() - start
        for layer in reversed(model.layers[:-1]):
            start = time.perf_counter()
            dout = layer.backward(dout)
            backward[layer.name] += time.perf_counter() - start
        start = time.perf_counter()
        model.optimizer.step([layer.params for layer in model.layers],
                             [layer.grads for layer in model.layers])
        backward["loss + optimizer"] += time.perf_counter() - start


def bench_layers(repeats, batch_size=32, steps=100):
    """Forward and backward milliseconds per layer in a training step (tinycnn only)."""
    model = TinycnnRunner().model
    x, y = fake_data(batch_size)
    x = x.astype(np.float32)
    for _ in range(10):
        model.train_on_batch(x, y)
    names = [layer.name for layer in model.layers] + ["loss + optimizer"]
    totals = {name: {"forward": [], "backward": []} for name in names}
    for _ in range(repeats):
        forward = dict.fromkeys(names, 0.0)
        backward = dict.fromkeys(names, 0.0)
        _time_layers(model, x, y, steps, forward, backward)
        for name in names:
            totals[name]["forward"].append(forward[name] / steps * 1e3)
            totals[name]["backward"].append(backward[name] / steps * 1e3)
    results = {name: {kind: statistics.median(v) for kind, v in parts.items()}
               for name, parts in totals.items()}
    step = sum(r["forward"] + r["backward"] for r in results.values())
    print(f"  one step at batch {batch_size}: {step:.2f} ms")
    for name, r in results.items():
        share = (r["forward"] + r["backward"]) / step
        r["share"] = share
        print(f"  {name:18s} forward {r['forward']:6.3f} ms  backward {r['backward']:6.3f} ms"
              f"  {share:6.1%}")
    return {"step_ms": step, "layers": results}


def _time_call(function, args, repeats, calls):
    function(*args)
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            function(*args)
        runs.append((time.perf_counter() - start) / calls * 1e3)
    return statistics.median(runs)


def bench_kernels(repeats):
    """Milliseconds per call: Numba kernel, NumPy twin, and (tiny shapes) the textbook loops."""
    from tinycnn.kernels import NUMBA, NUMPY, loops

    rng = np.random.default_rng(0)
    conv1_in = rng.random((32, 28, 28, 1), dtype=np.float32)
    conv2_in = rng.random((32, 13, 13, 32), dtype=np.float32)
    pool_in = rng.random((32, 26, 26, 32), dtype=np.float32)
    dcols = rng.random((32 * 11 * 11, 288), dtype=np.float32)
    pool = (2, 2, 2, 2, 0, 0, 13, 13)  # kh, kw, S_h, S_w, pad_h, pad_w, out_h, out_w
    pooled, argmax = NUMBA.maxpool_forward(pool_in, *pool)
    z = rng.standard_normal((32 * 26 * 26, 32)).astype(np.float32)
    bias = rng.standard_normal(32).astype(np.float32)
    p, g = rng.random(147584, dtype=np.float32), rng.random(147584, dtype=np.float32)
    cases = {
        "im2col conv1 (32,28,28,1)": ("im2col", (conv1_in, 3, 3, 1, 1, 0, 0, 26, 26)),
        "im2col conv2 (32,13,13,32)": ("im2col", (conv2_in, 3, 3, 1, 1, 0, 0, 11, 11)),
        "col2im conv2": ("col2im", (dcols, conv2_in.shape, 3, 3, 1, 1, 0, 0, 11, 11)),
        "maxpool forward (32,26,26,32)": ("maxpool_forward", (pool_in, *pool)),
        "maxpool backward": ("maxpool_backward", (pooled, argmax, pool_in.shape, *pool)),
        "bias + relu (21632,32)": ("bias_relu", (z, bias)),
        "relu backward (21632,32)": ("relu_backward", (z, z)),
        "adam update (147,584)": ("adam_update", (p, g, np.zeros_like(p), np.zeros_like(p),
                                                  1e-3, 0.9, 0.999, 1e-7)),
    }
    results = {}
    for label, (name, args) in cases.items():
        fast = _time_call(getattr(NUMBA, name), args, repeats, 20)
        slow = _time_call(getattr(NUMPY, name), args, repeats, 5)
        results[label] = {"numba_ms": fast, "numpy_ms": slow, "speedup": slow / fast}
        print(f"  {label:32s} numba {fast:7.3f} ms  numpy {slow:7.3f} ms  x{slow / fast:5.1f}")
    # The textbook loops are pure Python: compare on a tiny batch only.
    x = rng.random((2, 10, 10, 3))
    W, b = rng.random((3, 3, 3, 4)), rng.random(4)
    loop_ms = _time_call(loops.conv2d_forward_loops, (x, W, b, (1, 1), "valid"), 1, 1)

    def conv_im2col(x, W, b):
        cols = NUMBA.im2col(x, 3, 3, 1, 1, 0, 0, 8, 8)
        return cols @ W.reshape(-1, 4) + b

    fast = _time_call(conv_im2col, (x, W, b), repeats, 50)
    results["conv forward (2,10,10,3), 4 filters: loops vs im2col+GEMM"] = {
        "numba_ms": fast, "loops_ms": loop_ms, "speedup": loop_ms / fast}
    print(f"  {'conv (2,10,10,3): loops':32s} im2col+GEMM {fast:7.3f} ms  loops {loop_ms:7.1f} ms"
          f"  x{loop_ms / fast:5.0f}")
    results.update(bench_winograd(repeats))
    return results


# The study's conv layers: (H, W, C_in) -> F filters, 3x3, "valid", ReLU.
STUDY_CONVS = {"conv2d": ((28, 28, 1), 32), "conv2d_1": ((13, 13, 32), 64),
               "conv2d_2": ((5, 5, 64), 128)}


def conv_multiplies(algorithm, batch, image_shape, filters):
    """Multiplies in one of a 3x3 "valid" conv's three matrix products (forward, dW or dx):
    im2col N*H_out*W_out * 9*C*F; Winograd F(2x2, 3x3) 16 * T*C*F, T = N * its 2x2 tiles."""
    h, w, c = image_shape
    out_h, out_w = h - 2, w - 2
    if algorithm == "im2col":
        return batch * out_h * out_w * 9 * c * filters
    return 16 * batch * (-(-out_h // 2)) * (-(-out_w // 2)) * c * filters


def bench_winograd(repeats, calls=10):
    """im2col against Winograd F(2x2, 3x3) in each conv layer of the study's model, forward
    and backward (bias + ReLU included; conv2d, the first layer, computes no dx), at batch 32
    and 128: milliseconds per call, the two layers alternating, medians of ``repeats`` runs
    of ``calls`` calls, with the multiplies of each (markdown puts them in a table of their
    own)."""
    from tinycnn.layers import Conv2D

    rng = np.random.default_rng(0)
    results = {}
    for batch in (32, 128):
        for name, (shape, filters) in STUDY_CONVS.items():
            x = rng.random((batch, *shape), dtype=np.float32)
            dout = rng.standard_normal((batch, shape[0] - 2, shape[1] - 2, filters))
            dout = dout.astype(np.float32)
            layers = {}
            for algorithm in ("im2col", "winograd"):
                layer = Conv2D(filters, 3, activation="relu", algorithm=algorithm)
                layer.build(shape, np.random.default_rng(1))
                layer.needs_input_grad = name != "conv2d"
                layers[algorithm] = layer
            times = {(algorithm, kind): [] for algorithm in layers
                     for kind in ("forward", "backward")}
            for _ in range(repeats):
                for algorithm, layer in layers.items():
                    times[algorithm, "forward"].append(
                        _time_call(layer.forward, (x, True), 1, calls))  # training=True
                    times[algorithm, "backward"].append(
                        _time_call(layer.backward, (dout,), 1, calls))
            products = {"forward": 1, "backward": 2 if name != "conv2d" else 1}
            for kind, count in products.items():
                im2col = statistics.median(times["im2col", kind])
                winograd = statistics.median(times["winograd", kind])
                multiplies = {algorithm: count * conv_multiplies(algorithm, batch, shape,
                                                                 filters)
                              for algorithm in layers}
                label = f"{name} {kind} batch {batch}: Winograd vs im2col"
                results[label] = {"winograd_ms": winograd, "im2col_ms": im2col,
                                  "winograd_multiplies": multiplies["winograd"],
                                  "im2col_multiplies": multiplies["im2col"]}
                print(f"  {name:8s} {kind:8s} batch {batch:3d}: im2col {im2col:7.3f} ms "
                      f"({multiplies['im2col'] / 1e6:5.1f} M multiplies)  Winograd "
                      f"{winograd:7.3f} ms ({multiplies['winograd'] / 1e6:5.1f} M)  "
                      f"x{im2col / winograd:4.2f}")
    return results


_FIRST_STEP = """
import time
start = time.perf_counter()
import sys; sys.path.insert(0, {here!r})
import numpy as np
from models import tinycnn_model
model = tinycnn_model()
x = np.random.default_rng(0).random((32, 28, 28, 1), dtype=np.float32)
model.train_on_batch(x, np.arange(32) % 10)
model.predict(x)
print(time.perf_counter() - start)
"""


def bench_compile():
    """Seconds from a fresh interpreter to a finished first training step: cold Numba cache
    (everything compiles) and warm (compiled kernels loaded from disk)."""
    code = _FIRST_STEP.format(here=str(HERE))
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        runs = [float(subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                     capture_output=True, text=True).stdout)
                for _ in range(3)]
    results = {"cold_s": runs[0], "warm_s": statistics.median(runs[1:])}
    print(f"  import + first step: cold cache {runs[0]:.2f} s, warm cache "
          f"{results['warm_s']:.2f} s")
    return results


def bench_epoch(repeats):
    """One epoch of fit as the study runs it: 48,000 images at batch 32 (random data)."""
    x, y = fake_data(60000)
    runs = []
    for _ in range(max(1, repeats // 2)):
        model = TinycnnRunner().model
        model.fit(x[:1000], y[:1000], epochs=1, verbose=0)
        start = time.perf_counter()
        model.fit(x, y, epochs=1, batch_size=32, validation_split=0.2, verbose=0)
        runs.append(time.perf_counter() - start)
    print(f"  one epoch (48,000 images + 12,000 validation): {statistics.median(runs):.1f} s")
    return summarise(runs)


def bench_memory():
    """Peak resident memory (MiB) of the whole study for one epoch, in a child process."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run([sys.executable, str(HERE.parent / "examples" / "fashion_mnist.py"),
                        "--epochs", "1", "--out", out], check=True, capture_output=True)
        seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  study with 1 epoch: peak memory {peak_mib:.0f} MiB, {seconds:.0f} s")
    return {"peak_mib": peak_mib, "seconds": seconds}


def bench_explain(repeats, images=100):
    """Milliseconds for each explanation of ``images`` images at its default settings (the
    notebook's model, its predicted classes; the target is under 2 s each): saliency and
    Grad-CAM (one forward and backward pass), occlusion (169 patch positions: one forward pass
    each), SmoothGrad (25 noisy copies) and integrated gradients (50 steps): one forward and
    backward pass each; and the explorer page (tinycnn.viz.explore: every layer's output, the
    explanations for every class, the page written; the target is under 10 s)."""
    from tinycnn.explain import (
        grad_cam,
        integrated_gradients,
        occlusion,
        saliency,
        smoothgrad,
    )
    from tinycnn.viz.explore import explore

    model = TinycnnRunner().model.build()
    x, y = fake_data(images)
    folder = tempfile.TemporaryDirectory()

    def explorer(model, x):  # the whole page: values, every explanation, writing it
        return explore(model, x, y[:len(x)], folder.name)

    results = {}
    for name, explain in (("saliency", saliency), ("grad_cam", grad_cam),
                          ("occlusion", occlusion), ("smoothgrad", smoothgrad),
                          ("integrated_gradients", integrated_gradients),
                          ("explorer page", explorer)):
        explain(model, x[:2])  # Numba compiles (or loads) the kernels on the first call
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            explain(model, x)
            runs.append((time.perf_counter() - start) * 1e3)
        results[name] = summarise(runs)
        print(f"  {name:20s} {images} images: {statistics.median(runs):7.1f} ms "
              f"({min(runs):.1f}-{max(runs):.1f})")
    folder.cleanup()
    return results


# ---- report -------------------------------------------------------------------------------
def markdown(results):
    info = results["settings"]
    lines = [f"Measured {info['date']} on {info['machine']}, Python {info['python']}. "
             f"Command: `{info['command']}`.", ""]
    if "side_by_side" in results:
        summary = results["side_by_side"]
        images = next((i["images"] for i in summary["libraries"].values() if i["images"]), None)
        rounds = len(summary["rounds"])
        lines.append(f"Each library in its own process, {rounds} round"
                     f"{'s' if rounds != 1 else ''} in rotating order; medians (min-max) of "
                     "images/s"
                     + (f" (--quick: {images['train']:,} training and {images['inference']:,} "
                        "inference images; the figures mean little)" if summary["quick"] else "")
                     + "; a library's fastest way is its figure.")
        lines += ["", *side_by_side_tables(summary), "", "Settings of each library's process:",
                  *side_by_side_settings(summary), ""]
    if "tinycnn" in results:
        t = results["tinycnn"]
        lines += [f"tinycnn-only sections, in one process: numpy {t['numpy']}, numba "
                  f"{t['numba']} ({t['numba_threading_layer']}, {t['numba_threads']} threads), "
                  f"{t['blas']}; threads: {t['threads']}; the model's "
                  + ", ".join(f"{k} {v}" for k, v in t["tinycnn_model"].items())
                  + f"; OMP_WAIT_POLICY {t['OMP_WAIT_POLICY']}.", ""]
    if "layers" in results:
        lines += [f"One training step at batch 32: {results['layers']['step_ms']:.2f} ms", "",
                  "| layer | forward ms | backward ms | share |", "|---|---|---|---|"]
        for name, r in results["layers"]["layers"].items():
            lines.append(f"| {name} | {r['forward']:.3f} | {r['backward']:.3f} | "
                         f"{r['share']:.1%} |")
    if "kernels" in results:
        lines += ["", "| kernel | Numba ms | NumPy twin ms | speed-up |", "|---|---|---|---|"]
        convs = {name: r for name, r in results["kernels"].items() if "winograd_ms" in r}
        for name, r in results["kernels"].items():
            if name in convs:
                continue
            slow = r.get("numpy_ms", r.get("loops_ms"))
            lines.append(f"| {name} | {r['numba_ms']:.3f} | {slow:.3f} | {r['speedup']:.1f}x |")
        if convs:
            lines += ["", "| study conv | im2col ms | Winograd ms | im2col / Winograd | "
                      "multiplies im2col / Winograd |", "|---|---|---|---|---|"]
            for name, r in convs.items():
                lines.append(f"| {name} | {r['im2col_ms']:.3f} | {r['winograd_ms']:.3f} | "
                             f"{r['im2col_ms'] / r['winograd_ms']:.2f}x | "
                             f"{r['im2col_multiplies'] / 1e6:.1f}M / "
                             f"{r['winograd_multiplies'] / 1e6:.1f}M |")
    if "compile" in results:
        lines += ["", f"- import + first training step: {results['compile']['cold_s']:.1f} s "
                  f"with an empty Numba cache, {results['compile']['warm_s']:.2f} s warm"]
    if "epoch" in results:
        lines.append(f"- one epoch of fit (48,000 images, batch 32, with validation): "
                     f"{results['epoch']['median']:.1f} s")
    if "memory" in results:
        lines.append(f"- peak memory of the study (1 epoch, full data): "
                     f"{results['memory']['peak_mib']:.0f} MiB")
    if "explain" in results:
        lines.append("- explanations of 100 images (medians): " + ", ".join(
            f"{name} {times['median']:.0f} ms" for name, times in results["explain"].items()))
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sections", nargs="*", choices=SECTIONS + ["all"], metavar="SECTION",
                        help=f"any of {', '.join(SECTIONS)}, or all "
                             f"(default: {' '.join(DEFAULT_SECTIONS)})")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for every library alike (tinycnn: Numba's, BLAS's and the "
                             "model's workers; TensorFlow: intra- and inter-op; PyTorch: "
                             "torch.set_num_threads); default: each library's own")
    parser.add_argument("--workers", type=int, default=None,
                        help="tinycnn's Sequential.workers (threads that share out a batch in "
                             "predict; default: --threads if given, else the model's own)")
    parser.add_argument("--repeats", type=int, default=5,
                        help="rounds of the side-by-side sections, timed runs of the others")
    parser.add_argument("--libraries", nargs="+", choices=list(LIBRARIES),
                        default=list(LIBRARIES), help="who takes part in train and inference "
                        "(default: all; those not installed are reported and skipped)")
    parser.add_argument("--quick", action="store_true",
                        help="train and inference on 320 and 2,000 images: a smoke test")
    parser.add_argument("--out", type=Path, default=HERE / "results",
                        help="folder for latest.json and latest.md")
    args = parser.parse_args(argv)
    if min(args.threads or 1, args.workers or 1, args.repeats) < 1:
        parser.error("--threads, --workers and --repeats must be at least 1")
    sections = args.sections or DEFAULT_SECTIONS
    if "all" in sections:
        sections = SECTIONS

    results = {"settings": {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {_cpu_name()}",
        "python": platform.python_version(),
        "command": "python benchmarks/bench.py " + " ".join(sys.argv[1:] if argv is None
                                                            else argv),
    }}
    for key, value in results["settings"].items():
        print(f"{key:24s} {value}")
    side = [section for section in SIDE_BY_SIDE if section in sections]
    if side:  # first, while this process has not imported tinycnn nor started a thread pool
        print(f"[{' + '.join(side)}: side by side, one process per library and round]")
        summary = bench_side_by_side(side, args.repeats, args.threads, args.workers,
                                     args.quick, args.libraries)
        results["side_by_side"] = summary
        print("\n".join(side_by_side_tables(summary)))

    runners = {"layers": lambda: bench_layers(args.repeats),
               "kernels": lambda: bench_kernels(args.repeats),
               "compile": bench_compile,
               "epoch": lambda: bench_epoch(args.repeats),
               "memory": bench_memory,
               "explain": lambda: bench_explain(args.repeats)}
    alone = [section for section in SECTIONS if section in sections and section in runners]
    if alone:
        # First, as a user would, before Numba or BLAS start their threads: it may set them up.
        importlib.import_module("tinycnn")
        TinycnnRunner.threads = args.threads
        TinycnnRunner.workers = args.workers
        if args.threads:
            set_threads(args.threads)
        model_threads = TinycnnRunner().thread_settings()
        results["tinycnn"] = settings(args.threads, model_threads)
        for key, value in results["tinycnn"].items():
            print(f"{key:24s} {value}")
    for section in alone:
        print(f"[{section}]")
        results[section] = runners[section]()
    if "tinycnn" in results:  # the threading layer is known once a kernel has run
        results["tinycnn"]["numba_threading_layer"] = settings(
            args.threads, model_threads)["numba_threading_layer"]

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=2))
    (args.out / "latest.md").write_text(markdown(results))
    print(f"written: {args.out / 'latest.json'}, {args.out / 'latest.md'}")


if __name__ == "__main__":
    main()
