"""A training check-up: the checks experienced people run by hand when training goes wrong.

    initial loss     Before training, a classifier of K classes should be unsure: every class
                     near 1/K, so the cross-entropy near ln K (2.30 for 10 classes). Far above
                     it, the model starts out confidently wrong (weights too large, images not
                     scaled to [0, 1]); it then spends its first steps unlearning that.
    dead ReLUs       A ReLU whose input is negative for every image outputs 0 and passes no
                     gradient back, so it never learns again. Per layer: the share of units
                     (a Conv2D's channels, a Dense's units) that output 0 on every image, at
                     the start and after the update-size run (a learning rate too high
                     kills them within a few steps).
    backward         Each layer's backward, where it sits in the model, against central
                     differences of the loss along a random direction (backward_check.py):
                     names the layer whose gradient is wrong, such as a layer of yours.
    update size      r = ||P_after - P_before|| / ||P_before|| for one optimizer step, P all of
                     a layer's parameters, the largest of the first few steps. Around 1e-3
                     learns steadily (Adam's first steps run near 1e-2); near 1 each step is as
                     large as the weights themselves and training jumps about or diverges;
                     below 1e-6 nothing moves.
    overfit a batch  A model that works learns 20 images by heart (all right, loss below
                     ln(K) / 10) in a few hundred steps; one that cannot is broken whatever the
                     data (a wrong gradient, a learning rate far off, a layer that blocks the
                     signal).
    finite values    Every training step the check-up runs is watched layer by layer
                     (watched_step.py); the first layer output, gradient or weight holding a
                     NaN or an infinity is named, with its step.
Every check runs on copies of the model (model_copy.py): the caller's model, optimizer and
history stay exactly as they were. The verdicts and the printed table: checkup_report.py.

Shapes: x (N, H, W, C) or (N, H, W); y (N,) class ids or (N, K) one-hot, as fit takes them.
"""

import math

import numpy as np

from tinycnn.explain.backward_check import check_backward
from tinycnn.explain.checkup_report import Check, Checkup
from tinycnn.explain.inputs import checked_model
from tinycnn.explain.leaves import computing_layers, opened_up
from tinycnn.explain.logits import CHUNK
from tinycnn.explain.model_copy import copy_model
from tinycnn.explain.watched_step import watched_step

LOSS_IMAGES = 256  # images for the initial loss and the dead ReLUs
# One batch of UPDATE_IMAGES: the update size is measured at step UPDATE_STEPS, and the run goes
# on to STEADY_STEPS, watched for NaN and infinity (a learning rate far too high takes a few
# steps to overflow).
UPDATE_IMAGES, UPDATE_STEPS, STEADY_STEPS = 32, 5, 30
# Learned by heart: every image right (> 99%), and surely: loss below a tenth of ln K (for 10
# classes, 0.23: the true class at about 80%). Right answers alone come in a few steps on an
# easy task, long before anything has been memorised.
OVERFIT_IMAGES, OVERFIT_STEPS, OVERFIT_ACCURACY, OVERFIT_LOSS = 20, 200, 0.99, 0.1
OVERFIT_PROGRESS = 0.5  # short of 99%, a loss below half the first one is slow, not broken
# Share of a layer's ReLU units that never fire: at the start (warn, FAIL), and after the
# update-size run, whose steps on one batch leave some units unused without harm; there only
# a layer gone (almost) dark fails.
DEAD_WARN, DEAD_FAIL = 0.25, 0.5
DEAD_AFTER_WARN, DEAD_AFTER_FAIL = 0.5, 0.9
UPDATE_LOW, UPDATE_HIGH, UPDATE_FAIL = 1e-6, 1e-1, 1.0  # update / weight, per step
BACKWARD_IMAGES = 4  # the backward check runs in float64 on the NumPy twins: a few images


def checkup(model, x, y, print_fn=print):
    """Run the check-up of a built and compiled model on images x and labels y (a few hundred
    are plenty: the first 256 are used); print the table and return a Checkup."""
    checked_model(model, "checkup")
    if getattr(model, "loss", None) is None or getattr(model, "optimizer", None) is None:
        raise RuntimeError("checkup: the model is not compiled; call model.compile(loss=..., "
                           "optimizer=...) first: the check-up trains copies of it with the "
                           "same loss and optimizer settings")
    if getattr(model.loss, "activation", "softmax") != "softmax":
        # its checks (the first loss near ln K, the softmax's gradient) are a classifier's
        raise ValueError(f"checkup: it checks classifiers trained with a cross-entropy on a "
                         f"softmax; model {model.name!r} is trained with {model.loss.name!r}")
    x, y = model.prepare(x, y, what="checkup x")
    x, y = x[:LOSS_IMAGES], y[:LOSS_IMAGES]
    layers = [{"name": layer.name, "type": type(layer).__name__, "relu_units": 0,
               "dead_at_start": 0, "dead_after": None, "zeros": 0.0, "update_ratio": None}
              for layer in computing_layers(model)]
    checks = _run_checks(model, x, y, layers)
    title = (f'Training check-up of "{model.name}" on {len(x)} images, '
             f"{model.output_shape[-1]} classes")
    result = Checkup(title, checks, layers)
    if print_fn is not None:
        print_fn(str(result))
    return result


def _run_checks(model, x, y, layers):
    """Every check in the order of the table; fills ``layers``."""
    twin = copy_model(model)
    loss, dead_at_start = _loss_and_dead_relus(twin, x, y, layers)
    steps = {}  # run name -> (steps taken, first problem)
    update_check = _update_check(twin, x[:UPDATE_IMAGES], y[:UPDATE_IMAGES], layers, steps)
    _, problem = steps["update-size run"]
    dead_after = None if problem else _loss_and_dead_relus(twin, x, y, layers, "dead_after")[1]
    checks = [_initial_loss_check(model, loss),
              _dead_relu_check(twin, layers, dead_at_start, dead_after, len(x)),
              _backward_check(model, x[:BACKWARD_IMAGES], y[:BACKWARD_IMAGES]),
              update_check,
              _overfit_check(copy_model(model), x[:OVERFIT_IMAGES], y[:OVERFIT_IMAGES], steps)]
    return checks + [_finite_check(steps, model)]


def _class_ids(y):
    return y.argmax(axis=1) if y.ndim == 2 else y


# ---- the checks, one function each -----------------------------------------------------------
def _loss_and_dead_relus(model, x, y, layers, column="dead_at_start"):
    """(the loss on x, {layer index: share of its ReLU units that output 0 on every image}),
    in inference mode; fills ``column`` of ``layers`` (and "zeros" the first time). A layer
    called several times (shared) counts a unit as firing if it fires in any call."""
    row_of = {id(layer): index for index, layer in enumerate(computing_layers(model))}
    fired, zeros, values, outputs = {}, {}, {}, []

    def count_units(step, out):
        if getattr(step.layer, "activation", None) == "relu":
            index = row_of[id(step.layer)]
            channels = out.reshape(-1, out.shape[-1])  # a unit is a channel (or a unit)
            fired[index] = fired.get(index, False) | (channels > 0).any(axis=0)
            zeros[index] = zeros.get(index, 0) + int((channels == 0).sum())
            values[index] = values.get(index, 0) + channels.size

    with opened_up(model) as network:  # a model used as a layer: its own layers' units
        for start in range(0, len(x), CHUNK):
            outputs.append(network.forward(x[start:start + CHUNK], watch=count_units))
    for index, ever in fired.items():
        layers[index][column] = int((~ever).sum())
        if column == "dead_at_start":
            layers[index].update(relu_units=ever.size, zeros=zeros[index] / values[index])
    dead = {index: float((~ever).mean()) for index, ever in fired.items()}
    return model.loss(y, np.concatenate(outputs)), dead


def _dead_relu_check(model, layers, at_start, after, count):
    if not at_start:
        return Check("dead ReLUs", "skip", "no layer with a ReLU")
    # (share, index, moment, warn at, fail at) for every ReLU layer at each moment
    found = [(share, index, "at the start", DEAD_WARN, DEAD_FAIL)
             for index, share in at_start.items()]
    if after is not None:
        found += [(share, index, f"after {STEADY_STEPS} steps", DEAD_AFTER_WARN,
                   DEAD_AFTER_FAIL) for index, share in after.items()]
    share, index, when, warn_at, fail_at = max(
        found, key=lambda item: (item[0] >= item[4], item[0] >= item[3], item[0]))
    row = layers[index]
    unit = "channels" if len(computing_layers(model)[index].output_shape) == 3 else "units"
    dead_units = row["dead_at_start" if when == "at the start" else "dead_after"]
    where = (f"{row['name']}: {dead_units} of {row['relu_units']} ReLU {unit} ({share:.0%}) "
             f"output 0 on all {count} images {when}")
    if share >= fail_at and when == "at the start":
        return Check("dead ReLUs", "FAIL", f"{where}; they pass no gradient back and never "
                     "learn (biases far below 0?)")
    if share >= fail_at:
        return Check("dead ReLUs", "FAIL", f"{where}; training killed them (a learning rate "
                     "too high?)")
    if share >= warn_at:
        return Check("dead ReLUs", "warn", f"{where}; a share that large wastes the layer")
    return Check("dead ReLUs", "ok", f"at most {share:.0%} of a layer's ReLU units never fire "
                 f"({row['name']}, {when})")


def _initial_loss_check(model, loss):
    num_classes = model.output_shape[-1]
    chance = math.log(num_classes)
    said = f"loss {loss:.3f} on these images; ln({num_classes}) = {chance:.3f}"
    if not math.isfinite(loss):
        return Check("initial loss", "FAIL", f"loss {loss}: not finite before any training")
    if model.optimizer.iterations > 0:
        return Check("initial loss", "skip", f"{said}, but the model has trained "
                     f"{model.optimizer.iterations} steps: this check is for a new model")
    ratio = loss / chance
    if ratio > 2:
        return Check("initial loss", "FAIL", f"{said}: {ratio:.1f}x chance, confidently wrong "
                     "from the start (weights too large, or images not scaled to [0, 1]?)")
    if ratio > 1.25:
        return Check("initial loss", "warn", f"{said}: {ratio:.1f}x chance, the first "
                     "predictions are surer than they should be")
    if ratio < 0.8:
        return Check("initial loss", "warn", f"{said}: below chance before any training (do "
                     "the images give the labels away?)")
    return Check("initial loss", "ok", f"{said}: the first predictions are unsure, as they "
                 "should be")


def _backward_check(model, x, y):
    # Random images with the data's mean and spread, not the images themselves: pictures have
    # flat regions, and equal windows make exact ties in max pooling, where the loss has no
    # derivative for the central differences to measure.
    noise = np.random.default_rng(0).normal(x.mean(), x.std() or 1.0, x.shape)
    targets = y if y.ndim == 2 else np.eye(model.output_shape[-1])[y]
    worst, mismatch = check_backward(model, noise, targets)
    if mismatch is None:
        return Check("backward", "ok", f"every layer's gradients agree with central differences "
                     f"of the loss (float64, worst relative error {worst:.0e})")
    layer = mismatch.layer
    return Check("backward", "FAIL", f"{layer.name} ({type(layer).__name__}): its "
                 f"{mismatch.what} disagrees with central differences of the loss (relative "
                 f"error {mismatch.error:.2g}), the layers above it agree: its backward is wrong")


def _update_check(model, x, y, layers, steps):
    """STEADY_STEPS steps on one batch; each layer's largest update size in the first
    UPDATE_STEPS (fills ``layers``)."""
    leaves = computing_layers(model)
    taken, problem = 0, None
    for taken in range(1, STEADY_STEPS + 1):
        before = [_flat(layer.params) for layer in leaves] if taken <= UPDATE_STEPS else None
        problem = watched_step(model, x, y).problem
        if problem is not None:
            break
        if before is not None:
            _note_update_ratios(layers, leaves, before)
    steps["update-size run"] = (taken, problem)
    measured = [row for row in layers if row["update_ratio"] is not None]
    if not measured:
        if problem is not None:
            return Check("update size", "FAIL", f"step {taken}: {problem.describe()} is not "
                         "finite (see 'finite values')")
        return Check("update size", "skip", "no layer has weights")
    high = max(measured, key=lambda row: row["update_ratio"])
    low = min(measured, key=lambda row: row["update_ratio"])
    said = (f"largest step in the first {UPDATE_STEPS}: {high['update_ratio']:.1e} of the "
            f"weights ({high['name']}); smallest {low['update_ratio']:.1e} ({low['name']})")
    rate = model.optimizer.learning_rate
    if not high["update_ratio"] < UPDATE_FAIL:  # NaN too
        return Check("update size", "FAIL", f"{said}: steps as large as the weights; lower the "
                     f"learning rate ({rate:g})")
    if high["update_ratio"] > UPDATE_HIGH:
        return Check("update size", "warn", f"{said}: large steps; a lower learning rate "
                     f"({rate:g}) may train more steadily")
    if low["update_ratio"] < UPDATE_LOW:
        return Check("update size", "warn", f"{said}: {low['name']} barely moves")
    return Check("update size", "ok", f"{said}: steady (the rule of thumb says about 1e-3; "
                 "Adam's first steps run larger)")


def _note_update_ratios(rows, layers, before):
    """Keep in each row the largest ||P_after - P_before|| / ||P_before|| seen so far."""
    for row, layer, old in zip(rows, layers, before, strict=True):
        if old is not None and np.linalg.norm(old) > 0:
            ratio = float(np.linalg.norm(_flat(layer.params) - old) / np.linalg.norm(old))
            row["update_ratio"] = max(ratio, row["update_ratio"] or 0.0)


def _flat(params):
    """All of a layer's parameters as one float64 vector (float32 norms overflow at 1.8e19),
    or None for a layer without any."""
    if not params:
        return None
    return np.concatenate([value.ravel() for value in params.values()]).astype(np.float64)


def _overfit_check(model, x, y, steps):
    """Train on len(x) images until they are learned by heart, or OVERFIT_STEPS."""
    labels = _class_ids(y)
    target = OVERFIT_LOSS * math.log(model.output_shape[-1])
    first_loss = accuracy = loss = problem = None
    taken = 0
    while taken < OVERFIT_STEPS:
        taken += 1
        step = watched_step(model, x, y)
        problem = step.problem
        if problem is not None:
            break
        first_loss = step.loss if first_loss is None else first_loss
        probs = model.forward(x)
        accuracy, loss = float((probs.argmax(axis=1) == labels).mean()), model.loss(y, probs)
        if accuracy >= OVERFIT_ACCURACY and loss <= target:
            break
    steps["overfit run"] = (taken, problem)
    name = f"overfit {len(x)} images"
    if problem is not None:
        return Check(name, "FAIL", f"step {taken}: {problem.describe()} is not finite (see "
                     "'finite values')")
    if accuracy >= OVERFIT_ACCURACY and loss <= target:
        return Check(name, "ok", f"learned by heart in {taken} steps (accuracy {accuracy:.0%}, "
                     f"loss {first_loss:.3g} -> {loss:.3g})")
    said = f"after {taken} steps accuracy {accuracy:.0%}, loss {first_loss:.3g} -> {loss:.3g}"
    if loss < OVERFIT_PROGRESS * first_loss:
        return Check(name, "warn", f"{said}: learning, but slowly (a learning rate too low?)")
    return Check(name, "FAIL", f"{said}: cannot even memorise a few images (a backward with a "
                 "bug? check it with tinycnn.gradcheck.check_layer; or the learning rate)")


def _finite_check(steps, model):
    total = sum(taken for taken, _ in steps.values())
    for run, (taken, problem) in steps.items():
        if problem is not None:
            return Check("finite values", "FAIL", f"{run}, step {taken}: the first NaN or "
                         f"infinity is in {problem.describe()} (learning rate "
                         f"{model.optimizer.learning_rate:g})")
    return Check("finite values", "ok", f"every layer output, gradient and weight stayed finite "
                 f"in {total} training steps")
