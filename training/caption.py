"""Train the digit-string captioners (Show, Attend and Tell), one per attention type.

    python -m training caption --variant all        # soft, hard, local in turn
    python -m training caption --variant all --order largest_first   # largest digit first
    python -m training.caption --variant soft       # same, without the dispatcher

Deterministic by seed (data batch i = ``default_rng([seed, i])``, torch seeded, one
thread by default), CPU, a tqdm bar with the loss.  Writes
``weights/caption/<variant>.safetensors`` (``weights/caption/largest_first/...`` for the
largest-first captions) and a JSON card: data recipe, seed, steps,
wall time and threads, parameter count, test accuracy (exact string, per digit, on
4-digit strings) and the training settings.

Losses
  * soft / local: cross-entropy of the next token (teacher forcing), mean over tokens.
  * hard (Xu et al. 2015, sec. 4.1): the cross-entropy with the sampled contexts, plus
    REINFORCE on the sampled cells: ``- lambda_r (r_t - b_t) log p(s_t)`` with the reward
    ``r_t = log p(y_t | s_<=t)`` (the log-likelihood of the step's token; the paper uses
    the whole caption's) and a moving-average baseline ``b_t <- 0.9 b_t + 0.1 mean(r_t)``
    per step; minus ``lambda_e`` times the entropy of alpha_t.  As in the paper, half of
    the images (chosen by seed) use the expected context ``sum_i alpha_i a_i`` instead of
    the sampled cell; before that, the first 25 % of training uses the expected context for
    every image (a soft warm-up), and from 60 % to 85 % the share falls linearly to 0, so the
    last 15 % of training (and the test) uses sampled / arg-max cells only.
  No doubly-stochastic regularizer (see :mod:`attention.models.captioner`).
"""
from __future__ import annotations

import argparse
import math
import os
import time
import warnings
from dataclasses import dataclass, asdict
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn.functional as F

from attention.models.captioner import (END, ORDERS, TEST_IMAGES, VARIANTS, CaptionConfig, Captioner,
                                        card_path, config_dict, targets_from, weights_dir)
from training import common, digits as digit_data


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 2800
    batch: int = 64
    lr: float = 3e-3
    lr_final: float = 1e-4
    warmup: int = 50
    clip: float = 5.0
    weight_decay: float = 0.0
    lambda_r: float = 1.0          # hard: REINFORCE weight
    lambda_e: float = 0.01         # hard: entropy bonus
    baseline_decay: float = 0.9    # hard: b <- decay b + (1 - decay) mean(r)
    expected_share: float = 0.5    # hard: share of images using the expected context (Xu et al.)
    soft_warmup: float = 0.25      # hard: first share of training with the expected context only
    seed: int = 0
    order: str = "left_to_right"   # caption order (attention.models.captioner.ORDERS)
    threads: int = 1
    n_test: int = 2000
    n_test4: int = 1000


#: Settings used for the shipped weights (the CLI defaults); a variant not listed trains with
#: ``TrainConfig()``.
DEFAULTS: dict[str, TrainConfig] = {}


# ------------------------------------------------------------------ evaluation
def accuracy(model: Captioner, images: torch.Tensor, digits: torch.Tensor, lengths: torch.Tensor,
             batch: int = 500) -> dict:
    """Exact-string and per-digit accuracy of greedy decoding.

    Per digit: the share of true digits read correctly at their position
    (``pred[i] == true[i]``; a missing or extra digit counts as wrong for that position),
    ``sum_b #correct_b / sum_b len_b``.
    """
    exact = correct = 0
    for s in range(0, len(images), batch):
        d = model.decode(images[s:s + batch])
        L = digits.shape[1]
        T = d.tokens.shape[1]
        pred = torch.full((d.tokens.shape[0], max(L, T)), -1, dtype=torch.long)
        pred[:, :T] = torch.where(d.tokens == END, -1, d.tokens)
        true = torch.full_like(pred, -1)
        true[:, :L] = digits[s:s + batch]
        same_len = d.lengths == lengths[s:s + batch]
        match = (pred == true) | (true < 0)
        exact += int((same_len & d.finished & match.all(1)).sum())
        correct += int(((pred == true) & (true >= 0)).sum())
    n = len(images)
    return {"exact": exact / n, "per_digit": correct / int(lengths.sum()), "n": n}


def evaluate(model: Captioner, tc: TrainConfig, recipe: digit_data.Recipe = digit_data.Recipe()) -> dict:
    """Accuracy on the fixed test sets (test-pool digits only)."""
    mixed = accuracy(model, *digit_data.test_set(tc.n_test, recipe=recipe, order=tc.order))
    four = accuracy(model, *digit_data.test_set(tc.n_test4, n_digits=4, recipe=recipe, order=tc.order))
    return {"exact": mixed["exact"], "per_digit": mixed["per_digit"], "n_test": mixed["n"],
            "exact_4_digits": four["exact"], "per_digit_4_digits": four["per_digit"],
            "n_test_4_digits": four["n"],
            "test_sets": f"training.digit_data.test_set({tc.n_test}) (3-6 digits) and "
                         f"test_set({tc.n_test4}, n_digits=4); seed 12345; test-pool digits only; "
                         f"captions {tc.order}"}


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
    r = -nll.detach()                                                # (B, T) reward log p(y_t)
    sampled = valid & ~expected[:, None]                             # (B, T)
    mean_r = (r * sampled).sum(0) / sampled.sum(0).clamp_min(1)      # (T,) baseline target
    if step == 0:
        baseline.copy_(mean_r)                                       # start the average at the first batch
    adv = (r - baseline) * sampled                                   # (B, T) sampled images only
    reinforce = -(adv * out["logp"]).sum() / valid.sum()
    entropy = (out["entropy"] * valid).sum() / valid.sum()
    with torch.no_grad():
        seen = sampled.any(0)                                        # (T,) steps with a sample
        baseline[seen] = tc.baseline_decay * baseline[seen] + (1 - tc.baseline_decay) * mean_r[seen]
    log.update(entropy=float(entropy))
    return ce + tc.lambda_r * reinforce - tc.lambda_e * entropy, log


def train(variant: str, tc: Optional[TrainConfig] = None, *, recipe: digit_data.Recipe = digit_data.Recipe(),
          out_dir: Optional[Path] = None, progress: bool = True, do_eval: bool = True,
          save: bool = True) -> tuple[Captioner, dict]:
    """Train one variant; returns ``(model, card)`` and, with ``save``, writes the weights
    and card to ``out_dir`` (default: ``attention.models.captioner.weights_dir(tc.order)``)."""
    tc = tc or DEFAULTS[variant]
    threads = common.set_threads(tc.threads)
    torch.manual_seed(tc.seed)
    cfg = CaptionConfig(variant=variant)
    model = Captioner(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=tc.lr, weight_decay=tc.weight_decay)
    baseline = torch.zeros(cfg.max_steps) if VARIANTS[variant].hard else None
    losses = []
    t0, c0, load0 = time.perf_counter(), time.process_time(), os.getloadavg()[0]
    bar = common.progress(tc.steps, f"caption/{tc.order}/{variant}") if progress else None
    # attend's finiteness check calls float() on the (grad-carrying) query: harmless warning
    warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad")
    for step in range(tc.steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, tc)
        images, digits, lengths = digit_data.train_batch(step, tc.batch, tc.seed, recipe, tc.order)
        loss, log = loss_on(model, images, digits, lengths, step, tc, baseline)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), tc.clip)
        opt.step()
        losses.append(log["ce"])
        if bar is not None:
            bar.update()
            if step % 10 == 0:
                bar.set_postfix({k: f"{v:.3f}" for k, v in log.items()})
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if bar is not None:
        bar.close()
    model.eval()
    card = make_card(variant, model, cfg, tc, recipe, threads, losses,
                     timing={"wall_seconds": round(wall, 1),
                             # CPU seconds of this process: the wall time on an otherwise idle core
                             "cpu_seconds": round(cpu, 1),
                             "load_average": [round(load0, 2), round(os.getloadavg()[0], 2)]})
    if do_eval:
        card["test"] = evaluate(model, tc, recipe)
        card["test"]["per_digit_definition"] = ("share of true digits read correctly at their "
                                                "position; a missing or extra digit is wrong")
    if save:
        save_model(model, card, out_dir if out_dir is not None else weights_dir(tc.order))
    return model, card


def make_card(variant: str, model: Captioner, cfg: CaptionConfig, tc: TrainConfig, recipe: digit_data.Recipe,
              threads: int, losses: list, timing: dict) -> dict:
    """The JSON card of a trained model (before its test results): what it is, its data recipe,
    seed, steps and ``timing`` (wall / CPU seconds, load average)."""
    return {
        "task": {"left_to_right": "read a handwritten digit string (3-6 digits) left to right",
                 "largest_first": "list the digits of a handwritten digit string (3-6 digits) from "
                                  "the largest to the smallest"}[tc.order],
        "order": tc.order,
        "variant": variant,
        "model": "CNN encoder (4x12 cell grid) + GRU decoder attending through attention.attend "
                 "(additive score); Show, Attend and Tell (Xu et al. 2015)",
        "attention": VARIANTS[variant].description + (
            " REINFORCE with a moving-average baseline per step and an entropy bonus; expected "
            "context for all images in the first 25% of steps, for half of them until 60%, none "
            "after 85%, as in Xu et al.'s variance reduction." if VARIANTS[variant].hard else "")
            + (f" D={cfg.window}." if VARIANTS[variant].windowed else ""),
        "paper": VARIANTS[variant].paper,
        "doubly_stochastic_regularizer": False,
        "config": config_dict(cfg),
        "params": common.param_count(model),
        "data": {"source": "sklearn.datasets.load_digits (1,797 8x8 images, bundled)",
                 "split": "source images split once into disjoint train/test pools "
                          f"(test_fraction={recipe.test_fraction}, split_seed={recipe.split_seed}, "
                          "stratified by digit)",
                 "recipe": recipe.to_dict(),
                 "train_strings": tc.steps * tc.batch},
        "training": {**asdict(tc), **timing,
                     "environment": common.environment(threads),
                     "final_ce": float(np.mean(losses[-50:])),
                     "first_ce": float(np.mean(losses[:10]))},
        "command": f"python -m training caption --variant {variant} --order {tc.order}",
    }


def save_model(model: Captioner, card: dict, out_dir: Optional[Path] = None) -> tuple[Path, Path]:
    """Write ``<variant>.safetensors`` and ``<variant>.json`` (``training.common.save``) into
    ``out_dir`` (default: the left-to-right models' folder)."""
    wpath, _ = card_path(model.cfg.variant, out_dir)
    paths = common.save(wpath.with_suffix(""), model.state_dict(), card)
    for p in paths:
        os.chmod(p, 0o644)          # readable by the app's user (safetensors writes 0600)
    return paths


def export_test_images(n: int = 100, seed: int = 2024, path: Optional[Path] = None) -> Path:
    """Write the test images the page offers (``attention.models.captioner.TEST_IMAGES``):
    ``n`` strings from the test pool only, images as uint8 ``(n, 32, 96)`` (ink = 255) and the
    digits as written ``(n, 6)`` (-1 padding).  The app reads this file; it never generates."""
    x, d, _ = digit_data.test_set(n, seed=seed)
    path = Path(path) if path is not None else TEST_IMAGES
    path.parent.mkdir(parents=True, exist_ok=True)
    imgs = np.clip(np.round(x[:, 0].numpy() * 255), 0, 255).astype(np.uint8)          # (n, H, W)
    written = np.full((n, digit_data.MAX_DIGITS), -1, dtype=np.int8)
    written[:, :d.shape[1]] = d.numpy()
    np.savez_compressed(path, images=imgs, digits=written,
                        source=np.array(f"training.digits.test_set(n={n}, seed={seed}): "
                                        "scikit-learn's digits, test pool"))
    os.chmod(path, 0o644)
    return path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training caption",
                                 description="Train the digit-string captioners (soft, hard, local).")
    ap.add_argument("--variant", default="all", choices=("all",) + VARIANTS.names())
    ap.add_argument("--order", default="left_to_right", choices=("all",) + ORDERS,
                    help="caption order: as written, or largest digit first")
    ap.add_argument("--steps", type=int, default=None, help="override the number of steps")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default 1)")
    ap.add_argument("--out", type=Path, default=None,
                    help="output folder (default weights/caption[/<order>])")
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--test-images", action="store_true",
                    help="only (re)write the page's test images (weights/caption/test_images.npz)")
    a = ap.parse_args(argv)
    if a.test_images:
        print(f"wrote {export_test_images()}")
        return 0
    for order, v in [(o, v) for o in (ORDERS if a.order == "all" else (a.order,))
                     for v in (VARIANTS.names() if a.variant == "all" else (a.variant,))]:
        over = {k: val for k, val in (("steps", a.steps), ("seed", a.seed), ("threads", a.threads))
                if val is not None}
        tc = TrainConfig(**{**asdict(DEFAULTS.get(v, TrainConfig())), **over, "order": order})
        _, card = train(v, tc, out_dir=a.out, save=not a.no_save)
        t = card.get("test", {})
        print(f"{order}/{v}: exact {t.get('exact', float('nan')):.4f}  per digit "
              f"{t.get('per_digit', float('nan')):.4f}  4-digit exact "
              f"{t.get('exact_4_digits', float('nan')):.4f}  ({card['training']['wall_seconds']} s wall, "
              f"{card['training']['cpu_seconds']} s CPU, "
              f"{card['training']['environment']['threads']} thread(s), {card['params']} params)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
