"""Attention Explorer: entry point and router (``streamlit run app.py``).

Each page in ``pages/`` is self-contained (it builds its own chrome through ``ui.page.setup``),
so it also works when Streamlit runs it directly.  ``url_path`` equals each file's name; the
default page (Home) is served at ``/`` and, through a hidden alias, at ``/home``
(see ``ui/router.py``).
"""
from pathlib import Path

import streamlit as st
from PIL import Image

from ui.router import alias

# A local favicon: a material-icon page_icon makes every browser fetch it from fonts.gstatic.com,
# and the app must not depend on anything off the server.
_ICON = Image.open(Path(__file__).resolve().parent / "assets" / "favicon.png")
st.set_page_config(page_title="Attention Explorer", page_icon=_ICON, layout="wide",
)

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", url_path="start", default=True),
    st.Page("pages/sentence.py", title="Sentence", icon=":material/notes:", url_path="sentence"),
    st.Page("pages/model.py", title="Model explorer", icon=":material/grid_view:", url_path="model"),
    st.Page("pages/image.py", title="Image", icon=":material/image:", url_path="image"),
    st.Page("pages/translate.py", title="Translate", icon=":material/translate:", url_path="translate"),
    st.Page("pages/summarize.py", title="Summarize", icon=":material/summarize:", url_path="summarize"),
    st.Page("pages/learn.py", title="Learn", icon=":material/school:", url_path="learn"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:", url_path="compare"),
    alias("pages/home.py", "home"),
]
st.navigation(PAGES).run()
