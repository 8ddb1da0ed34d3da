"""The Model explorer's own figures: all heads at once, head view lines, neuron view,
layers x heads statistics.  Plotly only (no Streamlit, no core); arrays + labels in,
``go.Figure`` out.

Clicks: Streamlit never reports clicks on heatmaps, so every clickable figure here lays a
transparent ``go.Scatter`` over its tiles / cells and documents what a click's
``points[0]["x"/"y"]`` means (see :func:`grid_cell`).
"""
from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np
import plotly.graph_objects as go

from figures import escape_label

#: One colour per head (12), colour-blind friendly as far as 12 hues allow: Paul Tol's
#: "muted" (9) + "vibrant" blue, orange and grey.  Lines also carry the head number in
#: the legend and hover, so colour is never the only cue.
HEAD_COLORS = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933", "#DDCC77",
               "#CC6677", "#882255", "#AA4499", "#EE7733", "#0077BB", "#BBBBBB")

GAP = 0.08                     # gap between tiles, in tile widths
HIGHLIGHT = "#e8590c"


def _tile_origin(index: int) -> float:
    return index * (1 + GAP)


def grid_cell(x: float, y: float, n_layers: int, n_heads: int) -> Optional[tuple[int, int]]:
    """The ``(layer, head)`` (0-based) of a point in :func:`model_grid` data coordinates
    (tile ``(l, h)`` spans ``x in [h (1+GAP), h (1+GAP) + 1]``, ``y`` likewise for l), or None
    in a gap / outside."""
    p = 1 + GAP
    h, l = math.floor(float(x) / p), math.floor(float(y) / p)
    if not (0 <= l < n_layers and 0 <= h < n_heads):
        return None
    if float(x) - h * p > 1 + 1e-9 or float(y) - l * p > 1 + 1e-9:
        return None
    return l, h


def _tile_overlay(L: int, H: int, hover: Optional[np.ndarray], m: int) -> dict:
    """The clickable overlay of :func:`model_grid`: ``m * m`` transparent markers per tile,
    each carrying its tile's hover text ``(L, H)``."""
    off = (np.arange(m, dtype=np.float32) + 0.5) / m                         # (m,)
    hh, ll, oy, ox = np.meshgrid(np.arange(H), np.arange(L), off, off, indexing="ij")  # (H, L, m, m)
    xs = (hh * (1 + GAP) + ox).ravel().astype(np.float32)
    ys = (ll * (1 + GAP) + oy).ravel().astype(np.float32)
    if hover is None:
        hover = np.array([[f"layer {l + 1} · head {h + 1}" for h in range(H)] for l in range(L)],
                         dtype=object)
    text = np.asarray(hover, dtype=object)[ll.ravel(), hh.ravel()]
    return dict(type="scatter", x=xs, y=ys, mode="markers", showlegend=False, name="heads", text=list(text),
                marker=dict(symbol="square", size=max(8, 60 // m), opacity=0, color="#000000"),
                hovertemplate="%{text}<br><i>click to open this head</i><extra></extra>")


def model_grid(thumbs: np.ndarray, *, colorscale: str = "Viridis",
               selected: Optional[tuple[int, int]] = None, hover: Optional[np.ndarray] = None,
               title: str = "", height: Optional[int] = None, markers_per_side: int = 3,
               zmax: float = 1.0) -> go.Figure:
    """All layers x heads as a grid of small heatmaps ("model view").

    thumbs: ``(L, H, tq, tk)`` uint8 percent (0..100, e.g. ``attention.explore.thumbnails``);
    one heatmap trace per head, all on one axis pair and one colour axis labelled 0..1.
    Tile ``(l, h)`` is the unit square at ``(h (1+GAP), l (1+GAP))``; queries run down, keys
    across.  ``selected`` (0-based layer, head) gets an orange frame.  ``hover``: ``(L, H)``
    strings shown when the pointer is over a tile.  A transparent scatter of
    ``markers_per_side**2`` markers per tile makes tiles clickable: map a click back with
    :func:`grid_cell`.  ``zmax`` (weight, 0..1] is the top of the colour scale (higher
    weights saturate), for long inputs whose weights are all small.
    """
    t = np.asarray(thumbs)
    if t.ndim != 4:
        raise ValueError(f"thumbs must be (L, H, tq, tk); got shape {t.shape}")
    if t.dtype != np.uint8:
        t = np.rint(np.clip(np.nan_to_num(t.astype(np.float32)), 0, 100)).astype(np.uint8)
    L, H, tq, tk = t.shape
    p = 1 + GAP
    data = [dict(type="heatmap", z=t[l, h], x0=_tile_origin(h) + 0.5 / tk, dx=1.0 / tk,
                 y0=_tile_origin(l) + 0.5 / tq, dy=1.0 / tq, coloraxis="coloraxis",
                 hoverinfo="skip", name=f"L{l + 1} H{h + 1}")
            for l in range(L) for h in range(H)]
    data.append(_tile_overlay(L, H, hover, max(1, int(markers_per_side))))
    shapes = []
    if selected is not None:
        l, h = selected
        shapes.append(dict(type="rect", x0=_tile_origin(h) - 0.035, x1=_tile_origin(h) + 1.035,
                           y0=_tile_origin(l) - 0.035, y1=_tile_origin(l) + 1.035,
                           line=dict(color=HIGHLIGHT, width=3)))
    layout = dict(
        title=dict(text=escape_label(title)), height=height or 90 * L + 90, shapes=shapes,
        coloraxis=dict(colorscale=colorscale, cmin=0, cmax=100 * zmax,
                       colorbar=dict(title=dict(text="weight"), thickness=14,
                                     tickvals=[100 * zmax * f for f in (0, 0.25, 0.5, 0.75, 1)],
                                     ticktext=[f"{zmax * f:g}" for f in (0, 0.25, 0.5, 0.75)]
                                     + [f"≥ {zmax:g}" if zmax < 1 else "1"])),
        xaxis=dict(range=[-GAP / 2, H * p - GAP / 2], tickmode="array",
                   tickvals=[_tile_origin(h) + 0.5 for h in range(H)],
                   ticktext=[f"head {h + 1}" for h in range(H)], side="top",
                   showgrid=False, zeroline=False, fixedrange=True),
        yaxis=dict(range=[L * p - GAP / 2, -GAP / 2], tickmode="array",
                   tickvals=[_tile_origin(l) + 0.5 for l in range(L)],
                   ticktext=[f"layer {l + 1}" for l in range(L)],
                   showgrid=False, zeroline=False, fixedrange=True),
        margin=dict(l=10, r=10, t=70 if title else 40, b=10), plot_bgcolor="rgba(0,0,0,0)",
        clickmode="event+select", dragmode=False, hovermode="closest")
    # one constructor call with plain dicts: Plotly validates once (72 add_trace calls: 4x slower)
    fig = go.Figure(data=data, layout=layout)
    return fig


# ---------------------------------------------------------------- head view
def head_lines(weights: np.ndarray, q_labels: Sequence[str], k_labels: Sequence[str], *,
               heads: Sequence[int], threshold: float = 0.05,
               isolate: Optional[tuple[str, int]] = None, levels: int = 8,
               title: str = "", colors: Sequence[str] = HEAD_COLORS) -> go.Figure:
    """BertViz-style head view of one layer: a line from query token i (left column) to key
    token j (right column) for every weight ``a_ij >= threshold`` of each head in ``heads``.

    weights: ``(H, nq, nk)``; heads: 0-based head indices to draw.  Line opacity = the weight
    rounded up to a multiple of ``1/levels`` (one trace per head and level, segments separated
    by NaN, so a layer is at most ``H * levels`` traces).  ``isolate=("q", i)`` keeps only
    query i's lines, ``("k", j)`` only the lines into key j.  Each token has a dot at the end of
    its column (clickable): ``points[0]`` has ``x`` 0 (a query) or 1 (a key) and ``y`` the
    token's position.
    """
    w = np.asarray(weights, dtype=np.float32)
    H, nq, nk = w.shape
    ql = [escape_label(s) for s in q_labels]
    kl = [escape_label(s) for s in k_labels]
    if len(ql) != nq or len(kl) != nk:
        raise ValueError(f"labels ({len(ql)}, {len(kl)}) do not match weights {w.shape}")
    keep = np.ones((nq, nk), dtype=bool)
    if isolate is not None:
        side, idx = isolate
        keep[:] = False
        if side == "q" and 0 <= idx < nq:
            keep[idx, :] = True
        elif side == "k" and 0 <= idx < nk:
            keep[:, idx] = True
    fig = go.Figure()
    for h in heads:
        if 0 <= h < H:
            for trace in _head_line_traces(w[h], (w[h] >= threshold) & keep, h, levels, colors[h % len(colors)]):
                fig.add_trace(trace)
    iso_q = isolate[1] if isolate and isolate[0] == "q" else -1
    iso_k = isolate[1] if isolate and isolate[0] == "k" else -1
    for x, labels, iso, pos, who in ((0, ql, iso_q, "middle left", "query"),
                                     (1, kl, iso_k, "middle right", "key")):
        text = [f"<b>{s}</b>" if i == iso else s for i, s in enumerate(labels)]
        dots = [HIGHLIGHT if i == iso else "#868e96" for i in range(len(labels))]
        fig.add_trace(go.Scatter(
            x=np.full(len(labels), x, dtype=np.float32), y=np.arange(len(labels), dtype=np.float32),
            mode="markers+text", text=text, textposition=pos, showlegend=False,
            name=f"{who} tokens", marker=dict(size=9, color=dots, symbol="circle"),
            textfont=dict(size=12),
            hovertemplate=f"{who} %{{y}}: %{{text}}<br><i>click the dot to isolate its lines</i><extra></extra>"))
    n = max(nq, nk, 1)
    fig.update_xaxes(range=[-0.9, 1.9], visible=False, fixedrange=True)
    fig.update_yaxes(range=[n - 0.5, -0.8], visible=False)
    fig.update_layout(
        title=dict(text=escape_label(title)), height=max(320, 20 * n + 110),
        margin=dict(l=10, r=10, t=60 if title else 30, b=10), plot_bgcolor="rgba(0,0,0,0)",
        legend=dict(orientation="v", y=1.0, yanchor="top", x=1.0, xanchor="left",
                    title=dict(text="click to hide")),
        annotations=[dict(x=0, y=-0.7, text="<b>attends (query)</b>", showarrow=False, xanchor="right"),
                     dict(x=1, y=-0.7, text="<b>attended to (key)</b>", showarrow=False, xanchor="left")],
        clickmode="event+select", dragmode="zoom", hovermode="closest")
    return fig


def _head_line_traces(w: np.ndarray, sel: np.ndarray, h: int, levels: int, color: str) -> list:
    """One head's lines: a segment (query i at x=0) -> (key j at x=1) for every cell of
    ``sel (nq, nk)``, one trace per opacity level ``ceil(levels * w) / levels`` of the weights
    ``w (nq, nk)`` (segments split by NaN).  A head with no line still gets an empty trace, so
    it stays in the legend."""
    ii, jj = np.nonzero(sel)
    lev = np.ceil(w[ii, jj] * levels).clip(1, levels).astype(int)
    out = []
    for lv in range(levels, 0, -1):
        pick = lev == lv
        cnt = int(pick.sum())
        if cnt == 0:
            continue
        xs = np.tile(np.array([0, 1, np.nan], dtype=np.float32), cnt)       # (3 cnt,)
        ys = np.empty(3 * cnt, dtype=np.float32)
        ys[0::3], ys[1::3], ys[2::3] = ii[pick], jj[pick], np.nan
        out.append(go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", opacity=lv / levels,
                              line=dict(color=color, width=2), legendgroup=f"h{h}",
                              name=f"head {h + 1}", showlegend=not out))
    if not out:
        out.append(go.Scatter(x=[np.nan], y=[np.nan], mode="lines", legendgroup=f"h{h}",
                              name=f"head {h + 1}", line=dict(color=color, width=2)))
    return out


# ---------------------------------------------------------------- neuron view
def neuron_products(qk: np.ndarray, key_labels: Sequence[str], *, title: str = "") -> go.Figure:
    """Elementwise products ``q_i * k_j`` ``(n, d)``: row j summed over the d dimensions is
    the dot product ``q_i . k_j``.  Diverging colours centred on 0 (blue < 0 < red)."""
    a = np.asarray(qk, dtype=np.float32)
    n, d = a.shape
    kl = [escape_label(s) for s in key_labels]
    lim = float(np.abs(a).max()) or 1.0
    fig = go.Figure(go.Heatmap(
        z=a, x=np.arange(d), y=np.arange(n), colorscale="RdBu", reversescale=True, zmid=0,
        zmin=-lim, zmax=lim, colorbar=dict(title=dict(text="q·k term"), thickness=14),
        hovertemplate="key %{y}, dim %{x}: %{z:.4f}<extra></extra>"))
    step = max(1, math.ceil(n / 60))
    fig.update_yaxes(tickmode="array", tickvals=list(range(0, n, step)), ticktext=kl[::step],
                     range=[n - 0.5, -0.5], title="key token j")
    fig.update_xaxes(title="dimension (0..%d)" % (d - 1), dtick=4)
    fig.update_layout(title=dict(text=escape_label(title)), height=max(260, 18 * n + 130),
                      margin=dict(l=10, r=10, t=50 if title else 20, b=10))
    return fig


# ---------------------------------------------------------------- layers x heads
def layer_head_heatmap(values: np.ndarray, *, value_name: str, colorscale: str = "Viridis",
                       zmin: Optional[float] = None, zmax: Optional[float] = None,
                       fmt: str = ".3f", title: str = "", selected: Optional[tuple[int, int]] = None,
                       clickable: bool = True) -> go.Figure:
    """One number per head: ``values (L, H)``, layers down, heads across (1-based labels).
    Clickable: ``points[0]["x"]`` is the 0-based head, ``["y"]`` the 0-based layer."""
    v = np.asarray(values, dtype=np.float32)
    L, H = v.shape
    lh = np.stack(np.meshgrid(np.arange(1, L + 1), np.arange(1, H + 1), indexing="ij"), -1)  # (L, H, 2)
    fig = go.Figure(go.Heatmap(
        z=v, x=np.arange(H), y=np.arange(L), colorscale=colorscale, zmin=zmin, zmax=zmax,
        colorbar=dict(title=dict(text=escape_label(value_name)), thickness=14),
        texttemplate=f"%{{z:{fmt}}}", textfont=dict(size=10), customdata=lh.astype(np.int16),
        hovertemplate=(f"layer %{{customdata[0]}} · head %{{customdata[1]}}<br>"
                       f"{escape_label(value_name)}: %{{z:{fmt}}}<extra></extra>")))
    if clickable:
        hh, ll = np.meshgrid(np.arange(H, dtype=np.int16), np.arange(L, dtype=np.int16))
        fig.add_trace(go.Scatter(
            x=hh.ravel(), y=ll.ravel(), mode="markers", showlegend=False, name="cells",
            customdata=np.stack([ll.ravel() + 1, hh.ravel() + 1, v.ravel()], -1),
            marker=dict(symbol="square", size=28, opacity=0, color="#000000"),
            hovertemplate=(f"layer %{{customdata[0]}} · head %{{customdata[1]}}<br>"
                           f"{escape_label(value_name)}: %{{customdata[2]:{fmt}}}"
                           "<br><i>click to open</i><extra></extra>")))
    if selected is not None:
        l, h = selected
        fig.add_shape(type="rect", x0=h - 0.5, x1=h + 0.5, y0=l - 0.5, y1=l + 0.5,
                      line=dict(color=HIGHLIGHT, width=3))
    fig.update_xaxes(tickmode="array", tickvals=list(range(H)), ticktext=[f"head {h + 1}" for h in range(H)],
                     range=[-0.5, H - 0.5], side="top", showgrid=False, zeroline=False)
    fig.update_yaxes(tickmode="array", tickvals=list(range(L)), ticktext=[f"layer {l + 1}" for l in range(L)],
                     range=[L - 0.5, -0.5], showgrid=False, zeroline=False)
    fig.update_layout(title=dict(text=escape_label(title)), height=60 * L + 110,
                      margin=dict(l=10, r=10, t=80 if title else 40, b=10),
                      clickmode="event+select", dragmode=False, hovermode="closest")
    return fig
