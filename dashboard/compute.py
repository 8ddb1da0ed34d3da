"""Glue between cached model arrays and the core's ``attend`` (no widgets here)."""
from __future__ import annotations

import torch

from attention import attend
from attention.functional import AttentionResult
from attention.masks import causal_mask, local_mask

NORM_CODES = {"soft": "soft", "hard": "hard", "sampled": "hard_sampled", "sparsemax": "sparsemax"}


def qkv(enc: dict, source: str, layer: int, head: int):
    """Queries, keys, values ``(n, d)`` for one sentence.

    source "model": the model's learned projections at ``layer`` / ``head`` (1-based), d = 32.
    source "embed": q = k = v = the input token embeddings X, d = 384.
    """
    if source == "model":
        return (torch.from_numpy(enc["queries"][layer - 1, head - 1]),
                torch.from_numpy(enc["keys"][layer - 1, head - 1]),
                torch.from_numpy(enc["values"][layer - 1, head - 1]))
    X = torch.from_numpy(enc["embeddings"])
    return X, X, X


def sentence_attention(enc: dict, *, source: str, layer: int, head: int, form: str,
                       attn_type: str, scope: str, window: int, score: str, temperature: float,
                       seed: int = 0, W_a: str = "identity", query_row: int = 0,
                       query_mode: str = "token") -> AttentionResult:
    """Attention for the sentence page.

    form "self": every token is a query -> weights ``(1, n, n)``.
    form "pooling": one query (token ``query_row``'s q, or the mean of all q) ->
    weights ``(1, 1, n)``; a local / causal scope is taken around ``query_row``.
    """
    q, k, v = qkv(enc, source, layer, head)
    n = k.shape[0]
    opts = dict(score=score, normalization=NORM_CODES[attn_type], temperature=temperature, seed=seed)
    if score == "general":
        opts["W_a"] = W_a
    if form == "self":
        if scope in ("local", "local_p"):
            opts["window"] = window
        return attend(q, k, v, scope=scope, **opts)
    # pooling: one query over all tokens
    qv = q[query_row] if query_mode == "token" else q.mean(dim=0)
    mask = None
    if scope == "local":
        mask = local_mask(n, n, window)[query_row]              # (n,)
    elif scope == "causal":
        mask = causal_mask(n, n)[query_row]                     # (n,)
    if scope == "local_p":
        return attend(qv, k, v, form="pooling", scope="local_p", window=window, **opts)
    return attend(qv, k, v, form="pooling", mask=mask, **opts)


def row_table(result: AttentionResult, row: int, labels) -> dict:
    """Columns for the "check it by hand" table of one query row."""
    e = result.scores[0, row].double().numpy()
    m = result.mask.expand_as(result.scores)[0, row].numpy() if result.mask.ndim == 3 \
        else result.mask[row].numpy()
    w = result.weights[0, row].double().numpy()
    t = result.options.temperature
    out = {"key token": list(labels), "in scope": m.astype(bool), "score e": e,
           "e / T": e / t, "weight α": w}
    if result.gaussian is not None:
        out["Gaussian factor"] = result.gaussian[row].double().numpy()
    return out
