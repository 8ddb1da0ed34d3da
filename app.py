"""Attention Explorer: entry point and router (``streamlit run app.py``).

Run as the app's script (every session: ``__name__ == "__main__"``), this file is the router:
page config + ``st.navigation``.  Each page in ``pages/`` is self-contained (it builds its own
chrome through ``ui.page.setup``), so it also works when Streamlit runs it directly.
``url_path`` equals each file's name; the default page (Home) is served at ``/`` and, through a
hidden alias, at ``/home`` (see ``ui/router.py``).

Imported by ``streamlit run`` at server start, it defines ``app``: an ``st.App`` serving this same
file, whose lifespan warms torch, the pages' modules and the models in the background
(``ui/warmup.py``), so the first visitor does not pay for them.
"""
from pathlib import Path

import streamlit as st

#: Modules the pages import, and model loaders: warmed when the server starts.
WARM_MODULES = ["torch", "plotly.graph_objects", "pandas", "attention", "attention.text",
                "ui.page", "ui.models", "features.home.view", "features.sentence.view",
                "features.model.view", "features.image.view", "features.translate.view",
                "features.digits.view", "features.summarize.view", "features.learn.view",
                "features.compare.view"]
WARM_CALLS = ["ui.models:minilm", "ui.models:warm_trained", "features.home.view:warm",
              "features.digits.compute:test_images"]

if __name__ == "__main__":
    from PIL import Image

    from ui.router import alias

    # A local favicon: a material-icon page_icon makes every browser fetch it from
    # fonts.gstatic.com, and the app must not depend on anything off the server.
    _ICON = Image.open(Path(__file__).resolve().parent / "assets" / "favicon.png")
    st.set_page_config(page_title="Attention Explorer", page_icon=_ICON, layout="wide")
    PAGES = [
        st.Page("pages/home.py", title="Home", icon=":material/home:", url_path="start", default=True),
        st.Page("pages/sentence.py", title="Sentence", icon=":material/notes:", url_path="sentence"),
        st.Page("pages/model.py", title="Model explorer", icon=":material/grid_view:", url_path="model"),
        st.Page("pages/image.py", title="Image", icon=":material/image:", url_path="image"),
        st.Page("pages/digits.py", title="Read digits", icon=":material/draw:", url_path="digits"),
        st.Page("pages/translate.py", title="Translate", icon=":material/translate:", url_path="translate"),
        st.Page("pages/summarize.py", title="Summarize", icon=":material/summarize:", url_path="summarize"),
        st.Page("pages/learn.py", title="Learn", icon=":material/school:", url_path="learn"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare:", url_path="compare"),
        alias("pages/home.py", "home"),
    ]
    st.navigation(PAGES).run()
else:
    from ui.warmup import lifespan

    app = st.App(__file__, lifespan=lifespan(WARM_MODULES, WARM_CALLS))
