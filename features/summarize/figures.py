"""The Summarize page's figure: α over the sentences as horizontal bars, the summary highlighted.
Plotly only; all text is escaped."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from figures import escape_label

IN_SUMMARY = "#3b5bdb"
LEFT_OUT = "#adb5bd"


def summary_bars(weights: np.ndarray, labels: Sequence[str], selected: Sequence[int] = (), *,
                 title: str = "", value_name: str = "α_i (attention weight)",
                 color: str = LEFT_OUT, selected_color: str = IN_SUMMARY) -> go.Figure:
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
