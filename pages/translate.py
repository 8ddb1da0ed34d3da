"""Translate page: small translation models trained here, one per attention type, show where
they look to turn a date in any of 9 locales into ISO (the alignment IS the decoding's attention)."""
import streamlit as st

from features.translate import compute, state, view
from ui import page, params as P

prefs = page.setup("translate")
page.notices(P.load("translate", state.PARAMS))
P.apply_pending()
s = st.session_state

left, right = st.columns([1, 2.7], gap="medium")
with left:
    view.controls()
chk = compute.check(s.text, s.variant)
tr = None
with right:
    if chk.error:
        view.input_problem(chk)
    else:
        with page.guard("translate this date"):
            args = (chk.source, s.beam, s.normalization, int(s.seed))
            tr = compute.translate(chk.source, s.variant, *args[1:])
            if s.compare == "none":
                view.result(tr, chk)
                view.chart(tr, s.row, prefs.colorscale, "heatmap")
                view.caption(tr)
            else:
                other = compute.translate(chk.source, s.compare, *args[1:])
                view.reading(chk)
                a, b = st.columns(2, gap="small")
                for col, x, key in ((a, tr, "heatmap"), (b, other, "heatmap_b")):
                    with col:
                        view.result(x, chk, short=True)
                        view.chart(x, s.row, prefs.colorscale, key, height=420, narrow=True)
                view.caption(tr)
if tr is not None:
    with page.guard("show one step's numbers"):
        view.inspect(tr)
    view.formulas(tr)
with page.guard("show the accuracy table"):
    view.accuracy()

page.share_link(P.publish("translate", state.PARAMS), "translate")
