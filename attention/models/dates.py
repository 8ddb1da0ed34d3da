"""Reading dates for the date translators (runtime): Babel's CLDR formats and a recognizer.

The translators (:mod:`attention.models.seq2seq`) are trained on dates written in the CLDR
formats of :data:`LOCALES` (``training/dates.py`` builds the data from this module).  The page
needs the same knowledge at run time, to say what an input *is*: :func:`recognize` parses a
string back with those formats (Babel's own month and weekday names) and tells which locale and
format wrote it and which date it names, or why it is not a valid date of that shape.

Formats: for each locale, the CLDR date formats of widths ``full / long / medium / short`` and
the skeletons ``yMd, yMMMd, yMMMMd, yMEd, yMMMEd`` (Babel = CLDR data); two-digit years (``yy``)
are widened to ``y``.  A format is dropped when it writes some date as a string that an earlier
format (in :data:`LOCALES` order) writes for a *different* date, weekday names ignored: so
en_US's numeric ``M/d/y`` formats are dropped and the slash means day/month/year.
:func:`field_order` names each format's order ("dmy", "mdy", "ymd").
"""
from __future__ import annotations

import datetime as _dt
import functools
import re
import unicodedata
from dataclasses import dataclass

from babel import Locale, dates

from .seq2seq import normalize_text

#: Locales in priority order (an earlier locale wins a string conflict; see module doc).
LOCALES = ("en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "ru_RU", "ja_JP", "zh_CN", "en_US")
WIDTHS = ("full", "long", "medium", "short")
SKELETONS = ("yMd", "yMMMd", "yMMMMd", "yMEd", "yMMMEd")
DATE_MIN = _dt.date(1900, 1, 1)
DATE_MAX = _dt.date(2099, 12, 31)
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
    (:func:`attention.models.seq2seq.normalize_text`), applied to the data and to user input."""
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
