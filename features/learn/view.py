"""Learn page layout, the interactive part: X and W_a on top (their editors in a popover), the
mechanism beside the charts of the scores and weights, then lazy tabs: one row worked out by hand,
the four steps as tables, and the lesson (features.learn.lesson)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from ui import charts, params as P

from . import figures as page_figures
from .compute import Steps, resize
from .editor import matrix_editor, reset, show_matrix
from .formulas import (SELF_NORMALIZATION_LATEX, SELF_OUTPUT_LATEX, SELF_SCOPE_LATEX,
                       SELF_SCORE_LATEX, names, row_arithmetic)
from .snippet import run_circulated
from .state import BY, MAX_FEATURES, MAX_TOKENS, format_matrix


def _resize() -> None:
    s = st.session_state
    n, d = int(s.n_tokens), int(s.n_features)
    s.X = format_matrix(resize(BY["X"].matrix(s.X), n, d))
    s.W_a = format_matrix(resize(BY["W_a"].matrix(s.W_a), d, d, "identity"))
    s.row = min(s.row, n)


#: The lazy tabs under the charts: only the open tab's content runs and is sent to the browser
#: (its tables, formulas and code load only when a student opens it).
TAB_KEY = "_learn_tab"
BY_HAND, STEPS, FORMULAS, TINY, SOFT_HARD_LOCAL = TABS = (
    "Check a row by hand", "The four steps, every number", "1 · The formulas",
    "2 · The classic tiny example", "3 · Soft vs hard vs local")
EDIT_KEY = "_learn_edit"


def matrices_row() -> tuple[np.ndarray, np.ndarray]:
    """X and W_a as small tables, with their editors (and sizes) one click away in a popover
    whose content runs only while it is open; returns ``(X (n, d), W_a (d, d))``."""
    s = st.session_state
    X, W_a = BY["X"].matrix(s.X), BY["W_a"].matrix(s.W_a)
    n, d = X.shape
    s.n_tokens, s.n_features = n, d
    a, b, c = st.columns([1.25, 1.25, 1], gap="medium")
    unused = " (not used by the dot score)" if s.score == "dot" else ""
    with c.popover("Edit X and W_a", icon=":material/edit:", key=EDIT_KEY, on_change="rerun",
                   width="stretch") as pop:
        if pop.open:
            X, W_a = _editors(n, d, unused)          # an edit made in this run is in X, W_a
    a.markdown("**X** (one row per token)  \n" + _table(X, "token", names("x", n), names("f", d)))
    b.markdown(f"**W_a**{unused}  \n" + _table(W_a, "feature", names("f", d), names("f", d)))
    return X, W_a


def _table(m: np.ndarray, corner: str, rows, cols) -> str:
    """A small matrix as a Markdown table, entries as in the share link (``%.10g``); ``corner``
    names the row-label column (a header cell a screen reader can read, never empty)."""
    return charts.number_table({corner: rows, **{c: [f"{v:.10g}" for v in m[:, j]] for j, c in enumerate(cols)}})


def _editors(n: int, d: int, unused: str) -> tuple[np.ndarray, np.ndarray]:
    """The sizes, the reset button and the two cell editors."""
    s = st.session_state
    n_col, d_col = st.columns(2)
    n_col.number_input("Tokens n", 2, MAX_TOKENS, key="n_tokens", on_change=_resize)
    d_col.number_input("Features d", 1, MAX_FEATURES, key="n_features", on_change=_resize)
    st.button("Reset to the tiny example", key="reset", icon=":material/restart_alt:",
              on_click=reset, args=(BY["X"], BY["W_a"]), width="stretch")
    st.markdown("**X** (one row per token)")
    X = matrix_editor(BY["X"], names("x", n), names("f", d), corner="token")
    st.markdown(f"**W_a**{unused}")
    W_a = matrix_editor(BY["W_a"], names("f", d), names("f", d), disabled=s.score == "dot", corner="feature")
    return X, W_a


def lesson_tabs() -> dict:
    """The tabs under the charts (lazy); returns label -> tab (``tab.open``: is it showing)."""
    return dict(zip(TABS, st.tabs(list(TABS), key=TAB_KEY, on_change="rerun")))


def controls() -> None:
    """The mechanism, one click away beside the charts."""
    s = st.session_state
    P.widget(BY["score"])
    P.widget(BY["scope"], radio="vertical")
    P.widget(BY["normalization"], radio="vertical")
    P.widget(BY["window"], disabled=s.scope != "local")
    P.widget(BY["temperature"], disabled=s.normalization == "hard")


def step_charts(r: Steps, colorscale: str) -> None:
    """Scores E and weights A side by side."""
    labels = names("x", r.X.shape[0])
    a, b = st.columns(2)
    with a:
        charts.plot(page_figures.scores_heatmap(r.scores, labels, title="1 · Scores E", colorscale=colorscale),
                    key="chart_scores", name=f"learn_scores_{r.score}")
    with b:
        charts.plot(page_figures.weights_heatmap(r.weights, r.mask, labels, title="3 · Weights A",
                                       colorscale=colorscale),
                    key="chart_weights", name=f"learn_weights_{r.score}_{r.scope}_{r.normalization}")
    st.caption("Row i = query xᵢ, column j = key xⱼ. Blank weights: j is outside S(i) "
               "(step 2, the mask); every row of A sums to 1 over its scope. The formulas and one "
               "row worked out by hand are in the first tab below.")


def step_tables(r: Steps) -> None:
    """The four steps as tables (full precision, CSV / JSON), two by two."""
    toks, feats = names("x", r.X.shape[0]), names("f", r.X.shape[1])
    c1, c2 = st.columns(2)
    with c1:
        show_matrix(r.scores, toks, toks, name="scores", key="m_scores", corner="query",
                    caption="1. Scores E: row i = query xᵢ, column j = key xⱼ.")
    with c2:
        show_matrix(r.mask, toks, toks, name="mask", key="m_mask", corner="query",
                    caption="2. Mask: ticked = j is in S(i), xᵢ may attend to xⱼ.")
    with c1:
        show_matrix(r.weights, toks, toks, name="weights", key="m_weights", corner="query",
                    caption="3. Weights A: each row sums to 1 over its scope.")
    with c2:
        show_matrix(r.output, toks, feats, name="output", key="m_output", corner="token",
                    caption="4. Output C = A·X: row i = Σⱼ αᵢⱼ xⱼ.")


def by_hand(r: Steps) -> None:
    """The formulas of this view, one row recomputed in words, and what the circulated snippet
    does with this X."""
    s = st.session_state
    n, d = r.X.shape
    for tex in (SELF_SCORE_LATEX[r.score], SELF_SCOPE_LATEX[r.scope],
                SELF_NORMALIZATION_LATEX[r.normalization], SELF_OUTPUT_LATEX):
        st.latex(tex)
    st.caption(f"n = {n}, d = {d}" + (f", w = {r.window}" if r.scope == "local" else "")
               + (f", T = {r.temperature:g}" if r.normalization == "soft" else "") + ".")
    s.row = min(s.row, n)
    st.columns([1, 3])[0].selectbox(BY["row"].label, list(range(1, n + 1)), key="row",
                                    format_func=lambda i: f"x{i}", persist_state="page")
    st.markdown(row_arithmetic(r, s.row - 1, names("x", n)))
    circ = run_circulated(r.X, r.W_a if r.score != "dot" else np.eye(d))
    st.caption(f"The circulated snippet (tab “{TINY}”) on this X: " + (
        f"{circ.error_type} ({circ.X_shape} @ {circ.X_shape} cannot multiply)." if circ.error else
        f"it runs because n = d = {n}, but its weights are still softmax over features, not tokens."))
