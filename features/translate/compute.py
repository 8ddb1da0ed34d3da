"""What the Translate page computes: the trained date translators' decodings and what the page
may present as a translation.

    ans = answer("03/04/2021", "auto", "bahdanau")     # Answer: screen, decodings, verdict
    ans.presented                                       # the ISO date shown as THE translation, or None
    ans.readings                                        # ambiguous: (Reading, Translation) for each

The path, in order (:func:`read`):
1. :func:`attention.models.dates.screen` -- empty, another language, characters the models
   never saw, too long, not a date, a year out of range: no decoding, a message.
2. decode under the locale tag (under ``auto``, an ambiguous numeric date is decoded twice: with
   a day-first tag and with a month-first tag);
3. :func:`attention.models.dates.check_output` -- an output that is not a calendar date in range
   is never presented as the translation: "the model wrote 2021-02-31, which is not a date";
   :func:`attention.models.dates.check_agreement` -- nor is a date the input does not write
   (``32 March 2044`` "repaired" into 2044-03-31): "a date, but not the one typed";
4. *unsure*: the calibrated probability of the whole output (:attr:`Translation.confidence`) is
   below the card's ``calibration.unsure_below``, or a numeric date under a locale tag was read
   in another field order than that locale writes (:attr:`Translation.other_order`:
   ``03/04/2021`` under en_US written as 2021-04-03).

Every weight in a :class:`Translation` is ``result.weights`` of the ``attention.attend`` call the
decoder used for that output character (``attention.models.seq2seq.Seq2Seq.translate``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from attention.models import dates
from attention.models.seq2seq import VARIANTS, tag_label
from ui import models

SPACE = "␣"                 # how a space in the source is shown on the axis
DEFAULT_UNSURE = 0.5        # a model whose card has no calibration


def model(variant: str):
    """The shipped model trained with attention ``variant`` and its card (read-only)."""
    return models.trained("translate", variant)


def cards() -> dict:
    """``{variant: card}`` of every shipped model (JSON only), with the weights' file size."""
    return models.cards("translate")


def unsure_below(card: dict) -> float:
    """The calibrated-probability threshold under which an output is called unsure."""
    return float(card.get("calibration", {}).get("unsure_below", DEFAULT_UNSURE))


@dataclass(frozen=True)
class Translation:
    """One decoding (T = output steps incl. the end token, S = 1 tag + source characters).

    weights / scores / mask ``(T, S)``: the attention of each step over the source positions
    (column 0: the locale tag); positions ``(T,)``: window centres (local-m c_t, local-p p_t) or
    None; gaussian ``(T, S)`` (local-p) or None; probs ``(T, S)`` (hard: the distribution the
    one-hot was taken from) or None.  token_probs ``(T,)``: p of each emitted token;
    calibrated ``(T,)``: the same at the calibration temperature; top: the 3 likeliest tokens
    per step.  validity: is the output a date, and the one typed (:func:`validity`)."""
    variant: str
    source: str
    tag: str
    output: str
    tokens: tuple
    token_probs: np.ndarray
    calibrated: np.ndarray
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
    constrained: bool
    temperature: float
    threshold: float
    validity: dates.Validity
    locale_date: Optional[str] = None

    @property
    def src_labels(self) -> list[str]:
        return [tag_label(self.tag)] + [SPACE if c == " " else c for c in self.source]

    @property
    def tgt_labels(self) -> list[str]:
        return ["end" if t == "</s>" else t for t in self.tokens]

    @property
    def confidence(self) -> float:
        """Calibrated probability of the whole output (product over its steps)."""
        return float(np.prod(self.calibrated)) if len(self.calibrated) else 0.0

    @property
    def unsure(self) -> bool:
        """Calibrated p(output) below the threshold, or :attr:`other_order`."""
        return self.confidence < self.threshold or self.other_order

    @property
    def other_order(self) -> bool:
        """A valid output of a numeric date that is not the date the tag's locale writes
        (:func:`attention.models.dates.locale_reading`): the model read the numbers in another
        order."""
        return self.valid and self.locale_date is not None and self.output != self.locale_date

    @property
    def valid(self) -> bool:
        return self.validity.ok

    @property
    def weakest(self) -> list[int]:
        """The steps that cost the most calibrated probability (marked "?" when unsure)."""
        if not self.unsure:
            return []
        order = np.argsort(self.calibrated)
        return [int(i) for i in order[:2] if self.calibrated[i] < 0.95]


def _np(t) -> Optional[np.ndarray]:
    return None if t is None else t.detach().double().numpy()


def decode(m, card: dict, source: str, tag: str, beam: int = 1, normalization: str = "hard",
           seed: int = 0, constrained: bool = False) -> Translation:
    """Decode ``source`` (already screened) with model ``m`` under ``tag``.

    ``normalization`` / ``seed`` only apply to the hard model: ``hard_sampled`` draws each step's
    position with ``attend(normalization="hard_sampled", seed=seed * 1000 + t)``."""
    variant = m.cfg.variant
    sample = seed if (VARIANTS[variant].hard and normalization == "hard_sampled") else None
    d = m.translate(source, tag, beam=beam, sample_seed=sample, constrained=constrained)
    return Translation(
        variant=variant, source=d.source, tag=tag, output=d.output, tokens=d.tokens,
        token_probs=_np(d.token_probs), calibrated=_np(d.calibrated), top=d.top,
        weights=_np(d.weights), scores=_np(d.scores), mask=d.mask.numpy().astype(bool),
        positions=_np(d.positions), gaussian=_np(d.gaussian), probs=_np(d.probs),
        window=m.cfg.window, finished=d.finished, beam=beam,
        normalization=d.attend_options["normalization"], constrained=constrained,
        temperature=d.temperature, threshold=unsure_below(card),
        validity=validity(d.output, d.source, d.finished),
        locale_date=dates.locale_reading(d.source, tag))


def validity(output: str, source: str, finished: bool = True) -> dates.Validity:
    """Is the output a calendar date in range (:func:`attention.models.dates.check_output`), and
    is it the date the source writes (:func:`attention.models.dates.check_agreement`)?"""
    v = dates.check_output(output, finished)
    return dates.check_agreement(output, source) if v.ok else v


@dataclass(frozen=True)
class Answer:
    """What the page shows for one input and model.

    screen: :class:`attention.models.dates.Screen` (refused if ``screen.kind``); main: the
    decoding drawn first (None if refused); readings: ``((Reading, Translation), ...)`` for an
    ambiguous numeric date under ``auto``, else empty; constrained: the
    decoding with the beam restricted to valid dates when asked for (shown beside ``main``; the
    page never presents it as the translation: a constrained beam writes a date even when the
    input names none)."""
    screen: dates.Screen
    main: Optional[Translation] = None
    readings: tuple = ()
    missing: Optional[str] = None
    constrained: Optional[Translation] = None

    @property
    def refused(self) -> bool:
        return self.missing is not None or not self.screen.ok

    @property
    def ambiguous(self) -> bool:
        """Both readings are valid and different dates: both are offered."""
        return len(self.offered) > 1

    @property
    def offered(self) -> tuple:
        """The valid dates offered (two for an ambiguous date, else at most one)."""
        if self.refused:
            return ()
        trs = [t for _, t in self.readings] if self.readings else [self.main]
        return tuple(dict.fromkeys(t.output for t in trs if t.valid))

    @property
    def presented(self) -> Optional[str]:
        """THE translation: one valid date, or None (refused, not a date, or ambiguous)."""
        return self.offered[0] if len(self.offered) == 1 else None

    @property
    def invalid(self) -> bool:
        """Decoded, and no output is a date."""
        return not self.refused and not self.offered

    @property
    def unsure(self) -> bool:
        """An offered output whose calibrated probability is below the threshold."""
        trs = [t for _, t in self.readings] if self.readings else [self.main] if self.main else []
        return any(t.unsure for t in trs if t.valid)


def read(m, card: dict, text: str, locale: str = "auto", beam: int = 1,
         normalization: str = "hard", seed: int = 0, constrained: bool = False) -> Answer:
    """The page's whole path for one input (see the module docstring), with model ``m``."""
    sc = dates.screen(text, locale, m.cfg.src_chars, m.cfg.max_source_len)
    if not sc.ok:
        return Answer(sc)
    kw = dict(beam=beam, normalization=normalization, seed=seed)
    readings, alt = (), None
    if sc.ambiguous:
        readings = tuple((r, decode(m, card, sc.source, r.tag, **kw)) for r in sc.readings)
        main = readings[0][1]
    else:
        main = decode(m, card, sc.source, locale, **kw)
        if constrained:
            alt = decode(m, card, sc.source, locale, constrained=True, **kw)
    return Answer(sc, main, readings, constrained=alt)


def answer(text: str, locale: str, variant: str, beam: int = 1, normalization: str = "hard",
           seed: int = 0, constrained: bool = False) -> Answer:
    """:func:`read` with the shipped model of ``variant`` (what the page shows)."""
    try:
        m, card = model(variant)
    except ValueError as e:
        return Answer(dates.Screen(text, "", locale), missing=str(e))
    return read(m, card, text, locale, beam, normalization, seed, constrained)


def reference(source: str, tag: str) -> tuple[Optional[str], str]:
    """(the date the CLDR formats of ``tag`` -- of every locale under ``auto`` -- name for
    exactly this string, or None; those formats, for people)."""
    matches = [x for x in dates.recognize(source, tag) if x.problem is None]
    found = {x.iso for x in matches}
    shown = "; ".join(f"{x.format.label} ({x.format.pattern})" for x in matches[:2])
    return (found.pop() if len(found) == 1 else None), shown + (" …" if len(matches) > 2 else "")


def verdict(tr: Translation) -> tuple[str, Optional[bool]]:
    """(sentence, ok) comparing an output with the date the CLDR formats of its tag read from
    exactly this string (:func:`reference`); ok None when no format writes it (no check)."""
    ref, formats = reference(tr.source, tr.tag)
    if ref is None:
        return "", None
    if tr.output == ref:
        return f"✓ correct: the input is {ref} ({formats}).", True
    return f"✗ wrong: the input is {ref} ({formats}).", False


def row_table(tr: Translation, t: int) -> dict:
    """Columns of the "check it by hand" table of output step ``t``."""
    out = {"#": np.arange(len(tr.src_labels)), "source": tr.src_labels,
           "in scope": tr.mask[t].astype(bool), "score e": tr.scores[t]}
    if tr.probs is not None:
        out["softmax α (drawn from)"] = tr.probs[t]
    if tr.gaussian is not None:
        out["Gaussian factor"] = tr.gaussian[t]
    out["weight used"] = tr.weights[t]
    return out


def accuracy_rows() -> list[dict]:
    """One row per shipped model for the accuracy table (from the cards and the typed-set
    evaluation file ``weights/translate/typed_eval.json`` when present)."""
    import json
    typed = {}
    f = _typed_file()
    if f.is_file():
        typed = json.loads(f.read_text(encoding="utf-8")).get("after", {})
    rows = []
    for v, c in cards().items():
        t, tr = c["test"], c["training"]
        w = c.get("babel_widths", {})
        cal = c.get("calibration", {})
        rows.append({
            "attention type": VARIANTS[v].label,
            "typed dates (hand-written)": typed.get(v, {}).get("accuracy"),
            "generator test": t["exact_match"],
            **{f"Babel {k}": w.get(k, {}).get("all") for k in ("full", "long", "medium", "short")},
            "unsure below": cal.get("unsure_below"), "temperature": cal.get("temperature"),
            "CPU time (s)": tr.get("cpu_time_s"), "wall time (s)": tr["wall_time_s"],
            "steps": tr["steps"], "parameters": tr["parameters"],
            "weights (MB)": round((c.get("weights_bytes") or 0) / 1e6, 2), "why": c.get("why", ""),
        })
    return rows


def _typed_file():
    from attention.models.seq2seq import WEIGHTS_DIR
    return WEIGHTS_DIR / "typed_eval.json"
