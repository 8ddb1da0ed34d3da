"""The one sanitiser for text that came from a user and is shown back (notices, tokens in chart
labels, file names, table cells): :func:`visible`.  It lives in ``figures`` -- the lowest UI
layer -- so both the figure builders and the Streamlit chrome (``ui``) use the same function.
"""
from __future__ import annotations

import re
import unicodedata

#: Bidirectional controls (U+202A-U+202E embeddings/overrides, U+2066-U+2069 isolates, and the
#: marks U+200E/U+200F/U+061C): shown back raw, they reverse or reorder the text around them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def visible(text, *, keep_newlines: bool = False) -> str:
    """``text`` made safe to echo: every bidi control and other non-printable character
    (Unicode categories Cc, Cf, Co, Cs, Cn: NUL, escape, zero-width spaces, lone surrogates,
    unassigned code points) becomes the visible escape ``\\u202e``-style code ``<U+202E>``;
    line and paragraph separators become a space (a newline too unless ``keep_newlines``).
    Printable text, including every script and emoji, is returned unchanged."""
    out = []
    for ch in str(text):
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch in "\t\n\r\u2028\u2029\x0b\x0c\x85":
            out.append(" ")
        elif ch in BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn"):
            if ch == "\u200d" or ch == "\ufe0f":          # keep emoji joiners / selectors
                out.append(ch)
            else:
                out.append(f"<U+{ord(ch):04X}>")
        else:
            out.append(ch)
    return "".join(out)


def escape_label(text) -> str:
    """Make arbitrary text display literally in Plotly.

    Plotly renders a small HTML subset in tick labels, titles and hover text (``<b>``, ``<br>``,
    ``<a href>`` ...) and decodes entities, so ``&``, ``<`` and ``>`` become entities and a token
    like ``<script>`` shows as text, never markup.  Bidi controls and invisible characters are
    made visible first (:func:`visible`).
    """
    return visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SAFE_FILE = re.compile(r"[^A-Za-z0-9_.-]+")


def file_name(name: str, default: str = "attention") -> str:
    """A download file name made of ``[A-Za-z0-9_.-]`` only (at most 80 characters)."""
    return _SAFE_FILE.sub("_", visible(name)).strip("_.")[:80] or default
