"""Chapter 2, displaying a digit: the fifth training image, with its own label."""

import numpy as np
import pytest
from support import smoke_args

from chapter02 import display_digit
from dlwp import flags


def test_display_digit_writes_png(tiny_data, out_dir):
    result = display_digit.main(smoke_args(tiny_data, out_dir))
    png = out_dir / result["figures"][0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 1000
    labels = np.load(tiny_data / "datasets" / "mnist.npz")["y_train"]
    assert result["metrics"]["label"] == int(labels[4])


@pytest.mark.parametrize("index", ["-1", "300"])  # tiny MNIST holds 300 training images
def test_an_index_outside_the_training_set_is_one_line(index, tiny_data, out_dir, capsys):
    with pytest.raises(SystemExit) as exc:
        flags.run(display_digit.main, smoke_args(tiny_data, out_dir, "--index", index))
    assert exc.value.code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: --index {index}: the training set holds images 0 to 299; pick one of those"
    ]
    assert not out_dir.exists()
