"""Compare page parameters: URL key = widget key = ``attention.attend`` option name, with the
variant's number appended (``normalization2``, ``window3``); values are the core's names."""
from __future__ import annotations

from attention import NORMALIZATIONS
from ui import examples, params as P
from ui.vocab import NORMALIZATION_LABELS, SCOPE_LABELS

from .compute import Variant

MAX_VARIANTS = 4
MAX_TOKENS = 128          # the sentence is cut here: 4 heatmaps of 128 x 128 are already a lot
SCOPES = ("global", "local", "causal", "local_p")
DEFAULTS = (Variant("soft", "global"), Variant("hard", "global"),
            Variant("soft", "local", 2), Variant("soft", "local_p", 2))
INPUTS = {"sentence": "Sentence", "tiny": "Tiny example"}


def variant_params(i: int, v: Variant) -> list[P.Param]:
    """The URL parameters of variant ``i`` (1-based): ``normalization{i}``, ``scope{i}``,
    ``window{i}``, ``temperature{i}``."""
    return [P.Choice(f"normalization{i}", "Type", v.normalization, options=tuple(NORMALIZATIONS),
                     labels=NORMALIZATION_LABELS),
            P.Choice(f"scope{i}", "Scope", v.scope, options=SCOPES, labels=SCOPE_LABELS),
            P.Int(f"window{i}", "Window w", v.window, lo=0, hi=16),
            P.Float(f"temperature{i}", "Temperature T", v.temperature, lo=0.05, hi=5.0, step=0.05)]


PARAMS = [
    P.Choice("input", "Input", "sentence", options=tuple(INPUTS), labels=INPUTS,
             help="A sentence through all-MiniLM-L6-v2 (a layer and head: More settings), or the "
                  "tiny example X = [[1, 0], [0, 1], [1, 1]] with q = k = v = X, small enough to check by hand."),
    P.Text("text", "Sentence", examples.DEFAULT_SENTENCE, max_chars=2000),
    P.Int("layer", "Layer", 1, lo=1, hi=6),
    P.Int("head", "Head", 1, lo=1, hi=12),
    P.Int("seed", "Seed (sampled, local-p)", 0, lo=0, hi=9999),
    P.Int("variants", "Variants", MAX_VARIANTS, lo=2, hi=MAX_VARIANTS),
    *[p for i, v in enumerate(DEFAULTS, 1) for p in variant_params(i, v)],
    P.Int("a", "A", 1, lo=1, hi=MAX_VARIANTS),
    P.Int("b", "B", 2, lo=1, hi=MAX_VARIANTS),
]
BY = {p.key: p for p in PARAMS}


def variant(s, i: int) -> Variant:
    """Variant ``i`` (1-based) as the state ``s`` holds it."""
    return Variant(s[f"normalization{i}"], s[f"scope{i}"], int(s[f"window{i}"]),
                   float(s[f"temperature{i}"]))
