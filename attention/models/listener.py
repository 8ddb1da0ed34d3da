"""Listen, Attend and Spell on spoken digit strings, one model per attention type.

Trained by ``python -m training listen`` on digit strings spoken by four FSDD speakers and many
eSpeak NG voices (:mod:`training.speech`); judged on a fifth speaker and on voices it never
heard.  Shapes: B batch, N feature frames (100 / s), S encoder frames (25 / s, the keys), T
output steps, M mel bands, dk = 2 He (bidirectional encoder states = keys = values), Hd
decoder state, d_a attention width, n_f location filters of width r.

Listener (encoder):  log-mel ``(B, N, M)`` -> conv (k5, stride 2) -> conv (k5, stride 2) ->
conv (k3) -> a bidirectional GRU -> ``h (B, S, dk)``, one key per 40 ms.

Speller (decoder, Chorowski et al. 2015's attention-based recurrent sequence generator):
    alpha_t = attend(s_{t-1}, h)                      (B, 1, S): the one attention step
    c_t     = sum_j alpha_tj h_j
    s_t     = GRU([E y_{t-1}; c_t], s_{t-1})
    p(y_t)  = softmax(W_o tanh(W_c [s_t; c_t]))       10 digits + end
It starts from a learned constant state, so everything it knows about the recording passes
through the attention weights: the map the page draws is the only path from sound to digits.

Variants (:data:`VARIANTS`), every one through :func:`attention.attend`:

=========  ============================================================================
content    ``score="additive"``: ``e_tj = v^T tanh(W_1 s_{t-1} + W_2 h_j)`` -- content only
location   ``score="location"``: ``+ U f_tj`` with ``f_t = F * alpha_{t-1}`` (Chorowski eq.
           5-9): the score sees where the previous step looked (prev = alpha_{t-1})
windowed   ``score="additive", scope="local", window=D, positions=c_t``: only keys with
           ``|j - c_t| <= D``, the centre moving forward from the previous alignment:
           ``c_t = m_{t-1} + SHIFT``, ``m_{t-1} = sum_j j alpha_{t-1,j}`` (its mean position),
           clamped to the recording's last frame
=========  ============================================================================

Before the first step the "previous alignment" is a one-hot on frame 0 (the start), so the
location features and the window both begin at the start of the recording.

:meth:`Listener.transcribe` reads a float32 wave at any sample rate and returns a
:class:`Transcription`: the digits, the weights ``(T, S)`` of the very ``attend`` calls that made
the contexts, their scores, the previous alignments, the calibrated probability of each digit
(temperature scaling fitted on validation) and the frame times in the recording.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as TF

from . import audio as A
from ..functional import AttentionResult, attend
from ..scores import SCORES, location_features
from .files import read_trained
from .variants import Variant, Variants

WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "weights" / "listen"
CLIPS_DIR = Path(__file__).resolve().parents[2] / "assets" / "audio"
END = 10            # token "end of string"
START = 11          # input token of the first step (never emitted)
N_OUT = 11          # 10 digits + END
TOKENS = tuple("0123456789") + ("end",)
STRIDE = 4          # feature frames per encoder frame (two stride-2 convs): 25 keys per second
FRAME_S = STRIDE * A.HOP / A.RATE       # 0.04 s
WINDOW = 20         # windowed: D (keys |j - c_t| <= D, i.e. +-0.8 s)
SHIFT = 10          # windowed: the centre sits SHIFT frames (0.4 s) after the previous mean

VARIANTS = Variants("listen", [
    Variant("content", label="Content only (additive)", attend={"score": "additive"},
            description="scores every frame by what it sounds like and nothing else: on “7 7 7 7” "
                        "all four sevens look alike, so it may skip one or read one twice",
            paper="Bahdanau et al. 2015; Chorowski et al. 2015 (content-based)",
            formula=r"e_{tj} = v^{\top}\tanh(W_1 s_{t-1} + W_2 h_j)",
            caption="Row t: where the model listened to write digit t (content-based scores)."),
    Variant("location", label="Location-aware (Chorowski)", attend={"score": "location"},
            description="adds where the previous step listened (its weights convolved with learned "
                        "filters) to the score, so it moves on to the next seven",
            paper="Chorowski et al. 2015, eq. 5-9",
            formula=r"e_{tj} = v^{\top}\tanh(W_1 s_{t-1} + W_2 h_j + U f_{tj}),\ "
                    r"f_t = F * \alpha_{t-1}",
            caption="Row t: where the model listened to write digit t; the score also saw row t-1."),
    Variant("windowed", label="Windowed (moves forward)",
            attend={"score": "additive", "scope": "local", "window": WINDOW},
            description=f"may only listen within ±{WINDOW} frames (±{WINDOW * FRAME_S:.1f} s) of a "
                        f"centre {SHIFT * FRAME_S:.1f} s after where it listened last: it cannot go "
                        "back, and loses its place after a long pause",
            paper="Chorowski et al. 2015 (windowing); Luong et al. 2015 (local attention)",
            formula=r"e_{tj} = v^{\top}\tanh(W_1 s_{t-1} + W_2 h_j)\ \text{for}\ |j - c_t| \le D,\ "
                    r"c_t = \textstyle\sum_j j\,\alpha_{t-1,j} + " + str(SHIFT),
            caption=f"Row t: where the model listened to write digit t, inside its window (D = {WINDOW})."),
])


@dataclass(frozen=True)
class Config:
    """Architecture + calibration (stored in the JSON card; :func:`from_files` rebuilds from it)."""
    variant: str
    n_mels: int = A.N_MELS
    encoder: str = "bigru"        # "bigru" (keys = a bidirectional GRU's states) or "conv"
    conv: tuple = (96, 128)       # channels of the two stride-2 convs (the blocks keep conv[1])
    dilations: tuple = (1, 2, 2, 1)   # conv encoder: residual k5 blocks at 25 frames/s
    d_enc: int = 96               # bigru encoder: He per direction
    cmn: bool = False             # subtract each mel band's mean over the recording (channel)
    dropout: float = 0.0          # training only: dropout on the conv outputs and on the keys
    d_dec: int = 128              # Hd
    d_emb: int = 16
    d_att: int = 64
    n_filters: int = 8            # location: n_f
    filter_width: int = 15        # location: r (odd; +-7 frames = +-0.28 s)
    window: int = WINDOW          # windowed: D
    shift: int = SHIFT            # windowed: centre offset after the previous mean
    max_digits: int = 12          # decoding stops after max_digits + 1 steps
    temperature: float = 1.0      # calibration: p = softmax(logits / temperature)
    unsure_below: float = 0.8     # a digit whose calibrated p is below this is flagged "unsure"

    def __post_init__(self):
        VARIANTS[self.variant]                          # ValueError on an unknown name
        if self.encoder not in ("conv", "bigru"):
            raise ValueError(f"encoder must be 'conv' or 'bigru'; got {self.encoder!r}")
        if self.filter_width % 2 == 0:
            raise ValueError(f"filter_width must be odd; got {self.filter_width}")

    @property
    def options(self) -> dict:
        return dict(VARIANTS[self.variant].attend)

    @property
    def d_key(self) -> int:
        """dk: the size of a key (= value)."""
        return self.conv[1] if self.encoder == "conv" else 2 * self.d_enc


@dataclass(frozen=True)
class Step:
    """One decoder step for a batch."""
    state: torch.Tensor            # s_t (B, Hd)
    logits: torch.Tensor           # (B, N_OUT)
    attn: AttentionResult          # weights (B, 1, S)
    query: torch.Tensor            # s_{t-1} (B, Hd)
    prev: torch.Tensor             # alpha_{t-1} (B, S)
    centres: Optional[torch.Tensor]   # windowed: c_t (B, 1); else None


@dataclass(frozen=True)
class Decoded:
    """Greedy decoding of a batch (T = steps run, S = encoder frames).

    tokens ``(B, T)`` int64 (0-9, END, -1 after END); lengths ``(B,)`` digits before END;
    weights / scores / prev ``(B, T, S)``; centres ``(B, T)`` or None; logits ``(B, T, 11)``;
    queries ``(B, T, Hd)``; keys ``(B, S, dk)``; frames ``(B,)`` valid encoder frames.
    """
    tokens: torch.Tensor
    lengths: torch.Tensor
    finished: torch.Tensor
    weights: torch.Tensor
    scores: torch.Tensor
    prev: torch.Tensor
    centres: Optional[torch.Tensor]
    logits: torch.Tensor
    queries: torch.Tensor
    keys: torch.Tensor
    frames: torch.Tensor

    def text(self, b: int) -> str:
        return "".join(str(int(t)) for t in self.tokens[b, : int(self.lengths[b])])


@dataclass(frozen=True)
class Transcription:
    """What the listener read in one recording (T = steps taken incl. the end step if reached,
    S = encoder frames, 25 per second).

    output:       the digits read, e.g. ``"7777"``.
    tokens:       one label per step (``"7"``, ..., ``"end"``).
    weights:      ``(T, S)`` float32 -- row t: the attention weights of the ``attend`` call
                  that made step t's context.
    scores:       ``(T, S)`` raw scores e_tj (before mask and softmax).
    prev:         ``(T, S)`` alpha_{t-1}, the previous alignment each step started from.
    content_scores: location variant: ``(T, S)`` the same score without the location term
                  (``U f`` removed); else None.
    location_features: location variant: ``(T, S, n_f)`` ``f_t = F * alpha_{t-1}``; else None.
    centres:      windowed variant: ``(T,)`` the window centre c_t (frames); else None.
    mask:         ``(T, S)`` bool: the frames each step could attend to.
    probs:        ``(T, 11)`` calibrated token probabilities (softmax(logits / temperature)).
    token_probs:  ``(T,)`` calibrated p of each emitted token; ``raw_probs`` uncalibrated.
    unsure:       ``(T,)`` bool: calibrated p below the card's ``unsure_below``.
    times:        ``(S,)`` centre of each encoder frame in the original recording (s).
    features:     ``(N, M)`` the log-mel the model heard; ``feature_times (N,)`` (s).
    queries ``(T, Hd)``, keys ``(S, dk)``: enough to recompute any row with ``attend``.
    offset:       where the trimmed speech starts in the recording (s); duration: its length (s).
    """
    variant: str
    output: str
    tokens: tuple
    weights: np.ndarray
    scores: np.ndarray
    prev: np.ndarray
    content_scores: Optional[np.ndarray]
    location_features: Optional[np.ndarray]
    centres: Optional[np.ndarray]
    mask: np.ndarray
    probs: np.ndarray
    token_probs: np.ndarray
    raw_probs: np.ndarray
    unsure: np.ndarray
    times: np.ndarray
    features: np.ndarray
    feature_times: np.ndarray
    queries: torch.Tensor
    keys: torch.Tensor
    offset: float
    duration: float
    finished: bool
    temperature: float

    @property
    def digits(self) -> tuple:
        return tuple(self.output)

    def segment(self, t: int, mass: float = 0.8) -> tuple[float, float]:
        """``(start_s, end_s)`` in the recording of the frames step t attended to: the shortest
        run of frames around the peak holding ``mass`` of the row's weight (each frame covers
        its centre ± 20 ms)."""
        w = np.asarray(self.weights[t], dtype=np.float64)
        if w.sum() <= 0:
            raise ValueError(f"step {t} has no attention weight")
        a = b = int(np.argmax(w))
        got, total = w[a], w.sum()
        while got < mass * total and (a > 0 or b < len(w) - 1):
            left = w[a - 1] if a > 0 else -1.0
            right = w[b + 1] if b < len(w) - 1 else -1.0
            if right >= left:
                b += 1
                got += right
            else:
                a -= 1
                got += left
        half = FRAME_S / 2
        return (max(0.0, float(self.times[a] - half)), float(self.times[b] + half))


class Listener(nn.Module):
    """Conv + BiGRU listener, attending GRU speller (see the module docstring)."""

    def __init__(self, cfg: Config):
        super().__init__()
        self.cfg = cfg
        c1, c2 = cfg.conv
        He, Hd, da = cfg.d_enc, cfg.d_dec, cfg.d_att
        dk = cfg.d_key
        self.conv1 = nn.Conv1d(cfg.n_mels, c1, 5, stride=2, padding=2)
        self.conv2 = nn.Conv1d(c1, c2, 5, stride=2, padding=2)
        if cfg.encoder == "conv":
            self.blocks = nn.ModuleList(nn.Conv1d(c2, c2, 5, padding=2 * d, dilation=d)
                                        for d in cfg.dilations)
            self.norms = nn.ModuleList(nn.LayerNorm(c2) for _ in cfg.dilations)
        else:
            self.conv3 = nn.Conv1d(c2, c2, 3, padding=1)
            self.rnn = nn.GRU(c2, He, batch_first=True, bidirectional=True)
        self.emb = nn.Embedding(N_OUT + 1, cfg.d_emb)                    # + START
        self.cell = nn.GRUCell(cfg.d_emb + dk, Hd)
        self.s0 = nn.Parameter(torch.zeros(Hd))
        self.W_c = nn.Linear(Hd + dk, Hd)
        self.W_o = nn.Linear(Hd, N_OUT)
        self.W1 = nn.Parameter(torch.randn(da, Hd) / math.sqrt(Hd))
        self.W2 = nn.Parameter(torch.randn(da, dk) / math.sqrt(dk))
        self.v_a = nn.Parameter(torch.randn(da) / math.sqrt(da))
        if "location" in SCORES[cfg.options["score"]].params:          # the score owns F and U
            self.F = nn.Parameter(torch.randn(cfg.n_filters, cfg.filter_width) / math.sqrt(cfg.filter_width))
            self.U = nn.Parameter(torch.randn(da, cfg.n_filters) / math.sqrt(cfg.n_filters))

    # ------------------------------------------------------------ listener
    @staticmethod
    def encoder_frames(n_features: torch.Tensor) -> torch.Tensor:
        """Encoder frames for ``n_features`` feature frames (two stride-2 convs, padding 2):
        ``ceil(ceil(N / 2) / 2)`` elementwise."""
        n = torch.as_tensor(n_features)
        return ((n - 1) // 2 + 1 - 1) // 2 + 1

    def encode(self, feats: torch.Tensor, n_feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Log-mel ``(B, N, M)`` (zero past each row's ``n_feats``) -> keys ``(B, S, dk)`` (zero
        past each row's length) and lengths ``(B,)``.  Every layer zeroes the padding, so a
        padded batch encodes each row exactly as alone."""
        x = feats.transpose(1, 2)                                       # (B, M, N)
        if self.cfg.cmn:                                                # per-recording band means
            valid0 = _valid(n_feats, x.shape[-1])[:, None]              # (B, 1, N)
            mean = (x * valid0).sum(-1, keepdim=True) / n_feats.view(-1, 1, 1).clamp_min(1)
            x = (x - mean) * valid0                                     # (B, M, N)
        n1 = (n_feats - 1) // 2 + 1
        n2 = (n1 - 1) // 2 + 1
        drop = lambda z: TF.dropout(z, self.cfg.dropout, self.training)   # noqa: E731 (identity in eval)
        x = TF.relu(self.conv1(x)) * _valid(n1, x.shape[-1] // 2 + x.shape[-1] % 2)[:, None]   # (B, c1, N1)
        x = drop(TF.relu(self.conv2(drop(x)))) * _valid(n2, (x.shape[-1] + 1) // 2)[:, None]  # (B, c2, S)
        valid = _valid(n2, x.shape[-1])[:, None]                        # (B, 1, S)
        if self.cfg.encoder == "conv":
            for conv, norm in zip(self.blocks, self.norms):             # residual, zero padding
                x = norm((x + TF.relu(conv(x))).transpose(1, 2)).transpose(1, 2) * valid   # (B, c2, S)
            return drop(x).transpose(1, 2), n2                          # (B, S, dk)
        x = (x + TF.relu(self.conv3(x))) * valid                        # (B, c2, S)
        x = x.transpose(1, 2)                                           # (B, S, c2)
        packed = nn.utils.rnn.pack_padded_sequence(x, n2.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        h, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
        return drop(h), n2                                              # (B, S, dk), (B,)

    # ------------------------------------------------------------ speller
    def start(self, batch: int, S: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(s_0 (B, Hd), alpha_{-1} (B, S))``: the learned start state and a one-hot on frame 0."""
        prev = torch.zeros(batch, S)
        prev[:, 0] = 1.0
        return self.s0.unsqueeze(0).expand(batch, -1), prev

    def attend_kwargs(self, prev: torch.Tensor) -> dict:
        """The options of this variant's ``attend`` call (+ its learned parameters), given the
        previous alignment ``prev (B, S)``."""
        opt = self.cfg.options
        kw = dict(score=opt["score"], additive=(self.W1, self.W2, self.v_a))
        if opt["score"] == "location":
            kw["location"] = (prev.unsqueeze(1), self.F, self.U)       # prev (B, 1, S)
        if opt.get("scope", "global") != "global":
            kw.update(scope=opt["scope"], window=self.cfg.window)
        return kw

    def centres(self, prev: torch.Tensor, lengths: torch.Tensor) -> Optional[torch.Tensor]:
        """Windowed: ``c_t = sum_j j alpha_{t-1,j} + shift`` clamped to ``[0, length - 1]``,
        ``(B, 1)`` (no gradient: where the window goes is a rule, not learned); else None."""
        if self.cfg.options.get("scope", "global") == "global":
            return None
        j = torch.arange(prev.shape[1], dtype=prev.dtype)
        m = (prev.detach() * j).sum(-1) / prev.detach().sum(-1).clamp_min(1e-9)   # (B,)
        c = torch.minimum(m + self.cfg.shift, (lengths - 1).to(prev.dtype))
        return c.clamp_min(0).unsqueeze(1)                                       # (B, 1)

    def step(self, s_prev: torch.Tensor, prev: torch.Tensor, y_prev: torch.Tensor,
             keys: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor) -> Step:
        """One speller step.  s_prev ``(B, Hd)``, prev = alpha_{t-1} ``(B, S)``, y_prev ``(B,)``,
        keys ``(B, S, dk)``, mask ``(B, 1, S)`` bool (True = a real frame), lengths ``(B,)``."""
        c_t = self.centres(prev, lengths)
        r = attend(s_prev.unsqueeze(1), keys, keys, mask=mask, positions=c_t,   # weights (B, 1, S)
                   **self.attend_kwargs(prev))
        ctx = r.output.squeeze(1)                                                 # (B, dk)
        s = self.cell(torch.cat([self.emb(y_prev), ctx], dim=-1), s_prev)        # (B, Hd)
        logits = self.W_o(torch.tanh(self.W_c(torch.cat([s, ctx], dim=-1))))     # (B, 11)
        return Step(state=s, logits=logits, attn=r, query=s_prev, prev=prev, centres=c_t)

    def forward(self, feats: torch.Tensor, n_feats: torch.Tensor, targets: torch.Tensor):
        """Teacher-forced pass.  targets ``(B, T)`` (digits + END, -1 after).
        Returns ``(logits (B, T, 11), weights (B, T, S), lengths (B,))``."""
        keys, lengths = self.encode(feats, n_feats)
        B, S, _ = keys.shape
        mask = _valid(lengths, S).unsqueeze(1)                          # (B, 1, S)
        s, prev = self.start(B, S)
        y = torch.full((B,), START, dtype=torch.long)
        logits, weights = [], []
        for t in range(targets.shape[1]):
            st = self.step(s, prev, y, keys, mask, lengths)
            logits.append(st.logits)
            w = st.attn.weights[:, 0]                                   # (B, S)
            weights.append(w)
            s, prev = st.state, w
            y = targets[:, t].clamp_min(0)
        return torch.stack(logits, 1), torch.stack(weights, 1), lengths

    @torch.no_grad()
    def greedy(self, feats: torch.Tensor, n_feats: torch.Tensor, max_steps: Optional[int] = None) -> Decoded:
        """Greedy free-running decoding of a padded batch (see :class:`Decoded`)."""
        max_steps = self.cfg.max_digits + 1 if max_steps is None else max_steps
        keys, lengths = self.encode(feats, n_feats)
        B, S, _ = keys.shape
        mask = _valid(lengths, S).unsqueeze(1)
        s, prev = self.start(B, S)
        y = torch.full((B,), START, dtype=torch.long)
        done = torch.zeros(B, dtype=torch.bool)
        rec = {k: [] for k in ("tok", "w", "e", "prev", "c", "logits", "q")}
        for _ in range(max_steps):
            st = self.step(s, prev, y, keys, mask, lengths)
            y = st.logits.argmax(-1)                                    # (B,)
            rec["tok"].append(torch.where(done, torch.full_like(y, -1), y))
            rec["w"].append(st.attn.weights[:, 0])
            rec["e"].append(st.attn.scores[:, 0])
            rec["prev"].append(prev)
            rec["c"].append(None if st.centres is None else st.centres[:, 0])
            rec["logits"].append(st.logits)
            rec["q"].append(st.query)
            done = done | (y == END)
            s, prev = st.state, st.attn.weights[:, 0]
            if bool(done.all()):
                break
        tokens = torch.stack(rec["tok"], 1)                             # (B, T)
        is_end = tokens == END
        first_end = torch.where(is_end.any(1), is_end.float().argmax(1), torch.full((B,), tokens.shape[1]))
        return Decoded(tokens=tokens, lengths=first_end, finished=is_end.any(1),
                       weights=torch.stack(rec["w"], 1), scores=torch.stack(rec["e"], 1),
                       prev=torch.stack(rec["prev"], 1),
                       centres=None if rec["c"][0] is None else torch.stack(rec["c"], 1),
                       logits=torch.stack(rec["logits"], 1), queries=torch.stack(rec["q"], 1),
                       keys=keys, frames=lengths)

    # ------------------------------------------------------------ one recording
    @torch.no_grad()
    def transcribe(self, wave, sample_rate: int) -> Transcription:
        """Read the digits in ``wave`` (float32 ``(n,)`` or ``(n, channels)`` in [-1, 1]) recorded
        at ``sample_rate`` Hz.  ValueError (with the reason) for silence, steady noise, a
        recording shorter than 0.15 s or longer than 20 s, or an unusable sample rate."""
        x, offset = A.prepare(wave, sample_rate)
        feats = A.log_mel(x)                                            # (N, M)
        d = self.greedy(feats.unsqueeze(0), torch.tensor([feats.shape[0]]))
        T = int(d.lengths[0]) + (1 if bool(d.finished[0]) else 0)
        T = max(T, 1)
        S = int(d.frames[0])
        w, e, prev = d.weights[0, :T, :S], d.scores[0, :T, :S], d.prev[0, :T, :S]
        logits = d.logits[0, :T]
        toks = [int(t) for t in d.tokens[0, :T]]
        probs = torch.softmax(logits / self.cfg.temperature, -1)        # (T, 11)
        raw = torch.softmax(logits, -1)
        idx = torch.tensor(toks)
        tp = probs[torch.arange(T), idx]
        q, k = d.queries[0, :T], d.keys[0, :S]
        content = feats_loc = None
        if self.cfg.options["score"] == "location":
            content = attend(q.unsqueeze(1), k.expand(T, -1, -1), score="additive",    # (T, 1, S)
                             additive=(self.W1, self.W2, self.v_a)).scores[:, 0]
            feats_loc = location_features(prev.unsqueeze(1), self.F)[:, 0]             # (T, S, n_f)
        mask = torch.ones(T, S, dtype=torch.bool)
        if d.centres is not None:
            from ..masks import in_window
            mask = in_window(torch.arange(S)[None].float() - d.centres[0, :T, None], self.cfg.window)
        return Transcription(
            variant=self.cfg.variant, output="".join(str(t) for t in toks if t < END),
            tokens=tuple(TOKENS[t] for t in toks), weights=w.numpy().astype(np.float32),
            scores=e.numpy().astype(np.float32), prev=prev.numpy().astype(np.float32),
            content_scores=None if content is None else content.numpy().astype(np.float32),
            location_features=None if feats_loc is None else feats_loc.numpy().astype(np.float32),
            centres=None if d.centres is None else d.centres[0, :T].numpy().astype(np.float32),
            mask=mask.numpy(), probs=probs.numpy().astype(np.float32),
            token_probs=tp.numpy().astype(np.float32),
            raw_probs=raw[torch.arange(T), idx].numpy().astype(np.float32),
            unsure=(tp < self.cfg.unsure_below).numpy(),
            times=A.frame_times(S, STRIDE, offset), features=feats.numpy(),
            feature_times=A.frame_times(feats.shape[0], 1, offset), queries=q, keys=k,
            offset=float(offset), duration=x.shape[0] / A.RATE, finished=bool(d.finished[0]),
            temperature=float(self.cfg.temperature))

    def card_config(self) -> dict:
        return asdict(self.cfg)


def _valid(lengths: torch.Tensor, n: int) -> torch.Tensor:
    """``(B, n)`` bool: position < length (True = a real frame)."""
    return torch.arange(n)[None, :] < torch.as_tensor(lengths)[:, None]


def features_batch(waves) -> tuple[torch.Tensor, torch.Tensor]:
    """Log-mel of several 8 kHz waves, zero-padded: ``(B, N_max, M)`` and lengths ``(B,)``
    (each wave's features are computed alone, so a batch gives what one recording gives)."""
    fs = [A.log_mel(w) for w in waves]
    n = torch.tensor([f.shape[0] for f in fs])
    out = torch.zeros(len(fs), int(n.max()), fs[0].shape[1])
    for i, f in enumerate(fs):
        out[i, : f.shape[0]] = f
    return out, n


def from_files(stem) -> tuple[Listener, dict]:
    """Load ``<stem>.safetensors`` + ``<stem>.json`` (the card); model in eval mode, no grads."""
    def build(card: dict) -> Listener:
        cfg = dict(card["config"])
        cfg["conv"], cfg["dilations"] = tuple(cfg["conv"]), tuple(cfg.get("dilations", Config.dilations))
        return Listener(Config(**cfg))
    return read_trained(stem, build, "python -m training listen --variant all")


def weights_dir() -> Path:
    """The folder of the shipped listeners (``<variant>.safetensors`` + ``.json`` + replay)."""
    return WEIGHTS_DIR


@dataclass(frozen=True)
class Clip:
    """A shipped test recording (``assets/audio``, FSDD held-out speaker, CC BY-SA 4.0).

    file: its file name; digits: what is said; spans_s: ``(T, 2)`` where each digit is (s);
    lesson: the replay lesson it is ("repeated", "normal", "long") or another name.
    """
    file: str
    digits: str
    spans_s: tuple
    lesson: str
    speaker: str

    @property
    def path(self) -> Path:
        return CLIPS_DIR / self.file

    def read(self) -> tuple[np.ndarray, int]:
        """``(wave (n,) float32 in [-1, 1], sample_rate)`` (16-bit PCM WAV, standard library)."""
        import wave as W
        with W.open(str(self.path), "rb") as f:
            rate, raw = f.getframerate(), f.readframes(f.getnframes())
        return np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0, rate


def clips() -> tuple[tuple[Clip, ...], str]:
    """The shipped test clips and their attribution line (from ``assets/audio/clips.json``)."""
    m = json.loads((CLIPS_DIR / "clips.json").read_text(encoding="utf-8"))
    return tuple(Clip(c["file"], c["digits"], tuple(map(tuple, c["spans_s"])), c["lesson"], c["speaker"])
                 for c in m["clips"]), m["attribution"]


def load(variant: str) -> tuple[Listener, dict]:
    """The shipped listener trained with attention ``variant`` (see :data:`VARIANTS`) and its card."""
    VARIANTS[variant]
    return from_files(WEIGHTS_DIR / variant)
