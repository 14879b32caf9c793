"""ImageNet: the class index a pretrained network's predictions are decoded with."""

from __future__ import annotations

import json
from pathlib import Path


def write_class_index(root: Path) -> Path:
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    index["386"] = ["n02504458", "African_elephant"]
    path = root / "models" / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    return path
