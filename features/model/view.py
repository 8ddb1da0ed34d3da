"""Model explorer layout shared by its views: the two texts on top, the view picker, the display
filters (sidebar), and :class:`Ctx` -- one run's tokens, filters and the filtered heatmap with
its exports.  The views themselves are in :mod:`features.model.sections`."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np
import streamlit as st

import figures
from attention.models.minilm import display_tokens
from figures.labels import visible
from ui import charts, examples, params as P

from . import compute
from .state import BY, PAIRS


def widget(key: str, where=None, **kw):
    """``P.widget`` for this page's parameter ``key``, kept by Streamlit while a view hides it
    (``persist_state="page"``): a parameter set before its widget was first drawn leaves a value
    under its key that would otherwise come back when the widget is hidden again."""
    return P.widget(BY[key], where, persist_state="page", **kw)


def _load_example() -> None:
    s = st.session_state
    s.text, s.pair = PAIRS.get(s.example) or (examples.SENTENCES[s.example], "")


def text_row() -> None:
    """Text A and the optional text B side by side, the example picker beside them."""
    a, b, c = st.columns([3, 3, 1.4], vertical_alignment="bottom")
    widget("text", a, height=68)
    widget("pair", b, height=68)
    c.selectbox("Load an example", list(examples.SENTENCES) + list(PAIRS), key="example",
                index=None, placeholder="Choose…", on_change=_load_example)


def view_picker() -> None:
    widget("view", radio=True, label_visibility="collapsed")


def filters(has_pair: bool) -> None:
    """The display filters, in the sidebar: they change what the charts show, never what the
    model computes."""
    with st.sidebar:
        st.subheader("Display filters", help="They change what the charts show, never what the model computes.")
        widget("hide")
        widget("topk")
        widget("zmax")
        widget("block", disabled=not has_pair)
        if not has_pair:
            st.caption("Type a text B to pick a block of “A [SEP] B”.")


def zmax_note() -> str:
    z = float(st.session_state.zmax)
    return f" (weights ≥ {z:g} all get the top colour)" if z < 1 else ""


@dataclass
class Ctx:
    """One run of the page: the texts, the model's cached outputs and the display filters."""
    text: str
    pair: str
    enc: dict
    colorscale: str

    def __post_init__(self):
        s = st.session_state
        self.tokens = [str(t) for t in self.enc["tokens"]]
        self.n = len(self.tokens)
        self.labels = display_tokens(self.tokens)                  # chart labels (figures escape them)
        self.text_labels = [visible(t) for t in self.labels]       # for widgets and tables
        self.has_pair = bool(self.pair)
        self.block = s.block if self.has_pair else "all"
        self.hide = bool(s.hide)
        self.rows, self.cols = compute.block_index(self.enc, self.block, self.hide)
        self.topk = int(s.topk)
        self.row_labels = [self.labels[i] for i in self.rows]
        self.col_labels = [self.labels[j] for j in self.cols]

    def filters(self) -> str:
        parts = []
        if self.block != "all":
            parts.append(f"queries in {self.block[0]} → keys in {self.block[1]}")
        if self.hide:
            parts.append("[CLS]/[SEP] hidden")
        if self.topk:
            parts.append(f"top-{self.topk} per row")
        return " · ".join(parts)

    def filters_note(self) -> str:
        f = self.filters()
        return (f" Filters: {f} (rows then no longer sum to 1 — the rest of the mass is on hidden tokens)."
                if f else "")

    def heatmap(self, w: np.ndarray, key: str, name: str, title: str, extra_mask=None,
                value_name: str = "weight", select: bool = False, highlight_row: Optional[int] = None):
        """A filtered ``(n, n)`` map as a heatmap + CSV/JSON of exactly what is shown."""
        sub, mask = compute.shown(w, self.rows, self.cols, self.topk, extra_mask)
        if not sub.size:
            st.info("No tokens left to show with these filters (e.g. segment B hidden).")
            return None
        fig = figures.heatmap(sub, self.col_labels, self.row_labels, title=title,
                              colorscale=self.colorscale, scope_mask=mask, value_name=value_name,
                              clickable=select, highlight_row=highlight_row,
                              zmax=float(st.session_state.zmax))
        ev = charts.plot(fig, key=key, name=name, select=select)
        charts.downloads(sub if mask is None else np.where(mask, sub, np.nan), self.row_labels,
                         self.col_labels, name, f"dl_{key}",
                         meta={"view": title, "rows": "query", "columns": "key", "filters": self.filters()})
        return ev


def layer_head() -> tuple[int, int]:
    """Layer and head sliders side by side; returns them 0-based."""
    a, b = st.columns(2)
    widget("layer", a)
    widget("head", b)
    return st.session_state.layer - 1, st.session_state.head - 1


def layer_head_click(ev, **also) -> None:
    """A click on a layers x heads chart (``x`` = head, ``y`` = layer, 0-based) opens that head."""
    pt = charts.clicked(ev)
    if pt is not None and pt.get("x") is not None and pt.get("y") is not None:
        P.request(layer=int(round(float(pt["y"]))) + 1, head=int(round(float(pt["x"]))) + 1, **also)
