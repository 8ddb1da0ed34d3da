"""Summarize page: an extractive summary by attention pooling over sentence embeddings."""
import numpy as np
import pandas as pd
import streamlit as st

from attention.applications import MAX_SENTENCES, document_query, split_sentences, summarize
from attention.text import clean_text
from dashboard import export, params as P, ui
from dashboard import applications as A
from figures.alignment import summary_bars

PARAMS = [
    P.Text("su_text", "Paragraph", A.DEFAULT_PARAGRAPH, max_chars=10_000),
    P.Choice("su_query", "Query q", "mean", options=("mean", "question"),
             labels=("The document: mean of the sentence embeddings", "A question, embedded the same way")),
    P.Text("su_question", "Question", A.DEFAULT_QUESTION, max_chars=500),
    P.Choice("su_score", "Score", "dot", options=tuple(A.POOL_SCORE_LATEX),
             labels=("Dot product", "Cosine", "Scaled dot product")),
    P.Float("su_temp", "Temperature T", 0.05, lo=0.01, hi=2.0, step=0.01),
    P.Int("su_k", "Summary length k (sentences)", 2, lo=1, hi=10),
]
by = {p.key: p for p in PARAMS}

ui.page_setup("summarize")          # bars are two-tone (in the summary or not), not a colour scale
st.title("Summarize: attention pooling over sentences")
st.caption("An extractive summary: split the paragraph into sentences, embed each one with "
           "all-MiniLM-L6-v2, let one query attend over the sentences, keep the k most-attended "
           "sentences in their original order.")
ui.notices(P.load("summarize", PARAMS))
s = st.session_state


def _load_example():
    s["su_text"], s["su_question"] = A.PARAGRAPHS[s["para_example"]]


st.selectbox("Load an example paragraph", list(A.PARAGRAPHS), key="para_example", index=None,
             placeholder="Choose…", on_change=_load_example)
P.widget(by["su_text"], height=170)
a, b = st.columns([2, 3])
P.widget(by["su_query"], a, radio=True)
if s.su_query == "question":
    P.widget(by["su_question"], b, height=68)
a, b, c = st.columns(3)
P.widget(by["su_score"], a); P.widget(by["su_temp"], b); P.widget(by["su_k"], c)

text = ui.user_text(s.su_text)
sentences = split_sentences(text)
question = " ".join(clean_text(s.su_question, 500)[0].split())
if not sentences or (s.su_query == "question" and not question):
    st.info("Type a paragraph (or load an example) to summarize it." if not sentences else
            "Type a question, or use the document mean as the query.")
    ui.share_link(P.publish(PARAMS), "summarize")
    st.stop()
if len(sentences) > MAX_SENTENCES:
    st.warning(f"The paragraph has {len(sentences)} sentences; this page keeps the first {MAX_SENTENCES}.")
    sentences = sentences[:MAX_SENTENCES]

sm = None
with ui.guard("embed the sentences"):
    S, dropped = A.embed(sentences)                                   # (n, d)
    if dropped:
        st.warning(f"The model reads at most 512 tokens per sentence: {dropped} were dropped.")
    q = document_query(S) if s.su_query == "mean" else A.sentence_embedding(question)[0]
    sm = summarize(q, S, k=s.su_k, score=s.su_score, temperature=s.su_temp)
if sm is None:
    ui.share_link(P.publish(PARAMS), "summarize")
    st.stop()

n, top = len(sentences), list(sm.top)
labels = [f"{i + 1}: {A.short(t, 60)}" for i, t in enumerate(sentences)]
e, w = sm.scores.double().numpy(), sm.weights.double().numpy()                # (n,), (n,)
qname = "the document mean" if s.su_query == "mean" else f"question: {A.short(question, 50)}"

with ui.guard("draw the attention over sentences"):
    title = f"α over {n} sentences · {s.su_score}, T={s.su_temp:g} · q = {qname}"
    ui.plot(summary_bars(w, labels, top, title=title), key="summary_bars",
            name=f"summary_attention_{s.su_score}")
    export.download_buttons(np.stack([e, e / s.su_temp, w], axis=1), labels, ["score e", "e / T", "α"],
                            "summary_attention", "dl_summary",
                            meta={"query": qname, "score": s.su_score, "temperature": s.su_temp,
                                  "summary": [i + 1 for i in top]})
    st.caption(f"Blue bars: the {len(top)} sentence(s) with the largest α (the summary). The weights "
               f"sum to {w.sum():.4f}. Each sentence is embedded on its own, so a sentence that says "
               "\"it\" or \"they\" loses what the word refers to.")

with ui.guard("show the summary"):
    st.subheader(f"Summary ({len(top)} of {n} sentences, in their original order)")
    with st.container(border=True):
        st.text(" ".join(sentences[i] for i in top))

with ui.guard("show the formulas and numbers"):
    with st.expander("Formulas for this view", expanded=False):
        st.latex(r"s_i = \frac{\bar h_i}{\lVert \bar h_i \rVert},\quad \bar h_i = \text{mean of sentence }"
                 r" i \text{'s last hidden states},\qquad " + (r"q = \frac{1}{n}\sum_{i=1}^{n} s_i"
                 if s.su_query == "mean" else r"q = s_{\text{question}}"))
        st.latex(A.POOL_SCORE_LATEX[s.su_score]); st.latex(A.POOL_LATEX)
        st.caption(f"n = {n}, T = {s.su_temp:g}, ‖q‖ = {float(np.linalg.norm(q)):.4f}. The summary is "
                   f"the k = {s.su_k} sentences with the largest α_i (ties: the earlier one), in text "
                   "order. Sentences end at . ! ? followed by a space and a capital letter, except after "
                   "abbreviations such as Dr. or U.S.; a blank line always ends one.")
    st.dataframe(pd.DataFrame({"#": np.arange(1, n + 1), "α": w, "score e": e, "e / T": e / s.su_temp,
                               "in summary": np.isin(np.arange(n), top), "sentence": sentences}),
                 hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.4f")
                                for c in ("score e", "e / T", "α")})

ui.share_link(P.publish(PARAMS), "summarize")
