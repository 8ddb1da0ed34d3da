"""Attention heatmaps and bar charts."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import plotly.graph_objects as go

from .common import escape_label

# Above this many cells, hover text per cell (n^2 strings) costs more than it helps:
# hover then shows indices only and the axes carry the tokens.
_MAX_HOVER_CELLS = 160 * 160
# Above this many cells the click overlay is drawn with WebGL instead of SVG.
_MAX_SVG_CELLS = 48 * 48


def heatmap(weights: np.ndarray, x_labels: Sequence[str], y_labels: Sequence[str], *,
            title: str = "", colorscale: str = "Viridis", zmin: float = 0.0, zmax: float = 1.0,
            x_title: str = "key (attended to)", y_title: str = "query (attending)",
            value_name: str = "weight", clickable: bool = False, height: Optional[int] = None,
            highlight_row: Optional[int] = None, scope_mask: Optional[np.ndarray] = None) -> go.Figure:
    """Query x key heatmap.

    weights: ``(n_query, n_key)``; row i is query i.  x_labels: n_key strings,
    y_labels: n_query strings (shown literally, escaped here).  Axes are integer
    positions with token tick labels, so repeated tokens never merge.  Colour bar
    fixed to ``[zmin, zmax]``.  ``scope_mask`` ``(n_query, n_key)`` bool: cells where it is
    False (outside the query's scope) are drawn blank, not as weight 0.  ``clickable`` lays a transparent scatter, one square
    marker per cell, over the heatmap: Streamlit's ``on_select`` then reports the
    clicked cell as ``points[0]["x"]`` (key) and ``["y"]`` (query).
    """
    w = np.asarray(weights, dtype=np.float32)
    nq, nk = w.shape
    if scope_mask is not None:          # cells a query may not attend to are left blank
        w = np.where(np.broadcast_to(np.asarray(scope_mask, dtype=bool), w.shape), w, np.nan)
    xl = [escape_label(s) for s in x_labels]
    yl = [escape_label(s) for s in y_labels]
    if len(xl) != nk or len(yl) != nq:
        raise ValueError(f"labels ({len(yl)}, {len(xl)}) do not match weights {w.shape}")
    hm = dict(type="heatmap", z=w, x=np.arange(nk), y=np.arange(nq), colorscale=colorscale,
              zmin=zmin, zmax=zmax, colorbar=dict(title=dict(text=value_name), thickness=14),
              xgap=0, ygap=0)
    small = nq * nk <= _MAX_HOVER_CELLS
    if small:
        qk = np.empty((nq, nk, 2), dtype=object)
        qk[:, :, 0] = np.asarray(yl, dtype=object)[:, None]
        qk[:, :, 1] = np.asarray(xl, dtype=object)[None, :]
    data = [hm]
    if not clickable:
        if small:
            hm.update(customdata=qk,
                      hovertemplate="%{customdata[0]} → %{customdata[1]}: %{z:.4f}<extra></extra>")
        else:
            hm.update(hovertemplate="query %{y} → key %{x}: %{z:.4f}<extra></extra>")
    else:
        # The transparent overlay sits on top, so it takes the hover: it carries the label.
        hm["hoverinfo"] = "skip"
        data.append(_click_overlay(w, qk if small else None))
    shapes = []
    if highlight_row is not None and 0 <= highlight_row < nq:
        shapes.append(dict(type="rect", x0=-0.5, x1=nk - 0.5, y0=highlight_row - 0.5, name="highlight_row",
                           y1=highlight_row + 0.5, line=dict(color="#e8590c", width=2)))
    step_x = max(1, int(np.ceil(nk / 60)))
    step_y = max(1, int(np.ceil(nq / 60)))
    side = max(320, min(900, 26 * max(nq, 6) + 160))
    layout = dict(
        title=dict(text=escape_label(title)), height=height or side,
        plot_bgcolor="rgba(128,128,128,0.12)", shapes=shapes,
        margin=dict(l=10, r=10, t=50 if title else 20, b=10),
        clickmode="event+select", dragmode=False if clickable else "zoom", hovermode="closest",
        xaxis=dict(title=dict(text=x_title), tickmode="array", tickvals=list(range(0, nk, step_x)),
                   ticktext=xl[::step_x], range=[-0.5, nk - 0.5], tickangle=-60, side="bottom",
                   showgrid=False, zeroline=False),
        yaxis=dict(title=dict(text=y_title), tickmode="array", tickvals=list(range(0, nq, step_y)),
                   ticktext=yl[::step_y], range=[nq - 0.5, -0.5], showgrid=False, zeroline=False),
    )
    # One constructor call with plain dicts: Plotly validates once instead of once per
    # update_* call (3x faster for small figures; this is on every rerun).
    fig = go.Figure(data=data, layout=layout)
    return fig


def _click_overlay(w: np.ndarray, qk: Optional[np.ndarray]) -> dict:
    """A transparent scatter, one square marker per cell of ``w (n_query, n_key)`` (NaN = blank):
    it takes the clicks and the hover; ``qk`` ``(n_query, n_key, 2)`` = (query, key) labels for the
    hover text (None above ``_MAX_HOVER_CELLS``: positions instead)."""
    nq, nk = w.shape
    xx, yy = np.meshgrid(np.arange(nk, dtype=np.int16), np.arange(nq, dtype=np.int16))
    overlay = dict(
        # SVG draws one DOM node per marker (22 s for 512 x 512 in headless Chromium);
        # WebGL draws 262k markers in ~2 s and still reports clicks.
        type="scatter" if nq * nk <= _MAX_SVG_CELLS else "scattergl",
        x=xx.ravel(), y=yy.ravel(), mode="markers", showlegend=False, name="cells",
        marker=dict(symbol="square", size=max(4, min(24, 600 // max(nq, nk))), opacity=0))
    if qk is not None:
        cd = np.empty((nq * nk, 3), dtype=object)
        cd[:, :2] = qk.reshape(-1, 2)
        cd[:, 2] = [None if np.isnan(x) else float(x) for x in w.ravel()]
        overlay.update(customdata=cd, hovertemplate=(
            "%{customdata[0]} → %{customdata[1]}: %{customdata[2]:.4f}<extra></extra>"))
    else:
        overlay.update(customdata=w.ravel(),
                       hovertemplate="query %{y} → key %{x}: %{customdata:.4f}<extra></extra>")
    return overlay


def bars(values: np.ndarray, labels: Sequence[str], *, title: str = "",
         value_name: str = "α (attention weight)", color: str = "#3b5bdb",
         ymax: Optional[float] = 1.0) -> go.Figure:
    """Bar chart of one attention distribution ``(n,)`` over n labelled items."""
    v = np.asarray(values, dtype=np.float32).reshape(-1)
    lab = [escape_label(s) for s in labels]
    if len(lab) != v.shape[0]:
        raise ValueError(f"{len(lab)} labels for {v.shape[0]} values")
    step = max(1, int(np.ceil(v.shape[0] / 60)))
    layout = dict(
        title=dict(text=escape_label(title)), height=380,
        margin=dict(l=10, r=10, t=50 if title else 20, b=10),
        xaxis=dict(tickmode="array", tickvals=list(range(0, v.shape[0], step)), ticktext=lab[::step],
                   tickangle=-60),
        yaxis=dict(title=dict(text=value_name), range=[0, ymax] if ymax is not None else None),
    )
    fig = go.Figure(data=[dict(type="bar", x=np.arange(v.shape[0]), y=v, marker=dict(color=color),
                               customdata=lab, hovertemplate="%{customdata}: %{y:.4f}<extra></extra>")],
                    layout=layout)
    return fig
