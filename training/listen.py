"""Train the spoken-digit listeners (Listen, Attend and Spell), one per attention type.

    python -m training listen --variant all                # content, location, windowed in turn
    python -m training listen --variant location --steps 1500 --seed 0
    python -m training listen --clips                      # (re)write the shipped test clips

Data: :mod:`training.speech` (FSDD: 4 speakers for training, the 5th held out; eSpeak NG voices
split into train / validation / test lists).  Needs the FSDD recordings at ``../shared/data/fsdd``
(or ``$AE_FSDD``); without them it says where to get them and exits with status 2.

Recipe: batches of :attr:`TrainConfig.batch` fresh augmented utterances from
``training.speech.Sampler(seed)``, a VTLP frequency warp of the mel filters (0.88-1.12) and
SpecAugment masks on their log-mel, Adam, gradient-norm clipping, a cosine learning rate to 5%,
teacher forcing with cross-entropy over the digits and the end token.  *Curriculum*: strings of
at most 3 digits for the first 20% of the steps, at most 5 until 45%, then 1-8.
``torch.manual_seed(seed)`` before building the model and one CPU thread: the same seed gives
the same weights.

After training (written to the card): greedy decoding of fixed evaluation sets -- the held-out
FSDD speaker and unseen eSpeak voices, each with 4-digit strings, repeated-digit strings (one
digit 3-6 times), 8-digit strings and 1-8 mixed -- the calibration temperature (fitted on the
validation set: FSDD takes 45-49 of the training speakers + validation voices) and the
precision / recall of the "unsure" flag on the held-out speaker.  A replay
(:mod:`attention.models.replay`) records how the attention formed on three lesson utterances.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as TF

from attention.models import audio as A
from attention.models import replay as R
from attention.models.listener import (END, STRIDE, VARIANTS, WEIGHTS_DIR, Config, Listener,
                                       clips, features_batch)
from training import common
from training import speech as S

ROOT = Path(__file__).resolve().parents[1]
CLIPS_DIR = ROOT / "assets" / "audio"


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1200
    batch: int = 24
    lr: float = 2e-3
    clip: float = 1.0
    seed: int = 0
    threads: int = 1
    curriculum: tuple = ((0.2, 3), (0.45, 5), (1.01, 8))   # (until this share of steps, max digits)
    p_fsdd: float = 0.5
    p_repeated: float = 0.2
    p_run: float = 0.2
    size: str = "base"          # architecture, a key of SIZES
    eq_db: float = 0.0          # random microphone / room colouring (training.speech.equalize)
    smoothing: float = 0.0      # label smoothing of the cross-entropy
    warp: tuple = (0.88, 1.12)  # VTLP: the mel filters' frequency warp is drawn from this range
    freq_masks: tuple = (2, 6)  # SpecAugment: this many masks of up to this many mel bands
    time_masks: tuple = (2, 5)  # ... and of up to this many 10 ms frames (shorter than a digit)
    n_eval: int = 300           # per evaluation set (long: 200)
    replay_val: int = 48        # validation utterances decoded at each replay snapshot


#: Architectures (``listener.Config`` fields); "base" = the Config defaults.
SIZES = {"base": {}, "small": dict(conv=(64, 96), d_enc=64, d_dec=96, d_att=48)}
#: Steps per variant for the shipped weights (see the cards for the time they took).
STEPS = {"content": 1200, "location": 1200, "windowed": 1200}


# ------------------------------------------------------------------ batches
def targets(utts: Sequence[S.Utterance]) -> torch.Tensor:
    """``(B, T)`` int64: digits then END, -1 after."""
    T = max(len(u.digits) for u in utts) + 1
    out = torch.full((len(utts), T), -1, dtype=torch.long)
    for i, u in enumerate(utts):
        out[i, : len(u.digits)] = torch.tensor([int(c) for c in u.digits])
        out[i, len(u.digits)] = END
    return out


def spec_augment(f: torch.Tensor, n: torch.Tensor, cfg: TrainConfig, rng: np.random.Generator) -> torch.Tensor:
    """SpecAugment (Park et al. 2019) without time warping: in each row of ``f (B, N, M)``, a
    few bands and a few short runs of frames are set to 0 (the middle of the feature range)."""
    f = f.clone()
    B, _, M = f.shape
    for b in range(B):
        for _ in range(cfg.freq_masks[0]):
            w = int(rng.integers(0, cfg.freq_masks[1] + 1))
            a = int(rng.integers(0, M - w + 1))
            f[b, :, a:a + w] = 0.0
        for _ in range(cfg.time_masks[0]):
            w = int(rng.integers(0, cfg.time_masks[1] + 1))
            a = int(rng.integers(0, max(1, int(n[b]) - w + 1)))
            f[b, a:a + w, :] = 0.0
        f[b, int(n[b]):] = 0.0
    return f


def max_digits(cfg: TrainConfig, i: int) -> int:
    for until, n in cfg.curriculum:
        if i < until * cfg.steps:
            return n
    return cfg.curriculum[-1][1]


# ------------------------------------------------------------------ evaluation
def digit_errors(out: str, ref: str) -> list[bool]:
    """For each emitted digit of ``out``: True if it is wrong (a substitution or an insertion in
    a minimum edit alignment with ``ref``; matches preferred)."""
    n, m = len(out), len(ref)
    D = np.zeros((n + 1, m + 1), dtype=np.int64)
    D[:, 0] = np.arange(n + 1)
    D[0, :] = np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            D[i, j] = min(D[i - 1, j] + 1, D[i, j - 1] + 1, D[i - 1, j - 1] + (out[i - 1] != ref[j - 1]))
    wrong = [True] * n
    i, j = n, m
    while i > 0 and j > 0:
        if out[i - 1] == ref[j - 1] and D[i, j] == D[i - 1, j - 1]:
            wrong[i - 1] = False
            i, j = i - 1, j - 1
        elif D[i, j] == D[i - 1, j - 1] + 1:
            i, j = i - 1, j - 1
        elif D[i, j] == D[i - 1, j] + 1:
            i -= 1
        else:
            j -= 1
    return wrong


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@torch.no_grad()
def decode(model: Listener, utts: Sequence[S.Utterance], batch: int = 48) -> list[dict]:
    """Greedy decoding of ``utts`` as the page decodes a recording (``audio.prepare`` then
    log-mel); per utterance: ``text``, ``logits (T, 11)``, ``tokens``, ``weights (T, S)``,
    ``truth (n_digits, S)`` bool."""
    out = []
    for s in range(0, len(utts), batch):
        chunk = utts[s:s + batch]
        prepped = [A.prepare(u.wave, A.RATE) for u in chunk]
        f, n = features_batch([x for x, _ in prepped])
        d = model.greedy(f, n)
        for i, (u, (x, off)) in enumerate(zip(chunk, prepped)):
            Sb = int(d.frames[i])
            T = int(d.lengths[i]) + (1 if bool(d.finished[i]) else 0)
            T = max(1, T)
            spans = u.spans - int(round(off * A.RATE))
            out.append({"text": d.text(i), "ref": u.digits, "logits": d.logits[i, :T],
                        "tokens": d.tokens[i, :T].tolist(), "weights": d.weights[i, :T, :Sb].numpy(),
                        "truth": S.truth_frames(spans, Sb, STRIDE), "source": u.source})
    return out


def metrics(rows: Sequence[dict], tol_frames: int = 2) -> dict:
    """exact: output == truth; der: edit distance / digits; length: right number of digits;
    peak_in_span: over correctly read strings, the share of digits whose attention peak lies
    within ``tol_frames`` frames (2 = ±80 ms) of the digit's true span."""
    exact = sum(r["text"] == r["ref"] for r in rows)
    errs = sum(edit_distance(r["text"], r["ref"]) for r in rows)
    ndig = sum(len(r["ref"]) for r in rows)
    length = sum(len(r["text"]) == len(r["ref"]) for r in rows)
    hit = tot = 0
    for r in rows:
        if r["text"] != r["ref"]:
            continue
        tr = r["truth"]
        for t in range(len(r["ref"])):
            near = np.convolve(tr[t].astype(float), np.ones(2 * tol_frames + 1), "same") > 0
            hit += bool(near[int(np.argmax(r["weights"][t]))])
            tot += 1
    n = len(rows)
    return {"exact": round(exact / n, 4), "der": round(errs / max(1, ndig), 4),
            "length": round(length / n, 4), "peak_in_span": round(hit / tot, 4) if tot else None,
            "n": n}


def calibration_data(rows: Sequence[dict]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Every emitted token: logits ``(K, 11)``, the emitted id ``(K,)``, correct ``(K,)`` bool
    (a digit: matched in the edit alignment; the end token: the string has the right length)."""
    L, I, C = [], [], []
    for r in rows:
        wrong = digit_errors(r["text"], r["ref"])
        for t, tok in enumerate(r["tokens"]):
            if tok < 0:
                break
            L.append(r["logits"][t])
            I.append(tok)
            C.append(not wrong[t] if tok != END else len(r["text"]) == len(r["ref"]))
    return torch.stack(L), torch.tensor(I), torch.tensor(C)


def fit_temperature(rows: Sequence[dict]) -> float:
    """Temperature scaling (Guo et al. 2017) for the emitted tokens: the T minimizing the
    binary log-loss of ``p = softmax(logits / T)[emitted]`` against whether it was right."""
    L, I, C = calibration_data(rows)
    best, best_T = float("inf"), 1.0
    for T in np.exp(np.linspace(np.log(0.25), np.log(10.0), 241)):
        p = torch.softmax(L / T, -1)[torch.arange(len(I)), I].clamp(1e-6, 1 - 1e-6)
        nll = float(-(C * p.log() + (~C) * (1 - p).log()).mean())
        if nll < best:
            best, best_T = nll, float(T)
    return round(best_T, 4)


def flag_stats(rows: Sequence[dict], T: float, below: float) -> dict:
    """Precision / recall of the "unsure" flag (calibrated p < ``below``) over emitted digits:
    precision = flagged digits that were wrong / flagged; recall = wrong digits flagged / wrong."""
    L, I, C = calibration_data(rows)
    digit = I != END
    p = torch.softmax(L / T, -1)[torch.arange(len(I)), I]
    flag = (p < below) & digit
    wrong = (~C) & digit
    tp = int((flag & wrong).sum())
    return {"precision": round(tp / max(1, int(flag.sum())), 4) if int(flag.sum()) else None,
            "recall": round(tp / max(1, int(wrong.sum())), 4) if int(wrong.sum()) else None,
            "flagged": int(flag.sum()), "wrong": int(wrong.sum()), "digits": int(digit.sum()),
            "ece": round(_ece(p[digit], C[digit]), 4)}


def _ece(p: torch.Tensor, c: torch.Tensor, bins: int = 10) -> float:
    e, n = 0.0, len(p)
    for b in range(bins):
        m = (p > b / bins) & (p <= (b + 1) / bins)
        if int(m.sum()):
            e += int(m.sum()) / n * abs(float(p[m].mean()) - float(c[m].float().mean()))
    return e


def choose_threshold(rows: Sequence[dict], T: float) -> float:
    """The "unsure" threshold with the best F1 of (flag, wrong) on the validation rows."""
    best, best_b = -1.0, 0.8
    for b in np.round(np.arange(0.5, 0.991, 0.01), 2):
        s = flag_stats(rows, T, float(b))
        p, r = s["precision"] or 0.0, s["recall"] or 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 > best:
            best, best_b = f1, float(b)
    return best_b


EVAL_SETS = [("heldout", k) for k in S.KINDS] + [("unseen", k) for k in S.KINDS]


def eval_size(cfg: TrainConfig, kind: str) -> int:
    return 200 if kind == "long" else cfg.n_eval


def evaluate(model: Listener, cfg: TrainConfig) -> tuple[dict, dict]:
    """Metrics on every evaluation set, and the decoded rows (for calibration)."""
    res, rows = {}, {}
    for src, kind in EVAL_SETS:
        r = decode(model, S.eval_set(src, kind, eval_size(cfg, kind)))
        rows[(src, kind)] = r
        res.setdefault(src, {})[kind] = metrics(r)
    return res, rows


# ------------------------------------------------------------------ replay lessons
#: The three lesson utterances of the replay (and the first shipped clips): the held-out speaker.
LESSONS = (("repeated", "7777"), ("normal", "3519"), ("long", "20468135"))


def lesson_utterance(digits: str, seed: int = 23) -> S.Utterance:
    """``digits`` spoken by the held-out FSDD speaker, fixed takes and pauses (by ``seed``)."""
    rng = np.random.default_rng([seed, S.hash_name(digits)])
    return S.fsdd_utterance(digits, S.TEST_SPEAKER, range(0, 50), rng)


def lesson_clip(digits: str) -> S.Utterance:
    """The shipped test clip saying ``digits`` (``assets/audio``, as the page plays it: 16-bit),
    so a replay's last maps are what the page draws for that clip; written first if missing."""
    if not any(c.digits == digits for c in clips()[0]):
        write_clips()
    c = next(c for c in clips()[0] if c.digits == digits)
    wave, rate = c.read()
    spans = np.round(np.asarray(c.spans_s) * rate).astype(np.int64)
    return S.Utterance(wave, digits, spans, f"fsdd:{c.speaker}", {"file": c.file})


class Recorder:
    """Decodes the lesson utterances (and a small validation sample) at the replay steps."""

    def __init__(self, model: Listener, total: int, cfg: TrainConfig):
        self.at = set(R.snapshot_steps(total))
        self.items = []
        for name, digits in LESSONS:
            u = lesson_clip(digits)
            x, off = A.prepare(u.wave, A.RATE)
            f = A.log_mel(x)
            S_ = int(Listener.encoder_frames(torch.tensor(f.shape[0])))
            truth = S.truth_frames(u.spans - int(round(off * A.RATE)), S_, STRIDE)
            self.items.append((name, digits, u, truth, S_))
        self.val = S.eval_set("val", "mixed", cfg.replay_val, seed=99)
        self.steps, self.loss, self.acc = [], [], []
        self.maps = [[] for _ in self.items]
        self.outputs = [[] for _ in self.items]
        self.seconds = 0.0

    def __call__(self, model: Listener, step: int, loss: float) -> None:
        if step not in self.at:
            return
        t0 = time.process_time()
        was = model.training
        model.eval()
        for k, (name, digits, u, truth, S_) in enumerate(self.items):
            tr = model.transcribe(u.wave, A.RATE)
            T = len(digits) + 2
            m = np.zeros((T, S_), np.float32)
            w = tr.weights[:T]
            m[: w.shape[0], : w.shape[1]] = w
            self.maps[k].append(m)
            self.outputs[k].append(tuple(tr.tokens[:T]))
        rows = decode(model, self.val)
        self.acc.append(metrics(rows)["exact"])
        self.steps.append(step)
        self.loss.append(loss)
        model.train(was)
        self.seconds += time.process_time() - t0

    def save(self, stem: Path, variant: str) -> Path:
        lessons = []
        for k, (name, digits, u, truth, S_) in enumerate(self.items):
            keys = tuple(f"{t:.2f}s" for t in A.frame_times(S_, STRIDE))
            lessons.append(R.Lesson(name=name, text=" ".join(digits), keys=keys,
                                    target=tuple(digits) + ("end",),
                                    truth=np.vstack([truth, np.zeros((1, S_), bool)]),
                                    maps=np.stack(self.maps[k]), outputs=tuple(self.outputs[k])))
        return R.save(R.replay_path(stem), "listen", variant, self.steps, self.loss, self.acc, lessons,
                      meta={"accuracy": "exact match, greedy, on 48 validation utterances (1-8 digits)",
                            "speaker": S.TEST_SPEAKER, "frame_s": STRIDE * A.HOP / A.RATE})


# ------------------------------------------------------------------ training
@dataclass
class Result:
    model: Listener
    losses: list
    wall: float
    cpu: float
    replay_cpu: float
    steps: int
    threads: int
    recorder: Optional[Recorder]


def make_model(variant: str, seed: int, size: str = "base") -> Listener:
    torch.manual_seed(seed)
    return Listener(Config(variant=variant, **SIZES[size]))


def train_features(waves, warps) -> tuple[torch.Tensor, torch.Tensor]:
    """Like :func:`attention.models.listener.features_batch`, each wave's log-mel computed with
    its own VTLP warp: ``(B, N_max, M)`` zero-padded and lengths ``(B,)``."""
    fs = [A.log_mel(w, warp=float(a)) for w, a in zip(waves, warps)]
    n = torch.tensor([f.shape[0] for f in fs])
    out = torch.zeros(len(fs), int(n.max()), fs[0].shape[1])
    for i, f in enumerate(fs):
        out[i, : f.shape[0]] = f
    return out, n


def train(variant: str, cfg: TrainConfig, show: bool = True, record: bool = True) -> Result:
    """Train one variant (see the module docstring)."""
    threads = common.set_threads(cfg.threads)
    model = make_model(variant, cfg.seed, cfg.size)
    sampler = S.Sampler(cfg.seed, cfg.p_fsdd, cfg.p_repeated, cfg.p_run, cfg.eq_db)
    aug_rng = np.random.default_rng([cfg.seed, 555])
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda i: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(i, cfg.steps) / max(1, cfg.steps))))
    rec = Recorder(model, cfg.steps, cfg) if record else None
    bar = common.progress(cfg.steps, f"listen {variant}") if show else None
    losses = []
    t0, c0 = time.perf_counter(), time.process_time()
    model.train()
    for i in range(cfg.steps):
        if rec is not None:
            rec(model, i, float(np.mean(losses[-20:])) if losses else float("nan"))
        utts = sampler.batch(cfg.batch, max_digits(cfg, i))
        warps = np.round(aug_rng.uniform(*cfg.warp, size=len(utts)) / 0.02) * 0.02   # cached banks
        f, n = train_features([u.wave for u in utts], warps)
        f = spec_augment(f, n, cfg, aug_rng)
        tg = targets(utts)
        logits, _, _ = model(f, n, tg)
        loss = TF.cross_entropy(logits.reshape(-1, logits.shape[-1]), tg.reshape(-1), ignore_index=-1,
                                label_smoothing=cfg.smoothing)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
        opt.step()
        sched.step()
        losses.append(loss.item())
        if bar is not None:
            bar.update()
            if i % 10 == 0 or i == cfg.steps - 1:
                bar.set_postfix(loss=f"{np.mean(losses[-20:]):.4f}", digits=max_digits(cfg, i))
    if rec is not None:
        rec(model, cfg.steps, float(np.mean(losses[-20:])))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if bar is not None:
        bar.close()
    model.eval()
    return Result(model, losses, wall, cpu, rec.seconds if rec else 0.0, cfg.steps, threads, rec)


def calibrate(model: Listener, cfg: TrainConfig) -> tuple[Listener, dict]:
    """Fit the temperature and the unsure threshold on validation; returns the model with them
    in its config, and the validation rows' metrics."""
    rows = decode(model, S.eval_set("val", "mixed", 400))
    T = fit_temperature(rows)
    below = choose_threshold(rows, T)
    model.cfg = replace(model.cfg, temperature=T, unsure_below=below)
    return model, {"metrics": metrics(rows), "temperature": T, "unsure_below": below,
                   "flag": flag_stats(rows, T, below), "flag_uncalibrated": flag_stats(rows, 1.0, below)}


def card(res: Result, variant: str, cfg: TrainConfig, test: dict, cal: dict, flag: dict) -> dict:
    m = res.model
    v = VARIANTS[variant]
    return {
        "task": "spoken digit strings (FSDD + eSpeak NG) -> digits; Listen, Attend and Spell",
        "variant": variant, "label": v.label, "attention": dict(v.attend), "paper": v.paper,
        "config": m.card_config(),
        "data": S.recipe(),
        "training": {
            "command": f"python -m training listen --variant {variant} --steps {res.steps} --seed {cfg.seed}"
                       + (f" --size {cfg.size}" if cfg.size != "base" else ""),
            "size": cfg.size, "vtlp_warp": list(cfg.warp), "spec_augment": {
                "freq_masks": list(cfg.freq_masks), "time_masks": list(cfg.time_masks)},
            "seed": cfg.seed, "steps": res.steps, "batch_size": cfg.batch, "optimizer": "Adam",
            "learning_rate": cfg.lr, "schedule": "cosine to 5%", "grad_clip": cfg.clip,
            "curriculum": [list(c) for c in cfg.curriculum],
            "mix": {"fsdd": cfg.p_fsdd, "repeated": cfg.p_repeated, "run": cfg.p_run},
            "wall_time_s": round(res.wall, 1), "cpu_time_s": round(res.cpu, 1),
            "replay_cpu_s": round(res.replay_cpu, 1),
            "train_cpu_s": round(res.cpu - res.replay_cpu, 1), "threads": res.threads,
            "parameters": common.param_count(m),
            "final_loss": round(float(np.mean(res.losses[-50:])), 5),
            "environment": common.environment(res.threads),
        },
        "test": test,
        "calibration": cal,
        "unsure_flag_heldout": flag,
        "check": {"set": "heldout/4", "n": eval_size(cfg, "4"), "exact": test["heldout"]["4"]["exact"],
                  "rule": "training.speech.eval_set('heldout', '4', n) with its default seed"},
        "metrics": "greedy decoding of the recording as the page hears it (trimmed, 8 kHz log-mel); "
                   "exact = all digits right; der = edit distance / digits; peak_in_span = share of "
                   "digits (in correctly read strings) whose attention peak is within 80 ms of the "
                   "digit's true span",
    }


def write_clips(folder: Path = CLIPS_DIR) -> list[dict]:
    """Write the shipped test clips (held-out speaker, FSDD CC BY-SA 4.0) as 16-bit WAV and
    their manifest ``clips.json`` (digits, spans in seconds, the FSDD takes used)."""
    import wave as W
    folder.mkdir(parents=True, exist_ok=True)
    extra = (("zeros", "000"), ("two", "42"), ("five", "86420"), ("run", "1992"), ("nine", "7"))
    items = []
    for name, digits in LESSONS + extra:
        u = lesson_utterance(digits)
        pcm = np.clip(np.round(u.wave * 32767), -32768, 32767).astype("<i2")
        path = folder / f"fsdd_{S.TEST_SPEAKER}_{digits}.wav"
        with W.open(str(path), "wb") as f:
            f.setnchannels(1)
            f.setsampwidth(2)
            f.setframerate(A.RATE)
            f.writeframes(pcm.tobytes())
        items.append({"file": path.name, "digits": digits, "lesson": name, "speaker": S.TEST_SPEAKER,
                      "spans_s": [[round(a / A.RATE, 4), round(b / A.RATE, 4)] for a, b in u.spans],
                      "fsdd_files": u.info["files"]})
    text = json.dumps({"attribution": S.ATTRIBUTION, "license": "CC BY-SA 4.0",
                       "made_by": "python -m training listen --clips (FSDD takes trimmed, joined "
                                  "with silent pauses)", "clips": items}, indent=1)
    (folder / "clips.json").write_text(text + "\n", encoding="utf-8")
    return items


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training listen",
                                 description="Train the spoken-digit listeners (one per attention type).")
    ap.add_argument("--variant", default="all", choices=["all", *VARIANTS])
    ap.add_argument("--steps", type=int, default=None, help="default: per variant, see STEPS")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--size", default="base", choices=list(SIZES))
    ap.add_argument("--out", default=str(WEIGHTS_DIR))
    ap.add_argument("--clips", action="store_true", help="only write the shipped test clips")
    ap.add_argument("--no-replay", action="store_true", help="do not record a replay")
    args = ap.parse_args(argv)
    try:
        S.load_fsdd()
    except S.MissingData as e:
        print(str(e), file=sys.stderr)
        return 2
    if args.clips:
        for c in write_clips():
            print(c["file"], c["digits"])
        return 0
    variants = list(VARIANTS) if args.variant == "all" else [args.variant]
    for v in variants:
        cfg = TrainConfig(steps=args.steps or STEPS[v], seed=args.seed, threads=args.threads,
                          size=args.size)
        res = train(v, cfg, record=not args.no_replay)
        model, cal = calibrate(res.model, cfg)
        test, rows = evaluate(model, cfg)
        flag = flag_stats(rows[("heldout", "mixed")], model.cfg.temperature, model.cfg.unsure_below)
        c = card(res, v, cfg, test, cal, flag)
        stem = Path(args.out) / v
        st, js = common.save(stem, model.state_dict(), c)
        if res.recorder is not None:
            res.recorder.save(stem, v)
        print(f"{v}: held-out speaker exact 4-digit {test['heldout']['4']['exact']:.3f}, repeated "
              f"{test['heldout']['repeated']['exact']:.3f}, long {test['heldout']['long']['exact']:.3f}; "
              f"unseen voices 4-digit {test['unseen']['4']['exact']:.3f}; {res.cpu:.0f} s CPU "
              f"({res.wall:.0f} s wall), {st.stat().st_size / 1e6:.2f} MB -> {st}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
