"""Reading the independent digit evaluation sets with the captioners (test helper).

The sets come from :mod:`tests.digit_eval` (built independently of the training generator and
never used for training).  Everything goes through the page's whole path: the raw picture
(canvas RGBA, photo RGB, MNIST string on paper) -> ``attention.models.digits.preprocess`` ->
``check_input`` (a refused picture counts as wrong) -> the model's greedy decode.

    sets = eval_sets()                                   # {"mnist": [...], "strokes": [...], "photos": [...]}
    reads = read_all(model, [img for _, img in sets["strokes"]])
    score([t for t, _ in sets["strokes"]], reads)        # exact, per digit, 4-digit exact, confusion ...

Used by ``tests/test_caption_models.py`` (accuracy per set within 1 % of the card) and by
``benchmarks/digits_eval.py`` (which writes those numbers into the cards).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional, Sequence

import numpy as np
import torch

from tests import digit_eval as E

#: The evaluation sets and how they are drawn (fixed seeds; the MNIST set is the writer group
#: held out of training: the last 5,000 test digits, NIST SD-1).
SET_ARGS = {
    "mnist": dict(n=300, seed=1, half="second", length=4),
    "strokes": dict(n=300, seed=7, lengths=(4,)),
    "photos": dict(n=200, seed=11),
}
SET_NAMES = {"mnist": "MNIST strings, held-out writers (SD-1 half)",
             "strokes": "canvas strokes (test-only stroke font)",
             "photos": "simulated phone photos (test-only stroke font on paper)",
             # not built by the suite (about 5 min for 1,000): benchmarks/digits_eval.py --photos N
             "more_photos": "a larger draw of the simulated phone photos (another seed): the same "
                            "generator as 'photos', more strings, so a smaller standard error"}


@lru_cache(maxsize=8)
def eval_set(name: str, n: Optional[int] = None) -> tuple[tuple[str, np.ndarray], ...]:
    """``((digits, raw picture), ...)`` of evaluation set ``name`` (first ``n`` items)."""
    a = dict(SET_ARGS[name])
    if n is not None:
        a["n"] = n
    if name == "mnist":
        items = E.mnist_strings(a.pop("n"), a.pop("seed"), **a)
    elif name == "strokes":
        items = [(t, img) for t, img, _ in E.stroke_set(**a)]
    elif name == "photos":
        items = E.photo_set(**a)
    else:
        raise ValueError(f"set must be one of {', '.join(SET_ARGS)}; got {name!r}")
    return tuple((t, img) for t, img in items)


def available_sets() -> tuple[str, ...]:
    """The sets that can be built here (MNIST needs ../shared/data/mnist)."""
    return tuple(s for s in SET_ARGS if s != "mnist" or E.mnist_available())


@dataclass(frozen=True)
class Read:
    """One picture read: ``caption`` ("4 0 7 2"; None = refused by check_input), the digits'
    probabilities ``confidence (n,)``, and the model input (None if refused)."""
    caption: Optional[str]
    confidence: np.ndarray
    refused: Optional[str] = None


def prepare(raws: Sequence[np.ndarray], preprocess: Optional[Callable] = None,
            check: Optional[Callable] = None) -> tuple[list[Optional[np.ndarray]], list[Optional[str]]]:
    """Model inputs (None when refused) and refusal reasons of raw pictures."""
    from attention.models import digits as DR
    preprocess = preprocess or DR.preprocess
    check = check or DR.check_input
    xs, why = [], []
    for raw in raws:
        p = preprocess(raw)
        r = check(p)
        xs.append(None if r else p.image)
        why.append(r)
    return xs, why


def read_all(model, raws: Sequence[np.ndarray], *, preprocess=None, check=None, batch: int = 64,
             inputs=None) -> list[Read]:
    """Read raw pictures with ``model`` through the page's path (see the module docstring).
    ``inputs`` = ``prepare(raws)`` when already computed."""
    xs, why = inputs if inputs is not None else prepare(raws, preprocess, check)
    out: list[Optional[Read]] = [None] * len(xs)
    ok = [i for i, x in enumerate(xs) if x is not None]
    for s in range(0, len(ok), batch):
        idx = ok[s:s + batch]
        x = torch.from_numpy(np.stack([xs[i] for i in idx]).astype(np.float32))[:, None]   # (B, 1, H, W)
        d = model.decode(x)
        for b, i in enumerate(idx):
            n = int(d.lengths[b])
            cap = d.caption(b) if bool(d.finished[b]) else d.caption(b) + " …"
            out[i] = Read(cap, d.confidence[b, :n].double().numpy())
    for i, x in enumerate(xs):
        if x is None:
            out[i] = Read(None, np.zeros(0), why[i])
    return out


def truth_in_order(text: str, order: str = "left_to_right") -> str:
    """``"4072" -> "4 0 7 2"`` (as written) or ``"7 4 2 0"`` (largest first)."""
    d = [c for c in text if c.isdigit()]
    if order == "largest_first":
        d = sorted(d, reverse=True)
    return " ".join(d)


def _align(true: list[int], pred: list[int]) -> list[tuple[int, int]]:
    """Levenshtein alignment of two digit lists: pairs ``(t, p)`` with -1 for a gap (a missing
    or an extra digit)."""
    n, m = len(true), len(pred)
    D = np.zeros((n + 1, m + 1), int)
    D[:, 0] = np.arange(n + 1)
    D[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            D[i, j] = min(D[i - 1, j] + 1, D[i, j - 1] + 1, D[i - 1, j - 1] + (true[i - 1] != pred[j - 1]))
    pairs, i, j = [], n, m
    while i or j:
        if i and j and D[i, j] == D[i - 1, j - 1] + (true[i - 1] != pred[j - 1]):
            pairs.append((true[i - 1], pred[j - 1])); i -= 1; j -= 1
        elif i and D[i, j] == D[i - 1, j] + 1:
            pairs.append((true[i - 1], -1)); i -= 1
        else:
            pairs.append((-1, pred[j - 1])); j -= 1
    return pairs[::-1]


def score(truths: Sequence[str], reads: Sequence[Read], order: str = "left_to_right") -> dict:
    """Exact string, per digit (the digit at its position right; missing / extra = wrong, as in
    training), exact on 4-digit strings, refusals, and the digit confusion ``(11, 11)`` (rows =
    true digit, columns = digit read; index 10 = none: a digit missed / an extra digit) from a
    Levenshtein alignment of truth and reading (a refused picture: all its digits missed)."""
    exact = correct = total = 0
    n4 = exact4 = refused = 0
    conf = np.zeros((11, 11), np.int64)
    for text, r in zip(truths, reads):
        want = truth_in_order(text, order)
        t = [int(c) for c in want.split()]
        p = [] if r.caption is None else [int(c) for c in r.caption.split() if c.isdigit()]
        ok = r.caption == want
        exact += ok
        total += len(t)
        correct += sum(a == b for a, b in zip(t, p))
        if len(t) == 4:
            n4 += 1
            exact4 += ok
        refused += r.caption is None
        for a, b in _align(t, p):
            conf[10 if a < 0 else a, 10 if b < 0 else b] += 1
    n = len(truths)
    return {"n": n, "exact": exact / max(n, 1), "per_digit": correct / max(total, 1),
            "n_4_digits": n4, "exact_4_digits": (exact4 / n4) if n4 else None,
            "refused": refused / max(n, 1), "confusion": conf.tolist()}


def worst_pair(confusion) -> tuple[int, int, int, int]:
    """The two digits most often read as each other: ``(a, b, a read as b, b read as a)``."""
    c = np.asarray(confusion)[:10, :10]
    s = c + c.T
    np.fill_diagonal(s, -1)
    a, b = np.unravel_index(int(np.argmax(s)), s.shape)
    a, b = (int(a), int(b)) if a < b else (int(b), int(a))
    return a, b, int(c[a, b]), int(c[b, a])


def unsure_quality(truths: Sequence[str], reads: Sequence[Read], threshold: float,
                   order: str = "left_to_right") -> dict:
    """How useful the "unsure" flag is: a string is flagged when some digit's probability is
    below ``threshold`` (refused pictures are left out).  Precision = wrong strings among the
    flagged; recall = flagged among the wrong strings."""
    flagged = wrong = both = 0
    for text, r in zip(truths, reads):
        if r.caption is None:
            continue
        f = bool(len(r.confidence) and r.confidence.min() < threshold) or r.caption.endswith("…")
        w = r.caption != truth_in_order(text, order)
        flagged += f
        wrong += w
        both += f and w
    return {"threshold": threshold, "flagged": flagged, "wrong": wrong, "flagged_and_wrong": both,
            "precision": both / flagged if flagged else None, "recall": both / wrong if wrong else None}


MISS_TILE = (288, 118)           # (W, H) of one tile of a miss sheet: a label, the input at 3x


def miss_sheet(truths: Sequence[str], reads: Sequence[Read], inputs, path, order: str = "left_to_right",
               columns: int = 4, limit: int = 80) -> int:
    """Write a PNG of the strings read wrong (first ``limit``): per string its index, the truth
    and the reading (``refused: <reason>`` for a refused picture) above the model input at 3x
    (ink dark), ``columns`` tiles a row.  ``inputs`` = :func:`prepare`'s ``(inputs, reasons)``.
    Returns how many strings were read wrong (all of them, also those past ``limit``)."""
    from PIL import Image, ImageDraw
    xs, why = inputs
    wrong = [i for i, (t, r) in enumerate(zip(truths, reads)) if r.caption != truth_in_order(t, order)]
    shown = wrong[:limit]
    tw, th = MISS_TILE
    rows = max(1, -(-len(shown) // columns))
    sheet = Image.new("RGB", (columns * tw, rows * th), (128, 128, 128))
    for k, i in enumerate(shown):
        tile = Image.new("RGB", (tw - 4, th - 4), "white")
        said = f"refused: {why[i]}" if reads[i].caption is None else reads[i].caption
        ImageDraw.Draw(tile).text((2, 2), f"{i}: {truth_in_order(truths[i], order)} -> {said}"[:46], fill=(200, 0, 0))
        if xs[i] is not None:
            x = np.clip(np.asarray(xs[i], np.float32), 0, 1)
            im = Image.fromarray((255 - 255 * x).astype(np.uint8)).resize((3 * x.shape[1], 3 * x.shape[0]),
                                                                        Image.Resampling.NEAREST)
            tile.paste(im.convert("RGB"), (0, 18))
        sheet.paste(tile, ((k % columns) * tw + 2, (k // columns) * th + 2))
    sheet.save(path)
    return len(wrong)


@lru_cache(maxsize=2)
def _pen_strings(n: int, seed: int, length: int):
    """``n`` validation strings of pen strokes from the training generator (page preprocessing;
    no MNIST needed): ``(images (n, 1, H, W), digits (n, length), spans (n, length, 2))``."""
    from training import digits as D
    out, k = [], 0
    while len(out) < n:
        rng = np.random.default_rng([seed, k])
        k += 1
        ex = D.example(rng, D.Recipe(), "val", text="".join(str(int(d)) for d in rng.integers(0, 10, length)),
                       source="pen")
        if ex is not None:
            out.append(ex)
    return (torch.from_numpy(np.stack([e.image for e in out]))[:, None],
            np.stack([e.digits for e in out]), np.stack([e.spans for e in out]))


#: The strings :func:`points_at_digit` reads, and what its numbers mean (stored in the cards).
POINTS_ARGS = {"n": 200, "seed": 777, "length": 4}
POINTS_WHAT = ("200 validation strings of 4 pen-stroke digits (training generator, validation seeds, "
               "the page's preprocessing); of the strings read right, per output step: how often "
               "the cell with the largest weight lies in the columns of the digit being emitted "
               "(argmax), and the mean weight on those columns (mass)")


def points_at_digit(model, order: str = "left_to_right", n: int = POINTS_ARGS["n"],
                    seed: int = POINTS_ARGS["seed"], length: int = POINTS_ARGS["length"]) -> dict:
    """Does the map point at the digit being read?  On ``n`` validation strings of ``length``
    pen-stroke digits (canvas, photo or scan, through the page's preprocessing), for every string
    the model reads right, per output step t: whether the cell with the largest weight lies in
    the grid columns of the digit emitted at t (``training.caption.lesson_truth``: the digit's
    ink span in the model input, all rows), and the weight on those columns.

    Returns ``{"argmax": (length,) rate per step, "mass": (length,) mean weight per step,
    "read": strings read right}``; the rates are over the strings read right."""
    from attention.models.captioner import in_order
    from training.caption import lesson_truth
    images, digits, spans = _pen_strings(n, seed, length)
    with torch.no_grad():
        d = model.decode(images)
    W = d.weights.numpy()                                               # (n, T, N)
    hit, mass, read = np.zeros(length), np.zeros(length), 0
    for b in range(len(digits)):
        if d.tokens[b, : int(d.lengths[b])].tolist() != in_order(digits[b], order).tolist():
            continue
        read += 1
        _, truth = lesson_truth(digits[b], spans[b], order, grid=tuple(model.cfg.grid))
        for t in range(length):
            hit[t] += truth[t][W[b, t].argmax()]
            mass[t] += W[b, t][truth[t]].sum()
    return {"argmax": hit / max(read, 1), "mass": mass / max(read, 1), "read": read}
