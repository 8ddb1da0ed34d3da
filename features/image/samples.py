"""The bundled sample photographs (``assets/images``, licences in LICENSES.md there)."""
from __future__ import annotations

import pathlib

ASSETS_DIR = pathlib.Path(__file__).resolve().parents[2] / "assets" / "images"
_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}


def sample_images() -> dict[str, pathlib.Path]:
    """``{name: path}`` sorted by name (name = file stem, e.g. "coffee"); empty if the folder is missing."""
    if not ASSETS_DIR.is_dir():
        return {}
    return {p.stem: p for p in sorted(ASSETS_DIR.iterdir()) if p.suffix.lower() in _SUFFIXES}


def sample_credit(name: str) -> str:
    """"What it shows. Author/source. Licence: ..." for a bundled sample, from LICENSES.md ("" if unknown)."""
    path = sample_images().get(name)
    if path is None:
        return ""
    try:
        text = (ASSETS_DIR / "LICENSES.md").read_text(encoding="utf-8")
    except OSError:
        return ""
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and cells[0] == f"`{path.name}`":
            author = cells[4].split(" Loader:")[0].rstrip(".")
            return f"{cells[3]}. {author}. Licence: {cells[5]}"
    return ""
