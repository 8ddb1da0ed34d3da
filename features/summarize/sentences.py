"""The Summarize page's sentence splitter: a small, documented rule set (no model).

:func:`split_sentences` cuts a paragraph into sentences; :data:`MAX_SENTENCES` is how many the
page reads.
"""
from __future__ import annotations

import re

#: The page reads at most this many sentences of a paragraph (the rest are dropped with a warning).
MAX_SENTENCES = 60

#: Abbreviations after which "." does not end a sentence even before a capital
#: ("Dr. Smith", "St. Louis", "Smith vs. Jones").  Compared lower-case, without the dot.
#: Words usually followed by a number ("No. 5", "Fig. 3") need no entry: a digit never
#: starts a sentence here -- and "no" must not be one ("I said no. Then I left.").
ABBREVIATIONS = frozenset("""
    mr mrs ms mx dr prof sr jr st mt ft gen col capt cpt lt sgt maj cmdr adm sen rep gov pres
    rev hon fr vs cf
""".split())

_OPENERS = "\"'“‘«([{"
_CLOSERS = "\"'”’»)]}"
# a run of sentence-final punctuation, optional closing quotes/brackets, whitespace, then
# (optional opening quotes/brackets and) the next word's first character
_BOUNDARY = re.compile(r"([.!?…]+)([" + re.escape(_CLOSERS) + r"]*)\s+(?=[" + re.escape(_OPENERS)
                       + r"]*(\w))")
_PARAGRAPH = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_DOTTED = re.compile(r"(?:[A-Za-z]{1,3}\.)+[A-Za-z]{1,3}")   # U.S, e.g, i.e, a.m, Ph.D
_LAST_WORD = re.compile(r"(\S+)$")


def _is_abbreviation(before: str) -> bool:
    """Does the text ``before`` a single "." end in an abbreviation?"""
    m = _LAST_WORD.search(before)
    if not m:
        return False
    word = m.group(1).lstrip(_OPENERS)
    return (word.lower() in ABBREVIATIONS
            or (len(word) == 1 and word.isalpha() and word.isupper())   # an initial: "J. K. Rowling"
            or _DOTTED.fullmatch(word) is not None)                      # "U.S.", "e.g."


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences with a small, documented rule set.

    A sentence ends at ``.``, ``!``, ``?`` or ``…`` (a run such as ``?!`` or ``...`` counts
    once), optionally followed by closing quotes or brackets, **then whitespace, then**
    (after optional opening quotes/brackets) **an upper-case letter**.  So:

    * ``3.5`` or ``example.com`` never split (no whitespace after the dot);
    * ``"Why?" she asked.`` stays one sentence (lower case follows);
    * a single ``.`` after an abbreviation (:data:`ABBREVIATIONS`: Dr, Mr, St, vs, ...), a
      single capital initial (``J. K. Rowling``) or a dotted abbreviation (``U.S.``, ``e.g.``,
      ``a.m.``) does not split -- so a sentence that *ends* in "U.S." is joined to the next
      (a known limitation of any rule-based splitter);
    * a blank line always ends a sentence (headings, list items without a period);
    * text without final punctuation is still the last sentence.

    Whitespace inside a sentence (including single newlines) is collapsed to one space.
    Returns a list of non-empty sentences (``[]`` for empty or whitespace-only text).
    """
    out: list[str] = []
    for para in _PARAGRAPH.split(str(text or "")):
        start = 0
        for m in _BOUNDARY.finditer(para):
            if not m.group(3).isupper():
                continue
            if m.group(1) == "." and _is_abbreviation(para[start:m.start()]):
                continue
            out.append(para[start:m.end(2)])
            start = m.end()
        out.append(para[start:])
    return [s for s in (" ".join(p.split()) for p in out) if s]
