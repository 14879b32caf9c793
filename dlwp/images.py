"""Finding and loading images, with one clear line when a file is wrong.

A wrong image is a `BadData` naming the file, whichever way it is wrong: not an image at all
(or a truncated one), too large to decode safely (more pixels than PIL's decompression-bomb
limit, `PIL.Image.MAX_IMAGE_PIXELS`: its warning counts as the error here, so such a file is
never decoded), or too small for the network it is meant for (`min_side`).
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np

from dlwp.data.core import DataFolders
from dlwp.data.formats import read_bytes
from dlwp.errors import BadData, UserError

# The smallest side, in pixels, of a photo a convnet of this collection is shown: Keras'
# smallest input for its ImageNet networks (VGG16's five 2x2 poolings leave 1 pixel of 32). A
# smaller photo, resized up to the network's input, carries too little to classify or explain.
# The Dogs vs. Cats originals the book uses are 45 pixels or more on their shorter side.
MIN_SIDE = 32


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


def open_checked(
    path, data: bytes, min_side=None, name=None, what="image", fix="give a JPEG or PNG file"
):
    """`PIL.Image.open` on a file's bytes, refusing what should not be decoded: a decompression
    bomb (PIL's warning and its error alike) and, with `min_side`, an image whose shorter side is
    below it. Returns the opened (not yet decoded) image; the caller closes it. Each refusal is
    a `BadData` naming the file (`name`: as results name it), with `fix`."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        limit = f"{Image.MAX_IMAGE_PIXELS:,}"
        raise BadData(
            path, f"too large to decode safely ({exc})", f"{fix} (at most {limit} pixels)", name
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise BadData(path, f"not a decodable {what} ({exc})", fix, name) from None
    if min_side is not None and min(img.size) < min_side:
        width, height = img.size
        img.close()
        raise BadData(
            path,
            f"{width}x{height} pixels, too small for the network (at least {min_side} a side)",
            f"{fix} (at least {min_side}x{min_side} pixels)",
            name,
        )
    return img


def load_image_array(path, target_size=None, min_side: int | None = None) -> np.ndarray:
    """An image file as a float32 (H, W, 3) array in [0, 255]; BadData when it does not decode,
    when it is a decompression bomb, or when its shorter side is below `min_side` pixels.

    `target_size` (height, width) resizes bilinearly (Keras 3's `load_img` default; Keras 2's
    was nearest).
    """
    from PIL import Image, UnidentifiedImageError

    img = open_checked(path, read_bytes(path), min_side)
    try:
        with img:
            img = img.convert("RGB")
            if target_size is not None:
                img = img.resize((target_size[1], target_size[0]), Image.BILINEAR)
            return np.asarray(img, dtype="float32")
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise BadData(path, f"not a decodable image ({exc})", "give a JPEG or PNG file") from None
