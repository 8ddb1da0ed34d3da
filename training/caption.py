"""Train the digit-string captioners (Show, Attend and Tell), one per attention type.

    python -m training caption --variant all --order all   # soft, hard, local; both caption orders
    python -m training caption --variant soft               # one model, left to right
    python -m training caption --test-images                # only the page's test images
    python -m training caption --data-only                  # only build (and cache) the data

Data (``training/digits.py``): strings of MNIST digits of one writer group (the first 5,000 of
the MNIST test set, read from ``../shared/data/mnist``; the other group is never read here),
scikit-learn's digits and procedural pen strokes, drawn on the page's canvas or on simulated
photos of paper and turned into model inputs by the page's own preprocessing.  The pool is
built once (about 55 ms of CPU a string: photos ~150 ms, canvas ~27 ms), cached under
``~/.cache/attention-explorer`` and shared by every variant and order; its build time is
reported apart from each model's training time.  Without MNIST the command says where to put
it and exits with status 1.

Deterministic by seed (batch ``i`` = pool rows drawn by ``default_rng([seed, i])``, torch
seeded, one thread by default), CPU, a tqdm bar with the loss.  Writes
``weights/caption/<variant>.safetensors`` (``weights/caption/largest_first/...`` for the
largest-first captions), a JSON card (data recipe, seed, steps, wall and CPU time, validation
accuracy, calibration) and a replay (``<variant>.replay.safetensors``: the maps of 3 lesson
strings at ~40 steps of training, with the loss and the validation accuracy).

Losses
  * soft / local: cross-entropy of the next token (teacher forcing), mean over tokens.
  * hard (Xu et al. 2015, sec. 4.1): the cross-entropy with the sampled contexts, plus
    REINFORCE on the sampled cells: ``- lambda_r (R_t - b_t) log p(s_t)`` with the reward-to-go
    ``R_t = sum_{t' >= t} log p(y_t' | s_<=t')`` (the cell read at step t changes every later
    step through the decoder state; the paper rewards the whole caption's log-likelihood) and
    a moving-average baseline ``b_t <- 0.9 b_t + 0.1 mean(R_t)`` per step; minus ``lambda_e``
    times the entropy of alpha_t.  As in the paper, half of the images (chosen by seed) use the
    expected context ``sum_i alpha_i a_i`` instead of the sampled cell; before that, the first
    25 % of training uses the expected context for every image (a soft warm-up), and from 60 %
    to 85 % the share falls linearly to 0, so the last 15 % of training (and the test) uses
    sampled / arg-max cells only.
  No doubly-stochastic regularizer (see :mod:`attention.models.captioner`).

Weight average (``--ema D``, :class:`WeightAverage`; no shipped model uses it now, see
``DEFAULTS``): a moving average of the weights (decay D, e.g. 0.999: about the last 1,000 steps)
ships instead of the last step's weights, with its BatchNorm statistics measured again; the card
keeps the validation of both (``validation`` and ``validation_last_step_weights``) and the
replay's last frame is the average.

Calibration: after training, the softmax temperature T is fitted on the validation strings
(teacher-forced negative log-likelihood), and the "unsure" threshold tau on the calibrated
probability of a digit is the one that best separates wrong from right readings of the
validation strings (F1 of "some digit below tau" as a detector of a wrong string).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from attention.models import replay as R
from attention.models.captioner import (END, ORDERS, TEST_IMAGES, VARIANTS, CaptionConfig, Captioner,
                                        card_path, config_dict, targets_from, weights_dir)
from training import common, digits as digit_data


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 6000
    batch: int = 64
    lr: float = 3e-3
    lr_final: float = 1e-4
    warmup: int = 50
    clip: float = 5.0
    weight_decay: float = 0.0
    lambda_r: float = 1.0          # hard: REINFORCE weight
    lambda_e: float = 0.01         # hard: entropy bonus
    baseline_decay: float = 0.9    # hard: b <- decay b + (1 - decay) mean(R)
    expected_share: float = 0.5    # hard: share of images using the expected context (Xu et al.)
    soft_warmup: float = 0.25      # hard: first share of training with the expected context only
    seed: int = 0
    order: str = "left_to_right"   # caption order (attention.models.captioner.ORDERS)
    threads: int = 1
    pool: int = 30000              # training strings in the (cached) pool
    pool_seed: int = 0
    val: int = 3000                # validation strings (validation sources, another seed)
    val_seed: int = 1
    replay_val: int = 256          # validation strings scored at each replay snapshot
    ema: Optional[float] = None    # decay of a moving average of the weights, which then ships
                                   # (None: the last step's weights ship); see :class:`WeightAverage`


#: Settings used for the shipped weights (the CLI defaults), by ``(order, variant)``; a model
#: not listed trains with ``TrainConfig()``.  Soft and local 2-D left to right: of five (soft)
#: and three (local) seeds, the best on the validation strings whose map points at the digit
#: being read (README).  Soft trains on a pool of 60,000 strings: the last step's weights read
#: 81.6-86.0% of the validation strings with 30,000 and 83.7-86.9% with 60,000 (five seeds
#: each).  At 60,000 the moving average of the weights read 0.30-0.43 points fewer
#: validation strings than the last step's weights in each of five seeds (at 30,000, 0.23-0.40
#: more), so soft ships the last step's weights again.  Soft trains for 9,000 steps: on the
#: pool of today's pictures, 6,000 steps read 85.00-87.10% of the validation strings and 9,000
#: read 86.30-88.17% (five seeds each; every seed gained 0.80-1.30 points).  Soft's pool then
#: grew to 90,000 strings (the 60,000 and 30,000 more of the same generator): four seeds read
#: 86.53-89.07%, and seed 3's 89.07% beat the 60,000 pool's best (README).  Soft then trained
#: for 12,000 steps on the same pool: the four seeds read 87.50-89.27% (each 0.03-0.97 points
#: more than at 9,000), and seed 3's 89.27% beat its own 9,000-step weights (README).
DEFAULTS: dict[tuple[str, str], TrainConfig] = {
    ("left_to_right", "soft"): TrainConfig(seed=3, pool=90000, steps=12000),
    ("left_to_right", "local_p_2d"): TrainConfig(seed=2),
}


def defaults(variant: str, order: str = "left_to_right") -> TrainConfig:
    """The settings of the shipped model ``variant`` in caption ``order``."""
    return replace(DEFAULTS.get((order, variant), TrainConfig()), order=order)


# ------------------------------------------------------------------ data
def data(tc: TrainConfig, workers: int = 1, progress: bool = True) -> tuple[dict, dict]:
    """The training and validation pools (built once, cached; see :func:`training.digits.pool`)."""
    val = digit_data.pool(tc.val, tc.val_seed, "val", workers=workers, progress=progress)
    train = digit_data.pool(tc.pool, tc.pool_seed, "train", workers=workers, progress=progress)
    return train, val


# ------------------------------------------------------------------ evaluation
def readings(model: Captioner, images: torch.Tensor, batch: int = 500):
    """Greedy decoding of ``images (n, 1, H, W)`` in batches: ``(tokens (n, T), lengths (n,),
    finished (n,), confidence (n, T))`` (T = max_steps, -1 / 0 past the end)."""
    T = model.cfg.max_steps
    n = len(images)
    toks = torch.full((n, T), -1, dtype=torch.long)
    conf = torch.zeros(n, T)
    lengths = torch.zeros(n, dtype=torch.long)
    fin = torch.zeros(n, dtype=torch.bool)
    for s in range(0, n, batch):
        d = model.decode(images[s:s + batch])
        k = d.tokens.shape[1]
        toks[s:s + batch, :k] = d.tokens
        conf[s:s + batch, :k] = d.confidence
        lengths[s:s + batch], fin[s:s + batch] = d.lengths, d.finished
    return toks, lengths, fin, conf


def accuracy(model: Captioner, images: torch.Tensor, digits: torch.Tensor, lengths: torch.Tensor,
             batch: int = 500) -> dict:
    """Exact-string and per-digit accuracy of greedy decoding.

    Per digit: the share of true digits read correctly at their position
    (``pred[i] == true[i]``; a missing or extra digit counts as wrong for that position),
    ``sum_b #correct_b / sum_b len_b``.  Also ``right (n,)`` bool per string.
    """
    toks, ln, fin, _ = readings(model, images, batch)
    L = digits.shape[1]
    T = toks.shape[1]
    pred = torch.full((len(images), max(L, T)), -1, dtype=torch.long)
    pred[:, :T] = torch.where(toks == END, -1, toks)
    true = torch.full_like(pred, -1)
    true[:, :L] = digits
    right = (ln == lengths) & fin & ((pred == true) | (true < 0)).all(1)
    correct = int(((pred == true) & (true >= 0)).sum())
    return {"exact": float(right.float().mean()), "per_digit": correct / int(lengths.sum()),
            "n": len(images), "right": right}


def evaluate(model: Captioner, val: dict, order: str) -> dict:
    """Accuracy on the validation pool (all lengths, and its 4-digit strings)."""
    x, d, l = digit_data.batch(val, np.arange(len(val["lengths"])), order)
    a = accuracy(model, x, d, l)
    four = (l == 4).numpy()
    a4 = accuracy(model, x[four], d[four], l[four])
    return {"exact": a["exact"], "per_digit": a["per_digit"], "n_val": a["n"],
            "exact_4_digits": a4["exact"], "per_digit_4_digits": a4["per_digit"], "n_val_4_digits": a4["n"],
            "what": "validation strings from the training generator: MNIST validation images of the "
                    "training writer group (every 10th), scikit-learn validation images, pen strokes "
                    "with another seed; NOT an independent evaluation (see 'eval')"}


def calibrate(model: Captioner, val: dict, order: str) -> dict:
    """Fit the temperature T on the validation strings (teacher-forced NLL, a 1-D search) and the
    "unsure" threshold tau (best F1 of "some digit's calibrated probability < tau" as a detector
    of a wrong reading); sets ``model.temperature``.  Returns T, tau, NLL before / after and the
    flag's precision and recall on the validation strings."""
    x, d, l = digit_data.batch(val, np.arange(len(val["lengths"])), order)
    tgt = targets_from(d, l, model.cfg.max_steps)
    with torch.no_grad():
        model.eval()
        logits = torch.cat([model(x[s:s + 500], tgt[s:s + 500])["logits"] for s in range(0, len(x), 500)])
    valid = tgt >= 0
    z, y = logits[valid], tgt[valid]

    def nll(T: float) -> float:
        return float(F.cross_entropy(z / T, y))

    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 61))
    T = float(grid[int(np.argmin([nll(t) for t in grid]))])
    for step in (0.02, 0.005):                                       # refine around the best
        cand = T * np.exp(np.arange(-10, 11) * step)
        T = float(cand[int(np.argmin([nll(t) for t in cand]))])
    model.temperature.fill_(T)
    toks, ln, fin, conf = readings(model, x)
    a = accuracy(model, x, d, l)
    wrong = ~a["right"]
    mask = torch.arange(conf.shape[1])[None] < ln[:, None]
    low = torch.where(mask, conf, torch.ones_like(conf)).min(1).values            # (n,)
    low = torch.where(fin, low, torch.zeros_like(low))                            # unfinished: unsure
    best = (0.0, 0.5, 0, 0)
    for tau in np.round(np.arange(0.3, 0.995, 0.01), 2):
        flag = low < tau
        tp = int((flag & wrong).sum())
        prec = tp / max(1, int(flag.sum()))
        rec = tp / max(1, int(wrong.sum()))
        f1 = 2 * prec * rec / max(prec + rec, 1e-9)
        if f1 > best[0]:
            best = (f1, float(tau), prec, rec)
    return {"temperature": round(T, 4), "nll_T1": round(nll(1.0), 4), "nll": round(nll(T), 4),
            "threshold": best[1], "val_precision": round(best[2], 4), "val_recall": round(best[3], 4),
            "val_wrong": int(wrong.sum()), "n_val": len(x),
            "how": "T minimises the teacher-forced NLL of the validation strings; a reading is "
                   "'unsure' when a digit's calibrated probability is below the threshold (chosen "
                   "for the best F1 at flagging wrong validation readings)"}


# ------------------------------------------------------------------ training
def lr_at(step: int, tc: TrainConfig) -> float:
    """Linear warm-up, then cosine decay from ``lr`` to ``lr_final``."""
    if step < tc.warmup:
        return tc.lr * (step + 1) / tc.warmup
    t = (step - tc.warmup) / max(1, tc.steps - tc.warmup)
    return tc.lr_final + 0.5 * (tc.lr - tc.lr_final) * (1 + math.cos(math.pi * t))


def expected_share(step: int, tc: TrainConfig) -> float:
    """Hard: the share of images whose context is the expected one (Xu et al.'s 0.5), by step:
    all of them for the first ``soft_warmup`` of training (the decoder first learns to read
    what alpha points at), then ``expected_share`` until 60 %, falling linearly to 0 at 85 %;
    the last 15 % of training sees sampled cells only."""
    f = step / max(1, tc.steps)
    if f < tc.soft_warmup:
        return 1.0
    return tc.expected_share * min(1.0, max(0.0, (0.85 - f) / 0.25))


def reward_to_go(r: torch.Tensor) -> torch.Tensor:
    """``R_t = sum_{t' >= t} r_t'`` along the last axis: ``(B, T) -> (B, T)``."""
    return r.flip(-1).cumsum(-1).flip(-1)


def loss_on(model: Captioner, images, digits, lengths, step: int, tc: TrainConfig,
            baseline: Optional[torch.Tensor]) -> tuple[torch.Tensor, dict]:
    """The training loss of one batch (see the module docstring) and logged numbers."""
    T = model.cfg.max_steps
    tgt = targets_from(digits, lengths, T)                           # (B, T)
    hard = VARIANTS[model.cfg.variant].hard
    expected = None
    if hard:
        share = expected_share(step, tc)
        g = torch.Generator().manual_seed(tc.seed * 1_000_003 + step)
        expected = torch.rand(images.shape[0], generator=g) < share
    out = model(images, tgt, sample_seed=step if hard else None, expected=expected)
    valid = tgt >= 0                                                 # (B, T)
    nll = F.cross_entropy(out["logits"].transpose(1, 2), tgt.clamp_min(0), reduction="none")  # (B, T)
    nll = nll * valid
    ce = nll.sum() / valid.sum()
    log = {"ce": float(ce)}
    if not hard:
        return ce, log
    R_t = reward_to_go(-nll.detach())                                # (B, T) reward-to-go
    sampled = valid & ~expected[:, None]                             # (B, T)
    mean_r = (R_t * sampled).sum(0) / sampled.sum(0).clamp_min(1)    # (T,) baseline target
    if step == 0 and baseline is not None:
        baseline.copy_(mean_r)                                       # start the average at the first batch
    b = baseline if baseline is not None else mean_r
    adv = (R_t - b) * sampled                                        # (B, T) sampled images only
    reinforce = -(adv * out["logp"]).sum() / valid.sum()
    entropy = (out["entropy"] * valid).sum() / valid.sum()
    if baseline is not None:
        with torch.no_grad():
            seen = sampled.any(0)                                    # (T,) steps with a sample
            baseline[seen] = tc.baseline_decay * baseline[seen] + (1 - tc.baseline_decay) * mean_r[seen]
    log.update(entropy=float(entropy))
    return ce + tc.lambda_r * reinforce - tc.lambda_e * entropy, log


# ------------------------------------------------------------------ replay lessons
#: The 3 lesson strings of every replay: (name, what it teaches, text, surface, recipe changes, seed)
LESSONS = (
    ("repeated", "a repeated digit: 7 7 1 7 drawn on the canvas", "7717", "canvas", {}, 11),
    ("long", "a long string: 6 digits on a photo of paper", "402816", "photo", {}, 12),
    ("touching", "touching digits on the canvas", "3859", "canvas", {"touching": 1.0, "wide_gap": 0.0}, 13),
)


def lesson_inputs(grid=(4, 12)) -> list[dict]:
    """The lesson strings as model inputs with their digit spans (model columns): ``[{"name",
    "text", "image" (H, W), "digits" (L,), "spans" (L, 2)}]`` (pen strokes, validation seeds)."""
    out = []
    for name, what, text, surface, change, seed in LESSONS:
        r = replace(digit_data.Recipe(), **change)
        k = 0
        while True:
            ex = digit_data.example(np.random.default_rng([seed, k]), r, "val", text=text, surface=surface,
                                    source="pen")
            if ex is not None:
                break
            k += 1
        out.append({"name": name, "text": what, "image": ex.image, "digits": ex.digits, "spans": ex.spans})
    return out


def lesson_truth(digits: np.ndarray, spans: np.ndarray, order: str, grid=(4, 12),
                 width: int = digit_data.IMG_W) -> tuple[tuple[str, ...], np.ndarray]:
    """Target labels and ``truth (L, h*w)`` bool of a lesson: output step t should look at the
    grid columns that hold the digit it emits (its span in model columns, mapped to grid columns;
    all rows).  Largest first: every position holding that digit's value."""
    gh, gw = grid
    cw = width / gw                                                   # model columns per grid column
    order_digits = sorted(digits.tolist(), reverse=True) if order == "largest_first" else digits.tolist()
    truth = np.zeros((len(digits), gh * gw), bool)
    for t, v in enumerate(order_digits):
        for j in np.flatnonzero(digits == v) if order == "largest_first" else [t]:
            s0, s1 = spans[j]
            cols = [c for c in range(gw) if c * cw < s1 and (c + 1) * cw > s0]
            for c in cols:
                truth[t, c::gw] = True
    return tuple(str(v) for v in order_digits), truth


class Recorder:
    """Replay snapshots during training (:mod:`attention.models.replay`): the free-running greedy
    maps of the lesson strings, what was written, the loss and the validation exact match."""

    def __init__(self, model: Captioner, tc: TrainConfig, val: dict):
        self.steps = set(R.snapshot_steps(tc.steps))
        self.lessons = lesson_inputs(model.cfg.grid)
        self.x = torch.from_numpy(np.stack([l["image"] for l in self.lessons]).astype(np.float32))[:, None]
        n = min(tc.replay_val, len(val["lengths"]))
        self.val = digit_data.batch(val, np.arange(n), tc.order)
        self.order = tc.order
        self.ema = tc.ema
        self.rec = {"steps": [], "loss": [], "accuracy": [], "maps": [], "outputs": []}
        self.seconds = 0.0

    def __call__(self, model: Captioner, step: int, losses: list) -> None:
        if step not in self.steps:
            return
        c0 = time.process_time()
        d = model.decode(self.x)
        T = model.cfg.max_steps
        maps = torch.zeros(len(self.x), T, d.weights.shape[-1])
        for b in range(len(self.x)):
            n = min(T, int(d.lengths[b]) + (1 if bool(d.finished[b]) else 0))
            maps[b, :n] = d.weights[b, :n]
        self.rec["maps"].append(maps.numpy())
        self.rec["outputs"].append([tuple(d.caption(b).split()) for b in range(len(self.x))])
        self.rec["steps"].append(step)
        self.rec["loss"].append(float(np.mean(losses[-20:])) if losses else float("nan"))
        self.rec["accuracy"].append(accuracy(model, *self.val)["exact"])
        model.train()
        self.seconds += time.process_time() - c0

    def save(self, stem: Path, variant: str, grid) -> Path:
        gh, gw = grid
        keys = tuple(f"r{k // gw}c{k % gw}" for k in range(gh * gw))
        lessons = []
        for i, l in enumerate(self.lessons):
            target, truth = lesson_truth(l["digits"], l["spans"], self.order, grid)
            lessons.append(R.Lesson(name=l["name"], text=l["text"], keys=keys, target=target, truth=truth,
                                    maps=np.stack([m[i] for m in self.rec["maps"]]),
                                    outputs=tuple(o[i] for o in self.rec["outputs"]), grid=(gh, gw),
                                    image=l["image"]))
        return R.save(stem, "caption", variant, self.rec["steps"], self.rec["loss"], self.rec["accuracy"],
                      lessons, meta={"order": self.order, "accuracy": "exact match on the first "
                                     f"{len(self.val[2])} validation strings",
                                     "truth": "the grid columns holding the digit emitted at each step",
                                     "record_cpu_seconds": round(self.seconds, 2),
                                     **({"last_frame": f"the last frame is the model that ships: a moving "
                                         f"average of the weights (decay {self.ema}, about the last "
                                         f"{round(1 / (1 - self.ema)):,} steps); the others are the weights "
                                         "at that step"} if self.ema else {})})


def lesson_images() -> np.ndarray:
    """The replay lessons' model inputs ``(3, H, W)`` (for tests)."""
    return np.stack([l["image"] for l in lesson_inputs()])


# ------------------------------------------------------------------ training
class WeightAverage:
    """An exponential moving average of a model's parameters (Polyak averaging): after the first
    optimizer step ``s = p``, after each later one ``s <- decay * s + (1 - decay) * p``.  With
    decay 0.999 the average spans about the last 1,000 steps.  :meth:`apply` puts it into the
    model and re-estimates the BatchNorm statistics for the averaged weights (as
    ``torch.optim.swa_utils.update_bn`` does): a cumulative mean over ``batches`` training
    batches drawn by ``default_rng([seed, 10**6 + i])``."""

    def __init__(self, model: Captioner, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"ema must be in (0, 1); got {decay}")
        self.decay = decay
        self.model = model
        self.params = list(model.parameters())
        self.shadow: Optional[list[torch.Tensor]] = None

    @torch.no_grad()
    def update(self) -> None:
        """Call after every optimizer step."""
        if self.shadow is None:
            self.shadow = [p.detach().clone() for p in self.params]
            return
        for s, p in zip(self.shadow, self.params):
            s.mul_(self.decay).add_(p.detach(), alpha=1 - self.decay)

    @torch.no_grad()
    def apply(self, pool: dict, seed: int, batch: int, batches: int = 60) -> None:
        """Load the average into the model and refresh its BatchNorm statistics."""
        model = self.model
        for s, p in zip(self.shadow or [], self.params):
            p.copy_(s)
        bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        momenta = [m.momentum for m in bns]
        for m in bns:
            m.reset_running_stats()
            m.momentum = None                                   # a cumulative mean
        model.train()
        n = len(pool["lengths"])
        for i in range(batches):
            idx = np.random.default_rng([seed, 10 ** 6 + i]).integers(0, n, batch)
            model.encode(digit_data.batch(pool, idx)[0])
        for m, mo in zip(bns, momenta):
            m.momentum = mo
        model.eval()


def train(variant: str, tc: Optional[TrainConfig] = None, *, out_dir: Optional[Path] = None,
          progress: bool = True, do_eval: bool = True, save: bool = True,
          pools: Optional[tuple[dict, dict]] = None, record: bool = True) -> tuple[Captioner, dict]:
    """Train one variant; returns ``(model, card)`` and, with ``save``, writes the weights, the
    card and the replay to ``out_dir`` (default: ``attention.models.captioner.weights_dir(tc.order)``).
    ``pools`` = ``(train, val)`` (default :func:`data`)."""
    tc = tc or defaults(variant)
    threads = common.set_threads(tc.threads)
    train_pool, val = pools if pools is not None else data(tc, progress=progress)
    torch.manual_seed(tc.seed)
    cfg = CaptionConfig(variant=variant, gate=bool(VARIANTS[variant].get("gate", False)))
    model = Captioner(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    baseline = torch.zeros(cfg.max_steps) if VARIANTS[variant].hard else None
    recorder = Recorder(model, tc, val) if record else None
    average = WeightAverage(model, tc.ema) if tc.ema is not None else None
    losses = []
    N = len(train_pool["lengths"])
    t0, c0, load0 = time.perf_counter(), time.process_time(), os.getloadavg()[0]
    bar = common.progress(tc.steps, f"caption/{tc.order}/{variant}") if progress else None
    # attend's finiteness check calls float() on the (grad-carrying) query: harmless warning
    warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad")
    model.train()
    for step in range(tc.steps):
        if recorder is not None:
            recorder(model, step, losses)
        for g in opt.param_groups:
            g["lr"] = lr_at(step, tc)
        idx = np.random.default_rng([tc.seed, step]).integers(0, N, tc.batch)
        images, digits, lengths = digit_data.batch(train_pool, idx, tc.order)
        loss, log = loss_on(model, images, digits, lengths, step, tc, baseline)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.clip)
        opt.step()
        if average is not None:
            average.update()
        losses.append(log["ce"])
        if bar is not None:
            bar.update()
            if step % 10 == 0:
                bar.set_postfix({k: f"{v:.3f}" for k, v in log.items()})
    last_iterate = None
    if average is not None:
        if do_eval:
            last_iterate = evaluate(model, val, tc.order)
        average.apply(train_pool, tc.seed, tc.batch)
    if recorder is not None:
        recorder(model, tc.steps, losses)                # the last frame: the weights that ship
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if bar is not None:
        bar.close()
    model.eval()
    card = make_card(variant, model, cfg, tc, threads, losses, train_pool,
                     timing={"wall_seconds": round(wall, 1),
                             # CPU seconds of this process: the wall time on an otherwise idle core
                             "cpu_seconds": round(cpu, 1),
                             "replay_cpu_seconds": round(recorder.seconds, 1) if recorder else 0.0,
                             "load_average": [round(load0, 2), round(os.getloadavg()[0], 2)]})
    if do_eval:
        card["calibration"] = calibrate(model, val, tc.order)
        card["validation"] = evaluate(model, val, tc.order)
        if last_iterate is not None:
            card["validation_last_step_weights"] = last_iterate
    if save:
        d = out_dir if out_dir is not None else weights_dir(tc.order)
        save_model(model, card, d)
        if recorder is not None:
            recorder.save(Path(d) / variant, variant, cfg.grid)
    return model, card


def make_card(variant: str, model: Captioner, cfg: CaptionConfig, tc: TrainConfig, threads: int,
              losses: list, train_pool: dict, timing: dict) -> dict:
    """The JSON card of a trained model (before calibration and validation): what it is, its
    data, seed, steps and ``timing`` (wall / CPU seconds, load average)."""
    r = digit_data.Recipe()
    var = VARIANTS[variant]
    return {
        "task": {"left_to_right": "read a handwritten digit string (3-6 digits) left to right",
                 "largest_first": "list the digits of a handwritten digit string (3-6 digits) from "
                                  "the largest to the smallest"}[tc.order],
        "order": tc.order,
        "variant": variant,
        "model": "CNN encoder (4x12 cell grid) + a learned position embedding per cell + GRU decoder "
                 "attending through attention.attend (additive score); Show, Attend and Tell (Xu et al. 2015)",
        "attention": var.description + (
            " REINFORCE with the reward-to-go (the log-likelihood of this and every later digit), a "
            "moving-average baseline per step and an entropy bonus; expected context for all images "
            "in the first 25% of steps, for half of them until 60%, none after 85%, as in Xu et al.'s "
            "variance reduction." if var.hard else "")
            + (f" D={cfg.window}." if var.windowed else ""),
        "gate_beta": bool(cfg.gate),
        "position_embedding": "a learned vector per grid cell, added to the CNN features",
        "paper": var.paper,
        "doubly_stochastic_regularizer": False,
        "config": config_dict(cfg),
        "params": common.param_count(model),
        "data": {"sources": {
                     "mnist": "MNIST test set (LeCun, Cortes, Burges; CC BY-SA 3.0), first 5,000 images only "
                              "(NIST SD-3, Census Bureau employees); the last 5,000 (SD-1, students) are held "
                              "out for evaluation and never read by training; every 10th image of the first "
                              "5,000 is kept for validation",
                     "sklearn": "sklearn.datasets.load_digits (1,797 8x8 images, 13 writers); every 10th for "
                                "validation",
                     "pen": "procedural pen strokes (training/pen.py), several styles per digit"},
                 "surfaces": "the page's 440x150 canvas, simulated phone photos of paper, scans; every "
                             "string passed through attention.models.digits.preprocess (check_input refusals "
                             "redrawn)",
                 "recipe": r.to_dict(),
                 "pool": {"strings": int(len(train_pool["lengths"])), "seed": tc.pool_seed,
                          "refused_redrawn": int(train_pool["refused"]),
                          "build_cpu_seconds": float(train_pool.get("build_cpu_seconds", np.nan)),
                          "build_wall_seconds": float(train_pool.get("build_wall_seconds", np.nan)),
                          "data_version": digit_data.DATA_VERSION},
                 "train_strings_drawn": tc.steps * tc.batch},
        "training": {**asdict(tc), **timing,
                     "environment": common.environment(threads),
                     "final_ce": float(np.mean(losses[-50:])),
                     "first_ce": float(np.mean(losses[:10]))},
        "command": command(variant, tc),
    }


def command(variant: str, tc: TrainConfig) -> str:
    """The command that retrains this model: the steps, seed, weight average and pool size are
    named when they are not the variant's defaults."""
    base = defaults(variant, tc.order)
    extra = "".join(f" --{k} {0 if getattr(tc, k) is None else getattr(tc, k)}"    # --ema 0: none
                    for k in CLI_SETTINGS if getattr(tc, k) != getattr(base, k))
    return f"python -m training caption --variant {variant} --order {tc.order}{extra}"


def save_model(model: Captioner, card: dict, out_dir: Optional[Path] = None) -> tuple[Path, Path]:
    """Write ``<variant>.safetensors`` and ``<variant>.json`` (``training.common.save``) into
    ``out_dir`` (default: the left-to-right models' folder)."""
    wpath, _ = card_path(model.cfg.variant, out_dir)
    paths = common.save(wpath.with_suffix(""), model.state_dict(), card)
    for p in paths:
        os.chmod(p, 0o644)          # readable by the app's user (safetensors writes 0600)
    return paths


def export_test_images(n: int = 100, seed: int = 2024, path: Optional[Path] = None) -> Path:
    """Write the test images the page offers (``attention.models.captioner.TEST_IMAGES``): ``n``
    strings drawn like the training data but only from validation sources (MNIST validation
    images of the training writer group, scikit-learn validation images, pen strokes with this
    seed), never trained on: model inputs as uint8 ``(n, 32, 96)`` (ink = 255), the digits as
    written ``(n, 6)`` (-1 padding), and per string what it is (``kind``) and whether it holds
    MNIST digits (``mnist``, for the attribution)."""
    imgs = np.zeros((n, digit_data.IMG_H, digit_data.IMG_W), np.uint8)
    written = np.full((n, digit_data.MAX_DIGITS), -1, dtype=np.int8)
    kinds, mn = [], np.zeros(n, bool)
    i = k = 0
    while i < n:
        rng = np.random.default_rng([seed, k])
        k += 1
        ex = digit_data.example(rng, split="val")
        if ex is None:
            continue
        imgs[i] = np.clip(np.round(ex.image * 255), 0, 255).astype(np.uint8)
        written[i, :len(ex.digits)] = ex.digits
        src = {"mnist": "MNIST digits", "pen": "pen strokes", "sklearn": "scikit-learn digits",
               "mixed": "mixed digits"}[ex.source]
        kinds.append(f"{src} on {'the canvas' if ex.surface == 'canvas' else 'a ' + ex.surface}")
        mn[i] = bool((ex.mnist >= 0).any())
        i += 1
    path = Path(path) if path is not None else TEST_IMAGES
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, images=imgs, digits=written, kind=np.array(kinds), mnist=mn,
                        source=np.array(f"training.caption.export_test_images(n={n}, seed={seed}): "
                                        "validation sources only, through the page's preprocessing"))
    os.chmod(path, 0o644)
    return path


#: The settings a command line can name (``--steps`` ...), besides ``--threads``.
CLI_SETTINGS = ("steps", "seed", "ema", "pool")


def config_from(a: argparse.Namespace, variant: str, order: str) -> TrainConfig:
    """The settings of one model from the command line ``a``: the model's defaults with what the
    command names (``--ema 0``: the last step's weights ship)."""
    over = {k: getattr(a, k) for k in CLI_SETTINGS + ("threads",) if getattr(a, k) is not None}
    if over.get("ema") == 0:
        over["ema"] = None
    return TrainConfig(**{**asdict(defaults(variant, order)), **over})


def parser() -> argparse.ArgumentParser:
    """The command line of ``python -m training caption``."""
    ap = argparse.ArgumentParser(prog="python -m training caption",
                                 description="Train the digit-string captioners (soft, hard, local).")
    ap.add_argument("--variant", default="all", choices=("all",) + VARIANTS.names())
    ap.add_argument("--order", default="left_to_right", choices=("all",) + ORDERS,
                    help="caption order: as written, or largest digit first")
    ap.add_argument("--steps", type=int, default=None, help="override the number of steps")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default 1)")
    ap.add_argument("--ema", type=float, default=None,
                    help="ship a moving average of the weights with this decay, e.g. 0.999; 0 = the last "
                         "step's weights (default: the model's, see DEFAULTS)")
    ap.add_argument("--pool", type=int, default=None,
                    help="training strings in the data pool (default: the model's, see DEFAULTS)")
    ap.add_argument("--workers", type=int, default=1, help="processes building the data pool (once)")
    ap.add_argument("--out", type=Path, default=None,
                    help="output folder (default weights/caption[/<order>])")
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--data-only", action="store_true", help="only build (and cache) the data pools")
    ap.add_argument("--test-images", action="store_true",
                    help="only (re)write the page's test images (weights/caption/test_images.npz)")
    return ap


def main(argv=None) -> int:
    return run(parser().parse_args(argv))


def run(a: argparse.Namespace) -> int:
    """Carry out the parsed command line ``a`` (:func:`main`)."""
    jobs = [(o, v, config_from(a, v, o)) for o in (ORDERS if a.order == "all" else (a.order,))
            for v in (VARIANTS.names() if a.variant == "all" else (a.variant,))]
    pools: dict[tuple, tuple[dict, dict]] = {}            # (pool, pool_seed, val, val_seed) -> pools
    try:
        digit_data.mnist_train_group()                   # the data must be there: say where if not
        if a.test_images:
            print(f"wrote {export_test_images()}")
            return 0
        for _, _, tc in jobs:                            # every pool the models need, built first
            key = (tc.pool, tc.pool_seed, tc.val, tc.val_seed)
            if key not in pools:
                pools[key] = tr, va = data(tc, workers=a.workers)
                print(f"data: {len(tr['lengths'])} training strings (built in "
                      f"{float(tr['build_cpu_seconds']):.0f} s CPU, cached), {len(va['lengths'])} "
                      "validation strings")
    except digit_data.DataMissing as e:
        print(str(e), file=sys.stderr)
        return 1
    if a.data_only:
        return 0
    for order, v, tc in jobs:
        _, card = train(v, tc, out_dir=a.out, save=not a.no_save,
                        pools=pools[tc.pool, tc.pool_seed, tc.val, tc.val_seed])
        t = card.get("validation", {})
        print(f"{order}/{v}: validation exact {t.get('exact', float('nan')):.4f}  per digit "
              f"{t.get('per_digit', float('nan')):.4f}  4-digit exact "
              f"{t.get('exact_4_digits', float('nan')):.4f}  T={card.get('calibration', {}).get('temperature')} "
              f"({card['training']['wall_seconds']} s wall, {card['training']['cpu_seconds']} s CPU, "
              f"{card['training']['environment']['threads']} thread(s), {card['params']} params)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
