"""Charts on a page: ``plot`` (a Plotly figure with the app's conventions and its summary in
words), the CSV / JSON exports of exactly what a chart shows with the same numbers as a table a
keyboard and a screen reader can reach, and reading a click."""
from __future__ import annotations

import csv
import io
import json
from typing import Optional, Sequence

import numpy as np
import streamlit as st

from figures import describe, export_config
from figures.labels import file_name, visible

from .page import lazy_section

#: Above this many cells, CSV / JSON are serialised only when the user clicks (512 x 512 ~ 0.3 s).
LAZY_CELLS = 20_000


#: What the text alternative under every chart starts with (tests look for it).
IN_WORDS = "In words:"


def plot(fig, *, key: str, name: str, select: bool = False, summary: Optional[str] = None, **kwargs):
    """``st.plotly_chart`` with the app's conventions: a stable ``key``, PNG export at 2x named
    ``name``, the large-text preference applied to the figure's fonts; ``select=True`` turns on
    point clicks (read them with :func:`clicked`).

    Under the chart, its text alternative (issue 25): ``summary`` (a page's own, e.g. from
    :func:`figures.describe.matrix_summary` with the inspected row), or by default one read off
    the figure's numbers and labels (:func:`figures.describe.figure_summary`); ``""`` for none.
    A screen reader gets nothing from the chart's SVG: this line is what it reads."""
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
    if select:
        kwargs.update(on_select="rerun", selection_mode="points")
    if summary is None:
        summary = describe.figure_summary(fig)
    event = st.plotly_chart(fig, key=key, config=export_config(name), **kwargs)
    if summary:
        st.caption(f"{IN_WORDS} {markdown_text(summary)}")
    return event


def markdown_text(text) -> str:
    """Echoed text made literal in Markdown: through the one sanitiser, then every character
    Markdown (or Streamlit's ``:icon:`` / ``$math$``) would interpret escaped."""
    t = visible(text).replace("\\", "\\\\")
    for ch in "|*_`[]<>#$~:":
        t = t.replace(ch, "\\" + ch)
    return t


def clicked(event) -> Optional[dict]:
    """The first selected point of a chart event (read dict-style: attribute access fails in
    AppTest), or None."""
    try:
        pts = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    return pts[0] if pts else None


def matrix_csv(matrix: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str]) -> str:
    """CSV with a header row of column labels and a first column of row labels."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([""] + [visible(c) for c in col_labels])
    for lab, row in zip(row_labels, np.asarray(matrix)):
        w.writerow([visible(lab)] + [repr(float(x)) for x in row])
    return buf.getvalue()


def matrix_json(matrix: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str],
                meta: Optional[dict] = None) -> str:
    """JSON ``{"rows": [...], "columns": [...], "values": [[...]], "meta": {...}}``
    (NaN, e.g. out-of-scope cells, becomes null)."""
    m = np.asarray(matrix, dtype=float)
    vals = [[None if not np.isfinite(x) else float(x) for x in row] for row in m]
    return json.dumps({"rows": [str(r) for r in row_labels], "columns": [str(c) for c in col_labels],
                       "values": vals, "meta": meta or {}}, ensure_ascii=False)


def downloads(matrix, row_labels, col_labels, name: str, key: str, meta: Optional[dict] = None,
              table: bool = True) -> None:
    """CSV and JSON download buttons side by side (stable keys ``{key}_csv`` / ``{key}_json``)
    holding exactly ``matrix`` with its labels; large matrices are serialised on click.  With
    ``table``, the same numbers in a "Numbers table" section under them (:func:`numbers_table`)."""
    m = np.asarray(matrix)
    rl, cl = [str(r) for r in row_labels], [str(c) for c in col_labels]
    lazy = m.size > LAZY_CELLS
    csv_data = (lambda: matrix_csv(m, rl, cl)) if lazy else matrix_csv(m, rl, cl)
    json_data = (lambda: matrix_json(m, rl, cl, meta)) if lazy else matrix_json(m, rl, cl, meta)
    row = st.container(horizontal=True)
    fname = file_name(name)
    row.download_button("CSV", csv_data, file_name=f"{fname}.csv", mime="text/csv", key=f"{key}_csv",
                        icon=":material/download:", on_click="ignore")
    row.download_button("JSON", json_data, file_name=f"{fname}.json", mime="application/json",
                        key=f"{key}_json", icon=":material/download:", on_click="ignore")
    if table:
        numbers_table(m, rl, cl, key)


def _unique(labels: Sequence[str]) -> list[str]:
    """Labels made unique for a table's header (``#j`` prefixed where a label repeats)."""
    seen = [visible(l) for l in labels]
    if len(set(seen)) == len(seen):
        return seen
    return [f"#{j} {l}" for j, l in enumerate(seen)]


def numbers_table(matrix, row_labels, col_labels, key: str) -> None:
    """The numbers a chart shows (exactly the CSV's) as a table, in a section that runs only while
    open: the keyboard and screen-reader route to what hovering or clicking a cell gives.  A data
    grid: focusable (Tab), arrow keys move cell to cell, blank cells (outside a scope) empty."""
    with lazy_section("Numbers table", f"_{key}_table_open", icon=":material/table:") as is_open:
        if not is_open:
            return
        import pandas as pd
        m = np.asarray(matrix, dtype=float)
        df = pd.DataFrame(m, index=pd.Index(_unique(row_labels), name="row"), columns=_unique(col_labels))
        st.dataframe(df, key=f"{key}_table")
        st.caption(f"{m.shape[0]} rows × {m.shape[1]} columns, the values of the CSV. Tab into the "
                   "table, then move with the arrow keys.")


def number_table(columns: dict, digits: int = 4) -> str:
    """A Markdown table of ``columns`` (name -> equal-length list): floats with ``digits``
    decimals, bools as ✓ / ·, text through the one sanitiser (``|`` and ``*`` escaped).
    Light to draw (no data-grid component), exact numbers to read and check by hand."""
    names = list(columns)
    n = len(next(iter(columns.values()), []))

    def cell(v) -> str:
        if isinstance(v, (bool, np.bool_)):
            return "✓" if v else "·"
        if isinstance(v, (float, np.floating)):
            return f"{float(v):.{digits}f}"
        t = visible(v).replace("\\", "\\\\")
        for ch in "|*_`[]<>#$~":
            t = t.replace(ch, "\\" + ch)
        return t
    lines = ["| " + " | ".join(names) + " |", "|" + "|".join("---" for _ in names) + "|"]
    lines += ["| " + " | ".join(cell(columns[c][i]) for c in names) + " |" for i in range(n)]
    return "\n".join(lines)


#: Up to this many rows :func:`table` draws a Markdown table in the page's flow (light, read as a
#: table by a screen reader); a longer one goes in a data grid, a scrolling box that takes
#: keyboard focus (a height-capped box of Markdown cannot: axe's scrollable-region-focusable).
INLINE_ROWS = 64


def table(columns: dict, *, key: str, digits: int = 4) -> None:
    """``columns`` (name -> equal-length list) as :func:`number_table` in the page's flow, or,
    above :data:`INLINE_ROWS` rows, as a focusable data grid (floats shown with ``digits``
    decimals, text through the one sanitiser)."""
    n = len(next(iter(columns.values()), []))
    if n <= INLINE_ROWS:
        st.markdown(number_table(columns, digits))
        return
    import pandas as pd
    data, cfg = {}, {}
    for name, col in columns.items():
        vals = list(col)
        if vals and all(isinstance(v, (float, np.floating)) for v in vals):
            cfg[name] = st.column_config.NumberColumn(name, format=f"%.{digits}f")
        elif vals and not all(isinstance(v, (bool, np.bool_, int, np.integer)) for v in vals):
            vals = [visible(v) for v in vals]
        data[name] = vals
    st.dataframe(pd.DataFrame(data), key=key, hide_index=True, column_config=cfg)
