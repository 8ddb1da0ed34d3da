"""Sentence page layout: the text on top, the everyday controls beside the chart, the rest in "More settings",
the heatmap (or α bars for pooling), and the row table for checking by hand."""
from __future__ import annotations

import numpy as np
import streamlit as st

import figures
from figures import describe
from attention.masks import windowed as is_windowed
from ui import charts, examples, page, params as P
from ui.vocab import NORMALIZATION_LATEX, OUTPUT_LATEX, SCOPE_LATEX, SCORE_LATEX, row_sum_note

from . import compute
from .state import BY


def _load_example() -> None:
    st.session_state["text"] = examples.SENTENCES[st.session_state["example"]]


def text_row() -> None:
    """The sentence, full width, with the example picker beside it."""
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    P.widget(BY["text"], c1, height=68)
    c2.selectbox("Load an example", list(examples.SENTENCES), key="example", index=None,
                 placeholder="Choose…", on_change=_load_example)


def controls() -> None:
    """Type, scope, window, layer and head one click away (beside the chart); the rest in
    "More settings"."""
    s = st.session_state
    P.widget(BY["normalization"], radio="vertical")
    P.widget(BY["scope"], radio="vertical")
    P.widget(BY["window"], disabled=not is_windowed(s.scope))
    a, b = st.columns(2)
    P.widget(BY["layer"], a, disabled=s.source != "model")
    P.widget(BY["head"], b, disabled=s.source != "model")
    with st.popover("More settings", icon=":material/tune:", width="stretch"):
        P.widget(BY["form"], radio=True)
        P.widget(BY["source"])
        P.widget(BY["score"])
        if s.score == "general":
            P.widget(BY["W_a"])
        P.widget(BY["temperature"], disabled=s.normalization == "hard")
        P.widget(BY["seed"], disabled=s.normalization != "hard_sampled" and s.scope != "local_p")
        if s.form == "pooling":
            P.widget(BY["pooling_query"])


def chart(r, labels, tokens, title: str, colorscale: str) -> None:
    """The heatmap (self-attention: click a cell to inspect its row) or α bars (pooling)."""
    s = st.session_state
    if s.form == "self":
        w = r.weights[0].numpy()
        mask = r.mask.expand_as(r.weights)[0].numpy()
        ev = charts.plot(figures.heatmap(w, labels, labels, title=title, colorscale=colorscale,
                                         clickable=True, highlight_row=s.row, scope_mask=mask),
                         key="heatmap", name=f"attention_{s.source}_{s.normalization}_{s.scope}", select=True,
                         summary=describe.matrix_summary(np.where(mask, w, np.nan), labels, labels,
                                                         focus_row=s.row, rows="query", cols="key",
                                                         value_name="weight", title=title))
        pt = charts.clicked(ev)
        if pt is not None and 0 <= int(pt.get("y", -1)) < len(tokens):
            P.request(row=int(pt["y"]))
        charts.downloads(w, labels, labels, "attention_weights", "dl",
                         meta={"view": title, "rows": "query", "columns": "key"})
        st.caption("Row i: how query token i spreads its attention over the keys. " + row_sum_note(s.scope)
                   + "Blank cells are outside the query's scope. Click a cell to inspect its row below.")
        return
    qname = tokens[s.row] if s.pooling_query == "token" else "mean of all queries"
    charts.plot(figures.bars(r.weights[0, 0].numpy(), labels, title=f"{title} · query: {qname}"),
                key="bars", name=f"pooling_{s.normalization}_{s.scope}")
    charts.downloads(r.weights[0].numpy(), [f"query: {qname}"], labels, "pooling_weights", "dl",
                     meta={"view": title})
    if s.scope in ("local", "causal"):
        st.caption(f"The {s.scope} scope is centred on the inspected token #{s.row}: "
                   + ("keys j with |j − i| ≤ w." if s.scope == "local" else "keys j ≤ i."))


def formulas() -> None:
    s = st.session_state
    with page.lazy_section("Formulas for this view", "_formulas_open") as is_open:
        if not is_open:
            return
        for tex in (SCORE_LATEX[s.score], SCOPE_LATEX[s.scope], NORMALIZATION_LATEX[s.normalization],
                    OUTPUT_LATEX):
            st.latex(tex)
        d = 32 if s.source == "model" else 384
        st.caption(f"d = {d}; T = {s.temperature:g}; w = {s.window}. Keys outside S(i) get weight 0; "
                   "a query whose S(i) is empty attends to nothing (all weights 0).")


def numbers(r, labels, tokens) -> None:
    """Every score and weight of the inspected row, to check by hand."""
    s = st.session_state
    n = len(tokens)
    P.ranged_slider("Inspect query token #", 0, max(n - 1, 1), key="row", disabled=n < 2,
                    persist_state="page")
    tab = compute.row_table(r, 0 if s.form == "pooling" else s.row, labels)
    st.markdown(f"**Query {page.inline_code(tokens[s.row])} (#{s.row})**: "
                f"sum of weights = {np.sum(tab['weight α']):.4f}")
    charts.table(tab, key="row_table")
