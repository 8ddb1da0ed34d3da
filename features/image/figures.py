"""The Image page's figures (Plotly only: arrays in, ``go.Figure`` out)."""
from __future__ import annotations

from typing import Optional

import numpy as np
import plotly.graph_objects as go

from figures import escape_label
from figures.image import image_overlay


def scope_bounds(in_scope: np.ndarray, grid: tuple[int, int]) -> Optional[tuple[int, int, int, int]]:
    """Inclusive ``(r0, r1, c0, c1)`` of the cells in scope (the 2-D window ``attend`` built),
    for drawing its outline; None if no cell is in scope."""
    gh, gw = grid
    rows, cols = np.nonzero(np.asarray(in_scope, dtype=bool).reshape(gh, gw))
    if rows.size == 0:
        return None
    return int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())


def overlay(uri: str, grid: tuple[int, int], patch: int, values: np.ndarray, in_scope: np.ndarray, *,
            index: int, argmax: int, samples: np.ndarray, windowed: bool, title: str,
            colorscale: str, opacity: float, subtitle: str = "") -> go.Figure:
    """The photo with one query's values per patch.

    values, in_scope: ``(N,)`` row-major; index: the query patch (-1: the mean pooling query);
    samples: ``(k,)`` sampled patch indices (-1 = none); windowed: outline the 2-D window;
    title / subtitle: plain text (escaped here).
    """
    gh, gw = grid
    query = divmod(int(index), gw) if index >= 0 else None
    window = scope_bounds(in_scope, grid) if windowed and query is not None else None
    drawn = ()
    if samples.size and (samples >= 0).all():
        idx, counts = np.unique(samples, return_counts=True)
        drawn = [(int(i) // gw, int(i) % gw, int(c)) for i, c in zip(idx, counts)]
    height = int(min(720, max(300, 560 * gh / gw + 140)))      # fits the chart column at 1280 px
    fig = image_overlay(uri, grid, patch, values, title=title, colorscale=colorscale, opacity=opacity,
                        scope_mask=None if in_scope.all() else in_scope, query=query, window=window,
                        argmax=divmod(int(argmax), gw), samples=drawn, height=height)
    if subtitle:
        fig.update_layout(title=dict(subtitle=dict(text=escape_label(subtitle), font_size=12), yref="container", y=1,
                                     yanchor="top", pad_t=6), margin_t=92)       # legend below it
    return fig
