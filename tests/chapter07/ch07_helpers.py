"""What chapter 7's test files share (not fixtures: those live in tests/conftest.py): layers
written as the book writes them, compile settings, and a tiny imdb.npz whose rows name their
review."""

from __future__ import annotations

import importlib.util
import math
import shutil
from pathlib import Path

import numpy as np
from keras import layers

GRAPHVIZ = importlib.util.find_spec("pydot") is not None and shutil.which("dot") is not None
RMSPROP = "RMSprop(0.001)"  # the book's optimizer="rmsprop"


def finite(*values):
    return all(math.isfinite(v) for v in values)


def spec(layer):
    """A layer as the book writes it: 'Conv2D(128, 3, strides=2, padding=same, relu)'."""
    c, kind = layer.get_config(), type(layer).__name__

    def short(v):  # (3, 3) -> 3
        v = tuple(v) if isinstance(v, list | tuple) else v
        return v[0] if isinstance(v, tuple) and len(set(v)) == 1 else v

    sizes = ("units", "filters", "input_dim", "output_dim", "rate", "target_shape")
    args = [c[k] for k in sizes if k in c]
    args += [short(c[k]) for k in ("kernel_size", "pool_size") if k in c]
    if "strides" in c and short(c["strides"]) not in (1, short(c.get("pool_size", 1))):
        args.append(f"strides={short(c['strides'])}")
    if c.get("padding", "valid") != "valid":
        args.append(f"padding={c['padding']}")
    if c.get("activation", "linear") != "linear":
        args.append(c["activation"])
    return f"{kind}({', '.join(map(str, args))})"


def specs(model):
    return [spec(layer) for layer in model.layers if not isinstance(layer, layers.InputLayer)]


def chain(model, tensor):
    """The layers from one of `model`'s inputs to `tensor`: [input name, spec, spec, ...]."""
    producer = {id(layer.output): layer for layer in model.layers}
    out = []
    while not isinstance(layer := producer[id(tensor)], layers.InputLayer):
        out.insert(0, spec(layer))
        tensor = layer.input
    return [tensor.name, *out]


def inputs(model):
    return [(tuple(t.shape), t.dtype) for t in model.inputs]


def compiled(model):
    """The compile settings: optimizer class and learning rate, loss(es), loss weights, metrics."""
    config = model.get_compile_config()
    optimizer = config["optimizer"]
    return {
        "optimizer": f"{optimizer['class_name']}({optimizer['config']['learning_rate']:.6g})",
        **{k: config[k] for k in ("loss", "loss_weights", "metrics")},
    }


# -- a tiny imdb.npz ------------------------------------------------------------------------------


def imdb_sequences(path: Path, split: str, num_words: int):
    """Keras' documented encoding of imdb.npz's `split`, in the file's order: the start character
    1, each rank + 3, an index at or past `num_words` -> the out-of-vocabulary 2; and labels."""
    with np.load(path, allow_pickle=True) as f:
        reviews, labels = f[f"x_{split}"], f[f"y_{split}"]
    seqs = [[1] + [r + 3 if r + 3 < num_words else 2 for r in review] for review in reviews]
    return seqs, labels
