"""Model graphs: `keras.utils.plot_model`, where pydot and Graphviz are installed."""

from __future__ import annotations

from pathlib import Path


def plot_model(model, path) -> Path | None:
    """Save `keras.utils.plot_model(model, path, show_shapes=True)`; None, with one printed
    line, where pydot or Graphviz' `dot` is missing: the plot illustrates, it never fails a run."""
    import keras

    try:
        keras.utils.plot_model(model, to_file=str(path), show_shapes=True)
    except (ImportError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"note: model graph not plotted ({reason})")
        return None
    return Path(path)
