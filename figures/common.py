"""Shared helpers for figure builders: label escaping, colour scales, modebar export."""
from __future__ import annotations

import re

#: Colour-blind-safe sequential scales offered to users (Plotly names).
COLORSCALES = ("Viridis", "Cividis", "Magma", "Blues", "Greys")

_SAFE_FILE = re.compile(r"[^A-Za-z0-9_.-]+")


def escape_label(text: str) -> str:
    """Make arbitrary text display literally in Plotly.

    Plotly renders a small HTML subset in tick labels, titles and hover text
    (``<b>``, ``<br>``, ``<a href>`` ...) and decodes entities, so ``&``, ``<`` and
    ``>`` become entities and a token like ``<script>`` shows as text, never markup.
    """
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def export_config(filename: str, scale: int = 2) -> dict:
    """``st.plotly_chart(config=...)`` with a PNG download named ``filename`` at ``scale`` x."""
    name = _SAFE_FILE.sub("_", filename).strip("_")[:80] or "attention"
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": name, "scale": scale},
    }
