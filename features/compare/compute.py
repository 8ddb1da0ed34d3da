"""What the Compare page computes: one input's queries / keys / values, and one
``attention.attend`` call per variant over them."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from attention import attend
from attention.arrays import as_tensor
from attention.functional import AttentionResult
from attention.models.minilm import display_tokens
from attention.tutorial import TINY_X
from attention.masks import windowed as is_windowed


@dataclass(frozen=True)
class Variant:
    """One attention mechanism to compare, in the core's names: ``normalization``
    (soft | hard | hard_sampled | sparsemax), ``scope`` (global | local | causal | local_p),
    ``window`` w (local / local_p only), ``temperature`` T (not used by hard)."""
    normalization: str = "soft"
    scope: str = "global"
    window: int = 2
    temperature: float = 1.0

    @property
    def windowed(self) -> bool:
        return is_windowed(self.scope)

    def describe(self) -> str:
        """Short name, e.g. ``"soft local w=2"``, ``"hard_sampled global"``, ``"soft causal, T=0.5"``."""
        scope = f"{self.scope} w={self.window}" if self.windowed else self.scope
        t = "" if self.normalization == "hard" or self.temperature == 1.0 else f", T={self.temperature:g}"
        return f"{self.normalization} {scope}{t}"


@dataclass(frozen=True)
class Input:
    """Queries ``q (n, d)``, keys ``k (n, d)``, values ``v (n, d_v)`` of one input, its n token
    labels, the score function that compares them, and a few words on where they come from."""
    q: torch.Tensor
    k: torch.Tensor
    v: torch.Tensor
    labels: list
    score: str
    where: str


def sentence_input(enc: dict, layer: int, head: int) -> Input:
    """The model's queries / keys / values ``(n, 32)`` at ``layer`` / ``head`` (1-based) of an
    encoded sentence (``ui.models.encode``); compared with the model's own scaled dot product."""
    q, k, v = (as_tensor(enc[a][layer - 1, head - 1]) for a in ("queries", "keys", "values"))
    return Input(q, k, v, display_tokens(enc["tokens"]), "scaled_dot", f"layer {layer}, head {head}")


def tiny_input() -> Input:
    """The tiny example: q = k = v = X ``(3, 2)``, compared with the plain dot product."""
    X = torch.as_tensor(TINY_X)
    return Input(X, X, X, ["x1", "x2", "x3"], "dot", "tiny example")


def run(inp: Input, variant: Variant, seed: int = 0) -> AttentionResult:
    """Attention of every query of ``inp`` over its keys under ``variant``: weights ``(1, n, n)``."""
    kw = dict(score=inp.score, scope=variant.scope, normalization=variant.normalization,
              temperature=float(variant.temperature), seed=int(seed))
    if variant.windowed:
        kw["window"] = int(variant.window)
    return attend(inp.q, inp.k, inp.v, **kw)
