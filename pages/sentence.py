"""Sentence page: a real model's attention over a typed sentence, every mechanism."""
import numpy as np
import pandas as pd
import streamlit as st

import figures
from attention.text import display_tokens
from dashboard import cache, compute, export, formulas as F, params as P, presets, ui

PARAMS = [
    P.Text("text", "Sentence", presets.DEFAULT_SENTENCE, max_chars=10_000),
    P.Choice("type", "Attention type", "soft", options=("soft", "hard", "sampled", "sparsemax"),
             labels=("Soft", "Hard (arg-max)", "Hard (sampled)", "Sparsemax")),
    P.Choice("form", "Form", "self", options=("self", "pooling"),
             labels=("Self-attention (every token queries)", "Pooling (one query)")),
    P.Choice("scope", "Scope", "global", options=("global", "local", "causal", "local_p"),
             labels=("Global", "Local (window w)", "Causal", "Local-p (Luong)")),
    P.Int("window", "Window w", 2, lo=0, hi=64),
    P.Choice("source", "Queries and keys from", "model", options=("model", "embed"),
             labels=("The model: a layer and head (learned W_Q, W_K, W_V)", "Token embeddings X (q = k = v = X)")),
    P.Int("layer", "Layer", 1, lo=1, hi=6), P.Int("head", "Head", 1, lo=1, hi=12),
    P.Choice("score", "Score function", "scaled_dot", options=tuple(F.SCORE_LABELS),
             labels=tuple(F.SCORE_LABELS.values())),
    P.Choice("wa", "W_a", "identity", options=("identity", "random"), labels=("Identity", "Random (seeded)")),
    P.Float("temp", "Temperature T", 1.0, lo=0.05, hi=5.0, step=0.05),
    P.Int("seed", "Seed", 0, lo=0, hi=9999),
    P.Choice("pq", "Pooling query", "token", options=("token", "mean"),
             labels=("The inspected token's query", "Mean of all queries")),
    P.Int("row", "Inspect query token #", 0, lo=0, hi=511),
]
by = {p.key: p for p in PARAMS}

prefs = ui.page_setup("sentence")
st.title("Sentence attention")
st.caption("Type a sentence; see how all-MiniLM-L6-v2 (a real pretrained model, running here) "
           "or the bare token embeddings attend, under each attention mechanism.")
ui.notices(P.load("sentence", PARAMS))


def _load_example():
    st.session_state["text"] = presets.SENTENCES[st.session_state["example"]]


c1, c2 = st.columns([3, 1])
with c2:
    st.selectbox("Load an example", list(presets.SENTENCES), key="example", index=None,
                 placeholder="Choose…", on_change=_load_example)
with c1:
    P.widget(by["text"], height=90)
s = st.session_state
a, b, c = st.columns(3)
P.widget(by["type"], a, radio=True); P.widget(by["form"], b, radio=True); P.widget(by["scope"], c, radio=True)
a, b, c = st.columns(3)
P.widget(by["window"], a, disabled=s.scope not in ("local", "local_p"))
P.widget(by["temp"], b, disabled=s.type == "hard")
P.widget(by["seed"], c, disabled=s.type != "sampled" and s.scope != "local_p")
a, b, c, d = st.columns([3, 1, 1, 2])
P.widget(by["source"], a)
P.widget(by["layer"], b, disabled=s.source != "model"); P.widget(by["head"], c, disabled=s.source != "model")
P.widget(by["score"], d)
if s.score == "general":
    P.widget(by["wa"], d)
if s.form == "pooling":
    P.widget(by["pq"], d)

text = ui.user_text(s.text)
if not text.strip():
    st.info("Type a sentence (or load an example) to see its attention.")
    st.stop()

with ui.guard("run the model"):
    enc = cache.encode(text)
    tokens, n = list(enc["tokens"]), len(enc["tokens"])
    ui.warn_dropped(enc)
    if n <= 2:
        st.info("This text has no word pieces the model knows (only invisible or control "
                "characters?): all that is left is [CLS] and [SEP].")
    if s.row >= n:
        s.row = 0
    labels = display_tokens(tokens)
    r = compute.sentence_attention(enc, source=s.source, layer=s.layer, head=s.head, form=s.form,
                                   attn_type=s.type, scope=s.scope, window=s.window, score=s.score,
                                   temperature=s.temp, seed=s.seed, W_a=s.wa, query_row=s.row,
                                   query_mode=s.pq)
    where = f"layer {s.layer}, head {s.head}" if s.source == "model" else "token embeddings"
    title = f"{where} · {r.options.describe()}"
    with st.expander("Formulas for this view", expanded=False):
        for key in (F.SCORE_LATEX[s.score], F.SCOPE_LATEX[s.scope],
                    F.NORM_LATEX[compute.NORM_CODES[s.type]], F.OUTPUT_LATEX):
            st.latex(key)
        d = 32 if s.source == "model" else 384
        st.caption(f"d = {d}; T = {s.temp:g}; w = {s.window}. Keys outside S(i) get weight 0; "
                   "a query whose S(i) is empty attends to nothing (all weights 0).")
    if s.form == "self":
        ev = ui.plot(figures.heatmap(r.weights[0].numpy(), labels, labels, title=title,
                                     colorscale=prefs.colorscale, clickable=True,
                                     highlight_row=s.row, scope_mask=r.mask.numpy()),
                     key="heatmap", name=f"attention_{s.source}_{s.type}_{s.scope}",
                     on_select="rerun", selection_mode="points")
        pts = (ev or {}).get("selection", {}).get("points", []) if ev else []
        if pts and int(pts[0].get("y", -1)) != s.row and 0 <= int(pts[0]["y"]) < n:
            s.row = int(pts[0]["y"])
            st.rerun()
        export.download_buttons(r.weights[0].numpy(), labels, labels, "attention_weights", "dl",
                                meta={"view": title, "rows": "query", "columns": "key"})
        st.caption("Row i: how query token i spreads its attention over the keys. "
                   + ("Each row sums to 1 (0 if its scope is empty). " if s.scope != "local_p" else
                      "Local-p multiplies by a Gaussian, so rows sum to less than 1. ")
                   + "Blank cells are outside the query's scope. Click a cell to inspect its row below.")
    else:
        qname = tokens[s.row] if s.pq == "token" else "mean of all queries"
        ui.plot(figures.bars(r.weights[0, 0].numpy(), labels, title=f"{title} · query: {qname}"),
                key="bars", name=f"pooling_{s.type}_{s.scope}")
        export.download_buttons(r.weights[0].numpy(), [f"query: {qname}"], labels, "pooling_weights",
                                "dl", meta={"view": title})
        if s.scope in ("local", "causal"):
            st.caption(f"The {s.scope} scope is placed at the inspected token #{s.row}: "
                       + ("keys j with |j − i| ≤ w." if s.scope == "local" else "keys j ≤ i."))

with ui.guard("show the numbers"):
    st.slider("Inspect query token #", 0, max(n - 1, 1), key="row", disabled=n < 2)
    row = 0 if s.form == "pooling" else s.row
    tab = compute.row_table(r, row, labels)
    st.markdown(f"**Query {ui.inline_code(tokens[s.row])} (#{s.row})**: "
                f"sum of weights = {np.sum(tab['weight α']):.4f}")
    st.dataframe(pd.DataFrame(tab), hide_index=True, width="stretch", height=260,
                 column_config={k: st.column_config.NumberColumn(format="%.4f")
                                for k in ("score e", "e / T", "weight α", "Gaussian factor")})

ui.share_link(P.publish(PARAMS), "sentence")
