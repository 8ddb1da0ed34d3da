"""Translate page: small translation models trained here, one per attention type, show where
they look to turn a date typed in any of 9 locales into ISO (the alignment IS the decoding's
attention).  The locale tag decides an ambiguous numeric date; an impossible output is never
presented as the translation; the unsure flag is calibrated."""
import streamlit as st

from attention.models.seq2seq import VARIANTS
from features.translate import compute, live, state, view
from ui import learning, page, params as P

prefs = page.setup("translate")
page.notices(P.load("translate", state.PARAMS))
P.apply_pending()
s = st.session_state

left, right = st.columns([1, 2.7], gap="medium")
with left:
    view.controls()
opts = (s.beam, s.normalization, int(s.seed), s.constrained)
ans = compute.answer(s.text, s.locale, s.variant, *opts)
tr = None
with right:
    if ans.refused:
        view.refusal(ans)
        before = view.previous()
        if before is not None and not ans.missing and before != (s.text, s.locale):
            ans = compute.answer(*before, s.variant, *opts)
            st.caption(f"Still showing the previous date: {page.inline_code(before[0])} "
                       f"({state.LOCALE_LABELS[before[1]]}).")
    else:
        view.remember(s.text, s.locale)
    if not ans.refused:
        with page.guard("translate this date"):
            view.reads(ans)
            tr = ans.main
            if ans.readings:
                view.ambiguity(ans, s.row, prefs.colorscale)
            elif s.compare != "none":
                other = compute.answer(ans.screen.text, ans.screen.locale, s.compare, *opts).main
                view.pair([("", tr, "heatmap"), ("", other, "heatmap_b")], s.row, prefs.colorscale)
            elif ans.constrained is not None:
                view.constrained(ans, s.row, prefs.colorscale)
            else:
                view.result(tr)
                view.chart(tr, s.row, prefs.colorscale, "heatmap")
            view.caption(tr)
if tr is not None:
    with page.guard("show one step's numbers"):
        view.inspect(tr)
    view.formulas(tr)
with page.guard("show the accuracy table"):
    view.accuracy()
learning.how_it_learned("translate", VARIANTS, variant=s.variant, colorscale=prefs.colorscale)
live.section(prefs.colorscale)

page.share_link(P.publish("translate", state.PARAMS), "translate")
