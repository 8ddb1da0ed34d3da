"""The hand-written evaluation set tests/data/typed_dates.tsv: a loader other tests import, and
sanity checks on the file itself (columns, locales, answers, counts per kind).

The file is test data for the date-translation seq2seq models (a date typed in one of 9 locales ->
ISO YYYY-MM-DD), written by hand and independent of the training generator; see
tests/data/README.md.  Usage elsewhere::

    from tests.test_typed_dates_file import load_typed_dates
    rows = load_typed_dates()          # list of dicts: text, locale, expected, kind, line
"""
import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest

TYPED_DATES = Path(__file__).resolve().parent / "data" / "typed_dates.tsv"
COLUMNS = ("text", "locale", "expected", "kind")
LOCALES = frozenset({"en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "ru_RU", "ja_JP", "zh_CN", "en_US"})
TOKENS = frozenset({"invalid", "out_of_range", "not_a_date", "unsupported_language"})
MIN_PER_KIND = {
    "babel_short_2digit_year": 30, "us_month_day": 25, "iso": 15, "numeric_separators": 25,
    "case": 25, "ordinals": 25, "abbreviations": 25, "weekday_and_leading_words": 25,
    "diacritics_and_spacing": 25, "fullwidth_cjk": 15, "long_written": 15, "ambiguous_auto": 15,
    "invalid": 15, "out_of_range": 8, "not_a_date": 10, "unsupported_language": 6,
}
MIN_ROWS = 330
FIRST, LAST = dt.date(1900, 1, 1), dt.date(2099, 12, 31)
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


def load_typed_dates(path: str | Path = TYPED_DATES) -> list[dict]:
    """Read the typed-dates TSV: one dict per data row, `#` comment lines and blank lines skipped.

    Keys: text (exactly as typed, never stripped), locale, expected, kind, and line (1-based line
    number in the file, for error messages).  Only the line ending is removed from a line.
    Raises ValueError naming the line when a row does not have exactly 4 tab-separated columns.
    """
    rows = []
    with open(path, encoding="utf-8", newline="") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != len(COLUMNS):
                raise ValueError(f"{path}:{n}: expected {len(COLUMNS)} tab-separated columns "
                                 f"{COLUMNS}, got {len(cols)}: {line!r}")
            rows.append({**dict(zip(COLUMNS, cols)), "line": n})
    return rows


def iso_in_range(s: str) -> bool:
    """True if s is a YYYY-MM-DD date that exists and lies in 1900-01-01..2099-12-31."""
    if not _ISO.fullmatch(s):
        return False
    try:
        d = dt.date.fromisoformat(s)
    except ValueError:
        return False
    return FIRST <= d <= LAST


@pytest.fixture(scope="module")
def rows():
    return load_typed_dates()


def test_file_parses_into_four_columns(rows):
    assert len(rows) >= MIN_ROWS, f"only {len(rows)} rows, want >= {MIN_ROWS}"
    for r in rows:
        assert r["text"].strip(), f"line {r['line']}: empty text"
        assert r["locale"] and r["expected"] and r["kind"], f"line {r['line']}: empty column"


def test_loader_rejects_a_row_without_four_columns(tmp_path):
    p = tmp_path / "bad.tsv"
    p.write_text("# comment\n3/3/21\ten_US\t2021-03-03\n", encoding="utf-8")
    with pytest.raises(ValueError, match=":2: expected 4"):
        load_typed_dates(p)


def test_locales_are_the_nine_or_auto(rows):
    bad = [(r["line"], r["locale"]) for r in rows if r["locale"] not in LOCALES | {"auto"}]
    assert not bad, bad
    assert {r["locale"] for r in rows} == LOCALES | {"auto"}, "every locale should appear"


def test_expected_is_a_date_a_pair_or_a_token(rows):
    for r in rows:
        exp, where = r["expected"], f"line {r['line']} {r['text']!r}"
        if exp in TOKENS:
            continue
        parts = exp.split("|")
        assert len(parts) in (1, 2), f"{where}: {exp!r}"
        for p in parts:
            assert iso_in_range(p), f"{where}: {p!r} is not an existing date in 1900..2099"
            assert dt.date.fromisoformat(p).isoformat() == p
        if len(parts) == 2:
            assert r["locale"] == "auto", f"{where}: two readings only for locale auto"
            assert parts[0] < parts[1], f"{where}: readings must be distinct and sorted"
            a, b = (dt.date.fromisoformat(p) for p in parts)
            assert a.year == b.year and (a.month, a.day) == (b.day, b.month), \
                f"{where}: the two readings must swap day and month"


def test_token_rows_have_the_matching_kind(rows):
    for r in rows:
        if r["expected"] in TOKENS:
            assert r["kind"] == r["expected"], f"line {r['line']}: {r['expected']} under {r['kind']}"
        else:
            assert r["kind"] not in TOKENS, f"line {r['line']}: kind {r['kind']} but a date answer"


def test_counts_per_kind_meet_the_minimums(rows):
    counts = Counter(r["kind"] for r in rows)
    assert set(counts) == set(MIN_PER_KIND), f"unknown or missing kinds: {set(counts) ^ set(MIN_PER_KIND)}"
    short = {k: (counts[k], n) for k, n in MIN_PER_KIND.items() if counts[k] < n}
    assert not short, f"kind: (have, want) {short}"


def test_no_duplicate_rows(rows):
    dup = [k for k, n in Counter((r["text"], r["locale"]) for r in rows).items() if n > 1]
    assert not dup, dup


def test_dates_spread_over_the_range(rows):
    dates = [dt.date.fromisoformat(p) for r in rows if r["expected"] not in TOKENS
             for p in r["expected"].split("|")]
    assert {d.month for d in dates} == set(range(1, 13))
    assert len({d.year for d in dates}) >= 100
    assert {d.year // 20 for d in dates} == set(range(95, 105)), "every 20-year span of 1900..2099"
