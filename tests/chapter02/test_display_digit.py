"""Chapter 2, displaying a digit: the fifth training image, with its own label."""

import numpy as np
from support import smoke_args

from chapter02 import display_digit


def test_display_digit_writes_png(tiny_data, out_dir):
    result = display_digit.main(smoke_args(tiny_data, out_dir))
    png = out_dir / result["figures"][0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
    labels = np.load(tiny_data / "datasets" / "mnist.npz")["y_train"]
    assert result["metrics"]["label"] == int(labels[4])
