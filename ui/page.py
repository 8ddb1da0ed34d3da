"""Page chrome every page shares: setup (router check, sidebar preferences, title), notices,
the error guard, the share link, and text a page echoes back."""
from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Optional, Sequence

import streamlit as st

from figures import COLORSCALES
from figures.labels import visible

from . import params as P
from . import sitemap, warmup
from .router import ensure_router

log = logging.getLogger("attention_explorer")

PREFS = [
    P.Choice("colorscale", "Colour scale", "Viridis", options=COLORSCALES,
             help="All offered scales are perceptually uniform or single-hue, readable with colour-blindness."),
    P.Flag("large_text", "Large text (projector)", False,
           help="Bigger text everywhere, charts included: for a classroom projector."),
]

_BIG_CSS = "<style>html { font-size: 21px; }</style>"
# Accessibility (issue 25, checked with axe-core in tests/e2e/test_e2e_a11y.py):
# - a disabled widget's label is drawn by Streamlit at 40 % of the text colour (2.3:1 on white,
#   3.4:1 in the dark theme): students still need to read what the control is, so it gets the
#   text colour at 72 % (7:1 light, 9:1 dark) -- still visibly lighter than an active label;
# - a chart's tick labels (the tokens), axis and colour-bar titles and legend are drawn by
#   Streamlit's Plotly theme in #808495 on white (3.8:1; axe does not see SVG text): they take
#   the theme's text colour instead (cell numbers, hover labels and markers keep theirs);
# - keyboard focus is always visible: a 2 px outline in the text colour around every focused
#   control (Streamlit's own: a light grey background on a radio option, nothing on a slider thumb).
_PLOT_TEXT = ", ".join(f".js-plotly-plot {c}" for c in (
    ".xtick text", ".ytick text", ".xtitle", ".ytitle", ".cbaxis text", ".cbtitle text", ".legendtext"))
_A11Y_CSS = ("<style>[data-testid='stWidgetLabel'][disabled], [data-testid='stWidgetLabel'][disabled] p "
             "{ color: inherit; } [data-testid='stWidgetLabel'][disabled] { opacity: 0.72; } "
             f"{_PLOT_TEXT} {{ fill: currentColor !important; }} "
             ":focus-visible { outline: 2px solid currentColor !important; outline-offset: 2px; } "
             # inputs are drawn by their container (radios, sliders and switches hide the native
             # input): the ring goes on what is seen -- react-aria marks it data-focus-visible
             "input:focus-visible, textarea:focus-visible { outline: none !important; } "
             "[data-focus-visible='true'], [data-testid='stTextAreaRootElement']:focus-within, "
             "[data-baseweb='select'] > div:focus-within, [data-baseweb='input']:focus-within "
             "{ outline: 2px solid currentColor; outline-offset: 2px; } "
             # an audio player's buttons live in the browser's closed shadow DOM: focus shows on
             # the <audio> itself (which :focus-visible does not match for those inner buttons)
             "audio:focus, audio:focus-within { outline: 2px solid currentColor; outline-offset: 2px; } "
             # a displayed formula is a scrolling box that a sub-pixel overflow (2 px) makes
             # scrollable without being focusable (axe: scrollable-region-focusable): it never
             # scrolls, it shows all of itself
             "[data-testid='stMarkdownContainer'] .katex-display { overflow: visible !important; }</style>")
# Less empty space above the title, so the first chart fits on a 720-px projector screen.
_COMPACT_CSS = ("<style>[data-testid='stMainBlockContainer'] { padding-top: 3.4rem; padding-bottom: 2rem; } "
                "[data-testid='stMainBlockContainer'] h1 { padding-top: 0; padding-bottom: 0.2rem; "
                "font-size: 2.1rem; }</style>")


@dataclass(frozen=True)
class Prefs:
    colorscale: str
    large: bool = False

    @property
    def font_size(self) -> int:
        """Font size for chart text (Plotly's default is 12)."""
        return 17 if self.large else 12


def setup(page: str, title: Optional[str] = None, caption: Optional[str] = None) -> Prefs:
    """First call of every page: router check, the shared sidebar preferences, the title.

    ``title`` / ``caption`` default to the page's heading and caption in :mod:`ui.sitemap`.
    Self-contained: it works whether or not ``app.py`` ran first (the legacy pages/ trap: see
    ``ui/router.py``).
    """
    entry = sitemap.find(page)
    title = title if title is not None else (entry.heading if entry else page)
    caption = caption if caption is not None else (entry.caption if entry else None)
    warmup.wait()
    ensure_router()
    P.enter(page)
    P.register_global(PREFS)
    notices(P.load("_prefs", PREFS, ignore_unknown=True, page_scoped=False))
    with st.sidebar:
        P.widget(PREFS[0])
        P.widget(PREFS[1])
        st.caption("Light or dark theme: ⋮ menu → Settings.")
    prefs = Prefs(colorscale=st.session_state["colorscale"], large=bool(st.session_state["large_text"]))
    st.html(_A11Y_CSS + (_BIG_CSS + _COMPACT_CSS if prefs.large else _COMPACT_CSS))
    st.session_state["_prefs"] = prefs
    st.title(title)
    if caption:
        st.caption(caption)
    return prefs


def notices(messages: Sequence[str]) -> None:
    """Show share-link notices (already Markdown-safe) in one box."""
    if messages:
        st.warning("  \n".join(messages), icon="⚠️")


@contextmanager
def guard(what: str):
    """Run a page section; an unexpected error shows one friendly line, not a traceback,
    and the rest of the page keeps rendering.  (``st.rerun`` / ``st.stop`` raise BaseException
    subclasses, so they pass through.)"""
    try:
        yield
    except Exception as e:  # noqa: BLE001 - the point is to catch everything
        log.exception("error while trying to %s", what)
        st.error(f"Sorry, something went wrong while trying to {what} "
                 f"({type(e).__name__}). The rest of the page still works; try other settings.")


#: With large text, a table of :func:`model_tables` holds at most this many columns.
LARGE_TEXT_COLUMNS = 5


def model_tables(rows: Sequence[dict], keys: Sequence[str], groups: Sequence[tuple[Optional[str], Sequence[str]]],
                 *, percent: Sequence[str] = (), headers: Optional[dict] = None) -> None:
    """Show ``rows`` (one dict per model, the same keys in each) as one table per group of
    columns: the ``keys`` columns (which model), then the group's columns, under the group's
    title (bold; None: no title).  One table of 12 or more columns scrolls sideways on a
    1280-px projector and hides what is on its right; groups of about 7 fit.  With large text
    (the projector preference) a table holds at most :data:`LARGE_TEXT_COLUMNS` columns: a longer
    group is cut into equal runs, each after the ``keys`` again.

    ``percent``: columns holding shares (0-1), shown as percentages to 0.1 (Streamlit's
    ``"percent"`` format drops trailing zeros: "94%" beside "97.33%").  ``headers``: a shorter
    header for a column, whose full name becomes the header's tooltip."""
    import pandas as pd
    df = pd.DataFrame(list(rows))
    headers = headers or {}
    for c in percent:
        df[c] = (100.0 * df[c].astype(float)).round(1)
    prefs = st.session_state.get("_prefs")
    room = max(1, LARGE_TEXT_COLUMNS - len(keys)) if prefs is not None and prefs.large else None
    for title, cols in groups:
        cols = list(cols)
        if not cols:                                   # nothing to show in this group
            continue
        runs = 1 if room is None else -(-len(cols) // room)
        size = -(-len(cols) // runs)
        if title:
            st.markdown(f"**{title}**")
        for part in (cols[i:i + size] for i in range(0, len(cols), size)):
            config = {}
            for c in (*keys, *part):
                label = headers.get(c, c)
                tip = c if label != c else None
                if c in percent:
                    config[c] = st.column_config.NumberColumn(label, help=tip, format="%.1f%%")
                elif label != c:
                    config[c] = st.column_config.Column(label, help=tip)
            st.dataframe(df[[*keys, *part]], hide_index=True, width="stretch", column_config=config)


@contextmanager
def lazy_section(label: str, key: str, icon: Optional[str] = None):
    """An expander whose content runs (and is sent to the browser) only while it is open:
    yields True when open.  Keeps what a page opens with light -- a collapsed expander's
    content would otherwise load its components (KaTeX, the code highlighter: ~1.8 MB of
    JavaScript) before the first chart is drawn."""
    with st.expander(label, icon=icon, key=key, on_change="rerun") as ex:
        yield bool(ex.open)


def share_link(query: str, url_path: str) -> None:
    """A visible, copyable link that reproduces the current view."""
    with lazy_section("Share this view", "_share_open", icon=":material/link:") as is_open:
        if not is_open:
            return
        try:
            base = (st.context.url or "").split("?", 1)[0]
        except Exception:  # noqa: BLE001 - no context outside a server
            base = ""
        base = base or f"/{url_path}"
        link = base + (f"?{query}" if query else "")
        st.caption("Opening this link shows exactly this view (the address bar holds it too). "
                   "Use the copy button on the right.")
        st.code(link, language=None, wrap_lines=True)


def page_links(links) -> None:
    """``st.page_link`` for each ``(file, url_path, label, icon)``; when the page runs
    outside the router (a bare ``streamlit run pages/x.py`` or AppTest), a plain link."""
    for file, url, label, icon in links:
        try:
            st.page_link(file, label=label, icon=icon)
        except Exception:  # noqa: BLE001 - StreamlitPageNotFoundError outside st.navigation
            st.markdown(f"[{label}](/{url})")


def inline_code(text) -> str:
    """``text`` as Markdown inline code that no backtick, line break or bidi control can break
    out of (through :func:`figures.labels.visible`, the one sanitiser for echoed text)."""
    t = visible(text)
    runs = [len(m) for m in re.findall(r"`+", t)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if (t.startswith("`") or t.endswith("`")) else ""
    return f"{fence}{pad}{t}{pad}{fence}"


def user_text(raw: str, max_chars: int = 10_000) -> str:
    """``attention.models.minilm.clean_text`` for a page: show what was changed, return the text."""
    from attention.models.minilm import clean_text
    text, notes = clean_text(raw, max_chars)
    for note in notes:
        st.info(note)
    return text


def showing(text: str, what: str = "text", limit: int = 90) -> None:
    """One line saying which text the page's results were computed from.

    A browser can send text the server never receives: a pasted lone surrogate (``ab\\uD800cd``)
    makes Streamlit's websocket reject the whole message as bad UTF-8 before any app code runs
    (an upstream limit, logged server-side).  The page then keeps its previous result; this line
    makes that visible instead of letting the page seem to show the new text."""
    shown = text if len(text) <= limit else text[:limit] + "…"
    st.caption(f"Showing the {what}: {inline_code(shown)}")


def warn_dropped(n_kept: int, n_total: int, limit: int = 512, reader: str = "The model",
                 pair: bool = False) -> None:
    """Warn when tokenization cut a text: how many of how many tokens were dropped."""
    if n_total > n_kept:
        where = " (the longer segment loses tokens first)." if pair else " from the end."
        st.warning(f"{reader} reads at most {limit} tokens: {n_total - n_kept:,} of {n_total:,} tokens "
                   "were dropped" + where)
