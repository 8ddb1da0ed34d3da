"""Figure builders: numpy arrays + labels in, ``plotly.graph_objects.Figure`` out.

The only package that imports Plotly; it never imports Streamlit, so every
builder is testable without a server.
"""
from .common import COLORSCALES, escape_label, export_config
from .attention import heatmap, bars

__all__ = ["heatmap", "bars", "escape_label", "export_config", "COLORSCALES"]
