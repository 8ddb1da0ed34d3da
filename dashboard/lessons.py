"""Streamlit glue for the Learn and Compare pages: matrix parameters and editors,
matrices shown with their downloads, predict-then-reveal questions, lesson LaTeX."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd
import streamlit as st

from attention import tutorial as T

from . import export
from . import params as P

# ------------------------------------------------------------------ LaTeX (self-attention, q = k = v = X)
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
SELF_NORM_LATEX = {
    "soft": r"\alpha_{ij} = \frac{\exp(e_{ij}/T)}{\sum_{j' \in S(i)} \exp(e_{ij'}/T)}"
            r"\quad (j \in S(i)),\qquad \alpha_{ij} = 0 \ \ (j \notin S(i))",
    "hard": r"\alpha_{ij} = [\, j = \arg\max_{j' \in S(i)} e_{ij'} \,]"
            r"\quad \text{(the first one on ties)}",
}
SELF_OUTPUT_LATEX = r"c_i = \sum_{j} \alpha_{ij}\, x_j \qquad (C = A X)"

METRIC_LATEX = {
    "entropy": r"H_i = -\sum_j a_{ij} \ln a_{ij} \quad (0 \ln 0 = 0)",
    "sparsity": r"s_i = \tfrac{1}{n}\,\#\{\, j : a_{ij} \ge 0.01 \,\}",
    "kl": r"\mathrm{KL}(p_i \,\|\, r_i) = \sum_j p_{ij} \ln \frac{p_{ij}}{r_{ij}}",
    "js": r"\mathrm{JS}(p_i, r_i) = \tfrac12 \mathrm{KL}(p_i \,\|\, m_i) + \tfrac12 \mathrm{KL}(r_i \,\|\, m_i),"
          r"\ \ m_i = \tfrac12 (p_i + r_i)",
    "mean": r"\text{shown} = \frac{1}{n} \sum_{i=1}^{n} (\text{value of query row } i)",
}


# ------------------------------------------------------------------ matrix parameters
class MatrixParam(P.Text):
    """A small matrix in the URL as ``"1,0;0,1;1,1"`` (rows split by ``;``)."""

    def __init__(self, key, label, default, *, max_rows=T.MAX_TOKENS, max_cols=T.MAX_FEATURES,
                 min_rows=1, help=None):
        super().__init__(key, label, default, help=help, max_chars=2000)
        object.__setattr__(self, "_limits", (max_rows, max_cols, min_rows))

    def matrix(self, text: str) -> np.ndarray:
        r, c, lo = self._limits
        return T.parse_matrix(text, max_rows=r, max_cols=c, min_rows=lo, name=self.label)

    def parse(self, raw: str) -> str:
        try:
            return T.format_matrix(self.matrix(raw))
        except ValueError as e:
            msg = str(e)
            if msg.startswith(self.label):
                msg = msg[len(self.label):].strip()
            raise P.Invalid(f"is not a usable matrix ({msg}; write rows like `1,0;0,1`)") from None


def labels(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(1, n + 1)]


def matrix_editor(p: MatrixParam, row_labels: Sequence[str], col_labels: Sequence[str], *,
                  disabled: bool = False, where=None) -> np.ndarray:
    """A ``st.data_editor`` over the matrix held in ``st.session_state[p.key]``.

    A valid edit is stored back (so it reaches the share link); empty, non-numeric,
    infinite or too-large cells get a clear warning and the last good matrix is kept.
    """
    with (where if where is not None else st.container()):
        return _matrix_editor(p, row_labels, col_labels, disabled)


def _matrix_editor(p, row_labels, col_labels, disabled) -> np.ndarray:
    base = p.matrix(st.session_state[p.key])                         # always valid
    seen = st.session_state.get(f"_{p.key}_seen")
    if seen is not None and seen != st.session_state[p.key]:
        # changed outside the editor (link, reset, resize): drop the editor's old edits
        st.session_state[f"_{p.key}_ver"] = st.session_state.get(f"_{p.key}_ver", 0) + 1
    ver = st.session_state.setdefault(f"_{p.key}_ver", 0)
    df = pd.DataFrame(base, index=list(row_labels), columns=list(col_labels))
    cfg = {c: st.column_config.NumberColumn(c, min_value=-T.MAX_ABS, max_value=T.MAX_ABS,
                                            format="%g") for c in col_labels}
    edited = st.data_editor(df, key=f"{p.key}_edit{ver}", num_rows="fixed", disabled=disabled,
                               column_config=cfg, width="content")
    m, problems = T.cells_to_matrix(pd.DataFrame(edited).astype(object).to_numpy().tolist(), p.label)
    st.session_state[f"_{p.key}_seen"] = st.session_state[p.key]
    if problems:
        st.warning("Still using the last good " + p.label + ": " + "; ".join(problems[:4])
                      + ("; …" if len(problems) > 4 else "")
                      + f". Type a number from -{T.MAX_ABS:g} to {T.MAX_ABS:g} in each cell.",
                      icon=":material/edit_off:")
        return base
    if m.shape == base.shape and not np.array_equal(m, base):
        st.session_state[p.key] = st.session_state[f"_{p.key}_seen"] = T.format_matrix(m)
    return m


def reset_editors(*params: MatrixParam) -> None:
    """Put ``params`` back to their defaults (their editors then start afresh)."""
    for p in params:
        st.session_state[p.key] = p.default


# ------------------------------------------------------------------ showing matrices
def show_matrix(m, row_labels, col_labels, *, name: str, key: str, caption: str = "",
                fmt: str = "%.4f", meta: Optional[dict] = None, where=None) -> None:
    """A matrix as a table (full precision underneath, ``fmt`` on screen) + CSV/JSON downloads."""
    arr = np.asarray(m)
    df = pd.DataFrame(arr, index=list(row_labels), columns=list(col_labels))
    cfg = None if arr.dtype == bool else {c: st.column_config.NumberColumn(c, format=fmt)
                                          for c in col_labels}
    with (where if where is not None else st.container()):
        st.dataframe(df, key=key, column_config=cfg, width="content")
        if caption:
            st.caption(caption)
        export.download_buttons(arr.astype(float), row_labels, col_labels, name, key, meta=meta)


def quiz(key: str, question: str, options: Sequence[str], answer: str, why: str) -> None:
    """Predict, then reveal: the explanation appears once an option is chosen."""
    choice = st.radio(f"**Predict:** {question}", options, index=None, key=key)
    if choice is None:
        st.caption("Choose an answer to reveal the explanation.")
    elif choice == answer:
        st.success(f"Right. {why}", icon=":material/check_circle:")
    else:
        st.error(f"Not quite: the answer is **{answer}**. {why}", icon=":material/lightbulb:")


def _num(x, digits: int) -> str:
    if x is None:
        return "—"
    return f"{x:.{digits}e}" if abs(x) >= 1e6 else f"{x:.{digits}f}"


def fmt_vec(v, digits: int = 4) -> str:
    """``[0.4223, 0.1554, …]``; None shows as "—" (outside the scope)."""
    return "[" + ", ".join(_num(x, digits) for x in v) + "]"


def row_arithmetic(s: T.Steps, i: int, names: Sequence[str]) -> str:
    """Markdown that recomputes row ``i`` of ``s`` by hand from the page's formulas."""
    e, m, a = s.scores[i], s.mask[i], s.weights[i]
    inside = [names[j] for j in range(len(e)) if m[j]]
    lines = [f"**Row {names[i]}** — scores e = {fmt_vec(e)}; in scope S({names[i]}) = "
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
        best = T.argmax_tokens(np.where(m, e, -np.inf))
        tie = f" (a tie between {', '.join(names[j] for j in best)}: the first wins)" if len(best) > 1 else ""
        lines.append(f"The largest in-scope score is at {names[best[0]]}{tie}, so α = {fmt_vec(a, 0)}.")
    terms = " + ".join(f"{a[j]:.4f}·{names[j]}" for j in range(len(a)) if a[j] != 0)
    lines.append(f"Output c = {terms} = {fmt_vec(s.output[i])}.")
    return "  \n".join(lines)


# ------------------------------------------------------------------ compare page
KINDS = ("soft", "hard", "sampled", "sparsemax")
KIND_LABELS = ("Soft", "Hard (arg-max)", "Hard (sampled)", "Sparsemax")
SCOPES = ("global", "local", "causal", "local_p")
SCOPE_LABELS = ("Global", "Local (window w)", "Causal", "Local-p (Luong)")
DEFAULT_VARIANTS = (T.Variant("soft", "global"), T.Variant("hard", "global"),
                    T.Variant("soft", "local", 2), T.Variant("soft", "local_p", 2))


def variant_params(i: int, v: T.Variant) -> list[P.Param]:
    """URL parameters ``type{i}``, ``scope{i}``, ``w{i}``, ``T{i}`` of variant ``i`` (1-based)."""
    return [P.Choice(f"type{i}", "Type", v.kind, options=KINDS, labels=KIND_LABELS),
            P.Choice(f"scope{i}", "Scope", v.scope, options=SCOPES, labels=SCOPE_LABELS),
            P.Int(f"w{i}", "Window w", v.window, lo=0, hi=16),
            P.Float(f"T{i}", "Temperature T", v.temperature, lo=0.05, hi=5.0, step=0.05)]


def variant_from_state(i: int) -> T.Variant:
    s = st.session_state
    return T.Variant(s[f"type{i}"], s[f"scope{i}"], int(s[f"w{i}"]), float(s[f"T{i}"]))


def variant_caption(v: T.Variant, r, seed: int) -> str:
    """What to know to check a variant's heatmap by hand."""
    parts = []
    if v.scope == "local_p":
        p = ", ".join(f"{x:.2f}" for x in r.positions.tolist()[:12])
        more = ", …" if r.positions.numel() > 12 else ""
        parts.append(f"Centres p_i = [{p}{more}] (seeded random W_p, v_p, seed {seed}); weights × "
                     f"Gaussian (σ = w/2 = {v.window / 2:g}), so rows sum to less than 1.")
    elif v.kind in ("hard", "sampled"):
        parts.append("One 1 per row" + (f" (drawn with seed {seed})." if v.kind == "sampled"
                                        else " (the arg-max; first on ties)."))
    else:
        parts.append("Each row sums to 1.")
    n = r.weights.shape[-1]
    if v.scope == "local" and v.window >= n - 1:
        parts.append(f"w = {v.window} ≥ n − 1 = {n - 1}: every key is inside the window, so this "
                     "is the same as global.")
    elif v.scope in ("local", "causal", "local_p"):
        parts.append("Blank = outside the scope.")
    if r.weights[0].sum(-1).eq(0).any():
        k = int(r.weights[0].sum(-1).eq(0).sum())
        parts.append(f"{k} row(s) have an empty scope and attend to nothing (all 0).")
    return " ".join(parts)
