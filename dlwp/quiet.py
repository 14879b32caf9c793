"""Imported first by every script that uses Keras: TensorFlow's C++ startup lines are not the
lesson, so a run starts with Keras' own output.

Those lines (absl's "All log messages before absl::InitializeLog()", oneDNN's notice, the CPU
features) are written straight to file descriptor 2 while TensorFlow loads, before any log level
applies. So the descriptor points at /dev/null for that import only; everything after it, and
every Python error, reaches the terminal as usual. `TF_CPP_MIN_LOG_LEVEL=2` (unless you set
another level) keeps TensorFlow's later info and warning lines out too.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

if (
    os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow"
    and "tensorflow" not in sys.modules
):
    sys.stderr.flush()
    _saved = os.dup(2)
    _devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(_devnull, 2)
    try:
        import tensorflow  # noqa: F401
    except ImportError:
        pass  # the script's own `import keras` reports it, with stderr back
    finally:
        os.dup2(_saved, 2)
        os.close(_saved)
        os.close(_devnull)
