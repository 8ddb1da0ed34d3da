"""Attention Explorer: entry point and router (``streamlit run app.py``).

Run as the app's script (every session: ``__name__ == "__main__"``), this file is the router:
page config + ``st.navigation`` over the page registry ``ui/sitemap.py`` (the one list of pages).
Each page in ``pages/`` is self-contained (it builds its own chrome through ``ui.page.setup``), so
it also works when Streamlit runs it directly.  ``url_path`` equals each file's name; the default
page (Home) is served at ``/`` and, through a hidden alias, at ``/home`` (see ``ui/router.py``).

Imported by ``streamlit run`` at server start, it defines ``app``: an ``st.App`` serving this same
file, whose lifespan warms torch, the pages' modules and the models in the background
(``ui/warmup.py``), so the first visitor does not pay for them.
"""
from pathlib import Path

import streamlit as st

from ui.sitemap import PAGES

ROOT = Path(__file__).resolve().parent
#: Modules the pages import, and model loaders: warmed when the server starts.
WARM_MODULES = ["torch", "plotly.graph_objects", "pandas", "attention", "attention.models.minilm",
                "ui.page", "ui.models"] + [f"features.{p.name}.view" for p in PAGES
                                            if (ROOT / "features" / p.name / "view.py").exists()]
WARM_CALLS = ["ui.models:minilm", "ui.models:warm_trained", "features.home.view:warm",
              "features.digits.compute:test_images"]

if __name__ == "__main__":
    from PIL import Image

    from ui.router import alias

    # A local favicon: a material-icon page_icon makes every browser fetch it from
    # fonts.gstatic.com, and the app must not depend on anything off the server.
    _ICON = Image.open(ROOT / "assets" / "favicon.png")
    st.set_page_config(page_title="Attention Explorer", page_icon=_ICON, layout="wide")
    # The default page is served at "/" whatever its url_path ("start" only has to differ from
    # the hidden alias "/<name>" that also serves it).
    nav = [st.Page(p.file, title=p.title, icon=p.icon, url_path="start" if p.default else p.name,
                   default=p.default) for p in PAGES]
    nav += [alias(p.file, p.name) for p in PAGES if p.default]
    st.navigation(nav).run()
else:
    from ui.memory import with_sweeper
    from ui.warmup import lifespan

    app = st.App(__file__, lifespan=with_sweeper(lifespan(WARM_MODULES, WARM_CALLS)))
