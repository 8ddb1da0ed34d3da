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

:func:`recognize` parses a string back with the same formats (Babel's own month and weekday
names), so the page can say which locale and format an input is in, or that it is in none.
"""
from __future__ import annotations

import datetime as _dt
import functools
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from babel import Locale, dates

from attention.seq2seq import normalize_text

#: Locales in priority order (an earlier locale wins a string conflict; see module doc).
LOCALES = ("en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "ru_RU", "ja_JP", "zh_CN", "en_US")
WIDTHS = ("full", "long", "medium", "short")
SKELETONS = ("yMd", "yMMMd", "yMMMMd", "yMEd", "yMMMEd")
DATE_MIN = _dt.date(1900, 1, 1)
DATE_MAX = _dt.date(2099, 12, 31)
N_TEST = 2000
N_VAL = 2000
FORMATS_PER_TRAIN_DAY = 2
TARGET_CHARS = "0123456789-"
# Two years hold every (day, month) pair and every month / weekday name: enough to find all
# string conflicts between formats (a clash needs the same digits in another order or the
# same name for another month).
_PROBE = (_dt.date(2000, 1, 1), _dt.date(2001, 12, 31))


@dataclass(frozen=True)
class Format:
    """One CLDR date format of one locale.

    locale: e.g. ``"de_DE"``; pattern: the CLDR pattern after widening ``yy`` -> ``y``;
    names: every width / skeleton that gives this pattern (e.g. ``("long", "yMMMMd")``).
    """
    locale: str
    pattern: str
    names: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.locale} {'/'.join(self.names)}"

    @property
    def order(self) -> str:
        return field_order(self.pattern)


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


@dataclass(frozen=True)
class Match:
    """A parse of an input by one format: the date it names and that format.

    problem: None if the format writes exactly this string for ``date``; otherwise why the
    string is not valid data although it has the format's shape (e.g. "31 February",
    a wrong weekday, a year outside the range); ``date`` is then None if there is no such day.
    """
    format: Format
    date: _dt.date | None
    problem: str | None = None

    @property
    def iso(self) -> str | None:
        return None if self.date is None else iso(self.date)


def normalize(text: str) -> str:
    """NFKC, white-space runs -> one space, stripped: the models' own input normalization
    (:func:`attention.seq2seq.normalize_text`), applied to the data and to user input."""
    return normalize_text(text)


def iso(day: _dt.date) -> str:
    """``YYYY-MM-DD``."""
    return day.isoformat()


def field_order(pattern: str) -> str:
    """Order of the year / month / day fields in a CLDR pattern, e.g. ``"dmy"``."""
    out = []
    for kind, value in dates.tokenize_pattern(pattern):
        if kind == "field":
            c = {"y": "y", "M": "m", "L": "m", "d": "d"}.get(value[0])
            if c and c not in out:
                out.append(c)
    return "".join(out)


def _widen_years(pattern: str) -> str:
    toks = [("field", ("y", 1)) if k == "field" and v[0] == "y" and v[1] == 2 else (k, v)
            for k, v in dates.tokenize_pattern(pattern)]
    return dates.untokenize_pattern(toks)


def _candidates() -> list[Format]:
    """Every (locale, pattern) from the widths and skeletons, in priority order, deduped."""
    out: list[Format] = []
    for loc in LOCALES:
        L = Locale.parse(loc)
        seen: dict[str, list[str]] = {}
        for w in WIDTHS:
            seen.setdefault(_widen_years(dates.get_date_format(w, L).pattern), []).append(w)
        for sk in SKELETONS:
            p = L.datetime_skeletons.get(sk)
            if p is not None:
                seen.setdefault(_widen_years(str(p)), []).append(sk)
        out += [Format(loc, p, tuple(n)) for p, n in seen.items()]
    return out


@functools.lru_cache(maxsize=None)
def _compiled(pattern: str, locale: str):
    return dates.parse_pattern(pattern), Locale.parse(locale)


def render(day: _dt.date, fmt: Format) -> str:
    """The source string for ``day`` in ``fmt`` (Babel formatting + :func:`normalize`)."""
    pat, loc = _compiled(fmt.pattern, fmt.locale)
    return normalize(pat.apply(day, loc))


def _days(a: _dt.date, b: _dt.date) -> list[_dt.date]:
    return [a + _dt.timedelta(i) for i in range((b - a).days + 1)]


def _without_weekday(fmt: Format) -> Format:
    """The format with each weekday field replaced by ``#``: a clash check on this variant
    ignores the weekday, which the models cannot be expected to compute from a date."""
    toks = [("chars", "#") if k == "field" and v[0] in "Ec" else (k, v)
            for k, v in dates.tokenize_pattern(fmt.pattern)]
    return Format(fmt.locale, dates.untokenize_pattern(toks), fmt.names)


@functools.lru_cache(maxsize=None)
def _select() -> tuple[tuple[Format, ...], tuple[tuple[Format, str], ...]]:
    probe = _days(*_PROBE)
    owner: dict[str, tuple[_dt.date, Format]] = {}
    kept, dropped = [], []
    for fmt in _candidates():
        strings = [(render(d, _without_weekday(fmt)), d) for d in probe]
        clash = next(((s, d, owner[s]) for s, d in strings if s in owner and owner[s][0] != d), None)
        if clash:
            s, d, (d0, f0) = clash
            dropped.append((fmt, f"{s!r} is {iso(d)} here but {iso(d0)} in {f0.label} ({f0.pattern})"))
            continue
        kept.append(fmt)
        for s, d in strings:
            owner.setdefault(s, (d, fmt))
    return tuple(kept), tuple(dropped)


def formats() -> tuple[Format, ...]:
    """The kept formats, in priority order (see the module docstring)."""
    return _select()[0]


def dropped_formats() -> tuple[tuple[Format, str], ...]:
    """Formats removed because they clash with an earlier one, each with the reason."""
    return _select()[1]


@functools.lru_cache(maxsize=None)
def source_chars() -> str:
    """Sorted string of every character a kept format can produce (the source vocabulary)."""
    chars = set("0123456789")
    for fmt in formats():
        for d in _days(*_PROBE):
            chars.update(render(d, fmt))
    return "".join(sorted(chars))


@functools.lru_cache(maxsize=None)
def max_source_len() -> int:
    """Longest source string any kept format produces for any date in range.

    The longest month and weekday names appear within one year; add the 4-digit year
    and the 2-digit day: 2001 covers every name, and 28-31 are the longest days.
    """
    return max(len(render(d, f)) for f in formats() for d in _days(*_PROBE))


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


# ------------------------------------------------------------------ recognizer
@functools.lru_cache(maxsize=None)
def _names(locale: str, field: str) -> dict[str, int]:
    """Normalized name -> number for a month (1-12) or weekday (0 = Monday) field."""
    pat, loc = _compiled(field, locale)
    if field[0] in "ML":
        return {normalize(pat.apply(_dt.date(2001, m, 1), loc)): m for m in range(1, 13)}
    return {normalize(pat.apply(_dt.date(2001, 1, 1 + i), loc)): i for i in range(7)}  # 2001-01-01: Monday


@functools.lru_cache(maxsize=None)
def _regex(fmt: Format) -> re.Pattern:
    parts = []
    for kind, value in dates.tokenize_pattern(fmt.pattern):
        if kind == "chars":
            parts.append(re.escape(re.sub(r"\s+", " ", unicodedata.normalize("NFKC", value))))
            continue
        c, n = value
        field = c * n
        if c == "y":
            parts.append(r"(?P<y>\d{4})")
        elif c in "ML" and n <= 2:
            parts.append(r"(?P<m>\d{1,2})" if n == 1 else r"(?P<m>\d{2})")
        elif c == "d":
            parts.append(r"(?P<d>\d{1,2})" if n == 1 else r"(?P<d>\d{2})")
        elif c in "ML":
            alts = sorted(_names(fmt.locale, field), key=len, reverse=True)
            parts.append(f"(?P<mn>{'|'.join(map(re.escape, alts))})")
        elif c in "Ec":
            alts = sorted(_names(fmt.locale, field), key=len, reverse=True)
            parts.append(f"(?P<wd>{'|'.join(map(re.escape, alts))})")
        else:  # pragma: no cover - no kept format has other fields
            raise ValueError(f"unsupported CLDR field {field!r} in {fmt.pattern!r}")
    return re.compile("".join(parts) + r"\Z")


def _field_names(fmt: Format) -> dict[str, str]:
    return {("mn" if v[0] in "ML" else "wd"): v[0] * v[1]
            for k, v in dates.tokenize_pattern(fmt.pattern)
            if k == "field" and (v[0] in "Ec" or (v[0] in "ML" and v[1] >= 3))}


def recognize(text: str) -> list[Match]:
    """Every kept format whose shape fits ``normalize(text)``, with the date it names.

    A clean match (``problem is None``) means the format writes exactly this string for that
    date.  A match with a ``problem`` has the format's shape but is not valid data: not a
    real calendar day, a year outside [DATE_MIN, DATE_MAX], a wrong weekday, or numbers
    padded differently from the format.  Returns ``[]`` when no format fits at all.
    """
    s = normalize(text)
    out = []
    for fmt in formats():
        m = _regex(fmt).match(s)
        if not m:
            continue
        g = m.groupdict()
        fields = _field_names(fmt)
        month = int(g["m"]) if g.get("m") else _names(fmt.locale, fields["mn"])[g["mn"]]
        try:
            day = _dt.date(int(g["y"]), month, int(g["d"]))
        except ValueError:
            out.append(Match(fmt, None, f"there is no day {g['d']} in month {month} of {g['y']}"))
            continue
        if not (DATE_MIN <= day <= DATE_MAX):
            out.append(Match(fmt, day, f"{day.year} is outside the trained years "
                                        f"{DATE_MIN.year}-{DATE_MAX.year}"))
        elif g.get("wd") is not None and _names(fmt.locale, fields["wd"])[g["wd"]] != day.weekday():
            out.append(Match(fmt, day, f"{iso(day)} is a {day.strftime('%A')}, not "
                                        f"{g['wd']!r}"))
        elif render(day, fmt) != s:
            out.append(Match(fmt, day, f"this format writes that day as {render(day, fmt)!r}"))
        else:
            out.append(Match(fmt, day))
    return out


def recipe(seed: int) -> dict:
    """The data recipe as plain JSON (for model cards)."""
    fmts = formats()
    return {
        "source": "Babel " + __import__("babel").__version__ + " CLDR date formats",
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
