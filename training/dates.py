"""Typed-date translation data: a locale tag + a date as people type it -> ISO ``YYYY-MM-DD``.

    ("de_DE", "3. märz 2021") -> "2021-03-03"        ("en_US", "03/04/21") -> "2021-03-04"

Recipe (deterministic by seed; nothing is downloaded; names from Babel = CLDR)
-----------------------------------------------------------------------------
* **Days**: every calendar day from 1900-01-01 to 2099-12-31 (73,049), shuffled with
  ``random.Random(seed)``: :data:`N_TEST` test days, :data:`N_VAL` validation days, the rest
  training days; no test or validation day is ever written in training.
* **Styles** (:data:`STYLE_WEIGHTS`), each example drawn with ``random.Random(seed)``:
  - ``cldr``: one of Babel's CLDR formats of the locale (``full / long / medium / short`` and
    the skeletons ``yMd, yMMMd, yMMMMd, yMEd, yMMMEd``) exactly as Babel writes it, two-digit
    years included (``03.03.21``, ``3/3/21``);
  - ``named``: a month name composed the way people type it, per locale: wide or abbreviated,
    format or stand-alone, with or without the abbreviation's dot; ordinal days (``3rd``,
    ``the 3rd of``, ``1er``, ``1º``/``1°``, ``3-го``), ``de``/``del``, ``г.``/``года``;
    weekday prefixes (wide or abbreviated) and leading words (on / am / le / el / il / в);
  - ``numeric``: day, month and year numbers in the locale's order with ``/ - .`` or space
    separators, padded or not, four- or two-digit years; ``年月日``/``号`` forms for ja / zh;
  - ``iso``: ``2021-03-03``, ``2021-3-3``, ``2021/03/03``, ``2021.03.03`` under any tag.
* **Typing noise** on top: Latin diacritics dropped (``fevrier``, ``miercoles``), German
  umlauts as ``ae``/``oe``/``ue``, a space dropped (``3марта``) or added (``3 . März``).  Case
  and full-width digits need no data: the models' normalization lower-cases and applies NFKC
  (:func:`attention.models.seq2seq.normalize_text`).
* **Locale tag** (the model's first source position, :data:`attention.models.dates.TAGS`):
  the locale that wrote the example (70%), ``auto`` (20%) or another locale (10%) -- except that
  a numeric day/month date is tagged with a locale of its order, and ``auto`` is used for it only
  when one reading is possible (a number above 12, or day = month).  So for an ambiguous numeric
  date only the tag says which number is the month; to make that plain, :data:`P_TWIN` of the
  ambiguous numeric training examples also appear as their *twin*: the same string under a tag
  of the other order with the other reading as the target (when that day is a training day).
* **Century rule**: two-digit years are written only for days in 1950-2049, where
  :func:`attention.models.dates.century` (``00-49`` -> 20yy, ``50-99`` -> 19yy) names the day
  itself; so a test day's two-digit string never appears in training under another day.
* **Impossible dates** (:data:`P_IMPOSSIBLE` of the training examples): the model transcribes
  the fields it reads -- ``31. Februar 2021`` -> ``2021-02-31``, en_US ``13/05/2021`` ->
  ``2021-13-05`` -- and the page checks the calendar afterwards
  (:func:`attention.models.dates.check_output`), so an impossible date is shown as what the
  model wrote, never as a translation.
* **Source vocabulary** (:func:`source_chars`): every character of the generated training data,
  plus a-z and а-я (so an unknown word is read, not refused).

The hand-written evaluation file ``tests/data/typed_dates.tsv`` is never read here.

Where the reordering is: ISO writes year-month-day; day-first and month-first inputs put the
year at the *end* of the source while the target starts with it; ja / zh and ISO inputs are in
ISO order.  A weekday or a leading word pushes everything further right.
"""
from __future__ import annotations

import datetime as _dt
import functools
import random
import re
from dataclasses import dataclass
from typing import Optional

import babel

from attention.models.dates import (AUTO, DATE_MAX, DATE_MIN, LOCALES, ORDER, RU_ACCUSATIVE,
                                    SKELETONS, TAGS,
                                    WIDTHS, Format, century, field_order, formats, german_ascii,
                                    iso, month_names, month_spellings, normalize, render,
                                    strip_accents,
                                    weekday_names)

__all__ = ["Example", "Splits", "make_splits", "recipe", "source_chars", "max_source_len",
           "generate", "babel_widths", "N_TEST", "N_VAL", "TARGET_CHARS", "LOCALES", "TAGS",
           "DATE_MIN", "DATE_MAX", "formats", "field_order"]

N_TEST = 2000
N_VAL = 2000
EXAMPLES_PER_TRAIN_DAY = 3
TARGET_CHARS = "0123456789-"
STYLE_WEIGHTS = {"cldr": 0.25, "named": 0.35, "numeric": 0.30, "iso": 0.10}
#: Numeric dates are drawn more often in en_US (month first) than its 1 in 9: its order is the
#: one the tag must override.
P_NUMERIC_US = 0.3
P_IMPOSSIBLE = 0.05
#: Share of ambiguous numeric training examples that also appear under a tag of the other order.
P_TWIN = 0.7
P_TAG = {"own": 0.70, "auto": 0.20, "other": 0.10}
P_NOISE = {"accents": 0.12, "umlaut_ascii": 0.10, "drop_space": 0.06, "add_space": 0.05}
DAY_FIRST = tuple(l for l in LOCALES if ORDER[l] == "dmy")
EXTRA_CHARS = ("abcdefghijklmnopqrstuvwxyzàâçèêëîïôöùüÿñóúíœß"
               "абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


@dataclass(frozen=True)
class Example:
    """One example: the tag and the normalized source the model reads, the ISO target (the
    fields it names: an impossible date stays impossible), the day drawn, the locale whose
    conventions wrote it, the style and the field order."""
    tag: str
    source: str
    target: str
    date: _dt.date
    locale: str
    style: str
    order: str


@dataclass(frozen=True)
class Splits:
    train: tuple
    val: tuple
    test: tuple
    seed: int


def _days(a: _dt.date, b: _dt.date) -> list[_dt.date]:
    return [a + _dt.timedelta(i) for i in range((b - a).days + 1)]


def _fields(y: int, m: int, d: int) -> str:
    return f"{y:04d}-{m:02d}-{d:02d}"


def _two_digit_ok(day: _dt.date) -> bool:
    return 1950 <= day.year <= 2049


# ------------------------------------------------------------------ names
def _month_choices(locale: str) -> tuple:
    """Per month: the ways a person writes its name in ``locale``
    (:func:`attention.models.dates.month_spellings`)."""
    return month_spellings(locale)


def _wide(locale: str, m: int) -> str:
    return month_names(locale, "format", "wide")[m - 1]


def _weekday(rng: random.Random, locale: str, wd: int) -> str:
    width = rng.choice(("wide", "wide", "abbreviated", "short"))
    name = weekday_names(locale, "format", width)[wd]
    if name.endswith(".") and rng.random() < 0.4:
        name = name[:-1]
    return name


def _ordinal_en(d: int) -> str:
    suffix = "th" if 11 <= d % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
    return f"{d}{suffix}"


def _day(rng: random.Random, locale: str, d: int, allow_ordinal: bool = True) -> str:
    """Day number as typed: unpadded, padded, or an ordinal of the locale."""
    r = rng.random()
    if allow_ordinal and r < 0.25:
        if locale.startswith("en"):
            return _ordinal_en(d)
        if locale == "fr_FR" and d == 1:
            return "1er"
        if locale in ("es_ES", "it_IT") and d == 1:
            return rng.choice(("1º", "1°", "1o"))
        if locale == "ru_RU":
            return f"{d}-го"
    return f"{d:02d}" if r > 0.8 else str(d)


def _year(rng: random.Random, day: _dt.date, y: int, p_two: float) -> str:
    if _two_digit_ok(day) and rng.random() < p_two:
        return f"{y % 100:02d}"
    return str(y)


# ------------------------------------------------------------------ styles
def _named(rng: random.Random, locale: str, day: _dt.date, y: int, m: int, d: int) -> str:
    """A date with a month name, composed per locale (see the module docstring)."""
    mon = rng.choice(_month_choices(locale)[m - 1]) if rng.random() < 0.5 else _wide(locale, m)
    yr = _year(rng, day, y, 0.05)
    wd = _weekday(rng, locale, day.weekday()) if rng.random() < 0.3 else None
    lead = rng.random() < 0.15
    if locale in ("en_GB", "en_US"):
        dd = _day(rng, locale, d)
        us = locale == "en_US"
        r = rng.random()
        if r < 0.12:
            the = "the " if rng.random() < 0.6 else ""
            core = f"{the}{_ordinal_en(d)} of {mon}{',' if us and rng.random() < 0.5 else ''} {yr}"
        elif r < 0.2:
            core = f"{d:02d}-{mon.rstrip('.')}-{yr}" if rng.random() < 0.5 else f"{d}-{mon.rstrip('.')}-{yr}"
        elif (r < 0.75) == us:                         # month first (mostly en_US)
            core = f"{mon} {dd}{rng.choice((',', ',', ''))} {yr}"
        else:
            core = f"{dd} {mon}{rng.choice(('', '', ','))} {yr}"
        if wd:
            core = f"{wd}{rng.choice((', ', ' '))}{core}"
        return ("on " + core) if lead else core
    if locale == "de_DE":
        dot = rng.random() < 0.85
        core = f"{_day(rng, locale, d, False)}{'.' if dot else ''} {mon} {yr}"
        if wd:
            core = f"{wd}, {rng.choice(('', '', 'den '))}{core}"
        return ("am " + core) if lead else core
    if locale == "fr_FR":
        core = f"{_day(rng, locale, d)} {mon} {yr}"
        if wd:
            core = f"{wd}{rng.choice((' ', ', '))}{core}"
        return ("le " + core) if lead else core
    if locale == "es_ES":
        dd = _day(rng, locale, d)
        r = rng.random()
        if r < 0.6:
            core = f"{dd} de {mon} {rng.choice(('de', 'de', 'del'))} {yr}"
        elif r < 0.7:
            core = f"{d}-{mon.rstrip('.')}-{yr}"
        else:
            core = f"{dd} {mon} {yr}"
        if wd:
            core = f"{wd}{rng.choice((', ', ' '))}{core}"
        return ("el " + core) if lead else core
    if locale == "it_IT":
        core = f"{_day(rng, locale, d)} {mon} {yr}"
        if wd:
            core = f"{wd}{rng.choice((' ', ', '))}{core}"
        return ("il " + core) if lead else core
    if locale == "ru_RU":
        core = f"{_day(rng, locale, d)} {mon} {yr}{rng.choice(('', ' г.', ' г.', 'г.', ' г', ' года'))}"
        if wd:
            if lead:
                return f"в {RU_ACCUSATIVE[day.weekday()]}, {core}"
            core = f"{wd}, {core}"
        return core
    # ja_JP / zh_CN: no month names in use; the numeric style with 年月日 covers them
    return _numeric(rng, locale, day, y, m, d)


def _cjk(rng: random.Random, locale: str, day: _dt.date, y: int, m: int, d: int) -> str:
    pad = rng.random() < 0.2
    mm, dd = (f"{m:02d}", f"{d:02d}") if pad else (str(m), str(d))
    sp = " " if rng.random() < 0.1 else ""
    day_mark = "号" if locale == "zh_CN" and rng.random() < 0.3 else "日"
    s = f"{y}年{sp}{mm}月{sp}{dd}{day_mark}"
    if rng.random() < 0.3:
        wd = day.weekday()
        if locale == "ja_JP":
            short = weekday_names("ja_JP", "format", "abbreviated")[wd]
            s += rng.choice((f"({short})", f"（{short}）", weekday_names("ja_JP", "format", "wide")[wd],
                             " " + weekday_names("ja_JP", "format", "wide")[wd]))
        else:
            wide = weekday_names("zh_CN", "format", "wide")[wd]
            short = weekday_names("zh_CN", "format", "abbreviated")[wd]
            s += rng.choice((wide, " " + wide, f"({short})", f"（{wide}）", " " + short))
    return s


def _numeric(rng: random.Random, locale: str, day: _dt.date, y: int, m: int, d: int,
             order: Optional[str] = None) -> str:
    """Numbers in ``order`` (default: the locale's) with one separator."""
    order = order or ORDER[locale]
    if order == "ymd" and locale in ("ja_JP", "zh_CN") and rng.random() < 0.5:
        return _cjk(rng, locale, day, y, m, d)
    sep = rng.choice(("/", "/", "-", ".", " ")) if locale != "de_DE" else rng.choice((".", ".", ".", "/", "-", " "))
    r = rng.random()
    dd, mm = (f"{d:02d}", f"{m:02d}") if r < 0.5 else (str(d), str(m)) if r < 0.85 else \
        (f"{d:02d}", str(m)) if r < 0.93 else (str(d), f"{m:02d}")
    yr = _year(rng, day, y, 0.35 if order != "ymd" else 0.25)
    parts = {"y": yr, "m": mm, "d": dd}
    s = sep.join(parts[c] for c in order)
    if sep == "." and order != "ymd" and rng.random() < 0.1:
        s += "."
    return s


def _iso(rng: random.Random, y: int, m: int, d: int) -> str:
    r = rng.random()
    if r < 0.6:
        return _fields(y, m, d)
    if r < 0.75:
        return f"{y}-{m}-{d}"
    if r < 0.9:
        return f"{y}/{m:02d}/{d:02d}"
    return f"{y}.{m:02d}.{d:02d}"


def _cldr(rng: random.Random, locale: str, day: _dt.date) -> tuple[str, Format]:
    fmts = formats(locale)
    fmt = rng.choice(fmts)
    if "yy" in fmt.pattern and "yyy" not in fmt.pattern and not _two_digit_ok(day):
        fmt = Format(fmt.locale, fmt.pattern.replace("yy", "y"), fmt.names)
    return render(day, fmt), fmt


# ------------------------------------------------------------------ noise
def _noise(rng: random.Random, locale: str, s: str) -> str:
    if locale in ("de_DE", "fr_FR", "es_ES", "it_IT") and rng.random() < P_NOISE["accents"]:
        s = strip_accents(s)
    if locale == "de_DE" and rng.random() < P_NOISE["umlaut_ascii"]:
        s = german_ascii(s)
    if " " in s and rng.random() < P_NOISE["drop_space"]:
        spaces = [i for i, c in enumerate(s) if c == " " and 0 < i < len(s) - 1
                  and s[i - 1].isdigit() != s[i + 1].isdigit()]     # "3 марта" -> "3марта" only
        if spaces:
            i = rng.choice(spaces)
            s = s[:i] + s[i + 1:]
    if rng.random() < P_NOISE["add_space"]:
        marks = [i for i, c in enumerate(s) if c in ".,/-"]
        if marks:
            i = rng.choice(marks)
            s = s[:i] + " " + s[i] + " " + s[i + 1:] if rng.random() < 0.5 else s[:i] + " " + s[i:]
    return s


# ------------------------------------------------------------------ one example
def _impossible(rng: random.Random, y: int, m: int, d: int, numeric: bool) -> tuple[int, int]:
    """An impossible (month, day) for year y: a day past the month's end, a day or month 0, or
    (numbers only) a month above 12."""
    import calendar
    r = rng.random()
    if r < 0.08:
        return (0, d) if numeric and rng.random() < 0.5 else (m, 0)
    if numeric and r < 0.55:
        return rng.randint(13, 31), rng.randint(1, 31)
    months = [k for k in range(1, 13) if calendar.monthrange(y, k)[1] < 31]
    k = rng.choice(months)
    return k, rng.randint(calendar.monthrange(y, k)[1] + 1, 31)


def _tag(rng: random.Random, locale: str, numeric_order: Optional[str], ambiguous: bool) -> str:
    if numeric_order in ("dmy", "mdy"):
        if not ambiguous and rng.random() < P_TAG["auto"]:
            return AUTO
        same = [l for l in LOCALES if ORDER[l] == numeric_order]
        return locale if locale in same and rng.random() < 0.8 else rng.choice(same)
    r = rng.random()
    if r < P_TAG["own"]:
        return locale
    if r < P_TAG["own"] + P_TAG["auto"]:
        return AUTO
    return rng.choice(LOCALES)


def _auto_target(order: str, y: int, a: int, b: int) -> str:
    """What ``auto`` reads from a year-last numeric date with first numbers a, b: the one valid
    reading (day first if both are); if neither is valid, the day-first transcription."""
    def ok(mo, dd):
        try:
            _dt.date(y, mo, dd)
            return True
        except ValueError:
            return False
    if ok(b, a):
        return _fields(y, b, a)
    if ok(a, b):
        return _fields(y, a, b)
    return _fields(y, b, a)


def example(rng: random.Random, day: _dt.date, locale: str, style: str,
            impossible: bool = False) -> Example:
    """One example for ``day`` written the ``locale`` way in ``style`` (see the docstring)."""
    y, m, d = day.year, day.month, day.day
    if impossible and style != "iso":
        m, d = _impossible(rng, y, m, d, style == "numeric")
    if style == "cldr":                      # Babel writes real days only
        m, d = day.month, day.day
        text, fmt = _cldr(rng, locale, day)
        order = fmt.order
        numeric = "MMM" not in fmt.pattern and "年" not in fmt.pattern
        num_order = order if numeric and order != "ymd" else None
        amb = num_order is not None and d <= 12 and m <= 12 and d != m
        tag = _tag(rng, locale, num_order, amb)
        yy = "yy" in fmt.pattern and "yyy" not in fmt.pattern
        year = century(day.year % 100) if yy else day.year
        target = iso(day) if year == day.year else _fields(year, day.month, day.day)
        if tag == AUTO and num_order:
            target = _auto_target(order, year, *((d, m) if order == "dmy" else (m, d)))
        return Example(tag, normalize(_noise(rng, locale, text)), target, day, locale, style, order)
    if style == "iso":
        if impossible:
            m, d = _impossible(rng, y, day.month, day.day, True)
        return Example(rng.choice(TAGS), normalize(_iso(rng, y, m, d)), _fields(y, m, d), day,
                       locale, style, "ymd")
    if style == "named" and locale not in ("ja_JP", "zh_CN"):
        text = _named(rng, locale, day, y, m, d)
        return Example(_tag(rng, locale, None, False), normalize(_noise(rng, locale, text)),
                       _fields(y, m, d), day, locale, style, "named")
    # numeric (and named for ja / zh, which write numbers with 年月日)
    order = ORDER[locale]
    text = _numeric(rng, locale, day, y, m, d)
    nums = "".join(c if c.isdigit() else " " for c in text).split()
    year = y
    two = False
    if order != "ymd" and len(nums[-1]) == 2:
        year, two = century(int(nums[-1])), True
    elif order == "ymd" and len(nums[0]) == 2:
        year, two = century(int(nums[0])), True
    amb = order != "ymd" and d <= 12 and m <= 12 and d != m
    tag = _tag(rng, locale, order if order != "ymd" else None, amb)
    if order == "ymd" and two:
        tag = locale                         # a two-digit year first is a ja / zh habit
    if tag == AUTO and order != "ymd":
        target = _auto_target(order, year, *((d, m) if order == "dmy" else (m, d)))
    else:
        target = _fields(year, m, d)
    return Example(tag, normalize(_noise(rng, locale, text)), target, day, locale, "numeric", order)


def twin(rng: random.Random, e: Example, allowed) -> Optional[Example]:
    """The same numeric string under a tag of the other order, when both numbers can be the
    month (``03/04/2021``: de_DE 2021-04-03, en_US 2021-03-04) and the other reading's day is in
    ``allowed`` (so a twin never writes a validation or test day)."""
    if e.order not in ("dmy", "mdy") or e.tag == AUTO or e.style not in ("numeric", "cldr") \
            or not re.fullmatch(r"\d{1,2}\D+\d{1,2}\D+\d{2,4}\.?", e.source):
        return None
    y, m, d = (int(x) for x in e.target.split("-"))
    if not (1 <= m <= 12 and 1 <= d <= 12 and m != d):
        return None
    try:
        other = _dt.date(y, d, m)
    except ValueError:
        return None
    if other not in allowed:
        return None
    tag = "en_US" if ORDER[e.tag] == "dmy" else rng.choice(DAY_FIRST)
    return Example(tag, e.source, _fields(y, d, m), other, e.locale, e.style,
                   "mdy" if e.order == "dmy" else "dmy")


def generate(days, seed: int, per_day: int = 1, impossible: float = 0.0,
             twins: float = 0.0) -> tuple:
    """``per_day`` examples for each of ``days`` (locale and style drawn per example); with
    probability ``twins`` an ambiguous numeric example also gets its :func:`twin`."""
    rng = random.Random(seed)
    styles, weights = list(STYLE_WEIGHTS), list(STYLE_WEIGHTS.values())
    allowed = set(days)
    out = []
    for day in days:
        for _ in range(per_day):
            style = rng.choices(styles, weights)[0]
            locale = "en_US" if style == "numeric" and rng.random() < P_NUMERIC_US else \
                rng.choice(LOCALES)
            e = example(rng, day, locale, style, rng.random() < impossible)
            out.append(e)
            if twins and rng.random() < twins:
                t = twin(rng, e, allowed)
                if t is not None:
                    out.append(t)
    return tuple(out)


@functools.lru_cache(maxsize=4)
def make_splits(seed: int = 0) -> Splits:
    """Fixed train / val / test examples by ``seed`` (see the module docstring)."""
    rng = random.Random(seed)
    days = _days(DATE_MIN, DATE_MAX)
    rng.shuffle(days)
    test, val, train = days[:N_TEST], days[N_TEST:N_TEST + N_VAL], days[N_TEST + N_VAL:]
    return Splits(train=generate(train, seed * 7 + 1, EXAMPLES_PER_TRAIN_DAY, P_IMPOSSIBLE, P_TWIN),
                  val=generate(val, seed * 7 + 2), test=generate(test, seed * 7 + 3), seed=seed)


def babel_widths(days, locales=LOCALES) -> dict:
    """Babel's own four widths for ``days``: ``{(locale, width): [(source, target), ...]}``
    (sources normalized).  ``short`` writes two-digit years in de_DE, es_ES, it_IT and en_US:
    there only days in 1950-2049 are used, where the century rule names the day itself."""
    from babel.dates import format_date, get_date_format
    out = {}
    for loc in locales:
        for w in WIDTHS:
            pattern = get_date_format(w, loc).pattern
            yy = "yy" in pattern and "yyy" not in pattern
            out[(loc, w)] = [(normalize(format_date(day, format=w, locale=loc)), iso(day))
                             for day in days if not yy or _two_digit_ok(day)]
    return out


@functools.lru_cache(maxsize=None)
def source_chars(seed: int = 0) -> str:
    """Sorted characters of every training source, plus a-z and а-я (the source vocabulary)."""
    chars = set(EXTRA_CHARS) | set("0123456789")
    for e in make_splits(seed).train:
        chars.update(e.source)
    return "".join(sorted(chars))


@functools.lru_cache(maxsize=None)
def max_source_len(seed: int = 0) -> int:
    """Longest training source (characters, without the tag)."""
    return max(len(e.source) for e in make_splits(seed).train)


def recipe(seed: int) -> dict:
    """The data recipe as plain JSON (for model cards)."""
    return {
        "source": f"Babel {babel.__version__} CLDR names and formats + typed compositions "
                  "(training/dates.py)",
        "locales": list(LOCALES), "tags": list(TAGS),
        "styles": STYLE_WEIGHTS, "noise": P_NOISE, "tag_choice": P_TAG,
        "impossible_dates": P_IMPOSSIBLE, "twins": P_TWIN, "numeric_en_US": P_NUMERIC_US,
        "widths": list(WIDTHS), "skeletons": list(SKELETONS),
        "date_range": [iso(DATE_MIN), iso(DATE_MAX)],
        "two_digit_years": "00-49 -> 2000-2049, 50-99 -> 1950-1999; written only for days in 1950-2049",
        "numeric_order": ORDER,
        "normalization": "Unicode NFKC, invisible format characters removed, lower case, white space collapsed",
        "split": f"by date, random.Random({seed}) shuffle: {N_TEST} test days, {N_VAL} validation "
                 f"days, the rest train; {EXAMPLES_PER_TRAIN_DAY} examples per training day (+ twins), "
                 "one per validation / test day",
        "target": "ISO 8601 YYYY-MM-DD (the fields the source names)",
    }
