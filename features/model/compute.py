"""What the Model explorer computes: ``attention`` calls on the cached MiniLM outputs
(``ui.models.encode``).  The maths lives in the core (``attention.explore``,
``attention.metrics``); this module picks the page's rows / columns, builds the counterfactual's
``attend`` options and caches arrays in byte-bounded shared caches (``ui.cache.bounded``).

Shapes: L = 6 layers, H = 12 heads, n tokens, d_head = 32.
"""
from __future__ import annotations

import os
from typing import Optional

import numpy as np
import torch

from attention import attend
from attention.arrays import as_tensor
from attention import explore as X
from attention.functional import AttentionResult, one_of, resolve_options
from attention.masks import WINDOWED
from attention.metrics import head_stats, rollout
from ui import models
from ui.cache import bounded

from .state import BLOCK_SEGMENTS, BLOCKS

_MB = 2**20
#: Budget of the page's shared caches (MB); a 512-token counterfactual keeps ~10 MB.
BUDGET = int(os.environ.get("AE_MODEL_CACHE_MB", "96")) * _MB


def encode(text: str, pair: str = "") -> dict:
    """``ui.models.encode`` of "A" or "A [SEP] B" (an empty ``pair`` = one segment)."""
    return models.encode(text, pair or None)


def layer_attention(enc: dict, layer: int, options: Optional[dict] = None) -> AttentionResult:
    """``attend`` of one layer (0-based), all 12 heads: weights ``(H, n, n)``, output
    ``(H, n, d_head)`` -- the very call ``MiniLM.forward`` makes."""
    q, k, v = (as_tensor(enc[a][layer]) for a in ("queries", "keys", "values"))  # (H, n, d_head)
    return attend(q, k, v, **(options or {}))


def _all(enc: dict) -> torch.Tensor:
    return X.all_weights(enc["queries"], enc["keys"], enc["values"])          # (L, H, n, n)


# ------------------------------------------------------------------ display filters
def block_index(enc: dict, block: str, hide: bool) -> tuple[np.ndarray, np.ndarray]:
    """The query rows and key columns a pair block shows (``"AB"``: queries in A, keys in B;
    ``"all"``: every token), without [CLS]/[SEP] if ``hide``."""
    q_seg, k_seg = BLOCK_SEGMENTS[one_of("block", block, BLOCKS)]
    return X.segment_index(enc["type_ids"], enc["special"], q_seg, k_seg, hide_special=hide)


def shown(w: np.ndarray, rows, cols, topk: int, extra_mask: Optional[np.ndarray] = None):
    """The display filters on one ``(n, n)`` map: ``(sub (r, c), keep mask (r, c) or None)``.
    ``topk`` > 0 keeps each row's k largest weights (among the cells ``extra_mask`` allows)."""
    sub = X.submatrix(w, rows, cols)
    mask = None if extra_mask is None else X.submatrix(extra_mask, rows, cols).astype(bool)
    if topk:
        keep = X.topk_keep(np.where(mask, sub, -1.0) if mask is not None else sub, topk)
        mask = keep if mask is None else (mask & keep)
    return sub, mask


# ------------------------------------------------------------------ cached arrays
@bounded("model.overview", BUDGET // 4)
def overview(text: str, pair: str, hide: bool, topk: int, block: str, max_side: int = 64):
    """Thumbnails of every head under the display filters: uint8 percent ``(L, H, tq, tk)``
    and the pooling block sizes ``(bq, bk)``."""
    enc = encode(text, pair)
    rows, cols = block_index(enc, block, hide)
    sub = X.submatrix(_all(enc).numpy(), rows, cols)                           # (L, H, r, c)
    if topk:
        sub = np.where(X.topk_keep(sub, topk), sub, 0.0)
    return X.thumbnails(sub, max_side)


@bounded("model.stats", 4 * _MB)
def stats(text: str, pair: str, k: int) -> dict:
    """``attention.metrics.head_stats`` of every head: name -> ``(L, H)`` float64
    (``topk_mass`` = the mass of each row's k largest weights)."""
    enc = encode(text, pair)
    out = head_stats(_all(enc), as_tensor(enc["special"]), k=k)
    return {("topk_mass" if name.startswith("top") else name): v.double().numpy() for name, v in out.items()}


@bounded("model.rollout", BUDGET // 4)
def rollout_matrix(text: str, pair: str, start: int, end: int) -> np.ndarray:
    """Attention rollout over layers ``start..end`` (0-based, inclusive): ``(n, n)``."""
    return rollout(_all(encode(text, pair)), start, end).float().numpy()


@bounded("model.segment_mass", 2 * _MB)
def segment_mass(text: str, pair: str) -> dict:
    """Mean share of a segment's attention on each segment: ``"AA" .. "BB"`` -> ``(L, H)``."""
    enc = encode(text, pair)
    return X.segment_mass(_all(enc), enc["type_ids"])


# ------------------------------------------------------------------ counterfactual
MODEL_OWN = {"scope": "global", "normalization": "soft"}


def variant_options(scope: str, window: int, normalization: str) -> dict:
    """The ``attend`` options of a counterfactual layer from the page's parameters: plain
    ``{"scope", "normalization"}`` plus ``window`` where the scope has one, validated by
    ``attention.functional.resolve_options`` (ValueError if invalid).  :data:`MODEL_OWN` is the
    model's own attention."""
    opts = {"scope": scope, "normalization": normalization}
    if scope in WINDOWED:
        opts["window"] = window
    resolve_options(**opts)
    return opts


@bounded("model.counterfactual", BUDGET // 2)
def counterfactual(text: str, pair: str, options: tuple, layers: tuple) -> dict:
    """Run the model with ``dict(options)`` in the 0-based ``layers``.  Keeps q / k
    ``(L, H, n, d_head)`` (weights are recomputed per layer), the cosine of the sentence
    embeddings, the per-head JS divergence ``(L, H)`` and the per-token cosine ``(n,)``."""
    base = encode(text, pair)                                   # the model's own run (cached)
    m = models.minilm()
    e = m.tokenize(text, pair or None)
    cf = X.counterfactual(m, e.ids, e.type_ids, dict(options), layers)
    return dict(queries=cf.queries.numpy(), keys=cf.keys.numpy(),
                cos=X.cosine(base["sentence_embedding"], cf.sentence_embedding),
                js=X.js_per_head(_all(base), cf.weights),
                token_cos=X.row_cosine(base["hidden"][-1], cf.hidden[-1]))


def counterfactual_layer(res: dict, layer: int, options: dict, layers: tuple) -> AttentionResult:
    """The counterfactual's attention in ``layer`` (0-based), all heads: ``options`` if the
    layer runs the variant, else the model's own attention on the changed q and k."""
    q, k = as_tensor(res["queries"][layer]), as_tensor(res["keys"][layer])  # (H, n, d_head)
    return attend(q, k, k, **(options if layer in layers else {}))
