"""Listen page: spoken digit strings read by models trained here (Listen, Attend and Spell), one
per attention type -- content only, location-aware, windowed -- with the alignment each one used
drawn under the waveform and the log-mel, on one time axis.  Bad audio gets a message and the
previous recording stays."""
import streamlit as st

from attention.models.listener import VARIANTS
from features.listen import compute, state, view
from ui import learning, page, params as P

prefs = page.setup("listen")
page.notices(P.load("listen", state.PARAMS))
P.apply_pending()
s = st.session_state

left, right = st.columns([1, 2.9], gap="medium")
with left:
    view.controls()
    with page.guard("read this audio"):
        new, problem = view.source()
with right:
    audio = view.usable(new, problem)
    if audio is not None:
        page.showing(audio.name, "recording")     # which recording the result below is for
tr = None
if audio is not None:
    with right:
        with page.guard("listen to this recording"):
            tr = compute.listen(s.variant, audio)
            if s.row >= len(tr.tokens):
                s.row = 0
            if s.compare in ("none", s.variant):
                view.heard(tr, audio)
                view.picture(tr, audio, int(s.row), prefs.colorscale)
            else:
                other = compute.listen(s.compare, audio)
                view.compare(tr, other, audio, int(s.row), prefs.colorscale)
                st.caption("Each row: where that model listened to write that digit. Click a row to "
                           "see it below (for the first model).")
if tr is not None:
    with page.guard("show one digit's attention"):
        view.digit(tr, audio, int(s.row))
    view.formulas(s.variant)
with page.guard("show the accuracy table"):
    view.accuracy()
learning.how_it_learned("listen", VARIANTS, variant=s.variant, colorscale=prefs.colorscale)

page.share_link(P.publish("listen", state.PARAMS), "listen")
