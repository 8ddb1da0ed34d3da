"""Figures for the applications: the alignment heatmap (with local windows) and the
summary's attention-over-sentences bars.  Plotly only; all text is escaped."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import plotly.graph_objects as go

from .attention import heatmap
from .common import escape_label

WINDOW_COLOR = "#e8590c"
#: the p_t marker and window bar sit this far below the row's centre, clear of the cell's value
_BAR_OFFSET = 0.3
#: at most this many cells get their value printed inside the cell
_MAX_TEXT_CELLS = 24 * 24


def alignment_heatmap(weights: np.ndarray, source_labels: Sequence[str], target_labels: Sequence[str],
                      *, positions: Optional[np.ndarray] = None, window: Optional[int] = None,
                      scope_mask: Optional[np.ndarray] = None, title: str = "",
                      colorscale: str = "Viridis", highlight_row: Optional[int] = None,
                      clickable: bool = True, show_values: bool = True) -> go.Figure:
    """Target x source alignment (Bahdanau / Luong figure).

    weights: ``(T, S)``; row t = target token t (the query), column s = source token s.
    positions: ``(T,)`` window centres p_t, drawn as a diamond per row (trace ``"p_t"``,
    ``x = p_t``, ``y = t + 0.3``: low in the row, clear of the printed value); with
    ``window`` = D each diamond gets a horizontal bar ``[p_t - D, p_t + D]`` (``error_x`` of
    constant D): the cells whose centres lie under the bar are the window.
    ``scope_mask`` ``(T, S)``: False cells are blank.
    ``highlight_row``: that row's tick label is bold with a "▶".
    ``show_values`` prints each weight in its cell when the matrix is small.
    """
    w = np.asarray(weights, dtype=np.float32)
    T, S = w.shape
    fig = heatmap(w, source_labels, target_labels, title=title, colorscale=colorscale,
                  x_title="source token s (key / value)", y_title="target token t (query)",
                  value_name="α", clickable=clickable, scope_mask=scope_mask,
                  height=max(380, min(900, 30 * T + 230)))   # room for the rotated source labels
    if show_values and T * S <= _MAX_TEXT_CELLS:
        fig.update_traces(texttemplate="%{z:.2f}", textfont=dict(size=9), selector=dict(type="heatmap"))
    if highlight_row is not None and 0 <= highlight_row < T:
        ticks = list(fig.layout.yaxis.ticktext)
        vals = list(fig.layout.yaxis.tickvals)
        if highlight_row in vals:
            i = vals.index(highlight_row)
            ticks[i] = f"<b>▶ {ticks[i]}</b>"          # ticks are already escaped
            fig.update_yaxes(ticktext=ticks)
    if positions is not None:
        p = np.asarray(positions, dtype=np.float64).reshape(-1)                  # (T,)
        if p.shape[0] != T:
            raise ValueError(f"{p.shape[0]} positions for {T} target rows")
        D = 0 if window is None else int(window)
        fig.add_trace(go.Scatter(
            x=p, y=np.arange(T, dtype=np.float64) + _BAR_OFFSET, mode="markers", name="p_t",
            marker=dict(symbol="diamond", size=7, color=WINDOW_COLOR, line=dict(color="white", width=1)),
            error_x=dict(type="constant", value=D, color=WINDOW_COLOR, thickness=2, width=5,
                         visible=window is not None),
            customdata=np.stack([p - D, p + D], axis=1),
            hovertemplate=("p_t = %{x:.3f}" + (", window [%{customdata[0]:.3f}, %{customdata[1]:.3f}]"
                                               if window is not None else "") + "<extra></extra>"),
            showlegend=False))
        fig.update_xaxes(range=[-0.5, S - 0.5])
    return fig


def window_marks(fig: go.Figure) -> tuple[np.ndarray, Optional[float]]:
    """``(p_t (T,), D)`` as :func:`alignment_heatmap` drew them (D None if no window bar)."""
    for tr in fig.data:
        if tr.type == "scatter" and tr.name == "p_t":
            ex = tr.error_x
            D = float(ex.value) if ex is not None and ex.visible else None
            return np.asarray(tr.x, dtype=np.float64), D
    return np.zeros(0), None


def summary_bars(weights: np.ndarray, labels: Sequence[str], selected: Sequence[int] = (), *,
                 title: str = "", value_name: str = "α_i (attention weight)",
                 color: str = "#adb5bd", selected_color: str = "#3b5bdb") -> go.Figure:
    """Horizontal bars, one per sentence (sentence 1 on top), ``selected`` ones highlighted.

    weights: ``(n,)``; labels: n strings (escaped here); selected: indices in the summary.
    """
    v = np.asarray(weights, dtype=np.float32).reshape(-1)                        # (n,)
    n = v.shape[0]
    lab = [escape_label(s) for s in labels]
    if len(lab) != n:
        raise ValueError(f"{len(lab)} labels for {n} values")
    sel = np.zeros(n, dtype=bool)
    sel[[i for i in selected if 0 <= i < n]] = True
    fig = go.Figure(go.Bar(
        x=v, y=np.arange(n), orientation="h", marker_color=np.where(sel, selected_color, color),
        customdata=np.array(lab, dtype=object), text=[f"{x:.3f}" for x in v], textposition="outside",
        cliponaxis=False, hovertemplate="%{customdata}<br>α = %{x:.4f}<extra></extra>"))
    step = max(1, int(np.ceil(n / 60)))
    fig.update_yaxes(tickmode="array", tickvals=list(range(0, n, step)), ticktext=lab[::step],
                     range=[n - 0.5, -0.5], automargin=True)
    xmax = float(v.max()) if n else 1.0
    fig.update_xaxes(title=value_name, range=[0, min(1.0, xmax * 1.18 + 0.02)])
    fig.update_layout(title=dict(text=escape_label(title)), height=max(260, 30 * n + 120),
                      margin=dict(l=10, r=30, t=50 if title else 20, b=10), bargap=0.25)
    return fig
