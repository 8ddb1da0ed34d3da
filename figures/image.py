"""Image figures: a photo with per-patch attention laid over it, clickable patch by patch.

Coordinates are in *patches*: patch (r, c) is centred at x = c, y = r (y grows downwards), so a
click on the transparent scatter reports ``points[0]["x"] = c`` and ``["y"] = r`` directly.
The photo is a ``go.Image`` with a JPEG/PNG data URI ``source`` (tens of kB, not a pixel array),
stretched so that pixel ``px`` of a ``patch``-pixel patch grid covers ``[px/patch − 0.5, (px+1)/patch − 0.5]``.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import plotly.graph_objects as go

from .common import escape_label

QUERY_COLOUR = "#e8590c"
SAMPLE_COLOUR = "#ff2d95"


def fade_colorscale(name: str, fade: float = 0.3, steps: int = 11) -> list:
    """A named Plotly colour scale whose low end fades to transparent.

    Colour at position t is the named scale's colour with alpha ``min(1, t / fade)``: weights near 0
    leave the photo visible, large weights are painted fully (times the trace opacity).
    """
    import plotly.colors as pc

    out = []
    for t in np.linspace(0.0, 1.0, steps):
        rgb = pc.sample_colorscale(name, [float(t)], colortype="tuple")[0]          # floats in [0, 1]
        r, g, b = (int(round(255 * c)) for c in rgb)
        a = 1.0 if fade <= 0 else min(1.0, float(t) / fade)
        out.append([float(t), f"rgba({r},{g},{b},{a:.3f})"])
    return out


def _tick_step(n: int) -> int:
    return max(1, int(np.ceil(n / 16)))


def image_overlay(image_uri: str, grid: tuple[int, int], patch: int,
                  values: Optional[np.ndarray] = None, *, title: str = "",
                  colorscale: str = "Viridis", opacity: float = 0.6, zmax: Optional[float] = None,
                  value_name: str = "α", scope_mask: Optional[np.ndarray] = None,
                  query: Optional[tuple[int, int]] = None,
                  window: Optional[tuple[int, int, int, int]] = None,
                  argmax: Optional[tuple[int, int]] = None,
                  samples: Sequence[tuple[int, int, int]] = (),
                  clickable: bool = True, fade: bool = True,
                  height: Optional[int] = None) -> go.Figure:
    """The image with one value per patch overlaid as a semi-transparent heatmap.

    image_uri: ``data:image/...;base64,...`` of the prepared image (``gh·patch`` × ``gw·patch`` px).
    grid: ``(gh, gw)``.  values: ``(gh·gw,)`` row-major (patch i = r·gw + c) or None (image only).
    scope_mask: ``(gh·gw,)`` bool; patches outside it are left uncoloured (the photo shows).
    Colours run from 0 to ``zmax`` (default: the largest value, or 1 if all are 0); with ``fade``
    the colour scale's low end is transparent (see :func:`fade_colorscale`), then ``opacity`` applies.
    query: (r, c) outlined in orange; window: inclusive ``(r0, r1, c0, c1)`` drawn dashed;
    argmax: (r, c) marked with a star; samples: ``(r, c, count)`` marked with a ring and "×count".
    clickable: a transparent square marker on every patch centre (last trace) so that
    Streamlit's ``on_select`` reports clicks as ``points[0]["x"/"y"]`` = (c, r).
    """
    gh, gw = int(grid[0]), int(grid[1])
    fig = go.Figure(go.Image(source=image_uri, x0=-0.5 + 0.5 / patch, dx=1.0 / patch,
                             y0=-0.5 + 0.5 / patch, dy=1.0 / patch, hoverinfo="skip", name="image"))
    shown = None
    if values is not None:
        shown = _shown_values(values, scope_mask, gh * gw, (gh, gw))
        top = float(np.nanmax(shown)) if np.isfinite(shown).any() else 0.0
        zmax = zmax if zmax is not None else (top if top > 0 else 1.0)
        fig.add_trace(go.Heatmap(
            z=shown.reshape(gh, gw), x0=0, dx=1, y0=0, dy=1, zmin=0.0, zmax=zmax,
            colorscale=fade_colorscale(colorscale) if fade else colorscale, opacity=float(opacity), hoverinfo="skip", name=value_name,
            colorbar=dict(title=dict(text=escape_label(value_name)), thickness=14)))
    _add_marks(fig, window, query, samples, argmax)
    if clickable:
        fig.add_trace(_click_targets(gh, gw, shown, value_name))
    _patch_axes(fig, gh, gw)
    aspect = gh / gw
    fig.update_layout(
        title=dict(text=escape_label(title)), height=height or int(min(760, max(260, 640 * aspect + 130))),
        margin=dict(l=10, r=10, t=60 if title else 30, b=10), hovermode="closest",
        clickmode="event+select", dragmode=False,
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0))
    return fig


def _shown_values(values, scope_mask, n: int, grid: tuple[int, int]) -> np.ndarray:
    """``values`` ``(n,)`` float32, NaN outside ``scope_mask`` (those patches stay uncoloured)."""
    v = np.asarray(values, dtype=np.float32).reshape(-1)
    if v.size != n:
        raise ValueError(f"expected {n} values for a {grid[0]}×{grid[1]} grid, got {v.size}")
    if scope_mask is None:
        return v
    m = np.asarray(scope_mask, dtype=bool).reshape(-1)
    return np.where(m, v, np.float32(np.nan)).astype(np.float32)


def _add_marks(fig: go.Figure, window, query, samples, argmax) -> None:
    """The window (dashed), the query patch (orange), hard samples (rings, "×count"), arg-max (star)."""
    if window is not None:
        r0, r1, c0, c1 = window
        fig.add_shape(type="rect", x0=c0 - 0.5, x1=c1 + 0.5, y0=r0 - 0.5, y1=r1 + 0.5,
                      line=dict(color="white", width=2, dash="dash"))
    if query is not None:
        r, c = query
        fig.add_shape(type="rect", x0=c - 0.5, x1=c + 0.5, y0=r - 0.5, y1=r + 0.5,
                      line=dict(color=QUERY_COLOUR, width=3))
        fig.add_trace(go.Scatter(x=[c], y=[r], mode="markers", name=f"query ({r}, {c})",
                                 marker=dict(symbol="square-open", size=12, color=QUERY_COLOUR,
                                             line=dict(width=3)),
                                 hovertemplate=f"query patch ({r}, {c})<extra></extra>"))
    if samples:
        s = np.asarray(samples, dtype=np.int64).reshape(-1, 3)
        fig.add_trace(go.Scatter(
            x=s[:, 1], y=s[:, 0], mode="markers+text", name="hard samples",
            text=[f"×{k}" for k in s[:, 2]], textposition="top right",
            textfont=dict(color="white", size=12), customdata=s,
            marker=dict(symbol="circle-open", size=16, color=SAMPLE_COLOUR, line=dict(width=3)),
            hovertemplate="sampled patch (%{customdata[0]}, %{customdata[1]}): "
                          "%{customdata[2]} draw(s)<extra></extra>"))
    if argmax is not None:
        r, c = argmax
        fig.add_trace(go.Scatter(x=[c], y=[r], mode="markers", name=f"arg-max ({r}, {c})",
                                 marker=dict(symbol="star", size=16, color="white",
                                             line=dict(color="black", width=1.5)),
                                 hovertemplate=f"arg-max patch ({r}, {c})<extra></extra>"))


def _click_targets(gh: int, gw: int, shown: Optional[np.ndarray], value_name: str) -> go.Scatter:
    """A transparent square marker on every patch centre, so clicks reach Python as (c, r)."""
    xx, yy = np.meshgrid(np.arange(gw, dtype=np.int16), np.arange(gh, dtype=np.int16))
    px_per_patch = 620 / max(gh, gw)
    hover = dict(hovertemplate="patch (%{y}, %{x})<extra></extra>")
    if shown is not None:
        hover = dict(customdata=np.nan_to_num(shown, nan=0.0),
                     hovertemplate=f"patch (%{{y}}, %{{x}}): {escape_label(value_name)} = "
                                   "%{customdata:.5f}<extra></extra>")
    return go.Scatter(
        x=xx.ravel(), y=yy.ravel(), mode="markers", showlegend=False, name="patches",
        marker=dict(symbol="square", size=max(4, min(40, int(px_per_patch))), opacity=0,
                    color="white"), **hover)


def _patch_axes(fig: go.Figure, gh: int, gw: int) -> None:
    """Patch column / row axes over the ``gh × gw`` grid, square cells, row 0 on top."""
    step = _tick_step(gw)
    fig.update_xaxes(range=[-0.5, gw - 0.5], tickmode="array", tickvals=np.arange(0, gw, step),
                     title="patch column c", showgrid=False, zeroline=False, constrain="domain")
    step = _tick_step(gh)
    fig.update_yaxes(range=[gh - 0.5, -0.5], tickmode="array", tickvals=np.arange(0, gh, step),
                     title="patch row r", showgrid=False, zeroline=False, scaleanchor="x",
                     scaleratio=1, constrain="domain")
