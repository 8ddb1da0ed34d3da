"""Translate page figures (Plotly only): the alignment heatmap with its window and p_t."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import plotly.graph_objects as go

import figures

WINDOW_COLOR = "#e8590c"
CENTRE_COLOR = "#f03e3e"


def alignment(weights: np.ndarray, src_labels: Sequence[str], tgt_labels: Sequence[str], *,
              title: str, colorscale: str, mask: Optional[np.ndarray] = None,
              positions: Optional[np.ndarray] = None, window: Optional[int] = None,
              row: Optional[int] = None, unsure: Sequence[int] = (), height: Optional[int] = None,
              centre_name: str = "p_t", upright: bool = True, colorbar: bool = True,
              axis_titles: bool = True) -> go.Figure:
    """Target characters (rows) x source characters (columns) heatmap of the weights used.

    weights ``(T, S)``; mask ``(T, S)`` bool: cells outside a step's window are blank;
    positions ``(T,)``: each step's window centre, drawn as a red mark, with the window
    ``[c - D, c + D]`` (``window`` = D) outlined.  ``unsure``: steps flagged with "?" on the axis.
    ``upright``: source characters as upright tick labels (else rotated, for a narrow chart);
    ``colorbar`` / ``axis_titles``: drop them to give a narrow chart's cells the room.
    Click a cell: ``points[0]["y"]`` is the target step.
    """
    T, S = weights.shape
    ylab = [f"{t} ?" if i in set(unsure) else str(t) for i, t in enumerate(tgt_labels)]
    fig = figures.heatmap(weights, list(src_labels), ylab, title=title, colorscale=colorscale,
                          x_title="source character (key)", y_title="output character (query)",
                          value_name="α", clickable=True, highlight_row=row, scope_mask=mask,
                          height=height or max(300, min(560, 26 * T + 150)))
    if upright:
        fig.update_xaxes(tickangle=0)                  # one character per tick: keep upright
    if not colorbar:
        fig.data[0].showscale = False
    if not axis_titles:
        fig.update_xaxes(title=None)
        fig.update_yaxes(title=None)
    fig.data[1].hovertemplate = ("output %{customdata[0]} (step %{y}) → source "
                                 "%{customdata[1]} (#%{x}): α = %{customdata[2]:.4f}<extra></extra>")
    if positions is not None and window is not None:
        p = np.asarray(positions, dtype=float)
        shapes = list(fig.layout.shapes)
        inside = np.asarray(mask, dtype=bool) if mask is not None else np.ones((T, S), bool)
        for t in range(T):                   # the window attend used: outline its mask row
            cells = np.flatnonzero(inside[t])
            if cells.size:
                shapes.append(dict(type="rect", x0=cells[0] - 0.5, x1=cells[-1] + 0.5, y0=t - 0.5,
                                   y1=t + 0.5, line=dict(color=WINDOW_COLOR, width=1, dash="dot")))
        fig.update_layout(shapes=shapes)
        fig.add_trace(go.Scatter(
            x=p, y=np.arange(T), mode="markers+lines", name=centre_name, showlegend=True,
            marker=dict(symbol="x-thin", size=11, line=dict(width=2, color=CENTRE_COLOR)),
            line=dict(color=CENTRE_COLOR, width=1), hoverinfo="skip"))
        fig.update_layout(legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom",
                                      bgcolor="rgba(0,0,0,0)"))
    return fig
