"""Summarize page layout: the paragraph on top, query / question / k beside the chart (score and
temperature in "More settings"), the α bars, the summary, the formulas and a table of every number."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from figures.labels import visible
from ui import charts, params as P

from .compute import TIE, Summary, short
from .examples import PARAGRAPHS
from .figures import summary_bars
from .sentences import MAX_SENTENCES
from .state import BY

POOL_SCORE_LATEX = {
    "dot": r"e_i = q \cdot s_i",
    "cosine": r"e_i = \frac{q \cdot s_i}{\lVert q \rVert\, \lVert s_i \rVert}",
    "scaled_dot": r"e_i = \frac{q \cdot s_i}{\sqrt{d}},\quad d = 384",
}
POOL_LATEX = r"\alpha_i = \frac{\exp(e_i / T)}{\sum_{j=1}^{n} \exp(e_j / T)},\qquad c = \sum_i \alpha_i\, s_i"
QUERY_LATEX = {"mean": r"q = \frac{1}{n}\sum_{i=1}^{n} s_i", "question": r"q = s_{\text{question}}"}


def _load_example() -> None:
    s = st.session_state
    s["text"], s["question"] = PARAGRAPHS[s["para_example"]]


def text_row() -> None:
    """The paragraph, full width, with the example picker beside it."""
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    P.widget(BY["text"], c1, height=110)
    c2.selectbox("Load an example", list(PARAGRAPHS), key="para_example", index=None,
                 placeholder="Choose…", on_change=_load_example)


def controls() -> None:
    """The query (and its question) and k one click away, beside the chart; the score function
    and temperature in "More settings"."""
    P.widget(BY["query"], radio="vertical")
    if st.session_state.query == "question":
        P.widget(BY["question"], height=68)
    P.widget(BY["k"])
    with st.popover("More settings", icon=":material/tune:", width="stretch"):
        P.widget(BY["score"])
        P.widget(BY["temperature"])


def keep_first(sentences: list) -> list:
    """At most :data:`MAX_SENTENCES` sentences, with a warning when the paragraph had more."""
    if len(sentences) > MAX_SENTENCES:
        st.warning(f"The paragraph has {len(sentences)} sentences; this page keeps the first {MAX_SENTENCES}.")
    return sentences[:MAX_SENTENCES]


def labels_of(sentences, limit: int = 60) -> list:
    """"3: Worker bees are sterile…": the sentence number and the sentence cut to ``limit``."""
    return [f"{i + 1}: {short(t, limit)}" for i, t in enumerate(sentences)]


def query_name(question: str) -> str:
    s = st.session_state
    return "the document mean" if s.query == "mean" else f"question: {short(question, 50)}"


def chart(sm: Summary, sentences, qname: str, large: bool = False) -> None:
    """α over the sentences (the summary in blue), the CSV / JSON of every number, a caption.
    ``large`` (projector text): shorter sentence labels, so the bars keep their room."""
    s = st.session_state
    n, top = len(sentences), list(sm.top)
    labels = labels_of(sentences)
    e, w = sm.scores.double().numpy(), sm.weights.double().numpy()            # (n,), (n,)
    title = f"α over {n} sentences · {s.score}, T={s.temperature:g} · q = {qname}"
    charts.plot(summary_bars(w, labels_of(sentences, 32 if large else 60), top, title=title), key="summary_bars",
                name=f"summary_attention_{s.score}")
    charts.downloads(np.stack([e, e / s.temperature, w], axis=1), labels, ["score e", "e / T", "α"],
                     "summary_attention", "dl_summary",
                     meta={"query": qname, "score": s.score, "temperature": s.temperature,
                           "summary": [i + 1 for i in top]})
    st.caption(f"Blue bars: the {len(top)} sentence(s) with the largest α (the summary). The weights "
               f"sum to {w.sum():.4f}. Each sentence is embedded on its own, so a sentence that says "
               "\"it\" or \"they\" loses what the word refers to.")


def summary(sm: Summary, sentences) -> None:
    top = list(sm.top)
    st.markdown(f"**Summary** ({len(top)} of {len(sentences)} sentences, in their original order)")
    with st.container(border=True):
        st.text(visible(" ".join(sentences[i] for i in top)))


def formulas(q: np.ndarray, n: int) -> None:
    s = st.session_state
    with st.expander("Formulas for this view", expanded=False):
        st.latex(r"s_i = \frac{\bar h_i}{\lVert \bar h_i \rVert},\quad \bar h_i = \text{mean of sentence }"
                 r" i \text{'s last hidden states},\qquad " + QUERY_LATEX[s.query])
        st.latex(POOL_SCORE_LATEX[s.score])
        st.latex(POOL_LATEX)
        st.caption(f"n = {n}, T = {s.temperature:g}, ‖q‖ = {float(np.linalg.norm(q)):.4f}. The summary is "
                   f"the k = {s.k} sentences with the largest α_i, in text order; α_i within {TIE:g} of "
                   "each other count as tied, and a tie goes to the earlier sentence. Sentences end at "
                   ". ! ? followed by a space and a capital letter, except after abbreviations such as "
                   "Dr. or U.S.; a blank line always ends one.")


def numbers(sm: Summary, sentences) -> None:
    """Every sentence's score and weight, to check by hand."""
    s = st.session_state
    n = len(sentences)
    e, w = sm.scores.double().numpy(), sm.weights.double().numpy()            # (n,), (n,)
    st.dataframe(pd.DataFrame({"#": np.arange(1, n + 1), "α": w, "score e": e, "e / T": e / s.temperature,
                               "in summary": np.isin(np.arange(n), list(sm.top)),
                               "sentence": [visible(t) for t in sentences]}),
                 hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.4f")
                                for c in ("score e", "e / T", "α")})
