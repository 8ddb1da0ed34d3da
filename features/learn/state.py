"""Learn page parameters: URL key = widget key = ``attention.attend`` option name.

The matrices X and W_a travel in the URL as text, rows split by ``;``: ``X=1,0;0,1;1,1``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from ui import params as P
from ui.vocab import NORMALIZATION_LABELS, SCOPE_LABELS, SCORE_LABELS

MAX_TOKENS = 6          # rows of an editable X
MAX_FEATURES = 4        # columns of an editable X (and the size of W_a)
MAX_ABS = 100.0         # largest |entry| accepted in an editable matrix

SCORES = ("dot", "general", "additive")
SCOPES = ("global", "local", "causal")
NORMALIZATIONS = ("soft", "hard")

_NUM = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?")


def format_matrix(m) -> str:
    """``(r, c)`` array -> ``"1,0;0,1;1,1"`` (rows split by ``;``, at most 10 significant digits)."""
    m = np.asarray(m, dtype=float)
    return ";".join(",".join(f"{v:.10g}" for v in row) for row in m)


def check_value(v: float, where: str) -> float:
    """``v`` if it is finite and ``|v| <= MAX_ABS`` (``-0.0`` becomes 0), else a ValueError naming ``where``."""
    if not math.isfinite(v):
        raise ValueError(f"{where} is not a finite number")
    if abs(v) > MAX_ABS:
        raise ValueError(f"{where} = {v:g} is outside [-{MAX_ABS:g}, {MAX_ABS:g}]")
    return 0.0 if v == 0 else v


def is_number(text: str) -> bool:
    """A plain decimal number (``1``, ``-0.5``, ``2e-3``): no ``nan``, ``inf``, hex or markup."""
    return bool(_NUM.fullmatch(text.strip()))


def parse_matrix(text: str, max_rows: int = MAX_TOKENS, max_cols: int = MAX_FEATURES,
                 min_rows: int = 1, name: str = "matrix") -> np.ndarray:
    """``"1,0;0,1;1,1"`` -> float ``(rows, cols)``; a ValueError with a clear message otherwise.

    Rows are separated by ``;``, entries by ``,``; every entry a plain finite decimal
    number with ``|x| <= MAX_ABS``; all rows the same length.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{name} is empty")
    if len(text) > 2000:
        raise ValueError(f"{name} is too long")
    rows = text.strip().strip(";").split(";")
    if not min_rows <= len(rows) <= max_rows:
        raise ValueError(f"{name} must have {min_rows} to {max_rows} rows; got {len(rows)}")
    out = []
    for i, r in enumerate(rows, 1):
        cells = r.split(",")
        if not 1 <= len(cells) <= max_cols:
            raise ValueError(f"{name} must have 1 to {max_cols} columns; row {i} has {len(cells)}")
        vals = []
        for j, c in enumerate(cells, 1):
            if not is_number(c):
                raise ValueError(f"{name} row {i}, column {j} is not a number")
            vals.append(check_value(float(c), f"{name} row {i}, column {j}"))
        out.append(vals)
    if len({len(v) for v in out}) != 1:
        raise ValueError(f"{name} rows have different lengths ({', '.join(str(len(v)) for v in out)})")
    return np.array(out, dtype=float)


@dataclass(frozen=True)
class MatrixParam(P.Text):
    """A small matrix in the URL as ``"1,0;0,1;1,1"``; the value kept in the state is that text."""
    max_rows: int = MAX_TOKENS
    max_cols: int = MAX_FEATURES
    min_rows: int = 1

    def matrix(self, text: str) -> np.ndarray:
        """The matrix ``(rows, cols)`` of ``text`` (ValueError if it is not a usable one)."""
        return parse_matrix(text, self.max_rows, self.max_cols, self.min_rows, name=self.label)

    def parse(self, raw: str) -> str:
        try:
            return format_matrix(self.matrix(raw))
        except ValueError as e:
            msg = str(e)
            if msg.startswith(self.label):
                msg = msg[len(self.label):].strip()
            raise P.Invalid(f"is not a usable matrix ({msg}; write rows like `1,0;0,1`)") from None


PARAMS = [
    MatrixParam("X", "X", "1,0;0,1;1,1", min_rows=2),
    MatrixParam("W_a", "W_a", "1,0;0,1"),
    P.Choice("score", "Score", "general", options=SCORES, labels=SCORE_LABELS),
    P.Choice("scope", "Scope", "global", options=SCOPES, labels=SCOPE_LABELS),
    P.Int("window", "Window w", 1, lo=0, hi=5),
    P.Choice("normalization", "Attention type", "soft", options=NORMALIZATIONS,
             labels=NORMALIZATION_LABELS),
    P.Float("temperature", "Temperature T", 1.0, lo=0.1, hi=5.0, step=0.1),
    P.Int("row", "Check a row by hand", 1, lo=1, hi=MAX_TOKENS),
]
BY = {p.key: p for p in PARAMS}


def check(s) -> list[str]:
    """Make the state ``s`` consistent after a link was applied (W_a must be d x d for X's d
    features; the checked row must exist); return a Markdown-safe notice for each fix."""
    notes = []
    X, W_a = BY["X"].matrix(s.X), BY["W_a"].matrix(s.W_a)
    d = X.shape[1]
    if W_a.shape != (d, d):
        notes.append(f"Link parameter `W_a` is {W_a.shape[0]}×{W_a.shape[1]}, but X has {d} columns, so "
                     f"W_a must be {d}×{d}; using the {d}×{d} identity.")
        s.W_a = format_matrix(np.eye(d))
    if s.row > X.shape[0]:
        notes.append(f"Link parameter `row` = {s.row} is past the last token (x{X.shape[0]}); using x1.")
        s.row = 1
    return notes
