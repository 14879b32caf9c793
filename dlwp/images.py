"""Finding and loading images, with one clear line when a file is wrong."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from dlwp.data.core import DataFolders
from dlwp.data.formats import read_bytes
from dlwp.errors import BadData, UserError


def find_image(data: DataFolders, image: str, what: str = "input image", flag="--image") -> Path:
    """`image` as a path when it names a file; else as a path inside the data folders
    (`datasets/images/...`, the defaults). A path the user gave that is not there is said so."""
    path = Path(image).expanduser()
    if path.is_file():
        data.record(path, what)
        return path
    looks_like_a_path = (
        path.is_absolute()
        or image.startswith(".")
        or not image.startswith(("datasets/", "models/"))
    )
    if looks_like_a_path:
        raise UserError(f"{flag} {image}: no such file", f"give the path of an existing {what}")
    return data.fetch(image, what=f"{what} ({path.name})")


def load_image_array(path, target_size=None) -> np.ndarray:
    """An image file as a float32 (H, W, 3) array in [0, 255]; BadData when it does not decode.

    `target_size` (height, width) resizes bilinearly (Keras 3's `load_img` default; Keras 2's
    was nearest).
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(read_bytes(path))) as img:
            img = img.convert("RGB")
            if target_size is not None:
                img = img.resize((target_size[1], target_size[0]), Image.BILINEAR)
            return np.asarray(img, dtype="float32")
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise BadData(path, f"not a decodable image ({exc})", "give a JPEG or PNG file") from None
