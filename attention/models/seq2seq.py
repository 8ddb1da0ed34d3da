"""A character-level GRU encoder-decoder whose attention step is :func:`attention.attend`.

Trained by ``python -m training translate`` on dates as people type them, in 9 locales, to ISO
(``de_DE`` "3. märz 2021" -> "2021-03-03"); one model per attention type (:data:`VARIANTS`, the
one list of them), all of this one class.  Shapes: B batch, S source length (the locale tag +
the characters), T target steps, E embedding, He / Hd encoder / decoder hidden size,
dk = 2 He (bidirectional encoder states = keys = values).

Source: ``[tag, x_1 .. x_n]``.  Position 0 is a *locale tag* (``auto`` or one of the 9 locales,
:data:`attention.models.dates.TAGS`), then the normalized characters
(:func:`attention.models.dates.normalize_text`: NFKC, invisible characters removed, lower case).
The order of a numeric date depends on the locale (``03/04/2021``: 3 April in en_GB, March 4 in
en_US); only the tag says which, and the tag's key is encoded *alone* (no character's key sees
it), so a model that needs it has to attend to position 0 -- the alignment shows it.

Encoder:  characters -> embeddings -> a *context-limited* bidirectional GRU -> ``h̄_s``
``(B, S, dk)``: key s is a forward GRU over characters s-K..s and a backward GRU over s+K..s
(the key context K = ``Config.context`` = 3; not to be confused with the attention window D),
so each key describes its own neighbourhood and nothing else.  With a bidirectional GRU over
the whole source every key summarizes the whole string, a window placed anywhere can read the
year from it, and the heatmap stops telling where the information came from: measured here,
local-m then reached 97.2% exact match although its window never covers the year.

Decoder (two flows, one attention step each, no state from the encoder):
  * ``flow="bahdanau"`` (Bahdanau et al. 2015, appendix A.2.2): the query is the *previous*
    state, ``c_t = attend(s_{t-1}, h̄)``; the output is read from ``s_{t-1}``, ``y_{t-1}`` and
    ``c_t`` through a maxout layer, ``t̃ = U_o s_{t-1} + V_o E y_{t-1} + C_o c_t``,
    ``t_j = max(t̃_{2j-1}, t̃_{2j})``, ``p(y_t) = softmax(W_o t)``; then
    ``s_t = GRU([E y_{t-1}; c_t], s_{t-1})``.
  * ``flow="luong"`` (Luong et al. 2015): ``h_t = GRU([E y_{t-1}; h̃_{t-1}], h_{t-1})``
    (*input feeding*: the previous attentional vector ``h̃_{t-1}`` is fed back), then
    ``c_t = attend(h_t, h̄)``, ``h̃_t = tanh(W_c [c_t; h_t])``, ``p(y_t) = softmax(W_s h̃_t)``.

The decoder starts from a learned constant state, **not** from the encoder's summary, so
everything it knows about the source passes through the attention step: the weights drawn
by the page are the only path from the input to the output.

Extras.  *Input feeding* (Luong et al. 2015, sec. 3.3) is used in the Luong flow, and there it
is necessary, not a refinement: without it the decoder state would see the source only through
the characters already written (it starts from a constant), so after "2021-" its query -- and
local-p's p_t -- would be the same for "3. märz 2021" and "march 3, 2021".  Bahdanau's flow
already feeds ``c_t`` into the recurrence.  *No coverage* (Tu et al. 2016): one position
legitimately serves several outputs (the day "3" gives "0" and "3").

Variants (:data:`VARIANTS`), all through ``attend(query (B, 1, Hd), keys (B, S, dk), mask=padding)``:

===========  ==========  =========================================================
variant      score       scope / normalization
===========  ==========  =========================================================
bahdanau     additive    global, soft  (``v^T tanh(W1 s_{t-1} + W2 h̄_s)``)
luong        general     global, soft  (``h_t^T W_a h̄_s``)
local_m      general     ``local``, window D, centre ``c_t = min(t, S_b - 1)`` (monotonic)
local_p      general     ``local_p``, window D, ``p_t = (S_b - 1) sigmoid(v_p^T tanh(W_p h_t))``
                          (Luong eq. 9, S_b = this source's length, 0-based), Gaussian
                          sigma = D/2 (eq. 10) applied by ``attend``
hard         general     global; training: ``hard_sampled`` (one key drawn from softmax,
                          REINFORCE); test: ``hard`` (arg-max) or seeded sampling
===========  ==========  =========================================================

local-m's centre is Luong's ``p_t = t``, clamped to the last source position so that a step
past the end of a short source still sees its last D + 1 positions.  What ``p_t = t`` assumes:
output t comes from near source position t.  The output always has 11 steps (10 characters +
end) and D = 4, so no step ever looks past source position 10 + 4 = 14: a year written after a
day and a month name ("mittwoch, 3. märz 2021": the year at 18-21) is out of its reach.

Decoding: :meth:`Seq2Seq.translate` (greedy, or beam search of width 1-5, optionally
*constrained* to valid dates: every hypothesis is kept a prefix of an ISO date in range,
:func:`attention.models.dates.next_chars`) returns a :class:`Decoding` with the per-step weights
``(T_out, S)`` of the very ``attend`` calls that made the contexts, their scores, masks, centres,
Gaussians, the token probabilities and their *calibrated* values (softmax of the logits / the
temperature fitted on validation data, stored in the card).
:func:`load` / :func:`from_files` read ``weights/translate/<variant>.safetensors`` + ``.json``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..functional import AttentionResult, attend, one_of
from ..masks import predict_positions
from ..scores import SCORES
from .dates import TAGS, next_chars, normalize_text
from .files import read_trained
from .variants import Variant, Variants

WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "weights" / "translate"

#: The output layer of each decoder flow (shown under each variant's formula).
OUTPUT_FORMULAS = {
    "bahdanau": r"\tilde t = U_o s_{t-1} + V_o E y_{t-1} + C_o c_t,\ \ t_j = \max(\tilde t_{2j-1}, "
                r"\tilde t_{2j}),\ \ p(y_t) = \mathrm{softmax}(W_o t),\ \ s_t = \mathrm{GRU}([E y_{t-1}; c_t], s_{t-1})",
    "luong": r"\tilde h_t = \tanh(W_c [c_t; h_t]),\ \ p(y_t) = \mathrm{softmax}(W_s \tilde h_t)",
}
_LOCAL_M_WHY = ("What p_t = t assumes: output character t comes from near source position t. "
                "The output always has 11 steps and D = {window}, so no step looks past source "
                "position 14: a year written after the day and the month is out of reach.")
#: The date translators trained here, one per attention type.  ``extra``: ``flow`` (where the
#: query comes from and which output layer, see the module docstring) and, for hard attention,
#: the normalization used in training.  The page, the cards, the tests and
#: ``python -m training translate`` derive from this list.
VARIANTS = Variants("translate", [
    Variant("bahdanau", "Global, additive (Bahdanau)",
            attend=dict(score="additive", scope="global", normalization="soft"),
            description="Soft global attention with Bahdanau's additive score; the query is the "
                        "previous decoder state and the output is read from s_{t-1}, y_{t-1} and "
                        "c_t through a maxout layer, as in the paper.",
            paper="Bahdanau et al. 2015 (eq. 5-6, appendix A.2.2 deep output with maxout)",
            formula=r"e_{ts} = v^{\top}\tanh(W_1 s_{t-1} + W_2 \bar h_s),\ \ "
                    r"\alpha_{ts} = \mathrm{softmax}_s(e_{ts}),\ \ c_t = \textstyle\sum_s \alpha_{ts} \bar h_s",
            caption="Row t: where the model looked to write output character t (softmax over the "
                    "tag and every source character; each row sums to 1). For a day-first or "
                    "month-first input the year's rows point at the end of the source: that is "
                    "the reordering.",
            extra=dict(flow="bahdanau")),
    Variant("luong", "Global, general (Luong)",
            attend=dict(score="general", scope="global", normalization="soft"),
            description="Soft global attention with Luong's general (bilinear) score and input feeding.",
            paper="Luong et al. 2015 (global, general)",
            formula=r"h_t = \mathrm{GRU}([E y_{t-1}; \tilde h_{t-1}], h_{t-1}),\ \ e_{ts} = h_t^{\top} W_a \bar h_s,"
                    r"\ \ \alpha_{ts} = \mathrm{softmax}_s(e_{ts})",
            caption="Row t: where the model looked to write output character t (softmax over the "
                    "tag and every source character; each row sums to 1).",
            extra=dict(flow="luong")),
    Variant("local_m", "Local-m (monotonic window)",
            attend=dict(score="general", scope="local", normalization="soft"),
            description="Local attention with a monotonic window: step t sees the source positions "
                        "within D of c_t = min(t, S-1) (Luong's p_t = t).",
            paper="Luong et al. 2015 (local-m)",
            formula=r"c_t = \min(t, S-1),\ \ \alpha_{ts} = \mathrm{softmax}_{|s - c_t| \le D}(h_t^{\top} W_a \bar h_s)",
            caption="Local-m: step t may only look at source positions within D = {window} of "
                    "c_t = min(t, S−1) (outlined; red ×). Blank cells are outside the window. "
                    + _LOCAL_M_WHY,
            extra=dict(flow="luong", centre_name="c_t = min(t, S-1)", assumes=_LOCAL_M_WHY)),
    Variant("local_p", "Local-p (predicted window)",
            attend=dict(score="general", scope="local_p", normalization="soft"),
            description="Local attention around a predicted centre p_t, weighted by a Gaussian.",
            paper="Luong et al. 2015 (local-p, eq. 9-10)",
            formula=r"p_t = (S-1)\,\mathrm{sigmoid}(v_p^{\top}\tanh(W_p h_t)),\ \ "
                    r"\alpha_{ts} = \mathrm{softmax}_{|s - p_t| \le D}(h_t^{\top} W_a \bar h_s)\,"
                    r"e^{-(s - p_t)^2 / 2\sigma^2},\ \sigma = D/2",
            caption="Local-p: the model predicts a centre p_t (red ×) and looks within D = {window} "
                    "of it (outlined), weighted by a Gaussian (σ = D/2), so a row sums to at most 1.",
            extra=dict(flow="luong", centre_name="p_t")),
    Variant("hard", "Hard (stochastic, REINFORCE)",
            attend=dict(score="general", scope="global", normalization="hard"),
            description="Hard attention: one source position per step, sampled from the softmax in "
                        "training (REINFORCE), the arg-max at test time.",
            paper="Xu et al. 2015 (stochastic hard attention), on Luong's decoder",
            formula=r"a_t \sim \mathrm{softmax}_s(h_t^{\top} W_a \bar h_s)\ \text{(training)},\ \ "
                    r"a_t = \arg\max_s\ \text{(test)},\ \ c_t = \bar h_{a_t}",
            caption="Hard attention: each step reads exactly ONE source position (weight 1): "
                    "{how}; the table below shows that softmax.",
            extra=dict(flow="luong", train_normalization="hard_sampled")),
])
PAD, BOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<s>", "</s>")
MAX_BEAM = 5


def output_formula(variant: str) -> str:
    """LaTeX of the output layer ``variant`` uses (its decoder flow's)."""
    return OUTPUT_FORMULAS[VARIANTS[variant].get("flow", "luong")]


def tag_label(tag: str) -> str:
    """How the tag position is shown: ``⟨en_US⟩``."""
    return f"⟨{tag}⟩"


@dataclass(frozen=True)
class Config:
    """Architecture + vocabularies (stored in the JSON card; :func:`from_files` rebuilds from it)."""
    variant: str
    src_chars: str                 # source characters (ids 1..n; 0 = padding; tags after them)
    tags: tuple = TAGS             # locale tags (ids n+1..), position 0 of every source
    tgt_chars: str = "0123456789-"  # target vocabulary (ids 3..; 0-2 = SPECIALS)
    max_source_len: int = 48       # characters, without the tag
    max_target_len: int = 12       # decoding stops after this many steps
    window: Optional[int] = None   # the attention window D (windowed variants only)
    d_emb: int = 32
    d_enc: int = 64                # He: per direction
    d_dec: int = 128               # Hd
    d_tgt_emb: int = 16
    d_att: int = 64                # additive score width / local-p W_p rows
    context: int = 3               # K: key s reads characters s-K..s+K only (not the window D)

    def __post_init__(self):
        one_of("variant", self.variant, VARIANTS.names())
        object.__setattr__(self, "tags", tuple(self.tags))
        if VARIANTS[self.variant].windowed and self.window is None:
            raise ValueError(f"variant {self.variant!r} needs window=D")

    @property
    def spec(self) -> Variant:
        """This model's entry in :data:`VARIANTS`."""
        return VARIANTS[self.variant]


@dataclass(frozen=True)
class Step:
    """One decoder step for a batch: the state after it, the logits and the attention used."""
    state: tuple[torch.Tensor, torch.Tensor]   # (s_t (B, Hd), h̃_t (B, Hd))
    logits: torch.Tensor                       # (B, V)
    attn: AttentionResult                      # weights (B, 1, S) etc.
    query: torch.Tensor                        # (B, Hd) the query given to attend


@dataclass(frozen=True)
class Hypothesis:
    """One beam-search hypothesis: its total log p, the tokens so far, one record per step
    (:meth:`Seq2Seq._record`), the decoder state after its last step ``(s (1, Hd), h̃ (1, Hd))``,
    and whether it has emitted the end token."""
    log_p: float
    tokens: tuple
    records: tuple
    state: tuple
    finished: bool = False


@dataclass(frozen=True)
class Decoding:
    """The decoding of one source (T = steps emitted incl. the end token, S = 1 tag + characters).

    weights / scores / mask are the ``attend`` results of the steps that made the output
    (row t: target token t over the source positions; column 0 is the locale tag).
    ``positions``: the window centre per step (local-m ``c_t``, local-p ``p_t``), else None;
    ``gaussian``: local-p's factor; ``probs``: hard attention's soft distribution the one-hot
    was taken from.  ``token_probs[t]``: p(emitted token t) (the model's softmax);
    ``calibrated[t]``: the same with the logits divided by the calibration ``temperature``;
    ``top[t]``: the 3 most likely tokens and their p.  ``queries (T, Hd)`` and ``keys (S, dk)``
    let anyone recompute a row with ``attend``.  ``constrained``: the beam was restricted to
    valid dates.
    """
    source: str
    tag: str
    output: str
    tokens: tuple[str, ...]
    token_probs: torch.Tensor
    calibrated: torch.Tensor
    top: tuple[tuple[tuple[str, float], ...], ...]
    weights: torch.Tensor
    scores: torch.Tensor
    mask: torch.Tensor
    positions: Optional[torch.Tensor]
    gaussian: Optional[torch.Tensor]
    probs: Optional[torch.Tensor]
    queries: torch.Tensor
    keys: torch.Tensor
    log_prob: float
    finished: bool
    beam: int
    temperature: float = 1.0
    constrained: bool = False
    attend_options: dict = field(default_factory=dict)

    @property
    def min_prob(self) -> float:
        return float(self.token_probs.min()) if len(self.token_probs) else 0.0

    @property
    def confidence(self) -> float:
        """Calibrated probability of the whole output: the product of the calibrated step
        probabilities."""
        return float(self.calibrated.prod()) if len(self.calibrated) else 0.0

    @property
    def src_labels(self) -> list[str]:
        """One label per source position: the tag, then the characters."""
        return [tag_label(self.tag)] + list(self.source)


class Seq2Seq(nn.Module):
    """Encoder-decoder with one ``attend`` call per decoder step (see the module docstring)."""

    def __init__(self, cfg: Config, temperature: float = 1.0):
        super().__init__()
        self.cfg = cfg
        self.temperature = float(temperature)        # calibration (the card's), not learned here
        spec = cfg.spec
        n = len(cfg.src_chars)
        self.src_index = {c: i + 1 for i, c in enumerate(cfg.src_chars)}
        if len(self.src_index) != n:
            raise ValueError("src_chars has repeated characters")
        self.tag_index = {t: n + 1 + i for i, t in enumerate(cfg.tags)}
        self.tgt_vocab = SPECIALS + tuple(cfg.tgt_chars)
        self.tgt_index = {c: i for i, c in enumerate(self.tgt_vocab)}
        dk, Hd = 2 * cfg.d_enc, cfg.d_dec
        self.src_emb = nn.Embedding(n + len(cfg.tags) + 1, cfg.d_emb, padding_idx=PAD)
        self.enc_fwd = nn.GRU(cfg.d_emb, cfg.d_enc, batch_first=True)
        self.enc_bwd = nn.GRU(cfg.d_emb, cfg.d_enc, batch_first=True)
        self.tgt_emb = nn.Embedding(len(self.tgt_vocab), cfg.d_tgt_emb)
        bahdanau = spec.get("flow") == "bahdanau"
        feed = dk if bahdanau else Hd                       # c_t or h̃_{t-1}
        self.cell = nn.GRUCell(cfg.d_tgt_emb + feed, Hd)
        self.h0 = nn.Parameter(torch.zeros(Hd))             # learned start state
        if bahdanau:                                        # deep output with maxout (A.2.2)
            self.U_o = nn.Linear(Hd, 2 * Hd)
            self.V_o = nn.Linear(cfg.d_tgt_emb, 2 * Hd, bias=False)
            self.C_o = nn.Linear(dk, 2 * Hd, bias=False)
        else:
            self.W_c = nn.Linear(dk + Hd, Hd)
        self.W_s = nn.Linear(Hd, len(self.tgt_vocab))       # W_o in Bahdanau's notation
        owned = SCORES[spec.attend["score"]].params       # the learned parameters its score takes
        if "additive" in owned:
            self.W1 = nn.Parameter(torch.randn(cfg.d_att, Hd) / math.sqrt(Hd))
            self.W2 = nn.Parameter(torch.randn(cfg.d_att, dk) / math.sqrt(dk))
            self.v_a = nn.Parameter(torch.randn(cfg.d_att) / math.sqrt(cfg.d_att))
        if "W_a" in owned:
            self.W_a = nn.Parameter(torch.randn(Hd, dk) / math.sqrt(Hd))
        if spec.scope == "local_p":
            self.W_p = nn.Parameter(torch.randn(cfg.d_att, Hd) / math.sqrt(Hd))
            self.v_p = nn.Parameter(torch.randn(cfg.d_att) / math.sqrt(cfg.d_att))

    # ------------------------------------------------------------ input
    def check_source(self, text: str) -> str:
        """``normalize_text(text)`` if the model can read it, else a ValueError saying why."""
        if not isinstance(text, str):
            raise ValueError(f"the source must be a string; got {type(text).__name__}")
        s = normalize_text(text)
        if not s:
            raise ValueError("the source is empty: type a date, e.g. '3. März 2021'")
        if len(s) > self.cfg.max_source_len:
            raise ValueError(f"the source has {len(s)} characters; this model reads at most "
                             f"{self.cfg.max_source_len} (the longest date it was trained on)")
        bad = sorted({c for c in s if c not in self.src_index})
        if bad:
            shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in bad[:10]) + (" ..." if len(bad) > 10 else "")
            raise ValueError(f"the model was never trained on these characters: {shown}")
        return s

    def check_tag(self, tag: str) -> str:
        if tag not in self.tag_index:
            raise ValueError(f"locale must be one of {', '.join(self.cfg.tags)}; got {tag!r}")
        return tag

    def encode_sources(self, texts: list[str], tags: Optional[list[str]] = None
                       ) -> tuple[torch.Tensor, torch.Tensor]:
        """Checked, padded source ids ``(B, 1 + n_max)`` int64 (column 0: the tag; default
        ``auto`` for every text) and the lengths ``(B,)`` (tag included)."""
        tags = ["auto"] * len(texts) if tags is None else list(tags)
        if len(tags) != len(texts):
            raise ValueError(f"one tag per text: {len(texts)} texts, {len(tags)} tags")
        rows = [[self.tag_index[self.check_tag(g)]] + [self.src_index[c] for c in self.check_source(t)]
                for t, g in zip(texts, tags)]
        lengths = torch.tensor([len(r) for r in rows])
        ids = torch.full((len(rows), int(lengths.max())), PAD, dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, :len(r)] = torch.tensor(r)
        return ids, lengths

    def encode_targets(self, texts: list[str]) -> torch.Tensor:
        """Target ids ``(B, T)`` = characters + EOS, padded with PAD."""
        T = max(len(t) for t in texts) + 1
        out = torch.full((len(texts), T), PAD, dtype=torch.long)
        for i, t in enumerate(texts):
            out[i, :len(t) + 1] = torch.tensor([self.tgt_index[c] for c in t] + [EOS])
        return out

    # ------------------------------------------------------------ network
    def _keys(self, ids: torch.Tensor) -> torch.Tensor:
        """Context-limited keys of a character sequence ``(B, n)`` -> ``(B, n, dk)``."""
        x = self.src_emb(ids)                                           # (B, n, E)
        B, n, E = x.shape
        K = self.cfg.context
        xp = F.pad(x, (0, 0, K, K))                                     # (B, n+2K, E)
        win = xp.unfold(1, 2 * K + 1, 1)                                # (B, n, E, 2K+1)
        win = win.permute(0, 1, 3, 2).reshape(B * n, 2 * K + 1, E)      # (B*n, 2K+1, E)
        _, hf = self.enc_fwd(win[:, :K + 1])                            # (1, B*n, He)
        _, hb = self.enc_bwd(win[:, K:].flip(1))                        # (1, B*n, He)
        return torch.cat([hf[0], hb[0]], dim=-1).view(B, n, -1)         # (B, n, dk)

    def encode(self, ids: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Source ids ``(B, S)`` (column 0: the tag) -> keys = values ``h̄`` ``(B, S, dk)``
        (zeros at padding).

        Key 0 encodes the tag alone (as a one-character string); key s >= 1 is
        ``[GRU_f(x_{s-K} .. x_s); GRU_b(x_{s+K} .. x_s)]`` over the characters only (the tag is
        never in a character's context), both GRUs started from zero, with zero vectors past
        either end (K = ``cfg.context``).  ``lengths`` is not needed (padding embeds to zeros)."""
        tag = self._keys(ids[:, :1])                                    # (B, 1, dk)
        chars = self._keys(ids[:, 1:])                                  # (B, S-1, dk)
        h = torch.cat([tag, chars], dim=1)                              # (B, S, dk)
        return h * (ids != PAD).unsqueeze(-1)

    def start(self, batch: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The start state ``(s_0 (B, Hd), h̃_0 (B, Hd) = 0)``."""
        s0 = self.h0.unsqueeze(0).expand(batch, -1)                     # (B, Hd)
        return s0, torch.zeros_like(s0)

    def attend_kwargs(self, normalization: str, seed: int = 0) -> dict:
        """The options this variant passes to ``attend`` (plus its learned score parameters)."""
        spec = self.cfg.spec
        kw = dict(spec.attend, normalization=normalization, seed=seed)
        if spec.windowed:
            kw["window"] = self.cfg.window
        owned = SCORES[spec.attend["score"]].params
        if "additive" in owned:
            kw["additive"] = (self.W1, self.W2, self.v_a)
        if "W_a" in owned:
            kw["W_a"] = self.W_a
        return kw

    def centres(self, query: torch.Tensor, lengths: torch.Tensor, t: int) -> Optional[torch.Tensor]:
        """Window centres ``(B, 1)`` for step t: local-m ``min(t, S_b - 1)``; local-p Luong's
        ``p_t = (S_b - 1) sigmoid(v_p^T tanh(W_p h_t))`` (the core's one p_t,
        :func:`attention.masks.predict_positions`); None for global scopes."""
        scope = self.cfg.spec.scope
        last = (lengths - 1).to(query.dtype)                            # (B,)
        if scope == "local":
            return torch.clamp(torch.full_like(last, float(t)), max=last).unsqueeze(1)
        if scope == "local_p":
            return predict_positions(query.unsqueeze(1), int(lengths.max()), self.W_p, self.v_p,
                                     last=last)                         # (B, 1)
        return None

    def step(self, state, y_prev: torch.Tensor, keys: torch.Tensor, pad_mask: torch.Tensor,
             lengths: torch.Tensor, t: int, normalization: Optional[str] = None,
             seed: int = 0) -> Step:
        """One decoder step for a batch.

        state: ``(s_{t-1}, h̃_{t-1})`` each ``(B, Hd)``; y_prev: ``(B,)`` ids; keys: ``(B, S, dk)``;
        pad_mask: ``(B, 1, S)`` bool (True = real position); lengths ``(B,)``.
        normalization: default ``soft`` (``hard`` for the hard variant).
        """
        spec = self.cfg.spec
        if normalization is None:
            normalization = spec.attend["normalization"]
        s_prev, feed = state
        e = self.tgt_emb(y_prev)                                        # (B, E_t)
        kw = self.attend_kwargs(normalization, seed)
        if spec.get("flow") == "bahdanau":
            query = s_prev                                              # (B, Hd)
            r = attend(query.unsqueeze(1), keys, keys, mask=pad_mask,   # weights (B, 1, S)
                       positions=self.centres(query, lengths, t), **kw)
            c = r.output.squeeze(1)                                     # (B, dk)
            t_tilde = self.U_o(s_prev) + self.V_o(e) + self.C_o(c)      # (B, 2 Hd)
            t_out = t_tilde.view(-1, self.cfg.d_dec, 2).max(-1).values  # (B, Hd) maxout
            s = self.cell(torch.cat([e, c], dim=-1), s_prev)            # (B, Hd)
            return Step(state=(s, feed), logits=self.W_s(t_out), attn=r, query=query)
        s = self.cell(torch.cat([e, feed], dim=-1), s_prev)             # (B, Hd)
        query = s
        r = attend(query.unsqueeze(1), keys, keys, mask=pad_mask,
                   positions=self.centres(query, lengths, t), **kw)
        c = r.output.squeeze(1)                                         # (B, dk)
        h_tilde = torch.tanh(self.W_c(torch.cat([c, s], dim=-1)))       # (B, Hd)
        return Step(state=(s, h_tilde), logits=self.W_s(h_tilde), attn=r, query=query)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor, targets: torch.Tensor,
                normalization: Optional[str] = None, seed: int = 0):
        """Teacher-forced pass.  targets ``(B, T)`` (chars + EOS, PAD after).

        Returns ``(logits (B, T, V), steps)``: ``steps[t]`` is the :class:`Step` of target t
        (its ``attn.probs`` / ``attn.weights`` feed REINFORCE for the hard variant).
        """
        B, T = targets.shape
        keys = self.encode(ids, lengths)                                # (B, S, dk)
        pad_mask = (ids != PAD).unsqueeze(1)                            # (B, 1, S)
        state = self.start(B)
        y = torch.full((B,), BOS, dtype=torch.long)
        logits, steps = [], []
        for t in range(T):
            st = self.step(state, y, keys, pad_mask, lengths, t, normalization,
                           seed=seed * 1000 + t)
            logits.append(st.logits)
            steps.append(st)
            state, y = st.state, targets[:, t]
        return torch.stack(logits, dim=1), steps                        # (B, T, V)

    # ------------------------------------------------------------ decoding
    @torch.no_grad()
    def greedy_batch(self, texts: list[str], tags: Optional[list[str]] = None,
                     with_probs: bool = False):
        """Greedy outputs for many sources at once (evaluation); same results as :meth:`translate`.

        ``tags``: one locale tag per text (default ``auto``).  ``with_probs``: also return the
        calibrated probability of each whole output (:attr:`Decoding.confidence`)."""
        tags = ["auto"] * len(texts) if tags is None else list(tags)
        ids, lengths = self.encode_sources(texts, tags)
        keys = self.encode(ids, lengths)
        pad_mask = (ids != PAD).unsqueeze(1)
        B = ids.shape[0]
        state = self.start(B)
        y = torch.full((B,), BOS, dtype=torch.long)
        out = torch.full((B, self.cfg.max_target_len), PAD, dtype=torch.long)
        conf = torch.ones(B, dtype=torch.float64)
        done = torch.zeros(B, dtype=torch.bool)
        for t in range(self.cfg.max_target_len):
            st = self.step(state, y, keys, pad_mask, lengths, t)
            y = st.logits.argmax(-1)                                    # (B,)
            p = torch.softmax(st.logits.double() / self.temperature, -1)  # (B, V)
            conf = torch.where(done, conf, conf * p.gather(1, y[:, None])[:, 0])
            out[:, t] = torch.where(done, PAD, y)
            done |= y == EOS
            state = st.state
            if done.all():
                break
        texts_out = [self._text(row) for row in out.tolist()]
        return (texts_out, conf.tolist()) if with_probs else texts_out

    def _text(self, ids: list[int]) -> str:
        chars = []
        for i in ids:
            if i in (EOS, PAD):
                break
            chars.append(self.tgt_vocab[i])
        return "".join(chars)

    def _allowed(self, tokens: tuple) -> torch.Tensor:
        """Constrained decoding: a bool ``(V,)`` of the tokens that keep ``tokens`` a prefix of
        a valid ISO date (:func:`attention.models.dates.next_chars`)."""
        prefix = self._text(list(tokens))
        chars, may_end = next_chars(prefix)
        ok = torch.zeros(len(self.tgt_vocab), dtype=torch.bool)
        for c in chars:
            ok[self.tgt_index[c]] = True
        ok[EOS] = may_end
        return ok

    @torch.no_grad()
    def translate(self, text: str, locale: str = "auto", beam: int = 1,
                  sample_seed: Optional[int] = None, constrained: bool = False) -> Decoding:
        """Decode one source string under a locale tag: greedy (``beam=1``) or beam search
        (``beam`` in 1..5); ``constrained``: every hypothesis stays a prefix of a valid date.

        ``sample_seed`` (hard variant only): draw each step's one-hot attention from its soft
        distribution with ``attend(normalization="hard_sampled", seed=sample_seed * 1000 + t)``
        instead of taking the arg-max.  ValueError on input the model cannot read.
        """
        if isinstance(beam, bool) or not isinstance(beam, int) or not 1 <= beam <= MAX_BEAM:
            raise ValueError(f"beam must be an integer from 1 to {MAX_BEAM}; got {beam!r}")
        hard = self.cfg.spec.hard
        if sample_seed is not None and not hard:
            raise ValueError("sample_seed only applies to the hard-attention variant")
        norm = ("hard_sampled" if sample_seed is not None else "hard") if hard else "soft"
        src = self.check_source(text)
        ids, lengths = self.encode_sources([src], [locale])
        keys = self.encode(ids, lengths)                                # (1, S, dk)
        S = ids.shape[1]
        hyps = [Hypothesis(0.0, (), (), self.start(1))]
        for t in range(self.cfg.max_target_len):
            alive = [h for h in hyps if not h.finished]
            if not alive:
                break
            k = len(alive)
            state = (torch.cat([h.state[0] for h in alive]), torch.cat([h.state[1] for h in alive]))
            y = torch.tensor([h.tokens[-1] if h.tokens else BOS for h in alive])
            st = self.step(state, y, keys.expand(k, -1, -1), (ids != PAD).unsqueeze(1).expand(k, 1, S),
                           lengths.expand(k), t, norm, seed=(sample_seed or 0) * 1000 + t)
            logp = F.log_softmax(st.logits, dim=-1)                     # (k, V)
            p = logp.exp()
            pc = torch.softmax(st.logits / self.temperature, dim=-1)    # (k, V) calibrated
            search = logp
            if constrained:
                allowed = torch.stack([self._allowed(h.tokens) for h in alive])   # (k, V)
                search = logp.masked_fill(~allowed, -math.inf)
            cand = []
            for i, h in enumerate(alive):
                top_lp, top_ix = search[i].topk(min(beam, search.shape[1]))
                for lp, ix in zip(top_lp.tolist(), top_ix.tolist()):
                    if lp > -math.inf:
                        cand.append((h.log_p + lp, i, ix))
            cand.sort(key=lambda c: -c[0])
            new = [h for h in hyps if h.finished]
            for score, i, ix in cand[:beam]:
                h = alive[i]
                new.append(Hypothesis(score, h.tokens + (ix,),
                                      h.records + (self._record(st, i, ix, p[i], pc[i]),),
                                      (st.state[0][i:i + 1], st.state[1][i:i + 1]), ix == EOS))
            new.sort(key=lambda h: -h.log_p)
            hyps = new[:beam]
            if all(h.finished for h in hyps):
                break
        best = max(hyps, key=lambda h: (h.finished, h.log_p))
        return self._decoding(src, locale, best, keys[0], beam, norm, constrained)

    def _record(self, st: Step, i: int, ix: int, p: torch.Tensor, pc: torch.Tensor) -> dict:
        r = st.attn
        top_p, top_ix = p[EOS:].topk(3)                                 # never <pad> / <s>
        top_ix = top_ix + EOS
        return dict(
            weights=r.weights[i, 0], scores=r.scores[i, 0],
            mask=(r.mask[i, 0] if r.mask.ndim == 3 else r.mask[0]),
            position=None if r.positions is None else r.positions[i, 0],
            gaussian=None if r.gaussian is None else r.gaussian[i, 0],
            probs=None if r.probs is None else r.probs[i, 0],
            query=st.query[i], prob=float(p[ix]), calibrated=float(pc[ix]),
            top=tuple((self.tgt_vocab[j], float(q)) for j, q in zip(top_ix.tolist(), top_p.tolist())))

    def _decoding(self, src: str, tag: str, hyp: Hypothesis, keys: torch.Tensor, beam: int,
                  norm: str, constrained: bool) -> Decoding:
        score, toks, recs, finished = hyp.log_p, hyp.tokens, hyp.records, hyp.finished

        def stack(name):
            return None if recs[0][name] is None else torch.stack([r[name] for r in recs])

        learned = SCORES[self.cfg.spec.attend["score"]].params
        kw = {k: v for k, v in self.attend_kwargs(norm).items() if k not in learned}
        return Decoding(
            source=src, tag=tag, output=self._text(toks),
            tokens=tuple(self.tgt_vocab[i] for i in toks),
            token_probs=torch.tensor([r["prob"] for r in recs]),
            calibrated=torch.tensor([r["calibrated"] for r in recs], dtype=torch.float64),
            top=tuple(r["top"] for r in recs),
            weights=stack("weights"), scores=stack("scores"), mask=stack("mask"),
            positions=stack("position"), gaussian=stack("gaussian"), probs=stack("probs"),
            queries=stack("query"), keys=keys, log_prob=float(score), finished=bool(finished),
            beam=beam, temperature=self.temperature, constrained=constrained, attend_options=kw)

    # ------------------------------------------------------------ files
    def card_config(self) -> dict:
        return asdict(self.cfg)


def from_files(stem) -> tuple[Seq2Seq, dict]:
    """Load ``<stem>.safetensors`` + ``<stem>.json`` (the card) offline; returns (model, card).

    The model is in eval mode with gradients off, its calibration temperature from the card.
    ValueError if a file is missing or the weights do not match their card."""
    def build(card: dict) -> Seq2Seq:
        return Seq2Seq(Config(**card["config"]),
                       temperature=card.get("calibration", {}).get("temperature", 1.0))
    return read_trained(stem, build, "python -m training translate --variant all")


def weights_dir() -> Path:
    """The folder of the shipped models (``<variant>.safetensors`` + ``<variant>.json``)."""
    return WEIGHTS_DIR


def load(variant: str) -> tuple[Seq2Seq, dict]:
    """The shipped model trained with attention ``variant`` (see :data:`VARIANTS`) and its card."""
    one_of("variant", variant, VARIANTS.names())
    return from_files(WEIGHTS_DIR / variant)
