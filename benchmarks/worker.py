"""Time one library on the notebook's model, in a process of its own; print one JSON line.

    python benchmarks/worker.py tinycnn
    python benchmarks/worker.py tensorflow --threads 2
    python benchmarks/worker.py pytorch --quick

bench.py runs this once per library and round. The process imports only the library it times
(and NumPy), with the environment it was given: no thread or wait-policy variable is set here
(only KERAS_BACKEND=tensorflow, for TensorFlow's run), and thread counts change only when
--threads (or, for tinycnn, --workers) is given. Every library sees the
same fake data (np.random.default_rng(0)).

Measures, each timed once per process after a warm-up (10 steps at each batch size; one
1000-image predict), for every way the library offers (models.py):
    train, batch 32     training images/s, one pass over 3,200 images
    train, batch 128    the same at batch 128
    inference           images/s of prediction at batch 1000 over 10,000 images
--quick: 320 training and 2,000 inference images, for smoke tests (the figures mean little).
The JSON line: {"library", "name", "version", "libraries_loaded", "settings",
"results": {measure: {way: images/s}}, ...}.
"""

import argparse
import importlib
import json
import os
import platform
import sys
import time

import numpy as np
from models import LIBRARIES, RUNNERS

TRAIN_BATCH_SIZES = (32, 128)
INFERENCE_BATCH_SIZE = 1000
WARMUP_STEPS = 10
# Environment variables that change how the libraries' thread pools behave; reported if set.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "OMP_PROC_BIND", "KMP_BLOCKTIME",
                    "KMP_AFFINITY", "GOMP_SPINCOUNT", "OPENBLAS_NUM_THREADS",
                    "OPENBLAS_THREAD_TIMEOUT", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS",
                    "NUMBA_THREADING_LAYER", "TF_ENABLE_ONEDNN_OPTS", "TF_NUM_INTRAOP_THREADS",
                    "TF_NUM_INTEROP_THREADS")


def fake_data(n, seed=0):
    """n random images (n, 28, 28, 1) float32 in [0, 1) and labels (n,) int64 in [0, 10)."""
    rng = np.random.default_rng(seed)
    return rng.random((n, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, n)


# ---- thread settings, per library: applied only when asked, then reported -----------------
def set_threads(library, threads):
    """Limit ``library`` to ``threads`` threads, before it runs anything."""
    if library == "tinycnn":
        importlib.import_module("tinycnn")  # first, as a user would: it may set up threads
        import numba
        from threadpoolctl import threadpool_limits

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
        threadpool_limits(limits=threads, user_api="blas")  # holds until the process ends
    if library == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    if library == "pytorch":
        import torch

        torch.set_num_threads(threads)


def library_settings(library, runner):
    """The version and the thread settings ``library`` ran with (read after the timing, when
    every thread pool has started)."""
    if library == "tinycnn":
        import numba
        from threadpoolctl import threadpool_info

        import tinycnn

        try:
            layer = numba.threading_layer()
        except ValueError:  # no parallel kernel has run
            layer = "not started"
        blas = [f"{pool['internal_api']} {pool.get('version')} ({pool['num_threads']} threads)"
                for pool in threadpool_info() if pool["user_api"] == "blas"]
        return tinycnn.__version__, {
            "numba": numba.__version__, "numba_threading_layer": layer,
            "numba_threads": numba.get_num_threads(),
            **runner.thread_settings(), "blas": "; ".join(blas)}
    if library == "tensorflow":
        import keras
        import tensorflow as tf

        return tf.__version__, {
            "keras": f"{keras.__version__} ({keras.backend.backend()} backend)",
            # 0 means TensorFlow picks (about one thread per core for each pool)
            "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads()}
    import torch

    backend = [line.split(":", 1)[1].strip() for line in torch.__config__.parallel_info()
               .splitlines() if line.startswith("ATen parallel backend")]
    return torch.__version__, {
        "threads": torch.get_num_threads(), "interop_threads": torch.get_num_interop_threads(),
        "parallel_backend": backend[0] if backend else "unknown",
        "mkldnn": torch.backends.mkldnn.is_available()}


# ---- timing -------------------------------------------------------------------------------
def images_per_second(way, args, images):
    start = time.perf_counter()
    way(*args)
    return images / (time.perf_counter() - start)


def measure(runner, train_images, inference_images, sections):
    """{measure: {way: images/s}}: every way warmed up first, then each timed once."""
    results = {}
    if "train" in sections:
        x, y = fake_data(train_images)
        for batch_size in TRAIN_BATCH_SIZES:
            ways = {name: getattr(runner, name) for name in runner.TRAIN_WAYS}
            warm = WARMUP_STEPS * batch_size
            for way in ways.values():  # compile, trace, allocate, fill caches
                way(x[:warm], y[:warm], batch_size)
            timed = len(x) // batch_size * batch_size
            results[f"train, batch {batch_size}"] = {
                name: images_per_second(way, (x, y, batch_size), timed)
                for name, way in ways.items()}
    if "inference" in sections:
        x, _ = fake_data(inference_images)
        ways = {name: getattr(runner, name) for name in runner.PREDICT_WAYS}
        for way in ways.values():
            way(x[:INFERENCE_BATCH_SIZE], INFERENCE_BATCH_SIZE)
        timed = len(x) // INFERENCE_BATCH_SIZE * INFERENCE_BATCH_SIZE
        results[f"inference, batch {INFERENCE_BATCH_SIZE}"] = {
            name: images_per_second(way, (x, INFERENCE_BATCH_SIZE), timed)
            for name, way in ways.items()}
    return results


def run(library, threads=None, quick=False, sections=("train", "inference"), workers=None):
    """Time ``library``; returns the dict that main prints as JSON. ``workers``: the model's
    Sequential.workers, for tinycnn only (default: ``threads`` if given, else the model's)."""
    if threads:
        set_threads(library, threads)
    runner_class = RUNNERS[library]
    if library == "tinycnn":
        runner_class.threads = threads
        runner_class.workers = workers
    runner = runner_class()
    train_images, inference_images = (320, 2000) if quick else (3200, 10000)
    results = measure(runner, train_images, inference_images, sections)
    version, settings = library_settings(library, runner)
    settings = {"threads_requested": threads or "library default", **settings,
                "environment": {name: os.environ[name] for name in THREAD_VARIABLES
                                if name in os.environ},
                "numpy": np.__version__, "python": platform.python_version(),
                "pid": os.getpid()}
    # the check that this process ran one library only (bench.py refuses a result otherwise)
    loaded = sorted(module for module, _ in LIBRARIES.values() if module in sys.modules)
    return {"library": library, "name": LIBRARIES[library][1], "version": version,
            "libraries_loaded": loaded, "quick": quick, "train_images": train_images,
            "inference_images": inference_images, "settings": settings, "results": results}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("library", choices=list(RUNNERS))
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for the library (tinycnn: Numba's, BLAS's and the model's "
                             "workers; TensorFlow: intra- and inter-op; PyTorch: "
                             "torch.set_num_threads); default: the library's own")
    parser.add_argument("--workers", type=int, default=None,
                        help="tinycnn only: Sequential.workers, the threads predict uses "
                             "(default: --threads if given, else the model's)")
    parser.add_argument("--sections", nargs="+", choices=["train", "inference"],
                        default=["train", "inference"])
    parser.add_argument("--quick", action="store_true",
                        help="320 training and 2,000 inference images (a smoke test)")
    args = parser.parse_args(argv)
    if args.workers is not None and args.library != "tinycnn":
        parser.error("--workers is tinycnn's setting")
    if min(args.threads or 1, args.workers or 1) < 1:
        parser.error("--threads and --workers must be at least 1")
    result = run(args.library, args.threads, args.quick, args.sections, args.workers)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
