"""What the Learn page computes: self-attention over a small X with every intermediate, through
one ``attention.attend`` call (q = k = v = X)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from attention import attend
from attention.arrays import as_tensor
from attention.tutorial import TINY_WA, TINY_X
from attention.masks import windowed as is_windowed


@dataclass(frozen=True)
class Steps:
    """Every intermediate of self-attention over a small X (q = k = v = X).

    X ``(n, d)``; W_a ``(d, d)``; scores ``(n, n)`` raw e_ij; mask ``(n, n)`` bool
    (True = x_i may attend to x_j); weights ``(n, n)`` alpha_ij; output ``(n, d)``
    c_i = sum_j alpha_ij x_j.  All float64.
    """
    X: np.ndarray
    W_a: np.ndarray
    scores: np.ndarray
    mask: np.ndarray
    weights: np.ndarray
    output: np.ndarray
    score: str
    scope: str
    window: Optional[int]
    normalization: str
    temperature: float


def steps(X=TINY_X, W_a=TINY_WA, *, score: str = "general", scope: str = "global",
          window: Optional[int] = None, normalization: str = "soft",
          temperature: float = 1.0) -> Steps:
    """Self-attention over ``X (n, d)`` with every intermediate.

    score: ``dot`` (e_ij = x_i . x_j, W_a unused), ``general`` (x_i W_a x_j^T) or ``additive``
    (Bahdanau's v^T tanh(W_1 x_i + W_2 x_j) with W_1 = W_2 = W_a and v = (1, ..., 1), so it can
    be checked by hand).  scope, window, normalization, temperature: as in ``attend``
    (``window`` is used by the local scope only).
    """
    Xt = as_tensor(np.asarray(X, dtype=np.float64))                # (n, d)
    Wt = as_tensor(np.asarray(W_a, dtype=np.float64))              # (d, d)
    d = Xt.shape[1]
    if Wt.shape != (d, d):
        raise ValueError(f"W_a must be ({d}, {d}) to match X with d = {d}; got {tuple(Wt.shape)}")
    kw = dict(form="self", score=score, scope=scope, normalization=normalization,
              temperature=temperature)
    windowed = is_windowed(scope)
    if windowed:
        kw["window"] = window
    if score == "general":
        kw["W_a"] = Wt
    elif score == "additive":
        kw["additive"] = (Wt, Wt, torch.ones(d, dtype=torch.float64))
    r = attend(Xt, **kw)
    return Steps(X=Xt.numpy(), W_a=Wt.numpy(), scores=r.scores[0].numpy(),
                 mask=r.mask.numpy().astype(bool), weights=r.weights[0].numpy(),
                 output=r.output.numpy(), score=score, scope=scope,
                 window=window if windowed else None, normalization=normalization,
                 temperature=float(temperature))


def argmax_tokens(row: np.ndarray, tol: float = 1e-12) -> list[int]:
    """All indices within ``tol`` of the row's maximum (ties kept): ``(n,) -> list``."""
    row = np.asarray(row, dtype=float)
    return [int(i) for i in np.flatnonzero(row >= row.max() - tol)]


def resize(m: np.ndarray, rows: int, cols: int, fill: str = "zeros") -> np.ndarray:
    """Crop or pad ``m`` to ``(rows, cols)``; new cells are 0 (``fill="identity"``: 1 on the diagonal)."""
    m = np.asarray(m, dtype=float)
    out = np.eye(rows, cols) if fill == "identity" else np.zeros((rows, cols))
    r, c = min(rows, m.shape[0]), min(cols, m.shape[1])
    out[:r, :c] = m[:r, :c]
    return out
