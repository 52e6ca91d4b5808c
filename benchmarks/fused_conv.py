"""Experiment: conv2d_1 with its work done block by block, so that the big intermediate arrays
(im2col's cols, Winograd's V and M) stay in cache. Not part of the package; see
docs/engine/winograd.md, "What else was tried", for what it measured.

Issue 21 found that Winograd's 16 matrix multiplies beat im2col's one in conv2d_1 (batch 32,
13x13x32 -> 11x11x64) but its two transforms, which write V (16, T, C) and M (16, T, F) to
memory and read them back, ate the gain. Here each layer's forward and backward pass runs over
blocks of ``block`` images at a time, each block through every step before the next block
starts:

    im2col, blocked     cols_b = im2col(x_b);  z_b = cols_b @ W_mat;  bias + ReLU
                        backward: cols_b again; dW += cols_b.T @ dz_b; dx_b = col2im(dz_b @ W_mat.T)
    Winograd, blocked   V_b = B^T x_b B;  M_b = V_b @ U;  z_b = A^T M_b A;  bias + ReLU
                        backward: V_b again; dM_b = A dz_b A^T; dU += V_b^T @ dM_b;
                        dx_b = B (dM_b @ U^T) B^T
and "threads" runs the blocks on two threads (blocks 0, 2, 4... and 1, 3, 5...), each with a
one-thread BLAS, the partial dW added in a fixed order (the same bits for a seed).
Backward computes cols_b or V_b again instead of keeping them, so neither ever fills memory.

    python benchmarks/fused_conv.py layer [--batch 32] [--rounds 15]
        conv2d_1 forward and backward per variant, alternating, medians (ms)
    python benchmarks/fused_conv.py step VARIANT [--batch 32] [--steps 30]
        one process's training images/s for the study's model with conv2d_1 computed by
        VARIANT; the "ab" command runs these in separate processes, alternating:
    python benchmarks/fused_conv.py ab VARIANT... [--batch 32] [--rounds 5]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import tinycnn  # noqa: E402,F401  (sets the thread environment before NumPy's pools start)
from tinycnn.kernels import NUMBA as K  # noqa: E402
from tinycnn.parallel import one_blas_thread  # noqa: E402


# ---- the blocked passes -------------------------------------------------------------------
def _blocks(n, block):
    return [(start, min(start + block, n)) for start in range(0, n, block)]


def forward_blocked(layer, x, algorithm, block, threads=1):
    """conv2d_1's forward pass (bias + ReLU), block by block: out (N*H_out*W_out, F)."""
    geometry, W, b, f = layer.geometry, layer.params["W"], layer.params["b"], layer.filters
    rows = geometry.out_h * geometry.out_w
    out = np.empty((len(x) * rows, f), dtype=x.dtype)
    U = K.winograd_weights(W) if algorithm == "winograd" else None
    W_mat = W.reshape(-1, f)

    def one(piece):
        start, stop = piece
        xb = x[start:stop]
        if algorithm == "winograd":
            z = K.winograd_outputs(K.winograd_inputs(xb, *geometry) @ U, len(xb), *geometry)
        else:
            z = K.im2col(xb, *geometry) @ W_mat
        out[start * rows:stop * rows] = K.bias_relu(z, b)

    _run(one, _blocks(len(x), block), threads)
    return out, U


def backward_blocked(layer, x, out, dout, U, algorithm, block, threads=1):
    """conv2d_1's backward pass, block by block: (dx, dW, db); dW summed in block order."""
    geometry, W, f = layer.geometry, layer.params["W"], layer.filters
    rows = geometry.out_h * geometry.out_w
    dz = K.relu_backward(dout.reshape(out.shape), out)
    db = K.column_sums(dz)
    dx = np.empty_like(x)
    W_mat = W.reshape(-1, f)
    pieces = _blocks(len(x), block)
    partial = [None] * len(pieces)

    def one(index):
        start, stop = pieces[index]
        xb, dzb = x[start:stop], dz[start * rows:stop * rows]
        if algorithm == "winograd":
            V = K.winograd_inputs(xb, *geometry)
            dM = K.winograd_outputs_backward(dzb, *geometry)
            partial[index] = V.transpose(0, 2, 1) @ dM
            dV = dM @ U.transpose(0, 2, 1)
            dx[start:stop] = K.winograd_inputs_backward(dV, xb.shape, *geometry)
        else:
            cols = K.im2col(xb, *geometry)
            partial[index] = cols.T @ dzb
            dx[start:stop] = K.col2im(dzb @ W_mat.T, xb.shape, *geometry)

    _run(one, range(len(pieces)), threads)
    total = partial[0]
    for part in partial[1:]:  # a fixed order: the same bits for a seed
        total = total + part
    dW = K.winograd_weights_backward(total) if algorithm == "winograd" else total.reshape(W.shape)
    return dx, dW, db


_POOL = []


def _run(function, items, threads):
    items = list(items)
    if threads == 1:
        for item in items:
            function(item)
        return
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(threads))

    def share(k):
        for item in items[k::threads]:  # a fixed share of the blocks for each thread
            function(item)

    with one_blas_thread():
        list(_POOL[0].map(share, range(threads)))


VARIANTS = {  # name -> (algorithm, images per block, threads); block None: the layer as it is
    "im2col": ("im2col", None, 1),
    "winograd": ("winograd", None, 1),
    "im2col-b2": ("im2col", 2, 1), "im2col-b4": ("im2col", 4, 1),
    "im2col-b8": ("im2col", 8, 1),
    "winograd-b2": ("winograd", 2, 1), "winograd-b4": ("winograd", 4, 1),
    "winograd-b8": ("winograd", 8, 1),
    "im2col-b4-t2": ("im2col", 4, 2), "im2col-b8-t2": ("im2col", 8, 2),
    "im2col-b16-t2": ("im2col", 16, 2),
    "winograd-b2-t2": ("winograd", 2, 2), "winograd-b4-t2": ("winograd", 4, 2),
    "winograd-b8-t2": ("winograd", 8, 2), "winograd-b16-t2": ("winograd", 16, 2),
}


def patch(layer, variant):
    """Make Conv2D ``layer`` compute with ``variant`` (the experiment only: in place)."""
    algorithm, block, threads = VARIANTS[variant]
    layer.uses_winograd = algorithm == "winograd"
    if block is None:
        return layer
    state = {}

    def forward(x, training=False):
        out, U = forward_blocked(layer, x, algorithm, block, threads)
        state.update(x=x, out=out, U=U)
        g = layer.geometry
        return out.reshape(len(x), g.out_h, g.out_w, layer.filters)

    def backward(dout):
        dx, dW, db = backward_blocked(layer, state["x"], state["out"], dout, state["U"],
                                      algorithm, block, threads)
        layer.grads["W"], layer.grads["b"] = dW, db
        return dx

    layer.forward, layer.backward = forward, backward
    return layer


# ---- commands -----------------------------------------------------------------------------
def conv2d_1(variant, seed=1):
    from tinycnn.layers import Conv2D

    layer = Conv2D(64, 3, activation="relu")
    layer.build((13, 13, 32), np.random.default_rng(seed))
    layer.needs_input_grad = True
    return patch(layer, variant)


def time_calls(function, *args, calls=10):
    start = time.perf_counter()
    for _ in range(calls):
        function(*args)
    return (time.perf_counter() - start) / calls * 1e3


def layer_command(variants, batch, rounds):
    rng = np.random.default_rng(0)
    x = rng.random((batch, 13, 13, 32), dtype=np.float32)
    dout = rng.standard_normal((batch, 11, 11, 64)).astype(np.float32)
    layers = {name: conv2d_1(name) for name in variants}
    reference = layers[variants[0]]
    expected = (reference.forward(x, True), reference.backward(dout), reference.grads["W"])
    for name, layer in layers.items():  # the same numbers, up to rounding
        got = (layer.forward(x, True), layer.backward(dout), layer.grads["W"])
        for want, have in zip(expected, got, strict=True):
            error = np.linalg.norm(have - want) / np.linalg.norm(want)
            assert error < 1e-5, (name, error)
    times = {(name, kind): [] for name in variants for kind in ("forward", "backward")}
    for _ in range(rounds):
        wait_until_quiet()
        for name, layer in layers.items():
            times[name, "forward"].append(time_calls(layer.forward, x, True))
            times[name, "backward"].append(time_calls(layer.backward, dout))
    base = {kind: statistics.median(times[variants[0], kind])
            for kind in ("forward", "backward")}
    print(f"conv2d_1, batch {batch}, {rounds} rounds, medians (ms); ratio = {variants[0]} / it")
    for name in variants:
        fwd, bwd = (statistics.median(times[name, kind]) for kind in ("forward", "backward"))
        print(f"  {name:16s} forward {fwd:6.3f} (x{base['forward'] / fwd:4.2f})  backward "
              f"{bwd:6.3f} (x{base['backward'] / bwd:4.2f})  both x"
              f"{(base['forward'] + base['backward']) / (fwd + bwd):4.2f}")


def step_command(variant, batch, steps):
    from models import tinycnn_model

    model = tinycnn_model(seed=0)
    rng = np.random.default_rng(0)
    x = rng.random((batch, 28, 28, 1), dtype=np.float32)
    y = np.arange(batch) % 10
    model.train_on_batch(x, y)
    patch(model.layers[2], variant)  # conv2d_1
    for _ in range(3):
        model.train_on_batch(x, y)
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(steps):
            model.train_on_batch(x, y)
        runs.append(batch * steps / (time.perf_counter() - start))
    weights = np.concatenate([p.ravel() for p in model.get_weights()])
    print(f"{statistics.median(runs):.1f} {weights.sum():.9e}")


def cpu_busy(seconds=0.5):
    """The fraction of the machine's CPU time spent busy over ``seconds`` (/proc/stat)."""
    def sample():
        fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, total
    idle0, total0 = sample()
    time.sleep(seconds)
    idle1, total1 = sample()
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def wait_until_quiet(limit=0.1, patience=120):
    """Wait (up to ``patience`` seconds) until other processes leave the cores idle: the
    machine is shared, and a neighbour's busy core slows two-thread BLAS several times over."""
    start = time.perf_counter()
    while cpu_busy() > limit and time.perf_counter() - start < patience:
        time.sleep(1)


def ab_command(variants, batch, rounds, steps):
    speeds = {name: [] for name in variants}
    for _ in range(rounds):
        for name in variants:
            wait_until_quiet()
            result = subprocess.run([sys.executable, __file__, "step", name, "--batch",
                                     str(batch), "--steps", str(steps)], check=True,
                                    capture_output=True, text=True, env=os.environ)
            speeds[name].append(float(result.stdout.split()[0]))
    base = speeds[variants[0]]
    print(f"training step, batch {batch}, {rounds} rounds of separate processes, images/s "
          f"(medians); ratio per round against {variants[0]}, then its median")
    for name in variants:
        ratios = [s / b for s, b in zip(speeds[name], base, strict=True)]
        print(f"  {name:16s} {statistics.median(speeds[name]):7.0f}  x"
              f"{statistics.median(ratios):4.2f}  rounds "
              + " ".join(f"{r:4.2f}" for r in ratios))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("layer", "step", "ab"))
    parser.add_argument("variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    if args.command == "layer":
        layer_command(args.variants, args.batch, args.rounds)
    elif args.command == "step":
        step_command(args.variants[0], args.batch, args.steps)
    else:
        ab_command(args.variants, args.batch, args.rounds, args.steps)


if __name__ == "__main__":
    main()
