"""Occlusion, SmoothGrad and integrated gradients (tinycnn/explain/), on small float64 models.

Occlusion is held to a plain double loop over patch positions; SmoothGrad without noise to the
saliency map; integrated gradients to completeness (the attributions add up to the change of
the logit from the baseline), more closely as the steps grow. All three on a Sequential and a
functional model, and none may change the model. The models run on the NumPy twin kernels.
"""

import numpy as np
import pytest

import tinycnn as tc
from tinycnn import keras
from tinycnn.explain import class_logits, grad_cam, grad_cams, saliency
from tinycnn.explain.integrated_gradients import integrated_gradients
from tinycnn.explain.occlusion import occlusion, occlusion_maps
from tinycnn.explain.smoothgrad import smoothgrad
from tinycnn.keras import layers
from tinycnn.layers import AveragePooling2D, BatchNormalization, Conv2D, Dense, Flatten
from tinycnn.layers.activations import softmax


def sequential(input_shape=(7, 7, 2)):
    """Smooth all through (tanh, average pooling), so the midpoint rule converges like 1/T^2."""
    model = tc.Sequential([Conv2D(3, 3, activation="tanh"), BatchNormalization(),
                           AveragePooling2D(2), Flatten(), Dense(4, activation="softmax")],
                          seed=0, dtype="float64")
    return model.use_kernels("numpy").build(input_shape)


def functional():
    """conv -> [conv, identity] -> add -> flatten -> dense: a graph with a skip connection."""
    inputs = keras.Input(shape=(7, 7, 2), dtype="float64")
    x = layers.Conv2D(3, 3, padding="same", activation="tanh")(inputs)
    y = layers.Conv2D(3, 3, padding="same", activation="sigmoid")(x)
    outputs = layers.Dense(4, activation="softmax")(layers.Flatten()(layers.add([x, y])))
    return keras.Model(inputs, outputs, seed=1, dtype="float64").use_kernels("numpy")


MODELS = {"sequential": sequential, "functional": functional}


# ---- occlusion --------------------------------------------------------------------------------
def occlusion_by_hand(model, images, classes, patch, stride, value):
    """The textbook loop: image by image, position by position."""
    count, height, width = images.shape[:3]
    maps = np.zeros((count, height, width))
    tops = list(range(0, height - patch + 1, stride))
    lefts = list(range(0, width - patch + 1, stride))
    tops += [] if tops[-1] == height - patch else [height - patch]
    lefts += [] if lefts[-1] == width - patch else [width - patch]
    for n in range(count):
        probability = softmax(class_logits(model, images))[n, classes[n]]
        fill = images[n].mean() if value is None else value
        total, covered = np.zeros((height, width)), np.zeros((height, width))
        for top in tops:
            for left in lefts:
                hidden = images.copy()  # the whole batch, so each forward pass sees N images
                hidden[n, top:top + patch, left:left + patch, :] = fill
                drop = probability - softmax(class_logits(model, hidden))[n, classes[n]]
                total[top:top + patch, left:left + patch] += drop
                covered[top:top + patch, left:left + patch] += 1
        maps[n] = total / covered
    return maps


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("patch, stride, value", [(4, 2, None), (3, 3, 0.5), (1, 1, -1.0)])
def test_occlusion_equals_the_double_loop(name, patch, stride, value, rng):
    model = MODELS[name]()
    x = rng.normal(size=(3, 7, 7, 2))
    predicted = class_logits(model, x).argmax(axis=1)
    maps = occlusion(model, x, patch=patch, stride=stride, value=value)
    assert maps.shape == (3, 7, 7) and maps.dtype == np.float64
    np.testing.assert_array_equal(maps, occlusion_by_hand(model, x, predicted, patch, stride,
                                                          value))
    chosen = np.array([3, 0, 2])
    np.testing.assert_array_equal(occlusion(model, x, chosen, patch, stride, value),
                                  occlusion_by_hand(model, x, chosen, patch, stride, value))


@pytest.mark.parametrize("name", list(MODELS))
def test_occlusion_maps_give_every_class_as_occlusion_gives_one(name, rng):
    """occlusion_maps (the explorer's: every class from the same forward passes) holds, for
    each class, exactly the map occlusion computes for that class."""
    model = MODELS[name]()
    x = rng.normal(size=(3, 7, 7, 2))
    maps = occlusion_maps(model, x, patch=3, stride=2)
    assert maps.shape == (3, 4, 7, 7)
    for k in range(4):
        np.testing.assert_array_equal(maps[:, k], occlusion(model, x, k, patch=3, stride=2))
    np.testing.assert_array_equal(maps[:, 2], occlusion_by_hand(model, x, [2, 2, 2], 3, 2, None))


@pytest.mark.parametrize("name", list(MODELS))
def test_grad_cams_at_several_layers_are_grad_cam_at_each(name, rng):
    """One forward and one backward pass for several layers give each layer's grad_cam."""
    model = MODELS[name]()
    x = rng.normal(size=(3, 7, 7, 2))
    spatial = [index for index, layer in enumerate(model.layers)
               if len(layer.output_shape) == 3 and type(layer).__name__ != "InputLayer"]
    assert len(spatial) >= 2
    for classes in (None, [1, 3, 0]):
        cams = grad_cams(model, x, classes, spatial)
        assert len(cams) == len(spatial)
        for cam, index in zip(cams, spatial, strict=True):
            np.testing.assert_array_equal(cam, grad_cam(model, x, classes, layer=index))


@pytest.mark.parametrize("name", list(MODELS))
def test_occlusion_is_the_same_on_one_thread_or_several(name, rng):
    """The positions run on model.workers threads, each on a replica of the model; the drops
    are added up in position order, so the threads change no bit."""
    model = MODELS[name]()
    x = rng.normal(size=(5, 7, 7, 2))
    model.workers = 1
    alone = occlusion(model, x, patch=2, stride=1)
    model.workers = 3
    np.testing.assert_array_equal(occlusion(model, x, patch=2, stride=1), alone)


def test_occlusion_keeps_grayscale_batches_and_sees_the_pixel_that_decides(rng):
    # One weight: the logit of class 1 is 5 x[3, 4], of class 0 nothing. Only patches over
    # that pixel move the probability.
    model = tc.Sequential([Flatten(), Dense(2, activation="softmax")], seed=0, dtype="float64")
    model.use_kernels("numpy").build((6, 6, 1))
    weights = np.zeros((36, 2))
    weights[3 * 6 + 4, 1] = 5.0
    model.layers[1].params["W"][...] = weights
    model.layers[1].params["b"][...] = 0
    x = np.zeros((2, 6, 6))  # (N, H, W): grayscale without its channel axis
    x[:, 3, 4] = 1.0
    maps = occlusion(model, x, classes=1, patch=2, stride=2, value=0.0)
    assert maps.shape == (2, 6, 6)
    assert maps[0, 3, 4] > 0.4
    assert np.count_nonzero(maps[0]) == 4  # the one 2 x 2 patch that covers (3, 4)


# ---- SmoothGrad -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(MODELS))
def test_smoothgrad_without_noise_is_saliency_and_depends_on_its_seed(name, rng):
    model = MODELS[name]()
    x = rng.normal(size=(3, 7, 7, 2))
    np.testing.assert_array_equal(smoothgrad(model, x, noise=0, samples=4), saliency(model, x))
    np.testing.assert_array_equal(smoothgrad(model, x, [1, 2, 3], noise=0, samples=3),
                                  saliency(model, x, [1, 2, 3]))
    first = smoothgrad(model, x, samples=5, seed=0)
    assert first.shape == saliency(model, x).shape and first.dtype == np.float64
    np.testing.assert_array_equal(first, smoothgrad(model, x, samples=5, seed=0))
    assert not np.allclose(first, smoothgrad(model, x, samples=5, seed=1))


def test_smoothgrad_keeps_grayscale_shapes(rng):
    model = sequential(input_shape=(7, 7, 1))
    x = rng.normal(size=(2, 7, 7))
    assert smoothgrad(model, x, samples=2).shape == saliency(model, x).shape == (2, 7, 7)


# ---- integrated gradients ---------------------------------------------------------------------
@pytest.mark.parametrize("name", list(MODELS))
def test_integrated_gradients_are_complete_more_closely_with_more_steps(name, rng):
    model = MODELS[name]()
    x = rng.normal(size=(3, 7, 7, 2))
    classes = np.array([0, 1, 3])
    picked = np.arange(3), classes
    errors = {}
    for baseline in [None, rng.normal(size=(7, 7, 2))]:
        start = np.zeros_like(x) if baseline is None else np.broadcast_to(baseline, x.shape)
        change = class_logits(model, x)[picked] - class_logits(model, start)[picked]
        for steps in (8, 64):
            attributions = integrated_gradients(model, x, classes, baseline, steps)
            assert attributions.shape == x.shape
            errors[steps] = np.abs(attributions.sum(axis=(1, 2, 3)) - change).max()
        # The midpoint rule's error shrinks like 1 / steps^2: 64 times smaller for 8x the steps.
        assert errors[64] < errors[8] / 30, errors
        assert errors[64] < 1e-3 * np.abs(change).max(), errors


def test_integrated_gradients_default_to_the_predicted_class_and_keep_grayscale(rng):
    model = sequential(input_shape=(7, 7, 1))
    x = rng.normal(size=(2, 7, 7))
    predicted = class_logits(model, x).argmax(axis=1)
    attributions = integrated_gradients(model, x, steps=4)
    assert attributions.shape == (2, 7, 7)
    np.testing.assert_array_equal(attributions,
                                  integrated_gradients(model, x, predicted, np.zeros_like(x), 4))


# ---- nothing changes, bad arguments -----------------------------------------------------------
def test_the_three_leave_the_model_as_it_was(rng):
    model = sequential()
    model.compile(optimizer="adam")
    x, y = rng.normal(size=(4, 7, 7, 2)), rng.integers(0, 4, 4)
    _, probs = model.train_step(x, y)  # grads and caches of a training step, as mid-fit
    weights = [w.copy() for w in model.get_weights()]
    grads = [{key: value.copy() for key, value in layer.grads.items()} for layer in model.layers]
    caches = [layer._cache for layer in model.layers]
    occlusion(model, x)
    smoothgrad(model, x, samples=2)
    integrated_gradients(model, x, steps=2)
    for old, new in zip(weights, model.get_weights(), strict=True):
        np.testing.assert_array_equal(old, new)
    for old, layer in zip(grads, model.layers, strict=True):
        for key in old:
            np.testing.assert_array_equal(old[key], layer.grads[key])
    assert all(old is layer._cache for old, layer in zip(caches, model.layers, strict=True))
    assert model.layers[0].needs_input_grad is False
    assert model.layers[-1].activation == "softmax"
    model.backward_loss(probs, y)  # the training step goes on


@pytest.mark.parametrize("call, error", [
    (lambda m, x: occlusion(m, x, patch=0), "occlusion: patch must be an integer >= 1, got 0"),
    (lambda m, x: occlusion(m, x, stride=0), "occlusion: stride must be an integer >= 1"),
    (lambda m, x: occlusion(m, x, patch=8), "occlusion: patch 8 is larger than the image's"),
    (lambda m, x: occlusion(m, x, value=[1, 2, 3]),
     r"occlusion value: expected a number or one per image, shape \(2,\), got shape \(3,\)"),
    (lambda m, x: occlusion(m, x, [0, 4]), r"occlusion classes: class ids must lie in"),
    (lambda m, x: smoothgrad(m, x, samples=0), "smoothgrad: samples must be an integer >= 1"),
    (lambda m, x: smoothgrad(m, x, noise=-0.1), "smoothgrad: noise must be a number >= 0"),
    (lambda m, x: integrated_gradients(m, x, steps=0),
     "integrated_gradients: steps must be an integer >= 1, got 0"),
    (lambda m, x: integrated_gradients(m, x, baseline=np.zeros((7, 7))),
     r"integrated_gradients baseline: expected shape \(2, 7, 7, 2\) .* or \(7, 7, 2\) .*, "
     r"got \(7, 7\)"),
])
def test_bad_arguments_are_refused_by_name(call, error, rng):
    with pytest.raises(ValueError, match=error):
        call(sequential(), rng.normal(size=(2, 7, 7, 2)))
