"""Sentence page parameters: URL key = widget key = ``attention.attend`` option name."""
from attention import NORMALIZATIONS, SCORES
from ui import examples, params as P
from ui.vocab import NORMALIZATION_LABELS, SCOPE_LABELS, SCORE_LABELS

SCOPES = ("global", "local", "causal", "local_p")

PARAMS = [
    P.Text("text", "Sentence", examples.DEFAULT_SENTENCE, max_chars=10_000),
    P.Choice("normalization", "Attention type", "soft", options=tuple(NORMALIZATIONS),
             labels=NORMALIZATION_LABELS),
    P.Choice("scope", "Scope", "global", options=SCOPES, labels=SCOPE_LABELS),
    P.Int("window", "Window w", 2, lo=0, hi=64),
    P.Int("layer", "Layer", 1, lo=1, hi=6),
    P.Int("head", "Head", 1, lo=1, hi=12),
    P.Choice("form", "Form", "self", options=("self", "pooling"),
             labels=("Self-attention (every token queries)", "Pooling (one query)")),
    P.Choice("source", "Queries and keys from", "model", options=("model", "embed"),
             labels=("The model: a layer and head (learned W_Q, W_K, W_V)",
                     "Token embeddings X (q = k = v = X)")),
    P.Choice("score", "Score function", "scaled_dot",
             options=tuple(n for n, x in SCORES.items() if x.standalone), labels=SCORE_LABELS),
    P.Choice("W_a", "W_a", "identity", options=("identity", "random"), labels=("Identity", "Random (seeded)")),
    P.Float("temperature", "Temperature T", 1.0, lo=0.05, hi=5.0, step=0.05),
    P.Int("seed", "Seed", 0, lo=0, hi=9999),
    P.Choice("pooling_query", "Pooling query", "token", options=("token", "mean"),
             labels=("The inspected token's query", "Mean of all queries")),
    P.Int("row", "Inspect query token #", 0, lo=0, hi=511),
]
BY = {p.key: p for p in PARAMS}
