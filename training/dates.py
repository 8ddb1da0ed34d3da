"""Date-format translation data from Babel's CLDR formats: "3. März 2021" -> "2021-03-03".

Recipe (everything here is deterministic; nothing is downloaded)
-----------------------------------------------------------------
* **Dates**: every calendar day from 1900-01-01 to 2099-12-31 (73,049 days).
* **Formats**: for each locale in :data:`LOCALES`, the CLDR date formats of widths
  ``full / long / medium / short`` and the skeletons ``yMd, yMMMd, yMMMMd, yMEd, yMMMEd``
  (Babel 2.19 = CLDR data).  Two-digit years (``yy``) are widened to ``y`` (four digits):
  "3/3/21" cannot say which century.  Patterns that are equal within a locale are kept once.
* **Conflicts**: a format is dropped when it writes some date as a string that an earlier
  format (in :data:`LOCALES` order) writes for a *different* date, weekday names ignored
  ("Fri, 12/11/2021" vs "Sat, 12/11/2021" would need the model to know calendars).  This removes every
  day/month-order clash: "03/04/2021" is 3 April in en_GB/fr/es/it but March 4 in en_US, so
  en_US's numeric ``M/d/y`` formats (also with a weekday) are dropped (en_US is listed last) and the slash means
  day/month/year everywhere.  en_US keeps its spelled-out formats ("March 3, 2021").
* **Text**: source = the formatted date after :func:`normalize` (Unicode NFKC, so the
  narrow no-break space before Russian "г." and full-width digits become plain ones, and
  runs of white space become one space); target = ISO 8601 ``YYYY-MM-DD``.
* **Splits, by date**: the days are shuffled with ``numpy.random.default_rng(seed)``; the
  first :data:`N_TEST` are the test days, the next :data:`N_VAL` the validation days, the rest
  (69,049) the training days.  No test *day* occurs in training, so no test string does
  either.  Each training day is written in :data:`FORMATS_PER_TRAIN_DAY` formats drawn with
  the same generator; each validation / test day in one format, dealt round-robin over the
  formats so every format is equally represented (about 2,000 / #formats each).
* **Vocabularies**: source = the sorted set of characters of every string any kept format
  produces (:func:`source_chars`); target = ``0123456789-``.

Where the reordering is
-----------------------
ISO writes year-month-day.  Formats that write day-month-year (``d MMMM y``: en_GB, de, fr,
es, it, ru) or month-day-year (``MMMM d, y``: en_US) put the year at the *end* of the source
while the target starts with it; ja / zh (``y年M月d日``, ``y/M/d``) are in ISO order.  A
weekday ("Mittwoch, ...") pushes everything further right.  :func:`field_order` names the order
of each format ("dmy", "mdy", "ymd").

The formats, the rendering and the recognizer live with the model, in
:mod:`attention.models.dates` (the page needs them at run time); this module builds the data.
"""
from __future__ import annotations

import datetime as _dt
import functools
from dataclasses import dataclass

import babel
import numpy as np

from attention.models.dates import (DATE_MAX, DATE_MIN, LOCALES, SKELETONS, WIDTHS, Format, Match,
                                    _days, dropped_formats, field_order, formats, iso,
                                    max_source_len, normalize, recognize, render, source_chars)

__all__ = ["DATE_MAX", "DATE_MIN", "LOCALES", "SKELETONS", "WIDTHS", "Format", "Match", "Example",
           "Splits", "dropped_formats", "field_order", "formats", "iso", "max_source_len",
           "normalize", "recognize", "render", "source_chars", "make_splits", "recipe",
           "N_TEST", "N_VAL", "FORMATS_PER_TRAIN_DAY", "TARGET_CHARS"]

N_TEST = 2000
N_VAL = 2000
FORMATS_PER_TRAIN_DAY = 2
TARGET_CHARS = "0123456789-"


@dataclass(frozen=True)
class Example:
    source: str
    target: str
    date: _dt.date
    format: int          # index into formats()


@dataclass(frozen=True)
class Splits:
    train: tuple[Example, ...]
    val: tuple[Example, ...]
    test: tuple[Example, ...]
    seed: int


@functools.lru_cache(maxsize=4)
def make_splits(seed: int = 0) -> Splits:
    """Fixed train / val / test examples by ``seed`` (see the module docstring)."""
    rng = np.random.default_rng(seed)
    days = _days(DATE_MIN, DATE_MAX)
    order = rng.permutation(len(days))
    test_days = [days[i] for i in order[:N_TEST]]
    val_days = [days[i] for i in order[N_TEST:N_TEST + N_VAL]]
    train_days = [days[i] for i in order[N_TEST + N_VAL:]]
    fmts = formats()
    nf = len(fmts)

    def dealt(ds, offset):
        return tuple(Example(render(d, fmts[(i + offset) % nf]), iso(d), d, (i + offset) % nf)
                     for i, d in enumerate(ds))

    picks = rng.integers(0, nf, size=(len(train_days), FORMATS_PER_TRAIN_DAY))
    train = tuple(Example(render(d, fmts[int(j)]), iso(d), d, int(j))
                  for d, row in zip(train_days, picks) for j in row)
    return Splits(train=train, val=dealt(val_days, 0), test=dealt(test_days, 0), seed=seed)


def recipe(seed: int) -> dict:
    """The data recipe as plain JSON (for model cards)."""
    fmts = formats()
    return {
        "source": "Babel " + babel.__version__ + " CLDR date formats",
        "locales": list(LOCALES),
        "widths": list(WIDTHS),
        "skeletons": list(SKELETONS),
        "date_range": [iso(DATE_MIN), iso(DATE_MAX)],
        "two_digit_years": "widened to four digits (yy -> y)",
        "normalization": "Unicode NFKC, white space collapsed",
        "split": f"by date, numpy default_rng({seed}) permutation: {N_TEST} test days, "
                 f"{N_VAL} validation days, the rest train; each train day in "
                 f"{FORMATS_PER_TRAIN_DAY} random formats, each val/test day in one format "
                 f"dealt round-robin",
        "formats": [{"locale": f.locale, "pattern": f.pattern, "names": list(f.names),
                     "order": f.order} for f in fmts],
        "dropped_formats": [{"locale": f.locale, "pattern": f.pattern, "reason": r}
                            for f, r in dropped_formats()],
        "target": "ISO 8601 YYYY-MM-DD",
    }
