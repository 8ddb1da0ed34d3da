"""Compare page: one input, 2-4 attention variants side by side, their difference and metrics."""
import streamlit as st

from attention.tutorial import compare_metrics
from features.compare import compute, state, view
from ui import models, page, params as P

prefs = page.setup("compare")
page.notices(P.load("compare", state.PARAMS))
s = st.session_state

# Every widget is drawn on every run, also while the sentence is empty (no st.stop before them).
view.input_row()
note = st.container()
boxes = view.variant_cards(s.variants)
view.keep_pair(s.variants)           # A and B stay inside the variants shown, and apart
variants = [state.variant(s, i) for i in range(1, s.variants + 1)]
about = st.container()
tabs = view.result_tabs()            # lazy: only the open tab's content runs
diff_tab, metrics_tab = tabs[view.DIFFERENCE], tabs[view.METRICS]
if diff_tab.open:
    with diff_tab:
        view.pair_pickers(s.variants)

text = page.user_text(s.text) if s.input == "sentence" else ""
inp = results = None
if s.input == "sentence" and not text.strip():
    note.info("Type a sentence to compare its attention.")
else:
    with note, page.guard("compute the variants"):
        if s.input == "sentence":
            enc = models.encode(text, None, state.MAX_TOKENS)
            page.warn_dropped(len(enc["tokens"]), int(enc["n_total"]), state.MAX_TOKENS, reader="This page")
            inp = compute.sentence_input(enc, s.layer, s.head)
        else:
            inp = compute.tiny_input()
        done = []             # each card's heatmap goes out as soon as its variant is computed
        for i, (box, v) in enumerate(zip(boxes, variants), 1):
            done.append(compute.run(inp, v, s.seed))
            view.heatmap(box, i, v, done[-1], inp, s.seed, prefs.colorscale)
        results = done

if results is not None:
    with about, page.guard("draw the variants"):
        view.input_caption(inp, text)
        view.formulas(inp.score, variants)
    if diff_tab.open:
        with diff_tab, page.guard("show the difference"):
            view.difference(variants, results, inp.labels)
    if metrics_tab.open:
        with metrics_tab, page.guard("compute the metrics"):
            view.metrics(variants, compare_metrics([r.weights[0].double().numpy() for r in results]),
                         len(inp.labels))

page.share_link(P.publish("compare", state.PARAMS), "compare")
