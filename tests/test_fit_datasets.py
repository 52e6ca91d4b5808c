"""fit, evaluate and predict take an ImageDataset (image_dataset_from_directory) as x, as
Keras takes a dataset: its images and labels in its batch size, so the same training as on
the arrays it holds (``as_arrays()``). What Keras refuses beside a dataset is refused by name,
and batch_size too (Keras 3.15 ignores it there without a word).

The folders are written here: 8x8 grey PNGs, dark, mid or light, one class each."""

import numpy as np
import pytest
from test_utilities import write_image

import tinycnn as tc
from tinycnn.images import image_dataset_from_directory
from tinycnn.keras import layers

GREYS = {"dark": (0, 90), "light": (160, 256), "mid": (90, 160)}  # pixel ranges by class


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """{"two": a folder of 2 classes (dark, light), "three": of 3}, 10 images a class."""
    rng = np.random.default_rng(0)
    roots = {"two": tmp_path_factory.mktemp("two"), "three": tmp_path_factory.mktemp("three")}
    for root, classes in ((roots["two"], ["dark", "light"]), (roots["three"], list(GREYS))):
        for name in classes:
            for index in range(10):
                write_image(root / name / f"{index}.png", rng.integers(*GREYS[name], (8, 8)))
    return roots


def dataset(root, **options):
    options = {"image_size": (8, 8), "color_mode": "grayscale", "batch_size": 6, "seed": 1,
               "verbose": False, **options}
    return image_dataset_from_directory(root, **options)


def model_for(units, activation, loss, metrics=("accuracy",)):
    """Rescaling(1/255), Flatten, Dense(units, activation), compiled."""
    model = tc.Sequential([layers.Rescaling(1 / 255, input_shape=(8, 8, 1)), layers.Flatten(),
                           layers.Dense(units, activation=activation)], seed=0)
    model.compile(optimizer=tc.optimizers.Adam(0.05), loss=loss, metrics=list(metrics))
    return model


# label_mode -> (outputs, activation, loss, folder) it trains with
LABEL_MODES = {
    "binary": (1, "sigmoid", tc.losses.BinaryCrossentropy(), "two"),
    "categorical": (3, "softmax", tc.losses.CategoricalCrossentropy(), "three"),
    "int": (3, "softmax", "sparse_categorical_crossentropy", "three"),
}


@pytest.mark.parametrize("label_mode", list(LABEL_MODES))
def test_fit_on_a_dataset_is_fit_on_its_arrays_in_its_batch_size(folders, label_mode):
    units, activation, loss, folder = LABEL_MODES[label_mode]
    data = dataset(folders[folder], label_mode=label_mode)
    on_dataset = model_for(units, activation, loss)
    history = on_dataset.fit(data, epochs=3, verbose=0)
    images, labels = data.as_arrays()
    on_arrays = model_for(units, activation, loss)
    expected = on_arrays.fit(images, labels, batch_size=data.batch_size, epochs=3, verbose=0)
    assert history.history == expected.history
    assert history.history["loss"][-1] < history.history["loss"][0]  # it learns


def test_a_validation_dataset_and_evaluate_and_predict_on_datasets(folders):
    training, validation = dataset(folders["two"], label_mode="binary", validation_split=0.3,
                                   subset="both")
    model = model_for(1, "sigmoid", "binary_crossentropy")
    history = model.fit(training, validation_data=validation, epochs=2, verbose=0)
    images, labels = validation.as_arrays()
    logs = model.evaluate(validation, return_dict=True)
    assert logs == model.evaluate(images, labels, batch_size=validation.batch_size,
                                  return_dict=True)
    assert history.history["val_loss"][-1] == logs["loss"]
    np.testing.assert_array_equal(model.predict(validation), model.predict(images))


def test_predict_takes_a_dataset_without_labels(folders):
    unlabelled = dataset(folders["two"], labels=None, shuffle=False)
    model = model_for(1, "sigmoid", "binary_crossentropy")
    predictions = model.predict(unlabelled)
    assert predictions.shape == (20, 1) and np.all((0 < predictions) & (predictions < 1))


def test_class_weight_weighs_a_binary_dataset_by_its_labels(folders):
    data = dataset(folders["two"], label_mode="binary")
    weights = {0: 1.0, 1: 4.0}
    history = model_for(1, "sigmoid", "binary_crossentropy").fit(
        data, class_weight=weights, epochs=2, verbose=0)
    images, labels = data.as_arrays()
    sample_weight = np.where(labels[:, 0] == 1, 4.0, 1.0)
    expected = model_for(1, "sigmoid", "binary_crossentropy").fit(
        images, labels, batch_size=6, sample_weight=sample_weight, epochs=2, verbose=0)
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=1e-6)


@pytest.mark.parametrize("call, arguments, match", [
    ("fit", {"y": np.zeros(20)}, "fit: y should not be given with a dataset"),
    ("fit", {"batch_size": 4}, "fit: batch_size should not be given with a dataset"),
    ("fit", {"sample_weight": np.ones(20)}, "sample_weight should not be given"),
    ("fit", {"validation_split": 0.2}, "validation_split is only supported for NumPy arrays"),
    ("evaluate", {"batch_size": 4}, "evaluate: batch_size should not be given"),
    ("predict", {"batch_size": 4}, "predict: batch_size should not be given"),
])
def test_what_keras_refuses_beside_a_dataset_is_refused_by_name(folders, call, arguments,
                                                                match):
    model = model_for(1, "sigmoid", "binary_crossentropy")
    data = dataset(folders["two"], label_mode="binary")
    with pytest.raises(ValueError, match=match):
        getattr(model, call)(data, **arguments)


@pytest.mark.parametrize("options, match", [
    ({"labels": None}, "the dataset has no labels"),
    ({"batch_size": None}, "yields single images"),
])
def test_fit_refuses_a_dataset_it_cannot_train_on(folders, options, match):
    model = model_for(1, "sigmoid", "binary_crossentropy")
    with pytest.raises(ValueError, match=match):
        model.fit(dataset(folders["two"], **options), verbose=0)


def test_a_validation_dataset_takes_no_validation_batch_size(folders):
    data = dataset(folders["two"], label_mode="binary")
    with pytest.raises(ValueError, match="validation_batch_size should not be given"):
        model_for(1, "sigmoid", "binary_crossentropy").fit(
            data, validation_data=data, validation_batch_size=4, verbose=0)


def test_fit_without_targets_names_them(folders):
    images, _ = dataset(folders["two"], label_mode="binary").as_arrays()
    with pytest.raises(ValueError, match="y is missing"):
        model_for(1, "sigmoid", "binary_crossentropy").fit(images, verbose=0)
