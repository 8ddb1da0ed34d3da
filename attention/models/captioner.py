"""Show, Attend and Tell (Xu et al. 2015) on handwritten digit strings.

A small CNN turns a ``32 x 96`` image into a ``4 x 12`` grid of feature vectors ``a_i``
(``i = row * 12 + col``), to which a learned position embedding ``P_i`` (one vector per cell) is
added, so a cell's feature also says where it is; a GRU decoder emits one digit per step and,
at every step, attends over the grid through :func:`attention.attend`:

    alpha_t = attend(h_{t-1}, a)          # (B, 1, 48) weights over the cells
    beta_t  = sigmoid(f_beta(h_{t-1}))    # soft and local: the gate, how much context to let in
    z_t     = beta_t sum_i alpha_ti a_i   # context
    h_t     = GRU([E y_{t-1}, z_t], h_{t-1})
    p(y_t)  = softmax(L_o tanh(L_h h_t + L_z z_t + E y_{t-1}) / T)

``T`` is a temperature fitted after training on validation strings (calibration): the
probabilities a page shows, and its "unsure" flag, are the calibrated ones; the arg-max, and so
the caption, does not depend on it.  The gate ``beta`` is Xu et al.'s sec. 4.2.1 for the
deterministic (soft) attention, used here by the soft and local models; the hard model has
none, as in the paper's sec. 4.1 (its context is the one cell it reads).

Scores are Bahdanau's additive ``e_ti = v^T tanh(W1 h_{t-1} + W2 a_i)``.  One class,
three attention variants (:data:`VARIANTS`, ``CaptionConfig.variant``):

* ``soft``:  ``normalization="soft"``, global scope: alpha = softmax(e).
* ``hard``:  stochastic hard attention.  Training samples ONE cell per step,
  ``s_t ~ Multinomial(alpha_t)`` (``normalization="hard_sampled"``), and learns the
  attention by REINFORCE with a moving-average baseline and an entropy bonus, using
  ``result.probs`` (the soft alpha the one-hot was drawn from) for ``log p(s_t)``; the reward
  of the cell read at step t is the log-likelihood of every digit from step t on (reward-to-go:
  that cell changes all later steps through the decoder state).
  Test time: the arg-max cell (``normalization="hard"``); :meth:`Captioner.decode`
  with ``sample=True`` draws seeded samples instead.
* ``local_p_2d``: 2-D local-p.  A predicted centre ``p_t = (h-1, w-1) * sigmoid(v_p^T tanh(W_p h_{t-1}))``
  (row, col; :func:`attention.masks.predict_positions`, the one p_t of the core) is passed as
  ``positions`` with ``scope="local_p", grid=(4, 12), window=D``:
  attention is the softmax over the cells within Chebyshev distance D of p_t, times the
  Gaussian ``exp(-|cell - p_t|^2 / (2 (D/2)^2))`` (Luong's local-p on a grid), so cells
  outside the window get exactly 0 and a row sums to at most 1.

The doubly-stochastic regularizer of Xu et al. (``lambda sum_i (1 - sum_t alpha_ti)^2``)
is NOT used: the grid has 48 cells, a caption at most 7 steps, and most cells are
blank background, so asking every cell to receive a total attention of 1 contradicts
the task.

Every map the decoder returns is ``result.weights`` of the very ``attend`` call that
made the context used for that step.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

import numpy as np

from ..functional import AttentionResult, attend, one_of
from ..masks import predict_positions
from .variants import Variant, Variants

_ADD = r"e_{ti} = v^{\top}\tanh(W_1 h_{t-1} + W_2 a_i)"
#: The captioners trained here, one per attention type (the page, cards, tests and training
#: derive from this list).
VARIANTS = Variants("caption", [
    Variant("soft", "Soft",
            attend=dict(score="additive", scope="global", normalization="soft"),
            description="Soft attention: a softmax over all 48 cells; the context is their "
                        "weighted mean.",
            paper="Xu et al. 2015, sec. 4.2 (deterministic soft attention) with the gate β of sec. 4.2.1",
            caption="Where the soft model looked for each digit: α = softmax of the scores over all "
                    "48 cells of the 4 × 12 feature grid (each map sums to 1).",
            formula=_ADD + r",\ \ \alpha_t = \mathrm{softmax}(e_t),\ \ \beta_t = \sigma(f_\beta(h_{t-1})),\ \ "
                    r"z_t = \beta_t \textstyle\sum_i \alpha_{ti} a_i",
            extra=dict(gate=True)),
    Variant("hard", "Hard (stochastic)",
            attend=dict(score="additive", scope="global", normalization="hard"),
            description="Hard attention: one cell per digit, sampled from the softmax in training "
                        "(REINFORCE), the arg-max at test time.",
            paper="Xu et al. 2015, sec. 4.1 (stochastic hard attention; no gate β: the paper adds it "
                  "to the soft model only, and the context here is the one cell read)",
            caption="Hard attention reads ONE cell per digit: the coloured cell (★) is the one it "
                    "used, weight 1 (the arg-max of α); pink rings = cells drawn by the stochastic "
                    "samples (×count). Choose “α” above to see the distribution the cell is drawn from.",
            formula=_ADD + r",\ \ s_t \sim \mathrm{Multinomial}(\alpha_t)\ \text{(training)},\ \ "
                    r"s_t = \arg\max_i \alpha_{ti}\ \text{(test)},\ \ z_t = a_{s_t}",
            extra=dict(train_normalization="hard_sampled", gate=False)),
    Variant("local_p_2d", "Local 2-D (local-p)",
            attend=dict(score="additive", scope="local_p", normalization="soft"),
            description="Local attention on the grid: a predicted centre p_t and a window of "
                        "Chebyshev radius D around it, weighted by a 2-D Gaussian.",
            paper="Luong et al. 2015 local-p (eq. 9-10), on a 2-D grid, with Xu et al.'s gate β",
            caption="Local attention: × the predicted centre p, dashed = the window (cells within "
                    "{window} rows and columns of p); cells outside get exactly 0.",
            formula=r"p_t = (h-1, w-1)\,\mathrm{sigmoid}(v_p^{\top}\tanh(W_p h_{t-1})),\ \ "
                    r"\alpha_{ti} = \mathrm{softmax}_{\max|i - p_t| \le D}(e_{ti})\, "
                    r"e^{-\lVert i - p_t \rVert^2 / 2\sigma^2},\ \sigma = D/2,\ \ "
                    r"z_t = \beta_t \textstyle\sum_i \alpha_{ti} a_i",
            extra=dict(gate=True)),
])
N_DIGITS = 10
END = 10            # token "end of string"
START = 11          # input token of the first step (never emitted)
N_OUT = 11          # 10 digits + END
WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "weights" / "caption"
#: The test images the page offers (written by ``python -m training caption --test-images``).
TEST_IMAGES = WEIGHTS_DIR / "test_images.npz"
#: The order a caption lists the digits in; one set of models per order (same architecture):
#: "left_to_right" as written, "largest_first" from the largest digit to the smallest (ties in
#: any order), so the attention has to jump along the string instead of sweeping it.
ORDERS = ("left_to_right", "largest_first")


@dataclass(frozen=True)
class CaptionConfig:
    """Architecture (stored in the JSON card; :func:`load` rebuilds the model from it)."""
    variant: str = "soft"
    img: tuple[int, int] = (32, 96)        # input (H, W)
    grid: tuple[int, int] = (4, 12)        # feature grid (h, w) = img / 8
    channels: tuple[int, ...] = (32, 64, 64, 96)
    d_feat: int = 96                       # D: feature size of a cell
    d_emb: int = 32
    d_hid: int = 128
    d_att: int = 64
    window: int = 2                        # local_p_2d: D (Chebyshev radius, Gaussian sigma = D/2)
    max_steps: int = 7                     # 6 digits + END
    gate: bool = False                     # Xu et al.'s beta_t = sigmoid(f_beta(h_{t-1})) on the context

    def __post_init__(self):
        one_of("variant", self.variant, VARIANTS.names())


@dataclass
class Decoded:
    """Greedy decoding of a batch (T = steps run, N = h*w cells).

    tokens:     ``(B, T)`` int64: digits 0..9, END = 10, -1 after END.
    lengths:    ``(B,)`` digits emitted before END (max_steps if END never came).
    finished:   ``(B,)`` bool: END was emitted.
    weights:    ``(B, T, N)`` the attention weights used at each step.
    scores:     ``(B, T, N)`` raw scores e_ti.
    probs:      ``(B, T, 11)`` softmax over the output tokens.
    confidence: ``(B, T)`` probability of the emitted token.
    centres:    ``(B, T, 2)`` local_p_2d: the window centres (row, col); else None.
    cells:      ``(B, T)`` hard: the attended cell (arg-max or sampled); else None.
    attn_probs: ``(B, T, N)`` hard: the soft distribution the cell is taken from; else None.
    mask:       ``(B, T, N)`` bool, the cells in scope (all True for soft and hard).
    gaussian:   ``(B, T, N)`` local_p_2d: the Gaussian factor ``exp(-|cell - p_t|^2 / 2 (D/2)^2)``; else None.
    beta:       ``(B, T)`` the gate beta_t on the context (models with ``gate``); else None.
    """
    tokens: torch.Tensor
    lengths: torch.Tensor
    finished: torch.Tensor
    weights: torch.Tensor
    scores: torch.Tensor
    probs: torch.Tensor
    confidence: torch.Tensor
    centres: Optional[torch.Tensor] = None
    cells: Optional[torch.Tensor] = None
    attn_probs: Optional[torch.Tensor] = None
    mask: Optional[torch.Tensor] = None
    gaussian: Optional[torch.Tensor] = None
    beta: Optional[torch.Tensor] = None

    def caption(self, b: int = 0) -> str:
        """Digits of item ``b`` separated by spaces, e.g. ``"2 0 2 6"``."""
        return " ".join(str(int(t)) for t in self.tokens[b, : int(self.lengths[b])])


class Captioner(nn.Module):
    """CNN encoder + attending GRU decoder.  See the module docstring."""

    def __init__(self, cfg: CaptionConfig = CaptionConfig()):
        super().__init__()
        self.cfg = cfg
        # conv3x3 stride 2 + pool -> 8x24, conv + pool -> 4x12, two more convs at 4x12
        # (receptive field 49 px, a cell is 8x8 px), then a 1x1 conv to D.
        layers, cin = [], 1
        for i, cout in enumerate(cfg.channels):
            layers += [nn.Conv2d(cin, cout, 3, stride=2 if i == 0 else 1, padding=1, bias=False),
                       nn.BatchNorm2d(cout), nn.ReLU()]
            if i < 2:
                layers.append(nn.MaxPool2d(2))                   # 16x48 -> 8x24 -> 4x12
            cin = cout
        layers += [nn.Conv2d(cin, cfg.d_feat, 1)]
        self.cnn = nn.Sequential(*layers)
        h, w = cfg.grid
        self.pos = nn.Parameter(torch.randn(h * w, cfg.d_feat) * 0.1)   # learned cell embedding
        self.init_h = nn.Linear(cfg.d_feat, cfg.d_hid)
        self.W1 = nn.Parameter(torch.randn(cfg.d_att, cfg.d_hid) / cfg.d_hid ** 0.5)
        self.W2 = nn.Parameter(torch.randn(cfg.d_att, cfg.d_feat) / cfg.d_feat ** 0.5)
        self.v = nn.Parameter(torch.randn(cfg.d_att) / cfg.d_att ** 0.5)
        if VARIANTS[cfg.variant].scope == "local_p":
            self.W_p = nn.Linear(cfg.d_hid, cfg.d_att)
            self.v_p = nn.Linear(cfg.d_att, 2)
        self.emb = nn.Embedding(START + 1, cfg.d_emb)
        self.gru = nn.GRUCell(cfg.d_emb + cfg.d_feat, cfg.d_hid)
        self.L_h = nn.Linear(cfg.d_hid, cfg.d_emb)
        self.L_z = nn.Linear(cfg.d_feat, cfg.d_emb)
        self.L_o = nn.Linear(cfg.d_emb, N_OUT)
        if cfg.gate:
            self.f_beta = nn.Linear(cfg.d_hid, 1)
        # the softmax temperature T, fitted on validation strings after training (calibration)
        self.register_buffer("temperature", torch.ones(()))

    # ------------------------------------------------------------ pieces
    def encode(self, images: torch.Tensor) -> torch.Tensor:
        """images ``(B, 1, 32, 96)`` (ink = 1) -> cell features ``a`` ``(B, h*w, D)``: the CNN's
        features plus the learned position embedding ``P`` ``(h*w, D)`` of each cell."""
        f = self.cnn(images)                                     # (B, D, h, w)
        B, D, h, w = f.shape
        return f.flatten(2).transpose(1, 2) + self.pos           # (B, h*w, D)

    def start(self, a: torch.Tensor) -> torch.Tensor:
        """Initial state ``h_0 = tanh(W mean_i a_i)``: ``(B, N, D) -> (B, d_hid)``."""
        return torch.tanh(self.init_h(a.mean(1)))

    def centre(self, h: torch.Tensor) -> torch.Tensor:
        """local_p_2d: window centre (row, col) ``(B, 2)`` in ``[0, h-1] x [0, w-1]`` from
        ``h (B, d_hid)``: the core's one p_t (:func:`attention.masks.predict_positions`), with
        the biases these models learn."""
        gh, gw = self.cfg.grid
        return predict_positions(h, gh * gw, self.W_p.weight, self.v_p.weight.T, self.cfg.grid,
                                 b_p=self.W_p.bias, b_v=self.v_p.bias)          # (B, 2)

    def attend_step(self, h: torch.Tensor, a: torch.Tensor, *, sample: bool = False,
                    seed: int = 0) -> AttentionResult:
        """One attention step through :func:`attention.attend`.

        h: ``(B, d_hid)`` decoder state; a: ``(B, N, D)`` cells.  The batch is the leading
        axis of the 3-D inputs: query ``(B, 1, d_hid)``, keys = values = ``a``.
        Returns the AttentionResult: weights ``(B, 1, N)``, output (context) ``(B, 1, D)``;
        ``probs`` for hard, ``positions (B, 1, 2)`` and ``gaussian`` for local.
        ``sample`` (hard only) draws the cell with ``seed`` instead of taking the arg-max.
        """
        cfg = self.cfg
        var = VARIANTS[cfg.variant]
        q = h.unsqueeze(1)                                       # (B, 1, d_hid)
        kw = dict(var.attend, additive=(self.W1, self.W2, self.v))
        if var.hard:
            kw.update(normalization=var.get("train_normalization") if sample else var.attend["normalization"],
                      seed=int(seed))
        if var.windowed:
            kw.update(grid=cfg.grid, window=cfg.window,
                      positions=self.centre(h).unsqueeze(1))     # (B, 1, 2)
        return attend(q, a, a, **kw)

    def gate(self, h: torch.Tensor) -> Optional[torch.Tensor]:
        """beta_t = sigmoid(f_beta(h_{t-1})) ``(B, 1)`` from ``h (B, d_hid)``; None without a gate."""
        return torch.sigmoid(self.f_beta(h)) if self.cfg.gate else None

    def step_out(self, h: torch.Tensor, z: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        """Deep output: logits ``(B, 11)`` from h ``(B, d_hid)``, z ``(B, D)``, E y ``(B, d_emb)``."""
        return self.L_o(torch.tanh(self.L_h(h) + self.L_z(z) + e))

    # ------------------------------------------------------------ training pass
    def forward(self, images: torch.Tensor, targets: torch.Tensor, *, sample_seed: Optional[int] = None,
                expected: Optional[torch.Tensor] = None):
        """Teacher-forced pass.

        images: ``(B, 1, 32, 96)``; targets ``(B, T)`` int64 (digits, END, then any padding).
        ``sample_seed`` (hard, training): sample cells with seeds ``sample_seed * 64 + t``.
        ``expected`` (hard, training): ``(B,)`` bool, images whose context is the expected
        one ``sum_i alpha_i a_i`` (``result.probs @ a``) instead of the sampled cell -- Xu et
        al.'s variance reduction ("with probability 0.5 ... set the sampled attention
        location to its expected value").
        Returns logits ``(B, T, 11)`` (not divided by the temperature), weights ``(B, T, N)``
        and, for hard, the sampled
        cells' log-probabilities ``(B, T)`` and the entropies of alpha ``(B, T)``.
        """
        a = self.encode(images)                                  # (B, N, D)
        h = self.start(a)                                        # (B, d_hid)
        B, T = targets.shape
        prev = torch.full((B,), START, dtype=torch.long)
        logits, weights, logp, ent = [], [], [], []
        for t in range(T):
            r = self.attend_step(h, a, sample=sample_seed is not None,
                                 seed=0 if sample_seed is None else sample_seed * 64 + t)
            z = r.output[:, 0]                                   # (B, D)
            if expected is not None and r.probs is not None:
                z_exp = (r.probs @ a)[:, 0]                      # (B, D) expected context
                z = torch.where(expected[:, None], z_exp, z)
            beta = self.gate(h)                                  # (B, 1) or None
            if beta is not None:
                z = beta * z
            e = self.emb(prev)                                   # (B, d_emb)
            h = self.gru(torch.cat([e, z], -1), h)               # (B, d_hid)
            logits.append(self.step_out(h, z, e))
            weights.append(r.weights[:, 0])
            if r.probs is not None:
                pr = r.probs[:, 0]                               # (B, N)
                logp.append((pr.clamp_min(1e-12).log() * r.weights[:, 0]).sum(-1))   # log p(s_t)
                ent.append(-(pr * pr.clamp_min(1e-12).log()).sum(-1))
            prev = targets[:, t].clamp(0, END)
        out = {"logits": torch.stack(logits, 1), "weights": torch.stack(weights, 1)}
        if logp:
            out["logp"] = torch.stack(logp, 1)
            out["entropy"] = torch.stack(ent, 1)
        return out

    # ------------------------------------------------------------ greedy decoding
    @torch.no_grad()
    def decode(self, images: torch.Tensor, *, sample: bool = False, seed: int = 0,
               max_steps: Optional[int] = None) -> Decoded:
        """Greedy decoding (the most probable token each step) of ``images (B, 1, 32, 96)``.

        Hard attention takes the arg-max cell, or with ``sample=True`` a cell drawn from
        alpha_t with seed ``seed * 64 + t`` (same seed, same samples).
        Returns :class:`Decoded`; ``weights[b, t]`` is exactly the ``attend`` result used.
        """
        was = self.training
        self.eval()
        T = max_steps or self.cfg.max_steps
        a = self.encode(images)                                  # (B, N, D)
        h = self.start(a)
        B = a.shape[0]
        prev = torch.full((B,), START, dtype=torch.long)
        alive = torch.ones(B, dtype=torch.bool)
        lengths = torch.zeros(B, dtype=torch.long)
        rec = {k: [] for k in ("tokens", "weights", "scores", "probs", "centres", "cells", "ap",
                               "mask", "gauss", "beta")}
        for t in range(T):
            r = self.attend_step(h, a, sample=sample, seed=seed * 64 + t)
            z = r.output[:, 0]                                   # (B, D)
            beta = self.gate(h)                                  # (B, 1) or None
            if beta is not None:
                z = beta * z
                rec["beta"].append(beta[:, 0])
            e = self.emb(prev)
            h = self.gru(torch.cat([e, z], -1), h)
            p = F.softmax(self.step_out(h, z, e) / self.temperature, -1)   # (B, 11), calibrated
            tok = p.argmax(-1)                                   # (B,)
            rec["tokens"].append(torch.where(alive, tok, torch.full_like(tok, -1)))
            rec["weights"].append(r.weights[:, 0])
            rec["scores"].append(r.scores[:, 0])
            rec["probs"].append(p)
            rec["mask"].append(r.mask.expand(B, 1, -1)[:, 0] if r.mask.ndim == 3
                               else r.mask.expand(B, -1))              # (B, N)
            if r.positions is not None:
                rec["centres"].append(r.positions[:, 0])
                rec["gauss"].append(r.gaussian[:, 0])
            if r.probs is not None:
                rec["cells"].append(r.weights[:, 0].argmax(-1))
                rec["ap"].append(r.probs[:, 0])
            lengths += (alive & (tok != END)).long()
            alive = alive & (tok != END)
            prev = tok
            if not alive.any():
                break
        self.train(was)
        tokens = torch.stack(rec["tokens"], 1)                  # (B, T)
        probs = torch.stack(rec["probs"], 1)                    # (B, T, 11)
        conf = probs.gather(-1, tokens.clamp_min(0).unsqueeze(-1))[..., 0]   # (B, T)
        st = lambda k: torch.stack(rec[k], 1) if rec[k] else None          # noqa: E731
        return Decoded(tokens=tokens, lengths=lengths, finished=~alive,
                       weights=torch.stack(rec["weights"], 1), scores=torch.stack(rec["scores"], 1),
                       probs=probs, confidence=conf, centres=st("centres"), cells=st("cells"),
                       attn_probs=st("ap"), mask=st("mask"), gaussian=st("gauss"), beta=st("beta"))


# ------------------------------------------------------------------ targets & saving
def targets_from(digits: torch.Tensor, lengths: torch.Tensor, T: int) -> torch.Tensor:
    """Decoder targets ``(B, T)``: the digits, END, then -1 (ignored).

    digits: ``(B, L)`` padded with -1; lengths ``(B,)``.
    """
    B, L = digits.shape
    out = torch.full((B, T), -1, dtype=torch.long)
    out[:, :L] = digits[:, :T]
    out[torch.arange(B), lengths] = END
    return out


def weights_dir(order: str = "left_to_right") -> Path:
    """The folder of the shipped models of caption ``order`` (see :data:`ORDERS`):
    ``weights/caption`` for left to right, ``weights/caption/<order>`` otherwise."""
    one_of("order", order, ORDERS)
    return WEIGHTS_DIR if order == "left_to_right" else WEIGHTS_DIR / order


def card_path(variant: str, root: Optional[Path] = None) -> tuple[Path, Path]:
    """``(weights .safetensors, card .json)`` paths of a variant (``root`` default: the
    left-to-right models' folder)."""
    d = Path(root) if root is not None else WEIGHTS_DIR
    return d / f"{variant}.safetensors", d / f"{variant}.json"


def in_order(digits: np.ndarray, order: str = "left_to_right") -> np.ndarray:
    """A caption's digits ``(..., L)`` (padded with -1) in caption ``order``: as written, or
    ``"largest_first"`` (sorted from the largest digit to the smallest, padding kept last)."""
    one_of("order", order, ORDERS)
    d = np.asarray(digits)
    return d if order == "left_to_right" else -np.sort(-d, axis=-1, kind="stable")


def test_images(order: str = "left_to_right", path: Optional[Path] = None) -> tuple[np.ndarray, tuple[str, ...]]:
    """The shipped test images ``(N, 32, 96)`` float32 in [0, 1] (ink = 1; read-only) and their
    true captions in ``order`` (``"4 0 7 2"``).  Written by training, never generated here."""
    with np.load(path or TEST_IMAGES) as z:
        imgs = z["images"].astype(np.float32) / 255.0                      # (N, H, W)
        digits = in_order(z["digits"].astype(np.int64), order)             # (N, L)
    imgs.flags.writeable = False
    return imgs, tuple(" ".join(str(int(x)) for x in row if x >= 0) for row in digits)


def test_image_info(path: Optional[Path] = None) -> tuple[tuple[str, ...], np.ndarray]:
    """What each shipped test image is (``"MNIST digits on a photo"``, ...) and whether it holds
    MNIST digits ``(N,)`` bool (those need the MNIST attribution wherever they are shown)."""
    with np.load(path or TEST_IMAGES) as z:
        n = len(z["images"])
        kinds = tuple(str(k) for k in z["kind"]) if "kind" in z.files else ("generated string",) * n
        mnist = z["mnist"].astype(bool) if "mnist" in z.files else np.zeros(n, bool)
    return kinds, mnist


#: How to credit MNIST wherever its digits are shown (CC BY-SA 3.0).
MNIST_CREDIT = ("MNIST digits: the MNIST database by Yann LeCun, Corinna Cortes and Christopher J. C. "
                "Burges, CC BY-SA 3.0")


def load(variant: str, root: Optional[Path] = None, order: str = "left_to_right") -> tuple[Captioner, dict]:
    """The shipped model of ``variant`` trained for caption ``order`` (eval mode) and its JSON
    card, read offline (from ``root`` if given)."""
    from safetensors.torch import load_file
    one_of("variant", variant, VARIANTS.names())
    wpath, cpath = card_path(variant, root if root is not None else weights_dir(order))
    card = json.loads(cpath.read_text())
    cfg = card["config"]
    cfg = CaptionConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()})
    model = Captioner(cfg)
    model.load_state_dict(load_file(str(wpath)))
    return model.eval(), card


def config_dict(cfg: CaptionConfig) -> dict:
    """JSON-able config."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(cfg).items()}
