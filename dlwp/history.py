"""What a Keras `History` says: the best epoch's numbers, and the book's training curves.

Figures are `matplotlib.figure.Figure` objects, which need no GUI backend: nothing here (or in a
script) has to choose one, and a run never opens a window.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure


def best_epoch(
    history, key: str = "val_accuracy", mode: str = "max", epoch_key: str = "best_epoch"
) -> dict:
    """`best_<key>`, its 1-based epoch (`epoch_key`), `final_<key>`, and the whole history."""
    values = history.history[key] if hasattr(history, "history") else history[key]
    best = int(np.argmax(values) if mode == "max" else np.argmin(values))
    return {
        f"best_{key}": float(values[best]),
        epoch_key: best + 1,
        f"final_{key}": float(values[-1]),
        "history": dict(history.history if hasattr(history, "history") else history),
    }


def smooth_curve(points, factor=0.8):
    """The book's exponential moving average (section 5.3.3)."""
    smoothed = []
    for point in points:
        smoothed.append(smoothed[-1] * factor + point * (1 - factor) if smoothed else point)
    return smoothed


def curves(history, keys=("accuracy", "loss"), title: str = "", smooth: float | None = None):
    """One panel per key: training as dots, validation as a line, as the book plots them."""
    h = history.history if hasattr(history, "history") else history
    fig = Figure(figsize=(5.5 * len(keys), 4))
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys):
        train, val = h[key], h.get(f"val_{key}")
        if smooth:
            train, val = smooth_curve(train, smooth), val and smooth_curve(val, smooth)
        epochs = range(1, len(train) + 1)
        ax.plot(epochs, train, "bo", label=f"Training {key}")
        if val is not None:
            ax.plot(epochs, val, "b", label=f"Validation {key}")
        ax.set(title=f"{title}: {key}" if title else key, xlabel="Epochs", ylabel=key)
        ax.legend()
    return fig
