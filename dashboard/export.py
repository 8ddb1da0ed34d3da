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
    """CSV and JSON download buttons side by side (stable keys ``{key}_csv`` / ``{key}_json``).

    Small matrices are serialised now; large ones (> 20,000 cells, e.g. 512 x 512 is ~0.3 s)
    only when the user clicks, so reruns stay fast."""
    row = st.container(horizontal=True)
    lazy = np.size(matrix) > 20_000
    csv_data = (lambda: matrix_csv(matrix, row_labels, col_labels)) if lazy else \
        matrix_csv(matrix, row_labels, col_labels)
    json_data = (lambda: matrix_json(matrix, row_labels, col_labels, meta)) if lazy else \
        matrix_json(matrix, row_labels, col_labels, meta)
    row.download_button("CSV", csv_data, file_name=f"{name}.csv",
                       mime="text/csv", key=f"{key}_csv", icon=":material/download:", on_click="ignore")
    row.download_button("JSON", json_data,
                       file_name=f"{name}.json", mime="application/json", key=f"{key}_json",
                       icon=":material/download:", on_click="ignore")
