"""The Learn page's formulas (self-attention with q = k = v = X) and the by-hand arithmetic of one
row, written from the same formulas, so every number shown can be recomputed."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from .compute import Steps, argmax_tokens

ONE_QUERY_LATEX = {
    "score": r"""\begin{aligned}
        e_i &= \operatorname{score}(q,\, x_i) \\
        \text{dot:}\quad \operatorname{score}(q, x_i) &= q \cdot x_i \\
        \text{general:}\quad \operatorname{score}(q, x_i) &= q\, W_a\, x_i^{\top} \\
        \text{additive:}\quad \operatorname{score}(q, x_i) &= v^{\top} \tanh(W_1 q + W_2 x_i)
        \end{aligned}""",
    "softmax": r"\alpha_i = \operatorname{softmax}(e)_i = \frac{\exp(e_i)}{\sum_{j=1}^{n} \exp(e_j)}",
    "output": r"c = \sum_{i=1}^{n} \alpha_i\, x_i",
}
SELF_SCORE_LATEX = {
    "dot": r"e_{ij} = x_i \cdot x_j \qquad (E = X X^{\top})",
    "general": r"e_{ij} = x_i\, W_a\, x_j^{\top} \qquad (E = X W_a X^{\top})",
    "additive": r"e_{ij} = \mathbf{1}^{\top} \tanh\!\left(W_a x_i^{\top} + W_a x_j^{\top}\right)",
}
SELF_SCOPE_LATEX = {
    "global": r"S(i) = \{1, \dots, n\}",
    "local": r"S(i) = \{\, j : |i - j| \le w \,\}",
    "causal": r"S(i) = \{\, j : j \le i \,\}",
}
SELF_NORMALIZATION_LATEX = {
    "soft": r"\alpha_{ij} = \frac{\exp(e_{ij}/T)}{\sum_{j' \in S(i)} \exp(e_{ij'}/T)}"
            r"\quad (j \in S(i)),\qquad \alpha_{ij} = 0 \ \ (j \notin S(i))",
    "hard": r"\alpha_{ij} = [\, j = \arg\max_{j' \in S(i)} e_{ij'} \,]"
            r"\quad \text{(the first one on ties)}",
}
SELF_OUTPUT_LATEX = r"c_i = \sum_{j} \alpha_{ij}\, x_j \qquad (C = A X)"


def names(prefix: str, n: int) -> list[str]:
    """``["x1", ..., "xn"]``: how the page names tokens (``x``) and features (``f``)."""
    return [f"{prefix}{i}" for i in range(1, n + 1)]


def _num(x, digits: int) -> str:
    if x is None:
        return "—"
    return f"{x:.{digits}e}" if abs(x) >= 1e6 else f"{x:.{digits}f}"


def fmt_vec(v, digits: int = 4) -> str:
    """``[0.4223, 0.1554, …]``; None shows as "—" (outside the scope)."""
    return "[" + ", ".join(_num(x, digits) for x in v) + "]"


def row_arithmetic(s: Steps, i: int, labels: Sequence[str]) -> str:
    """Markdown that recomputes row ``i`` of ``s`` by hand from the page's formulas."""
    e, m, a = s.scores[i], s.mask[i], s.weights[i]
    inside = [labels[j] for j in range(len(e)) if m[j]]
    lines = [f"**Row {labels[i]}** — scores e = {fmt_vec(e)}; in scope S({labels[i]}) = "
             f"{{{', '.join(inside)}}}."]
    if s.normalization == "soft":
        t = "" if s.temperature == 1 else f"/{s.temperature:g}"
        z = np.where(m, e / s.temperature, -np.inf)
        shift, what = 0.0, f"exp(e{t})"
        if np.abs(z[m]).max() > 30:            # keep exp() readable: subtract the row max
            shift = float(z[m].max())
            what = f"exp(e{t} − {shift:g})"
        ex = [float(np.exp(z[j] - shift)) if m[j] else None for j in range(len(e))]
        tot = sum(x for x in ex if x is not None)
        note = " (subtracting the row's largest value first does not change α)" if shift else ""
        lines.append(f"{what} over the scope = {fmt_vec(ex)}, sum = {_num(tot, 4)}; "
                     f"divide by the sum: α = {fmt_vec(a)}{note}. Keys outside the scope get 0.")
    else:
        best = argmax_tokens(np.where(m, e, -np.inf))
        tie = f" (a tie between {', '.join(labels[j] for j in best)}: the first wins)" if len(best) > 1 else ""
        lines.append(f"The largest in-scope score is at {labels[best[0]]}{tie}, so α = {fmt_vec(a, 0)}.")
    terms = " + ".join(f"{a[j]:.4f}·{labels[j]}" for j in range(len(a)) if a[j] != 0)
    lines.append(f"Output c = {terms} = {fmt_vec(s.output[i])}.")
    return "  \n".join(lines)
