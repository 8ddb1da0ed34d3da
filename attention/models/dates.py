"""Reading dates for the date translators (runtime): locales, names, CLDR formats, the screen
that says whether a typed string is a date the models may read, and calendar validity.

The translators (:mod:`attention.models.seq2seq`) turn a date typed in one of :data:`LOCALES`
into ISO ``YYYY-MM-DD``; the source starts with a *locale tag* (:data:`TAGS`: ``auto`` or one
of the 9 locales) because the order of a numeric date depends on the locale: ``03/04/2021`` is
3 April in en_GB and March 4 in en_US.  ``training/dates.py`` builds the training data from the
names and rules defined here; the page uses the same knowledge at run time:

* :func:`screen` -- before decoding: invisible characters (removed, reported with their
  position), characters the models never saw (marked), a language the models were not trained
  on (by script, and by a lexicon of month and weekday names of 45 other languages from Babel),
  a string that is not a date (no year, month + year only, a time, a phone number), a year
  outside :data:`DATE_MIN` .. :data:`DATE_MAX`, and the ambiguity of a numeric date under
  ``auto`` (both readings valid and different).
* :func:`check_output` -- after decoding: is the model's output a calendar date in range?  If
  not, why, and which output steps are responsible.  :func:`check_agreement` -- is that date
  written in the input at all (each field one of the input's numbers or its month name)?  A
  model that "repairs" ``32 March 2044`` into 2044-03-31 wrote a date, but not the one typed.  :func:`next_chars` lists the characters
  that keep an ISO prefix completable to a valid date (constrained decoding).
* :func:`recognize` -- a rule-based reading of the exact CLDR formats of a locale (Babel's
  ``full / long / medium / short`` widths and the skeletons ``yMd, yMMMd, yMMMMd, yMEd,
  yMMMEd``), used to say "✓ correct" when the input is one of them.

Rules (shared with the hand-written evaluation set ``tests/data/typed_dates.tsv``):
* years 1900-2099 (four-digit years outside are out of range);
* two-digit years: ``00-49`` -> 2000-2049, ``50-99`` -> 1950-1999 (:func:`century`);
* numeric dates in the locale's order (:data:`ORDER`): en_US month/day/year; en_GB, de_DE,
  fr_FR, es_ES, it_IT, ru_RU day/month/year; ja_JP, zh_CN year/month/day; a numeric date that
  starts with a four-digit year is year-month-day everywhere (ISO);
* ``auto``: a numeric date whose first two numbers can both be the month is ambiguous (both
  readings are offered); otherwise the one valid reading.

Normalization (what the models see): :func:`normalize_text` --
Unicode NFKC (full-width digits -> ASCII, ``º`` -> ``o``), invisible format characters removed,
lower case, white-space runs -> one space.
"""
from __future__ import annotations

import calendar
import datetime as _dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Optional

from babel import Locale, dates

#: The 9 locales the models are trained on.
LOCALES = ("en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "ru_RU", "ja_JP", "zh_CN", "en_US")
AUTO = "auto"
#: The locale tags a source can start with (the model's first source position).
TAGS = (AUTO,) + LOCALES
#: Field order of a numeric date in each locale.
ORDER = {"en_GB": "dmy", "de_DE": "dmy", "fr_FR": "dmy", "es_ES": "dmy", "it_IT": "dmy",
         "ru_RU": "dmy", "ja_JP": "ymd", "zh_CN": "ymd", "en_US": "mdy"}
#: Names for people.
LOCALE_NAMES = {"auto": "Auto-detect", "en_GB": "English (UK)", "de_DE": "German",
                "fr_FR": "French", "es_ES": "Spanish", "it_IT": "Italian", "ru_RU": "Russian",
                "ja_JP": "Japanese", "zh_CN": "Chinese", "en_US": "English (US)"}
#: The tag used to decode each reading of an ambiguous numeric date under ``auto``.
READING_TAG = {"dmy": "en_GB", "mdy": "en_US"}
DATE_MIN = _dt.date(1900, 1, 1)
DATE_MAX = _dt.date(2099, 12, 31)
PIVOT = 50                       # two-digit years below PIVOT are 20yy, the others 19yy
WIDTHS = ("full", "long", "medium", "short")
SKELETONS = ("yMd", "yMMMd", "yMMMMd", "yMEd", "yMMMEd")
SCRIPTS = ("LATIN", "CYRILLIC", "CJK", "HIRAGANA", "KATAKANA")   # scripts of the 9 locales
#: Languages whose month and weekday names (Babel) identify an untrained language.
OTHER_LANGUAGES = tuple("nl pt pl tr cs sk fi sv da nb nn is hu ro hr sr_Latn sl bs uk be bg mk "
                        "lt lv et ca gl eu ga cy id ms fil sw af sq az uz kk vi mt lb fy rm br"
                        .split())
#: Words of the 9 locales that are neither month nor weekday names: leading words, ordinal
#: suffixes, prepositions, "year" (what the training generator writes around a date).
FILLERS = {
    "en_GB": ("on", "the", "of", "st", "nd", "rd", "th"),
    "en_US": ("on", "the", "of", "st", "nd", "rd", "th"),
    "de_DE": ("am", "den", "der", "vom"),
    "fr_FR": ("le", "er", "du"),
    "es_ES": ("el", "de", "del", "o", "ro", "a"),
    "it_IT": ("il", "o", "del", "l"),
    "ru_RU": ("в", "г", "года", "го", "е"),
    "ja_JP": ("年", "月", "日", "曜"),
    "zh_CN": ("年", "月", "日", "号", "星", "期", "周"),
}
#: Russian weekdays after "в" (accusative): "в среду, 3 марта".
RU_ACCUSATIVE = ("понедельник", "вторник", "среду", "четверг", "пятницу", "субботу", "воскресенье")
GERMAN_ASCII = {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"}


def normalize_text(text: str) -> str:
    """The models' input normalization (what they read): Unicode NFKC (full-width digits ->
    ASCII, ``º`` -> ``o``), invisible format characters (Unicode category Cf: zero-width
    spaces, bidi controls, soft hyphens) removed, lower case, white-space runs -> one space,
    stripped."""
    s = unicodedata.normalize("NFKC", text)
    s = "".join(c for c in s if unicodedata.category(c) != "Cf").lower()
    return " ".join(unicodedata.normalize("NFKC", s).split())


def normalize(text: str) -> str:
    """:func:`normalize_text` (the name the data generator uses)."""
    return normalize_text(text)


def iso(day: _dt.date) -> str:
    """``YYYY-MM-DD``."""
    return day.isoformat()


def century(yy: int) -> int:
    """The year a two-digit year names: ``00-49`` -> 2000-2049, ``50-99`` -> 1950-1999."""
    if not 0 <= yy <= 99:
        raise ValueError(f"a two-digit year is 0-99; got {yy}")
    return 2000 + yy if yy < PIVOT else 1900 + yy


def strip_accents(text: str) -> str:
    """Latin letters without their diacritics ("février" -> "fevrier"); Cyrillic and CJK
    unchanged (й stays й)."""
    out = []
    for ch in text:
        if "LATIN" in unicodedata.name(ch, ""):
            base = unicodedata.normalize("NFD", ch)
            out.append("".join(c for c in base if not unicodedata.combining(c)) or ch)
        else:
            out.append(ch)
    return "".join(out)


def german_ascii(text: str) -> str:
    """"März" -> "Maerz": the German way to type without umlauts."""
    return "".join(GERMAN_ASCII.get(c, c) for c in text)


# ------------------------------------------------------------------ names
@functools.lru_cache(maxsize=None)
def _locale(locale: str) -> Locale:
    return Locale.parse(locale)


def month_names(locale: str, context: str = "format", width: str = "wide") -> tuple[str, ...]:
    """Babel's 12 month names (index 0 = January) as Babel writes them."""
    m = _locale(locale).months[context][width]
    return tuple(m[i] for i in range(1, 13))


def weekday_names(locale: str, context: str = "format", width: str = "wide") -> tuple[str, ...]:
    """Babel's 7 weekday names (index 0 = Monday)."""
    d = _locale(locale).days[context][width]
    return tuple(d[i] for i in range(7))


def _variants(name: str) -> set[str]:
    n = normalize(name)
    out = {n, n.rstrip("."), strip_accents(n), strip_accents(n).rstrip("."),
           german_ascii(n), german_ascii(n).rstrip(".")}
    return {x for x in out if x}


@functools.lru_cache(maxsize=None)
def month_spellings(locale: str) -> tuple[tuple[str, ...], ...]:
    """Per month (index 0 = January): the ways people write its name in ``locale`` -- Babel's
    format and stand-alone names, wide and abbreviated, with and without the abbreviation's dot
    (and with one added), and for Latin-script locales the first three letters of the wide name
    when no other month starts with them ("fév" yes, "jui" no: juin or juillet)."""
    wide = month_names(locale, "format", "wide")
    out = []
    for i in range(12):
        forms = []
        for ctx in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                name = month_names(locale, ctx, width)[i]
                forms.append(name)
                if name.endswith("."):
                    forms.append(name[:-1])
                elif width == "abbreviated" and _script(name[0]) in ("LATIN", "CYRILLIC") and len(name) > 3:
                    forms.append(name + ".")
        short = wide[i][:3]
        if _script(wide[i][0]) == "LATIN" and sum(w[:3].lower() == short.lower() for w in wide) == 1:
            forms += [short, short + "."]
        out.append(tuple(dict.fromkeys(forms)))
    return tuple(out)


@functools.lru_cache(maxsize=None)
def month_forms(locale: str) -> dict[str, int]:
    """Every normalized way the lexicon knows to write a month in ``locale`` -> 1..12: the
    :func:`month_spellings`, without diacritics, German umlauts as ae / oe / ue."""
    out: dict[str, int] = {}
    for i, names in enumerate(month_spellings(locale)):
        for name in names:
            for v in _variants(name):
                out.setdefault(v, i + 1)
    return out


@functools.lru_cache(maxsize=None)
def weekday_forms(locale: str) -> dict[str, int]:
    """Every normalized way to write a weekday in ``locale`` -> 0 (Monday) .. 6."""
    out: dict[str, int] = {}
    extra = [("", RU_ACCUSATIVE)] if locale == "ru_RU" else []
    for ctx in ("format", "stand-alone"):
        for width in ("wide", "abbreviated", "short"):
            names = weekday_names(locale, ctx, width)
            for i, name in enumerate(names):
                for v in _variants(name):
                    out.setdefault(v, i)
    for _, names in extra:
        for i, name in enumerate(names):
            out.setdefault(name, i)
    return out


_WORD = re.compile(r"[^\W\d_]+")


def words(text: str) -> list[str]:
    """Letter runs of a normalized string; each CJK / kana character is its own word."""
    out = []
    for w in _WORD.findall(text):
        run = ""
        for ch in w:
            if _script(ch) in ("CJK", "HIRAGANA", "KATAKANA"):
                if run:
                    out.append(run)
                    run = ""
                out.append(ch)
            else:
                run += ch
        if run:
            out.append(run)
    return out


@functools.lru_cache(maxsize=None)
def known_words() -> frozenset:
    """Every word (letter run) of a month name, weekday name or filler of the 9 locales."""
    out = set()
    for loc in LOCALES:
        for table in (month_forms(loc), weekday_forms(loc)):
            for name in table:
                out.update(words(name))
        out.update(FILLERS[loc])
    return frozenset(out)


@functools.lru_cache(maxsize=None)
def month_words() -> dict[str, int]:
    """Word -> month for every month form of the 9 locales that is a single word (CJK month
    forms like "3月" are digits + a marker, not words)."""
    out = {}
    for loc in LOCALES:
        for name, m in month_forms(loc).items():
            ws = words(name)
            if len(ws) == 1 and _script(ws[0][0]) in ("LATIN", "CYRILLIC"):
                out.setdefault(ws[0], m)
    return out


@functools.lru_cache(maxsize=None)
def foreign_words() -> dict[str, tuple[str, ...]]:
    """Month and weekday words of :data:`OTHER_LANGUAGES` (Babel) that no name or filler of the
    9 locales uses (3 letters or more) -> the languages (English names) that write them."""
    known = known_words()
    out: dict[str, set] = {}
    for lang in OTHER_LANGUAGES:
        L = _locale(lang)
        name = L.get_display_name("en").split(" (")[0]
        for ctx in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for table in (L.months[ctx][width], L.days[ctx][width]):
                    for raw in table.values():
                        for n in _variants(raw):
                            for w in words(n):
                                if len(w) >= 3 and w not in known:
                                    out.setdefault(w, set()).add(name)
    return {w: tuple(sorted(v)) for w, v in out.items()}


def _script(ch: str) -> str:
    """The script of a letter, from its Unicode name ("LATIN", "CYRILLIC", "CJK", "HANGUL" ...)."""
    n = unicodedata.name(ch, "")
    return n.split(" ")[0] if n else ""


# ------------------------------------------------------------------ validity
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def _valid_prefix(s: str) -> bool:
    """:func:`valid_prefix` past the year (``len(s) > 4``)."""
    if len(s) > 10 or not (s[:4].isdigit() and DATE_MIN.year <= int(s[:4]) <= DATE_MAX.year
                            and s[4] == "-"):
        return False
    mm = s[5:7]
    if not any(f"{m:02d}".startswith(mm) for m in range(1, 13)):
        return False
    if len(s) <= 7:
        return True
    if s[7] != "-":
        return False
    last = calendar.monthrange(int(s[:4]), int(mm))[1]
    return any(f"{d:02d}".startswith(s[8:]) for d in range(1, last + 1))


def valid_prefix(s: str) -> bool:
    """Whether ``s`` can be completed to an ISO date ``YYYY-MM-DD`` in [DATE_MIN, DATE_MAX]."""
    if len(s) <= 4:
        return (s == "" or s.isdigit()) and any(
            str(y).startswith(s) for y in range(DATE_MIN.year, DATE_MAX.year + 1))
    return _valid_prefix(s)


def next_chars(prefix: str) -> tuple[str, bool]:
    """The characters that keep ``prefix`` completable to a valid date, and whether the end may
    come now (``prefix`` is a whole valid date).  Constrained decoding allows only these."""
    if len(prefix) == 10:
        return "", valid_prefix(prefix)
    return "".join(c for c in "0123456789-" if valid_prefix(prefix + c)), False


@dataclass(frozen=True)
class Validity:
    """Whether an output is a date: ``date`` if it is one in range, else ``problem`` (why not,
    for people) and ``steps`` (the output steps responsible, 0-based)."""
    output: str
    date: Optional[_dt.date]
    problem: Optional[str] = None
    steps: tuple = ()
    kind: str = "calendar"     # "calendar": not a date in range; "mismatch": a date, not the one typed

    @property
    def ok(self) -> bool:
        return self.date is not None


def check_output(output: str, finished: bool = True) -> Validity:
    """Is ``output`` an ISO date ``YYYY-MM-DD`` that exists and lies in [DATE_MIN, DATE_MAX]?

    The responsible steps: the first output character after which no valid date can follow,
    with the rest of its field (year 0-3, month 5-6, day 8-9); for a day that its month does not
    have, the month's steps too (the month and the day only clash together)."""
    fields = {0: (0, 1, 2, 3), 5: (5, 6), 8: (8, 9)}

    def field_of(i):
        for start, steps in fields.items():
            if i in steps:
                return steps
        return (i,)

    if not finished:
        return Validity(output, None, f"no end within {len(output)} characters",
                        tuple(range(10, len(output))) or (len(output) - 1,))
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", output)
    if not m:
        bad = next((i for i in range(1, len(output) + 1) if not valid_prefix(output[:i])), None)
        if bad is None:            # a valid prefix that stopped early
            return Validity(output, None, f"{output!r} stops before a whole YYYY-MM-DD date",
                            (len(output),))
        return Validity(output, None, f"{output!r} is not of the form YYYY-MM-DD", field_of(bad - 1))
    y, mo, d = map(int, m.groups())
    if not DATE_MIN.year <= y <= DATE_MAX.year:
        return Validity(output, None, f"the year {y} is outside {DATE_MIN.year}-{DATE_MAX.year}",
                        fields[0])
    if not 1 <= mo <= 12:
        return Validity(output, None, f"there is no month {mo:02d}", fields[5])
    last = calendar.monthrange(y, mo)[1]
    if not 1 <= d <= last:
        what = f"day {d:02d}" if d else "day 00"
        return Validity(output, None, f"{_MONTHS_EN[mo - 1]} {y} has no {what} (it has {last} days)",
                        fields[5] + fields[8])
    return Validity(output, _dt.date(y, mo, d))


@functools.lru_cache(maxsize=None)
def _month_sets() -> dict[str, frozenset]:
    """Word -> every month it names in one of the 9 locales (a word may name one month only in
    practice, but the lexicon is not assumed to)."""
    out: dict[str, set] = {}
    for loc in LOCALES:
        for name, m in month_forms(loc).items():
            ws = words(name)
            if len(ws) == 1 and _script(ws[0][0]) in ("LATIN", "CYRILLIC"):
                out.setdefault(ws[0], set()).add(m)
    return {w: frozenset(ms) for w, ms in out.items()}


def named_months(source: str) -> frozenset:
    """The months a normalized source names with a word (a month name of the 9 locales, or a
    word one typo away from one of 4 letters or more; see :func:`month_like`)."""
    table = _month_sets()
    out = set()
    for w in words(source):
        if w in table:
            out |= table[w]
        elif month_like(w):
            out |= {m for name, ms in table.items() if len(name) >= 4 and _near(w, name) for m in ms}
    return frozenset(out)


def check_agreement(output: str, source: str) -> Validity:
    """Does the valid date ``output`` name the date the normalized ``source`` writes?

    Each field of the output has to be written in the source, each number used once: the year
    as a four-digit number, or a two-digit one by the century rule (:func:`century`); the day as
    one of the source's 1-2 digit numbers; the month as another one, or as a month name
    (:func:`named_months`).  A model that "repairs" an impossible input (``32 March 2044`` ->
    2044-03-31) or reads a number twice (``03/03/21`` -> 2021-03-21) writes a date, but not the
    one typed: ``Validity(kind="mismatch")`` with the steps of the fields that found no number.
    The locale's field order is not checked here (that is the model's lesson: the tag)."""
    v = check_output(output)
    if not v.ok:
        return v
    y, mo, d = v.date.year, v.date.month, v.date.day
    groups = re.findall(r"\d+", source)
    nums = [(int(g), len(g)) for g in groups]
    names = named_months(source)

    def year_ok(i):
        n, k = nums[i]
        return (k == 4 and n == y) or (k == 2 and century(n) == y)

    def small(i, value):
        n, k = nums[i]
        return k <= 2 and n == value

    idx = range(len(nums))
    for iy in (i for i in idx if year_ok(i)):
        for idd in (i for i in idx if i != iy and small(i, d)):
            if mo in names or any(small(i, mo) for i in idx if i not in (iy, idd)):
                return v
    missing = []
    if not any(year_ok(i) for i in idx):
        missing.append(("year", str(y), (0, 1, 2, 3)))
    if not (mo in names or any(small(i, mo) for i in idx)):
        shown = ", ".join(_MONTHS_EN[m - 1] for m in sorted(names))
        missing.append(("month", f"{mo:02d}" + (f" (it names {shown})" if names else ""), (5, 6)))
    if not any(small(i, d) for i in idx):
        missing.append(("day", f"{d:02d}", (8, 9)))
    if missing:
        what = "the input has " + "; ".join(f"no {f} {x}" for f, x, _ in missing)
        steps = tuple(s for _, _, st in missing for s in st)
    else:
        what = "it uses one number of the input twice"
        steps = (5, 6, 8, 9)
    return Validity(output, None, f"{output} is a date, but not the one typed: {what}", steps,
                    kind="mismatch")


# ------------------------------------------------------------------ CLDR formats
@dataclass(frozen=True)
class Format:
    """One CLDR date format of one locale (pattern as Babel gives it; ``yy`` = two-digit year).

    names: every width / skeleton that gives this pattern (e.g. ``("long", "yMMMMd")``)."""
    locale: str
    pattern: str
    names: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.locale} {'/'.join(self.names)}"

    @property
    def order(self) -> str:
        return field_order(self.pattern)


def field_order(pattern: str) -> str:
    """Order of the year / month / day fields in a CLDR pattern, e.g. ``"dmy"``."""
    out = []
    for kind, value in dates.tokenize_pattern(pattern):
        if kind == "field":
            c = {"y": "y", "M": "m", "L": "m", "d": "d"}.get(value[0])
            if c and c not in out:
                out.append(c)
    return "".join(out)


@functools.lru_cache(maxsize=None)
def formats(locale: Optional[str] = None) -> tuple[Format, ...]:
    """The CLDR formats of ``locale`` (all 9 locales when None), deduplicated within a locale."""
    out: list[Format] = []
    for loc in (LOCALES if locale is None else (locale,)):
        L = _locale(loc)
        seen: dict[str, list[str]] = {}
        for w in WIDTHS:
            seen.setdefault(dates.get_date_format(w, L).pattern, []).append(w)
        for sk in SKELETONS:
            p = L.datetime_skeletons.get(sk)
            if p is not None:
                seen.setdefault(str(p), []).append(sk)
        out += [Format(loc, p, tuple(n)) for p, n in seen.items()]
    return tuple(out)


@functools.lru_cache(maxsize=None)
def _compiled(pattern: str, locale: str):
    return dates.parse_pattern(pattern), _locale(locale)


def render(day: _dt.date, fmt: Format) -> str:
    """``day`` in ``fmt`` as Babel writes it (not normalized)."""
    pat, loc = _compiled(fmt.pattern, fmt.locale)
    return pat.apply(day, loc)


@dataclass(frozen=True)
class Match:
    """A reading of an input by one CLDR format: the date it names (None if there is no such
    day) and, when the string is not that format's writing of a valid date, why."""
    format: Format
    date: Optional[_dt.date]
    problem: Optional[str] = None

    @property
    def iso(self) -> Optional[str]:
        return None if self.date is None else iso(self.date)


@functools.lru_cache(maxsize=None)
def _names(locale: str, field: str) -> dict[str, int]:
    """Normalized name -> number for a month (1-12) or weekday (0 = Monday) field."""
    pat, loc = _compiled(field, locale)
    if field[0] in "ML":
        return {normalize(pat.apply(_dt.date(2001, m, 1), loc)): m for m in range(1, 13)}
    return {normalize(pat.apply(_dt.date(2001, 1, 1 + i), loc)): i for i in range(7)}  # a Monday


@functools.lru_cache(maxsize=None)
def _regex(fmt: Format) -> tuple[re.Pattern, dict]:
    parts, fields = [], {}
    for kind, value in dates.tokenize_pattern(fmt.pattern):
        if kind == "chars":
            parts.append(re.escape(normalize("x" + value + "x")[1:-1]))
            continue
        c, n = value
        name = c * n
        if c == "y":
            parts.append(r"(?P<yy>\d{2})" if n == 2 else r"(?P<y>\d{4})")
        elif c in "ML" and n <= 2:
            parts.append(r"(?P<m>\d{1,2})" if n == 1 else r"(?P<m>\d{2})")
        elif c == "d":
            parts.append(r"(?P<d>\d{1,2})" if n == 1 else r"(?P<d>\d{2})")
        elif c in "ML":
            fields["mn"] = name
            alts = sorted(_names(fmt.locale, name), key=len, reverse=True)
            parts.append(f"(?P<mn>{'|'.join(map(re.escape, alts))})")
        elif c in "Ec":
            fields["wd"] = name
            alts = sorted(_names(fmt.locale, name), key=len, reverse=True)
            parts.append(f"(?P<wd>{'|'.join(map(re.escape, alts))})")
        else:  # pragma: no cover - no CLDR date format of the 9 locales has other fields
            raise ValueError(f"unsupported CLDR field {name!r} in {fmt.pattern!r}")
    return re.compile("".join(parts) + r"\Z"), fields


def recognize(text: str, locale: str = AUTO) -> list[Match]:
    """Every CLDR format of ``locale`` (of all 9 under ``auto``) whose shape fits
    ``normalize(text)``, with the date it names.

    A clean match (``problem is None``) means the format writes exactly this string for that
    date.  A match with a ``problem`` has the format's shape but is not valid data: no such
    calendar day, a year outside the range, a wrong weekday, or numbers padded differently."""
    if locale != AUTO and locale not in LOCALES:
        raise ValueError(f"locale must be one of {', '.join(TAGS)}; got {locale!r}")
    s = normalize(text)
    out = []
    for fmt in formats(None if locale == AUTO else locale):
        rx, fields = _regex(fmt)
        m = rx.match(s)
        if not m:
            continue
        g = m.groupdict()
        year = int(g["y"]) if g.get("y") else century(int(g["yy"]))
        month = int(g["m"]) if g.get("m") else _names(fmt.locale, fields["mn"])[g["mn"]]
        try:
            day = _dt.date(year, month, int(g["d"]))
        except ValueError:
            out.append(Match(fmt, None, f"there is no day {g['d']} in month {month} of {year}"))
            continue
        if not (DATE_MIN <= day <= DATE_MAX):
            out.append(Match(fmt, day, f"{day.year} is outside {DATE_MIN.year}-{DATE_MAX.year}"))
        elif g.get("wd") is not None and _names(fmt.locale, fields["wd"])[g["wd"]] != day.weekday():
            out.append(Match(fmt, day, f"{iso(day)} is a {day.strftime('%A')}, not {g['wd']!r}"))
        elif normalize(render(day, fmt)) != s:
            out.append(Match(fmt, day, f"this format writes that day as {normalize(render(day, fmt))!r}"))
        else:
            out.append(Match(fmt, day))
    return out


# ------------------------------------------------------------------ the screen
@dataclass(frozen=True)
class Mark:
    """A character of the typed text worth pointing at: its index in the text as typed, the
    character and its Unicode name (``U+200B ZERO WIDTH SPACE``)."""
    index: int
    char: str
    name: str


def _mark(i: int, ch: str) -> Mark:
    return Mark(i, ch, f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED CHARACTER')}")


@dataclass(frozen=True)
class Reading:
    """One way to read a numeric date: its field order and the locale tag to decode it with."""
    order: str
    tag: str

    @property
    def label(self) -> str:
        who = ", ".join(l for l in LOCALES if ORDER[l] == self.order)
        return {"dmy": "day first", "mdy": "month first", "ymd": "year first"}[self.order] + f" ({who})"


#: What :func:`screen` can refuse, in the order it checks.
REFUSALS = ("empty", "unsupported_language", "not_a_date", "unknown_characters", "too_long",
            "out_of_range")


@dataclass(frozen=True)
class Screen:
    """What is known about a typed string before any model reads it.

    text: as typed; source: the normalized string the models read (what the chart's columns
    show after the tag); locale: the chosen tag.  ``kind`` is None when the models may read it,
    else one of :data:`REFUSALS` with ``message`` saying why (for people).  ``removed``:
    invisible characters normalization dropped; ``unknown``: characters the models never saw
    (or of another script); ``new_words``: words no name or filler of the 9 locales uses.
    ``numeric``: the three numbers of a numeric date (else None); ``readings``: how it can be
    read (two for an ambiguous numeric date under ``auto``; empty otherwise)."""
    text: str
    source: str
    locale: str
    kind: Optional[str] = None
    message: str = ""
    removed: tuple = ()
    unknown: tuple = ()
    new_words: tuple = ()
    numeric: Optional[tuple] = None
    readings: tuple = field(default=())

    @property
    def ok(self) -> bool:
        return self.kind is None

    @property
    def ambiguous(self) -> bool:
        return len(self.readings) > 1


def _refuse(text, locale, kind, message, **kw) -> Screen:
    return Screen(text, "", locale, kind, message, **kw)


def _language(text: str, src: str, locale: str, removed) -> Optional[Screen]:
    letters = [(i, ch) for i, ch in enumerate(text) if unicodedata.category(ch).startswith("L")]
    other = [(i, ch) for i, ch in letters
             if _script(unicodedata.normalize("NFKC", ch)[:1] or ch) not in SCRIPTS]
    if other:
        scripts = sorted({_script(ch).title() for _, ch in other})
        return _refuse(text, locale, "unsupported_language",
                       f"it is written in the {', '.join(scripts)} script; the models read dates in "
                       f"English, German, French, Spanish, Italian, Russian, Japanese and Chinese only",
                       removed=removed, unknown=tuple(_mark(i, ch) for i, ch in other))
    foreign = foreign_words()
    hits = [(w, foreign[w]) for w in words(src) if w in foreign]
    if hits:
        w, langs = hits[0]
        shown = ", ".join(langs[:3]) + (" …" if len(langs) > 3 else "")
        return _refuse(text, locale, "unsupported_language",
                       f"{w!r} is a month or weekday name in {shown}, a language the models were not "
                       f"trained on (they read {', '.join(LOCALES)})", removed=removed)
    return None


@functools.lru_cache(maxsize=None)
def weekday_words() -> frozenset:
    """Single words that write a weekday in one of the 9 locales."""
    return frozenset(w for loc in LOCALES for name in weekday_forms(loc) for w in words(name))


def _near(a: str, b: str) -> bool:
    """Whether a and b are one typo apart (a letter deleted, added, replaced or two swapped)."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def month_like(word: str) -> bool:
    """A month name of the 9 locales, or one typo away from one of 4 letters or more."""
    if word in month_words():
        return True
    return len(word) >= 4 and word not in known_words() and \
        any(len(m) >= 4 and _near(word, m) for m in month_words())


def _shape(src: str) -> tuple[Optional[str], Optional[tuple]]:
    """(why this is not a date or None, the three numbers of a numeric date or None)."""
    groups = re.findall(r"\d+", src)
    names = [w for w in words(src) if month_like(w)]
    if len(groups) == 3:                 # "mar, 5/3/1968": "mar" is a weekday here (martes)
        names = [w for w in names if w not in weekday_words()]
    if not groups:
        return "there are no numbers in it: a date needs at least a day and a year", None
    if any(len(g) not in (1, 2, 4) for g in groups):
        g = next(g for g in groups if len(g) not in (1, 2, 4))
        return f"it has a {len(g)}-digit number ({g}): a day, a month or a year has 1, 2 or 4", None
    if names:
        if len(groups) == 1:
            return ("it has a month and only one number: a date needs a day and a year "
                    "(a month and a year, or a day and a month, is not a date)"), None
        if len(groups) > 2:
            return (f"it has a month name and {len(groups)} numbers: a date written with a month "
                    "name has two (the day and the year)"), None
        if not any(len(g) in (2, 4) for g in groups):
            return "it has no year (a year has 2 or 4 digits)", None
        return None, None
    if len(groups) == 2 and ":" in src:
        return "it looks like a time, not a date", None
    if len(groups) != 3:
        return (f"it has {len(groups)} number{'s' if len(groups) != 1 else ''} and no month "
                "name: a numeric date has three (day, month and year in some order)"), None
    lens = [len(g) for g in groups]
    if lens.count(4) > 1 or (4 in lens and lens[1] == 4):
        return "a numeric date has one year, first or last", None
    return None, tuple(groups)


def locale_order(source: str, tag: str) -> Optional[str]:
    """The field order (``"dmy"``, ``"mdy"`` or ``"ymd"``) in which locale ``tag`` reads the
    numeric date ``source`` (year first when its first number has 4 digits), or None when
    ``source`` is not a numeric date or ``tag`` is ``auto``."""
    return _numeric_order(source, tag)[0]


def _numeric_order(source: str, tag: str) -> tuple[Optional[str], Optional[tuple]]:
    """(:func:`locale_order`, the three numbers as typed) or (None, None)."""
    why, numeric = _shape(source)
    if why or numeric is None or tag not in ORDER:
        return None, None
    return _field_order(numeric, tag), numeric


def _field_order(numeric: tuple, locale: str) -> Optional[str]:
    """The one rule for the order of a numeric date's three numbers: year first when the first
    has 4 digits, else the locale's (:data:`ORDER`); None under ``auto`` otherwise."""
    return "ymd" if len(numeric[0]) == 4 else ORDER.get(locale)


def locale_reading(source: str, tag: str) -> Optional[str]:
    """The date a numeric date names in the field order its locale ``tag`` writes.

    ``source``: a normalized string (:func:`normalize`); ``tag``: one of :data:`ORDER`'s locales
    (``auto`` gives None).  For three numbers and no month name (``03/04/2021``), read in
    ``ORDER[tag]`` (year first when the first number has 4 digits; a two-digit year by
    :func:`century`): the ISO date, or None when that reading is not a date from
    :data:`DATE_MIN` to :data:`DATE_MAX`, or the source is not a numeric date.  The Translate
    page calls an output that is another date *unsure* (``en_US``: ``03/04/2021`` is
    2021-03-04, so a model that wrote 2021-04-03 read it day first)."""
    order, numeric = _numeric_order(source, tag)
    if order is None:
        return None
    f = dict(zip(order, numeric))
    year = int(f["y"]) if len(f["y"]) == 4 else century(int(f["y"]))
    try:
        day = _dt.date(year, int(f["m"]), int(f["d"]))
    except ValueError:
        return None
    return iso(day) if DATE_MIN <= day <= DATE_MAX else None


def _readings(numeric, locale: str) -> tuple:
    order = _field_order(numeric, locale)
    if order is not None:
        return (Reading(order, locale),)
    a, b, c = numeric
    x, y = int(a), int(b)
    dmy = 1 <= y <= 12 and 1 <= x <= 31
    mdy = 1 <= x <= 12 and 1 <= y <= 31
    if dmy and mdy and x != y:
        return (Reading("dmy", READING_TAG["dmy"]), Reading("mdy", READING_TAG["mdy"]))
    return ()


def screen(text: str, locale: str = AUTO, chars: str = "", max_len: int = 10_000) -> Screen:
    """Check a typed date before decoding (see the module docstring), in the order of
    :data:`REFUSALS`.  ``chars``: the characters the model knows (its source vocabulary; "" =
    do not check); ``max_len``: the longest source it reads."""
    if not isinstance(text, str):
        raise ValueError(f"the text must be a string; got {type(text).__name__}")
    if locale not in TAGS:
        raise ValueError(f"locale must be one of {', '.join(TAGS)}; got {locale!r}")
    removed = tuple(_mark(i, ch) for i, ch in enumerate(text)
                    if unicodedata.category(ch) == "Cf")
    src = normalize(text)
    if not src:
        return _refuse(text, locale, "empty", "there is nothing to read", removed=removed)
    lang = _language(text, src, locale, removed)
    if lang is not None:
        return lang
    why, numeric = _shape(src)
    if why:
        return _refuse(text, locale, "not_a_date", why, removed=removed)
    if chars:
        known = set(chars)
        unknown = tuple(_mark(i, ch) for i, ch in enumerate(text)
                        if unicodedata.category(ch) != "Cf" and not ch.isspace()
                        and any(c not in known for c in normalize(ch)))
        if unknown:
            shown = ", ".join(m.name for m in unknown[:4]) + (" …" if len(unknown) > 4 else "")
            return _refuse(text, locale, "unknown_characters",
                           f"the models never saw {'this character' if len(unknown) == 1 else 'these characters'}: "
                           f"{shown}", removed=removed, unknown=unknown)
    if len(src) > max_len:
        return _refuse(text, locale, "too_long",
                       f"it has {len(src)} characters; the models read at most {max_len}",
                       removed=removed)
    years = [g for g in re.findall(r"\d+", src) if len(g) == 4]
    if years and not DATE_MIN.year <= int(years[0]) <= DATE_MAX.year:
        return _refuse(text, locale, "out_of_range",
                       f"the year {years[0]} is outside {DATE_MIN.year}-{DATE_MAX.year}, the years "
                       "the models were trained on", removed=removed)
    new = tuple(dict.fromkeys(w for w in words(src) if w not in known_words()))
    return Screen(text, src, locale, None, "", removed, (), new, numeric,
                  _readings(numeric, locale) if numeric else ())
