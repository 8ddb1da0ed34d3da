"""Download buttons that export exactly the matrix a chart shows."""
from __future__ import annotations

import io
import json
from typing import Optional, Sequence

import numpy as np
import streamlit as st


def matrix_csv(matrix: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str]) -> str:
    """CSV with a header row of column labels and a first column of row labels."""
    import csv
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow([""] + [str(c) for c in col_labels])
    for lab, row in zip(row_labels, np.asarray(matrix)):
        w.writerow([str(lab)] + [repr(float(x)) for x in row])
    return buf.getvalue()


def matrix_json(matrix: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str],
                meta: Optional[dict] = None) -> str:
    """JSON ``{"rows": [...], "columns": [...], "values": [[...]], "meta": {...}}``
    (NaN, e.g. out-of-scope cells, becomes null)."""
    m = np.asarray(matrix, dtype=float)
    vals = [[None if not np.isfinite(x) else float(x) for x in row] for row in m]
    return json.dumps({"rows": [str(r) for r in row_labels], "columns": [str(c) for c in col_labels],
                       "values": vals, "meta": meta or {}}, ensure_ascii=False)


def download_buttons(matrix, row_labels, col_labels, name: str, key: str,
                     meta: Optional[dict] = None) -> None:
    """CSV and JSON download buttons side by side (stable keys ``{key}_csv`` / ``{key}_json``)."""
    c1, c2, _ = st.columns([1, 1, 4])
    c1.download_button("CSV", matrix_csv(matrix, row_labels, col_labels), file_name=f"{name}.csv",
                       mime="text/csv", key=f"{key}_csv", icon=":material/download:", on_click="ignore")
    c2.download_button("JSON", matrix_json(matrix, row_labels, col_labels, meta),
                       file_name=f"{name}.json", mime="application/json", key=f"{key}_json",
                       icon=":material/download:", on_click="ignore")
