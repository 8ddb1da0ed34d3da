"""The pages the end-to-end suite covers, and the share-link parameters each declares.

Every page in the app's page registry (``ui/sitemap.py``) is covered: its spec is derived from
its registry entry (heading, navigation title), plus the test-only facts in :data:`OVERRIDES`
when a page differs from the default (a chart page whose first chart is a heatmap).  A new page
needs nothing here unless it differs (see docs/TESTING.md).
Its URL parameters are read from the page's ``features/<name>/state.py`` (the
``PARAMS = [P.Int(...), ...]`` list every page declares, parsed with :mod:`ast`, nothing
imported or run) plus the app-wide ones in ``ui/page.py`` (``PREFS``); hostile share links for every
parameter are generated from them (:func:`hostile_links`).
"""
from __future__ import annotations

import ast
import sys
import urllib.parse
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from ui import sitemap  # noqa: E402 - plain data, no Streamlit


@dataclass(frozen=True)
class Param:
    """One share-link parameter as declared in a page (``P.Int("window", ..., lo=0, hi=64)``)."""
    kind: str                      # Choice | Int | Float | Text | Flag
    key: str
    lo: Any = None
    hi: Any = None


@dataclass(frozen=True)
class PageSpec:
    """How the suite sees one page.

    name:        url_path (``/name``); the file is ``pages/{name}.py`` unless ``file`` says otherwise.
    title:       the page's ``st.title`` (proves the page itself ran).
    nav:         its link text in the sidebar navigation (``st.Page(title=...)`` in app.py).
    ready:       CSS selector that must be present once the page has fully rendered its main
                 output (``.js-plotly-plot`` for a chart page); None: the title is enough.
    text_label:  label of the page's main text area: the page then joins the bad-text corpus.
    long_text_query: query string opened before the long-text cases (e.g. a lighter view).
    truncation_text: what the page says when the text is longer than the model reads.
    """
    name: str
    title: str
    nav: str                                   # the st.Page title in app.py (sidebar link text)
    ready: Optional[str] = ".js-plotly-plot"
    file: Optional[str] = None
    text_label: Optional[str] = None
    long_text_query: str = ""
    truncation_text: Optional[str] = None
    static_alerts: tuple = ()        # substrings of info boxes the page always shows (not notices)
    token_chart: int = 0             # index of the chart whose axes carry the text's tokens
    heatmap: bool = True             # its first chart is a heatmap (has z)
    extra: dict = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return REPO / (self.file or f"pages/{self.name}.py")

    @property
    def chart(self) -> bool:
        return self.ready is not None and "plotly" in self.ready

    def own_params(self) -> list[Param]:
        """The share-link parameters the page declares (``PARAMS = [...]`` in its
        ``features/<name>/state.py``, or in the page file)."""
        state = REPO / "features" / self.name / "state.py"
        return declared_params(state if state.exists() else self.path, "PARAMS")

    def params(self) -> list[Param]:
        """This page's own parameters plus the app-wide ones (every page accepts both)."""
        return self.own_params() + declared_params(REPO / "ui/page.py", "PREFS")

    def __str__(self) -> str:          # test ids: test_x[sentence]
        return self.name


# ---------------------------------------------------------------------------------------
#: Test-only facts about pages that differ from the default spec (a page whose first chart is a
#: heatmap and that has no text box the bad-text corpus should fill).
OVERRIDES: dict[str, dict] = {
    "home": dict(ready=None),
    "sentence": dict(text_label="Sentence", truncation_text="tokens were dropped"),
    "model": dict(text_label="Text (segment A)", truncation_text="tokens were dropped",
                  token_chart=1),                                      # chart 0: the 72-head grid
    "digits": dict(heatmap=False),
    # Translate is not in the bad-text corpus: an unknown character is refused with a message
    # (the models read one closed character set), which tests/e2e/test_e2e_translate.py checks
    "summarize": dict(text_label="Paragraph", heatmap=False),          # a bar chart of α
    "learn": dict(static_alerts=("NumPy raises",)),   # the lesson shows the broken snippet's real error
    "listen": dict(heatmap=False),   # first chart: waveform, log-mel and alignment subplots
}


def specs(pages=None) -> list[PageSpec]:
    """One :class:`PageSpec` per registered page (``ui.sitemap.PAGES`` by default)."""
    return [PageSpec(p.name, p.heading, p.title, **OVERRIDES.get(p.name, {}))
            for p in (sitemap.PAGES if pages is None else pages)]


PAGES: list[PageSpec] = specs()
# ---------------------------------------------------------------------------------------

TEXT_PAGES = [p for p in PAGES if p.text_label]
TRUNCATING_PAGES = [p for p in TEXT_PAGES if p.truncation_text]
PAGE_BY_NAME = {p.name: p for p in PAGES}


@lru_cache(maxsize=None)
def _declared(path: str, mtime: float, var: str) -> tuple[Param, ...]:
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    out = []
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == var
                                                         for t in node.targets)):
            continue
        for call in ast.walk(node.value):
            if not isinstance(call, ast.Call):
                continue
            kind = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
            if kind not in ("Choice", "Int", "Float", "Text", "Flag", "IntSet") or not call.args:
                continue
            if not (isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)):
                continue
            kw = {}
            for k in call.keywords:
                if k.arg in ("lo", "hi"):
                    try:
                        kw[k.arg] = ast.literal_eval(k.value)
                    except ValueError:
                        pass
            out.append(Param(kind, call.args[0].value, kw.get("lo"), kw.get("hi")))
    return tuple(out)


def declared_params(path: Path, var: str = "PARAMS") -> list[Param]:
    """The parameters declared in ``var = [...]`` at the top level of ``path`` (empty if none)."""
    if not path.exists():
        return []
    return list(_declared(str(path), path.stat().st_mtime, var))


# ---------------------------------------------------------------------------------------
# Hostile share links.  Three links per page, each with one bad value for *every*
# parameter (so one page load checks them all) plus an unknown parameter.
XSS = '<img src=x onerror="window.__pwned=1">'
BAD_VALUES: dict[str, list] = {
    # kind -> [variant 0, variant 1, variant 2]; callables get the Param
    "Int": ["abc", "999999999999", lambda p: str((p.lo if isinstance(p.lo, int) else 0) - 1)],
    "Float": ["nan", "1e308", "-inf"],
    "Choice": ["<script>window.__pwned=1</script>", XSS, ""],
    "Text": ["ab\x00cd", "x" * 100_000, "   "],
    "Flag": ["maybe", "2", XSS],
    "IntSet": ["1,x", "0,99", XSS],
}
UNKNOWN = ["bogus", "<svg onload=window.__pwned=1>", "x" * 5000]


def hostile_links(page: PageSpec) -> list[tuple[str, dict[str, str], str]]:
    """``[(query_string, {key: bad raw value}, unknown_key)]``: one link per variant."""
    links = []
    for v in range(3):
        bad: dict[str, str] = {}
        texts = 0
        for p in page.params():
            value = BAD_VALUES[p.kind][v]
            value = value(p) if callable(value) else value
            if p.kind == "Text" and len(value) > 20_000:
                texts += 1
                if texts > 1:      # keep the whole URL under Tornado's ~128 KB request-line limit
                    value = value[:20_000]
            bad[p.key] = value
        unknown = UNKNOWN[v]
        query = urllib.parse.urlencode({**bad, unknown: "1"}, quote_via=urllib.parse.quote)
        links.append((query, bad, unknown))
    return links


def registered_pages() -> list[str]:
    """The address of every page the app serves, from the page registry (which ``app.py``
    builds its navigation from): the default page counts under its alias ``/<name>``."""
    return [p.name for p in sitemap.PAGES]
