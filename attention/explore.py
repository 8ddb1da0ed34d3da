"""Maths behind a whole-model view: every layer and head at once, row / column selections,
max-pooled thumbnails, counterfactual runs, similarities and the step-by-step numbers of one
query row.

torch / numpy only (no Streamlit, no Plotly).  Shapes: L layers, H heads, n tokens,
d_head head size.  ``weights`` are always ``(..., n_query, n_key)``.

    >>> from attention.models.minilm import MiniLM
    >>> m = MiniLM.load(); enc = m.tokenize("The cat sat.", "Where?")
    >>> tr = m.forward(enc.ids, enc.type_ids)
    >>> W = all_weights(tr.queries, tr.keys, tr.values)         # (L, H, n, n) == tr.weights
    >>> thumbs, (bq, bk) = thumbnails(W.numpy(), max_side=64)   # uint8 percent, max-pooled
    >>> cf = counterfactual(m, enc.ids, enc.type_ids, {"scope": "causal"}, layers=[0, 1])
    >>> cosine(tr.sentence_embedding, cf.sentence_embedding)     # < 1: the embedding moved
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping, Optional, Sequence

import numpy as np
import torch

from .functional import attend
from .arrays import as_tensor


# ------------------------------------------------------------------ all heads
def all_weights(queries, keys, values=None, options: Optional[Mapping[int, Mapping]] = None) -> torch.Tensor:
    """Attention weights of every layer and head, recomputed from the model's q and k.

    queries, keys, values: ``(L, H, n, d_head)`` (numpy or torch); values default to keys
    (they do not change the weights).  options: ``{layer: attend-options}`` as for
    ``MiniLM.forward(attention=...)``.  Returns ``(L, H, n, n)`` float tensor -- with no
    options exactly ``MiniLM.forward(...).weights`` (same ``attend`` call).
    """
    q, k = as_tensor(queries), as_tensor(keys)
    v = k if values is None else as_tensor(values)
    options = dict(options or {})
    out = [attend(q[l], k[l], v[l], **options.get(l, {})).weights for l in range(q.shape[0])]
    return torch.stack(out)                                          # (L, H, n, n)


# ------------------------------------------------------------------ display filters
def segment_index(type_ids: Sequence[int], special: Sequence[bool], query_segment: Optional[int] = None,
                  key_segment: Optional[int] = None, hide_special: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Which query rows and key columns to keep: rows in segment ``query_segment``, columns in
    segment ``key_segment``.

    type_ids: ``(n,)`` segment ids (BERT: 0 = the first text A, 1 = the second text B);
    special: ``(n,)`` True for [CLS]/[SEP].  A segment of None keeps every token.  The special
    tokens belong to the segment the tokenizer gave them ([CLS] and the first [SEP] to A, the
    last [SEP] to B); ``hide_special`` drops them everywhere.  Returns ``(rows, cols)`` int
    index arrays, e.g. ``segment_index(t, sp, 0, 1)`` = queries in A attending to keys in B.
    """
    t = np.asarray(type_ids).reshape(-1)
    keep = ~np.asarray(special, dtype=bool).reshape(-1) if hide_special else np.ones(t.shape, bool)
    if t.shape != keep.shape:
        raise ValueError(f"type_ids {t.shape} and special {keep.shape} differ in length")
    out = []
    for name, seg in (("query_segment", query_segment), ("key_segment", key_segment)):
        if seg is not None and (isinstance(seg, bool) or not isinstance(seg, (int, np.integer))):
            raise ValueError(f"{name} must be a segment id (an int) or None; got {seg!r}")
        out.append(np.flatnonzero(keep if seg is None else keep & (t == seg)))
    return out[0], out[1]


def submatrix(weights, rows, cols) -> np.ndarray:
    """``weights[..., rows, :][..., :, cols]`` as float32 numpy: ``(..., n, n) -> (..., |rows|, |cols|)``."""
    w = np.asarray(weights, dtype=np.float32)
    return w[..., np.asarray(rows, dtype=np.intp), :][..., np.asarray(cols, dtype=np.intp)]


def topk_keep(weights, k: int) -> np.ndarray:
    """Bool mask ``(..., nq, nk)``: True at each row's ``k`` largest weights (exactly k per row;
    among tied weights any may be kept).  ``k <= 0`` or ``k >= nk`` keeps everything."""
    w = as_tensor(np.asarray(weights, dtype=np.float32))
    nk = w.shape[-1]
    if k <= 0 or k >= nk:
        return np.ones(tuple(w.shape), dtype=bool)
    idx = w.topk(int(k), dim=-1).indices                             # (..., nq, k)
    keep = torch.zeros(w.shape, dtype=torch.bool).scatter_(-1, idx, True)
    return keep.numpy()


# ------------------------------------------------------------------ thumbnails
def pool_max(weights, max_side: int = 64) -> tuple[np.ndarray, tuple[int, int]]:
    """Max-pool the last two axes so neither exceeds ``max_side``.

    ``(..., nq, nk) -> (..., ceil(nq/bq), ceil(nk/bk))`` with block sizes
    ``bq = ceil(nq / max_side)``, ``bk = ceil(nk / max_side)`` (1 = unchanged).  Each output
    cell is the largest weight of its ``bq x bk`` block (edge blocks are padded with 0), so a
    thin pattern (attend to the next token) stays visible.  Returns ``(pooled, (bq, bk))``.
    """
    w = as_tensor(np.asarray(weights, dtype=np.float32))
    if max_side < 1:
        raise ValueError(f"max_side must be >= 1; got {max_side}")
    nq, nk = w.shape[-2:]
    bq, bk = max(1, math.ceil(nq / max_side)), max(1, math.ceil(nk / max_side))
    if bq == bk == 1:
        return w.numpy(), (1, 1)
    lead = w.shape[:-2]
    x = w.reshape(-1, 1, nq, nk)                                     # (B, 1, nq, nk)
    # ceil_mode: a last, partial block is pooled over the cells it has (same as 0-padding,
    # since weights are >= 0)
    p = torch.nn.functional.max_pool2d(x, (bq, bk), stride=(bq, bk), ceil_mode=True)
    return p.reshape(*lead, p.shape[-2], p.shape[-1]).numpy(), (bq, bk)   # (..., tq, tk)


def to_percent(weights) -> np.ndarray:
    """Weights in [0, 1] as uint8 percent ``round(100 w)`` (NaN -> 0): 4x smaller than float32."""
    w = np.nan_to_num(np.asarray(weights, dtype=np.float32), nan=0.0)
    return np.rint(np.clip(w, 0.0, 1.0) * 100).astype(np.uint8)


def thumbnails(weights, max_side: int = 64) -> tuple[np.ndarray, tuple[int, int]]:
    """``(L, H, nq, nk)`` weights -> uint8 percent thumbnails ``(L, H, tq, tk)`` (max-pooled
    to at most ``max_side`` per side) and the block sizes ``(bq, bk)``."""
    pooled, blocks = pool_max(weights, max_side)
    return to_percent(pooled), blocks


# ------------------------------------------------------------------ counterfactuals
def counterfactual(model, ids, type_ids, options: Mapping, layers: Iterable[int]):
    """Run ``model`` (a :class:`attention.models.minilm.MiniLM`) with the ``attend`` options ``options``
    (e.g. ``{"scope": "local", "window": 2}``) in the 0-based ``layers`` and the model's own
    attention elsewhere.  Returns the new ``Trace``; later layers see the changed hidden
    states, so their weights move too."""
    opts = dict(options)
    return model.forward(ids, type_ids, attention={int(l): opts for l in layers})


def cosine(a, b) -> float:
    """Cosine similarity ``a.b / (|a| |b|)`` of two vectors (float64)."""
    a = as_tensor(a).double().reshape(-1)
    b = as_tensor(b).double().reshape(-1)
    return float(a @ b / (a.norm() * b.norm()).clamp_min(1e-300))


def row_cosine(a, b) -> np.ndarray:
    """Cosine similarity of matching rows: ``(n, d), (n, d) -> (n,)`` (float64)."""
    a = as_tensor(a).double()
    b = as_tensor(b).double()
    return (torch.nn.functional.cosine_similarity(a, b, dim=-1, eps=1e-300)).numpy()


def js_per_head(p, q) -> np.ndarray:
    """Mean over query rows of the Jensen-Shannon divergence (nats, in [0, ln 2]) between two
    attention maps: ``(..., n, n), (..., n, n) -> (...)``.  0 = identical rows."""
    # JS = (sum p ln p + sum q ln q) / 2 - sum m ln m, m = (p + q) / 2 -- the same as
    # attention.metrics.js, in one pass of float32 (fast at 512 tokens: 19M cells).
    p = as_tensor(p, dtype=torch.float32)
    q = as_tensor(q, dtype=torch.float32)
    m = (p + q) / 2
    d = (torch.xlogy(p, p).sum(-1) + torch.xlogy(q, q).sum(-1)) / 2 - torch.xlogy(m, m).sum(-1)
    return d.clamp_min(0).mean(-1).double().numpy()


# ------------------------------------------------------------------ sentence pairs
def segment_mass(weights, type_ids) -> dict[str, np.ndarray]:
    """Mean share of a query's attention that lands in each segment.

    weights: ``(..., n, n)``; type_ids: ``(n,)`` 0/1.  Returns ``{"AA", "AB", "BA", "BB"}`` ->
    ``(...)``: e.g. ``AB`` = mean over queries i in A of ``sum_{j in B} a_ij``.  For soft
    attention ``AA + AB = 1`` and ``BA + BB = 1``.  A missing segment gives NaN.
    """
    a = as_tensor(weights).double()
    t = as_tensor(np.asarray(type_ids)).reshape(-1)
    out = {}
    for qs, qv in (("A", 0), ("B", 1)):
        rows = t == qv
        for ks, kv in (("A", 0), ("B", 1)):
            if not rows.any():
                out[qs + ks] = np.full(a.shape[:-2], np.nan)
                continue
            mass = a[..., :, t == kv].sum(-1)                        # (..., n)
            out[qs + ks] = mass[..., rows].mean(-1).numpy()
    return out


# ------------------------------------------------------------------ neuron view
def neuron_steps(q, k, v, i: int) -> dict[str, np.ndarray]:
    """Every intermediate number of one query row of scaled dot-product attention (float64).

    q, k, v: ``(n, d_head)`` of one layer and head; i: the query token.  Returns
      q ``(d,)`` = q_i;  k ``(n, d)``;  v ``(n, d)``;
      qk ``(n, d)`` elementwise q_i * k_j (its row sums are the dot products);
      dot ``(n,)`` = q_i . k_j;  score ``(n,)`` = dot / sqrt(d);
      shifted ``(n,)`` = score - max(score);  exp ``(n,)`` = exp(shifted);
      weight ``(n,)`` = exp / sum(exp)  (= softmax(score), the heatmap's row i);
      weighted_v ``(n, d)`` = weight_j * v_j;  output ``(d,)`` = sum_j weight_j v_j.
    """
    q = as_tensor(q).double()
    k = as_tensor(k).double()
    v = as_tensor(v).double()
    n, d = k.shape
    if not 0 <= i < q.shape[0]:
        raise ValueError(f"query token {i} out of range 0..{q.shape[0] - 1}")
    qi = q[i]                                                        # (d,)
    qk = qi[None, :] * k                                             # (n, d)
    dot = qk.sum(-1)                                                 # (n,)
    score = dot / math.sqrt(d)
    shifted = score - score.max()
    ex = shifted.exp()
    w = ex / ex.sum()
    wv = w[:, None] * v                                              # (n, d)
    return {"q": qi.numpy(), "k": k.numpy(), "v": v.numpy(), "qk": qk.numpy(),
            "dot": dot.numpy(), "score": score.numpy(), "shifted": shifted.numpy(),
            "exp": ex.numpy(), "weight": w.numpy(), "weighted_v": wv.numpy(),
            "output": wv.sum(0).numpy()}
