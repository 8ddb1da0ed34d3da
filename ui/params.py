"""Share links: page state <-> URL query parameters, validated.  The URL is the state.

A page declares its parameters once (``Choice``, ``Int``, ``Float``, ``Text``, ``Flag``,
``IntSet``); the key is the URL key, the widget key and -- where the parameter is an attention
option -- the ``attention.attend`` option name (``window``, ``normalization``, ``temperature``).

* :func:`load` (top of the page, before any widget) decides where this run's state comes from:
  - **entering the page** (first run, or arriving from another page) or **a navigation** (Back,
    Forward, a pasted or preset link: the URL differs from what this page last published and no
    widget changed): the state is exactly the URL -- the defaults plus every valid URL value;
    invalid or hostile values fall back to the default with a visible notice;
  - **a widget changed** (its value differs from the snapshot taken when the previous run
    published): the URL the browser sent is an echo of an older run and is ignored.
  - **a browser that reconnected to a server that never had its session** (a replica died):
    its first run here carries the widget values it shows plus the click that caused the run;
    the URL fills the state without outranking them (``ui/reconnect.py``), so that click counts.
  It also brings back the value of a widget that the previous run did not draw (an early
  ``st.stop``, a hidden view), which Streamlit drops, from the snapshot of the last publish.
* :func:`widget` draws the widget for a parameter (stable ``key`` = the parameter key).
* :func:`publish` (end of the page) writes the non-default values to the URL -- only when they
  differ from it, so entering a page adds no history entry and Back / Forward move between
  views -- and takes the snapshot.

Old share links keep working: the page registry (:mod:`ui.sitemap`) lists each page's renamed
keys and values, applied before validation (a notice about such a value names the key the link
used), and the keys of a page that was replaced (one notice says the page changed).
"""
from __future__ import annotations

import math
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import streamlit as st

from figures.labels import visible

from . import reconnect, sitemap
from .sitemap import Alias

MAX_RAW = 12_000          # longest raw parameter value looked at (characters)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Invalid(ValueError):
    """A URL value that can't be used; the message says what is allowed."""


@dataclass(frozen=True)
class Param:
    key: str
    label: str
    default: Any
    help: Optional[str] = None

    def parse(self, raw: str) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def dump(self, value: Any) -> str:
        return str(value)

    def link(self, value: Any) -> str:
        """The value as a share link writes it: always something :meth:`parse` accepts, so a
        link reproduces the view instead of being refused when opened (issue 26 #4)."""
        return self.dump(value)


@dataclass(frozen=True)
class Choice(Param):
    options: tuple = ()
    labels: Any = ()          # display label per option (same order) or a dict option -> label

    def label_of(self, option: str) -> str:
        labels = self.labels if isinstance(self.labels, dict) else dict(zip(self.options, self.labels))
        return labels.get(option, option)

    def parse(self, raw: str) -> str:
        if raw in self.options:
            return raw
        raise Invalid(f"must be one of {', '.join(self.options)}")


@dataclass(frozen=True)
class Int(Param):
    lo: int = 0
    hi: int = 100

    def parse(self, raw: str) -> int:
        if not re.fullmatch(r"[+-]?\d{1,9}", raw.strip()):
            raise Invalid(f"must be a whole number from {self.lo} to {self.hi}")
        v = int(raw)
        if not self.lo <= v <= self.hi:
            raise Invalid(f"must be a whole number from {self.lo} to {self.hi}")
        return v


@dataclass(frozen=True)
class Float(Param):
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.01

    def parse(self, raw: str) -> float:
        try:
            if len(raw) > 24:
                raise ValueError
            v = float(raw)
        except ValueError:
            raise Invalid(f"must be a number from {self.lo:g} to {self.hi:g}") from None
        if not math.isfinite(v) or not self.lo <= v <= self.hi:
            raise Invalid(f"must be a number from {self.lo:g} to {self.hi:g}")
        # snap to the widget's grid so the slider can show it
        return round(round((v - self.lo) / self.step) * self.step + self.lo, 10)

    def dump(self, value: Any) -> str:
        return f"{value:g}"


@dataclass(frozen=True)
class Text(Param):
    """A text box.  A link never carries control characters (:meth:`parse` refuses a link with
    one, as hostile): :meth:`link` writes the text without them -- the text the model pages
    compute from anyway (``attention.models.minilm.clean_text`` drops them); Translate, which
    refuses such a date, gets a link to the date without them -- and an emptied box as
    ``text=``, which :meth:`parse` reads back as the empty text."""
    max_chars: int = 10_000

    def parse(self, raw: str) -> str:
        if raw == "":
            return ""                        # an emptied box (what its link holds)
        if len(raw) > self.max_chars:
            raise Invalid(f"is longer than {self.max_chars:,} characters")
        if _CONTROL.search(raw):
            raise Invalid("contains control characters (such as NUL)")
        if not raw.strip():
            raise Invalid("is empty")
        return raw

    def link(self, value: Any) -> str:
        text = _CONTROL.sub("", str(value))[:self.max_chars]
        return text if text.strip() else ""


@dataclass(frozen=True)
class Flag(Param):
    def parse(self, raw: str) -> bool:
        if raw in ("1", "true"):
            return True
        if raw in ("0", "false"):
            return False
        raise Invalid("must be 1 or 0")

    def dump(self, value: Any) -> str:
        return "1" if value else "0"


@dataclass(frozen=True)
class IntSet(Param):
    """A set of whole numbers in ``[lo, hi]``, e.g. heads ``1,3,12`` (empty = none)."""
    lo: int = 1
    hi: int = 12

    def parse(self, raw: str) -> list:
        if not raw.strip():
            return []
        try:
            vals = sorted({int(x) for x in raw.split(",")})
        except ValueError:
            raise Invalid(f"must be comma-separated whole numbers from {self.lo} to {self.hi}") from None
        if len(raw) > 200 or any(not self.lo <= v <= self.hi for v in vals):
            raise Invalid(f"must be comma-separated whole numbers from {self.lo} to {self.hi}")
        return vals

    def dump(self, value: Any) -> str:
        return ",".join(str(int(v)) for v in sorted(value))


def aliases(page: str) -> dict[str, Alias]:
    """Old key -> :class:`Alias` for ``page``: the app-wide ones and the page's own (from
    :mod:`ui.sitemap`)."""
    entry = sitemap.find(page)
    return {**sitemap.GLOBAL_ALIASES, **(entry.aliases if entry else {})}


def _show(raw: str, limit: int = 40) -> str:
    """A raw value made safe to quote inside Markdown inline code (bidi controls and invisible
    characters made visible by the one sanitiser, backticks replaced)."""
    s = visible(raw).replace("`", "'")
    s = s if len(s) <= limit else s[:limit] + "…"
    return s if s.strip() else "(empty)"


_GLOBAL: list[Param] = []      # app-wide parameters (sidebar preferences) in every page's URL


def register_global(params: Sequence[Param]) -> None:
    """Declare app-wide parameters (e.g. colour scale): every page accepts and publishes them."""
    for p in params:
        if all(g.key != p.key for g in _GLOBAL):
            _GLOBAL.append(p)


def _read_url() -> dict[str, str]:
    try:
        return {k: (st.query_params.get_all(k) or [""])[-1] for k in st.query_params.keys()}
    except Exception:  # noqa: BLE001 - a malformed query string: treat as empty
        return {}


def translate(page: str, url: dict[str, str], written: Optional[dict] = None) -> dict[str, str]:
    """Apply the page's :func:`aliases` (and the app-wide ones) to a raw URL dict.  ``written``,
    if given, is filled with new key -> the key the link actually used (for notices)."""
    table = aliases(page)
    out: dict[str, str] = {}
    for k, raw in url.items():
        a = table.get(k)
        if a is None:
            out.setdefault(k, raw)
        elif a.new not in url or a.new == k:          # a new key present wins over its alias
            out[a.new] = a.values.get(raw, raw)
            if written is not None and a.new != k:
                written[a.new] = k
    return out


#: page name -> its declared parameters (filled by load(); used by tests and docs)
REGISTRY: dict[str, tuple] = {}

_LAST_PAGE = "_params_page"
_ENTERING = "_params_entering"


def _published_key(page: str) -> str:
    return f"_params_url:{page}"


def _snapshot_key(page: str) -> str:
    return f"_params_snap:{page}"


def enter(page: str) -> None:
    """Record which page this run draws (``ui.page.setup`` calls it first thing), so
    :func:`load` knows when the user has just arrived from another page."""
    st.session_state[_ENTERING] = st.session_state.get(_LAST_PAGE) != page
    st.session_state[_LAST_PAGE] = page


def _set(key: str, value: Any, restore: bool) -> None:
    """``st.session_state[key] = value``; with ``restore`` (a reconnected browser's first run
    on this server) a value the browser sent for the widget itself outranks it."""
    if restore:
        reconnect.fallback(key, value)
    else:
        st.session_state[key] = value


def _apply(params: Sequence[Param], url: dict[str, str], ignore_unknown: bool,
           reset: bool = True, written: Optional[dict] = None, retired: Sequence[str] = (),
           restore: bool = False) -> list[str]:
    """State := defaults (``reset``) + the valid values of ``url``; notices for what was refused
    (naming the key the link used: ``written`` maps a new key to an old one); keys of a page
    this one replaced (``retired``) get one notice together.  ``restore``: see :func:`_set`."""
    notices: list[str] = []
    by_key = {p.key: p for p in params}
    global_keys = {g.key for g in _GLOBAL}
    written = written or {}
    old = [k for k in url if k in retired and k not in by_key]
    if old:
        notices.append(f"This link was made for an earlier version of this page, which has changed "
                       f"since; its settings ({', '.join(f'`{_show(k, 24)}`' for k in old[:4])}"
                       f"{' …' if len(old) > 4 else ''}) no longer apply, so the page opens as it is now.")
    for p in params:
        if reset or p.key not in st.session_state:
            _set(p.key, p.default, restore)
    for k, raw in url.items():
        p = by_key.get(k)
        if p is None:
            if not (k in global_keys or ignore_unknown or k in old):
                notices.append(f"Ignored unknown link parameter `{_show(k, 24)}`.")
            continue
        try:
            if len(raw) > MAX_RAW:
                raise Invalid(f"is longer than {MAX_RAW:,} characters")
            _set(p.key, p.parse(raw), restore)
        except Invalid as e:
            name = written.get(k, k)
            notices.append(f"Link parameter `{_show(name, 24)}` = `{_show(raw)}` {e}; "
                           f"using the default `{_show(p.dump(p.default))}`.")
    return notices


def load(page: str, params: Sequence[Param], *, ignore_unknown: bool = False,
         page_scoped: bool = True) -> list[str]:
    """Set this run's state for ``params`` (see the module docstring); return Markdown-safe
    notices for URL values that were refused.  Call before the page's widgets.
    ``page_scoped=False`` is for the app-wide parameters (the sidebar preferences)."""
    REGISTRY[page] = tuple(params)
    s = st.session_state
    written: dict = {}
    url = translate(page, _read_url(), written)
    mine = {k: v for k, v in url.items() if k in {p.key for p in params}}
    entering = s.pop(_ENTERING, None) if page_scoped else False
    if entering is None:               # page.setup was not called: decide here
        entering = s.get(_LAST_PAGE) != page
        s[_LAST_PAGE] = page
    snap = s.get(_snapshot_key(page))
    if snap is not None and not entering:
        # Streamlit drops the state of a widget that a run did not draw (an early stop, a hidden
        # view): bring such values back from the snapshot.  Keys that exist are never written
        # here -- re-asserting a live widget's value would push a stale value back to the browser.
        for p in params:
            if p.key not in s and p.key in snap:
                s[p.key] = snap[p.key]
    changed = snap is not None and any(s.get(p.key, p.default) != snap.get(p.key) for p in params)
    notices: list[str] = []
    # A browser that reconnected to a server without its session: its first run here carries
    # the widget values it showed (and the click that caused the run); the URL fills the rest
    # without outranking them (ui/reconnect.py, issue 26 #1).
    restore = snap is None and reconnect.browser_values_pending()
    if entering or snap is None or (not changed and mine != s.get(_published_key(page))):
        # app-wide preferences stay as they are unless a link sets them
        entry = sitemap.find(page)
        notices = _apply(params, url if page_scoped else mine, ignore_unknown, reset=page_scoped,
                         written=written, retired=entry.retired if entry else (), restore=restore)
        # what this run reads from the URL counts as published (a refused value is not)
        s[_published_key(page)] = {p.key: p.link(s[p.key]) for p in params
                                   if p.link(s[p.key]) != p.link(p.default)}
    for p in params:
        if p.key not in s:
            _set(p.key, p.default, restore)
    return notices


def _cut_text(key: str, max_chars: int, cut_key: str) -> None:
    text = st.session_state.get(key) or ""
    if len(text) > max_chars:
        st.session_state[cut_key] = len(text)
        st.session_state[key] = text[:max_chars]
    else:
        st.session_state.pop(cut_key, None)


def widget(p: Param, where=None, **kw) -> Any:
    """Draw the widget for ``p`` (key = ``p.key``; value from session state).

    ``persist_state="page"``: a widget a run does not draw (a hidden view, a closed lazy
    section) keeps its value while the user stays on the page (Streamlit 1.67)."""
    where = where if where is not None else st
    kw.setdefault("persist_state", "page")
    if isinstance(p, Choice):
        radio = kw.pop("radio", False)          # True: a horizontal radio; "vertical": stacked
        if radio:
            return where.radio(p.label, p.options, key=p.key, help=p.help,
                               format_func=p.label_of, horizontal=radio != "vertical", **kw)
        if kw.pop("pills", False):
            return where.segmented_control(p.label, p.options, key=p.key, help=p.help,
                                           format_func=p.label_of, selection_mode="single", **kw)
        return where.selectbox(p.label, p.options, key=p.key, help=p.help,
                               format_func=p.label_of, **kw)
    if isinstance(p, Int):
        return where.slider(p.label, p.lo, p.hi, key=p.key, help=p.help, step=1, **kw)
    if isinstance(p, Float):
        return where.slider(p.label, p.lo, p.hi, key=p.key, help=p.help, step=p.step, **kw)
    if isinstance(p, Text):
        # No max_chars on the widget: the browser would silently drop a longer paste.
        # The callback cuts it instead, and the page says so.
        cut_key = f"_cut:{p.key}"
        value = where.text_area(p.label, key=p.key, help=p.help, on_change=_cut_text,
                                args=(p.key, p.max_chars, cut_key), **kw)
        if st.session_state.get(cut_key):
            where.info(f"The text was cut to its first {p.max_chars:,} of "
                       f"{st.session_state[cut_key]:,} characters.")
        return value
    if isinstance(p, Flag):
        return where.toggle(p.label, key=p.key, help=p.help, **kw)
    if isinstance(p, IntSet):
        return where.pills(p.label, list(range(p.lo, p.hi + 1)), selection_mode="multi", key=p.key,
                           help=p.help, **kw)
    raise TypeError(f"unknown parameter kind {type(p).__name__}")


def ranged_slider(label: str, lo: int, hi: int, *, key: str, where=None, **kw) -> int:
    """An integer slider whose range follows the data (one position per token or output step).

    Streamlit (1.67) gives a keyed slider a new id when its range changes and keeps the old
    id's value under the key; the new widget can then come back with that older value
    instead of the one the page just used: above the new maximum (StreamlitValueAboveMaxError)
    or simply different from the chart.  So on the first draw with a new range the page's
    value, clamped into ``[lo, hi]``, is asserted through session state.  Only then: the range
    changed, so the browser mounts a fresh slider and no edit of the user's is overwritten.
    The first draw in a session asserts only a value outside the range: a reconnected browser
    may have just moved this very slider (see :func:`load`)."""
    where = where if where is not None else st
    s, mark = st.session_state, f"_range:{key}"
    if s.get(mark) != (lo, hi):
        value = min(max(int(s.get(key, lo)), lo), hi)
        if s.get(mark) is not None or s.get(key) != value:
            s[key] = value
        s[mark] = (lo, hi)
    return where.slider(label, lo, hi, key=key, **kw)


def current(params: Sequence[Param]) -> dict[str, str]:
    """The non-default values of ``params`` as a link writes them (:meth:`Param.link`)."""
    out = {}
    for p in params:
        v = st.session_state.get(p.key, p.default)
        if v is not None and (form := p.link(v)) != p.link(p.default):
            out[p.key] = form
    return out


def publish(page: str, params: Sequence[Param]) -> str:
    """Write the non-default values to the URL when they differ from it; snapshot the state.
    Returns the query string (``"a=1&b=2"``)."""
    s = st.session_state
    values = current(list(params) + [g for g in _GLOBAL if g not in params])
    try:
        if _read_url() != values:
            st.query_params.from_dict(values)
    except Exception:  # noqa: BLE001 - never let URL syncing break a page
        pass
    s[_published_key(page)] = {k: v for k, v in values.items() if k in {p.key for p in params}}
    s[_snapshot_key(page)] = {p.key: s.get(p.key, p.default) for p in params}
    prefs = [g for g in _GLOBAL if g not in params]
    s[_snapshot_key("_prefs")] = {g.key: s.get(g.key, g.default) for g in prefs}
    s[_published_key("_prefs")] = {k: v for k, v in values.items() if k in {g.key for g in prefs}}
    return urllib.parse.urlencode(values)


# ------------------------------------------------------------------ click-driven state
_PENDING = "_params_pending"


def request(**changes) -> None:
    """A click asks for new parameter values: store them and rerun, so the widgets drawn above
    the chart pick them up (a widget's value can't change after it is drawn in a run)."""
    s = st.session_state
    if all(s.get(k) == v for k, v in changes.items()):
        return
    s[_PENDING] = changes
    st.rerun()


def apply_pending() -> None:
    """Apply the values a click asked for on the previous run (call after :func:`load`,
    before the widgets)."""
    for k, v in (st.session_state.pop(_PENDING, None) or {}).items():
        st.session_state[k] = v
