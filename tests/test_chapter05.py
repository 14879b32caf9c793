"""Chapter 5: mnist_convnet, dogs_vs_cats_prepare, dogs_vs_cats_from_scratch,
dogs_vs_cats_augmentation, vgg16_feature_extraction, vgg16_feature_extraction_augmented,
vgg16_fine_tuning, visualize_activations, visualize_filters, grad_cam: unit tests of the named
functions, every script's full-profile model pinned (layers, optimizer, loss, frozen weights), every
BOOK number and every full model's parameter count against the notebooks' (by cell), the book's
augmentation measured (Keras 2's shear and zoom), variants kept apart from the book's numbers, a
smoke run of every script on tiny JPEG folders, the book's copy loop against
`dlwp.data.dogs_vs_cats.prepare_split`, the in-memory image pipeline, bad input (one line, exit
status 1, the results folder as it was), and a real-data tier."""

import ast
import io
import json
import math
import shutil
from contextlib import redirect_stdout
from pathlib import Path

import fakedata
import keras
import numpy as np
import pytest
from keras import layers
from PIL import Image
from support import REPO_ROOT, smoke_args

from chapter05 import (
    dogs_vs_cats_augmentation,
    dogs_vs_cats_from_scratch,
    dogs_vs_cats_prepare,
    grad_cam,
    mnist_convnet,
    vgg16_feature_extraction,
    vgg16_feature_extraction_augmented,
    vgg16_fine_tuning,
    visualize_activations,
    visualize_filters,
)
from dlwp import flags, image_pipelines
from dlwp.data import dogs_vs_cats, imagenet
from dlwp.data.core import TEST_MARKER, DataFolders
from dlwp.errors import BadData, MissingData, UserError
from dlwp.history import smooth_curve
from dlwp.images import load_image_array

SMOKE_SPLIT = dogs_vs_cats.SMOKE_SPLIT
SMOKE_DIR = dogs_vs_cats.split_name(SMOKE_SPLIT)
SCRIPTS = sorted((REPO_ROOT / "chapter05").glob("*.py"))


@pytest.fixture(scope="session")
def ch5_data(tmp_path_factory):
    """Tiny Kaggle-style folder (cat/dog.0-11.jpg), an elephant JPEG, a class index."""
    root = fakedata.new_data_root(tmp_path_factory.mktemp("ch5_data"))
    fakedata.write_dogs_vs_cats(root)
    fakedata.write_elephant(root)
    fakedata.write_class_index(root)
    return root


@pytest.fixture(scope="session")
def tiny_convnet(tmp_path_factory):
    """The augmentation script's convnet at 48x48 (its smallest size), untrained, saved."""
    path = tmp_path_factory.mktemp("models") / "tiny_convnet.keras"
    model = dogs_vs_cats_augmentation.build_model(48)
    model.save(path)
    return path


def _folders(root, cache) -> DataFolders:
    """The data folders of a run on `root`, with a cache of its own (marked made-for-tests)."""
    cache.mkdir(parents=True, exist_ok=True)
    (cache / TEST_MARKER).write_text("test cache\n")
    return DataFolders.resolve(root, environ={"DLWP_CACHE_DIR": str(cache), "DLWP_OFFLINE": "1"})


def _copy_source(ch5_data, tmp_path):
    root = fakedata.new_data_root(tmp_path / "data")
    shutil.copytree(ch5_data / "datasets" / "dogs-vs-cats", root / "datasets" / "dogs-vs-cats")
    return root


def _tree(base: Path) -> dict[str, bytes]:
    """Every file under `base`, by its path relative to `base`, with its bytes."""
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in base.rglob("*") if p.is_file()}


def _no_machine_paths(result: dict, *folders):
    """No folder of this machine is named in a results dict (what the JSON file holds)."""
    text = json.dumps(result)
    for folder in folders:
        assert str(Path(folder).resolve()) not in text and str(folder) not in text


def _listing(root: Path):
    return sorted(
        (str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")
    )


def _ink(png: Path) -> float:
    """The fraction of a saved image's pixels that are not white: ~0 when nothing is drawn."""
    pixels = np.asarray(Image.open(png).convert("RGB"))
    return float((pixels.min(axis=-1) < 235).mean())


def _the_books(result, module):
    """A run of the book's network: the book's numbers stand beside metrics of the same names."""
    assert result["variant"] is None and result["book"] == module.BOOK
    assert set(module.BOOK) <= set(result["metrics"]) and "stands_in_for" not in result["metrics"]


def _a_stand_in(result, module):
    """A variant (another network or image): no book number beside it, and a note on what it
    stands in for."""
    assert result["variant"] and result["book"] == dict.fromkeys(module.BOOK)
    assert result["metrics"]["stands_in_for"] == module.STANDS_IN_FOR
    assert set(module.BOOK) <= set(result["metrics"])


@pytest.fixture
def results_dir(tmp_path):
    """A results folder holding an earlier result of every chapter-5 script."""
    out = tmp_path / "results"
    (out / "chapter05" / "models").mkdir(parents=True)
    for script in SCRIPTS:
        (out / "chapter05" / f"{script.stem}.json").write_text('{"profile": "quick"}\n')
    (out / "chapter05" / "models" / "dogs_vs_cats_augmentation.keras").write_bytes(b"earlier")
    return out


def _one_error_line(module, argv, results_dir, capsys, monkeypatch, tmp_path) -> tuple[str, dict]:
    """Run `module.main(argv)` as the shell does (`flags.run`): exit status 1, one `error:` line
    on stderr and no traceback, nothing in the results folder changed. Returns the line and the
    error's fields (as the runner stores them)."""
    error_json = tmp_path / "error.json"
    error_json.unlink(missing_ok=True)
    monkeypatch.setenv("DLWP_ERROR_JSON", str(error_json))
    before = _listing(results_dir)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        flags.run(module.main, argv)
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert _listing(results_dir) == before
    return err[0], json.loads(error_json.read_text())


# ---- the scripts stand alone -------------------------------------------------------------------


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_scripts_import_no_other_chapter_module(script):
    tree = ast.parse(script.read_text(encoding="utf-8"))
    imported = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{script.name}: relative import"
            imported.append(node.module)
    chapters = [name for name in imported if name.startswith("chapter")]
    assert not chapters, f"{script.name} imports {chapters}"
    text = script.read_text(encoding="utf-8")
    assert "matplotlib.use" not in text and "pyplot" not in text


# ---- every script's full-profile model, pinned -------------------------------------------------


def _layers(model) -> list[tuple]:
    """Each layer of `model` as (its type, the settings that make it what it is)."""
    settings = {
        "Conv2D": ("filters", "kernel_size", "activation"),
        "MaxPooling2D": ("pool_size",),
        "Dense": ("units", "activation"),
        "Dropout": ("rate",),
        "Rescaling": ("scale", "offset"),
    }
    described = []
    for layer in model.layers:
        kind, config = type(layer).__name__, layer.get_config()
        described.append((kind, *(config[key] for key in settings.get(kind, ()))))
    return described


def _compiled(model) -> tuple:
    """(optimizer class, learning rate, loss) of a compiled model; RMSprop with the book's step."""
    rate = float(np.asarray(model.optimizer.learning_rate))
    if isinstance(model.optimizer, keras.optimizers.RMSprop):
        assert model.optimizer.epsilon == 1e-16, "Keras 2's step (dlwp.optimizers)"
    return type(model.optimizer).__name__, round(rate, 10), model.loss


def _conv(filters):
    return ("Conv2D", filters, (3, 3), "relu")


POOL = ("MaxPooling2D", (2, 2))
RESCALE_255 = ("Rescaling", 1 / 255, 0.0)  # the book's ImageDataGenerator(rescale=1./255)
BOOK_CONVNET = [_conv(32), POOL, _conv(64), POOL, _conv(128), POOL, _conv(128), POOL]
BINARY = ("RMSprop", 1e-4, "binary_crossentropy")
FROM_SCRATCH = [
    RESCALE_255,
    *BOOK_CONVNET,
    ("Flatten",),
    ("Dense", 512, "relu"),
    ("Dense", 1, "sigmoid"),
]
AUGMENTED = [*FROM_SCRATCH[:-3], ("Flatten",), ("Dropout", 0.5), *FROM_SCRATCH[-2:]]
FEATURE_CLASSIFIER = [("Dense", 256, "relu"), ("Dropout", 0.5), ("Dense", 1, "sigmoid")]
ON_THE_BASE = [("Functional",), ("Flatten",), ("Dense", 256, "relu"), ("Dense", 1, "sigmoid")]
# every compile call of every script, as written: (optimizer, loss)
RMSPROP = "keras.optimizers.RMSprop(learning_rate={}, epsilon=KERAS2_RMSPROP_EPSILON)"
BCE = "'binary_crossentropy'"
COMPILES = {
    # the book's "rmsprop", with the book's step (dlwp.optimizers)
    "mnist_convnet": [
        ("keras.optimizers.RMSprop(epsilon=KERAS2_RMSPROP_EPSILON)", "'categorical_crossentropy'")
    ],
    "dogs_vs_cats_from_scratch": [(RMSPROP.format("0.0001"), BCE)],
    "dogs_vs_cats_augmentation": [(RMSPROP.format("learning_rate"), BCE)],  # the profile's
    "vgg16_feature_extraction": [(RMSPROP.format("2e-05"), BCE)],
    "vgg16_feature_extraction_augmented": [(RMSPROP.format("2e-05"), BCE)],
    # the classifier on the frozen base, then the fine-tuning
    "vgg16_fine_tuning": [(RMSPROP.format("2e-05"), BCE), (RMSPROP.format("1e-05"), BCE)],
}


def test_every_compile_call_is_the_books():
    for name, expected in COMPILES.items():
        tree = ast.parse((REPO_ROOT / "chapter05" / f"{name}.py").read_text(encoding="utf-8"))
        calls = sorted(
            (node.lineno, {kw.arg: ast.unparse(kw.value) for kw in node.keywords})
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "compile"
        )
        assert [(kw["optimizer"], kw["loss"]) for _, kw in calls] == expected, name
        assert all(kw["metrics"] == "['accuracy']" for _, kw in calls), name


def test_mnist_convnet_full_profile_is_the_books():
    args = mnist_convnet.parse_args(["--profile", "full"])
    settings = (args.epochs, args.batch_size, args.train_samples, args.test_samples)
    assert settings == (5, 64, None, None)
    model = mnist_convnet.build_model()
    assert model.input_shape == (None, 28, 28, 1)
    assert _layers(model) == [
        ("Conv2D", 32, (3, 3), "relu"),
        POOL,
        ("Conv2D", 64, (3, 3), "relu"),
        POOL,
        ("Conv2D", 64, (3, 3), "relu"),
        ("Flatten",),
        ("Dense", 64, "relu"),
        ("Dense", 10, "softmax"),
    ]
    assert _compiled(model) == ("RMSprop", 0.001, "categorical_crossentropy")  # "rmsprop"
    assert model.count_params() == 93322
    assert model.output_shape == (None, 10)
    text = io.StringIO()
    with redirect_stdout(text):
        model.summary()
    assert "93,322" in text.getvalue()


def test_dogs_vs_cats_convnets_full_profiles_are_the_books():
    args = dogs_vs_cats_from_scratch.parse_args(["--profile", "full"])
    assert (args.epochs, args.image_size, args.split) == (30, 150, dogs_vs_cats.SPLIT)
    assert dogs_vs_cats_from_scratch.BATCH_SIZE == 20
    model = dogs_vs_cats_from_scratch.build_model(args.image_size)
    assert model.input_shape == (None, 150, 150, 3)
    assert _layers(model) == FROM_SCRATCH
    assert _compiled(model) == BINARY
    assert model.count_params() == 3453121  # the book's summary

    args = dogs_vs_cats_augmentation.parse_args(["--profile", "full"])
    settings = (args.epochs, args.image_size, args.steps_per_epoch, args.learning_rate)
    assert settings == (100, 150, 100, 1e-4) and args.split == dogs_vs_cats.SPLIT
    assert dogs_vs_cats_augmentation.BATCH_SIZE == 32
    model = dogs_vs_cats_augmentation.build_model(args.image_size, args.learning_rate)
    assert model.input_shape == (None, 150, 150, 3)
    assert _layers(model) == AUGMENTED
    assert _compiled(model) == BINARY


def test_transfer_learning_full_profiles_are_the_books():
    """The VGG16 base at 150x150, the classifiers on top, and the trainable weight tensors after
    freezing (the book: 30, then 4) and after unfreezing block 5 (6 + 4)."""
    fe, fea, ft = vgg16_feature_extraction, vgg16_feature_extraction_augmented, vgg16_fine_tuning
    for module, epochs in [(fe, (30, None)), (fea, (30, None)), (ft, (100, 30))]:
        args = module.parse_args(["--profile", "full"])
        assert (args.base, args.weights, args.image_size) == ("vgg16", "imagenet", None)
        assert (args.epochs, getattr(args, "head_epochs", None)) == epochs
        assert args.split == dogs_vs_cats.SPLIT and module.BATCH_SIZE == 20
        assert module.IMAGE_SIZE == {"vgg16": 150, "mobilenet": 160}
        assert {base: entry[:2] for base, entry in module.APPLICATIONS.items()} == {
            "vgg16": (keras.applications.VGG16, {}),
            "mobilenet": (keras.applications.MobileNet, {"alpha": 0.25}),
        }
    assert ft.FINE_TUNE_FROM == {"vgg16": "block5_conv1", "mobilenet": "conv_dw_13"}

    conv_base = keras.applications.VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))
    assert conv_base.output_shape == (None, 4, 4, 512)
    classifier = fe.build_classifier(conv_base.output_shape[1:])
    assert classifier.input_shape == (None, 4 * 4 * 512)
    assert _layers(classifier) == FEATURE_CLASSIFIER
    assert _compiled(classifier) == ("RMSprop", 2e-5, "binary_crossentropy")

    model = fea.build_model(conv_base, imagenet.rescaling("vgg16"), 150)
    assert model.input_shape == (None, 150, 150, 3) and model.layers[1] is conv_base
    assert _layers(model) == [RESCALE_255, *ON_THE_BASE]
    assert _layers(ft.build_model(conv_base, imagenet.rescaling("vgg16"), 150)) == _layers(model)
    assert len(model.trainable_weights) == 30
    conv_base.trainable = False
    assert len(model.trainable_weights) == 4
    ft.set_trainable_from(conv_base, ft.FINE_TUNE_FROM["vgg16"])
    assert len(model.trainable_weights) == 6 + 4

    # the MobileNet stand-in at its size: its BatchNormalization weights count too
    application, options, _ = fea.APPLICATIONS["mobilenet"]
    conv_base = application(weights=None, include_top=False, input_shape=(160, 160, 3), **options)
    assert conv_base.output_shape == (None, 5, 5, 256)
    model = fea.build_model(conv_base, imagenet.rescaling("mobilenet"), 160)
    assert _layers(model) == [("Rescaling", 1 / 127.5, -1.0), *ON_THE_BASE]
    assert len(model.trainable_weights) == 81 + 4
    conv_base.trainable = False
    assert len(model.trainable_weights) == 4
    ft.set_trainable_from(conv_base, ft.FINE_TUNE_FROM["mobilenet"])
    assert len(model.trainable_weights) == 2 + 4  # two conv kernels: batch norm stays frozen


# ---- the notebooks' numbers ----------------------------------------------------------------------

# Every BOOK number is what a 1st-edition notebook printed (Keras 2.0.8), by cell (0-based index in
# the notebook's `cells`); "best" is the first epoch that reached the best val_acc.
NOTEBOOK_NUMBERS = {
    mnist_convnet: {
        "test_accuracy": 0.9913,  # 5.1, cell 14: 0.99129999999999996
        "params": 93322,  # 5.1, cell 8: Total params: 93,322
    },
    dogs_vs_cats_prepare: {  # 5.2, cells 8-13: "total training cat images: 1000", ...
        "train/cats": 1000,
        "train/dogs": 1000,
        "validation/cats": 500,
        "validation/dogs": 500,
        "test/cats": 500,
        "test/dogs": 500,
    },
    dogs_vs_cats_from_scratch: {  # 5.2, cell 26: 30 epochs
        "best_val_accuracy": 0.731,  # val_acc 0.7310 at epoch 28
        "best_val_epoch": 28,
        "final_val_accuracy": 0.724,  # epoch 30: val_acc 0.7240
        "final_train_accuracy": 0.9895,  # epoch 30: acc 0.9895
    },
    dogs_vs_cats_augmentation: {  # 5.2, cell 39: 100 epochs
        "best_val_accuracy": 0.846,  # val_acc 0.8460 at epoch 99
        "best_val_epoch": 99,
        "final_val_accuracy": 0.8439,  # epoch 100
    },
    vgg16_feature_extraction: {  # 5.3, cell 12: 30 epochs
        "best_val_accuracy": 0.903,  # val_acc 0.9030, first at epoch 20
        "best_val_epoch": 20,
        "final_val_accuracy": 0.903,  # epoch 30
        "test_accuracy": None,  # not evaluated
    },
    vgg16_feature_extraction_augmented: {
        "best_val_accuracy": 0.979,  # 5.3, cell 24: val_acc 0.9790 at epoch 15 of 30
        "best_val_epoch": 15,
        "final_val_accuracy": 0.951,  # cell 24: epoch 30
        "test_accuracy": None,  # not evaluated
        "trainable_weights_before_freezing": 30,  # cell 20
        "trainable_weights_after_freezing": 4,  # cell 22
    },
    vgg16_fine_tuning: {
        "test_accuracy": 0.968,  # 5.3, cell 42: test acc: 0.967999992371
        "best_val_accuracy": 0.983,  # cell 35: val_acc 0.9830 at epoch 30 of 100
        "best_val_epoch": 30,
        "final_val_accuracy": 0.975,  # cell 35: epoch 100
        "val_accuracy_before_fine_tuning": 0.951,  # cell 24: epoch 30 on the frozen base
    },
    visualize_activations: {
        "layers_shown": 8,  # 5.4, cell 9: model.layers[:8]
        "first_layer_activation_shape": [1, 148, 148, 32],  # 5.4, cell 13
    },
    visualize_filters: {  # 5.4's grid loop (prints nothing): 4 layers, 8 x 8 filters
        "layers": ["block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1"],
        "filters": 64,
    },
    grad_cam: {
        "top_class": "African_elephant",  # 5.4, cell 46: ('n02504458', 'African_elephant', ...)
        "top_score": 0.9094,  # 5.4, cell 46: 0.90942144
        "class_index": 386,  # 5.4, cell 48: np.argmax(preds[0])
    },
}


def test_every_book_number_is_the_notebooks():
    scripts = {script.stem for script in SCRIPTS} - {"__init__"}
    assert {module.__name__.split(".")[-1] for module in NOTEBOOK_NUMBERS} == scripts
    for module, numbers in NOTEBOOK_NUMBERS.items():
        assert module.BOOK == numbers, module.__name__
        assert list(module.BOOK) == list(numbers), module.__name__  # the table's row order


def _full_args(module):
    return module.parse_args(["--profile", "full"])


def _vgg16_base(module, size=None):
    """The script's VGG16 conv base, at its input size, without weights (counting only)."""
    application, options, _ = module.APPLICATIONS["vgg16"]
    size = size or module.IMAGE_SIZE["vgg16"]
    return application(weights=None, include_top=False, input_shape=(size, size, 3), **options)


def _augmentation_full_model():
    args = _full_args(dogs_vs_cats_augmentation)
    return dogs_vs_cats_augmentation.build_model(args.image_size, args.learning_rate)


def _feature_classifier():
    shape = _vgg16_base(vgg16_feature_extraction).output_shape[1:]
    return vgg16_feature_extraction.build_classifier(shape)


def _on_the_base(module):
    return module.build_model(
        _vgg16_base(module), imagenet.rescaling("vgg16"), module.IMAGE_SIZE["vgg16"]
    )


# Every full model's parameter count is the notebook's: the "Total params" of the summary the
# notebook prints, or where it prints none, the count its listing implies. Keras 3's Input and
# Rescaling layers hold no weights; VGG16 is built with weights=None (the count is the same).
FULL_MODELS = {
    "mnist_convnet": mnist_convnet.build_model,
    "dogs_vs_cats_from_scratch": lambda: dogs_vs_cats_from_scratch.build_model(
        _full_args(dogs_vs_cats_from_scratch).image_size
    ),
    "dogs_vs_cats_augmentation": _augmentation_full_model,
    "vgg16_feature_extraction": _feature_classifier,  # the model the notebook trains
    "vgg16_feature_extraction_augmented": lambda: _on_the_base(vgg16_feature_extraction_augmented),
    "vgg16_fine_tuning": lambda: _on_the_base(vgg16_fine_tuning),
    # what its full profile loads: the augmentation script's full model
    "visualize_activations": _augmentation_full_model,
    "visualize_filters": lambda: _vgg16_base(visualize_filters, _full_args(visualize_filters).size),
    "grad_cam": lambda: keras.applications.VGG16(weights=None, include_top=True),
}
BOOK_PARAMS = {
    # printed summaries
    "mnist_convnet": 93322,  # 5.1, cell 8: Total params: 93,322
    "dogs_vs_cats_from_scratch": 3453121,  # 5.2, cell 18: Total params: 3,453,121
    # 5.2 prints no summary of its model 2 (cell 37); 5.4 cell 3 prints the one it saved
    "dogs_vs_cats_augmentation": 3453121,  # 5.4, cell 3: Total params: 3,453,121
    "vgg16_feature_extraction_augmented": 16812353,  # 5.3, cell 18: Total params: 16,812,353
    "vgg16_fine_tuning": 16812353,  # the same model (5.3, cell 18), fine-tuned (cells 33-35)
    "visualize_activations": 3453121,  # 5.4, cell 3: Total params: 3,453,121
    # VGG16(include_top=False): 5.3, cell 6 prints 14,714,688 at 150x150; 5.4 builds it without
    # an input shape for the filter patterns, and the count does not depend on the input size
    "visualize_filters": 14714688,
    # implied by the listing (no summary printed)
    # 5.3, cell 12: Dense(256) on 4 * 4 * 512 features, Dropout, Dense(1)
    "vgg16_feature_extraction": 4 * 4 * 512 * 256 + 256 + 256 + 1,
    # 5.4, cell 42: VGG16(weights="imagenet") with its classifier: the conv base, fc1 on the
    # 7 x 7 x 512 map, fc2, 1,000 predictions
    "grad_cam": 14714688 + (7 * 7 * 512 * 4096 + 4096) + (4096 * 4096 + 4096) + 4096 * 1000 + 1000,
}


def test_book_params_table_covers_every_model_and_adds_up():
    names = {module.__name__.split(".")[-1] for module in NOTEBOOK_NUMBERS}
    assert set(BOOK_PARAMS) == set(FULL_MODELS) == names - {"dogs_vs_cats_prepare"}  # no model
    assert BOOK_PARAMS["vgg16_feature_extraction"] == 2097665
    assert BOOK_PARAMS["grad_cam"] == 138357544
    # 5.3 cell 18's rows: vgg16 14,714,688 + dense 2,097,408 + dense 257; the same classifier
    # on the base, which the feature-extraction script saves with it
    assert 14714688 + BOOK_PARAMS["vgg16_feature_extraction"] == 16812353


@pytest.mark.parametrize("name", BOOK_PARAMS)
def test_full_model_has_the_notebooks_parameter_count(name):
    assert FULL_MODELS[name]().count_params() == BOOK_PARAMS[name]


def test_the_notebooks_summaries_row_by_row():
    """The per-layer rows and the frozen counts the notebooks print."""
    model = mnist_convnet.build_model()
    assert sum(layer.count_params() for layer in model.layers[:5]) == 55744  # 5.1, cell 4
    model = _augmentation_full_model()  # 5.4, cell 3: dense_3 3,211,776, dense_4 513
    assert [layer.count_params() for layer in model.layers if layer.weights][-2:] == [3211776, 513]
    model = _on_the_base(vgg16_feature_extraction_augmented)
    counts = [layer.count_params() for layer in model.layers if layer.weights]
    assert counts == [14714688, 2097408, 257]  # 5.3, cell 18: vgg16, dense_3, dense_4
    conv_base = model.layers[1]
    conv_base.trainable = False  # 5.3, cell 31: Trainable params: 0, Non-trainable: 14,714,688
    trainable = sum(int(np.prod(w.shape)) for w in conv_base.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in conv_base.non_trainable_weights)
    assert (trainable, frozen) == (0, 14714688)


def test_imagenet_rescaling_per_base():
    pixels = np.array([[0.0, 127.5, 255.0]], "float32")
    vgg16, mobilenet = imagenet.rescaling("vgg16"), imagenet.rescaling("mobilenet")
    assert np.allclose(np.asarray(vgg16(pixels)), [[0.0, 0.5, 1.0]])  # the book's 1/255
    assert np.allclose(np.asarray(mobilenet(pixels)), [[-1.0, 0.0, 1.0]])  # its training range


# ---- mnist_convnet -----------------------------------------------------------------------------


def test_mnist_convnet_smoke(tiny_data, out_dir):
    result = mnist_convnet.main(smoke_args(tiny_data, out_dir))
    m = result["metrics"]
    assert m["params"] == 93322 and math.isfinite(m["test_loss"])
    assert len(m["train_accuracy_per_epoch"]) == 1  # the smoke profile's one epoch
    assert (out_dir / "chapter05" / "mnist_convnet.smoke.json").exists()
    _no_machine_paths(result, tiny_data, out_dir)


# ---- dogs_vs_cats_prepare: the book's copy loop, and dlwp's prepare_split ----------------------


def test_split_files_follow_the_book_indices():
    files = dogs_vs_cats.split_files(dogs_vs_cats.SPLIT)
    assert files["train"]["cats"][0] == "cat.0.jpg" and files["train"]["cats"][-1] == "cat.999.jpg"
    assert files["validation"]["dogs"][0] == "dog.1000.jpg"
    assert files["validation"]["dogs"][-1] == "dog.1499.jpg"
    assert (
        files["test"]["cats"][0] == "cat.1500.jpg" and files["test"]["cats"][-1] == "cat.1999.jpg"
    )
    assert [len(files[s]["dogs"]) for s in ("train", "validation", "test")] == [1000, 500, 500]
    assert dogs_vs_cats.split_name(dogs_vs_cats.SPLIT) == "cats_and_dogs_small"
    assert dogs_vs_cats_prepare.PROFILES["full"]["split"] == dogs_vs_cats.SPLIT


def test_copy_loop_equals_prepare_split_for_the_book_split(tmp_path):
    """The script's loop and dlwp's prepare_split give the same 4,000 files, byte for byte."""
    root = fakedata.new_data_root(tmp_path / "data")
    source = fakedata.write_dogs_vs_cats_stubs(root, 2100)  # 2000-2099: not in the split
    data = _folders(root, tmp_path / "cache")
    expected, copied = dogs_vs_cats.prepare_split(data, dogs_vs_cats.SPLIT)
    assert copied == 4000
    loop_dir = tmp_path / "loop" / "cats_and_dogs_small"
    assert dogs_vs_cats_prepare.copy_split(source, loop_dir, dogs_vs_cats.SPLIT) == 4000
    assert _tree(loop_dir) == _tree(expected)
    assert len(_tree(loop_dir)) == 4000
    assert (
        (loop_dir / "validation" / "dogs" / "dog.1000.jpg").read_bytes().endswith(b"dog.1000.jpg")
    )


def test_prepare_smoke_equals_prepare_split(ch5_data, out_dir, tmp_path, monkeypatch):
    """The script, with a cache of its own, against prepare_split in another cache."""
    script_cache = tmp_path / "script_cache"
    script_cache.mkdir()
    (script_cache / TEST_MARKER).write_text("test cache\n")
    monkeypatch.setenv("DLWP_CACHE_DIR", str(script_cache))
    result = dogs_vs_cats_prepare.main(smoke_args(ch5_data, out_dir))
    m = result["metrics"]
    assert [m[k] for k in dogs_vs_cats_prepare.BOOK] == [6, 6, 3, 3, 3, 3]
    assert m["folder"] == f"datasets/{SMOKE_DIR}"
    assert m["files_copied"] == 24
    assert m["second_run_changes"] == 0  # prepare_split found the loop's split complete
    base = script_cache / m["folder"]
    assert sorted(p.name for p in (base / "test" / "dogs").iterdir()) == [
        "dog.10.jpg",
        "dog.11.jpg",
        "dog.9.jpg",
    ]
    expected, _ = dogs_vs_cats.prepare_split(
        _folders(ch5_data, tmp_path / "lib_cache"), SMOKE_SPLIT
    )
    assert _tree(base) == _tree(expected)
    assert not list((ch5_data / "datasets").glob("cats_and_dogs_small*"))  # source untouched
    assert all(s["kind"] == "made-for-tests" for s in result["data"])
    assert f"datasets/{SMOKE_DIR}" in [s["file"] for s in result["data"]]
    _no_machine_paths(result, ch5_data, out_dir, script_cache)
    # a second run copies again (the book's loop does) and still agrees with prepare_split
    again = dogs_vs_cats_prepare.main(smoke_args(ch5_data, out_dir))["metrics"]
    assert again["files_copied"] == 24 and again["second_run_changes"] == 0
    assert _tree(base) == _tree(expected)


def test_copy_loop_names_a_broken_photo(ch5_data, tmp_path):
    root = _copy_source(ch5_data, tmp_path)
    source = root / "datasets" / "dogs-vs-cats" / "train"
    data = (source / "cat.4.jpg").read_bytes()
    (source / "cat.4.jpg").write_bytes(data[: len(data) // 3])  # truncated JPEG
    with pytest.raises(BadData, match=r"cat\.4\.jpg: not a decodable JPEG"):
        dogs_vs_cats_prepare.copy_split(source, tmp_path / "split", SMOKE_SPLIT)


def test_prepare_split_is_idempotent(ch5_data, tmp_path):
    data = _folders(ch5_data, tmp_path / "cache")
    base, copied = dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)
    assert copied == 24 and base == tmp_path / "cache" / "datasets" / SMOKE_DIR
    stamps = {p: p.stat().st_mtime_ns for p in base.rglob("*.jpg")}
    assert dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)[1] == 0
    assert {p: p.stat().st_mtime_ns for p in base.rglob("*.jpg")} == stamps
    assert dogs_vs_cats.count_images(base) == {
        "train/cats": 6,
        "train/dogs": 6,
        "validation/cats": 3,
        "validation/dogs": 3,
        "test/cats": 3,
        "test/dogs": 3,
    }


def test_prepare_split_repairs_a_damaged_split(ch5_data, tmp_path):
    data = _folders(_copy_source(ch5_data, tmp_path), tmp_path / "cache")
    base, copied = dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)
    assert copied == 24
    (base / "train" / "cats" / "cat.0.jpg").unlink()
    (base / "train" / "cats" / "stray.jpg").write_bytes(b"x")
    (base / "validation" / "dogs" / "dog.6.jpg").write_bytes(b"truncated")
    _, changed = dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)
    assert changed == 3
    assert dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)[1] == 0


def test_prepare_split_errors_name_the_problem(ch5_data, tmp_path, empty_data):
    with pytest.raises(MissingData) as exc:
        dogs_vs_cats.prepare_split(_folders(empty_data, tmp_path / "c0"), SMOKE_SPLIT)
    assert exc.value.files == ["datasets/dogs-vs-cats/train"]
    assert "kaggle" in exc.value.fix.lower()
    root = _copy_source(ch5_data, tmp_path)
    data = _folders(root, tmp_path / "cache")
    (root / "datasets" / "dogs-vs-cats" / "train" / "dog.7.jpg").unlink()
    with pytest.raises(BadData, match=r"incomplete: dog\.7\.jpg missing"):
        dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)
    source = root / "datasets" / "dogs-vs-cats" / "train"
    fakedata.jpeg(source / "dog.7.jpg", (0, 0, 0))
    jpeg_bytes = (source / "cat.4.jpg").read_bytes()
    (source / "cat.4.jpg").write_bytes(jpeg_bytes[: len(jpeg_bytes) // 3])  # truncated JPEG
    with pytest.raises(BadData, match=r"cat\.4\.jpg: not a decodable JPEG") as exc:
        dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)
    assert exc.value.fields["file"] == "datasets/dogs-vs-cats/train/cat.4.jpg"
    (source / "cat.4.jpg").write_bytes(b"GIF89a not a jpeg")
    with pytest.raises(BadData, match=r"cat\.4\.jpg: not a decodable JPEG"):
        dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)


def test_check_split_checks_counts(ch5_data, tmp_path):
    data = _folders(ch5_data, tmp_path / "cache")
    with pytest.raises(UserError, match="holds 0 images, not 6"):
        dogs_vs_cats.check_split(tmp_path / "cache" / "datasets" / SMOKE_DIR, SMOKE_SPLIT)
    base, _ = dogs_vs_cats.prepare_split(data, SMOKE_SPLIT)
    dogs_vs_cats.check_split(base, SMOKE_SPLIT)
    (base / "test" / "cats" / "cat.9.jpg").unlink()
    with pytest.raises(UserError, match="holds 2 images, not 3"):
        dogs_vs_cats.check_split(base, SMOKE_SPLIT)


BROKEN_PHOTOS = {  # a photo of the smoke split, and what is in its place
    "zero-byte": ("cat.4.jpg", b""),
    "text": ("dog.7.jpg", b"not a photo: a note saved as dog.7.jpg\n"),
}
SPLIT_SCRIPTS = [dogs_vs_cats_prepare, dogs_vs_cats_from_scratch, dogs_vs_cats_augmentation]


@pytest.mark.parametrize("script", SPLIT_SCRIPTS, ids=lambda m: m.__name__.split(".")[-1])
@pytest.mark.parametrize("case", BROKEN_PHOTOS)
def test_a_broken_photo_in_the_source_is_one_line(
    case, script, ch5_data, tmp_path, results_dir, capsys, monkeypatch
):
    name, content = BROKEN_PHOTOS[case]
    root = _copy_source(ch5_data, tmp_path)
    (root / "datasets" / "dogs-vs-cats" / "train" / name).write_bytes(content)
    monkeypatch.setenv("DLWP_CACHE_DIR", str(tmp_path / "cache"))  # the split is made here
    argv = smoke_args(root, results_dir)
    line, fields = _one_error_line(script, argv, results_dir, capsys, monkeypatch, tmp_path)
    assert f"datasets/dogs-vs-cats/train/{name}: not a decodable JPEG" in line
    assert fields["kind"] == "bad input" and fields["file"].endswith(name)


# ---- the input pipeline, from scratch, augmentation --------------------------------------------


def _read_folder(directory, size):
    return keras.utils.image_dataset_from_directory(
        directory,
        label_mode="binary",
        image_size=(size, size),
        batch_size=None,
        shuffle=False,
        verbose=False,
    )


def test_in_memory_pipeline_shapes_labels_and_cache(ch5_data, tmp_path):
    base, _ = dogs_vs_cats.prepare_split(_folders(ch5_data, tmp_path / "cache"), SMOKE_SPLIT)
    test_ds = image_pipelines.in_memory(_read_folder(base / "test", 24), batch_size=4)
    x, y = next(iter(test_ds))
    assert x.shape == (4, 24, 24, 3) and x.dtype == "uint8" and y.shape == (4, 1)
    labels = np.concatenate([y.numpy().ravel() for _, y in test_ds])
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]  # cats 0, dogs 1
    # cats are reddish, dogs bluish in the fake data: the labels belong to the pixels
    means = np.concatenate([x.numpy().mean(axis=(1, 2)) for x, _ in test_ds])
    assert (means[:3, 0] > means[:3, 2]).all() and (means[3:, 2] > means[3:, 0]).all()
    train_ds = image_pipelines.in_memory(_read_folder(base / "train", 24), 4, shuffle_seed=1)
    epoch1 = np.concatenate([y.numpy().ravel() for _, y in train_ds])
    epoch2 = np.concatenate([y.numpy().ravel() for _, y in train_ds])
    assert sorted(epoch1.tolist()) == [0] * 6 + [1] * 6
    assert epoch1.tolist() != [0] * 6 + [1] * 6 or epoch2.tolist() != [0] * 6 + [1] * 6
    speed = image_pipelines.throughput(train_ds)
    assert speed["first_pass_images_per_s"] > 0 and speed["cached_images_per_s"] > 0
    batched = keras.utils.image_dataset_from_directory(
        base / "test", label_mode="binary", image_size=(24, 24), batch_size=4, verbose=False
    )
    with pytest.raises(ValueError, match="batch_size=None"):
        image_pipelines.in_memory(batched, 4)


def test_from_scratch_smoke(ch5_data, out_dir):
    result = dogs_vs_cats_from_scratch.main(smoke_args(ch5_data, out_dir))
    m = result["metrics"]
    assert set(m["history"]) >= {"loss", "val_accuracy"} and m["best_val_epoch"] == 1
    assert m["final_train_accuracy"] == m["history"]["accuracy"][-1]
    assert m["pipeline"]["cached_images_per_s"] > 0
    assert (out_dir / "chapter05" / "dogs_vs_cats_from_scratch.smoke_curves.png").exists()
    assert m["model_file"] == "chapter05/models/dogs_vs_cats_from_scratch.smoke.keras"
    model = keras.models.load_model(out_dir / m["model_file"])  # what main trained
    assert model.input_shape == (None, 48, 48, 3)
    assert _layers(model) == FROM_SCRATCH and _compiled(model) == BINARY
    _no_machine_paths(result, ch5_data, out_dir)


def test_augmentation_layers_and_preview():
    augment = dogs_vs_cats_augmentation.data_augmentation()
    kinds = [type(layer).__name__ for layer in augment.layers]
    assert kinds == [
        "RandomRotation",
        "RandomTranslation",
        "RandomShear",
        "RandomZoom",
        "RandomFlip",
    ]
    assert augment.layers[0].factor == (-40 / 360, 40 / 360)  # rotation_range=40 (degrees)
    assert (augment.layers[1].height_factor, augment.layers[1].width_factor) == (0.2, 0.2)
    shear, zoom = augment.layers[2], augment.layers[3]
    assert shear.y_factor == (-0.2, 0.2) and [abs(f) for f in shear.x_factor] == [0, 0]
    assert (zoom.height_lower, zoom.height_upper) == (-0.2, 0.2)
    assert (zoom.width_lower, zoom.width_upper) == (-0.2, 0.2)  # x drawn apart from y
    assert augment.layers[4].mode == "horizontal"
    for layer in augment.layers[:4]:  # Keras 2's fill_mode and its order=0 resampling
        assert (layer.fill_mode, layer.interpolation) == ("nearest", "nearest")
    image = np.tile(np.linspace(0, 255, 32, dtype="float32")[None, :, None], (32, 1, 3))
    image[8:16, 4:12] = [255, 0, 0]
    fig, copies = dogs_vs_cats_augmentation.preview_augmentation(augment, image, copies=3)
    assert copies.shape == (3, 32, 32, 3) and len(fig.axes) == 4
    drawn = [[np.asarray(im.get_array()) for im in ax.images] for ax in fig.axes]
    assert [len(d) for d in drawn] == [1, 1, 1, 1]  # the original, then each copy
    assert np.array_equal(drawn[0][0], image.astype("uint8"))
    for shown, copy in zip(drawn[1:], copies):
        assert np.array_equal(shown[0], np.clip(copy, 0, 255).astype("uint8"))
    assert all(np.abs(c - image).mean() > 1 for c in copies)  # each copy is transformed
    passthrough = keras.ops.convert_to_numpy(augment(image[None], training=False))
    assert np.allclose(passthrough[0], image)  # inactive outside training


def test_the_augmentation_is_the_same_in_every_script():
    def describe(augment):
        return [(type(layer).__name__, layer.get_config()) for layer in augment.layers]

    def normalized(augment):
        return [
            (kind, {k: v for k, v in c.items() if k != "name"}) for kind, c in describe(augment)
        ]

    book = normalized(dogs_vs_cats_augmentation.data_augmentation())
    assert normalized(vgg16_feature_extraction_augmented.data_augmentation()) == book
    assert normalized(vgg16_fine_tuning.data_augmentation()) == book


def _blob_centres(images, values, size=3):
    """The centre (row, column) of each value's pixels in each image (n, h, w, 1)."""
    centres = np.zeros((len(images), len(values), 2))
    for i, image in enumerate(np.asarray(images)[..., 0]):
        for j, value in enumerate(values):
            rows, cols = np.nonzero(np.isclose(image, value))
            assert len(rows) > 0, f"blob {value} left image {i}"
            centres[i, j] = rows.mean(), cols.mean()
    return centres


def _blobs(points, side=101):
    """An image (1, side, side, 1), zero but for a 3x3 blob of value k + 1 at points[k]."""
    image = np.zeros((1, side, side, 1), "float32")
    for k, (r, c) in enumerate(points):
        image[0, r - 1 : r + 2, c - 1 : c + 2] = k + 1
    return image


def test_the_shear_is_keras2s_vertical_shear_of_slope_up_to_sin_0_2():
    """Keras 2.0.8's shear_range=0.2 is an angle s in [-0.2, 0.2] radians applied as
    [[1, -sin s], [0, cos s]] on (row, column): each column moves vertically by sin(s) times
    its x. RandomShear(y_factor=0.2) does the same with a slope drawn in [-0.2, 0.2]."""
    keras.utils.set_random_seed(3)
    shear = dogs_vs_cats_augmentation.data_augmentation().layers[2]
    images = np.repeat(_blobs([(50, 20), (50, 80)]), 40, axis=0)
    centres = _blob_centres(shear(images, training=True), [1, 2])
    assert np.allclose(centres[:, :, 1], [20, 80])  # the columns stay where they were
    slopes = (centres[:, 1, 0] - centres[:, 0, 0]) / 60  # rows move in proportion to x
    assert np.abs(slopes).max() <= 0.2 + 1 / 60  # up to sin(0.2) = 0.199, to a pixel
    assert slopes.min() < -0.12 and slopes.max() > 0.12  # both ways, the whole range
    assert np.abs(slopes).max() > np.sin(0.2) - 0.03


def test_the_zoom_draws_x_and_y_apart_as_keras2():
    """zoom_range=0.2: Keras 2 draws the x and y zoom independently in [0.8, 1.2]."""
    keras.utils.set_random_seed(4)
    zoom = dogs_vs_cats_augmentation.data_augmentation().layers[3]
    images = np.repeat(_blobs([(50, 50), (20, 20)]), 40, axis=0)
    centres = _blob_centres(zoom(images, training=True), [1, 2])
    assert np.allclose(centres[:, 0], [50, 50])  # the centre stays
    scale_y = (50 - centres[:, 1, 0]) / 30  # an offset of 30 pixels, divided by each zoom
    scale_x = (50 - centres[:, 1, 1]) / 30
    for scale in (scale_y, scale_x):
        assert (scale > 1 / 1.2 - 0.04).all() and (scale < 1 / 0.8 + 0.04).all()
    assert np.abs(scale_y - scale_x).max() > 0.1  # the aspect ratio changes


def test_augmented_batches_are_new_every_pass(ch5_data, tmp_path):
    base, _ = dogs_vs_cats.prepare_split(_folders(ch5_data, tmp_path / "cache"), SMOKE_SPLIT)
    batches = image_pipelines.in_memory(_read_folder(base / "test", 24), batch_size=3)
    keras.utils.set_random_seed(0)
    augment = dogs_vs_cats_augmentation.data_augmentation()
    train_ds = image_pipelines.augmented(batches, augment)
    first, second = ([x.numpy() for x, _ in train_ds] for _ in range(2))
    assert [len(x) for x in first] == [3, 3] and first[0].dtype == np.float32
    assert all(np.abs(a - b).mean() > 1 for a, b in zip(first, second))
    originals = np.concatenate([x.numpy() for x, _ in batches]).astype("float32")
    assert all(np.abs(a - originals[i]).mean() > 1 for i, a in enumerate(np.concatenate(first)))
    labels = [y.numpy().ravel().tolist() for _, y in train_ds]
    assert labels == [[0, 0, 0], [1, 1, 1]]  # labels pass through, in order
    endless = image_pipelines.augmented(batches, augment, repeat=True)
    assert [y.numpy().ravel().tolist() for _, y in endless.take(5)] == labels * 2 + labels[:1]


def test_augmentation_smoke(ch5_data, out_dir):
    result = dogs_vs_cats_augmentation.main(smoke_args(ch5_data, out_dir))
    m = result["metrics"]
    assert math.isfinite(m["history"]["loss"][0]) and len(m["history"]["loss"]) == 1
    for suffix in ("_preview.png", "_curves.png"):
        assert (out_dir / "chapter05" / f"dogs_vs_cats_augmentation.smoke{suffix}").exists()
    assert _ink(out_dir / "chapter05" / "dogs_vs_cats_augmentation.smoke_preview.png") > 0.3
    model = keras.models.load_model(out_dir / m["model_file"])  # what main trained
    assert model.input_shape == (None, 48, 48, 3)
    assert _layers(model) == AUGMENTED and _compiled(model) == BINARY
    _no_machine_paths(result, ch5_data, out_dir)


# ---- transfer learning -------------------------------------------------------------------------


def test_vgg16_default_without_weights_is_a_clear_error(ch5_data, out_dir):
    with pytest.raises(MissingData) as exc:
        vgg16_feature_extraction.main(
            ["--data-dir", str(ch5_data), "--output-dir", str(out_dir), "--profile", "smoke"]
        )
    assert exc.value.files == ["models/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"]
    assert "downloads are off" in str(exc.value)


def test_a_wrong_weights_file_is_one_line(ch5_data, out_dir, tmp_path):
    wrong = tmp_path / "not_weights.h5"
    wrong.write_bytes(b"not an HDF5 file")
    args = smoke_args(ch5_data, out_dir, "--base", "mobilenet", "--weights", str(wrong))
    with pytest.raises(BadData, match="not loadable as the MobileNet") as exc:
        vgg16_fine_tuning.main(args)
    assert exc.value.fields["file"] == "not_weights.h5"
    with pytest.raises(UserError, match="--weights .*: no such file"):
        vgg16_feature_extraction.main([*args[:-1], str(tmp_path / "missing.h5")])


def test_feature_extraction_smoke(ch5_data, out_dir):
    """On the MobileNet stand-in, the base the real runs use (one smoke run per script: the
    book's VGG16 runs in the next test; its classifier is pinned above)."""
    args = smoke_args(ch5_data, out_dir, "--base", "mobilenet", "--weights", "none")
    result = vgg16_feature_extraction.main(args)
    m = result["metrics"]
    assert m["features_shape"] == {
        "train": [12, 1, 1, 256],
        "validation": [6, 1, 1, 256],
        "test": [6, 1, 1, 256],
    }
    assert result["exercise"] == "chapter05/vgg16_feature_extraction@mobilenet"
    assert result["variant"] == "mobilenet" and math.isfinite(m["test_loss"])
    _a_stand_in(result, vgg16_feature_extraction)
    assert (out_dir / "chapter05" / "vgg16_feature_extraction@mobilenet.smoke.json").exists()
    model = keras.models.load_model(out_dir / m["model_file"])  # base + classifier
    assert model.input_shape == (None, 32, 32, 3) and model.output_shape == (None, 1)
    mobilenet_scaling = ("Rescaling", 1 / 127.5, -1.0)
    assert _layers(model) == [mobilenet_scaling, ("Functional",), ("Flatten",), ("Sequential",)]
    classifier = model.layers[-1]
    assert classifier.input_shape == (None, 256)
    assert _layers(classifier) == FEATURE_CLASSIFIER
    _no_machine_paths(result, ch5_data, out_dir)


def test_feature_extraction_augmented_smoke_counts_like_the_book(ch5_data, out_dir):
    result = vgg16_feature_extraction_augmented.main(
        smoke_args(ch5_data, out_dir, "--weights", "none")
    )
    m = result["metrics"]
    assert m["trainable_weights_before_freezing"] == 30  # the book's counts, VGG16
    assert m["trainable_weights_after_freezing"] == 4
    assert result["variant"] is None and math.isfinite(m["test_loss"])
    _the_books(result, vgg16_feature_extraction_augmented)  # VGG16: the book's numbers beside
    model = keras.models.load_model(out_dir / m["model_file"])  # what main trained
    assert _layers(model) == [RESCALE_255, *ON_THE_BASE] and model.layers[1].name == "vgg16"
    assert _compiled(model) == ("RMSprop", 2e-5, "binary_crossentropy")
    assert not model.layers[1].trainable and len(model.trainable_weights) == 4
    _no_machine_paths(result, ch5_data, out_dir)


def test_set_trainable_from_unfreezes_the_last_block():
    vgg = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    names = vgg16_fine_tuning.set_trainable_from(vgg, "block5_conv1")
    assert names == ["block5_conv1", "block5_conv2", "block5_conv3"]
    assert len(vgg.trainable_weights) == 6
    mobilenet = keras.applications.MobileNet(
        input_shape=(32, 32, 3), alpha=0.25, include_top=False, weights=None
    )
    names = vgg16_fine_tuning.set_trainable_from(mobilenet, "conv_dw_13")
    assert names == ["conv_dw_13", "conv_pw_13"]  # batch norm stays frozen
    with pytest.raises(ValueError):
        vgg16_fine_tuning.set_trainable_from(vgg, "no_such_layer")


def test_smooth_curve():
    assert smooth_curve([1.0, 0.0, 0.0]) == pytest.approx([1.0, 0.8, 0.64])


def test_fine_tuning_smoke(ch5_data, out_dir):
    args = smoke_args(ch5_data, out_dir, "--base", "mobilenet", "--weights", "none")
    result = vgg16_fine_tuning.main([*args, "--epochs", "2"])
    m = result["metrics"]
    assert m["unfrozen_layers"] == ["conv_dw_13", "conv_pw_13"]
    assert m["trainable_weights_fine_tuning"] == 2 + 4  # two conv kernels + the classifier
    assert math.isfinite(m["test_loss"]) and len(m["history"]["val_accuracy"]) == 2
    first, second = m["history"]["val_accuracy"]  # the book's smoothing, factor 0.8
    assert m["smoothed_val_accuracy"] == pytest.approx(
        [first, 0.8 * first + 0.2 * second], abs=1e-4
    )
    assert (out_dir / "chapter05" / "vgg16_fine_tuning@mobilenet.smoke_curves.png").exists()
    _a_stand_in(result, vgg16_fine_tuning)
    model = keras.models.load_model(out_dir / m["model_file"])  # what main fine-tuned
    assert _layers(model) == [("Rescaling", 1 / 127.5, -1.0), *ON_THE_BASE]
    assert _compiled(model) == ("RMSprop", 1e-5, "binary_crossentropy")
    assert len(model.trainable_weights) == 2 + 4
    _no_machine_paths(result, ch5_data, out_dir)


# ---- visualizations ----------------------------------------------------------------------------


def test_channel_grid_layout_and_range():
    act = np.random.default_rng(0).normal(size=(1, 5, 4, 20)).astype("float32")
    act[0, :, :, 3] = 7.0  # a constant channel
    grid = visualize_activations.channel_grid(act, images_per_row=16)
    assert grid.shape == (2 * 5, 16 * 4) and grid.dtype == np.uint8
    assert (grid[0:5, 12:16] == 128).all()  # constant -> mid gray
    assert grid[5:10, 16:].sum() == 0  # unused cells stay black
    assert grid.max() > 200 and grid.min() < 50


def test_visualize_activations_smoke(ch5_data, out_dir, tiny_convnet):
    args = smoke_args(ch5_data, out_dir, "--model", str(tiny_convnet), "--image")
    result = visualize_activations.main([*args, "datasets/dogs-vs-cats/train/cat.11.jpg"])
    m = result["metrics"]
    assert m["layers_shown"] == 8
    assert m["first_layer_activation_shape"] == [1, 46, 46, 32]
    assert m["image"] == "datasets/dogs-vs-cats/train/cat.11.jpg"
    assert m["model"] == "tiny_convnet.keras"  # outside the output folder: its name
    assert _ink(out_dir / "chapter05" / "visualize_activations.smoke.png") > 0.3  # the grids
    _no_machine_paths(result, ch5_data, out_dir, tiny_convnet.parent)


def test_visualize_activations_default_model_and_errors(ch5_data, out_dir, tiny_convnet):
    with pytest.raises(UserError, match="no trained model at") as exc:
        visualize_activations.main(smoke_args(ch5_data, out_dir))
    assert "run chapter05/dogs_vs_cats_augmentation.py --profile smoke first" in exc.value.fix
    # each profile reads the model of the same profile: full, the book's (150x150, 100 epochs)
    assert visualize_activations.default_model("full") == (
        "chapter05/models/dogs_vs_cats_augmentation.full.keras"
    )
    assert visualize_activations.default_model("quick") == (
        "chapter05/models/dogs_vs_cats_augmentation.keras"
    )
    default = out_dir / visualize_activations.default_model("smoke")
    assert default.name == "dogs_vs_cats_augmentation.smoke.keras"
    default.parent.mkdir(parents=True)
    default.write_bytes(b"not a model")
    with pytest.raises(BadData, match="not a loadable Keras model"):
        visualize_activations.main(smoke_args(ch5_data, out_dir))
    shutil.copyfile(tiny_convnet, default)
    args = smoke_args(ch5_data, out_dir, "--image", "datasets/dogs-vs-cats/train/dog.0.jpg")
    m = visualize_activations.main(args)["metrics"]
    assert m["model"] == "chapter05/models/dogs_vs_cats_augmentation.smoke.keras"
    with pytest.raises(UserError, match="--image no/such.jpg: no such file"):
        visualize_activations.main(smoke_args(ch5_data, out_dir, "--image", "no/such.jpg"))


@pytest.mark.parametrize(
    "script", [visualize_activations, grad_cam], ids=["activations", "grad_cam"]
)
def test_a_bad_image_flag_is_one_line(
    script, ch5_data, tiny_convnet, tmp_path, results_dir, capsys, monkeypatch
):
    note = tmp_path / "note.jpg"
    note.write_text("a text file, not a photo\n")
    missing = tmp_path / "no_such.jpg"
    argv = smoke_args(ch5_data, results_dir, "--model", str(tiny_convnet), "--image")
    checked = (results_dir, capsys, monkeypatch, tmp_path)
    line, fields = _one_error_line(script, [*argv, str(missing)], *checked)
    assert (
        line == f"error: --image {missing}: no such file; give the path of an existing input image"
    )
    assert fields["kind"] == "error"
    line, fields = _one_error_line(script, [*argv, str(note)], *checked)
    assert line.startswith(f"error: {note}: not a decodable image")
    assert (fields["kind"], fields["file"], fields["fix"]) == (
        "bad input",
        "note.jpg",
        "give a JPEG or PNG file",
    )
    line, fields = _one_error_line(script, [*argv, "datasets/images/no_such.jpg"], *checked)
    assert fields["kind"] == "missing input" and fields["files"] == ["datasets/images/no_such.jpg"]


def test_generate_patterns_raise_their_filter():
    model = keras.Sequential([keras.Input((16, 16, 3)), layers.Conv2D(4, 3)])
    start = visualize_filters.generate_patterns(model, [0, 1, 2, 3], size=16, steps=0)
    end = visualize_filters.generate_patterns(model, [0, 1, 2, 3], size=16, steps=5)
    before, after = np.asarray(model(start)), np.asarray(model(end))
    for i in range(4):  # image i's own filter went up
        assert after[i, ..., i].mean() > before[i, ..., i].mean() + 1
    image = visualize_filters.deprocess_image(end[0])
    assert image.dtype == np.uint8 and image.shape == (16, 16, 3)
    assert visualize_filters.pattern_grid(np.stack([image] * 10)).shape == (
        2 * 16 + 5,
        8 * 21 - 5,
        3,
    )


def test_visualize_filters_smoke(ch5_data, out_dir, tiny_convnet):
    args = smoke_args(ch5_data, out_dir, "--base", "mobilenet", "--weights", "none")
    result = visualize_filters.main(args)
    m = result["metrics"]
    assert m["layers"] == visualize_filters.LAYERS["mobilenet"] and m["filters"] == 4
    assert _ink(out_dir / "chapter05" / "visualize_filters@mobilenet.smoke.png") > 0.3
    _a_stand_in(result, visualize_filters)
    _no_machine_paths(result, ch5_data, out_dir)
    result = visualize_filters.main(smoke_args(ch5_data, out_dir, "--model", str(tiny_convnet)))
    m = result["metrics"]
    assert len(m["layers"]) == 4 and all(n.startswith("conv2d") for n in m["layers"])
    assert result["exercise"] == "chapter05/visualize_filters@model"
    _a_stand_in(result, visualize_filters)
    with pytest.raises(UserError, match="has no layer 'nope'"):
        visualize_filters.main(
            smoke_args(ch5_data, out_dir, "--model", str(tiny_convnet), "--layers", "nope")
        )


def _spot_classifier():
    """A fixed 'classifier' whose one conv channel is the pixel brightness."""
    inputs = keras.Input((16, 16, 3))
    conv = layers.Conv2D(1, 1, name="conv", kernel_initializer="ones", use_bias=False)(inputs)
    pooled = layers.GlobalAveragePooling2D()(conv)
    out = layers.Dense(1, activation="sigmoid", kernel_initializer="ones")(pooled)
    return keras.Model(inputs, out)


def test_gradcam_heatmap_points_at_the_evidence():
    model = _spot_classifier()
    image = np.zeros((1, 16, 16, 3), "float32")
    image[0, 2:5, 10:13] = 0.5  # the only evidence for class 1
    grad_model = grad_cam.gradcam_model(model, grad_cam.last_conv_layer(model))
    heatmap, cls, score = grad_cam.make_gradcam_heatmap(grad_model, image)
    assert cls == 1 and 0.5 < score < 1 and heatmap.shape == (16, 16)
    assert heatmap.min() == 0 and heatmap.max() == pytest.approx(1.0)
    assert np.unravel_index(heatmap.argmax(), heatmap.shape)[0] in (2, 3, 4)
    assert heatmap[2:5, 10:13].min() > 0.99 and heatmap[8:, :8].max() == 0
    # the other class: the evidence counts against it, so the ReLU'd map is empty
    heatmap0, _, score0 = grad_cam.make_gradcam_heatmap(grad_model, image, class_index=0)
    assert score0 == pytest.approx(1 - score, abs=1e-6) and heatmap0.max() == 0
    assert heatmap0.min() == 0
    overlay = grad_cam.superimpose(np.full((40, 30, 3), 100.0), heatmap)
    assert overlay.shape == (40, 30, 3) and overlay.dtype == np.uint8
    assert overlay.std() > 1  # not a constant image
    with pytest.raises(UserError, match="has no layer 'nope'"):
        grad_cam.gradcam_model(model, "nope")


def _red_for_blue_against():
    """A fixed classifier: conv channel 0 is each pixel's red, channel 1 its blue; red is
    evidence for class 1, blue against it (Dense weights +1 and -1 on their means)."""
    inputs = keras.Input((16, 16, 3))
    conv = layers.Conv2D(2, 1, name="conv", use_bias=False)
    dense = layers.Dense(1, activation="sigmoid")
    model = keras.Model(inputs, dense(layers.GlobalAveragePooling2D()(conv(inputs))))
    kernel = np.zeros((1, 1, 3, 2), "float32")
    kernel[0, 0, 0, 0] = kernel[0, 0, 2, 1] = 1.0
    conv.set_weights([kernel])
    dense.set_weights([np.array([[1.0], [-1.0]], "float32"), np.zeros(1, "float32")])
    return model


def test_gradcam_heatmap_is_the_relu_of_the_weighted_map():
    """The gradient of the score is the same at every position, +g on the red channel and -g
    on the blue one, so the weighted map is g/2 * (red - blue): positive on the red spot,
    negative on the blue one. Grad-CAM keeps its positive part, scaled to a maximum of 1."""
    image = np.zeros((1, 16, 16, 3), "float32")
    image[0, 2:5, 10:13, 0] = 1.0  # red: for class 1
    image[0, 9:14, 1:6, 2] = 0.6  # blue: against it
    raw = image[0, ..., 0] - image[0, ..., 2]  # the weighted map, up to a positive factor
    assert raw.min() < 0 < raw.max()
    grad_model = grad_cam.gradcam_model(_red_for_blue_against(), "conv")
    for class_index, evidence in [(1, raw), (0, -raw)]:  # for class 0 the signs flip
        heatmap, cls, _ = grad_cam.make_gradcam_heatmap(grad_model, image, class_index)
        assert cls == class_index and heatmap.min() >= 0
        relu = np.maximum(evidence, 0)
        np.testing.assert_allclose(heatmap, relu / relu.max(), atol=1e-6)


def test_grad_cam_vgg16_smoke(ch5_data, out_dir):
    result = grad_cam.main(smoke_args(ch5_data, out_dir, "--weights", "none"))
    m = result["metrics"]
    assert m["layer"] == "block5_conv3" and m["heatmap_shape"] == [14, 14]
    assert 0 <= m["heatmap_mean"] <= 1
    # the class's name from the (fake) class index: class_<i>, and the book's 386
    names = {386: "African_elephant"}
    assert m["top_class"] == names.get(m["class_index"], f"class_{m['class_index']}")
    assert m["image"] == "datasets/images/creative_commons_elephant.jpg"
    _the_books(result, grad_cam)  # VGG16 on the elephant: the book's numbers beside
    assert _ink(out_dir / "chapter05" / "grad_cam.smoke_heatmap.png") > 0.3
    # the overlay is the photo plus 40% of a jet color (its largest channel is 0.5 or more)
    photo = load_image_array(ch5_data / m["image"])
    overlay = load_image_array(out_dir / "chapter05" / "grad_cam.smoke_overlay.png")
    assert overlay.shape == photo.shape
    added = (overlay - photo) / (0.4 * 255)
    unclipped = (overlay < 255).all(axis=-1)
    assert added.min() > -0.011 and unclipped.mean() > 0.5
    assert (added[unclipped].max(axis=-1) > 0.48).all()
    assert result["figures"] == [
        "chapter05/grad_cam.smoke_heatmap.png",
        "chapter05/grad_cam.smoke_overlay.png",
    ]
    _no_machine_paths(result, ch5_data, out_dir)


def test_grad_cam_model_smoke(ch5_data, out_dir, tiny_convnet):
    args = smoke_args(ch5_data, out_dir, "--model", str(tiny_convnet), "--image")
    result = grad_cam.main([*args, "datasets/dogs-vs-cats/train/dog.10.jpg"])
    m = result["metrics"]
    assert m["layer"].startswith("conv2d") and m["heatmap_shape"] == [2, 2]
    image = load_image_array(ch5_data / "datasets/dogs-vs-cats/train/dog.10.jpg", (48, 48))
    p_dog = float(keras.models.load_model(tiny_convnet).predict(image[None], verbose=0)[0, 0])
    assert m["top_class"] == ("dog" if p_dog > 0.5 else "cat")
    assert m["top_score"] == pytest.approx(max(p_dog, 1 - p_dog), abs=1e-5)
    assert result["exercise"] == "chapter05/grad_cam@tiny_convnet"
    _a_stand_in(result, grad_cam)
    with pytest.raises(UserError, match="no trained model"):
        grad_cam.main(smoke_args(ch5_data, out_dir, "--model", str(out_dir / "none.keras")))


# ---- real data ---------------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_source_and_mobilenet_weights(real_data):
    data = DataFolders.resolve(real_data)
    folder = dogs_vs_cats.find_source(data, 2000)
    for name in ("cat.0.jpg", "dog.1999.jpg"):
        dogs_vs_cats.check_jpeg(folder / name)
    weights = imagenet.find_weights(data, "mobilenet", include_top=False, weights="imagenet")
    application, options, what = vgg16_feature_extraction.APPLICATIONS["mobilenet"]
    base = imagenet.build(
        application, data, weights, what, include_top=False, input_shape=(160, 160, 3), **options
    )
    assert base.output_shape == (None, 5, 5, 256)
    assert any(r["file"].startswith("models/mobilenet") for r in data.read)
    image = load_image_array(folder / "dog.1500.jpg", (160, 160))
    features = base(imagenet.rescaling("mobilenet")(image[None]))
    assert np.isfinite(np.asarray(features)).all() and np.asarray(features).std() > 0
    assert imagenet.WEIGHTS[("mobilenet", False)][0] == "mobilenet_2_5_224_tf_no_top.h5"
