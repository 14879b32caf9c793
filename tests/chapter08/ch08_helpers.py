"""What chapter 8's test files share (not fixtures: those live in tests/conftest.py): layers as
the book writes them, compile settings, portability of a result, and NumPy's bilinear resize."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from keras import layers


def spec(layer):
    """A layer as the book writes it: 'Conv2DTranspose(256, 4, strides=2, padding=same)'."""
    c, kind = layer.get_config(), type(layer).__name__

    def short(v):  # (3, 3) -> 3
        v = tuple(v) if isinstance(v, list | tuple) else v
        return v[0] if isinstance(v, tuple) and len(set(v)) == 1 else v

    sizes = ("units", "filters", "rate", "target_shape", "negative_slope")
    args = [c[k] for k in sizes if k in c]
    args += [short(c[k]) for k in ("kernel_size",) if k in c]
    if short(c.get("strides", 1)) != 1:
        args.append(f"strides={short(c['strides'])}")
    if c.get("padding", "valid") != "valid":
        args.append(f"padding={c['padding']}")
    if c.get("activation", "linear") != "linear":
        args.append(c["activation"])
    return f"{kind}({', '.join(map(str, args))})"


def specs(model):
    return [spec(layer) for layer in model.layers if not isinstance(layer, layers.InputLayer)]


def inputs(model):
    return [(tuple(t.shape), t.dtype) for t in model.inputs]


def compiled(model):
    """Optimizer (class, learning rate or its schedule, epsilon, clipping), loss."""
    config = model.get_compile_config()
    opt = config["optimizer"]["config"]
    clip = {k: opt[k] for k in ("clipnorm", "clipvalue", "global_clipnorm") if opt[k] is not None}
    lr = opt["learning_rate"]
    if isinstance(lr, dict):  # a schedule: InverseTimeDecay(0.0008, decay_steps=1, ...)
        c = lr["config"]
        lr = f"{lr['class_name']}({c['initial_learning_rate']:.6g}, "
        lr += f"decay_steps={c['decay_steps']}, decay_rate={c['decay_rate']:.6g})"
    else:
        lr = f"{lr:.6g}"
    optimizer = f"{config['optimizer']['class_name']}({lr}, epsilon={opt['epsilon']:.3g})"
    return {"optimizer": optimizer, **clip, "loss": config["loss"]}


def portable(result, *paths) -> bool:
    """No path of this machine (the data and output folders) in a result."""
    text = json.dumps(result)
    return not any(str(Path(p).resolve()) in text or str(p) in text for p in paths)


def bilinear_resize(images, shape):
    """(n, h, w, c) -> (n, H, W, c), bilinear with half-pixel centres and edges clamped (what
    tf.image.resize does, and scipy's zoom(order=1) nearly), written with NumPy."""
    images = np.asarray(images, dtype="float64")

    def axis(n_in, n_out):
        pos = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, n_in - 1)
        lo = np.floor(pos).astype(int)
        return lo, np.minimum(lo + 1, n_in - 1), pos - lo

    y0, y1, fy = axis(images.shape[1], shape[0])
    x0, x1, fx = axis(images.shape[2], shape[1])
    rows = images[:, y0] * (1 - fy)[None, :, None, None] + images[:, y1] * fy[None, :, None, None]
    return rows[:, :, x0] * (1 - fx)[None, None, :, None] + rows[:, :, x1] * fx[None, None, :, None]
