"""A worked example small enough to check by hand, and the numbers that compare weight matrices.

* The classic tiny example ``X = [[1, 0], [0, 1], [1, 1]]`` (3 tokens, 2 features) with
  ``W_a = I`` ``(2, 2)``: the bilinear score ``x_i W_a x_j^T`` is then the dot product.
* :func:`as_distributions`, :func:`compare_metrics`: entropy, sparsity, KL and JS divergence of
  several ``(nq, nk)`` weight matrices against the first one, as plain means over query rows.

    >>> import torch
    >>> from attention import attend
    >>> soft = attend(torch.as_tensor(TINY_X), form="self", score="dot").weights[0]    # (3, 3)
    >>> hard = attend(torch.as_tensor(TINY_X), form="self", score="dot", normalization="hard").weights[0]
    >>> [round(m.js, 4) for m in compare_metrics([soft, hard])]
    [0.0, 0.2323]
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import torch

from . import metrics as MT

#: The classic tiny example: 3 tokens with 2 features each, ``(n, d) = (3, 2)``.
TINY_X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
#: ``W_a = I`` ``(d, d)``: the bilinear score ``x_i W_a x_j^T`` is then the dot product.
TINY_WA = np.eye(2)


def as_distributions(weights) -> np.ndarray:
    """Rows divided by their sum (rows that sum to 0 stay 0): ``(nq, nk) -> (nq, nk)``, float64.

    Only rows that sum to less than 1 change (local-p: its Gaussian factor)."""
    w = np.asarray(weights, dtype=np.float64)                        # (nq, nk)
    s = w.sum(-1, keepdims=True)                                     # (nq, 1)
    return np.divide(w, s, out=np.zeros_like(w), where=s > 0)


@dataclass(frozen=True)
class WeightMetrics:
    """Numbers of one weight matrix, each the plain mean over the query rows that attend to
    something in both this matrix and the reference.

    entropy: mean of H_i = -sum_j a_ij ln a_ij (nats).  sparsity: mean share of a row's
    weights >= threshold.  kl: mean of KL(row_i of this matrix || row_i of the reference)
    (inf if any row is inf).  js: mean JS divergence to the reference (always finite, <= ln 2).
    kl_inf_rows: how many of the rows used have an infinite KL; rows_used: how many rows are used.
    The ``*_rows`` arrays hold the per-row values ``(nq,)`` (every row, used or not).
    """
    entropy: float
    sparsity: float
    kl: float
    js: float
    kl_inf_rows: int
    rows_used: int
    entropy_rows: np.ndarray = field(repr=False)
    sparsity_rows: np.ndarray = field(repr=False)
    kl_rows: np.ndarray = field(repr=False)
    js_rows: np.ndarray = field(repr=False)


def compare_metrics(weights: Sequence, threshold: float = 0.01) -> list[WeightMetrics]:
    """:class:`WeightMetrics` of each ``(nq, nk)`` weight matrix; divergences are to ``weights[0]``.

    Rows are first made distributions (:func:`as_distributions`).  Averages are over the query
    rows that are non-empty in *both* this matrix and the reference.
    """
    P = [as_distributions(w) for w in weights]                        # each (nq, nk)
    ref = torch.from_numpy(P[0])
    out = []
    for p in P:
        used = (p.sum(-1) > 0) & (P[0].sum(-1) > 0)                   # (nq,)
        pt = torch.from_numpy(p)
        ent = MT.entropy(pt).numpy()                                  # (nq,)
        spa = MT.sparsity(pt, threshold).numpy()                      # (nq,)
        klr = MT.kl(pt, ref).numpy()                                  # (nq,)
        jsr = MT.js(pt, ref).numpy()                                  # (nq,)
        n = int(used.sum())

        def mean(a):
            return float(a[used].mean()) if n else float("nan")
        out.append(WeightMetrics(entropy=mean(ent), sparsity=mean(spa), kl=mean(klr), js=mean(jsr),
                                 kl_inf_rows=int(np.isinf(klr[used]).sum()), rows_used=n,
                                 entropy_rows=ent, sparsity_rows=spa, kl_rows=klr, js_rows=jsr))
    return out
