"""What the Summarize page computes: one sentence embedding per sentence (shared, byte-bounded
cache) and one ``attention.attend(form="pooling")`` call over them, then the top-k rule.

Attention pooling (one query q over n sentence embeddings s_i, d = 384):
``e_i = score(q, s_i)``, ``alpha = softmax(e / T)``, ``c = sum_i alpha_i s_i``; the summary is the
k sentences with the largest alpha_i, printed in their original order.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from attention import attend
from attention.arrays import as_tensor
from attention.functional import AttentionResult, one_of
from attention.models.minilm import clean_text
from ui import models
from ui.cache import bounded

#: The scores the page offers (the core's names): all three need no learned parameters.
SCORES = ("dot", "cosine", "scaled_dot")

#: Two weights closer than this are tied (the earlier sentence wins): float rounding alone moves
#: a weight by ~1e-7 (float32), and the page shows weights to 4 decimals.
TIE = 1e-6

#: Budget of the sentence-embedding cache: 1.5 kB per sentence, so ~2,500 sentences.
EMBED_BYTES = 4 * 2**20


@dataclass(frozen=True)
class Summary:
    """Attention pooling over sentence embeddings (computed in float64).

    scores:  ``(n,)`` e_i = score(q, s_i)  (before the temperature).
    weights: ``(n,)`` alpha_i = softmax(e / T).
    pooled:  ``(d,)`` c = sum_i alpha_i s_i.
    top:     indices of the k largest weights, in the sentences' original order
             (weights within :data:`TIE` of each other are tied: the earlier sentence wins).
    result:  the :class:`AttentionResult` of ``attend(form="pooling")``.
    """
    scores: torch.Tensor
    weights: torch.Tensor
    pooled: torch.Tensor
    top: tuple
    result: AttentionResult


def document_query(sentence_embeddings) -> torch.Tensor:
    """The mean sentence embedding ``q = (1/n) sum_i s_i``, ``(d,)`` (not re-normalized)."""
    S = as_tensor(sentence_embeddings)                            # (n, d)
    return S.mean(dim=0)                                                # (d,)


def top_k_in_order(weights, k: int, tie: float = TIE) -> tuple:
    """Indices of the ``k`` largest of ``weights`` ``(n,)``, sorted ascending (text order).

    Taken one at a time in float64: among the weights not yet taken, every weight within
    ``tie`` of the largest counts as tied with it, and the earliest of those is taken.  So
    two weights that differ only by rounding (0.49999997 and 0.5) go to the earlier sentence.
    """
    w = as_tensor(weights).detach().double().reshape(-1).numpy()  # (n,)
    k = max(0, min(int(k), w.shape[0]))
    left = np.ones(w.shape[0], dtype=bool)
    for _ in range(k):
        best = w[left].max()
        i = int(np.flatnonzero(left & (w >= best - tie))[0])            # earliest of the tied
        left[i] = False
    return tuple(int(i) for i in np.flatnonzero(~left))


def _float64(x) -> torch.Tensor:
    """A float64 tensor of ``x`` (a tensor, or an array that may be a read-only cached one: copied)."""
    if isinstance(x, torch.Tensor):
        return x.to(torch.float64)
    return torch.from_numpy(np.array(x, dtype=np.float64))


def summarize(query, sentence_embeddings, *, k: int = 3, score: str = "dot",
              temperature: float = 1.0) -> Summary:
    """Extractive summary by attention pooling, in float64 (so equal dot products summed in a
    different order stay equal instead of differing in float32's last bit).

    query: ``(d,)``; sentence_embeddings: ``(n, d)``.  ``score``: ``dot`` (e_i = q . s_i),
    ``cosine`` or ``scaled_dot`` (q . s_i / sqrt(d)).  Returns a :class:`Summary`.
    """
    one_of("score", score, SCORES)
    S = _float64(sentence_embeddings)                                   # (n, d)
    q = _float64(query).reshape(-1)                                     # (d,)
    r = attend(q, S, S, form="pooling", score=score, temperature=temperature)
    w = r.weights[0, 0]                                                 # (n,)
    return Summary(scores=r.scores[0, 0], weights=w, pooled=r.output,
                   top=top_k_in_order(w, k), result=r)


def embed_one(model, text: str) -> tuple[np.ndarray, int]:
    """``(d,)`` float32 sentence embedding of ``text`` encoded on its own (mean-pooled last
    hidden state, L2-normalized: ``attention.models.minilm.Trace.sentence_embedding``), and how many
    word pieces the model's 512-token limit dropped (usually 0)."""
    enc = model.tokenize(text)
    return model.forward(enc.ids, enc.type_ids).sentence_embedding.numpy(), enc.n_dropped


@bounded("summarize.sentence_embedding", EMBED_BYTES)
def sentence_embedding(text: str) -> tuple[np.ndarray, int]:
    """:func:`embed_one` with the app's model, cached per sentence (shared, read-only)."""
    return embed_one(models.minilm(), text)


def embed(sentences: Sequence[str]) -> tuple[np.ndarray, int]:
    """``(n, d)`` embeddings of ``sentences`` and the total number of dropped word pieces."""
    rows = [sentence_embedding(s) for s in sentences]
    return np.stack([r[0] for r in rows]), sum(r[1] for r in rows)     # (n, d)


def clean_question(raw: str, max_chars: int = 500) -> str:
    """The question as one line: control characters removed, whitespace collapsed."""
    return " ".join(clean_text(raw, max_chars)[0].split())


def page_summary(sentences: Sequence[str], s) -> tuple[Summary, np.ndarray, int]:
    """The page's summary for state ``s`` (its parameters by key): ``(Summary, q (d,), dropped)``.

    query "mean": q = the mean of the sentence embeddings; "question": q = the embedded question.
    """
    S, dropped = embed(sentences)                                       # (n, d)
    q = document_query(S) if s.query == "mean" else sentence_embedding(clean_question(s.question))[0]
    sm = summarize(q, S, k=s.k, score=s.score, temperature=s.temperature)
    return sm, np.asarray(q, dtype=np.float64), dropped


def short(text: str, limit: int = 70) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis (still literal text)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
