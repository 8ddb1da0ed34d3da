"""A small matrix as a heatmap with every value written in its cell (the numbers are the legend)."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import plotly.graph_objects as go

from .attention import heatmap

#: Print each cell's value inside it up to this many cells (12 x 12).
MAX_TEXT_CELLS = 12 * 12


def matrix_heatmap(m: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str], *,
                   title: str = "", colorscale="Viridis", zmin: float = 0.0,
                   zmax: float = 1.0, value_name: str = "weight", fmt: str = ".3f",
                   scope_mask: Optional[np.ndarray] = None, height: Optional[int] = None,
                   x_title: str = "key", y_title: str = "query") -> go.Figure:
    """:func:`figures.heatmap` of ``m (n_rows, n_cols)``; up to :data:`MAX_TEXT_CELLS` cells every
    value is written in its cell (format ``fmt``) and the colour bar is dropped.  Cells where
    ``scope_mask`` ``(n_rows, n_cols)`` is False stay blank (outside the query's scope)."""
    fig = heatmap(m, col_labels, row_labels, title=title, colorscale=colorscale, zmin=zmin,
                  zmax=zmax, value_name=value_name, scope_mask=scope_mask, height=height,
                  x_title=x_title, y_title=y_title)
    if np.asarray(m).size <= MAX_TEXT_CELLS:
        fig.update_traces(texttemplate=f"%{{z:{fmt}}}", textfont=dict(size=13), showscale=False,
                          selector=dict(type="heatmap"))
    fig.update_xaxes(tickangle=0 if len(col_labels) <= 8 else -60)
    fig.update_layout(margin=dict(l=10, r=10, t=40 if title else 10, b=10))
    return fig
