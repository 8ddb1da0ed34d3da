"""A chart in words: the short summary a screen reader reads instead of a heatmap or a bar chart,
generated from the numbers and labels the chart is drawn from (issue 25).

* :func:`matrix_facts` / :func:`matrix_summary`: a matrix ``(n_rows, n_cols)`` with its labels,
  e.g. ``Row “it (10)” puts 0.62 of its weight on “animal (2)”.``
* :func:`bars_facts` / :func:`bars_summary`: one value per labelled item.
* :func:`figure_summary`: the same, read off a figure built by :mod:`figures` (its heatmap's
  ``z`` and tick labels, the highlighted row; or its bars), for charts that pass no summary.

The facts are dataclasses (tested against numpy: argmax, counts, extremes); the text is built
from them.  NaN cells are blank (outside a query's scope) and never count as a value.  Labels are
returned as given: the caller escapes them for where they are shown.
"""
from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

#: Tolerance for "a row of attention weights": values in [0, 1] and each row summing to <= 1.
_TOL = 1e-3


@dataclass(frozen=True)
class Cell:
    """One cell: row and column index, their labels, the value."""
    row: int
    col: int
    row_label: str
    col_label: str
    value: float


@dataclass(frozen=True)
class MatrixFacts:
    """What :func:`matrix_summary` says about a matrix.

    shape:      ``(n_rows, n_cols)``.
    weights:    every finite value is in [0, 1] and every row sums to at most 1 (attention
                weights: "puts 0.62 of its weight on"); otherwise values are described as values.
    focus:      the focused row's largest cell (None without a focus row, or if it is blank).
    focus_next: its second-largest cell (None if there is none or it is 0 for weights).
    focus_empty: the focused row is blank or all 0 (attends to nothing).
    top_col:    ``(column index, label, rows)``: the column most rows have their largest value in
                (None when no column is the largest of two or more rows).
    largest / smallest: the extreme cells over the whole matrix (None if every cell is blank).
    blank:      how many cells are NaN (outside a query's scope).
    """
    shape: tuple
    weights: bool
    focus: Optional[Cell]
    focus_next: Optional[Cell]
    focus_empty: bool
    top_col: Optional[tuple]
    largest: Optional[Cell]
    smallest: Optional[Cell]
    blank: int


def _label(labels: Optional[Sequence[str]], i: int) -> str:
    if labels is not None and 0 <= i < len(labels) and labels[i] is not None:
        return str(labels[i])
    return f"#{i}"


def _cell(m: np.ndarray, i: int, j: int, rl, cl) -> Cell:
    return Cell(int(i), int(j), _label(rl, i), _label(cl, j), float(m[i, j]))


def is_weights(m: np.ndarray) -> bool:
    """Every finite value in [0, 1] and every row summing to at most 1 (blank cells ignored)."""
    m = np.asarray(m, dtype=np.float64)
    fin = m[np.isfinite(m)]
    if fin.size == 0 or fin.min() < -_TOL or fin.max() > 1 + _TOL:
        return False
    return bool(np.all(np.nansum(np.where(np.isfinite(m), m, np.nan), axis=-1) <= 1 + _TOL))


def matrix_facts(m, row_labels: Optional[Sequence[str]] = None,
                 col_labels: Optional[Sequence[str]] = None, *,
                 focus_row: Optional[int] = None) -> MatrixFacts:
    """The facts :func:`matrix_summary` states about ``m (n_rows, n_cols)`` (NaN = blank)."""
    m = np.asarray(m, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"a matrix (n_rows, n_cols) is needed; got shape {m.shape}")
    nr, nc = m.shape
    finite = np.isfinite(m)
    weights = is_weights(m)
    filled = np.where(finite, m, -np.inf)                                   # (nr, nc)
    has = finite.any(axis=1)                                                # (nr,)
    focus = focus_next = None
    focus_empty = False
    if focus_row is not None and 0 <= focus_row < nr:
        row = filled[focus_row]
        if not has[focus_row] or (weights and np.nanmax(np.where(finite[focus_row], m[focus_row], 0)) <= 0):
            focus_empty = True
        else:
            order = np.argsort(-row, kind="stable")
            focus = _cell(m, focus_row, order[0], row_labels, col_labels)
            if nc > 1 and np.isfinite(row[order[1]]) and not (weights and row[order[1]] <= 0):
                focus_next = _cell(m, focus_row, order[1], row_labels, col_labels)
    top_col = None
    if weights:                       # a row of weights that are all 0 attends to nothing
        has = has & (np.where(finite, m, 0).max(axis=1) > 0)
    rows_with = np.flatnonzero(has)
    if rows_with.size:
        arg = np.argmax(filled[rows_with], axis=1)                          # (rows,)
        (j, count), = Counter(arg.tolist()).most_common(1)
        if count >= 2:
            top_col = (int(j), _label(col_labels, j), int(count))
    largest = smallest = None
    if finite.any():
        i, j = np.unravel_index(np.argmax(filled), m.shape)
        largest = _cell(m, i, j, row_labels, col_labels)
        i, j = np.unravel_index(np.argmin(np.where(finite, m, np.inf)), m.shape)
        smallest = _cell(m, i, j, row_labels, col_labels)
    return MatrixFacts((nr, nc), weights, focus, focus_next, focus_empty, top_col, largest,
                       smallest, int((~finite).sum()))


def _num(v: float, weights: bool) -> str:
    """A weight with 2 decimals (2 significant digits below 0.01), other values with 3 digits."""
    if weights:
        return f"{v:.2f}" if v >= 0.01 or v == 0 else (f"{v:.2g}" if v >= 0.001 else "under 0.001")
    return f"{v:.3g}"


def _q(label: str) -> str:
    return f"“{label}”"


def plural(word: str, n: int = 2) -> str:
    """``query`` -> ``queries``, ``key`` -> ``keys``, ``patch`` -> ``patches`` (n != 1)."""
    if n == 1 or not word:
        return word
    if word.endswith("y") and word[-2:-1] not in tuple("aeiou"):
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def matrix_summary(m, row_labels: Optional[Sequence[str]] = None,
                   col_labels: Optional[Sequence[str]] = None, *, focus_row: Optional[int] = None,
                   rows: str = "row", cols: str = "column", value_name: str = "value",
                   title: str = "") -> str:
    """A few sentences on ``m (n_rows, n_cols)``: its size, the focused row's largest cells, the
    column most rows favour, the extremes, the blank cells.  ``rows`` / ``cols`` name the axes
    ("query", "key"); ``value_name`` what a cell holds."""
    f = matrix_facts(m, row_labels, col_labels, focus_row=focus_row)
    nr, nc = f.shape
    out = [f"{title + ': ' if title else ''}{nr} {plural(rows, nr)} × {nc} {plural(cols, nc)} "
           f"({value_name} in each cell)."]
    if f.largest is None:
        return out[0] + " Every cell is blank."
    w = f.weights
    if f.focus_empty and focus_row is not None:
        out.append(f"{rows.capitalize()} {_q(_label(row_labels, focus_row))} attends to nothing "
                   "(its cells are blank or 0)." if w else
                   f"{rows.capitalize()} {_q(_label(row_labels, focus_row))} is blank.")
    elif f.focus is not None:
        c, n2 = f.focus, f.focus_next
        if w:
            s = f"{rows.capitalize()} {_q(c.row_label)} puts {_num(c.value, w)} of its weight on {_q(c.col_label)}"
            s += f", then {_num(n2.value, w)} on {_q(n2.col_label)}." if n2 else "."
        else:
            s = f"{rows.capitalize()} {_q(c.row_label)} is largest at {_q(c.col_label)} ({_num(c.value, w)})"
            s += f", then {_q(n2.col_label)} ({_num(n2.value, w)})." if n2 else "."
        out.append(s)
    if f.top_col is not None and nr > 1:
        _, lab, k = f.top_col
        out.append(f"{k} of {nr} {plural(rows)} have their largest {value_name} on {_q(lab)}.")
    L = f.largest
    if f.focus is None or (L.row, L.col) != (f.focus.row, f.focus.col):
        out.append(f"Largest: {rows} {_q(L.row_label)}, {cols} {_q(L.col_label)}, {_num(L.value, w)}.")
    if not w and f.smallest is not None and f.smallest.value != L.value:
        S = f.smallest
        out.append(f"Smallest: {rows} {_q(S.row_label)}, {cols} {_q(S.col_label)}, {_num(S.value, w)}.")
    if f.blank:
        out.append(f"{f.blank} of {nr * nc} cells are blank (outside the {rows}'s scope).")
    return " ".join(out)


@dataclass(frozen=True)
class BarsFacts:
    """What :func:`bars_summary` says: the items by value, largest first (index, label, value),
    and the smallest."""
    n: int
    top: tuple
    smallest: Optional[tuple]


def bars_facts(values, labels: Optional[Sequence[str]] = None, k: int = 3) -> BarsFacts:
    """The ``k`` largest items and the smallest of ``values (n,)`` (NaN ignored)."""
    v = np.asarray(values, dtype=np.float64).reshape(-1)
    ok = np.flatnonzero(np.isfinite(v))
    order = ok[np.argsort(-v[ok], kind="stable")]
    top = tuple((int(i), _label(labels, i), float(v[i])) for i in order[:k])
    smallest = (int(order[-1]), _label(labels, order[-1]), float(v[order[-1]])) if order.size > k else None
    return BarsFacts(int(v.size), top, smallest)


def bars_summary(values, labels: Optional[Sequence[str]] = None, *, value_name: str = "value",
                 items: str = "item", title: str = "", k: int = 3) -> str:
    """``5 items of α: highest “S3” 0.41, then “S1” 0.22 and “S5” 0.15; lowest “S2” 0.03.``"""
    f = bars_facts(values, labels, k)
    head = f"{title + ': ' if title else ''}{f.n} {plural(items, f.n)}, {value_name} of each"
    if not f.top:
        return head + "; every value is blank."
    fmt = lambda v: f"{v:.3g}" if abs(v) >= 1 or v == 0 else _num(v, 0 <= v <= 1)  # noqa: E731
    parts = [f"{_q(l)} {fmt(v)}" for _, l, v in f.top]
    s = f"{head}: highest {parts[0]}"
    if len(parts) > 1:
        s += ", then " + " and ".join([", ".join(parts[1:-1]), parts[-1]] if len(parts) > 2 else parts[1:])
    if f.smallest is not None:
        s += f"; lowest {_q(f.smallest[1])} {fmt(f.smallest[2])}"
    return s + "."


# ------------------------------------------------------------------ read off a figure
def _text(t) -> str:
    """A Plotly label back to plain text (the builders escaped ``&<>``; drop markup like <br>)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", str(t))).strip() if t is not None else ""


def _axis_name(axis) -> str:
    """An axis' title as a one-word name for its rows or columns: ``"query (attending)"`` ->
    ``"query"``; "" when the title is longer (the caller then says "row" / "column")."""
    t = _text(getattr(getattr(axis, "title", None), "text", None) if axis is not None else None)
    t = re.sub(r"\s*\(.*?\)\s*", " ", t).strip()
    return t if re.fullmatch(r"[^\W\d_]+", t) else ""


def _labels(axis, coords: Sequence) -> list:
    """Labels of positions ``coords`` from an axis' ``tickvals`` / ``ticktext`` (None where a
    position has no tick label: shown as ``#i``)."""
    vals, text = getattr(axis, "tickvals", None), getattr(axis, "ticktext", None)
    if vals is None or text is None:
        return [None] * len(coords)
    by = {float(v): _text(t) for v, t in zip(vals, text)}
    return [by.get(float(c)) for c in coords]


def figure_summary(fig) -> str:
    """The summary of a figure built by :mod:`figures`: its one heatmap (``z``, tick labels, the
    row framed by ``highlight_row``) or its first bar trace; otherwise its title only."""
    title = _text(getattr(fig.layout.title, "text", None))
    heat = [t for t in fig.data if t.type == "heatmap" and t.z is not None and np.ndim(t.z) == 2]
    bars = [t for t in fig.data if t.type == "bar"]
    if len(heat) == 1:
        t = heat[0]
        z = np.asarray(t.z, dtype=np.float64)
        nr, nc = z.shape
        xs = list(t.x) if t.x is not None else list(range(nc))
        ys = list(t.y) if t.y is not None else list(range(nr))
        ax = fig.layout[("xaxis" + t.xaxis[1:]) if t.xaxis else "xaxis"]
        ay = fig.layout[("yaxis" + t.yaxis[1:]) if t.yaxis else "yaxis"]
        focus = next((int(round(s.y0 + 0.5)) for s in fig.layout.shapes if s.name == "highlight_row"), None)
        cb = _text(getattr(getattr(getattr(t, "colorbar", None), "title", None), "text", None))
        return matrix_summary(z, _labels(ay, ys), _labels(ax, xs), focus_row=focus,
                              rows=_axis_name(ay) or "row", cols=_axis_name(ax) or "column",
                              value_name=cb or "value", title=title)
    if bars:
        t = bars[0]
        horizontal = t.orientation == "h"
        vals = np.asarray(t.x if horizontal else t.y, dtype=np.float64).reshape(-1)
        pos = list(t.y if horizontal else t.x) if (t.y if horizontal else t.x) is not None else list(range(vals.size))
        axis = fig.layout.yaxis if horizontal else fig.layout.xaxis
        labels = _labels(axis, pos)
        if any(l is None for l in labels) and t.customdata is not None and len(t.customdata) == vals.size:
            labels = [_text(c if np.ndim(c) == 0 else c[0]) for c in t.customdata]
        vname = _axis_name(fig.layout.xaxis if horizontal else fig.layout.yaxis) or "value"
        return bars_summary(vals, labels, value_name=vname, title=title)
    return f"Chart: {title}." if title else ""
