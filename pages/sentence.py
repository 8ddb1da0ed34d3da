"""Sentence page: a real model's attention over a typed sentence, every mechanism."""
import streamlit as st

from attention.models.minilm import display_tokens
from features.sentence import compute, state, view
from ui import models, page, params as P

prefs = page.setup("sentence")
page.notices(P.load("sentence", state.PARAMS))
P.apply_pending()
s = st.session_state

view.text_row()
left, right = st.columns([1, 2.7], gap="medium")
with left:
    view.controls()
text = page.user_text(s.text)
if not text.strip():
    right.info("Type a sentence (or load an example) to see its attention.")
else:
    with right, page.guard("run the model"):
        page.showing(text, "sentence")
        enc = models.encode(text)
        tokens, n = list(enc["tokens"]), len(enc["tokens"])
        page.warn_dropped(n, int(enc["n_total"]))
        if n <= 2:
            st.info("This text has no word pieces the model knows (only invisible or control "
                    "characters?): all that is left is [CLS] and [SEP].")
        if s.row >= n:
            s.row = 0
        labels = display_tokens(tokens)
        r = compute.sentence_attention(enc, s)
        where = f"layer {s.layer}, head {s.head}" if s.source == "model" else "token embeddings"
        view.chart(r, labels, tokens, f"{where} · {r.describe()}", prefs.colorscale)
        view.formulas()
    with page.guard("show the numbers"):
        view.numbers(r, labels, tokens)

page.share_link(P.publish("sentence", state.PARAMS), "sentence")
