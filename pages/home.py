"""Home: a live picture from the model, what Attention Explorer is, lesson presets, the pages."""
import streamlit as st

from features.home import presets, view
from ui import page, params as P

prefs = page.setup("home")
page.notices(P.load("home", []))        # no parameters: any link parameter gets a notice

left, right = st.columns([5, 4], gap="large")
with left:
    with page.guard("draw the example"):
        view.picture(prefs.colorscale)
with right:
    st.markdown(
        "See what attention does — in a real pretrained transformer (all-MiniLM-L6-v2, running "
        "here, offline), in small translation and handwriting models trained here, and in the "
        "textbook mechanisms: **soft**, **hard** and **self-attention**, **global** or **local** "
        "with a window. Every number on every page can be checked by hand from the formulas the "
        "page states.")
    view.lessons()

st.header("All pages")
page.page_links(presets.pages())
P.publish("home", [])
