"""The Learn page's figures: small matrices with every number written in its cell."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import plotly.graph_objects as go

from figures.matrix import matrix_heatmap

#: Height of the two charts beside the controls (3 to 6 tokens).
STEP_HEIGHT = 330


def scores_heatmap(E: np.ndarray, labels: Sequence[str], *, title: str, colorscale: str,
                   height: Optional[int] = STEP_HEIGHT) -> go.Figure:
    """Raw scores ``E (n, n)`` (every pair, before the scope) on a colour range from their
    smallest to their largest value."""
    lo, hi = float(np.min(E)), float(np.max(E))
    hi = hi if hi > lo else lo + 1.0
    return matrix_heatmap(E, labels, labels, title=title, colorscale=colorscale, zmin=lo, zmax=hi,
                          value_name="score", fmt=".3~g", height=height)


def weights_heatmap(A: np.ndarray, mask: np.ndarray, labels: Sequence[str], *, title: str,
                    colorscale: str, height: Optional[int] = STEP_HEIGHT) -> go.Figure:
    """Weights ``A (n, n)`` on ``[0, 1]``; cells outside the scope (``mask`` False) blank."""
    return matrix_heatmap(A, labels, labels, title=title, colorscale=colorscale, scope_mask=mask,
                          height=height)
