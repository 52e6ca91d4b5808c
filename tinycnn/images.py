"""Image files and folders of them, with Keras's functions (``keras.utils``), read with Pillow.

    img = load_img("cat.jpg", target_size=(180, 180))      # a PIL image, as in Keras
    x = img_to_array(img)                                   # float32 (180, 180, 3), 0..255
    train, val = image_dataset_from_directory(
        "photos", image_size=(180, 180), validation_split=0.2, subset="both", seed=1)
    for images, labels in train: ...                        # (32, 180, 180, 3), (32,) batches
    x_train, y_train = train.as_arrays()                    # everything at once, for fit

A folder for ``image_dataset_from_directory`` has one subfolder per class; the subfolders'
names, in sorted order, are the classes 0, 1, 2, ... (``dataset.class_names``). Keras returns a
``tf.data.Dataset``; here an ``ImageDataset`` yields the same batches as NumPy arrays and gives
the whole set as arrays with ``as_arrays()``. Which files, their order before and after the
shuffle, the training/validation split and the labels are Keras's exactly, and so are the
resized pixels of PNG, GIF and BMP files (``resize`` computes what ``tf.image.resize`` does,
without antialiasing). Where it differs:
- each epoch, Keras reshuffles through an 8-batch buffer, tinycnn with a full permutation
  drawn from ``seed``, so the batches of a shuffled epoch are not Keras's;
- a JPEG's pixels differ by a few levels: TensorFlow decodes with libjpeg's fast integer DCT,
  Pillow with the accurate one; an RGB PNG made grey may differ by 1 (rounding);
- images are always float32 (Keras's come out uint8 with ``interpolation="nearest"``).

Glossary as in the package: H, W the height and width of an image, C its channels (1 grayscale,
3 RGB, 4 RGBA), N images, K classes.
"""

import io
import os

import numpy as np
from PIL import Image

ALLOWLIST_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # Keras's, matched ignoring case
COLOR_MODES = {"grayscale": ("L", 1), "rgb": ("RGB", 3), "rgba": ("RGBA", 4)}
# load_img resizes with Pillow, as Keras's does: its names for Pillow's filters.
PIL_INTERPOLATION_METHODS = {
    "nearest": Image.Resampling.NEAREST, "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC, "hamming": Image.Resampling.HAMMING,
    "box": Image.Resampling.BOX, "lanczos": Image.Resampling.LANCZOS,
}
RESIZE_METHODS = ("bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5", "gaussian",
                  "mitchellcubic")  # tf.image.resize's, which image_dataset_from_directory uses


# ---- one image ----------------------------------------------------------------------------
def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest",
             keep_aspect_ratio=False):
    """Read an image file into a PIL image, as ``keras.utils.load_img``.

    path : str, bytes, os.PathLike or io.BytesIO.
    color_mode : "grayscale" (8, 16 or 32-bit grey kept as it is), "rgb" or "rgba".
    target_size : (height, width) or None to keep the file's size.
    interpolation : Pillow's filter when resizing: one of ``PIL_INTERPOLATION_METHODS``.
    keep_aspect_ratio : crop the largest centred box of the target's aspect ratio first.
    """
    if isinstance(path, io.BytesIO):
        img = Image.open(path)
    elif isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as file:  # read whole: the file is closed before we return
            img = Image.open(io.BytesIO(file.read()))
    else:
        raise TypeError(f"load_img: path should be path-like or io.BytesIO, not "
                        f"{type(path).__name__}")
    if color_mode == "grayscale":
        if img.mode not in ("L", "I;16", "I"):
            img = img.convert("L")
    elif color_mode in COLOR_MODES:
        mode = COLOR_MODES[color_mode][0]
        if img.mode != mode:
            img = img.convert(mode)
    else:
        raise ValueError(f'load_img: color_mode must be "grayscale", "rgb" or "rgba", got '
                         f"{color_mode!r}")
    if target_size is None:
        return img
    width_height = (target_size[1], target_size[0])
    if img.size == width_height:
        return img
    if interpolation not in PIL_INTERPOLATION_METHODS:
        raise ValueError(f"load_img: interpolation {interpolation!r} is not one of "
                         f"{', '.join(PIL_INTERPOLATION_METHODS)}")
    box = None
    if keep_aspect_ratio:  # Keras's centred crop, in integer pixels
        width, height = img.size
        crop_height = min(height, (width * width_height[1]) // width_height[0])
        crop_width = min(width, (height * width_height[0]) // width_height[1])
        top, left = (height - crop_height) // 2, (width - crop_width) // 2
        box = (left, top, left + crop_width, top + crop_height)
    return img.resize(width_height, PIL_INTERPOLATION_METHODS[interpolation], box=box)


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image -> an array (H, W, C) (``data_format="channels_first"``: (C, H, W)) of
    ``dtype`` (default float32), pixel values unchanged (0..255 for 8-bit images)."""
    data_format = _data_format(data_format, "img_to_array")
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 2:
        x = x[:, :, np.newaxis]
    elif x.ndim != 3:
        raise ValueError(f"img_to_array: unsupported image shape {x.shape}")
    return x.transpose(2, 0, 1) if data_format == "channels_first" else x


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """An array (H, W, C) with C = 1, 3 or 4 -> a PIL image ("L", "RGB" or "RGBA"), as
    ``keras.utils.array_to_img``. With ``scale``, values are stretched so that the smallest
    becomes 0 and the largest 255; without, they are cast to uint8 as they are."""
    data_format = _data_format(data_format, "array_to_img")
    x = np.asarray(x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ValueError(f"array_to_img: expected one image of rank 3 (H, W, C), got shape "
                         f"{x.shape}")
    if data_format == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - np.min(x)
        if np.max(x) != 0:
            x = x / np.max(x)
        x = x * 255
    channels = x.shape[2]
    if channels in (3, 4):
        return Image.fromarray(x.astype("uint8"), "RGBA" if channels == 4 else "RGB")
    if channels == 1:
        if np.max(x) > 255:  # Keras keeps a wide grey image as 32-bit integers
            return Image.fromarray(x[:, :, 0].astype("int32"), "I")
        return Image.fromarray(x[:, :, 0].astype("uint8"), "L")
    raise ValueError(f"array_to_img: unsupported number of channels {channels} (1, 3 or 4)")


def _data_format(data_format, what):
    if data_format in (None, "channels_last", "channels_first"):
        return data_format or "channels_last"
    raise ValueError(f'{what}: data_format must be "channels_last" or "channels_first", got '
                     f"{data_format!r}")


# ---- resizing as tf.image.resize does ---------------------------------------------------
# Each output row (then column) is a weighted sum of a few input rows: `taps` of them, at
# `index` (out, taps) with `weight` (out, taps). Output pixel o has its centre at input
# coordinate (o + 0.5) * in / out - 0.5; a kernel of that distance gives each input pixel's
# weight. No antialiasing: the kernel keeps its width when shrinking, as in Keras (Pillow widens
# it, which is why load_img and image_dataset_from_directory shrink differently, in Keras too).
_KERNELS = {  # name: (radius, kernel(distance)), TensorFlow's sampling kernels
    "bilinear": (1.0, lambda d: np.maximum(0.0, 1 - np.abs(d))),
    "bicubic": (2.0, lambda d: _cubic(np.abs(d), b=0.0, c=0.5)),  # Keys, a = -0.5
    "mitchellcubic": (2.0, lambda d: _cubic(np.abs(d), b=1 / 3, c=1 / 3)),
    "lanczos3": (3.0, lambda d: _lanczos(d, 3.0)),
    "lanczos5": (5.0, lambda d: _lanczos(d, 5.0)),
    "gaussian": (1.5, lambda d: np.where(np.abs(d) < 1.5, np.exp(-d**2 / (2 * 0.5**2)), 0.0)),
}


def _cubic(d, b, c):
    """The Mitchell-Netravali family of cubics (b=0, c=0.5: Keys's; b=c=1/3: Mitchell's)."""
    near = ((12 - 9 * b - 6 * c) * d**3 + (-18 + 12 * b + 6 * c) * d**2 + (6 - 2 * b)) / 6
    far = ((-b - 6 * c) * d**3 + (6 * b + 30 * c) * d**2 + (-12 * b - 48 * c) * d
           + (8 * b + 24 * c)) / 6
    return np.where(d < 1, near, np.where(d < 2, far, 0.0))


def _lanczos(d, radius):
    d = np.abs(d)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = radius * np.sin(np.pi * d) * np.sin(np.pi * d / radius) / (np.pi * d) ** 2
    return np.where(d <= 1e-3, 1.0, np.where(d > radius, 0.0, value))


def resize(image, size, interpolation="bilinear"):
    """image (H, W, C), any real dtype -> float32 (size[0], size[1], C), as Keras's
    ``image_dataset_from_directory`` resizes (``tf.image.resize(image, size, method)``).

    interpolation : one of ``RESIZE_METHODS``. "nearest" picks the input pixel under each
    output pixel's centre; "area" averages the input pixels an output pixel covers, weighted by
    the area of overlap; the others weigh the nearby input pixels with a kernel (a triangle for
    "bilinear"), dropping those outside the image and rescaling the rest to sum to 1.
    """
    if interpolation not in RESIZE_METHODS:
        raise ValueError(f"resize: interpolation {interpolation!r} is not one of "
                         f"{', '.join(RESIZE_METHODS)}")
    image = np.asarray(image)
    rows = _taps(image.shape[0], size[0], interpolation)
    columns = _taps(image.shape[1], size[1], interpolation)
    resized = _weighted_sum(image, *rows)  # (size[0], W, C)
    resized = _weighted_sum(resized.transpose(1, 0, 2), *columns).transpose(1, 0, 2)
    return resized.astype(np.float32)


def _taps(in_size, out_size, interpolation):
    """(index, weight), each (out_size, taps): output pixel o = sum over t of
    weight[o, t] * input pixel index[o, t], along one axis."""
    # Positions in float32, as TensorFlow computes them (a pixel centre on an exact integer
    # could otherwise round the other way).
    scale = np.float32(in_size) / np.float32(out_size)
    out = np.arange(out_size, dtype=np.float32)
    if interpolation == "nearest":
        index = np.minimum(np.floor((out + np.float32(0.5)) * scale), in_size - 1)
        return index.astype(np.int64)[:, None], np.ones((out_size, 1))
    if interpolation == "area":
        start, end = (out * scale).astype(np.float64), ((out + 1) * scale).astype(np.float64)
        index = np.floor(start)[:, None] + np.arange(int(np.ceil(scale)) + 1)
        overlap = np.minimum(index + 1, end[:, None]) - np.maximum(index, start[:, None])
        weight = np.maximum(overlap, 0.0) / scale
    else:
        radius, kernel = _KERNELS[interpolation]
        centre = ((out + np.float32(0.5)) * scale - np.float32(0.5)).astype(np.float64)
        if interpolation == "bicubic":  # TensorFlow's reads its weights from a table of
            # 1/1024-pixel steps: round the centre's fraction as it does
            centre = np.floor(centre) + np.round((centre - np.floor(centre)) * 1024) / 1024
        index = np.ceil(centre - radius)[:, None] + np.arange(2 * int(np.ceil(radius)) + 1)
        weight = kernel(index - centre[:, None])
        weight[(index < 0) | (index >= in_size)] = 0.0
        weight /= weight.sum(axis=1, keepdims=True)
    return np.clip(index, 0, in_size - 1).astype(np.int64), weight


def _weighted_sum(image, index, weight):
    """Along axis 0: out[o] = sum over t of weight[o, t] * image[index[o, t]] (float64)."""
    out = np.zeros((len(index), *image.shape[1:]))
    for t in range(index.shape[1]):
        out += weight[:, t, None, None] * image[index[:, t]]
    return out


def crop_to_aspect_ratio(image, size):
    """The largest centred crop of image (H, W, C) with the aspect ratio of ``size`` (height,
    width), as Keras's ``smart_resize`` takes it before resizing."""
    height, width = image.shape[:2]
    crop_height = max(min(height, int(width * size[0] / size[1])), 1)
    crop_width = max(min(width, int(height * size[1] / size[0])), 1)
    top, left = (height - crop_height) // 2, (width - crop_width) // 2
    return image[top:top + crop_height, left:left + crop_width]


# ---- a folder of images -------------------------------------------------------------------
def image_dataset_from_directory(directory, labels="inferred", label_mode="int",
                                 class_names=None, color_mode="rgb", batch_size=32,
                                 image_size=(256, 256), shuffle=True, seed=None,
                                 validation_split=None, subset=None, interpolation="bilinear",
                                 follow_links=False, crop_to_aspect_ratio=False,
                                 pad_to_aspect_ratio=False, data_format=None, format="tf",
                                 verbose=True):
    """The images in a folder as an ``ImageDataset``, as ``keras.utils.
    image_dataset_from_directory`` makes a ``tf.data.Dataset`` of them.

    directory : a folder. With ``labels="inferred"``, each subfolder (not starting with ".") is
        a class, in sorted order, and holds that class's images, in subfolders too. Files
        ending in .bmp, .gif (the first frame), .jpeg, .jpg or .png (any case) are images.
    labels : "inferred"; None (images only); or a list of integer labels, one per image file
        in ``directory`` and all its subfolders, in the order of their sorted paths.
    label_mode : "int" (labels int32 (B,)), "categorical" (one-hot float32 (B, K)), "binary"
        (float32 (B, 1), for exactly 2 classes) or None (no labels).
    class_names : with ``labels="inferred"``, the subfolders to use, in this order.
    color_mode : "grayscale", "rgb" or "rgba": images get 1, 3 or 4 channels.
    batch_size : images per batch; None yields one (image, label) at a time.
    image_size : (height, width) every image is resized to (an int: a square).
    shuffle : shuffle the files (once, with NumPy's RandomState(seed), as Keras) and each
        pass over them; False keeps them in sorted order.
    seed : the seed of both shuffles; None draws one from ``np.random``, as Keras does.
    validation_split, subset : keep the last ``int(validation_split * N)`` files (after the
        shuffle) for validation; subset "training" or "validation" returns one part, "both"
        returns [training, validation] (the validation part never shuffled per pass). Needs a
        seed when shuffling, so that two calls split alike.
    interpolation : how images are resized, one of ``RESIZE_METHODS`` (see ``resize``).
    follow_links : also walk into subfolders that are symbolic links.
    crop_to_aspect_ratio : crop each image to the aspect ratio of ``image_size`` first.
    pad_to_aspect_ratio, data_format, format : only Keras's defaults (False, channels-last,
        "tf"); anything else is refused by name.
    verbose : print how many files and classes were found, and how many each subset uses.

    Returns
    -------
    ImageDataset, or [training, validation] for ``subset="both"``: batches of float32 images
    (B, height, width, C), pixel values 0..255, with labels as ``label_mode`` says; ``.as_arrays()``
    gives all of them at once; ``.class_names`` and ``.file_paths`` as Keras's.
    """
    _only_the_default("pad_to_aspect_ratio", pad_to_aspect_ratio, (False,))
    _only_the_default("data_format", data_format, (None, "channels_last"))
    _only_the_default("format", format, ("tf",))
    if isinstance(labels, np.ndarray):
        labels = labels.tolist()
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError(f"image_dataset_from_directory: labels must be \"inferred\", None or a "
                         f"list of integer labels, one per image file, got {labels!r}")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f"image_dataset_from_directory: label_mode must be \"int\", "
                         f"\"categorical\", \"binary\" or None, got {label_mode!r}")
    if labels is None or label_mode is None:
        labels, label_mode = None, None
    if color_mode not in COLOR_MODES:
        raise ValueError(f"image_dataset_from_directory: color_mode must be \"grayscale\", "
                         f"\"rgb\" or \"rgba\", got {color_mode!r}")
    image_size = _image_size(image_size)
    interpolation = str(interpolation).lower()
    if interpolation not in RESIZE_METHODS:
        raise ValueError(f"image_dataset_from_directory: interpolation must be one of "
                         f"{', '.join(RESIZE_METHODS)}, got {interpolation!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
        raise ValueError(f"image_dataset_from_directory: batch_size must be a positive "
                         f"integer or None, got {batch_size!r}")
    _check_validation_split(validation_split, subset, shuffle, seed)
    if seed is None:
        seed = np.random.randint(1e6)  # Keras's draw: set_random_seed makes it repeat
    file_paths, labels, class_names = _index_directory(
        directory, labels, class_names, shuffle, seed, follow_links, verbose)
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(f"image_dataset_from_directory: label_mode=\"binary\" needs exactly "
                         f"2 classes, got {len(class_names)}: {class_names}")
    if label_mode == "categorical" and labels.size and (
            labels.min() < 0 or labels.max() >= len(class_names)):
        # Keras would give such a label a row of zeros.
        raise ValueError(f"image_dataset_from_directory: one-hot labels need labels in "
                         f"[0, {len(class_names)}), got values from {labels.min()} to "
                         f"{labels.max()}")
    options = {"class_names": class_names, "image_size": image_size, "color_mode": color_mode,
               "label_mode": label_mode, "interpolation": interpolation,
               "crop_to_aspect_ratio": crop_to_aspect_ratio, "batch_size": batch_size}
    parts = ["training", "validation"] if subset == "both" else [subset]
    datasets = []
    for part in parts:
        paths, part_labels = _split(file_paths, labels, validation_split, part, verbose)
        if not paths:
            what = f"{part} images" if subset == "both" else "images"
            raise ValueError(f"No {what} found in directory {directory}. Allowed formats: "
                             f"{ALLOWLIST_FORMATS}")
        # As Keras: the validation part of "both" is never shuffled per pass.
        reshuffle = shuffle and not (subset == "both" and part == "validation")
        datasets.append(ImageDataset(paths, part_labels, shuffle=reshuffle, seed=seed,
                                     **options))
    return datasets if subset == "both" else datasets[0]


def _only_the_default(name, value, defaults):
    """Refuse, by name, an argument of Keras's that tinycnn takes only at its default."""
    if value not in defaults:
        raise ValueError(f"image_dataset_from_directory: {name}={value!r} is not supported by "
                         f"tinycnn, which returns channels-last NumPy batches in an "
                         f"ImageDataset; leave {name} at its default")


def _image_size(image_size):
    if isinstance(image_size, int) and not isinstance(image_size, bool):
        image_size = (image_size, image_size)
    if (not isinstance(image_size, (list, tuple)) or len(image_size) != 2
            or not all(isinstance(n, int) and n > 0 for n in image_size)):
        raise ValueError(f"image_dataset_from_directory: image_size must be (height, width), "
                         f"two positive integers, got {image_size!r}")
    return tuple(image_size)


def _check_validation_split(validation_split, subset, shuffle, seed):
    """Keras's rules for validation_split and subset, with its messages."""
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(f"`validation_split` must be between 0 and 1, received: "
                         f"{validation_split}")
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(f'`subset` must be either "training", "validation" or "both", '
                         f"received: {subset}")
    if validation_split and shuffle and seed is None:
        raise ValueError("If using `validation_split` and shuffling the data, you must provide "
                         "a `seed` argument, to make sure that there is no overlap between the "
                         "training and validation subset.")


def _index_directory(directory, labels, class_names, shuffle, seed, follow_links, verbose):
    """(file_paths, labels int32 (N,) or None, class_names or None), in Keras's order: the
    classes' files one class after another, each class's walked in sorted order; then, with
    ``shuffle``, all of them permuted by ``np.random.RandomState(seed)``."""
    directory = os.fspath(directory)
    if labels == "inferred":
        subdirs = [name for name in sorted(os.listdir(directory))
                   if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")]
        if class_names is not None:
            if not set(class_names) <= set(subdirs):
                raise ValueError(f"image_dataset_from_directory: class_names {class_names} "
                                 f"are not all subfolders of {directory}: {subdirs}")
            subdirs = list(class_names)  # their order, not the sorted one
    elif class_names is not None:
        raise ValueError("image_dataset_from_directory: class_names can only be given with "
                         "labels=\"inferred\" (with explicit labels they are the sorted labels)")
    else:
        subdirs = [""]  # the whole folder, walked from the top
    file_paths, inferred = [], []
    for class_index, subdir in enumerate(subdirs):
        for relative_path in _image_files(os.path.join(directory, subdir), follow_links):
            file_paths.append(os.path.join(directory, subdir, relative_path))
            inferred.append(class_index)
    if labels == "inferred":
        labels, names = np.array(inferred, dtype=np.int32), subdirs
    elif labels is None:
        names = None
    else:
        if len(labels) != len(file_paths):
            raise ValueError(f"image_dataset_from_directory: got {len(labels)} labels but "
                             f"{len(file_paths)} image files in {directory}")
        names = [str(label) for label in sorted(set(labels))]
        labels = np.array(labels, dtype=np.int32)
    if verbose:
        belonging = "" if names is None else f" belonging to {len(names)} classes"
        print(f"Found {len(file_paths)} files{belonging}.")
    if shuffle:
        # Keras shuffles the paths and the labels with two RandomState(seed): one permutation.
        order = np.arange(len(file_paths))
        np.random.RandomState(seed).shuffle(order)
        file_paths = [file_paths[i] for i in order]
        labels = None if labels is None else labels[order]
    return file_paths, labels, names


def _image_files(folder, follow_links):
    """The image files under ``folder``, as paths relative to it: folders in sorted order of
    their paths, each folder's files sorted by name (Keras's order)."""
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links),
                                 key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(ALLOWLIST_FORMATS):
                found.append(os.path.relpath(os.path.join(root, name), folder))
    return found


def _split(file_paths, labels, validation_split, subset, verbose):
    """The first N - int(validation_split * N) files for "training", the rest for
    "validation"; everything without a subset."""
    if not validation_split:
        return file_paths, labels
    validation_count = int(validation_split * len(file_paths))
    training_count = len(file_paths) - validation_count
    part = slice(None, training_count) if subset == "training" else slice(training_count, None)
    if verbose:
        count = training_count if subset == "training" else validation_count
        print(f"Using {count} files for {subset}.")
    return file_paths[part], None if labels is None else labels[part]


class ImageDataset:
    """Images read from files in batches, as Keras's ``tf.data.Dataset`` of them yields.

        for images, labels in dataset: ...     # one pass: float32 (B, H, W, C), labels (B, ...)
        images, labels = dataset.as_arrays()   # every image at once, in file_paths order
        dataset.take(1)                        # the first batch of a pass, as Keras's take

    Each pass reads the files again. With ``shuffle``, each pass visits them in a new order,
    drawn from ``np.random.default_rng(seed)``: the first pass's order, the second's, ... are
    the same on every run. Without labels (``label_mode=None``) a batch is just the images.

    Attributes: ``class_names`` (list, or None without labels), ``file_paths`` (the files, in
    the order of ``as_arrays``), ``batch_size``, ``image_size``, ``label_mode``.
    """

    def __init__(self, file_paths, labels, *, class_names, image_size, color_mode,
                 label_mode, interpolation, crop_to_aspect_ratio, batch_size, shuffle, seed):
        self.file_paths = list(file_paths)
        self.class_names = class_names
        self.image_size = image_size
        self.color_mode = color_mode
        self.label_mode = label_mode
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.batch_size = batch_size
        self._labels = labels
        self._pass_rng = np.random.default_rng(seed) if shuffle else None

    def __len__(self):
        """The number of batches in a pass (of images, when ``batch_size`` is None)."""
        if self.batch_size is None:
            return len(self.file_paths)
        return -(-len(self.file_paths) // self.batch_size)

    def __iter__(self):
        count = len(self.file_paths)
        order = np.arange(count) if self._pass_rng is None else self._pass_rng.permutation(count)
        if self.batch_size is None:
            for i in order:
                images, labels = self._read([i])
                yield images[0] if labels is None else (images[0], labels[0])
            return
        for start in range(0, count, self.batch_size):
            images, labels = self._read(order[start:start + self.batch_size])
            yield images if labels is None else (images, labels)

    def take(self, count):
        """The first ``count`` batches of a new pass, as a list."""
        batches = []
        for batch in self:
            if len(batches) == count:
                break
            batches.append(batch)
        return batches

    def as_arrays(self):
        """Every image, in ``file_paths`` order, as one batch: ``(images, labels)``, or just
        the images without labels. images float32 (N, H, W, C) in memory, so N * H * W * C * 4
        bytes (1,000 RGB images of 256x256: 786 MB)."""
        images, labels = self._read(np.arange(len(self.file_paths)))
        return images if labels is None else (images, labels)

    def __repr__(self):
        labelled = "" if self.class_names is None else f", {len(self.class_names)} classes"
        return (f"<ImageDataset: {len(self.file_paths)} images{labelled}, "
                f"{self.image_size[0]}x{self.image_size[1]} {self.color_mode}, "
                f"batch_size {self.batch_size}>")

    def _read(self, indices):
        """images float32 (len(indices), H, W, C) and their encoded labels (or None)."""
        height, width = self.image_size
        channels = COLOR_MODES[self.color_mode][1]
        images = np.empty((len(indices), height, width, channels), dtype=np.float32)
        for row, i in enumerate(indices):
            images[row] = self._read_image(self.file_paths[i])
        if self.label_mode is None:
            return images, None
        labels = self._labels[indices]
        if self.label_mode == "categorical":
            return images, np.eye(len(self.class_names), dtype=np.float32)[labels]
        if self.label_mode == "binary":
            return images, labels.astype(np.float32)[:, None]
        return images, labels

    def _read_image(self, path):
        """One file: decoded (a GIF's first frame), converted to the color mode, cropped if
        asked, resized: float32 (H, W, C)."""
        try:
            with Image.open(path) as img:
                if self.color_mode == "grayscale":
                    img.draft("L", None)  # a JPEG decodes straight to grey, as in Keras
                pixels = np.asarray(img.convert(COLOR_MODES[self.color_mode][0]))
        except (OSError, ValueError) as err:  # Pillow's UnidentifiedImageError is an OSError
            raise ValueError(f"{path}: cannot read this image ({err})") from err
        if pixels.ndim == 2:
            pixels = pixels[:, :, np.newaxis]
        if self.crop_to_aspect_ratio:
            pixels = crop_to_aspect_ratio(pixels, self.image_size)
        return resize(pixels, self.image_size, self.interpolation)
