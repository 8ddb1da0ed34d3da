"""What the Sentence page computes: one ``attention.attend`` call on the cached model arrays."""
from __future__ import annotations

import torch

from attention import attend
from attention.arrays import as_tensor
from attention.functional import AttentionResult
from attention.masks import windowed as is_windowed


def qkv(enc: dict, source: str, layer: int, head: int):
    """Queries, keys, values ``(n, d)`` for one sentence.

    source "model": the model's learned projections at ``layer`` / ``head`` (1-based), d = 32.
    source "embed": q = k = v = the input token embeddings X, d = 384.
    """
    if source == "model":
        return tuple(as_tensor(enc[a][layer - 1, head - 1]) for a in ("queries", "keys", "values"))
    X = as_tensor(enc["embeddings"])
    return X, X, X


def sentence_attention(enc: dict, s) -> AttentionResult:
    """The page's attention for state ``s`` (the page's parameters by key).

    form "self": every token is a query -> weights ``(1, n, n)``.
    form "pooling": one query (token ``s.row``'s q, or the mean of all q) -> weights ``(1, 1, n)``;
    a local / causal scope is centred on the inspected token ``s.row``.
    """
    q, k, v = qkv(enc, s.source, s.layer, s.head)
    opts = dict(score=s.score, normalization=s.normalization, temperature=s.temperature,
                seed=s.seed, scope=s.scope)
    if s.score == "general":
        opts["W_a"] = s.W_a
    if is_windowed(s.scope):
        opts["window"] = s.window
    if s.form == "self":
        return attend(q, k, v, **opts)
    qv = q[s.row] if s.pooling_query == "token" else q.mean(dim=0)          # (d,)
    if s.scope in ("local", "causal"):
        opts["positions"] = torch.tensor([s.row])                         # where the query sits
    return attend(qv, k, v, form="pooling", **opts)


def row_table(result: AttentionResult, row: int, labels) -> dict:
    """Columns of the "check it by hand" table of one query row."""
    e = result.scores[0, row].double().numpy()
    m = result.mask.expand_as(result.scores)[0, row].numpy()
    out = {"key token": list(labels), "in scope": m.astype(bool), "score e": e,
           "e / T": e / result.options.temperature, "weight α": result.weights[0, row].double().numpy()}
    if result.gaussian is not None:
        out["Gaussian factor"] = result.gaussian.reshape(-1, e.shape[0])[row].double().numpy()
    return out
