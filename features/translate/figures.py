"""Translate page figures (Plotly only): the alignment heatmap with its window, p_t, the locale
tag column, the steps responsible for an impossible output and the unsure steps."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import plotly.graph_objects as go

import figures

WINDOW_COLOR = "#e8590c"
CENTRE_COLOR = "#f03e3e"
BAD_COLOR = "#e03131"
TAG_COLOR = "#1c7ed6"
TICK_CHAR_PX = 5.7      # about one tick-label character at the default font (measured in Chromium)
PLOT_PX = 440           # about the width of the plot area on a 1280-px screen


def alignment(weights: np.ndarray, src_labels: Sequence[str], tgt_labels: Sequence[str], *,
              title: str, colorscale: str, mask: Optional[np.ndarray] = None,
              positions: Optional[np.ndarray] = None, window: Optional[int] = None,
              row: Optional[int] = None, unsure: Sequence[int] = (), bad: Sequence[int] = (),
              height: Optional[int] = None, centre_name: str = "p_t", upright: bool = True,
              colorbar: bool = True, axis_titles: bool = True) -> go.Figure:
    """Target characters (rows) x source positions (columns) heatmap of the weights used.

    weights ``(T, S)``, column 0 = the locale tag (outlined in blue); mask ``(T, S)`` bool:
    cells outside a step's window are blank; positions ``(T,)``: each step's window centre,
    drawn as a red mark, with the window ``[c - D, c + D]`` (``window`` = D) outlined.
    ``unsure``: steps marked "?" on the axis; ``bad``: the steps that made the output impossible,
    marked "✗" and outlined in red.  ``upright``: source characters as upright tick labels (else
    rotated, for a narrow chart); ``colorbar`` / ``axis_titles``: drop them to give a narrow
    chart's cells the room.  Click a cell: ``points[0]["y"]`` is the target step.
    """
    T, S = weights.shape
    unsure, bad = set(unsure), set(bad)
    ylab = [f"{t} ✗" if i in bad else f"{t} ?" if i in unsure else str(t)
            for i, t in enumerate(tgt_labels)]
    fig = figures.heatmap(weights, list(src_labels), ylab, title=title, colorscale=colorscale,
                          x_title="source position (key): the locale tag, then the characters",
                          y_title="output character (query)",
                          value_name="α", clickable=True, highlight_row=row, scope_mask=mask,
                          height=height or max(300, min(560, 26 * T + 150)))
    if upright:
        fig.update_xaxes(tickangle=0)                  # one character per tick: keep upright
        ticks = list(fig.layout.xaxis.ticktext or ())
        if ticks and (len(ticks[0]) - 1) * TICK_CHAR_PX > PLOT_PX / S:
            ticks[0] = "<br>" + ticks[0]               # too wide for its column: a line lower,
            fig.update_xaxes(ticktext=ticks)           # so it does not run into the characters
    if not colorbar:
        fig.data[0].showscale = False
    if not axis_titles:
        fig.update_xaxes(title=None)
        fig.update_yaxes(title=None)
    fig.data[1].hovertemplate = ("output %{customdata[0]} (step %{y}) → source "
                                 "%{customdata[1]} (#%{x}): α = %{customdata[2]:.4f}<extra></extra>")
    shapes = list(fig.layout.shapes)
    shapes.append(dict(type="rect", x0=-0.5, x1=0.5, y0=-0.5, y1=T - 0.5,
                       line=dict(color=TAG_COLOR, width=2)))          # the tag's column
    for t in sorted(bad):
        if 0 <= t < T:
            shapes.append(dict(type="rect", x0=-0.5, x1=S - 0.5, y0=t - 0.5, y1=t + 0.5,
                               line=dict(color=BAD_COLOR, width=3)))
    if positions is not None and window is not None:
        inside = np.asarray(mask, dtype=bool) if mask is not None else np.ones((T, S), bool)
        for t in range(T):                   # the window attend used: outline its mask row
            cells = np.flatnonzero(inside[t])
            if cells.size:
                shapes.append(dict(type="rect", x0=cells[0] - 0.5, x1=cells[-1] + 0.5, y0=t - 0.5,
                                   y1=t + 0.5, line=dict(color=WINDOW_COLOR, width=1, dash="dot")))
    fig.update_layout(shapes=shapes)
    if positions is not None and window is not None:
        fig.add_trace(go.Scatter(
            x=np.asarray(positions, dtype=float), y=np.arange(T), mode="markers+lines",
            name=centre_name, showlegend=True,
            marker=dict(symbol="x-thin", size=11, line=dict(width=2, color=CENTRE_COLOR)),
            line=dict(color=CENTRE_COLOR, width=1), hoverinfo="skip"))
        fig.update_layout(legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom",
                                      bgcolor="rgba(0,0,0,0)"))
    return fig
