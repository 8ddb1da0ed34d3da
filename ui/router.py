"""The one workaround on a private Streamlit API, alone and loud.

**The trap.**  Streamlit keeps a process-wide class flag,
``streamlit.runtime.pages_manager.PagesManager.uses_pages_directory``, meaning "this app uses
the legacy ``pages/`` folder".  It starts True because our page files live in ``pages/`` (the
project layout wants that folder) and only turns False once ``st.navigation`` runs.  If the very
first request after a server start is a deep link (``/sentence?...``), Streamlit runs
``pages/sentence.py`` on its own: no ``app.py``, no page config, a legacy sidebar.  AppTest
resets the flag before every run and hits the same path.

**The fix.**  :func:`ensure_router` (called first thing by every page, through
``ui.page.setup``) clears the flag and reruns, which hands the request to ``app.py``; its router
then opens the same page (``url_path`` equals the file name, so the page hash is identical).

**Loud.**  If a Streamlit upgrade moves or renames the attribute, :func:`ensure_router` logs an
error (and the pinned test ``tests/test_router.py`` fails) instead of silently falling back to
the legacy behaviour.  Verified with :data:`VERIFIED_STREAMLIT`.
"""
from __future__ import annotations

import logging
from pathlib import Path

import streamlit as st

log = logging.getLogger("attention_explorer.router")

#: The Streamlit release this workaround was verified against (a test pins it).
VERIFIED_STREAMLIT = "1.67.0"
_ATTRIBUTE = "uses_pages_directory"


def pages_manager():
    """Streamlit's private ``PagesManager`` class, or None (logged as an error) if it moved."""
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:
        log.error("streamlit.runtime.pages_manager.PagesManager is gone (Streamlit %s; verified with "
                  "%s): deep links on a fresh server may run a page without app.py",
                  st.__version__, VERIFIED_STREAMLIT)
        return None
    if not hasattr(PagesManager, _ATTRIBUTE):
        log.error("PagesManager.%s is gone (Streamlit %s; verified with %s): deep links on a fresh "
                  "server may run a page without app.py", _ATTRIBUTE, st.__version__, VERIFIED_STREAMLIT)
        return None
    return PagesManager


def ensure_router() -> None:
    """Make sure ``app.py``'s ``st.navigation`` router is in charge (see the module docstring)."""
    pm = pages_manager()
    if pm is not None and getattr(pm, _ATTRIBUTE):
        setattr(pm, _ATTRIBUTE, False)
        st.rerun()


def alias(page_file: str, url_path: str):
    """A hidden ``st.Page`` at ``/url_path`` that runs ``page_file`` (a self-contained page
    script): the default page is served at ``/``, so without it ``/home`` would be "Page not
    found"."""
    path = Path(page_file)
    if not path.is_absolute():
        path = Path(__file__).resolve().parent.parent / path
    code = compile(path.read_text(encoding="utf-8"), str(path), "exec")

    def run() -> None:
        exec(code, {"__name__": "__main__", "__file__": str(path)})   # noqa: S102 - our own page

    run.__name__ = f"{url_path}_alias"
    return st.Page(run, title=url_path.title(), url_path=url_path, visibility="hidden")
