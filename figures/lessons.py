"""Figures for the Learn and Compare pages: small matrices with their numbers, differences."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import diverging

from .attention import heatmap

#: ColorBrewer RdBu (red = negative, white = 0, blue = positive): colour-blind safe, diverging.
DIVERGING = list(diverging.RdBu)

# Print each cell's value inside it up to this many cells.
_MAX_TEXT_CELLS = 12 * 12


def matrix_heatmap(m: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str], *,
                   title: str = "", colorscale: str = "Viridis", zmin: float = 0.0,
                   zmax: float = 1.0, value_name: str = "weight", fmt: str = ".3f",
                   scope_mask: Optional[np.ndarray] = None, height: Optional[int] = None,
                   x_title: str = "key", y_title: str = "query") -> go.Figure:
    """:func:`figures.heatmap` of ``m (n_rows, n_cols)`` with every value written in its cell
    (for small matrices: at most 144 cells).  Out-of-scope cells stay blank."""
    fig = heatmap(m, col_labels, row_labels, title=title, colorscale=colorscale, zmin=zmin,
                  zmax=zmax, value_name=value_name, scope_mask=scope_mask, height=height,
                  x_title=x_title, y_title=y_title)
    if np.asarray(m).size <= _MAX_TEXT_CELLS:     # the numbers are the legend: no colour bar
        fig.update_traces(texttemplate=f"%{{z:{fmt}}}", textfont=dict(size=13), showscale=False,
                          selector=dict(type="heatmap"))
    fig.update_xaxes(tickangle=0 if len(col_labels) <= 8 else -60)
    fig.update_layout(margin=dict(l=10, r=10, t=40 if title else 10, b=10))
    return fig


def difference_heatmap(diff: np.ndarray, labels: Sequence[str], *, title: str = "",
                       height: Optional[int] = None) -> go.Figure:
    """``A - B`` ``(n, n)`` on a diverging scale with a symmetric range ``[-m, m]``,
    ``m = max |A - B|`` (1 when A equals B), so white is exactly 0."""
    d = np.asarray(diff, dtype=np.float64)
    m = float(np.nanmax(np.abs(d))) if d.size else 0.0
    m = m if m > 0 else 1.0
    fig = heatmap(d, labels, labels, title=title, colorscale=DIVERGING, zmin=-m, zmax=m,
                  value_name="A − B", height=height)
    if d.size <= _MAX_TEXT_CELLS:
        fig.update_traces(texttemplate="%{z:+.3f}", selector=dict(type="heatmap"))
    if len(labels) <= 8:
        fig.update_xaxes(tickangle=0)
    return fig
