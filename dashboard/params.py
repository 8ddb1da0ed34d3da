"""Share links: page state <-> URL query parameters, validated.

A page declares its parameters once (``Choice``, ``Int``, ``Float``, ``Text``,
``Flag``).  :func:`load` reads the URL on the page's first run in a session,
puts valid values into ``st.session_state`` (so widgets start there) and
returns a notice for every invalid or hostile value, which falls back to the
default.  :func:`widget` draws the widget for a parameter (stable ``key`` = the
parameter name); :func:`publish` writes the current non-default values back to
the URL, so the address bar is always a link that reproduces the view.
"""
from __future__ import annotations

import math
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import streamlit as st

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


@dataclass(frozen=True)
class Choice(Param):
    options: tuple = ()
    labels: tuple = ()          # display label per option (same order); default: the option

    def label_of(self, option: str) -> str:
        return dict(zip(self.options, self.labels)).get(option, option) if self.labels else option

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
    max_chars: int = 10_000

    def parse(self, raw: str) -> str:
        if len(raw) > self.max_chars:
            raise Invalid(f"is longer than {self.max_chars:,} characters")
        if _CONTROL.search(raw):
            raise Invalid("contains control characters (such as NUL)")
        if not raw.strip():
            raise Invalid("is empty")
        return raw


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


def _show(raw: str, limit: int = 40) -> str:
    """A raw value made safe to quote inside Markdown inline code."""
    # any whitespace (\r, \u2028, ...) could end the code span and start Markdown: a space
    s = re.sub(r"\s", " ", _CONTROL.sub("?", raw).replace("`", "'"))
    s = s if len(s) <= limit else s[:limit] + "…"
    return s if s.strip() else "(empty)"


_GLOBAL: list[Param] = []      # app-wide parameters (sidebar preferences) in every page's URL


def register_global(params: Sequence[Param]) -> None:
    """Declare app-wide parameters (e.g. colour scale): every page accepts and publishes them."""
    for p in params:
        if all(g.key != p.key for g in _GLOBAL):
            _GLOBAL.append(p)


def _url_state_key(params: Sequence[Param]) -> str:
    return "_params_url:" + ",".join(sorted(p.key for p in params))


def _read_url() -> dict[str, str]:
    try:
        return {k: (st.query_params.get_all(k) or [""])[-1] for k in st.query_params.keys()}
    except Exception:  # a malformed query string: treat as empty
        return {}


#: page name -> its declared parameters (filled by load(); used by tests and docs)
REGISTRY: dict[str, tuple] = {}

_LAST_PAGE = "_params_page"
_ENTERING = "_params_entering"


def enter(page: str) -> None:
    """Record which page this run draws (``ui.page_setup`` calls it first thing), so
    :func:`load` knows when the user has just arrived from another page."""
    st.session_state[_ENTERING] = st.session_state.get(_LAST_PAGE) != page
    st.session_state[_LAST_PAGE] = page


def load(page: str, params: Sequence[Param], *, ignore_unknown: bool = False,
         page_scoped: bool = True) -> list[str]:
    """Initialise widget state for ``params`` and apply the URL when it is new.

    Entering a page (first run, or coming from another page) starts from a clean
    slate, so two pages that use the same key never see each other's values: the
    page's defaults plus the URL when it carries page parameters (a share link or
    preset), else the values this page had when the user last left it.
    The URL is applied then and whenever it differs from what this page last
    published; widget changes never re-read it.  Returns Markdown-safe notices for
    URL values that were ignored.  Call at the top of a page, before its widgets.
    ``page_scoped=False`` is for app-wide parameters (the sidebar preferences).
    """
    notices: list[str] = []
    REGISTRY[page] = tuple(params)
    url = _read_url()
    state_key = _url_state_key(params)
    global_keys = {g.key for g in _GLOBAL}
    entering = st.session_state.pop(_ENTERING, None) if page_scoped else False
    if entering is None:               # page_setup was not called: decide here
        entering = st.session_state.get(_LAST_PAGE) != page
        st.session_state[_LAST_PAGE] = page
    if entering:
        page_url = [k for k in url if k not in global_keys]
        saved = {} if page_url else st.session_state.get(f"_params_saved:{page}", {})
        for p in params:
            st.session_state[p.key] = saved.get(p.key, p.default)
        st.session_state.pop(state_key, None)          # apply the URL below
    if url != st.session_state.get(state_key):
        by_key = {p.key: p for p in params}
        for k, raw in url.items():
            p = by_key.get(k)
            if p is None:
                if k in global_keys or ignore_unknown:
                    continue              # handled by another load() on the same page
                notices.append(f"Ignored unknown link parameter `{_show(k, 24)}`.")
                continue
            try:
                if len(raw) > MAX_RAW:
                    raise Invalid(f"is longer than {MAX_RAW:,} characters")
                st.session_state[p.key] = p.parse(raw)
            except Invalid as e:
                notices.append(f"Link parameter `{_show(k, 24)}` = `{_show(raw)}` {e}; "
                               f"using the default `{_show(p.dump(p.default))}`.")
                st.session_state[p.key] = p.default
        st.session_state[state_key] = url
    for p in params:
        if p.key not in st.session_state:
            st.session_state[p.key] = p.default
    return notices


def _cut_text(key: str, max_chars: int, cut_key: str) -> None:
    text = st.session_state.get(key) or ""
    if len(text) > max_chars:
        st.session_state[cut_key] = len(text)
        st.session_state[key] = text[:max_chars]
    else:
        st.session_state.pop(cut_key, None)


def widget(p: Param, where=None, **kw) -> Any:
    """Draw the widget for ``p`` (key = ``p.key``; value from session state)."""
    where = where if where is not None else st
    if isinstance(p, Choice):
        if kw.pop("horizontal_radio", False) or kw.pop("radio", False):
            return where.radio(p.label, p.options, key=p.key, help=p.help,
                               format_func=p.label_of, horizontal=True, **kw)
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
    raise TypeError(f"unknown parameter kind {type(p).__name__}")


def current(params: Sequence[Param]) -> dict[str, str]:
    """The non-default values of ``params`` as URL strings."""
    out = {}
    for p in params:
        v = st.session_state.get(p.key, p.default)
        if v != p.default and v is not None:
            out[p.key] = p.dump(v)
    return out


def publish(params: Sequence[Param]) -> str:
    """Write the non-default values to the URL; return the query string (``"a=1&b=2"``)."""
    values = current(list(params) + [g for g in _GLOBAL if g not in params])
    try:
        if _read_url() != values:
            st.query_params.from_dict(values)
    except Exception:  # never let URL syncing break a page
        pass
    st.session_state[_url_state_key(params)] = values
    page = st.session_state.get(_LAST_PAGE)
    if page is not None:               # what to restore when the user comes back
        st.session_state[f"_params_saved:{page}"] = {p.key: st.session_state.get(p.key) for p in params}
    return urllib.parse.urlencode(values)
