"""Keras's utilities for images (tinycnn/images.py) and set_random_seed (tinycnn/random.py).

Every image is written here with Pillow, mostly as lossless PNG of one flat grey value per file,
so that a value read back (after any resizing: the weights of every method sum to 1) tells which
file it came from. The references are independent of the code under test: hand-worked numbers,
Pillow's own float resize where it computes the same thing (enlarging by 2), a block mean for
"area", a small table computed with TensorFlow 2.21's tf.image.resize (what Keras's
image_dataset_from_directory calls), and Keras's rules for file order and splits written out.
"""

import io
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

import tinycnn
import tinycnn.random as tc_random
from tinycnn.images import (
    RESIZE_METHODS,
    array_to_img,
    image_dataset_from_directory,
    img_to_array,
    load_img,
    resize,
)
from tinycnn.optimizers import Adam


def write_image(path, pixels):
    """Save a uint8 array (H, W) or (H, W, C) as the image file ``path`` (format from its
    suffix); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(path)
    return path


def flat(value, height=6, width=4):
    """A flat RGB image (H, W, 3) of one grey value."""
    return np.full((height, width, 3), value, dtype=np.uint8)


# The folder a learner would make: one subfolder per class. Each file is one grey value.
PHOTOS = {
    "cats/b.png": (20, (6, 4)), "cats/a.png": (10, (9, 5)), "cats/c.gif": (30, (3, 3)),
    "dogs/x.bmp": (40, (4, 8)), "dogs/sub/deep.png": (50, (5, 5)),
    "10/only.PNG": (60, (7, 2)),
}


@pytest.fixture
def photos(tmp_path):
    """PHOTOS in tmp_path/photos, plus what must be ignored: a text file, a hidden folder, and
    a loose image at the top (which only labels=None reads)."""
    root = tmp_path / "photos"
    for name, (value, (height, width)) in PHOTOS.items():
        write_image(root / name, flat(value, height, width))
    (root / "dogs" / "notes.txt").write_text("not an image")
    write_image(root / ".thumbnails" / "t.png", flat(99))
    write_image(root / "loose.png", flat(70))
    return root


def values(images):
    """The grey value of each flat image in a batch (N, H, W, C)."""
    return [int(round(float(image[0, 0, 0]))) for image in images]


def dataset(root, **options):
    options.setdefault("image_size", (4, 4))
    options.setdefault("verbose", False)
    return image_dataset_from_directory(root, **options)


# ---- one image ----------------------------------------------------------------------------
def test_load_img_in_each_color_mode(tmp_path):
    pixels = np.array([[[255, 0, 0], [7, 7, 7]]], dtype=np.uint8)  # red, grey
    path = write_image(tmp_path / "two.png", pixels)
    rgb = load_img(path)
    assert rgb.mode == "RGB" and rgb.size == (2, 1)  # Pillow's size is (width, height)
    np.testing.assert_array_equal(img_to_array(rgb), pixels)
    grey = img_to_array(load_img(path, color_mode="grayscale"))
    assert grey.shape == (1, 2, 1) and grey[0, 1, 0] == 7  # a grey pixel stays itself
    assert grey[0, 0, 0] == 76  # ITU-R 601 luma of pure red: 255 * 299 / 1000
    rgba = img_to_array(load_img(path, color_mode="rgba"))
    assert rgba.shape == (1, 2, 4) and (rgba[..., 3] == 255).all()


def test_load_img_resizes_with_pillow(tmp_path):
    pixels = np.arange(6, dtype=np.uint8).reshape(2, 3) * 40
    path = write_image(tmp_path / "small.png", pixels)
    bigger = img_to_array(load_img(path, color_mode="grayscale", target_size=(4, 6)))
    np.testing.assert_array_equal(bigger[..., 0], pixels.repeat(2, axis=0).repeat(2, axis=1))
    smooth = img_to_array(load_img(path, target_size=(4, 6), interpolation="bilinear"))
    assert smooth.shape == (4, 6, 3)
    with pytest.raises(ValueError, match="interpolation 'area' is not one of nearest"):
        load_img(path, target_size=(4, 6), interpolation="area")


def test_load_img_keep_aspect_ratio_crops_the_centre(tmp_path):
    columns = np.array([[10, 20, 30, 40]] * 2, dtype=np.uint8)  # 2 high, 4 wide
    path = write_image(tmp_path / "wide.png", columns)
    square = load_img(path, color_mode="grayscale", target_size=(1, 1), keep_aspect_ratio=True)
    stretched = load_img(path, color_mode="grayscale", target_size=(2, 2))
    np.testing.assert_array_equal(img_to_array(square)[..., 0], [[30]])  # centre 2x2 box
    np.testing.assert_array_equal(img_to_array(stretched)[..., 0], [[20, 40], [20, 40]])


def test_load_img_takes_bytes_in_memory_and_refuses_other_things(tmp_path):
    path = write_image(tmp_path / "one.png", flat(5))
    np.testing.assert_array_equal(img_to_array(load_img(io.BytesIO(path.read_bytes()))),
                                  flat(5))
    with pytest.raises(TypeError, match="path should be path-like or io.BytesIO, not int"):
        load_img(3)
    with pytest.raises(ValueError, match="color_mode must be"):
        load_img(path, color_mode="cmyk")


def test_img_to_array_layout_and_dtype():
    img = Image.fromarray(np.arange(6, dtype=np.uint8).reshape(2, 3))
    x = img_to_array(img)
    assert x.shape == (2, 3, 1) and x.dtype == np.float32
    assert img_to_array(img, data_format="channels_first").shape == (1, 2, 3)
    assert img_to_array(img, dtype="uint8").dtype == np.uint8
    with pytest.raises(ValueError, match="data_format must be"):
        img_to_array(img, data_format="NHWC")


@pytest.mark.parametrize("channels, mode", [(1, "L"), (3, "RGB"), (4, "RGBA")])
def test_array_to_img_scales_to_the_full_range(channels, mode):
    x = np.linspace(-1.0, 3.0, 2 * 3 * channels).reshape(2, 3, channels)
    img = array_to_img(x)
    assert img.mode == mode and img.size == (3, 2)
    pixels = np.asarray(img)
    assert pixels.min() == 0 and pixels.max() == 255  # -1 -> 0, 3 -> 255
    kept = np.asarray(array_to_img(np.full((2, 3, channels), 17.9), scale=False))
    assert (kept == 17).all()  # cast, not rounded, as Keras does


def test_array_to_img_refuses_what_is_not_one_image():
    with pytest.raises(ValueError, match=r"rank 3 \(H, W, C\), got shape \(1, 2, 3, 3\)"):
        array_to_img(np.zeros((1, 2, 3, 3)))
    with pytest.raises(ValueError, match="unsupported number of channels 2"):
        array_to_img(np.zeros((2, 3, 2)))


# ---- resize, against TensorFlow and Pillow ------------------------------------------------
ROW = np.array([0, 10, 20, 60, 100], dtype=np.uint8)
# tf.image.resize(ROW as a (5, 1, 1) image, (3, 1) and (8, 1), method), TensorFlow 2.21.0.
TENSORFLOW = {
    "bilinear": ([3.3333, 20.0, 86.6667],
                 [0.0, 4.375, 10.625, 16.875, 32.5, 57.5, 82.5, 100.0]),
    "nearest": ([0.0, 20.0, 100.0],
                [0.0, 0.0, 10.0, 20.0, 20.0, 60.0, 100.0, 100.0]),
    "bicubic": ([2.4108, 20.0, 90.3569],
                [-0.7196, 3.4445, 10.5701, 14.6594, 30.2844, 57.4451, 86.2222, 102.8782]),
    "area": ([4.0, 26.0, 84.0],
             [0.0, 4.0, 10.0, 18.0, 28.0, 60.0, 84.0, 100.0]),
    "lanczos3": ([2.4319, 20.0, 91.9827],
                 [-0.7096, 3.604, 10.3685, 14.8739, 28.0782, 56.5116, 88.2963, 102.8384]),
    "lanczos5": ([2.2585, 20.0, 92.6835],
                 [-1.095, 3.126, 10.9351, 17.8923, 24.9081, 55.8566, 89.3808, 102.7003]),
    "gaussian": ([3.3924, 23.1952, 86.4303],
                 [0.6009, 4.3782, 10.5345, 17.9005, 32.247, 57.8619, 82.4871, 97.5965]),
    "mitchellcubic": ([2.9084, 21.6667, 88.3665],
                      [-0.1407, 3.8721, 10.5888, 15.9395, 31.5645, 57.4638, 84.5117, 100.5626]),
}


@pytest.mark.parametrize("method", RESIZE_METHODS)
def test_resize_matches_tensorflow(method):
    shrunk, enlarged = TENSORFLOW[method]
    column = ROW.reshape(5, 1, 1)
    np.testing.assert_allclose(resize(column, (3, 1), method).ravel(), shrunk, atol=2e-4)
    np.testing.assert_allclose(resize(column, (8, 1), method).ravel(), enlarged, atol=2e-4)
    # Along the other axis, and per channel, the same numbers.
    across = np.stack([ROW, ROW[::-1]], axis=-1).reshape(1, 5, 2)
    resized = resize(across, (1, 3), method)
    assert resized.shape == (1, 3, 2) and resized.dtype == np.float32
    np.testing.assert_allclose(resized[0, :, 0], shrunk, atol=2e-4)
    np.testing.assert_allclose(resized[0, ::-1, 1], shrunk, atol=2e-4)


def test_hand_worked_bilinear():
    # Output pixel o sits at input position (o + 0.5) * 2 / 4 - 0.5: -0.25, 0.25, 0.75, 1.25;
    # outside the image the edge pixel is used.
    two = np.array([0, 10]).reshape(2, 1, 1)
    np.testing.assert_allclose(resize(two, (4, 1)).ravel(), [0, 2.5, 7.5, 10])
    # Shrinking 4 -> 2 puts the centres at 0.5 and 2.5: means of neighbours, no wider blur.
    four = np.array([0, 10, 20, 40]).reshape(4, 1, 1)
    np.testing.assert_allclose(resize(four, (2, 1)).ravel(), [5, 30])


@pytest.mark.parametrize("method, filter", [
    ("bilinear", Image.Resampling.BILINEAR), ("bicubic", Image.Resampling.BICUBIC),
    ("lanczos3", Image.Resampling.LANCZOS)])
def test_resize_enlarging_by_two_matches_pillow(method, filter):
    # Enlarging, Pillow's filters do not widen, so Pillow computes the same sums (in float).
    image = np.random.default_rng(0).integers(0, 256, size=(5, 7)).astype(np.float32)
    expected = np.asarray(Image.fromarray(image, "F").resize((14, 10), filter))
    np.testing.assert_allclose(resize(image[..., None], (10, 14), method)[..., 0], expected,
                               atol=1e-3)


def test_resize_nearest_enlarging_repeats_and_area_shrinking_averages():
    image = np.random.default_rng(1).integers(0, 256, size=(6, 9, 2))
    np.testing.assert_array_equal(resize(image, (12, 27), "nearest"),
                                  image.repeat(2, axis=0).repeat(3, axis=1))
    block_means = image.reshape(2, 3, 3, 3, 2).mean(axis=(1, 3))
    np.testing.assert_allclose(resize(image, (2, 3), "area"), block_means, rtol=1e-6)


@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 12), st.integers(1, 12),
       st.sampled_from(RESIZE_METHODS))
def test_resize_keeps_a_flat_image_flat(height, width, new_height, new_width, method):
    resized = resize(np.full((height, width, 3), 77, dtype=np.uint8), (new_height, new_width),
                     method)
    assert resized.shape == (new_height, new_width, 3)
    np.testing.assert_allclose(resized, 77, rtol=1e-5)


def test_resize_to_the_same_size():
    image = np.random.default_rng(2).integers(0, 256, size=(5, 6, 1))
    for method in ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"):
        np.testing.assert_allclose(resize(image, (5, 6), method), image, atol=1e-3)
    # Gaussian and Mitchell's cubic weigh the neighbours even there: they blur, as in Keras.
    assert not np.allclose(resize(image, (5, 6), "gaussian"), image, atol=1)
    with pytest.raises(ValueError, match="interpolation 'hamming' is not one of bilinear"):
        resize(image, (2, 2), "hamming")


# ---- image_dataset_from_directory: which files, in which order, with which labels --------
def test_classes_files_and_labels_in_keras_order(photos):
    data = dataset(photos, shuffle=False)
    # Subfolders in sorted order (digits and capitals first); hidden ones left out.
    assert data.class_names == ["10", "cats", "dogs"]
    # Class by class; each class's folders by path, each folder's files by name.
    assert data.file_paths == [str(photos / name) for name in [
        "10/only.PNG", "cats/a.png", "cats/b.png", "cats/c.gif", "dogs/x.bmp",
        "dogs/sub/deep.png"]]
    images, labels = data.as_arrays()
    assert values(images) == [60, 10, 20, 30, 40, 50]
    assert labels.tolist() == [0, 1, 1, 1, 2, 2] and labels.dtype == np.int32


@pytest.mark.parametrize("label_mode, expected", [
    ("int", np.array([0, 0, 0, 1, 1], dtype=np.int32)),
    ("categorical", np.array([[1, 0], [1, 0], [1, 0], [0, 1], [0, 1]], dtype=np.float32)),
    ("binary", np.array([[0], [0], [0], [1], [1]], dtype=np.float32))])
def test_label_modes(photos, label_mode, expected):
    # class_names picks two of the three classes: cats is 0, dogs 1.
    data = dataset(photos, shuffle=False, label_mode=label_mode, class_names=["cats", "dogs"])
    _, labels = data.as_arrays()
    assert labels.dtype == expected.dtype
    np.testing.assert_array_equal(labels, expected)


def test_without_labels_batches_are_images_and_every_file_counts(photos):
    data = dataset(photos, shuffle=False, labels=None, batch_size=4)
    assert data.class_names is None
    first = next(iter(data))
    assert isinstance(first, np.ndarray) and first.shape == (4, 4, 4, 3)
    # As Keras: without classes, every image below the folder counts, folder by folder in
    # sorted order: the loose one at the top, the hidden folder's, then the rest.
    assert values(data.as_arrays()) == [70, 99, 60, 10, 20, 30, 40, 50]
    # label_mode=None is labels=None, in Keras too.
    assert dataset(photos, shuffle=False, label_mode=None).file_paths == data.file_paths


def test_explicit_labels_follow_the_sorted_files(photos):
    data = dataset(photos, shuffle=False, labels=[5, 7, 5, 7, 5, 7, 9, 9])
    assert data.class_names == ["5", "7", "9"]
    images, labels = data.as_arrays()
    assert values(images) == [70, 99, 60, 10, 20, 30, 40, 50]
    assert labels.tolist() == [5, 7, 5, 7, 5, 7, 9, 9]


@pytest.mark.parametrize("color_mode, channels", [("grayscale", 1), ("rgb", 3), ("rgba", 4)])
def test_color_modes_and_image_size(photos, color_mode, channels):
    images, _ = dataset(photos, shuffle=False, color_mode=color_mode,
                        image_size=(5, 3)).as_arrays()
    assert images.shape == (6, 5, 3, channels) and images.dtype == np.float32
    assert values(images) == [60, 10, 20, 30, 40, 50]
    squares, _ = dataset(photos, shuffle=False, image_size=7).as_arrays()
    assert squares.shape == (6, 7, 7, 3)


def test_a_jpeg_is_read_too(tmp_path):
    write_image(tmp_path / "dark" / "photo.JPG", flat(40, 16, 16))
    write_image(tmp_path / "light" / "photo.jpeg", flat(200, 16, 16))
    images, labels = dataset(tmp_path, shuffle=False).as_arrays()
    np.testing.assert_allclose(images[:, 0, 0, 0], [40, 200], atol=2)  # JPEG is lossy
    assert labels.tolist() == [0, 1]


def test_batches_and_their_number(photos):
    data = dataset(photos, shuffle=False, batch_size=4)
    batches = list(data)
    assert len(data) == len(batches) == 2
    assert [len(images) for images, _ in batches] == [4, 2]
    assert [len(images) for images, _ in data.take(1)] == [4]
    single = dataset(photos, shuffle=False, batch_size=None)
    image, label = next(iter(single))
    assert image.shape == (4, 4, 3) and label == 0 and len(single) == 6


# ---- shuffling and splitting -------------------------------------------------------------
def keras_shuffle(items, seed):
    """Keras's index_directory: np.random.RandomState(seed).shuffle of the sorted list."""
    items = list(items)
    np.random.RandomState(seed).shuffle(items)
    return items


def test_files_are_shuffled_as_keras_shuffles_them(photos):
    in_order = dataset(photos, shuffle=False)
    shuffled = dataset(photos, seed=1234)
    assert shuffled.file_paths == keras_shuffle(in_order.file_paths, 1234)
    images, labels = in_order.as_arrays()
    label_of = dict(zip(values(images), labels.tolist(), strict=True))
    images, labels = shuffled.as_arrays()
    assert labels.tolist() == [label_of[value] for value in values(images)]  # labels follow


def test_each_pass_is_a_new_order_that_a_rerun_repeats(photos):
    def passes(data):
        return [[value for images, _ in data for value in values(images)] for _ in range(4)]

    first_run = passes(dataset(photos, seed=5, batch_size=4))
    assert all(sorted(one_pass) == [10, 20, 30, 40, 50, 60] for one_pass in first_run)
    assert len({tuple(one_pass) for one_pass in first_run}) > 1
    assert passes(dataset(photos, seed=5, batch_size=4)) == first_run


def test_validation_split_follows_keras_rule(photos, capsys):
    training, validation = dataset(photos, seed=3, validation_split=0.4, subset="both",
                                   verbose=True)
    everything = keras_shuffle(dataset(photos, shuffle=False).file_paths, 3)
    # int(0.4 * 6) = 2 files for validation, taken from the end of the shuffled list.
    assert training.file_paths == everything[:4] and validation.file_paths == everything[4:]
    assert capsys.readouterr().out.splitlines() == [
        "Found 6 files belonging to 3 classes.", "Using 4 files for training.",
        "Using 2 files for validation."]
    # The validation part of "both" keeps its order on every pass; training's does not.
    assert [values(images) for images, _ in validation] == [
        values(validation.as_arrays()[0])]
    # Asking for each part on its own splits alike.
    alone = {subset: dataset(photos, seed=3, validation_split=0.4, subset=subset).file_paths
             for subset in ("training", "validation")}
    assert alone == {"training": everything[:4], "validation": everything[4:]}


def test_seed_none_is_drawn_from_numpy_as_in_keras(photos, restore_random_state):
    np.random.seed(8)
    first = dataset(photos).file_paths
    np.random.seed(8)
    assert dataset(photos).file_paths == first
    tc_random.set_random_seed(8)
    assert dataset(photos).file_paths == first


def test_crop_to_aspect_ratio_keeps_the_centre(tmp_path):
    stripes = np.repeat(np.array([0, 100, 200, 250], dtype=np.uint8), 2)[None, :].repeat(2, 0)
    write_image(tmp_path / "only" / "wide.png", stripes)  # 2 high, 8 wide: 4 stripes
    cropped, _ = dataset(tmp_path, shuffle=False, image_size=(2, 4), color_mode="grayscale",
                         crop_to_aspect_ratio=True, interpolation="nearest").as_arrays()
    np.testing.assert_array_equal(cropped[0, 0, :, 0], [100, 100, 200, 200])


# ---- what is refused, and how -------------------------------------------------------------
@pytest.mark.parametrize("options, message", [
    ({"pad_to_aspect_ratio": True}, "pad_to_aspect_ratio=True is not supported"),
    ({"data_format": "channels_first"}, "data_format='channels_first' is not supported"),
    ({"format": "grain"}, "format='grain' is not supported"),
    ({"label_mode": "sparse"}, "label_mode must be"),
    ({"color_mode": "cmyk"}, "color_mode must be"),
    ({"interpolation": "hamming"}, "interpolation must be one of bilinear"),
    ({"image_size": (4, 0)}, "image_size must be"),
    ({"batch_size": 0}, "batch_size must be"),
    ({"labels": "from_names"}, "labels must be"),
    ({"labels": [0, 1]}, "got 2 labels but 8 image files"),
    ({"class_names": ["cats", "birds"]}, r"class_names \['cats', 'birds'\] are not all"),
    ({"labels": None, "class_names": ["cats"]}, "class_names can only be given"),
    ({"label_mode": "binary"}, "exactly 2 classes, got 3"),
    ({"labels": [0, 1, 0, 1, 0, 1, 0, 5], "label_mode": "categorical"},
     r"one-hot labels need labels in \[0, 3\)"),
    ({"validation_split": 0.2}, "If `subset` is set, `validation_split` must be set"),
    ({"validation_split": 1.5, "subset": "training"}, "must be between 0 and 1"),
    ({"validation_split": 0.2, "subset": "testing", "seed": 1}, "`subset` must be either"),
    ({"validation_split": 0.2, "subset": "training"}, "you must provide a `seed`"),
])
def test_refusals_name_the_argument(photos, options, message):
    # Shuffle only where the split rules need it: a shuffle without a seed draws from np.random.
    options.setdefault("shuffle", options.get("subset") is not None)
    with pytest.raises(ValueError, match=message):
        dataset(photos, **options)


def test_empty_folders_and_unreadable_files(tmp_path):
    (tmp_path / "empty" / "class").mkdir(parents=True)
    with pytest.raises(ValueError, match="No images found in directory"):
        dataset(tmp_path / "empty")
    broken = tmp_path / "broken" / "cats" / "truncated.png"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"\x89PNG not really")
    data = dataset(tmp_path / "broken", shuffle=False)  # files are read as batches are made
    with pytest.raises(ValueError, match=f"{broken}: cannot read this image"):
        data.as_arrays()


# ---- into fit -----------------------------------------------------------------------------
def test_a_model_learns_from_a_folder(tmp_path):
    rng = np.random.default_rng(0)
    for index in range(12):
        write_image(tmp_path / "dark" / f"{index:02}.png", rng.integers(0, 90, size=(8, 8)))
        write_image(tmp_path / "light" / f"{index:02}.png", rng.integers(160, 256, size=(8, 8)))
    training, validation = dataset(tmp_path, image_size=(8, 8), color_mode="grayscale",
                                   validation_split=0.25, subset="both", seed=0, batch_size=4)
    (x_train, y_train), (x_val, y_val) = training.as_arrays(), validation.as_arrays()
    model = tinycnn.Sequential([tinycnn.layers.Flatten(input_shape=(8, 8, 1)),
                                tinycnn.layers.Dense(2, activation="softmax")], seed=0)
    model.compile(optimizer=Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train / 255, y_train, epochs=20, batch_size=training.batch_size, verbose=0)
    _, accuracy = model.evaluate(x_val / 255, y_val)
    assert accuracy == 1.0


# ---- set_random_seed ----------------------------------------------------------------------
@pytest.fixture
def restore_random_state():
    """Put Python's, NumPy's and tinycnn's seeding back as it was before the test."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    sequence = tc_random._sequence
    yield
    random.setstate(python_state)
    np.random.set_state(numpy_state)
    tc_random._sequence = sequence


def test_set_random_seed_seeds_python_and_numpy_as_keras(restore_random_state):
    random.seed(42)
    np.random.seed(42)
    expected = random.random(), np.random.random()
    tc_random.set_random_seed(42)
    assert (random.random(), np.random.random()) == expected
    assert tc_random.get_random_seed() == 42


def test_model_seeds_repeat_and_restart(restore_random_state):
    tc_random.set_random_seed(7)
    first = [tc_random.draw_model_seed() for _ in range(3)]
    assert first == [tc_random.model_seed(7, index) for index in range(3)]
    assert len(set(first)) == 3 and all(0 <= seed < 2**32 for seed in first)
    tc_random.set_random_seed(7)  # the same script again: the same seeds, in the same order
    assert [tc_random.draw_model_seed() for _ in range(3)] == first
    tc_random.set_random_seed(8)
    assert tc_random.draw_model_seed() not in first


def test_without_set_random_seed_each_model_seed_is_new(restore_random_state):
    tc_random._sequence = None  # as in a fresh process
    assert tc_random.get_random_seed() is None
    seeds = {tc_random.draw_model_seed() for _ in range(5)}
    assert len(seeds) == 5  # from the operating system: 5 draws of 2**32 do not collide


@pytest.mark.parametrize("seed, message", [
    (1.5, "expected an integer seed, got 1.5"), (True, "expected an integer seed, got True"),
    ("42", "expected an integer seed, got '42'"), (-1, r"must lie in \[0, 2\*\*32\)"),
    (2**32, r"must lie in \[0, 2\*\*32\)")])
def test_set_random_seed_refuses_what_numpy_cannot_take(seed, message, restore_random_state):
    with pytest.raises(ValueError, match=message):
        tc_random.set_random_seed(seed)


def test_after_set_random_seed_a_model_without_a_seed_repeats_its_weights(restore_random_state):
    from tinycnn import keras
    from tinycnn.layers import Dense, Flatten

    def model():
        return tinycnn.Sequential([Flatten(input_shape=(3, 3, 1)), Dense(4)])

    keras.utils.set_random_seed(42)
    first = [model(), model()]
    keras.utils.set_random_seed(42)
    again = [model(), model()]
    assert [m.seed for m in first] == [m.seed for m in again]
    assert first[0].seed != first[1].seed  # each model its own seed from the sequence
    for a, b in zip(first[0].get_weights(), again[0].get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
