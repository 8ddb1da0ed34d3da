"""What the Read digits page computes: the trained captioners' readings, with every map.

    m, card = model("soft", "left_to_right")           # read-only, one per server
    prep = prepare(canvas_rgba)                        # attention.models.digits.preprocess (+ stages)
    problem = check_input(prep)                        # None, or a clear reason
    r = read(prep.image, "soft", "largest_first")      # Reading: caption, maps, numbers

Every map in a :class:`Reading` is ``result.weights`` of the ``attention.attend`` call the
decoder used for that digit (see ``attention.models.captioner.Captioner.decode``).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from attention.models import captioner, digits as pictures
from attention.models.captioner import VARIANTS
from ui import models

from .state import ORDER_LABELS

LOW_CONFIDENCE = 0.8        # "unsure" threshold of a model whose card has no calibration
#: The independent evaluation sets named in the cards (written by benchmarks/digits_eval.py).
EVAL_SETS = {"mnist": "MNIST, held-out writers", "strokes": "canvas strokes (other shapes)",
             "photos": "phone photos (simulated)"}


def model(variant: str, order: str = "left_to_right"):
    """The shipped model trained with attention ``variant`` for caption ``order``, and its card
    (read-only)."""
    return models.trained("caption", variant, order=order)


def cards(order: str = "left_to_right") -> dict:
    """``{variant: card}`` of the shipped models of caption ``order`` (JSON only), with the
    weights' file size."""
    return models.cards("caption", order=order)


@functools.lru_cache(maxsize=2)
def test_images(order: str = "left_to_right") -> tuple[np.ndarray, tuple[str, ...]]:
    """The shipped test strings (never trained on): model inputs ``(N, 32, 96)`` float32
    (read-only; the same for every order) and their true captions in ``order``."""
    return captioner.test_images(order)


@functools.lru_cache(maxsize=1)
def test_image_info() -> tuple[tuple[str, ...], np.ndarray]:
    """What each test image is, and whether it holds MNIST digits (to credit MNIST)."""
    return captioner.test_image_info()


def threshold(variant: str, order: str = "left_to_right") -> float:
    """The model's calibrated "unsure" threshold (its card), else :data:`LOW_CONFIDENCE`."""
    return float(cards(order).get(variant, {}).get("calibration", {}).get("threshold", LOW_CONFIDENCE))


def prepare(raw: np.ndarray) -> pictures.Preprocessed:
    """A user picture (canvas RGBA, photo RGB) -> the model input and every stage."""
    return pictures.preprocess(raw)


def check_input(prep: pictures.Preprocessed) -> Optional[str]:
    """None if the prepared picture can be read, else why not (blank, too many digits ...)."""
    return pictures.check_input(prep)


@dataclass(frozen=True)
class Reading:
    """One reading (n = digits emitted; N = 48 cells of the 4 x 12 grid).

    digits:     the digits read, left to right.
    confidence: ``(n,)`` probability of each emitted digit; ``end_confidence`` that of END.
    finished:   END was emitted within 7 steps (else: more digits than the model reads).
    maps:       ``(n, N)`` the attention weights used for each digit (soft: softmax; hard: the
                one-hot cell; local: softmax over the window x Gaussian).
    scores:     ``(n, N)`` raw scores e.  mask: ``(n, N)`` cells in scope.
    alpha:      hard: ``(n, N)`` the distribution the cell is taken from; else None.
    beta:       ``(n,)`` the gate on the context (soft, local); else None.
    threshold:  a digit whose (calibrated) probability is below this is "unsure".
    cells:      hard: ``(n,)`` the arg-max cell used.
    samples:    hard: per digit, ``[(row, col, count), ...]`` of cells drawn by the samples.
    sample_captions: hard: the caption each sample read.
    centres:    local_p_2d: ``(n, 2)`` window centres (row, col); gaussian ``(n, N)``.
    """
    variant: str
    order: str
    digits: tuple[int, ...]
    confidence: np.ndarray
    end_confidence: float
    finished: bool
    maps: np.ndarray
    scores: np.ndarray
    mask: np.ndarray
    grid: tuple[int, int]
    window: int
    alpha: Optional[np.ndarray] = None
    cells: Optional[np.ndarray] = None
    samples: tuple = ()
    sample_captions: tuple = ()
    centres: Optional[np.ndarray] = None
    gaussian: Optional[np.ndarray] = None
    beta: Optional[np.ndarray] = None
    threshold: float = LOW_CONFIDENCE

    @property
    def caption(self) -> str:
        return " ".join(str(d) for d in self.digits)

    @property
    def hard(self) -> bool:
        return VARIANTS[self.variant].hard

    @property
    def windowed(self) -> bool:
        return VARIANTS[self.variant].windowed

    @property
    def unsure(self) -> list[int]:
        """Indices of digits read with a calibrated probability below the model's threshold."""
        return [i for i, c in enumerate(self.confidence) if c < self.threshold]


def _np(t) -> Optional[np.ndarray]:
    return None if t is None else t.detach().double().numpy()


def read(image: np.ndarray, variant: str, order: str = "left_to_right", n_samples: int = 8,
         seed: int = 0) -> Reading:
    """Greedy reading of one model input ``(32, 96)`` (ink = 1) by the ``variant`` model of
    caption ``order``; for hard also ``n_samples`` stochastic readings (seeded) to show where
    samples land."""
    m, _ = model(variant, order)
    x = torch.tensor(np.array(image, dtype=np.float32)).reshape(1, 1, pictures.IMG_H, pictures.IMG_W)   # (1, 1, H, W)
    d = m.decode(x)
    n = int(d.lengths[0])
    keep = slice(0, n)
    toks = d.tokens[0]
    finished = bool(d.finished[0])
    end_conf = float(d.confidence[0, n]) if finished else 0.0
    gh, gw = m.cfg.grid
    extra: dict = {}
    var = VARIANTS[variant]
    if var.hard:
        s = m.decode(x.expand(n_samples, -1, -1, -1), sample=True, seed=seed)
        T = s.cells.shape[1]
        per_step = []
        for t in range(n):                          # samples still reading at step t
            cells = s.cells[s.tokens[:, t] >= 0, t].numpy() if t < T else np.zeros(0, np.int64)
            u, k = np.unique(cells, return_counts=True)
            per_step.append(tuple((int(c) // gw, int(c) % gw, int(kk)) for c, kk in zip(u, k)))
        extra = dict(alpha=_np(d.attn_probs[0, keep]), cells=d.cells[0, keep].numpy(),
                     samples=tuple(per_step),
                     sample_captions=tuple(s.caption(b) for b in range(n_samples)))
    if var.windowed:
        extra = dict(centres=_np(d.centres[0, keep]), gaussian=_np(d.gaussian[0, keep]))
    if d.beta is not None:
        extra["beta"] = _np(d.beta[0, keep])
    return Reading(variant=variant, order=order, digits=tuple(int(t) for t in toks[:n]),
                   confidence=_np(d.confidence[0, keep]), end_confidence=end_conf, finished=finished,
                   maps=_np(d.weights[0, keep]), scores=_np(d.scores[0, keep]),
                   mask=d.mask[0, keep].numpy(), grid=(gh, gw), window=m.cfg.window,
                   threshold=threshold(variant, order), **extra)


def window_box(mask_row, grid: tuple[int, int]) -> tuple[int, int, int, int]:
    """Local: the inclusive cell range ``(r0, r1, c0, c1)`` of one step's window, read off the
    mask ``attend`` built for it (``(h*w,)`` bool) -- the window is decided once, in
    ``attention.masks``; the drawing only outlines it."""
    gh, gw = grid
    cells = np.flatnonzero(np.asarray(mask_row, dtype=bool).reshape(-1))
    if cells.size == 0:
        return (0, -1, 0, -1)
    rows, cols = cells // gw, cells % gw
    return int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())


def cell_table(r: Reading, i: int) -> dict:
    """Columns of the "check it by hand" table for digit ``i``: every cell's score and weight."""
    gh, gw = r.grid
    n = gh * gw
    e = r.scores[i]
    out = {"cell (row, col)": [f"({k // gw}, {k % gw})" for k in range(n)], "score e": e}
    if not (r.hard or r.windowed):
        out["weight α = softmax(e)"] = r.maps[i]
    elif r.hard:
        out["α = softmax(e)"] = r.alpha[i]
        out["weight used (arg-max)"] = r.maps[i]
    else:
        m = r.mask[i]
        z = np.where(m, e - e[m].max(), -np.inf)
        soft = np.where(m, np.exp(z), 0.0)
        out["in window"] = m
        out["softmax over the window"] = soft / soft.sum()
        out["Gaussian factor"] = r.gaussian[i]
        out["weight α = softmax × Gaussian"] = r.maps[i]
    return out


def averaged_weights(variant: str, order: str) -> Optional[str]:
    """A sentence saying that the model ships a moving average of its weights (its card's
    ``training.ema``, with both validation scores), or None when it ships the last training
    step's weights."""
    all_cards = cards(order)
    card = all_cards.get(variant, {})
    decay = card.get("training", {}).get("ema")
    if not decay:
        return None
    text = (f"This model's weights are a moving average of its weights over about the last "
            f"{round(1 / (1 - decay)):,} training steps (s ← {decay}·s + {1 - decay:.3g}·w after every "
            "step, w the weights; then the BatchNorm statistics re-measured), not the weights of the "
            "last step.")
    now, last = (card.get(k, {}).get("exact") for k in ("validation", "validation_last_step_weights"))
    if now is not None and last is not None:
        text += (f" On the generator's validation strings it reads {now:.2%} exact, the last step's "
                 f"weights {last:.2%}.")
    last_step = [VARIANTS[v].label for v, c in all_cards.items() if not c.get("training", {}).get("ema")]
    if last_step:
        names = " and ".join([", ".join(last_step[:-1]), last_step[-1]] if len(last_step) > 1 else last_step)
        text += f" {names} {'ship' if len(last_step) > 1 else 'ships'} the weights of the last step."
    return text


#: The card's ``data.pictures`` marks a model trained on pictures preprocessed before a later fix.
EARLIER_PICTURES = "preprocessed before the border fix"
TODAYS_PICTURES = "today's preprocessing"


def trained_on(card: dict) -> str:
    """Which preprocessing made the model's training pictures: today's, or (the card's
    ``data.pictures`` says so) the one before the border fix; every model is *measured* through
    today's."""
    return EARLIER_PICTURES if card.get("data", {}).get("pictures") else TODAYS_PICTURES


#: The accuracy table's columns that say how a model was trained (shown as a second table, so
#: that neither needs a horizontal scroll at 1280 px); the others say how well it reads.
TRAINING_COLUMNS = ("trained on", "weights (kB)", "training CPU (s)", "training wall (s)", "steps")


#: The column of the larger photo draw (the card's ``eval.more_photos``; benchmarks/digits_eval.py
#: --photos 1000): 553 four-digit strings, against the 115 of the photo set.
MORE_PHOTOS = "phone photos, a larger draw"


def accuracy_rows() -> list[dict]:
    """One row per shipped model (caption order, attention label): exact match on 4-digit strings
    of each independent evaluation set (its card's ``eval``, written by benchmarks/digits_eval.py),
    the validation strings of the training generator and how often the map points at the digit
    read (shares, 0-1); then :data:`TRAINING_COLUMNS`: the pictures, size and training time."""
    rows = []
    for order, v, c in [(o, v, c) for o in ORDER_LABELS for v, c in cards(o).items()]:
        ev = c.get("eval", {}).get("results", {})
        va = c.get("validation", {})
        tr = c.get("training", {})
        row = {"captions": ORDER_LABELS[order].lower(), "attention": VARIANTS[v].label}
        for key, name in EVAL_SETS.items():
            row[name] = ev.get(key, {}).get("exact_4_digits")
        more = c.get("eval", {}).get("more_photos", {})
        row[MORE_PHOTOS] = more.get("results", {}).get("exact_4_digits")
        pad = points_at_digit(v, order)
        row.update({
            "validation (same generator)": va.get("exact_4_digits"),
            "map on the digit read (worst step)": None if pad is None else min(pad["argmax"]),
            "trained on": trained_on(c),
            "weights (kB)": None if c.get("weights_bytes") is None else round(c["weights_bytes"] / 1024),
            "training CPU (s)": tr.get("cpu_seconds"),
            "training wall (s)": tr.get("wall_seconds"),
            "steps": tr.get("steps"),
        })
        rows.append(row)
    return rows


def confusion(variant: str, order: str, sets=tuple(EVAL_SETS)) -> Optional[np.ndarray]:
    """The digit confusion ``(11, 11)`` of a model summed over evaluation ``sets`` (rows = true
    digit, columns = digit read; index 10 = none: a digit missed / one too many), from its card;
    None when the card has no evaluation."""
    ev = cards(order).get(variant, {}).get("eval", {}).get("results", {})
    ms = [np.asarray(ev[s]["confusion"]) for s in sets if s in ev and "confusion" in ev[s]]
    return np.sum(ms, axis=0) if ms else None


#: A map "points at the digit it reads" when its brightest cell is on that digit in at least this
#: share of the strings read right, at every output step (the page says so when it does not).
POINTS_BAR = 0.85
#: ... and below this share at its worst step the map is mostly elsewhere (a warning, not a note).
POINTS_WARN = 0.5


def points_at_digit(variant: str, order: str) -> Optional[dict]:
    """How often the model's map points at the digit it is reading, from its card
    (``{"argmax": [per step], "mass": [per step], "read", "n", "what"}``; benchmarks/digits_eval.py);
    None when the card has no such measurement."""
    return cards(order).get(variant, {}).get("eval", {}).get("points_at_digit")


def unsure_quality(variant: str, order: str) -> dict:
    """``{set: {"precision", "recall", ...}}`` of the unsure flag on the evaluation sets (card)."""
    ev = cards(order).get(variant, {}).get("eval", {}).get("results", {})
    return {s: ev[s]["unsure"] for s in EVAL_SETS if s in ev and "unsure" in ev[s]}


def worst_pair(m: np.ndarray) -> tuple[int, int, int, int]:
    """The two digits most often read as each other in a confusion ``(11, 11)``:
    ``(a, b, a read as b, b read as a)``."""
    c = np.asarray(m)[:10, :10]
    s = c + c.T
    np.fill_diagonal(s, -1)
    a, b = np.unravel_index(int(np.argmax(s)), s.shape)
    a, b = sorted((int(a), int(b)))
    return a, b, int(c[a, b]), int(c[b, a])
