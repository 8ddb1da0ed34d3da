"""Read digits figures (Plotly only): the model input with one attention map per digit.

Coordinates are grid cells: cell (r, c) is centred at x = c, y = r (y grows downwards); the
``32 x 96`` model input is drawn under the ``4 x 12`` grid, pixel ``(py, px)`` covering
``[px/8 - 0.5, (px+1)/8 - 0.5]``.  The image is shown as ink dark on white paper.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures.common import escape_label
from figures.image import SAMPLE_COLOUR, fade_colorscale
from figures.matrix import matrix_heatmap

PIX = 8                      # pixels per cell side
CENTRE_COLOUR = "#e8590c"


def _image_trace(image: np.ndarray) -> go.Heatmap:
    """The model input as a grey heatmap under the grid (ink dark)."""
    paper = (255 * (1.0 - np.clip(np.asarray(image, dtype=np.float32), 0, 1))).astype(np.uint8)
    return go.Heatmap(z=paper, x0=-0.5 + 0.5 / PIX, dx=1.0 / PIX, y0=-0.5 + 0.5 / PIX, dy=1.0 / PIX,
                      colorscale="gray", zmin=0, zmax=255, showscale=False, hoverinfo="skip",
                      name="image")


def _marks(fig, marks: dict, row=None, col=None, size: int = 12) -> None:
    """Hard: arg-max star and sample rings; local: window (dashed) and centre (cross)."""
    where = dict(row=row, col=col) if row is not None else {}
    if marks.get("window") is not None:
        r0, r1, c0, c1 = marks["window"]
        fig.add_shape(type="rect", x0=c0 - 0.5, x1=c1 + 0.5, y0=r0 - 0.5, y1=r1 + 0.5,
                      line=dict(color=CENTRE_COLOUR, width=2, dash="dash"), **where)
    if marks.get("centre") is not None:
        r, c = marks["centre"]
        fig.add_trace(go.Scatter(x=[c], y=[r], mode="markers", showlegend=False, name="centre",
                                 marker=dict(symbol="x-thin", size=size + 2, color=CENTRE_COLOUR,
                                             line=dict(width=3, color=CENTRE_COLOUR)),
                                 hovertemplate=f"window centre p = ({r:.2f}, {c:.2f})<extra></extra>"),
                      **where)
    if marks.get("samples"):
        s = np.asarray(marks["samples"], dtype=np.int64).reshape(-1, 3)
        fig.add_trace(go.Scatter(x=s[:, 1], y=s[:, 0], mode="markers+text", showlegend=False,
                                 name="samples", text=[f"×{k}" for k in s[:, 2]],
                                 textposition="top right", textfont=dict(color=SAMPLE_COLOUR, size=size),
                                 customdata=s,
                                 marker=dict(symbol="circle-open", size=size + 4, color=SAMPLE_COLOUR,
                                             line=dict(width=2.5)),
                                 hovertemplate="sampled cell (%{customdata[0]}, %{customdata[1]}): "
                                               "%{customdata[2]} sample(s)<extra></extra>"), **where)
    if marks.get("argmax") is not None:
        r, c = marks["argmax"]
        fig.add_trace(go.Scatter(x=[c], y=[r], mode="markers", showlegend=False, name="arg-max",
                                 marker=dict(symbol="star", size=size + 4, color="white",
                                             line=dict(color="black", width=1.5)),
                                 hovertemplate=f"cell used (arg-max) ({r}, {c})<extra></extra>"), **where)


def _axes(fig, gh: int, gw: int, n: int, ticks: bool) -> None:
    for i in range(1, n + 1):
        sx = "" if i == 1 else str(i)
        fig.layout[f"xaxis{sx}"].update(range=[-0.5, gw - 0.5], showgrid=False, zeroline=False,
                                        showticklabels=ticks, tickmode="array",
                                        tickvals=list(range(gw)), constrain="domain")
        fig.layout[f"yaxis{sx}"].update(range=[gh - 0.5, -0.5], showgrid=False, zeroline=False,
                                        showticklabels=ticks, tickmode="array",
                                        tickvals=list(range(gh)), scaleanchor=f"x{sx}", scaleratio=1,
                                        constrain="domain")


def maps_grid(image: np.ndarray, maps: np.ndarray, titles: Sequence[str], grid: tuple[int, int], *,
              colorscale: str = "Viridis", marks: Sequence[dict] = (), selected: Optional[int] = None,
              value_name: str = "α", cols: int = 3, opacity: float = 0.7,
              panel_height: int = 88) -> go.Figure:
    """Small multiples: the model input with digit ``i``'s map ``maps[i]`` (``(n, h*w)``) over it.

    All panels share one colour scale from 0 to the largest weight shown.  ``marks[i]``: see
    :func:`_marks`.  ``selected`` panel gets a thick outline.  ``panel_height``: pixels per
    panel (a 4 x 12 grid is 3 times wider than high).
    """
    gh, gw = grid
    n = max(1, len(maps))
    cols = max(1, min(cols, n))
    rows = int(np.ceil(n / cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[escape_label(t) for t in titles],
                        horizontal_spacing=0.03, vertical_spacing=0.16 if rows > 1 else 0.0)
    zmax = float(np.max(maps)) if len(maps) and np.max(maps) > 0 else 1.0
    for i in range(len(maps)):
        r, c = i // cols + 1, i % cols + 1
        fig.add_trace(_image_trace(image), row=r, col=c)
        fig.add_trace(go.Heatmap(z=np.asarray(maps[i], np.float32).reshape(gh, gw), x0=0, dx=1, y0=0, dy=1,
                                 zmin=0, zmax=zmax, colorscale=fade_colorscale(colorscale),
                                 opacity=opacity, showscale=i == 0, name=escape_label(titles[i]),
                                 colorbar=dict(title=dict(text=value_name), thickness=10, len=1.0),
                                 hovertemplate="cell (%{y}, %{x}): " + value_name
                                               + " = %{z:.3f}<extra></extra>"), row=r, col=c)
        if i < len(marks):
            _marks(fig, marks[i], r, c, size=9)
        if selected == i:
            fig.add_shape(type="rect", x0=-0.5, x1=gw - 0.5, y0=-0.5, y1=gh - 0.5,
                          line=dict(color=CENTRE_COLOUR, width=4), row=r, col=c)
    _axes(fig, gh, gw, rows * cols, ticks=False)
    fig.update_layout(height=30 + rows * (panel_height + 28), margin=dict(l=5, r=5, t=28, b=5),
                      dragmode=False, hovermode="closest")
    return fig


def cell_map(image: np.ndarray, values: np.ndarray, grid: tuple[int, int], *, title: str = "",
             colorscale: str = "Viridis", marks: Optional[dict] = None, value_name: str = "α",
             text: Optional[np.ndarray] = None, mask: Optional[np.ndarray] = None,
             opacity: float = 0.65, height: int = 290) -> go.Figure:
    """One digit's map large: every cell's value printed in it (``text``, default the values,
    blank below 0.005); cells outside ``mask`` are left uncoloured."""
    gh, gw = grid
    v = np.asarray(values, dtype=np.float32).reshape(-1)
    shown = v if mask is None else np.where(np.asarray(mask).reshape(-1), v, np.nan).astype(np.float32)
    top = float(np.nanmax(shown)) if np.isfinite(shown).any() else 0.0
    labels = np.asarray(text if text is not None else v).reshape(-1)
    fig = go.Figure(_image_trace(image))
    fig.add_trace(go.Heatmap(
        z=shown.reshape(gh, gw), x0=0, dx=1, y0=0, dy=1, zmin=0, zmax=top if top > 0 else 1.0,
        colorscale=fade_colorscale(colorscale), opacity=opacity, name=value_name,
        text=np.array([(f"{x:.2f}" if x >= 0.005 else "") if isinstance(x, (float, np.floating))
                       else str(x) for x in labels], dtype=object).reshape(gh, gw),
        texttemplate="%{text}", textfont=dict(size=10),
        colorbar=dict(title=dict(text=value_name), thickness=14),
        hovertemplate="cell (%{y}, %{x}): " + value_name + " = %{z:.4f}<extra></extra>"))
    if marks:
        _marks(fig, marks, size=12)
    _axes(fig, gh, gw, 1, ticks=True)
    fig.update_xaxes(title="column")
    fig.update_yaxes(title="row")
    fig.update_layout(title=dict(text=escape_label(title)), height=height,
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10), dragmode=False,
                      hovermode="closest")
    return fig


def confusion(m: np.ndarray, labels: Sequence[str], *, colorscale: str = "Viridis") -> go.Figure:
    """A digit confusion matrix ``(n, n)`` counts (rows = true, columns = read) with every count in
    its cell; colour = the share of its row (so each true digit's errors stand out)."""
    m = np.asarray(m, dtype=np.float64)
    share = m / np.maximum(m.sum(1, keepdims=True), 1)
    fig = matrix_heatmap(share, list(labels), list(labels), colorscale=colorscale, zmin=0.0, zmax=1.0,
                         value_name="share of the row", x_title="digit read", y_title="true digit",
                         height=430)
    fig.update_traces(text=m.astype(int).astype(str), texttemplate="%{text}", selector=dict(type="heatmap"))
    return fig
