"""Listen page figures (Plotly only): the recording -- waveform, log-mel and the alignment the
listener used, on one time axis -- one digit's attention over time, and a second model's map.

Arrays in, ``go.Figure`` out.  The alignment rows are clickable: a transparent marker per cell
(Streamlit never reports clicks on a heatmap) gives ``points[0]["y"]`` = the output step.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from figures import escape_label

SEGMENT_COLOR = "rgba(232, 89, 12, 0.22)"
ROW_COLOR = "#e8590c"
TRUTH_COLOR = "#1c7ed6"
PREV_COLOR = "#868e96"
CONTENT_COLOR = "#2b8a3e"
MAX_SVG_CELLS = 48 * 48


def step_labels(tokens: Sequence[str], unsure: Sequence[bool]) -> list[str]:
    """``"1: 7"``, ``"2: 7 ?"`` ... ``"end"``: one label per output step (``?`` = unsure)."""
    out, k = [], 0
    for t, u in zip(tokens, unsure):
        if t == "end":
            out.append("end" + (" ?" if u else ""))
        else:
            k += 1
            out.append(f"{k}: {t}" + (" ?" if u else ""))
    return out


def _click_cells(times: np.ndarray, T: int, w: np.ndarray, labels: Sequence[str], xaxis: str = "x",
                 yaxis: str = "y") -> go.Scatter:
    """Transparent square markers, one per cell ``(T, S)``: they take the clicks and the hover."""
    S = times.shape[0]
    xx, yy = np.meshgrid(times, np.arange(T))
    kind = go.Scatter if T * S <= MAX_SVG_CELLS else go.Scattergl
    cd = np.empty((T * S, 2), dtype=object)
    cd[:, 0] = np.repeat(np.asarray([escape_label(x) for x in labels], dtype=object), S)
    cd[:, 1] = [None if not np.isfinite(v) else float(v) for v in w.ravel()]
    return kind(x=xx.ravel(), y=yy.ravel(), mode="markers", showlegend=False, name="cells",
                marker=dict(symbol="square", size=9, opacity=0), customdata=cd, xaxis=xaxis, yaxis=yaxis,
                hovertemplate="%{customdata[0]} at %{x:.2f} s: α = %{customdata[1]:.4f}<extra></extra>")


def _alignment_trace(weights: np.ndarray, times: np.ndarray, colorscale: str, mask: Optional[np.ndarray],
                     colorbar: dict) -> go.Heatmap:
    w = np.asarray(weights, dtype=np.float32)
    if mask is not None:                              # frames outside a step's window: blank
        w = np.where(np.asarray(mask, dtype=bool), w, np.nan)
    return go.Heatmap(z=w, x=times, y=np.arange(w.shape[0]), colorscale=colorscale, zmin=0.0, zmax=1.0,
                      colorbar=colorbar, hoverinfo="skip", xgap=0, ygap=0)


def picture(env: tuple, mel: np.ndarray, mel_times: np.ndarray, weights: np.ndarray,
            times: np.ndarray, labels: Sequence[str], *, colorscale: str, title: str,
            row: Optional[int] = None, segment: Optional[tuple] = None,
            truth: Optional[np.ndarray] = None, truth_labels: Sequence[str] = (),
            mask: Optional[np.ndarray] = None, centres: Optional[np.ndarray] = None,
            height: int = 470) -> go.Figure:
    """Waveform, log-mel and the alignment on one time axis (seconds in the recording).

    env: ``(t (P,), low (P,), high (P,))`` the waveform envelope; mel ``(N, M)`` at ``mel_times
    (N,)``; weights ``(T, S)`` at frame times ``times (S,)``, rows labelled ``labels``;
    ``row``: the selected step (outlined); ``segment``: ``(start, end)`` s it attended to (shaded
    on every row); ``truth`` ``(D, 2)`` s: where each digit really is (blue brackets on the
    waveform, labelled ``truth_labels``); ``mask`` ``(T, S)``: the windowed model's windows
    (outside = blank) with ``centres (T,)`` in frames.
    """
    T = weights.shape[0]
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, row_heights=[0.17, 0.30, 0.53],
                        vertical_spacing=0.025)
    t, lo, hi = env
    fig.add_trace(go.Scatter(x=t, y=hi, mode="lines", line=dict(width=0.6, color="#495057"),
                             showlegend=False, hoverinfo="skip"), row=1, col=1)
    fig.add_trace(go.Scatter(x=t, y=lo, mode="lines", line=dict(width=0.6, color="#495057"),
                             fill="tonexty", fillcolor="rgba(73,80,87,0.55)", showlegend=False,
                             hoverinfo="skip"), row=1, col=1)
    fig.add_trace(go.Heatmap(z=np.asarray(mel, dtype=np.float32).T, x=mel_times,
                             y=np.arange(mel.shape[1]), colorscale="gray", showscale=False,
                             hovertemplate="%{x:.2f} s, mel band %{y}: %{z:.2f}<extra>log-mel</extra>"),
                  row=2, col=1)
    fig.add_trace(_alignment_trace(weights, times, colorscale, mask,
                                   dict(title=dict(text="α"), thickness=12, len=0.5, y=0.0,
                                        yanchor="bottom")), row=3, col=1)
    cells = _click_cells(times, T, np.asarray(weights, dtype=np.float32), labels, "x3", "y3")
    fig.add_trace(cells, row=3, col=1)
    if centres is not None:
        step = float(times[1] - times[0]) if len(times) > 1 else 0.04
        fig.add_trace(go.Scatter(x=times[0] + np.asarray(centres) * step, y=np.arange(T), mode="markers",
                                 name="window centre c_t", marker=dict(symbol="x-thin", size=10,
                                 line=dict(width=2, color="#f03e3e")), hoverinfo="skip"), row=3, col=1)
    shapes, ann = [], []
    if segment is not None:
        for r in (1, 2, 3):
            shapes.append(dict(type="rect", xref=f"x{'' if r == 1 else r}", yref=f"y{'' if r == 1 else r} domain",
                               x0=segment[0], x1=segment[1], y0=0, y1=1, fillcolor=SEGMENT_COLOR,
                               line=dict(width=0), layer="above" if r == 1 else "above"))
    if row is not None and 0 <= row < T:
        half = float(times[1] - times[0]) / 2 if len(times) > 1 else 0.02
        shapes.append(dict(type="rect", xref="x3", yref="y3", x0=times[0] - half, x1=times[-1] + half,
                           y0=row - 0.5, y1=row + 0.5, line=dict(color=ROW_COLOR, width=2)))
    if truth is not None:
        for k, (a, b) in enumerate(np.asarray(truth)):
            shapes.append(dict(type="line", xref="x", yref="y domain", x0=a, x1=b, y0=0.97, y1=0.97,
                               line=dict(color=TRUTH_COLOR, width=3)))
            if k < len(truth_labels):
                ann.append(dict(x=(a + b) / 2, y=1.0, xref="x", yref="y domain", yanchor="bottom",
                                text=escape_label(truth_labels[k]), showarrow=False,
                                font=dict(color=TRUTH_COLOR)))
    x_end = max(float(t[-1]) if len(t) else 0.0, float(times[-1]) + 0.02)
    fig.update_layout(height=height, title=dict(text=escape_label(title)), shapes=shapes, annotations=ann,
                      margin=dict(l=10, r=10, t=40 if title else 18, b=10), clickmode="event+select", dragmode=False,
                      hovermode="closest", showlegend=centres is not None,
                      legend=dict(orientation="h", x=1, xanchor="right", y=1.02, yanchor="bottom"),
                      plot_bgcolor="rgba(128,128,128,0.10)")
    fig.update_xaxes(range=[0, x_end], showgrid=False, zeroline=False)
    fig.update_xaxes(title=dict(text="time in the recording (s)"), row=3, col=1)
    fig.update_yaxes(title=dict(text="wave"), showticklabels=False, range=[-1.05 * max(1e-3, float(np.abs(hi).max()), float(np.abs(lo).max())),
                                                                             1.05 * max(1e-3, float(np.abs(hi).max()), float(np.abs(lo).max()))],
                     showgrid=False, zeroline=False, row=1, col=1)
    fig.update_yaxes(title=dict(text="log-mel"), showticklabels=False, showgrid=False, row=2, col=1)
    fig.update_yaxes(title=dict(text="digit written"), tickmode="array", tickvals=list(range(T)),
                     ticktext=[escape_label(x) for x in labels], range=[T - 0.5, -0.5], showgrid=False,
                     zeroline=False, row=3, col=1)
    return fig


def alignment(weights: np.ndarray, times: np.ndarray, labels: Sequence[str], *, colorscale: str,
              title: str, row: Optional[int] = None, mask: Optional[np.ndarray] = None,
              height: int = 300, colorbar: bool = True) -> go.Figure:
    """One model's alignment alone (for a side-by-side comparison): steps x time (s)."""
    T = weights.shape[0]
    tr = _alignment_trace(weights, times, colorscale, mask, dict(title=dict(text="α"), thickness=12))
    tr.showscale = colorbar
    fig = go.Figure([tr, _click_cells(times, T, np.asarray(weights, dtype=np.float32), labels)])
    shapes = []
    if row is not None and 0 <= row < T:
        half = float(times[1] - times[0]) / 2 if len(times) > 1 else 0.02
        shapes.append(dict(type="rect", x0=times[0] - half, x1=times[-1] + half, y0=row - 0.5,
                           y1=row + 0.5, line=dict(color=ROW_COLOR, width=2)))
    fig.update_layout(height=height, title=dict(text=escape_label(title)), shapes=shapes,
                      margin=dict(l=10, r=10, t=40, b=10), clickmode="event+select", dragmode=False,
                      hovermode="closest", plot_bgcolor="rgba(128,128,128,0.10)",
                      xaxis=dict(title=dict(text="time (s)"), showgrid=False, zeroline=False),
                      yaxis=dict(tickmode="array", tickvals=list(range(T)),
                                 ticktext=[escape_label(x) for x in labels], range=[T - 0.5, -0.5],
                                 showgrid=False, zeroline=False))
    return fig


def digit_detail(times: np.ndarray, weights: np.ndarray, *, title: str, prev: Optional[np.ndarray] = None,
                 without: Optional[np.ndarray] = None, mask: Optional[np.ndarray] = None,
                 segment: Optional[tuple] = None, truth: Optional[tuple] = None, height: int = 260) -> go.Figure:
    """One step's weights over time (bars), with the previous step's weights (grey line), the
    weights without the location term (green dotted, location variant), the window (windowed)
    and the segment played (shaded)."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=times, y=weights, name="α_t (this digit)", marker_color="#3b5bdb",
                         hovertemplate="%{x:.2f} s: α = %{y:.4f}<extra></extra>"))
    if prev is not None:
        fig.add_trace(go.Scatter(x=times, y=prev, name="α_{t−1} (previous step)", mode="lines",
                                 line=dict(color=PREV_COLOR, width=2, dash="dash"),
                                 hovertemplate="%{x:.2f} s: α_{t−1} = %{y:.4f}<extra></extra>"))
    if without is not None:
        fig.add_trace(go.Scatter(x=times, y=without, name="without the location term", mode="lines",
                                 line=dict(color=CONTENT_COLOR, width=2, dash="dot"),
                                 hovertemplate="%{x:.2f} s: %{y:.4f}<extra>content part only</extra>"))
    shapes = []
    if segment is not None:
        shapes.append(dict(type="rect", xref="x", yref="paper", x0=segment[0], x1=segment[1], y0=0, y1=1,
                           fillcolor=SEGMENT_COLOR, line=dict(width=0), layer="below"))
    if truth is not None:
        shapes.append(dict(type="line", xref="x", yref="paper", x0=truth[0], x1=truth[1], y0=1, y1=1,
                           line=dict(color=TRUTH_COLOR, width=4)))
    if mask is not None and np.any(mask):
        inside = np.flatnonzero(mask)
        half = float(times[1] - times[0]) / 2 if len(times) > 1 else 0.02
        shapes.append(dict(type="rect", xref="x", yref="paper", x0=times[inside[0]] - half,
                           x1=times[inside[-1]] + half, y0=0, y1=1, line=dict(color="#f03e3e", dash="dot")))
    fig.update_layout(height=height, title=dict(text=escape_label(title)), shapes=shapes, bargap=0,
                      margin=dict(l=10, r=10, t=40, b=10), hovermode="x unified",
                      legend=dict(orientation="h", x=0, y=-0.3),
                      xaxis=dict(title=dict(text="time (s)"), range=[0, float(times[-1]) + 0.05]),
                      yaxis=dict(title=dict(text="weight"), range=[0, 1.02]))
    return fig
