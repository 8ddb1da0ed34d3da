"""Synthetic replays for the tests of the "How it learned" section (never shipped, never in app code).

A synthetic replay of the date task: lesson "3. März 2021" -> "2021-03-03" with the truth the data
generator knows (year rows -> the year's characters, month rows -> "März", day rows -> "3"; the
separators and the end token unscored).  Its maps move from uniform (step 0) to the truth
(``aligns=True``) or to a wrong span (``aligns=False``: the day's characters for every row), so
every measured number is known in advance.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from attention.models import replay as R

SOURCE = "3. März 2021"
TARGET = tuple("2021-03-03") + ("</s>",)
SPANS = {"year": (8, 12), "month": (3, 7), "day": (0, 1)}
ROW_FIELD = ["year"] * 4 + [None] + ["month"] * 2 + [None] + ["day"] * 2 + [None]
STEPS = (0, 10, 40, 90, 160, 250, 360, 500)


def truth() -> np.ndarray:
    """``(11, 12)`` bool: row t's true span."""
    tr = np.zeros((len(TARGET), len(SOURCE)), dtype=bool)
    for t, f in enumerate(ROW_FIELD):
        if f is not None:
            a, b = SPANS[f]
            tr[t, a:b] = True
    return tr


def maps(aligns: bool = True, steps=STEPS) -> np.ndarray:
    """``(K, 11, 12)``: row t at snapshot k = (1 - a_k) uniform + a_k target, a_k = k / (K-1);
    the target is the true span (uniform inside it) or, with ``aligns=False``, the day's span."""
    K, T, S = len(steps), len(TARGET), len(SOURCE)
    tr = truth()
    goal = np.zeros((T, S))
    for t in range(T):
        span = tr[t] if aligns else np.eye(1, S, 0, dtype=bool)[0]
        if not span.any():
            span = np.eye(1, S, S - 1, dtype=bool)[0]          # the end token reads the last char
        goal[t] = span / span.sum()
    uni = np.full((T, S), 1.0 / S)
    out = np.stack([(1 - a) * uni + a * goal for a in np.linspace(0, 1, K)])  # (K, T, S)
    return out.astype(np.float32)


def lesson(aligns: bool = True, name: str = "reordered", steps=STEPS) -> R.Lesson:
    K = len(steps)
    outs = tuple(("2", "0", "2", "0")[: min(4, k + 1)] if k < K - 1 else TARGET[:-1] for k in range(K))
    return R.Lesson(name=name, text=SOURCE, keys=tuple(SOURCE), target=TARGET, truth=truth(),
                    maps=maps(aligns, steps), outputs=outs, grid=None)


def write(folder: Path, variant: str, aligns: bool = True, steps=STEPS, task: str = "translate",
          lessons: int = 2) -> Path:
    """Write ``<folder>/<variant>.replay.safetensors``; returns its path."""
    K = len(steps)
    loss = np.geomspace(2.5, 0.01, K)
    acc = np.linspace(0.0, 1.0 if aligns else 0.3, K)
    acc[1] = np.nan                                             # a snapshot without validation
    ls = [lesson(aligns, "reordered", steps)]
    if lessons > 1:
        ls.append(lesson(aligns, "second", steps))
    return R.save(Path(folder) / variant, task, variant, steps, loss, acc, ls, meta={"synthetic": True})
