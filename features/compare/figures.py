"""The Compare page's figures: one heatmap per variant, and the difference of two."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import diverging

from figures import heatmap
from figures.matrix import MAX_TEXT_CELLS, matrix_heatmap

#: ColorBrewer RdBu (red = negative, white = 0, blue = positive): colour-blind safe, diverging.
DIVERGING = list(diverging.RdBu)


def card_height(n: int) -> int:
    """Height of a variant's heatmap (two side by side) for ``n`` tokens."""
    return int(max(300, min(520, 16 * n + 160)))


def variant_heatmap(w: np.ndarray, labels: Sequence[str], *, title: str, colorscale: str,
                    scope_mask: Optional[np.ndarray] = None) -> go.Figure:
    """Weights ``w (n, n)`` of one variant on ``[0, 1]`` (values written in the cells of a small
    matrix); cells outside the scope blank.  No colour bar: the cards share one scale, and the
    plot keeps the width."""
    fig = matrix_heatmap(w, labels, labels, title=title, colorscale=colorscale,
                         scope_mask=scope_mask, height=card_height(len(labels)))
    return fig.update_traces(showscale=False, selector=dict(type="heatmap"))


def difference_heatmap(diff: np.ndarray, labels: Sequence[str], *, title: str = "",
                       height: Optional[int] = None) -> go.Figure:
    """``A - B`` ``(n, n)`` on a diverging scale with a symmetric range ``[-m, m]``,
    ``m = max |A - B|`` (1 when A equals B), so white is exactly 0."""
    d = np.asarray(diff, dtype=np.float64)
    m = float(np.nanmax(np.abs(d))) if d.size else 0.0
    m = m if m > 0 else 1.0
    fig = heatmap(d, labels, labels, title=title, colorscale=DIVERGING, zmin=-m, zmax=m,
                  value_name="A − B", height=height)
    if d.size <= MAX_TEXT_CELLS:
        fig.update_traces(texttemplate="%{z:+.3f}", selector=dict(type="heatmap"))
    if len(labels) <= 8:
        fig.update_xaxes(tickangle=0)
    return fig
