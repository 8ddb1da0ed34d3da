"""Page chrome shared by every page: sidebar preferences, error guard, share link."""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass

import streamlit as st

from figures import COLORSCALES, export_config

from . import params as P

log = logging.getLogger("attention_explorer")

PREFS = [
    P.Choice("cmap", "Colour scale", "Viridis", options=COLORSCALES,
             help="All offered scales are perceptually uniform or single-hue, readable with colour-blindness."),
    P.Flag("big", "Large text (projector)", False,
           help="Bigger text everywhere, charts included: for a classroom projector."),
]

_BIG_CSS = "<style>html { font-size: 21px; }</style>"


@dataclass(frozen=True)
class Prefs:
    colorscale: str
    large: bool = False

    @property
    def font_size(self) -> int:
        """Font size for chart text (Plotly's default is 12)."""
        return 17 if self.large else 12


def _ensure_router() -> None:
    """Make sure ``app.py``'s ``st.navigation`` router is in charge.

    Streamlit keeps a process-wide flag saying "this app uses the legacy pages/
    folder"; it starts True because our pages live in ``pages/`` and only turns
    False once ``st.navigation`` runs.  If the very first request after a server
    start is a deep link (``/sentence?...``), Streamlit runs ``pages/sentence.py``
    on its own: no ``app.py``, no page config, a legacy sidebar.  AppTest resets
    the flag before every run and hits the same path.  Clearing the flag and
    rerunning hands the request to ``app.py``, which routes to the same page
    (``url_path`` equals the file name, so the page hash is identical).
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - future Streamlit without the flag
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_setup(page: str) -> Prefs:
    """Sidebar preferences every page shares.  Self-contained: works whether or not
    ``app.py`` ran first (see DESIGN.md's AppTest trap)."""
    _ensure_router()
    P.enter(page)
    P.register_global(PREFS)
    notices(P.load("_prefs", PREFS, ignore_unknown=True, page_scoped=False))
    with st.sidebar:
        P.widget(PREFS[0])
        P.widget(PREFS[1])
        st.caption("Light or dark theme: ⋮ menu → Settings.")
    prefs = Prefs(colorscale=st.session_state["cmap"], large=bool(st.session_state["big"]))
    if prefs.large:
        st.html(_BIG_CSS)
    st.session_state["_prefs"] = prefs
    return prefs


def plot(fig, *, key: str, name: str, **kwargs):
    """``st.plotly_chart`` with the app's conventions: a stable ``key``, PNG export at 2x
    named ``name``, and the large-text preference applied to the figure's fonts."""
    prefs = st.session_state.get("_prefs")
    if prefs is not None and prefs.large:
        size = prefs.font_size
        fig.update_layout(font=dict(size=size), title_font_size=size + 3,
                          hoverlabel=dict(font=dict(size=size)))
        fig.update_xaxes(tickfont_size=size, title_font_size=size)
        fig.update_yaxes(tickfont_size=size, title_font_size=size)
        for trace in fig.data:             # numbers printed inside cells / on bars
            if "textfont" in trace:
                trace.textfont.size = size
    return st.plotly_chart(fig, key=key, config=export_config(name), **kwargs)


def notices(messages: list[str]) -> None:
    """Show share-link notices (already Markdown-safe) in one box."""
    if messages:
        st.warning("  \n".join(messages), icon="⚠️")


@contextmanager
def guard(what: str):
    """Run a page section; an unexpected error shows one friendly line, not a traceback,
    and the rest of the page keeps rendering."""
    try:
        yield
    except Exception as e:  # noqa: BLE001 - the point is to catch everything
        log.exception("error while trying to %s", what)
        st.error(f"Sorry, something went wrong while trying to {what} "
                 f"({type(e).__name__}). The rest of the page still works; try other settings.")


def share_link(query: str, page_path: str) -> None:
    """A visible, copyable link that reproduces the current view."""
    try:
        base = (st.context.url or "").split("?", 1)[0]
    except Exception:
        base = ""
    if not base:
        base = f"/{page_path}"
    link = base + (f"?{query}" if query else "")
    with st.expander("Share this view", icon=":material/link:"):
        st.caption("Opening this link shows exactly this view (the address bar holds it too). "
                   "Use the copy button on the right.")
        st.code(link, language=None, wrap_lines=True)


def page_links(links) -> None:
    """``st.page_link`` for each ``(file, url_path, label, icon)``; when the page runs
    outside the router (a bare ``streamlit run pages/x.py`` or AppTest), a plain link."""
    for file, url, label, icon in links:
        try:
            st.page_link(file, label=label, icon=icon)
        except Exception:  # StreamlitPageNotFoundError outside st.navigation
            st.markdown(f"[{label}](/{url})")


def inline_code(text: str) -> str:
    """``text`` as Markdown inline code that no backtick or line break can break out of."""
    import re
    t = re.sub(r"\s", " ", str(text))          # a line break would end the code span
    runs = [len(m) for m in re.findall(r"`+", t)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if (t.startswith("`") or t.endswith("`")) else ""
    return f"{fence}{pad}{t}{pad}{fence}"


def user_text(raw: str, max_chars: int = 10_000) -> str:
    """``attention.text.clean_text`` for a page: show what was changed, return the text."""
    from attention.text import clean_text
    text, notes = clean_text(raw, max_chars)
    for note in notes:
        st.info(note)
    return text


def warn_dropped(enc: dict, limit: int = 512, reader: str = "The model", pair: bool = False) -> None:
    """Warn when tokenization cut a text (``enc`` from ``cache.encode``): how many of how many."""
    n, total = len(enc["tokens"]), int(enc["n_total"])
    if total > n:
        where = " (the longer segment loses tokens first)." if pair else " from the end."
        st.warning(f"{reader} reads at most {limit} tokens: {total - n:,} of {total:,} tokens were dropped"
                   + where)
