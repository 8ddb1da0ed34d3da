"""Image page parameters: URL key = widget key = ``attention.attend`` option name."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ui import params as P
from ui.vocab import NORMALIZATION_LABELS, SCOPE_LABELS, SCORE_LABELS

from .samples import sample_images

SAMPLES = tuple(sample_images())
PATCH_SIZES = ("8", "16", "32", "64")
SCORES = ("scaled_dot", "dot", "cosine", "additive")

PARAMS = [
    P.Choice("sample", "Sample photo", "coffee" if "coffee" in SAMPLES else (SAMPLES or ("",))[0],
             options=SAMPLES),
    P.Choice("patch", "Patch (px)", "16", options=PATCH_SIZES,
             help="The image is resized so its longer side is 512 px, then cut into square patches."),
    P.Choice("view", "View", "query", options=("query", "pooling", "matrix"),
             labels=("One patch's query", "Pooling: one query → saliency", "Full patch × patch matrix")),
    P.Choice("normalization", "Attention type", "soft", options=("soft", "hard", "hard_sampled", "sparsemax"),
             labels={**NORMALIZATION_LABELS, "hard_sampled": "Hard (8 samples)"}),
    P.Choice("scope", "Scope", "global", options=("global", "grid"),
             labels={"global": "Global (all patches)", "grid": SCOPE_LABELS["grid"]}),
    P.Int("window", "Window w (patches)", 3, lo=0, hi=63),
    P.Int("row", "Query patch row", 10, lo=0, hi=63),
    P.Int("col", "Query patch column", 16, lo=0, hi=63),
    P.Float("temperature", "Temperature T", 1.0, lo=0.05, hi=5.0, step=0.05),
    P.Choice("score", "Score function", "scaled_dot", options=SCORES,
             labels={k: SCORE_LABELS[k].replace(" (the model's own)", "") for k in SCORES}),
    P.Choice("W_a", "Queries q = x W_a with W_a", "identity", options=("identity", "random"),
             labels=("Identity (q = x)", "Random, seeded (q = x W_a)")),
    P.Choice("heads", "Heads", "1", options=("1", "2", "4")),
    P.Choice("head", "Head shown", "mean", options=("mean", "1", "2", "3", "4"),
             labels=("Mean over heads", "1", "2", "3", "4")),
    P.Flag("position_encoding", "Add 2-D position encoding to the features", False),
    P.Int("seed", "Seed", 0, lo=0, hi=9999),
    P.Float("opacity", "Overlay opacity", 0.75, lo=0.0, hi=1.0, step=0.05),
    P.Choice("pooling_query", "Pooling query", "mean", options=("mean", "patch"),
             labels=("Mean of all patch queries q̄", "The query patch's q_i")),
]
BY = {p.key: p for p in PARAMS}


@dataclass(frozen=True)
class Settings:
    """Everything that shapes one view, by parameter key, in core units (hashable: a cache key)."""
    view: str = "query"            # query | pooling | matrix
    normalization: str = "soft"    # soft | hard | hard_sampled | sparsemax
    score: str = "scaled_dot"      # scaled_dot | dot | cosine | additive
    W_a: str = "identity"          # identity | random
    scope: str = "global"          # global | grid
    window: int = 3
    temperature: float = 1.0
    heads: int = 1
    head: Optional[int] = None     # 0-based head shown; None = mean over heads
    seed: int = 0
    pooling_query: str = "mean"    # mean | patch

    @classmethod
    def of(cls, s) -> "Settings":
        """From the page state ``s`` (session state, attribute access)."""
        return cls(view=s.view, normalization=s.normalization, score=s.score, W_a=s.W_a, scope=s.scope,
                   window=int(s.window), temperature=float(s.temperature), heads=int(s.heads),
                   head=None if s.head == "mean" else int(s.head) - 1, seed=int(s.seed),
                   pooling_query=s.pooling_query)
