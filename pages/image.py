"""Image page: the attention mechanism on hand-made patch features of a photo (no trained model).

Pick a sample or upload a photo, click a patch: its query attends over all patches."""
import streamlit as st

from features.image import compute, state, view
from ui import page, params as P

prefs = page.setup("image")
page.notices(P.load("image", state.PARAMS))
s = st.session_state

left, right = st.columns([1, 2.8], gap="medium")
with left:
    pic, bad = view.picture_controls()
b = None
with right, page.guard("prepare the image"):
    b = compute.bundle(pic, int(s.patch), bool(s.position_encoding))
with right:
    view.picture_notes(pic, bad, b)
if b is not None:
    with left:
        view.controls(b["grid"])
    cfg = state.Settings.of(s)
    with right:
        if s.view == "matrix":
            with page.guard("compute the patch × patch matrix"):
                view.matrix(pic, b, cfg, prefs.colorscale)
        else:
            with page.guard("draw the attention overlay"):
                view.query(pic, b, cfg, prefs.colorscale, s.opacity)
        view.explain(pic, b, cfg)

page.share_link(P.publish("image", state.PARAMS), "image")
