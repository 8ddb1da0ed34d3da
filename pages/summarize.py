"""Summarize page: an extractive summary by attention pooling over sentence embeddings."""
import streamlit as st

from features.summarize import compute, state, view
from features.summarize.sentences import split_sentences
from ui import page, params as P

prefs = page.setup("summarize")
page.notices(P.load("summarize", state.PARAMS))
s = st.session_state

view.text_row()
left, right = st.columns([1, 2.7], gap="medium")
with left:
    view.controls()
sm = None
with right:
    paragraph = page.user_text(s.text)
    sentences = split_sentences(paragraph)
    question = compute.clean_question(s.question)
    if not sentences:
        st.info("Type a paragraph (or load an example) to summarize it.")
    elif s.query == "question" and not question:
        st.info("Type a question, or use the document mean as the query.")
    else:
        page.showing(paragraph, "paragraph")             # which text the summary is for (issue 26 #2)
        if s.query == "question":
            page.showing(question, "question")
        sentences = view.keep_first(sentences)
        with page.guard("embed the sentences"):
            sm, q, dropped = compute.page_summary(sentences, s)
            if dropped:
                st.warning(f"The model reads at most 512 tokens per sentence: {dropped} were dropped.")
    if sm is not None:
        with page.guard("draw the attention over sentences"):
            view.chart(sm, sentences, view.query_name(question), prefs.large)
        with page.guard("show the summary"):
            view.summary(sm, sentences)

if sm is not None:
    with page.guard("show the formulas and numbers"):
        view.formulas(q, len(sentences))
        view.numbers(sm, sentences)

page.share_link(P.publish("summarize", state.PARAMS), "summarize")
