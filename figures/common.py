"""Shared helpers for figure builders: colour scales and the modebar's PNG export."""
from __future__ import annotations

from .labels import escape_label, file_name  # noqa: F401  (re-exported)

#: Colour-blind-safe sequential scales offered to users (Plotly names).
COLORSCALES = ("Viridis", "Cividis", "Magma", "Blues", "Greys")

def export_config(filename: str, scale: int = 2) -> dict:
    """``st.plotly_chart(config=...)`` with a PNG download named ``filename`` at ``scale`` x."""
    name = file_name(filename)
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": name, "scale": scale},
    }
