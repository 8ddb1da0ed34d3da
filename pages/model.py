"""Model explorer: every layer and head of all-MiniLM-L6-v2 -- what BertViz shows, and more
(head statistics, rollout, counterfactual attention, sentence-pair blocks, 512 tokens)."""
import streamlit as st

from features.model import compute, sections, state, view
from ui import page, params as P

prefs = page.setup("model")
page.notices(P.load("model", state.PARAMS))
P.apply_pending()
s = st.session_state

view.text_row()
view.view_picker()
text, pair = page.user_text(s.text), page.user_text(s.pair)
pair = pair if pair.strip() else ""
view.filters(has_pair=bool(pair))
if not text.strip():
    st.info("Type a text (or load an example) to see the model's attention.")
else:
    with page.guard("run the model"):
        page.showing(text, "text")                      # which text the charts are for (issue 26 #2)
        if pair:
            page.showing(pair, "text B")
        enc = compute.encode(text, pair)
        page.warn_dropped(len(enc["tokens"]), int(enc["n_total"]), pair=bool(pair))
        ctx = view.Ctx(text, pair, enc, prefs.colorscale)
        with page.guard(f"draw the {state.VIEWS[s.view].lower()} view"):
            sections.RENDER[s.view](ctx)

page.share_link(P.publish("model", state.PARAMS), "model")
