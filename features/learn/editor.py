"""Matrices on the Learn page: the X and W_a editors (an edited table read back cell by cell) and
matrices shown as tables with their CSV / JSON downloads."""
from __future__ import annotations

import math
from typing import Optional, Sequence

import numpy as np
import pandas as pd
import streamlit as st

from ui import charts

from .state import MAX_ABS, MatrixParam, check_value, format_matrix, is_number


def cells_to_matrix(cells: Sequence[Sequence], name: str = "matrix") -> tuple[Optional[np.ndarray], list[str]]:
    """An edited table (rows of cells: numbers, numeric strings, None) -> ``(matrix, problems)``.

    ``matrix`` is None when any cell is empty, not a number, not finite or too large;
    ``problems`` then names every bad cell (1-based row and column).
    """
    problems, out = [], []
    for i, row in enumerate(cells, 1):
        vals = []
        for j, c in enumerate(row, 1):
            where = f"{name} row {i}, column {j}"
            try:
                vals.append(check_value(_cell(c, where), where))
            except (TypeError, ValueError) as e:
                msg = str(e) if str(e).startswith(name) else f"{where} is not a number"
                problems.append(msg)
                vals.append(float("nan"))
        out.append(vals)
    if problems:
        return None, problems
    if not out or len({len(v) for v in out}) != 1 or not out[0]:
        return None, [f"{name} must be a non-empty rectangle of numbers"]
    return np.array(out, dtype=float), []


def _cell(c, where: str) -> float:
    """One edited cell as a float (ValueError naming ``where`` if it is empty or not a number)."""
    if c is None or (isinstance(c, str) and not c.strip()):
        raise ValueError(f"{where} is empty")
    if isinstance(c, (bool, np.bool_)) or (isinstance(c, str) and not is_number(c)):
        raise ValueError(f"{where} is not a number")
    v = float(c)
    if math.isnan(v):
        raise ValueError(f"{where} is empty")
    return v


def matrix_editor(p: MatrixParam, row_labels: Sequence[str], col_labels: Sequence[str], *,
                  disabled: bool = False, corner: str = "row") -> np.ndarray:
    """A ``st.data_editor`` over the matrix held in ``st.session_state[p.key]``; returns the matrix.

    A valid edit is stored back (so it reaches the share link); empty, non-numeric,
    infinite or too-large cells get a clear warning and the last good matrix is kept.
    ``corner`` names the row-label column (a screen reader reads it; never an empty header).
    """
    s = st.session_state
    base = p.matrix(s[p.key])                                        # always valid
    seen = s.get(f"_{p.key}_seen")
    if seen is not None and seen != s[p.key]:
        # changed outside the editor (link, reset, resize): drop the editor's old edits
        s[f"_{p.key}_ver"] = s.get(f"_{p.key}_ver", 0) + 1
    ver = s.setdefault(f"_{p.key}_ver", 0)
    df = pd.DataFrame(base, index=pd.Index(list(row_labels), name=corner), columns=list(col_labels))
    cfg = {c: st.column_config.NumberColumn(c, min_value=-MAX_ABS, max_value=MAX_ABS, format="%g")
           for c in col_labels}
    edited = st.data_editor(df, key=f"{p.key}_edit{ver}", num_rows="fixed", disabled=disabled,
                            column_config=cfg, width="content")
    m, problems = cells_to_matrix(pd.DataFrame(edited).astype(object).to_numpy().tolist(), p.label)
    s[f"_{p.key}_seen"] = s[p.key]
    if problems:
        st.warning("Still using the last good " + p.label + ": " + "; ".join(problems[:4])
                   + ("; …" if len(problems) > 4 else "")
                   + f". Type a number from -{MAX_ABS:g} to {MAX_ABS:g} in each cell.",
                   icon=":material/edit_off:")
        return base
    if m.shape == base.shape and not np.array_equal(m, base):
        s[p.key] = s[f"_{p.key}_seen"] = format_matrix(m)
    return m


def reset(*params: MatrixParam) -> None:
    """Put ``params`` back to their defaults (their editors then start afresh)."""
    for p in params:
        st.session_state[p.key] = p.default


def show_matrix(m, row_labels, col_labels, *, name: str, key: str, caption: str = "",
                fmt: str = "%.4f", meta: Optional[dict] = None, corner: str = "row") -> None:
    """A matrix as a table (full precision underneath, ``fmt`` on screen) + CSV/JSON downloads;
    ``corner`` names the row-label column."""
    arr = np.asarray(m)
    df = pd.DataFrame(arr, index=pd.Index(list(row_labels), name=corner), columns=list(col_labels))
    cfg = None if arr.dtype == bool else {c: st.column_config.NumberColumn(c, format=fmt)
                                          for c in col_labels}
    st.dataframe(df, key=key, column_config=cfg, width="content")
    if caption:
        st.caption(caption)
    charts.downloads(arr.astype(float), row_labels, col_labels, name, key, meta=meta, table=False)
