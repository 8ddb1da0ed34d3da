"""Read digits page: captioning models trained here (Show, Attend and Tell) read a handwritten
digit string -- drawn, uploaded or a generated test image -- and show where they looked."""
import streamlit as st

from attention.models.captioner import VARIANTS
from features.digits import compute, state, view
from ui import learning, page, params as P

prefs = page.setup("digits")
page.notices(P.load("digits", state.PARAMS))
P.apply_pending()
s = st.session_state

top_l, top_r = st.columns([1.3, 1], gap="medium")
with top_r:
    view.controls()
with top_l:
    shown, problem = view.picture()
    view.strip(shown)
    # the usage hint goes under the shorter column, so the maps start on the first screen: under
    # a drawing's or photo's short strip (a test image's or an example's hint is part of its caption)
    hint_left = len(shown.stages) > 1
    if hint_left:
        view.hints(shown)
with top_r:
    if not hint_left:
        view.hints(shown)
    if problem:
        st.warning(problem + ("  \nStill showing the previous picture." if shown.kind != "example" else ""))
r = None
with page.guard("read the digits"):
    r = compute.read(shown.image, s.variant, s.order, int(s.samples), int(s.seed))
    view.caption(r, shown)
    view.small_multiples(r, shown, prefs.colorscale)
if r is not None:
    with page.guard("show one digit's map"):
        view.inspect(r, shown, prefs.colorscale)
    if s.variant == "hard":
        a, b = st.columns(2)
        P.widget(state.BY["samples"], a)
        P.widget(state.BY["seed"], b)
    view.explain(r)
with page.guard("show the accuracy table"):
    view.accuracy()
with page.guard("show the model card"):
    view.model_card(s.variant, s.order, prefs.colorscale)
learning.how_it_learned("caption", VARIANTS, variant=s.variant, order=s.order, colorscale=prefs.colorscale)

page.share_link(P.publish("digits", state.PARAMS), "digits")
