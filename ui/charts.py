"""Charts on a page: ``plot`` (a Plotly figure with the app's conventions), the CSV / JSON
exports of exactly what a chart shows, and reading a click."""
from __future__ import annotations

import csv
import io
import json
from typing import Optional, Sequence

import numpy as np
import streamlit as st

from figures import export_config
from figures.labels import file_name, visible

#: Above this many cells, CSV / JSON are serialised only when the user clicks (512 x 512 ~ 0.3 s).
LAZY_CELLS = 20_000


def plot(fig, *, key: str, name: str, select: bool = False, **kwargs):
    """``st.plotly_chart`` with the app's conventions: a stable ``key``, PNG export at 2x named
    ``name``, the large-text preference applied to the figure's fonts; ``select=True`` turns on
    point clicks (read them with :func:`clicked`)."""
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
    return st.plotly_chart(fig, key=key, config=export_config(name), **kwargs)


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


def downloads(matrix, row_labels, col_labels, name: str, key: str, meta: Optional[dict] = None) -> None:
    """CSV and JSON download buttons side by side (stable keys ``{key}_csv`` / ``{key}_json``)
    holding exactly ``matrix`` with its labels; large matrices are serialised on click."""
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
