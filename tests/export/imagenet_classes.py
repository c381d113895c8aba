"""Writes examples/web/www/imagenet_classes.json: the 1000 ImageNet class names
in index order, from torchvision's own table (no download).
Usage: /opt/et/bin/python tests/export/imagenet_classes.py"""
import json
from pathlib import Path

from torchvision.models._meta import _IMAGENET_CATEGORIES

assert len(_IMAGENET_CATEGORIES) == 1000
out = Path(__file__).resolve().parents[2] / "examples/web/www/imagenet_classes.json"
out.write_text(json.dumps(list(_IMAGENET_CATEGORIES), separators=(",", ":")) + "\n")
print(f"{out}: {out.stat().st_size} bytes")
