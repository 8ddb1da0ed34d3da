"""Train the date-translation models, one per attention type (``attention.models.seq2seq.VARIANTS``).

    python -m training translate --variant all            # every variant, default steps
    python -m training translate --variant local_p --steps 3000 --seed 0

Data: :mod:`training.dates` (a locale tag + a date typed the way people type it, in 9 locales ->
ISO ``YYYY-MM-DD``, split by date).  Recipe: batches of :data:`BATCH` training examples in an
order drawn from ``torch.Generator().manual_seed(seed)``, Adam, gradient-norm clipping at 1, a
cosine learning-rate schedule, teacher forcing with cross-entropy.  ``torch.manual_seed(seed)``
before building the model, one CPU thread by default: the same seed and thread count give the
same weights.

Hard attention (Xu et al. 2015, "stochastic hard attention"): after a soft warm-up (the first
:data:`HARD_SOFT_WARMUP` of the steps attend softly, cross-entropy only), every step attends to
ONE source position drawn from the soft distribution (``attend(normalization="hard_sampled")``), and the
loss is ``NLL - lambda_r sum_t (R_t - b_t) log p(a_t) - lambda_e sum_t H(p_t)`` with the reward
to go ``R_t = sum_{t' >= t} log p(y_t' | a)``, ``b_t`` a moving average of ``R_t`` per step and
the entropy bonus H (lambda_e = 0.05).  The log-probabilities come from ``result.probs``.

Calibration (after training, on generator data only): the temperature T of the output softmax
is fitted by minimising the NLL of the teacher-forced target tokens on a *stress* validation set
(:func:`stress_examples`: the validation days written with every kind of typing noise at once,
plus one typo -- a character deleted, doubled, swapped or replaced -- in half of them, so that
it holds mistakes to calibrate on).  The page calls an output *unsure* when its calibrated
probability (the product of its step probabilities at temperature T) is below the card's
``unsure_below``, chosen on that stress set so that at most :data:`MAX_FLAGGED_RIGHT` of its
right answers are flagged, among the answers the page would present (the input passes
``attention.models.dates.screen`` and the output passes ``check_agreement``: a date in range,
written in the input).  The card records T, the threshold and the flag's precision and
recall on the stress set.  The hand-written typed-dates file in ``tests/data`` is never read
here.

Replays (issue 24): at ``replay.snapshot_steps(total)`` the run decodes 3 lesson inputs
(:data:`LESSONS`) greedily and records the maps, the outputs, the training loss and the exact
match on a fixed validation sample; saved as ``<variant>.replay.safetensors``.

Evaluation (written to the card): greedy free-running decoding of the generator's test split
(by style and field order), of Babel's own four widths on test days (by locale), of the
validation split, and of the fixed check sample the tests re-run (:func:`sample`).
"""
from __future__ import annotations

import argparse
import math
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from attention.models import replay
from attention.models.dates import check_agreement, month_words, normalize, screen
from attention.models.seq2seq import PAD, VARIANTS, WEIGHTS_DIR, Config, Seq2Seq, tag_label
from training import common
from training import dates as date_data

BATCH = 64
LR = 3e-3                       # Bahdanau's flow
#: Learning rate per variant.  Luong's flow (input feeding) at 3e-3 never learned to read the
#: locale tag (94% on the generator's test split, en_US numeric dates read day first; on numeric
#: dates alone it wrote the same date under both tags after 600 steps); at 1e-3 it reads it.
LRS = {"bahdanau": 3e-3, "luong": 1e-3, "local_m": 1e-3, "local_p": 1e-3, "hard": 1e-3}
WINDOW = 4                      # D for local-m and local-p (Gaussian sigma = D / 2 = 2)
#: Steps per variant (each stays under 5 minutes of CPU on one thread here; see the cards).
#: Hard attention at 2400 steps never learned to read the locale tag (it read every numeric date in
#: one order: 92.6% on the generator's test split, 92.4% on the typed dates); at 3600 steps (273 s
#: of CPU) it reads it: 99.5% and 98.7%.
STEPS = {"bahdanau": 2400, "luong": 2400, "local_m": 1500, "local_p": 2400, "hard": 3600}
DEFAULT_STEPS = 2400            # a variant not in STEPS
MIN_SOURCE_LEN = 48             # the models read at least this many characters
HARD_REWARD = 1.0               # lambda_r
HARD_ENTROPY = 0.05             # lambda_e (0.01 left the policy stuck: 85.7% exact; 0.2: 99.2%)
BASELINE_DECAY = 0.9
#: Hard attention: the first share of training attends softly (the expected context, cross-entropy
#: only), as the digit captioner's hard model does: the decoder first learns what to read, then
#: REINFORCE learns to pick one position (without it: 89.3% on the generator's test split).
HARD_SOFT_WARMUP = 0.25
MAX_FLAGGED_RIGHT = 0.03        # the unsure threshold flags at most this share of right answers
                                # on the stress set (at 0.05 the typed dates had 4.5-5.4% of their
                                # right answers flagged, over the bound of 5%)
REPLAY_VAL = 128                # validation examples scored at each replay snapshot
#: The replay's lesson inputs: (name, tag, text, field order, ISO answer, why).
LESSONS = (
    ("reordered", "de_DE", "3. März 2021", "dmy", "2021-03-03", "day first: the year is at the end"),
    ("ambiguous", "en_US", "03/04/2021", "mdy", "2021-03-04",
     "numeric: only the tag says the month comes first"),
    ("long", "es_ES", "miércoles, 3 de marzo de 2021", "dmy", "2021-03-03",
     "a weekday pushes the date right"),
)
#: One sentence per variant for the card / README: why it reaches what it reaches.
WHY = {
    "bahdanau": "Global soft attention can look anywhere, so it learns the reordering "
                "(year at the end of the source, first in the target) and reads the locale tag "
                "when a numeric date is ambiguous.",
    "luong": "Global soft attention can look anywhere, so it learns the reordering "
             "(year at the end of the source, first in the target) and reads the locale tag "
             "when a numeric date is ambiguous.",
    "local_m": "Its window is centred on position t of the source when it writes character t "
               "of the target (p_t = t); the output has 11 steps and D = 4, so it never looks "
               "past source position 14: it cannot see a year written after the day and "
               "month, and only succeeds when the source is short or in ISO order.",
    "local_p": "It predicts where to look (p_t) and follows the reordering; its first window is "
               "placed before the decoder has read anything (p_0 is the same fraction of every "
               "source's length).",
    "hard": "It reads exactly one source position per step, chosen by a policy learned from "
            "REINFORCE rewards after a soft warm-up. To use the locale tag it spends a step on it: "
            "at the first '-', after the year and before the month, it reads the tag and carries "
            "it in its state (at 2400 steps it had not learned to, and read every numeric date "
            "in one order).",
}


@dataclass
class Result:
    model: Seq2Seq
    losses: list
    seconds: float
    cpu_seconds: float
    steps: int
    threads: int
    replay: Optional[dict] = None


def make_model(variant: str, seed: int) -> Seq2Seq:
    """A freshly initialised model (``torch.manual_seed(seed)`` first)."""
    torch.manual_seed(seed)
    cfg = Config(variant=variant, src_chars=date_data.source_chars(seed),
                 max_source_len=max(MIN_SOURCE_LEN, date_data.max_source_len(seed)),
                 window=WINDOW if VARIANTS[variant].windowed else None)
    return Seq2Seq(cfg)


def tensors(model: Seq2Seq, examples: Sequence[date_data.Example]):
    """All examples as padded tensors: source ids ``(N, S)``, lengths ``(N,)``, targets ``(N, T)``."""
    ids, lengths = model.encode_sources([e.source for e in examples], [e.tag for e in examples])
    return ids, lengths, model.encode_targets([e.target for e in examples])


def loss_fn(model: Seq2Seq, ids, lengths, targets, seed: int, baseline: list,
            soft: bool = False) -> tuple[torch.Tensor, float]:
    """Loss for one batch; ``baseline`` (a 1-element list) is the hard variant's moving average.
    ``soft``: the hard variant's warm-up (soft attention, cross-entropy only)."""
    ids = ids[:, :int(lengths.max())]                                   # (B, S) drop all-pad columns
    spec = model.cfg.spec
    norm = "soft" if soft else spec.get("train_normalization")
    logits, steps = model(ids, lengths, targets, norm, seed=seed)
    B, T, V = logits.shape
    tok = targets != PAD                                                # (B, T)
    ce = F.cross_entropy(logits.reshape(B * T, V), targets.reshape(-1),
                         reduction="none").view(B, T) * tok             # (B, T)
    n_tok = tok.sum()
    nll = ce.sum() / n_tok
    if not spec.hard or soft:
        return nll, float(nll.detach())
    probs = torch.stack([s.attn.probs[:, 0] for s in steps], dim=1)     # (B, T, S)
    onehot = torch.stack([s.attn.weights[:, 0] for s in steps], dim=1)  # (B, T, S)
    logp_a = (probs * onehot).sum(-1).clamp_min(1e-12).log() * tok     # (B, T) log p(a_t)
    ent = -(probs * probs.clamp_min(1e-12).log()).sum(-1) * tok         # (B, T) H(p_t)
    ll = -ce.detach()                                                   # (B, T)
    R = ll.flip(1).cumsum(1).flip(1)                                    # (B, T) reward to go
    mean_R = (R * tok).sum(0) / tok.sum(0).clamp_min(1)                 # (T,)
    if baseline[0] is None or baseline[0].shape != mean_R.shape:
        baseline[0] = mean_R
    b = baseline[0]
    baseline[0] = BASELINE_DECAY * b + (1 - BASELINE_DECAY) * mean_R
    reinforce = -(((R - b) * logp_a).sum()) / n_tok
    loss = nll + HARD_REWARD * reinforce - HARD_ENTROPY * ent.sum() / n_tok
    return loss, float(nll.detach())


# ------------------------------------------------------------------ replay
def field_spans(text: str, order: str) -> dict[str, list[int]]:
    """Character indices (in ``normalize(text)``) of the year, month and day fields of a lesson
    input: digit runs and the month word, assigned by the field ``order``."""
    s = normalize(text)
    runs = [(m.start(), m.end()) for m in re.finditer(r"\d+", s)]
    names = [(m.start(), m.end()) for m in re.finditer(r"[^\W\d_]+", s) if m.group() in month_words()]
    spans: dict[str, list[int]] = {}
    if names:
        a, b = names[0]
        spans["m"] = list(range(a, b))
        day, year = (runs[0], runs[1]) if runs[0][1] - runs[0][0] <= 2 else (runs[1], runs[0])
        spans["d"], spans["y"] = list(range(*day)), list(range(*year))
    else:
        for c, (a, b) in zip(order, runs):
            spans[c] = list(range(a, b))
    return spans


def lesson_truth(text: str, order: str, n_keys: int) -> tuple[np.ndarray, tuple]:
    """``(truth (11, n_keys) bool, target labels)`` for a lesson: output year digit i -> the
    i-th source year digit (both for a two-digit year's century), month -> the month field,
    day -> the day field; the '-' rows and the end row are unscored.  Key 0 is the tag."""
    spans = field_spans(text, order)
    truth = np.zeros((11, n_keys), dtype=bool)
    y = spans["y"]
    for i in range(4):
        cols = [y[i]] if len(y) == 4 else (y if i < 2 else [y[i - 2]])
        truth[i, [c + 1 for c in cols]] = True
    for rows, f in (((5, 6), "m"), ((8, 9), "d")):
        for r in rows:
            truth[r, [c + 1 for c in spans[f]]] = True
    return truth, ()


class Recorder:
    """Records the replay snapshots during training (cheap: 3 greedy decodings + a validation
    sample per snapshot)."""

    def __init__(self, model: Seq2Seq, total: int, val: Sequence[date_data.Example]):
        self.steps = replay.snapshot_steps(total)
        self.val = list(val)[:REPLAY_VAL]
        self.rows: list = []
        self.T = model.cfg.max_target_len
        self.seconds = 0.0

    def maybe(self, model: Seq2Seq, step: int, loss: float) -> None:
        if step not in self.steps:
            return
        t0 = time.process_time()
        was = model.training
        model.eval()
        maps, outs = [], []
        for name, tag, text, order, _, _ in LESSONS:
            d = model.translate(text, tag)
            m = np.zeros((self.T, d.weights.shape[1]), dtype=np.float32)
            m[:d.weights.shape[0]] = d.weights.numpy()
            maps.append(m)
            outs.append(tuple("end" if t == "</s>" else t for t in d.tokens))
        got = model.greedy_batch([e.source for e in self.val], [e.tag for e in self.val])
        acc = float(np.mean([g == e.target for g, e in zip(got, self.val)]))
        self.rows.append((step, loss, acc, maps, outs))
        model.train(was)
        self.seconds += time.process_time() - t0

    def lessons(self, model: Seq2Seq) -> list:
        out = []
        for i, (name, tag, text, order, target, why) in enumerate(LESSONS):
            src = model.check_source(text)
            keys = (tag_label(tag),) + tuple(src)
            truth, _ = lesson_truth(text, order, len(keys))
            out.append(replay.Lesson(
                name=name, text=f"{text} ({tag})", keys=keys,
                target=tuple(target) + ("end",), truth=truth,
                maps=np.stack([r[3][i] for r in self.rows]), outputs=tuple(r[4][i] for r in self.rows)))
        return out

    def save(self, model: Seq2Seq, stem: Path) -> Path:
        steps = [r[0] for r in self.rows]
        return replay.save(replay.replay_path(stem), "translate", model.cfg.variant, steps,
                           [r[1] for r in self.rows], [r[2] for r in self.rows], self.lessons(model),
                           meta={"lessons": {x[0]: x[-1] for x in LESSONS},
                                 "accuracy": f"greedy exact match on the first {len(self.val)} "
                                             "validation examples",
                                 "loss": "mean teacher-forced NLL of the last 10 batches",
                                 "record_cpu_seconds": round(self.seconds, 2)})


# ------------------------------------------------------------------ training
def train(variant: str, steps: Optional[int] = None, seed: int = 0, *, batch: int = BATCH,
          threads: int = 1, examples: Optional[Sequence[date_data.Example]] = None,
          show: bool = True, record: bool = False) -> Result:
    """Train one variant; ``examples`` defaults to the training split of ``seed``.
    ``record``: also record a replay (:class:`Recorder`)."""
    steps = STEPS.get(variant, DEFAULT_STEPS) if steps is None else steps
    threads = common.set_threads(threads)
    model = make_model(variant, seed)
    data = date_data.make_splits(seed).train if examples is None else examples
    ids, lengths, targets = tensors(model, data)
    order_gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=LRS.get(variant, LR))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(i, steps) / max(1, steps))))
    baseline = [None]
    losses = []
    rec = Recorder(model, steps, date_data.make_splits(seed).val) if record else None
    perm, at = torch.randperm(len(data), generator=order_gen), 0
    bar = common.progress(steps, f"translate {variant}") if show else None
    t0, c0 = time.perf_counter(), time.process_time()
    model.train()
    for i in range(steps):
        if rec is not None:
            rec.maybe(model, i, float(np.mean(losses[-10:])) if losses else float("nan"))
        if at + batch > len(perm):
            perm, at = torch.randperm(len(data), generator=order_gen), 0
        idx = perm[at:at + batch]
        at += batch
        soft = model.cfg.spec.hard and i < HARD_SOFT_WARMUP * steps
        loss, nll = loss_fn(model, ids[idx], lengths[idx], targets[idx], seed * 100003 + i, baseline,
                            soft=soft)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        losses.append(nll)
        if bar is not None:
            bar.update()
            if i % 10 == 0 or i == steps - 1:
                bar.set_postfix(loss=f"{sum(losses[-10:]) / len(losses[-10:]):.4f}")
    if rec is not None:
        rec.maybe(model, steps, float(np.mean(losses[-10:])))
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    if bar is not None:
        bar.close()
    model.eval()
    return Result(model, losses, seconds, cpu, steps, threads, rec)


# ------------------------------------------------------------------ evaluation
def evaluate(model: Seq2Seq, examples: Sequence[date_data.Example], batch: int = 500) -> dict:
    """Greedy exact match and per-token accuracy on ``examples`` (+ by style and field order)."""
    exact = tokens = 0
    by_style, by_order = defaultdict(lambda: [0, 0]), defaultdict(lambda: [0, 0])
    for s in range(0, len(examples), batch):
        chunk = examples[s:s + batch]
        outs = model.greedy_batch([e.source for e in chunk], [e.tag for e in chunk])
        for e, o in zip(chunk, outs):
            ok = o == e.target
            exact += ok
            want = list(e.target) + ["</s>"]
            got = list(o) + ["</s>"]
            tokens += sum(a == b for a, b in zip(want, got))
            for d, k in ((by_style, e.style), (by_order, e.order)):
                d[k][0] += ok
                d[k][1] += 1
    n = len(examples)
    return {"exact_match": exact / n, "per_token": tokens / (n * 11), "n": n,
            "exact_by_style": {k: round(v[0] / v[1], 4) for k, v in sorted(by_style.items())},
            "exact_by_order": {k: round(v[0] / v[1], 4) for k, v in sorted(by_order.items())}}


def evaluate_widths(model: Seq2Seq, days, per_width: int = 100) -> dict:
    """Exact match on Babel's own four widths of ``days`` (test days), each locale under its own
    tag: ``{width: {"all": x, locale: x}}``."""
    out = {}
    table = date_data.babel_widths(days)
    for w in date_data.WIDTHS:
        per, ok_all, n_all = {}, 0, 0
        for loc in date_data.LOCALES:
            rows = table[(loc, w)][:per_width]
            got = model.greedy_batch([r[0] for r in rows], [loc] * len(rows))
            ok = sum(g == r[1] for g, r in zip(got, rows))
            per[loc] = round(ok / len(rows), 4)
            ok_all, n_all = ok_all + ok, n_all + len(rows)
        out[w] = {"all": round(ok_all / n_all, 4), "n": n_all, **per}
    return out


def sample(examples: Sequence[date_data.Example]) -> Sequence[date_data.Example]:
    """The fixed check sample: the first 400 test examples; the tests re-check a shipped
    model's accuracy on it in seconds."""
    return examples[:400]


# ------------------------------------------------------------------ calibration
_TYPO_CHARS = "abcdefghijklmnopqrstuvwxyz"


def _typo(rng: random.Random, s: str) -> str:
    """One typo on a letter (never a digit: that would change the date the target names)."""
    letters = [i for i, c in enumerate(s) if c.isalpha()]
    if not letters:
        return s
    i = rng.choice(letters)
    kind = rng.choice(("delete", "double", "swap", "replace"))
    if kind == "delete" and len(s) > 4:
        return s[:i] + s[i + 1:]
    if kind == "double":
        return s[:i] + s[i] + s[i:]
    if kind == "swap" and i + 1 < len(s) and not s[i + 1].isdigit():
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s[:i] + rng.choice(_TYPO_CHARS) + s[i + 1:]


def stress_examples(seed: int, max_len: int) -> list:
    """The stress validation set (calibration only): the validation days, 3 examples each,
    written with every typing noise turned up (:data:`training.dates.P_NOISE` x 3, impossible
    dates 10%) and a typo in half of them.  Generator data, never the typed-dates file."""
    splits = date_data.make_splits(seed)
    saved = dict(date_data.P_NOISE)
    try:
        for k in date_data.P_NOISE:
            date_data.P_NOISE[k] = min(0.5, 3 * saved[k])
        days = sorted({e.date for e in splits.val})
        ex = date_data.generate(days, seed * 7 + 5, per_day=3, impossible=0.10)
    finally:
        date_data.P_NOISE.update(saved)
    rng = random.Random(seed * 7 + 6)
    out = []
    for e in ex:
        src = _typo(rng, e.source) if rng.random() < 0.5 else e.source
        src = normalize(src)
        if src and len(src) <= max_len:
            out.append(date_data.Example(e.tag, src, e.target, e.date, e.locale, e.style, e.order))
    return out


@torch.no_grad()
def calibrate(model: Seq2Seq, examples: Sequence[date_data.Example]) -> dict:
    """Fit the temperature (teacher-forced NLL, grid search over log T) and the unsure threshold
    on ``examples``; the flag's precision / recall there (see the module docstring)."""
    ids, lengths, targets = tensors(model, examples)
    logits, _ = model(ids, lengths, targets)                            # (N, T, V)
    N, T, V = logits.shape
    tok = targets != PAD

    def nll(temp):
        ce = F.cross_entropy((logits / temp).reshape(N * T, V), targets.reshape(-1), reduction="none")
        return float((ce.view(N, T) * tok).sum() / tok.sum())

    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 121))
    temp = float(min(grid, key=nll))
    model.temperature = temp
    got, conf = model.greedy_batch([e.source for e in examples], [e.tag for e in examples],
                                   with_probs=True)
    # presented as a date on the page: the input passes the screen, and the output is a
    # calendar date in range that the input writes (the page's checks)
    shown = np.array([screen(e.source, e.tag, model.cfg.src_chars, model.cfg.max_source_len).ok
                      and check_agreement(g, e.source).ok for g, e in zip(got, examples)])
    right = np.array([g == e.target for g, e in zip(got, examples)]) & shown
    wrong = shown & ~right
    conf = np.array(conf)
    ok_conf = np.sort(conf[right])
    k = int(math.floor(MAX_FLAGGED_RIGHT * len(ok_conf)))
    threshold = float(ok_conf[k]) if len(ok_conf) else 0.5          # flags <= k right answers
    flagged = (conf < threshold) & shown
    tp = int((flagged & wrong).sum())
    return {"temperature": round(temp, 4), "nll_at_1": round(nll(1.0), 5), "nll": round(nll(temp), 5),
            "unsure_below": threshold, "n": int(N), "presented": int(shown.sum()),
            "wrong": int(wrong.sum()),
            "flag_recall": round(tp / max(1, int(wrong.sum())), 4),
            "flag_precision": round(tp / max(1, int(flagged.sum())), 4),
            "flagged_right": round(int((flagged & right).sum()) / max(1, int(right.sum())), 4),
            "set": "stress validation: validation days, all typing noise x3, 10% impossible dates, "
                   "a typo in half (training.translate.stress_examples)",
            "rule": f"unsure = calibrated p(output) < unsure_below (the {MAX_FLAGGED_RIGHT:.0%} "
                    "quantile of the right answers' calibrated p)"}


def card(res: Result, seed: int, test: dict, val: dict, check: dict, widths: dict,
         calib: dict) -> dict:
    m = res.model
    v = m.cfg.variant
    return {
        "task": "date translation (a date typed in 9 locales + a locale tag -> ISO YYYY-MM-DD), "
                "character level",
        "variant": v,
        "attention": {**VARIANTS[v].attend, **VARIANTS[v].extra, "window": m.cfg.window,
                      "paper": VARIANTS[v].paper},
        "config": m.card_config(),
        "data": date_data.recipe(seed),
        "training": {
            "command": f"python -m training translate --variant {v} --steps {res.steps} --seed {seed}",
            "seed": seed, "steps": res.steps, "batch_size": BATCH, "optimizer": "Adam",
            "learning_rate": LRS.get(v, LR), "schedule": "cosine to 5%", "grad_clip": 1.0,
            "wall_time_s": round(res.seconds, 1), "cpu_time_s": round(res.cpu_seconds, 1),
            "threads": res.threads,
            "replay_cpu_s": round(res.replay.seconds, 1) if res.replay else None,
            "parameters": common.param_count(m), "final_loss": round(sum(res.losses[-50:]) / len(res.losses[-50:]), 5),
            "environment": common.environment(res.threads),
            **({"reinforce": {"lambda_r": HARD_REWARD, "lambda_e": HARD_ENTROPY,
                              "baseline_decay": BASELINE_DECAY,
                              "soft_warmup": HARD_SOFT_WARMUP}} if VARIANTS[v].hard else {}),
        },
        "calibration": calib,
        "test": {k: (round(x, 4) if isinstance(x, float) else x) for k, x in test.items()},
        "babel_widths": widths,
        "val": {"exact_match": round(val["exact_match"], 4), "per_token": round(val["per_token"], 4),
                "n": val["n"]},
        "test_sample": {"exact_match": round(check["exact_match"], 4),
                        "per_token": round(check["per_token"], 4), "n": check["n"],
                        "rule": "the first 400 test examples"},
        "metrics": "greedy decoding; exact_match = output == ISO date; per_token = share of the 11 "
                   "target tokens (10 characters + end) right at their position",
        "why": WHY.get(v, VARIANTS[v].description),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training translate",
                                 description="Train the date-translation models (one per attention type).")
    ap.add_argument("--variant", default="all", choices=["all", *VARIANTS.names()])
    ap.add_argument("--steps", type=int, default=None, help="default: per variant, see STEPS")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=str(WEIGHTS_DIR))
    args = ap.parse_args(argv)
    variants = list(VARIANTS.names()) if args.variant == "all" else [args.variant]
    splits = date_data.make_splits(args.seed)
    test_days = sorted({e.date for e in splits.test})
    for v in variants:
        res = train(v, args.steps, args.seed, threads=args.threads, record=True)
        m = res.model
        test = evaluate(m, splits.test)
        val = evaluate(m, splits.val)
        widths = evaluate_widths(m, test_days)
        calib = calibrate(m, stress_examples(args.seed, m.cfg.max_source_len))
        c = card(res, args.seed, test, val, evaluate(m, sample(splits.test)), widths, calib)
        stem = Path(args.out) / v
        st, js = common.save(stem, m.state_dict(), c)
        rp = res.replay.save(m, stem)
        print(f"{v}: test exact {test['exact_match']:.4f}, per-token {test['per_token']:.4f} "
              f"(n={test['n']}), {res.seconds:.0f} s wall / {res.cpu_seconds:.0f} s CPU on "
              f"{res.threads} thread(s), {st.stat().st_size / 1e6:.2f} MB -> {st}; replay "
              f"{rp.stat().st_size / 1e3:.0f} kB ({res.replay.seconds:.1f} s CPU)")
        print(f"   by style: {test['exact_by_style']}; widths: "
              f"{ {w: x['all'] for w, x in widths.items()} }; T = {calib['temperature']}, "
              f"unsure < {calib['unsure_below']:.3f} (recall {calib['flag_recall']}, "
              f"precision {calib['flag_precision']})")
    return 0
