"""Speed and memory of tinycnn, side by side with PyTorch on the CPU.

    python benchmarks/bench.py                      # everything except the slow ones
    python benchmarks/bench.py train inference      # only some sections
    python benchmarks/bench.py --threads 2 --repeats 7 all

Sections:
    train      training images/s of the notebook's model at batch 32 and 128, each framework's
               repeats interleaved so both see the same machine
    inference  images/s of predict at batch 1000
    layers     tinycnn's forward and backward time per layer, and its share of a step
    kernels    each Numba kernel against its NumPy twin (seed-model shapes) and the textbook loops
    compile    first use with an empty Numba cache, and import + first step with a warm one
    epoch      one epoch of fit (48,000 images, batch 32), as the study runs it
    memory     peak memory of the study (1 epoch on the full data), in a child process
    explain    saliency maps and Grad-CAM of 100 images (tinycnn.explain), milliseconds
Results go to benchmarks/results/latest.json and latest.md (a markdown table for the README).
Timings are medians of --repeats runs, with the best run and the spread beside them: on a
small shared machine the speed of a whole process can jump between two levels, so tinycnn's and
PyTorch's runs alternate and their ratio is the figure to compare.
"""

import argparse
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

# models imports tinycnn, which sets OMP_WAIT_POLICY before Numba starts its threads.
from models import TinycnnRunner, available_runners  # noqa: E402

from tinycnn.threads import kernel_threads  # noqa: E402

SECTIONS = ["train", "inference", "layers", "kernels", "compile", "epoch", "memory", "explain"]
DEFAULT_SECTIONS = ["train", "inference", "layers", "kernels", "compile", "explain"]


def settings(threads):
    """What decides the speed: thread counts and the environment variables that tune them."""
    import numba
    from threadpoolctl import threadpool_info

    blas = [f"{p['internal_api']} {p.get('version')} ({p['num_threads']} threads)"
            for p in threadpool_info() if p["user_api"] == "blas"]
    info = {
        "date": date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {_cpu_name()}",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "numba_threading_layer": numba.threading_layer(),
        "numba_threads": numba.get_num_threads(),
        "blas": "; ".join(blas),
        "threads": threads,
        "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY"),
        "OPENBLAS_THREAD_TIMEOUT": os.environ.get("OPENBLAS_THREAD_TIMEOUT"),
        "command": "python benchmarks/bench.py " + " ".join(sys.argv[1:]),
    }
    try:
        import torch

        info["torch"] = f"{torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        info["torch"] = "not installed (pip install .[bench])"
    return info


def _cpu_name():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def set_threads(threads):
    """Numba's (at most), BLAS's and PyTorch's thread counts, all to ``threads``."""
    import numba
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(threads)
    limiter = threadpool_limits(limits=threads)
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass
    return limiter


def summarise(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": len(values)}


def fake_data(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((n, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, n)


# ---- sections -----------------------------------------------------------------------------
def bench_train(repeats, batch_sizes=(32, 128), steps_images=3200):
    """Images/s of training steps; every framework's repeat runs in turn (A, B, A, B, ...)."""
    results = {}
    x, y = fake_data(steps_images)
    for batch_size in batch_sizes:
        runners = [cls() for cls in available_runners()]
        steps = steps_images // batch_size
        batches = [np.arange(i * batch_size, (i + 1) * batch_size) for i in range(steps)]
        for runner in runners:  # warm up: compile, allocate, fill caches
            for batch in batches[:10]:
                runner.train_step(x[batch], y[batch])
        rates = {runner.name: [] for runner in runners}
        for _ in range(repeats):
            for runner in runners:
                start = time.perf_counter()
                for batch in batches:
                    runner.train_step(x[batch], y[batch])
                rates[runner.name].append(steps * batch_size / (time.perf_counter() - start))
        for name, values in rates.items():
            results[f"{name}, batch {batch_size}"] = summarise(values)
            print(f"  train  {name:8s} batch {batch_size:4d}: {statistics.median(values):8.0f} "
                  f"images/s  ({min(values):.0f}-{max(values):.0f})")
    return results


def bench_inference(repeats, batch_size=1000, images=10000):
    results = {}
    x, _ = fake_data(images)
    runners = [cls() for cls in available_runners()]
    for runner in runners:
        runner.predict(x[:batch_size])
    rates = {runner.name: [] for runner in runners}
    for _ in range(repeats):
        for runner in runners:
            start = time.perf_counter()
            for i in range(0, images, batch_size):
                runner.predict(x[i:i + batch_size])
            rates[runner.name].append(images / (time.perf_counter() - start))
    for name, values in rates.items():
        results[f"{name}, batch {batch_size}"] = summarise(values)
        print(f"  infer  {name:8s} batch {batch_size:4d}: {statistics.median(values):8.0f} "
              f"images/s  ({min(values):.0f}-{max(values):.0f})")
    return results


def _time_layers(model, x, y, steps, forward, backward):
    """Add each layer's forward and backward seconds over ``steps`` training steps."""
    for _ in range(steps):
        out = x
        for layer in model.layers:
            start = time.perf_counter()
            out = layer.forward(out, training=True)
            forward[layer.name] += time.perf_counter() - start
        start = time.perf_counter()
        dout = model.loss.gradient_wrt_logits(out, y)
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
        with kernel_threads(TinycnnRunner.kernel_threads):  # as train_on_batch runs them
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
        with kernel_threads(TinycnnRunner.kernel_threads):  # as the model runs them
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
    """Milliseconds for the saliency maps and the Grad-CAM heatmaps of ``images`` images (the
    notebook's model, its predicted classes; the target is under a second each)."""
    from tinycnn.explain import grad_cam, saliency

    model = TinycnnRunner().model.build()
    x, _ = fake_data(images)
    results = {}
    for name, explain in (("saliency", saliency), ("grad_cam", grad_cam)):
        explain(model, x[:2])  # Numba compiles (or loads) the kernels on the first call
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            explain(model, x)
            runs.append((time.perf_counter() - start) * 1e3)
        results[name] = summarise(runs)
        print(f"  {name:8s} {images} images: {statistics.median(runs):7.1f} ms "
              f"({min(runs):.1f}-{max(runs):.1f})")
    return results


# ---- report -------------------------------------------------------------------------------
def markdown(results):
    info = results["settings"]
    lines = [f"Measured {info['date']} on {info['machine']}; {info['threads']} threads "
             f"(tinycnn's Numba kernels: {info['tinycnn_kernel_threads']}); "
             f"numpy {info['numpy']}, numba {info['numba']} ({info['numba_threading_layer']}), "
             f"PyTorch {info['torch']}. Command: `{info['command']}`.", ""]
    for section in ("train", "inference"):
        if section in results:
            lines += ["| " + section + " | images/s, median | best run | spread | runs |",
                      "|---|---|---|---|---|"]
            for name, r in results[section].items():
                lines.append(f"| {name} | {r['median']:,.0f} | {r['max']:,.0f} | "
                             f"{r['min']:,.0f}-{r['max']:,.0f} | {r['runs']} |")
            lines.append("")
    for section in ("train", "inference"):
        if section in results:
            for batch in sorted({k.split("batch ")[1] for k in results[section]}):
                ours = results[section].get(f"tinycnn, batch {batch}")
                theirs = results[section].get(f"pytorch, batch {batch}")
                if ours and theirs:
                    lines.append(f"- {section}, batch {batch}: tinycnn / PyTorch = "
                                 f"{ours['median'] / theirs['median']:.2f}x (medians), "
                                 f"{ours['max'] / theirs['max']:.2f}x (best runs)")
    if "layers" in results:
        lines += ["", f"One training step at batch 32: {results['layers']['step_ms']:.2f} ms", "",
                  "| layer | forward ms | backward ms | share |", "|---|---|---|---|"]
        for name, r in results["layers"]["layers"].items():
            lines.append(f"| {name} | {r['forward']:.3f} | {r['backward']:.3f} | "
                         f"{r['share']:.1%} |")
    if "kernels" in results:
        lines += ["", "| kernel | Numba ms | NumPy twin ms | speed-up |", "|---|---|---|---|"]
        for name, r in results["kernels"].items():
            slow = r.get("numpy_ms", r.get("loops_ms"))
            lines.append(f"| {name} | {r['numba_ms']:.3f} | {slow:.3f} | {r['speedup']:.1f}x |")
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
        lines.append("- saliency maps / Grad-CAM of 100 images: "
                     f"{results['explain']['saliency']['median']:.0f} / "
                     f"{results['explain']['grad_cam']['median']:.0f} ms (medians)")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sections", nargs="*", choices=SECTIONS + ["all"], metavar="SECTION",
                        help=f"any of {', '.join(SECTIONS)}, or all "
                             f"(default: {' '.join(DEFAULT_SECTIONS)})")
    parser.add_argument("--threads", type=int, default=os.cpu_count(),
                        help="threads for Numba, BLAS and PyTorch alike (default: all cores)")
    parser.add_argument("--kernel-threads", type=int, default=1,
                        help="threads for tinycnn's Numba kernels (Sequential.kernel_threads; "
                             "default 1, tinycnn's default: see tinycnn/threads.py)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per figure")
    parser.add_argument("--out", type=Path, default=HERE / "results",
                        help="folder for latest.json and latest.md")
    args = parser.parse_args(argv)
    if min(args.threads, args.kernel_threads, args.repeats) < 1:
        parser.error("--threads, --kernel-threads and --repeats must be at least 1")
    TinycnnRunner.kernel_threads = args.kernel_threads
    sections = args.sections or DEFAULT_SECTIONS
    if "all" in sections:
        sections = SECTIONS

    set_threads(args.threads)
    results = {"settings": settings(args.threads)}
    results["settings"]["tinycnn_kernel_threads"] = args.kernel_threads
    for key, value in results["settings"].items():
        print(f"{key:24s} {value}")
    runners = {"train": lambda: bench_train(args.repeats),
               "inference": lambda: bench_inference(args.repeats),
               "layers": lambda: bench_layers(args.repeats),
               "kernels": lambda: bench_kernels(args.repeats),
               "compile": bench_compile,
               "epoch": lambda: bench_epoch(args.repeats),
               "memory": bench_memory,
               "explain": lambda: bench_explain(args.repeats)}
    for section in SECTIONS:
        if section in sections:
            print(f"[{section}]")
            results[section] = runners[section]()

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=2))
    (args.out / "latest.md").write_text(markdown(results))
    print(f"written: {args.out / 'latest.json'}, {args.out / 'latest.md'}")


if __name__ == "__main__":
    main()
