"""JPEGs: any photo (a noisy one around a colour), and the book's test photos."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image


def jpeg(path: Path, rgb_mean, size=(40, 30), seed=0) -> Path:
    """A small noisy JPEG (width, height) around a mean color."""
    rng = np.random.default_rng(seed)
    pixels = np.clip(rng.normal(rgb_mean, 40, (size[1], size[0], 3)), 0, 255).astype("uint8")
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, "JPEG", quality=85)
    return path


def write_elephant(root: Path, size=(48, 36)) -> Path:
    return jpeg(
        root / "datasets" / "images" / "creative_commons_elephant.jpg", (120, 110, 100), size
    )


def write_style_images(root: Path) -> Path:
    """The content photo and the style painting of chapter 8's style transfer."""
    images = root / "datasets" / "images"
    jpeg(images / "Tubingen.jpg", (140, 120, 100), (64, 48), seed=2)
    return jpeg(images / "transfer_style_reference.jpg", (60, 80, 160), (70, 50), seed=3)


def decompression_bomb(path: Path, width: int, height: int, fmt: str = "JPEG") -> Path:
    """A small file whose header says it is `width` x `height` pixels (a JPEG or a PNG): above
    PIL's `MAX_IMAGE_PIXELS` (89 million) PIL warns of a decompression bomb, above twice it
    refuses to open it. Only the header is patched: decoding it would fail, opening it must."""
    import struct
    import zlib

    buffer = io.BytesIO()
    Image.fromarray(np.full((8, 8, 3), 128, "uint8")).save(buffer, fmt)
    data = bytearray(buffer.getvalue())
    if fmt == "PNG":  # IHDR: length, b"IHDR", width, height, ..., CRC of type + data
        start = data.index(b"IHDR")
        data[start + 4 : start + 12] = struct.pack(">II", width, height)
        crc = zlib.crc32(bytes(data[start : start + 17]))
        data[start + 17 : start + 21] = struct.pack(">I", crc)
    else:  # the baseline frame header: FFC0, length, precision, height, width
        start = data.index(b"\xff\xc0")
        data[start + 5 : start + 9] = struct.pack(">HH", height, width)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(bytes(data))
    return path
