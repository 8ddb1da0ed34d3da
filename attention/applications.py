"""The tutorial's two applications, computed with real attention (torch only).

* **Alignment** (Bahdanau et al. 2015, Luong et al. 2015): cross-attention of a
  *target* sequence (queries, one row per target token t) over a *source*
  sequence (keys, one column per source token s).  The weight matrix
  ``(T, S)`` is the alignment figure of those papers.  Scopes:

  - ``global``: every source token, ``alpha_t = softmax_s(e_ts / T)``.
  - ``local_m`` (Luong's local-m, monotonic): centre ``p_t = t``, window
    ``|s - p_t| <= D`` -- exactly ``attend(scope="local", window=D)``.
  - ``local_m_scaled``: the same window around ``p_t = t (S-1)/(T-1)``, so a
    target of a different length than the source still walks the diagonal
    corner to corner (our variant, not in the paper; a plain window, no Gaussian).
  - ``local_p`` (Luong's local-p, predictive): ``p_t = (S-1) sigmoid(v_p^T tanh(W_p q_t))``
    and ``alpha_ts = softmax_{s in window}(e_ts / T) * exp(-(s - p_t)^2 / (2 (D/2)^2))``
    -- ``attend(scope="local_p")``.  W_p, v_p are seeded random, *not trained*.

* **Extractive summary by attention pooling**: split a paragraph into
  sentences (:func:`split_sentences`), embed each one (``(n, d)``), take one
  query ``q`` (the mean sentence embedding, or an embedded question) and pool:
  ``e_i = score(q, s_i)``, ``alpha = softmax(e / T)``; the summary is the
  top-k sentences by ``alpha``, printed in their original order.

Nothing here imports Streamlit or Plotly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import torch

from . import masks as M
from .functional import AttentionResult, attend

# ============================================================== alignment
ALIGN_SCOPES = ("global", "local_m", "local_m_scaled", "local_p")
ALIGN_SCORES = ("cosine", "dot", "scaled_dot", "general")
ALIGN_NORMALIZATIONS = ("soft", "hard")


@dataclass(frozen=True)
class Alignment:
    """A target x source alignment.

    result:    the :class:`AttentionResult` of ``attend`` (scores ``(1, T, S)`` ...).
    weights:   ``(T, S)`` alignment weights alpha_ts (row t = target token t).
    within:    ``(T, S)`` the normalized weights *before* local-p's Gaussian
               (equal to ``weights`` for the other scopes).
    mask:      ``(T, S)`` bool, True where source token s is inside target row t's window.
    positions: ``(T,)`` window centres p_t (None for ``global``).
    window:    D (None for ``global``).
    scope:     one of :data:`ALIGN_SCOPES`.
    """
    result: AttentionResult
    weights: torch.Tensor
    within: torch.Tensor
    mask: torch.Tensor
    positions: Optional[torch.Tensor]
    window: Optional[int]
    scope: str


def monotonic_positions(n_target: int, n_source: int, scaled: bool = False) -> torch.Tensor:
    """Local-m centres ``(T,)``: ``p_t = t`` (Luong), or with ``scaled=True``
    ``p_t = t (S-1)/(T-1)`` (the diagonal from corner to corner; ``p_0 = 0`` if T = 1)."""
    t = torch.arange(n_target, dtype=torch.float32)                     # (T,)
    if not scaled:
        return t
    if n_target == 1:
        return torch.zeros(1)
    return t * (n_source - 1) / (n_target - 1)


def window_bounds(positions: torch.Tensor, window: int) -> np.ndarray:
    """``(T, 2)`` float array of each row's window ``[p_t - D, p_t + D]`` (not clipped)."""
    p = torch.as_tensor(positions, dtype=torch.float64).reshape(-1).numpy()   # (T,)
    return np.stack([p - window, p + window], axis=1)                         # (T, 2)


def align(target, source, *, score: str = "cosine", scope: str = "global", window: int = 2,
          normalization: str = "soft", temperature: float = 1.0, seed: int = 0,
          W_a="identity", value=None) -> Alignment:
    """Cross-attention alignment of ``target`` (queries) over ``source`` (keys).

    target: ``(T, d)`` query vectors, one per target token.
    source: ``(S, d)`` key vectors, one per source token (value defaults to them).
    score: ``cosine | dot | scaled_dot | general`` (``W_a``: ``"identity"``, ``"random"`` or a
        ``(d, d)`` tensor).  normalization: ``soft`` (softmax at ``temperature``) or ``hard``.
    scope / window: see the module docstring; ``seed`` seeds local-p's W_p, v_p and a random W_a.
    Returns an :class:`Alignment` with ``weights (T, S)``.
    """
    if scope not in ALIGN_SCOPES:
        raise ValueError(f"scope must be one of {', '.join(map(repr, ALIGN_SCOPES))}; got {scope!r}")
    if score not in ALIGN_SCORES:
        raise ValueError(f"score must be one of {', '.join(map(repr, ALIGN_SCORES))}; got {score!r}")
    if normalization not in ALIGN_NORMALIZATIONS:
        raise ValueError(f"normalization must be 'soft' or 'hard'; got {normalization!r}")
    q = torch.as_tensor(target, dtype=torch.float32)                    # (T, d)
    k = torch.as_tensor(source, dtype=torch.float32)                    # (S, d)
    if q.ndim != 2 or k.ndim != 2:
        raise ValueError(f"target and source must be 2-D (n, d); got {tuple(q.shape)} and {tuple(k.shape)}")
    T, S = q.shape[0], k.shape[0]
    opts = dict(score=score, normalization=normalization, temperature=temperature, seed=seed)
    if score == "general":
        opts["W_a"] = W_a
    if scope == "global":
        r = attend(q, k, value, **opts)
        pos = None
    elif scope == "local_m":
        r = attend(q, k, value, scope="local", window=window, **opts)
        pos = monotonic_positions(T, S)
    elif scope == "local_m_scaled":
        pos = monotonic_positions(T, S, scaled=True)
        r = attend(q, k, value, mask=M.local_p_mask(pos, S, window), **opts)
    else:
        r = attend(q, k, value, scope="local_p", window=window, **opts)
        pos = r.positions
    w = r.weights[0]                                                    # (T, S)
    mask = r.mask if r.mask.ndim == 2 else r.mask[0]                    # (T, S)
    if scope == "local_p":
        # the same normalization restricted to the window, before the Gaussian factor
        within = attend(q, k, value, mask=mask, **opts).weights[0]     # (T, S)
    else:
        within = w
    return Alignment(result=r, weights=w, within=within, mask=mask, positions=pos,
                     window=None if scope == "global" else int(window), scope=scope)


def row_breakdown(al: Alignment, row: int) -> dict:
    """Columns that let a reader recompute target row ``row`` by hand.

    ``in window``, ``score e``, ``e / T``, ``softmax in window`` (before the Gaussian),
    ``Gaussian factor`` (local-p only) and ``weight α``, each ``(S,)``.
    """
    r = al.result
    e = r.scores[0, row].double().numpy()
    out = {"in window": al.mask[row].numpy().astype(bool), "score e": e,
           "e / T": e / r.options.temperature}
    if al.scope == "local_p":
        out["softmax in window"] = al.within[row].double().numpy()
        out["Gaussian factor"] = r.gaussian[row].double().numpy()
    out["weight α"] = al.weights[row].double().numpy()
    return out


# ============================================================== sentences
MAX_SENTENCES = 60

#: Abbreviations after which "." does not end a sentence even before a capital
#: ("Dr. Smith", "St. Louis", "Smith vs. Jones").  Compared lower-case, without the dot.
#: Words usually followed by a number ("No. 5", "Fig. 3") need no entry: a digit never
#: starts a sentence here -- and "no" must not be one ("I said no. Then I left.").
ABBREVIATIONS = frozenset("""
    mr mrs ms mx dr prof sr jr st mt ft gen col capt cpt lt sgt maj cmdr adm sen rep gov pres
    rev hon fr vs cf
""".split())

_OPENERS = "\"'“‘«([{"
_CLOSERS = "\"'”’»)]}"
# a run of sentence-final punctuation, optional closing quotes/brackets, whitespace, then
# (optional opening quotes/brackets and) the next word's first character
_BOUNDARY = re.compile(r"([.!?…]+)([" + re.escape(_CLOSERS) + r"]*)\s+(?=[" + re.escape(_OPENERS)
                       + r"]*(\w))")
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_DOTTED = re.compile(r"(?:[A-Za-z]{1,3}\.)+[A-Za-z]{1,3}")   # U.S, e.g, i.e, a.m, Ph.D
_LAST_WORD = re.compile(r"(\S+)$")


def _is_abbreviation(before: str) -> bool:
    """Does the text ``before`` a single "." end in an abbreviation?"""
    m = _LAST_WORD.search(before)
    if not m:
        return False
    word = m.group(1).lstrip(_OPENERS)
    return (word.lower() in ABBREVIATIONS
            or (len(word) == 1 and word.isalpha() and word.isupper())   # an initial: "J. K. Rowling"
            or _DOTTED.fullmatch(word) is not None)                      # "U.S.", "e.g."


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences with a small, documented rule set.

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` (a run such as ``?!`` or ``...`` counts
    once), optionally followed by closing quotes or brackets, **then whitespace, then**
    (after optional opening quotes/brackets) **an upper-case letter**.  So:

    * ``3.5`` or ``example.com`` never split (no whitespace after the dot);
    * ``"Why?" she asked.`` stays one sentence (lower case follows);
    * a single ``.`` after an abbreviation (:data:`ABBREVIATIONS`: Dr, Mr, St, vs, ...), a
      single capital initial (``J. K. Rowling``) or a dotted abbreviation (``U.S.``, ``e.g.``,
      ``a.m.``) does not split -- so a sentence that *ends* in "U.S." is joined to the next
      (a known limitation of any rule-based splitter);
    * a blank line always ends a sentence (headings, list items without a period);
    * text without final punctuation is still the last sentence.

    Whitespace inside a sentence (including single newlines) is collapsed to one space.
    Returns a list of non-empty sentences (``[]`` for empty or whitespace-only text).
    """
    out: list[str] = []
    for para in _PARAGRAPH.split(str(text or "")):
        start = 0
        for m in _BOUNDARY.finditer(para):
            if not m.group(3).isupper():
                continue
            if m.group(1) == "." and _is_abbreviation(para[start:m.start()]):
                continue
            out.append(para[start:m.end(2)])
            start = m.end()
        out.append(para[start:])
    return [s for s in (" ".join(p.split()) for p in out) if s]


# ============================================================== summary
SUMMARY_SCORES = ("dot", "cosine", "scaled_dot")


@dataclass(frozen=True)
class Summary:
    """Attention pooling over sentence embeddings.

    scores:  ``(n,)`` e_i = score(q, s_i)  (before the temperature).
    weights: ``(n,)`` alpha_i = softmax(e / T).
    pooled:  ``(d,)`` c = sum_i alpha_i s_i.
    top:     indices of the k largest weights, in the sentences' original order
             (ties go to the earlier sentence).
    result:  the :class:`AttentionResult` of ``attend(form="pooling")``.
    """
    scores: torch.Tensor
    weights: torch.Tensor
    pooled: torch.Tensor
    top: tuple
    result: AttentionResult


def document_query(sentence_embeddings) -> torch.Tensor:
    """The mean sentence embedding ``q = (1/n) sum_i s_i``, ``(d,)`` (not re-normalized)."""
    S = torch.as_tensor(sentence_embeddings, dtype=torch.float32)       # (n, d)
    return S.mean(dim=0)                                                # (d,)


def top_k_in_order(weights, k: int) -> tuple:
    """Indices of the ``k`` largest weights (earlier index wins a tie), sorted ascending."""
    w = np.asarray(torch.as_tensor(weights).detach().double().reshape(-1).numpy())   # (n,)
    k = max(0, min(int(k), w.shape[0]))
    order = sorted(range(w.shape[0]), key=lambda i: (-w[i], i))
    return tuple(sorted(order[:k]))


def summarize(query, sentence_embeddings, *, k: int = 3, score: str = "dot",
              temperature: float = 1.0) -> Summary:
    """Extractive summary by attention pooling.

    query: ``(d,)``; sentence_embeddings: ``(n, d)``.  ``score``: ``dot`` (e_i = q . s_i),
    ``cosine`` or ``scaled_dot`` (q . s_i / sqrt(d)).  Returns a :class:`Summary`.
    """
    if score not in SUMMARY_SCORES:
        raise ValueError(f"score must be one of {', '.join(map(repr, SUMMARY_SCORES))}; got {score!r}")
    S = torch.as_tensor(sentence_embeddings, dtype=torch.float32)       # (n, d)
    q = torch.as_tensor(query, dtype=torch.float32).reshape(-1)         # (d,)
    r = attend(q, S, S, form="pooling", score=score, temperature=temperature)
    w = r.weights[0, 0]                                                 # (n,)
    return Summary(scores=r.scores[0, 0], weights=w, pooled=r.output,
                   top=top_k_in_order(w, k), result=r)


def embed_sentences(model, sentences: Sequence[str]) -> torch.Tensor:
    """``(n, d)`` sentence embeddings (mean-pooled last hidden state, L2-normalized:
    :attr:`attention.text.Trace.sentence_embedding`) of each sentence, encoded on its own."""
    rows = []
    for s in sentences:
        enc = model.tokenize(s)
        rows.append(model.forward(enc.ids, enc.type_ids).sentence_embedding)   # (d,)
    return torch.stack(rows)                                                    # (n, d)
