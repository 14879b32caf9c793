"""What tests share besides fixtures: the smoke command line, and a record of what reaches Keras.

`KerasCalls` (the `keras_calls` fixture in conftest) wraps `keras.Model.fit`, `evaluate`,
`predict` and the `*_on_batch` methods for one test: each call still runs, and is recorded with
the arrays it was given (copied), the settings (epochs, batch size, steps, learning rate) and,
where it was given a Python generator, the batches the generator yielded during the call. A test
then checks those against its own reading of the data files it wrote, not against the script's
helpers: which rows were trained, validated and tested on, with which labels, prepared how.
"""

from __future__ import annotations

import inspect
import types
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent

RECORDED = ("fit", "evaluate", "predict", "train_on_batch", "test_on_batch", "predict_on_batch")
MAX_BATCHES = 64  # batches kept per generator and call: enough to check, bounded in memory


def smoke_args(data_dir, out_dir, *extra) -> list[str]:
    return ["--profile", "smoke", "--data-dir", str(data_dir), "--output-dir", str(out_dir), *extra]


def _copy(value):
    """Arrays copied (a script may change them in place later); containers walked."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if hasattr(value, "numpy") and hasattr(value, "shape"):  # a tensor
        return np.array(value)
    return value


def _is_generator(value) -> bool:
    return isinstance(value, types.GeneratorType) or (
        hasattr(value, "__next__") and not hasattr(value, "element_spec")
    )


def _learning_rate(model):
    opt = getattr(model, "optimizer", None)
    if opt is None or not hasattr(opt, "learning_rate"):
        return None
    import keras

    return float(keras.ops.convert_to_numpy(opt.learning_rate))  # float32: compare with approx


@dataclass
class Call:
    method: str
    model: object
    args: dict  # the call's arguments by name, arrays copied (`x`, `y`, `epochs`, ...)
    learning_rate: float | None
    batches: list = field(default_factory=list)  # what a generator `x` yielded, in order
    val_batches: list = field(default_factory=list)  # what a generator `validation_data` yielded

    def __getattr__(self, name):
        try:
            return self.__dict__["args"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def model_name(self) -> str:
        return getattr(self.model, "name", "")


class KerasCalls:
    """The calls to Keras' training and inference methods made while it is installed."""

    def __init__(self):
        self.calls: list[Call] = []

    def of(self, method: str, model=None) -> list[Call]:
        return [c for c in self.calls if c.method == method and (model is None or c.model is model)]

    def install(self, monkeypatch) -> KerasCalls:
        import keras

        for method in RECORDED:
            original = getattr(keras.Model, method)
            monkeypatch.setattr(keras.Model, method, self._wrap(method, original))
        return self

    def __enter__(self) -> KerasCalls:
        """`with KerasCalls() as calls:` records outside a test's own monkeypatch (e.g. in a
        module-scoped fixture that runs a script once for several tests)."""
        import pytest

        self._patch = pytest.MonkeyPatch()
        return self.install(self._patch)

    def __exit__(self, *exc):
        self._patch.undo()

    def _wrap(self, method, original):
        signature = inspect.signature(original)
        calls = self

        def recorded(model, *args, **kwargs):
            bound = signature.bind(model, *args, **kwargs)
            named = dict(bound.arguments)
            named.pop("self", None)
            named.update(named.pop("kwargs", {}))
            call = Call(method, model, {}, _learning_rate(model))
            for key, sink in (("x", call.batches), ("validation_data", call.val_batches)):
                if _is_generator(named.get(key)):
                    named[key] = _tee(named[key], sink)
            call.args = {k: (v if _is_generator(v) else _copy(v)) for k, v in named.items()}
            calls.calls.append(call)
            return original(model, **named)

        recorded.__name__ = method
        return recorded


def _tee(generator, sink: list):
    for batch in generator:
        if len(sink) < MAX_BATCHES:
            sink.append(_copy(batch))
        yield batch


# -- matching what reached Keras with the data files ------------------------------------------


def row_index(rows: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """For each of `rows`, its index in `reference` (exact match of the whole row), or -1."""
    rows = np.ascontiguousarray(np.asarray(rows).reshape(len(rows), -1))
    reference = np.ascontiguousarray(np.asarray(reference).reshape(len(reference), -1))
    assert rows.shape[1] == reference.shape[1], (rows.shape, reference.shape)
    lookup = {}
    for i, r in enumerate(reference):
        lookup.setdefault(r.tobytes(), i)
    return np.array([lookup.get(r.astype(reference.dtype).tobytes(), -1) for r in rows])


def assert_rows_from(rows, reference, what="rows") -> np.ndarray:
    """Every one of `rows` is a row of `reference`; returns their indices there."""
    idx = row_index(rows, reference)
    missing = int((idx < 0).sum())
    assert missing == 0, f"{missing} of {len(idx)} {what} are not rows of the reference"
    return idx


def isolated_env(monkeypatch, cache_dir) -> None:
    """What conftest's autouse fixture sets for each test (offline, the session's test cache, no
    real data, no runner error file), for a module-scoped fixture that runs a script once: pytest
    sets such a fixture up before any function-scoped one, the autouse fixture included."""
    monkeypatch.setenv("DLWP_OFFLINE", "1")
    monkeypatch.setenv("DLWP_CACHE_DIR", str(cache_dir))
    monkeypatch.delenv("DLWP_DATA_DIR", raising=False)
    monkeypatch.delenv("DLWP_ERROR_JSON", raising=False)


def own_calls(calls: list[Call]) -> list[Call]:
    """The calls the script made itself: without the `evaluate` that Keras' `fit` makes on the
    validation data at the end of every epoch (it passes `_use_cached_eval_dataset=True`)."""
    return [c for c in calls if not c.args.get("_use_cached_eval_dataset")]


def run_once(main, argv, cache_dir):
    """Run a script's `main(argv)` once, for a module-scoped fixture that several tests read: in
    `isolated_env`, with what reached Keras recorded (`.calls`) and every figure the run saved
    kept (`.figures`, the Matplotlib figures in order). Returns `.result`, `.metrics` too."""
    import pytest

    from dlwp import results

    figures = []
    save_figure = results.Run.save_figure

    def recording_save_figure(run, fig, *args, **kwargs):
        figures.append(fig)
        return save_figure(run, fig, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp, KerasCalls() as calls:
        isolated_env(mp, cache_dir)
        mp.setattr(results.Run, "save_figure", recording_save_figure)
        result = main(argv)
    return types.SimpleNamespace(
        result=result, metrics=result["metrics"], calls=calls, figures=figures
    )


# -- image scripts (chapter 5): models described, figures, photos read back, one-line errors ---


def record_trainable(monkeypatch, method: str = "fit") -> list[list[str]]:
    """The paths of the model's trainable weights at each call of `keras.Model.<method>` (which
    layers a phase trains: freezing changes them between calls). Install it before KerasCalls
    (or run_once), so the calls still reach the recorder."""
    import functools

    import keras

    seen: list[list[str]] = []
    original = getattr(keras.Model, method)

    @functools.wraps(original)  # its signature, for KerasCalls to bind the arguments by
    def recorded(model, *args, **kwargs):
        if not kwargs.get("_use_cached_eval_dataset"):
            seen.append([w.path for w in model.trainable_weights])
        return original(model, *args, **kwargs)

    monkeypatch.setattr(keras.Model, method, recorded)
    return seen


def layer_settings(model) -> list[tuple]:
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


def compiled(model) -> tuple:
    """(optimizer class, learning rate, loss) of a compiled model; RMSprop with the book's step."""
    import keras

    rate = float(np.asarray(model.optimizer.learning_rate))
    if isinstance(model.optimizer, keras.optimizers.RMSprop):
        assert model.optimizer.epsilon == 1e-16, "Keras 2's step (dlwp.optimizers)"
    return type(model.optimizer).__name__, round(rate, 10), model.loss


def ink(png: Path) -> float:
    """The fraction of a saved image's pixels that are not white: ~0 when nothing is drawn."""
    from PIL import Image

    pixels = np.asarray(Image.open(png).convert("RGB"))
    return float((pixels.min(axis=-1) < 235).mean())


def no_machine_paths(result: dict, *folders) -> None:
    """No folder of this machine is named in a results dict (what the JSON file holds)."""
    import json

    text = json.dumps(result)
    for folder in folders:
        assert str(Path(folder).resolve()) not in text and str(folder) not in text


def file_listing(root: Path) -> list:
    """Every path under `root` with its size and modification time: equal before and after
    when nothing was written."""
    return sorted(
        (str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")
    )


def one_error_line(main, argv, results_dir, capsys, monkeypatch, tmp_path) -> tuple[str, dict]:
    """Run `main(argv)` as the shell does (`flags.run`): exit status 1, one `error:` line on
    stderr and no traceback, nothing in `results_dir` changed. Returns the line and the error's
    fields (as the runner stores them)."""
    import json

    import pytest

    from dlwp import flags

    error_json = tmp_path / "error.json"
    error_json.unlink(missing_ok=True)
    monkeypatch.setenv("DLWP_ERROR_JSON", str(error_json))
    before = file_listing(results_dir)
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        flags.run(main, argv)
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: "), err
    assert file_listing(results_dir) == before
    return err[0], json.loads(error_json.read_text())


def read_photos(paths, size: int) -> dict[str, np.ndarray]:
    """Photos read as Keras' folder reader documents it (decoded, resized bilinearly to size x
    size, no antialiasing), rounded to whole pixel values: {file name: float32 (size, size, 3)}.
    The reference a test matches what reached Keras against, read here from the files."""
    import tensorflow as tf

    photos = {}
    for path in paths:
        pixels = tf.io.decode_jpeg(Path(path).read_bytes(), channels=3)
        resized = tf.image.resize(pixels, (size, size), method="bilinear", antialias=False)
        photos[Path(path).name] = np.clip(np.round(resized.numpy()), 0, 255).astype("float32")
    return photos


def photo_names_of(images, photos: dict[str, np.ndarray], tol: float = 1.0) -> list[str]:
    """Which photo each of `images` (n, h, w, 3) is, pixel for pixel (to `tol`): an image that is
    none of `photos` (augmented, rescaled, another size) fails, naming how far it is."""
    names, arrays = list(photos), np.stack(list(photos.values()))
    found = []
    for k, image in enumerate(np.asarray(images, dtype="float32")):
        assert image.shape == arrays.shape[1:], (image.shape, arrays.shape[1:])
        distance = np.abs(arrays - image).max(axis=(1, 2, 3))
        best = int(distance.argmin())
        assert distance[best] <= tol, f"image {k} is none of the photos (off by {distance[best]})"
        found.append(names[best])
    return found


def dataset_pass(dataset, batches: int | None = None) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """One pass over a batched (x, y) `tf.data` dataset (or its first `batches` batches): all x,
    all y, and each batch's size."""
    xs, ys = [], []
    for x, y in dataset if batches is None else dataset.take(batches):
        xs.append(np.asarray(x))
        ys.append(np.asarray(y))
    return np.concatenate(xs), np.concatenate(ys), [len(x) for x in xs]


def compile_calls(script: str) -> list[dict[str, str]]:
    """Each `.compile(...)` call in a script's source, in line order, as {keyword: source text}:
    what a reader sees, compared with the book's listing."""
    import ast

    tree = ast.parse((REPO_ROOT / script).read_text(encoding="utf-8"))
    calls = sorted(
        (node.lineno, {kw.arg: ast.unparse(kw.value) for kw in node.keywords})
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "compile"
    )
    return [keywords for _, keywords in calls]
