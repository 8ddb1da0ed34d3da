"""What the Translate page computes: the trained date-translation models' decodings.

    chk = check(text)                       # can the models read it? which CLDR format is it?
    tr = translate(chk.source, "local_p")   # Translation: output, weights (T, S), scores, p_t ...

Every weight in a :class:`Translation` is ``result.weights`` of the ``attention.attend`` call the
decoder used for that output character (``attention.models.seq2seq.Seq2Seq.translate``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from attention.models import dates
from attention.models.seq2seq import VARIANTS
from ui import models

LOW_CONFIDENCE = 0.5        # an output character emitted with probability below this is flagged
SPACE = "␣"                 # how a space in the source is shown on the axis


def model(variant: str):
    """The shipped model trained with attention ``variant`` and its card (read-only)."""
    return models.trained("translate", variant)


def cards() -> dict:
    """``{variant: card}`` of every shipped model (JSON only), with the weights' file size."""
    return models.cards("translate")


@dataclass(frozen=True)
class Check:
    """What the page knows about an input before decoding.

    source: the normalized text the model reads ("" if it cannot read it); error: why the models
    cannot read it (unknown characters, too long, empty) or None; matches: the CLDR formats that
    write this string (:func:`attention.models.dates.recognize`); reference: the ISO date they name.
    """
    source: str
    error: Optional[str]
    matches: tuple
    reference: Optional[str]
    missing: bool = False           # the model's files are not shipped (error says how to train)

    @property
    def problem(self) -> Optional[str]:
        """Why the input is not valid data although the model can read its characters."""
        if self.error or self.reference:
            return None
        problems = [m.problem for m in self.matches if m.problem]
        if problems:
            return problems[0]
        if self.matches:                      # clean readings that disagree (none known)
            return "the supported formats read different dates from it"
        return "not a date in any of the supported formats"

    @property
    def formats(self) -> str:
        """The formats that write this string, e.g. ``de_DE long/yMMMMd (d. MMMM y)``."""
        clean = [m for m in self.matches if m.problem is None]
        return "; ".join(f"{m.format.label} ({m.format.pattern})" for m in clean[:3]) + \
            (" …" if len(clean) > 3 else "")


def check(text: str, variant: str) -> Check:
    """Validate ``text`` with the model's own rules (all variants share one vocabulary and
    length limit) and read it back with the CLDR formats the models were trained on."""
    try:
        m, _ = model(variant)
    except ValueError as e:
        return Check("", str(e), (), None, missing=True)
    try:
        src = m.check_source(text)
    except ValueError as e:
        return Check("", str(e), (), None)
    matches = tuple(dates.recognize(src))
    dates_ = {m_.iso for m_ in matches if m_.problem is None}
    return Check(src, None, matches, dates_.pop() if len(dates_) == 1 else None)


@dataclass(frozen=True)
class Translation:
    """One decoding (T = output steps incl. the end token, S = source characters).

    weights / scores / mask ``(T, S)``: the attention of each step over the source characters;
    positions ``(T,)``: window centres (local-m c_t, local-p p_t) or None; gaussian ``(T, S)``
    (local-p) or None; probs ``(T, S)`` (hard: the distribution the one-hot was taken from) or None.
    token_probs ``(T,)``: p of each emitted token; top: the 3 likeliest tokens per step.
    """
    variant: str
    source: str
    output: str
    tokens: tuple
    token_probs: np.ndarray
    top: tuple
    weights: np.ndarray
    scores: np.ndarray
    mask: np.ndarray
    positions: Optional[np.ndarray]
    gaussian: Optional[np.ndarray]
    probs: Optional[np.ndarray]
    window: Optional[int]
    finished: bool
    beam: int
    normalization: str

    @property
    def src_labels(self) -> list[str]:
        return [SPACE if c == " " else c for c in self.source]

    @property
    def tgt_labels(self) -> list[str]:
        return ["end" if t == "</s>" else t for t in self.tokens]

    @property
    def unsure(self) -> list[int]:
        """Steps whose token was emitted with probability below :data:`LOW_CONFIDENCE`."""
        return [i for i, p in enumerate(self.token_probs) if p < LOW_CONFIDENCE]


def _np(t) -> Optional[np.ndarray]:
    return None if t is None else t.detach().double().numpy()


def translate(source: str, variant: str, beam: int = 1, normalization: str = "hard",
              seed: int = 0) -> Translation:
    """Decode ``source`` (already checked) with the model trained with ``variant``.

    ``normalization`` / ``seed`` only apply to the hard model: ``hard_sampled`` draws each step's
    position with ``attend(normalization="hard_sampled", seed=seed * 1000 + t)``."""
    m, _ = model(variant)
    sample = seed if (VARIANTS[variant].hard and normalization == "hard_sampled") else None
    d = m.translate(source, beam=beam, sample_seed=sample)
    return Translation(
        variant=variant, source=d.source, output=d.output, tokens=d.tokens,
        token_probs=_np(d.token_probs), top=d.top, weights=_np(d.weights), scores=_np(d.scores),
        mask=d.mask.numpy().astype(bool), positions=_np(d.positions), gaussian=_np(d.gaussian),
        probs=_np(d.probs), window=m.cfg.window, finished=d.finished, beam=beam,
        normalization=d.attend_options["normalization"])


def verdict(tr: Translation, chk: Check) -> tuple[str, bool]:
    """(sentence, ok) comparing the output with the date the CLDR formats read."""
    if chk.reference is None:
        return (f"Unverified: {chk.problem}, so this output is a guess on input unlike the "
                "training data.", False)
    if tr.output == chk.reference:
        return f"✓ correct: the input is {chk.reference} ({chk.formats}).", True
    return f"✗ wrong: the input is {chk.reference} ({chk.formats}).", False


def row_table(tr: Translation, t: int) -> dict:
    """Columns of the "check it by hand" table of output step ``t``."""
    out = {"#": np.arange(len(tr.source)), "source char": tr.src_labels,
           "in scope": tr.mask[t].astype(bool), "score e": tr.scores[t]}
    if tr.probs is not None:
        out["softmax α (drawn from)"] = tr.probs[t]
    if tr.gaussian is not None:
        out["Gaussian factor"] = tr.gaussian[t]
    out["weight used"] = tr.weights[t]
    return out


def accuracy_rows() -> list[dict]:
    """One row per shipped model for the accuracy table (from the cards)."""
    rows = []
    for v, c in cards().items():
        t, tr = c["test"], c["training"]
        by = t.get("exact_by_order", {})
        rows.append({
            "attention type": v, "exact match": t["exact_match"], "per token": t["per_token"],
            "n test": t["n"], "year first (ja, zh)": by.get("ymd"), "day first": by.get("dmy"),
            "month first (en_US)": by.get("mdy"), "train time (s)": tr["wall_time_s"],
            "threads": tr["threads"], "steps": tr["steps"], "parameters": tr["parameters"],
            "weights (MB)": round((c.get("weights_bytes") or 0) / 1e6, 2), "why": c.get("why", ""),
        })
    return rows
