"""How attention formed during training: the alignment at each recorded step as Plotly animation
frames (play button + slider), the loss / accuracy curves of every variant, and the alignment with
the truth over training.  Plotly only: arrays + labels in, ``go.Figure`` out.

Shapes: K snapshots, T output steps (rows), S keys (source characters, grid cells, audio frames).
"""
from __future__ import annotations

from typing import Mapping, Optional, Sequence

import numpy as np
import plotly.graph_objects as go

from .common import escape_label

#: One colour per variant (Okabe-Ito: distinguishable with colour-blindness), in variant order.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000")
TRUTH_COLOR = "#ff4b4b"
_MAX_TICKS = 60


def variant_colors(names: Sequence[str]) -> dict:
    """``{name: colour}`` in the order given (the same on every chart of a page)."""
    return {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}


def _key_label(s) -> str:
    s = escape_label(s)
    return "␣" if s == " " else s


PANELS_PER_ROW = 4
_PLOT_PX = 740                  # the plot area's width on a wide page, for marker sizes and height


def _panel_at(t: int, grid: tuple, per_row: int) -> tuple[int, int]:
    """(x, y) offset of output t's panel: panels of ``grid`` cells, ``per_row`` to a row, one
    blank cell between panels (and one blank row above each row of panels, for its label)."""
    h, w = grid
    return (t % per_row) * (w + 1), (t // per_row) * (h + 1) + 1


def _tiled(maps: np.ndarray, grid: tuple, per_row: int) -> np.ndarray:
    """``(T, h*w)`` -> one image with the T maps as ``(h, w)`` panels, ``per_row`` per row."""
    h, w = grid
    T = maps.shape[0]
    rows = -(-T // per_row)
    out = np.full((rows * (h + 1), per_row * (w + 1) - 1), np.nan, dtype=np.float32)
    for t in range(T):
        x, y = _panel_at(t, grid, per_row)
        out[y:y + h, x:x + w] = maps[t].reshape(h, w)                      # (h, w)
    return out


def _truth_points(truth: Optional[np.ndarray], T: int, grid: Optional[tuple], per_row: int = 1):
    """(x, y) of the cells of ``truth (T_true, S)`` that lie in the drawn rows, in plot coordinates."""
    if truth is None:
        return np.zeros(0), np.zeros(0)
    tr = np.asarray(truth, dtype=bool)[:T]
    t, s = np.nonzero(tr)
    if grid is None:
        return s, t
    h, w = grid
    ox = np.array([_panel_at(int(i), grid, per_row)[0] for i in t], dtype=np.int64)
    oy = np.array([_panel_at(int(i), grid, per_row)[1] for i in t], dtype=np.int64)
    return ox + s % w, oy + s // w


def _panel_labels(labels: Sequence[str], grid: tuple, per_row: int) -> list:
    """One annotation above each panel: the output step and what was written there."""
    h, w = grid
    out = []
    for t, lab in enumerate(labels):
        x, y = _panel_at(t, grid, per_row)
        out.append(dict(x=x + (w - 1) / 2, y=y - 0.55, xref="x", yref="y", showarrow=False,
                        yanchor="bottom", text=f"{t}: {escape_label(lab)}", font=dict(size=12)))
    return out


def _rows_text(rows: Sequence[str], T: int) -> list:
    return [escape_label(rows[t]) if t < len(rows) else "" for t in range(T)]


def alignment_frames(maps, steps, keys: Sequence[str], rows: Sequence[Sequence[str]],
                     truth=None, *, grid: Optional[tuple] = None, start: int = 0,
                     colorscale: str = "Viridis", captions: Optional[Sequence[str]] = None,
                     key_title: str = "source (key)", row_title: str = "output step",
                     height: Optional[int] = None, frame_ms: int = 350) -> go.Figure:
    """The alignment at each snapshot as animation frames, a play / pause button and a slider.

    maps: ``(K, T, S)`` weights; steps: ``(K,)`` training steps (slider labels); keys: ``S`` labels;
    rows: for each snapshot the row labels (what the model wrote then, ``<= T`` each); truth:
    ``(T_true, S)`` bool, drawn as open squares on the true span's cells (or None); grid:
    ``(h, w)`` when the keys are the cells of an image: the T maps are drawn side by side;
    start: the snapshot shown first (the slider's position); captions: one title per snapshot.
    K = 1 draws one map without animation controls.
    """
    m = np.asarray(maps, dtype=np.float32)
    if m.ndim != 3:
        raise ValueError(f"maps must be (K, T, S); got shape {m.shape}")
    K, T, S = m.shape
    steps = [int(s) for s in np.asarray(steps).reshape(-1)]
    if len(steps) != K or len(rows) != K or len(keys) != S:
        raise ValueError(f"need {K} steps and row labels and {S} keys; got {len(steps)}, {len(rows)}, "
                         f"{len(keys)}")
    if grid is not None and grid[0] * grid[1] != S:
        raise ValueError(f"grid {grid} does not have {S} cells")
    if not 0 <= start < K:
        raise ValueError(f"start must be a snapshot index from 0 to {K - 1}; got {start}")
    captions = list(captions) if captions is not None else [f"training step {s}" for s in steps]

    per_row = min(T, PANELS_PER_ROW)

    def z(k):
        return _tiled(m[k], grid, per_row) if grid is not None else m[k]    # (T, S) or panels

    tx, ty = _truth_points(truth, T, grid, per_row)
    if grid is not None:
        h, w = grid
        ny, nx = _tiled(m[0], grid, per_row).shape
        cell = _PLOT_PX / nx
        marker = max(4, int(cell * 0.8))
    else:
        marker = max(5, min(22, 560 // max(S, 8)))
    hm = dict(type="heatmap", z=z(start), colorscale=colorscale, zmin=0.0, zmax=1.0,
              colorbar=dict(title=dict(text="weight"), thickness=14), hoverongaps=False,
              hovertemplate=("%{z:.3f}<extra></extra>" if grid else
                             "output %{y}, key %{x}: %{z:.3f}<extra></extra>"))
    data = [hm, dict(type="scatter", x=tx, y=ty, mode="markers", name="true span", hoverinfo="skip",
                     marker=dict(symbol="square-open", color=TRUTH_COLOR, size=marker,
                                 line=dict(width=2)), showlegend=len(tx) > 0)]
    if grid is not None:
        xaxis = dict(range=[-0.5, nx - 0.5], showticklabels=False, showgrid=False, zeroline=False,
                     title=dict(text=row_title))
        yaxis = dict(range=[ny - 0.5, -0.5], showticklabels=False, showgrid=False, zeroline=False,
                     scaleanchor="x")
    else:
        kl = [_key_label(k) for k in keys]
        sx = max(1, int(np.ceil(S / _MAX_TICKS)))
        xaxis = dict(tickmode="array", tickvals=list(range(0, S, sx)), ticktext=kl[::sx],
                     title=dict(text=key_title), range=[-0.5, S - 0.5], tickangle=-60 if S > 20 else 0,
                     showgrid=False, zeroline=False)
        yaxis = dict(tickmode="array", tickvals=list(range(T)), ticktext=_rows_text(rows[start], T),
                     title=dict(text=row_title), range=[T - 0.5, -0.5], showgrid=False, zeroline=False)

    def labels(k) -> dict:
        if grid is not None:
            return {"annotations": _panel_labels(_rows_text(rows[k], T), grid, per_row)}
        return {"yaxis": {"ticktext": _rows_text(rows[k], T)}}

    auto = (int(ny * cell) + 170) if grid is not None else max(300, min(620, 24 * T + 230))
    layout = dict(title=dict(text=escape_label(captions[start])), xaxis=xaxis, yaxis=yaxis,
                  height=height or max(280, min(720, auto)),
                  annotations=labels(start)["annotations"] if grid is not None else [],
                  margin=dict(l=10, r=10, t=50, b=10), plot_bgcolor="rgba(128,128,128,0.12)",
                  legend=dict(orientation="h", x=1, xanchor="right", y=1.02, yanchor="bottom"),
                  dragmode=False)
    frames = []
    if K > 1:
        frames = [dict(name=str(k), data=[dict(type="heatmap", z=z(k))], traces=[0],
                       layout={"title": {"text": escape_label(captions[k])}, **labels(k)})
                  for k in range(K)]
        play = dict(label="▶ Play", method="animate",
                    args=[None, {"frame": {"duration": frame_ms, "redraw": True}, "fromcurrent": True,
                                 "transition": {"duration": 0}, "mode": "immediate"}])
        pause = dict(label="❚❚ Pause", method="animate",
                     args=[[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}])
        layout["updatemenus"] = [dict(type="buttons", direction="left", buttons=[play, pause],
                                      x=0, xanchor="left", y=-0.12 if grid else -0.2, yanchor="top",
                                      pad=dict(t=8, r=8), showactive=False)]
        every = max(1, int(np.ceil(K / 12)))
        layout["sliders"] = [dict(
            active=start, x=0.22, len=0.78, y=-0.12 if grid else -0.2, yanchor="top", pad=dict(t=8),
            # the title names the step shown; a slider's current value would show the tick label,
            # which is blank for most steps (labels thinned so they do not overlap)
            currentvalue=dict(visible=False),
            steps=[dict(method="animate", label=str(s) if (k % every == 0 or k == K - 1) else "",
                        args=[[str(k)], {"mode": "immediate", "frame": {"duration": 0, "redraw": True},
                                         "transition": {"duration": 0}}])
                   for k, s in enumerate(steps)])]
        layout["margin"]["b"] = 95
        layout["height"] += 70
    return go.Figure(data=data, layout=layout, frames=frames)


def _vline(x: float, yref: str, xref: str = "x") -> dict:
    return dict(type="line", x0=x, x1=x, y0=0, y1=1, xref=xref, yref=yref,
                line=dict(color="#888", width=1.5, dash="dash"))


def training_curves(series: Mapping[str, Mapping[str, np.ndarray]], labels: Mapping[str, str],
                    current: Optional[int] = None, chosen: Optional[str] = None,
                    height: int = 340) -> go.Figure:
    """Training loss (left, log scale) and validation accuracy (right) of every variant.

    series: ``{variant: {"steps": (K,), "loss": (K,), "accuracy": (K,)}}`` (accuracy NaN where not
    measured: the gap is skipped); labels: variant -> legend text; current: the training step
    marked with a dashed line on both panels; chosen: the variant drawn thicker, with a dot at
    ``current``."""
    colors = variant_colors(list(series))
    data = []
    for v, s in series.items():
        steps = np.asarray(s["steps"], dtype=np.float64)
        wide = 3 if v == chosen else 1.6
        for ax, key in (("", "loss"), ("2", "accuracy")):
            y = np.asarray(s[key], dtype=np.float64)
            ok = np.isfinite(y) & ((y > 0) if key == "loss" else True)
            data.append(dict(type="scatter", x=steps[ok], y=y[ok], mode="lines", name=escape_label(labels.get(v, v)),
                             legendgroup=v, showlegend=key == "loss", xaxis="x" + ax, yaxis="y" + ax,
                             line=dict(color=colors[v], width=wide),
                             hovertemplate=f"{escape_label(labels.get(v, v))}<br>step %{{x}}: {key} %{{y:.4g}}<extra></extra>"))
            if v == chosen and current is not None and ok.any():
                k = int(np.argmin(np.abs(steps - current)))
                if ok[k]:
                    data.append(dict(type="scatter", x=[steps[k]], y=[y[k]], mode="markers", showlegend=False,
                                     xaxis="x" + ax, yaxis="y" + ax, hoverinfo="skip",
                                     marker=dict(color=colors[v], size=10, line=dict(color="white", width=1.5))))
    shapes = [] if current is None else [_vline(current, "y domain"), _vline(current, "y2 domain", "x2")]
    layout = dict(
        height=height, margin=dict(l=10, r=10, t=70, b=10), shapes=shapes, hovermode="closest",
        xaxis=dict(domain=[0, 0.46], title=dict(text="training step")),
        yaxis=dict(type="log", title=dict(text="training loss (log)")),
        xaxis2=dict(domain=[0.56, 1], title=dict(text="training step"), anchor="y2"),
        yaxis2=dict(range=[0, 1.02], title=dict(text="validation accuracy"), tickformat=".0%", anchor="x2"),
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"),
    )
    return go.Figure(data=data, layout=layout)


def truth_curves(series: Mapping[str, Mapping[str, np.ndarray]], labels: Mapping[str, str],
                 current: Optional[int] = None, chosen: Optional[str] = None, threshold: Optional[float] = None,
                 height: int = 320) -> go.Figure:
    """Alignment with the truth over training: per variant the share of weight on the true span
    (solid) and the share of rows whose peak is in it (dotted).

    series: ``{variant: {"steps": (K,), "share": (K,), "peak": (K,)}}``; current: the step
    marked; threshold: a horizontal line at the share used to say "aligned"."""
    colors = variant_colors(list(series))
    data = []
    for v, s in series.items():
        steps = np.asarray(s["steps"], dtype=np.float64)
        name = escape_label(labels.get(v, v))
        wide = 3 if v == chosen else 1.6
        data.append(dict(type="scatter", x=steps, y=np.asarray(s["share"], dtype=np.float64), mode="lines",
                         name=name, legendgroup=v, line=dict(color=colors[v], width=wide),
                         hovertemplate=f"{name}<br>step %{{x}}: weight on the true span %{{y:.2f}}<extra></extra>"))
        data.append(dict(type="scatter", x=steps, y=np.asarray(s["peak"], dtype=np.float64), mode="lines",
                         name=name + " (peak)", legendgroup=v, showlegend=False,
                         line=dict(color=colors[v], width=1.2, dash="dot"),
                         hovertemplate=f"{name}<br>step %{{x}}: peak in the span on %{{y:.0%}} of rows<extra></extra>"))
    shapes = [] if current is None else [_vline(current, "y domain")]
    if threshold is not None:
        shapes.append(dict(type="line", x0=0, x1=1, xref="x domain", y0=threshold, y1=threshold, yref="y",
                           line=dict(color="#888", width=1, dash="dot")))
    layout = dict(height=height, margin=dict(l=10, r=10, t=70, b=10), shapes=shapes, hovermode="closest",
                  xaxis=dict(title=dict(text="training step")),
                  yaxis=dict(range=[0, 1.02], title=dict(text="on the true span")),
                  legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom"))
    return go.Figure(data=data, layout=layout)


def live_loss(steps, loss, height: int = 220) -> go.Figure:
    """The loss of a run in progress ``(n,)`` against its steps ``(n,)`` (log scale)."""
    x = np.asarray(steps, dtype=np.float64)
    y = np.asarray(loss, dtype=np.float64)
    ok = np.isfinite(y) & (y > 0)
    return go.Figure(
        data=[dict(type="scatter", x=x[ok], y=y[ok], mode="lines+markers", line=dict(color=PALETTE[0]),
                   hovertemplate="step %{x}: loss %{y:.4g}<extra></extra>")],
        layout=dict(height=height, margin=dict(l=10, r=10, t=10, b=10),
                    xaxis=dict(title=dict(text="training step")),
                    yaxis=dict(type="log", title=dict(text="loss (log)"))))
