"""The real model: our plain-torch forward (attention by attention.attend) vs transformers."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from attention.models.minilm import clean_text

SENTENCES = [
    "The animal didn't cross the street because it was too tired.",
    "a",
    "Tokens such as <b>bold</b> & <script>alert(1)</script> stay text. 😀 naïve ﻿zero‌width",
]


@pytest.mark.parametrize("text,pair", [(s, None) for s in SENTENCES] +
                         [("The cat sat on the mat.", "Where did the cat sit?")])
def test_weights_equal_transformers_eager(minilm, hf_model, text, pair):
    enc = minilm.tokenize(text, pair)
    tr = minilm.forward(enc.ids, enc.type_ids)
    with torch.no_grad():
        out = hf_model(enc.ids[None], token_type_ids=enc.type_ids[None], output_attentions=True,
                       output_hidden_states=True)
    ref = torch.stack([a[0] for a in out.attentions])              # (L, H, n, n)
    assert tr.weights.shape == ref.shape == (6, 12, len(enc), len(enc))
    assert torch.allclose(tr.weights, ref, atol=1e-5)
    hid = torch.stack([h[0] for h in out.hidden_states])
    assert torch.allclose(tr.hidden, hid, atol=1e-4)
    # sentence embedding: mean pooling + L2 norm (sentence-transformers' recipe)
    pooled = out.last_hidden_state[0].mean(0)
    assert torch.allclose(tr.sentence_embedding, pooled / pooled.norm(), atol=1e-5)


def test_weights_are_recomputable_from_q_and_k(minilm):
    """What pages do: attend(q, k) of a cached layer/head reproduces the forward's weights."""
    from attention import attend
    enc = minilm.tokenize(SENTENCES[0])
    tr = minilm.forward(enc.ids)
    for layer in (0, 5):
        r = attend(tr.queries[layer], tr.keys[layer], tr.values[layer])
        assert torch.allclose(r.weights, tr.weights[layer], atol=1e-6)


def test_tokenizer_no_padding_and_truncation_to_512(minilm):
    enc = minilm.tokenize("hello world")
    assert enc.tokens == ("[CLS]", "hello", "world", "[SEP]")        # no [PAD] to 128
    assert enc.special == (True, False, False, True)
    long = " ".join(["word"] * 600)
    enc = minilm.tokenize(long)
    assert len(enc) == 512 and enc.n_total == 602 and enc.n_dropped == 90
    assert enc.tokens[0] == "[CLS]" and enc.tokens[-1] == "[SEP]"
    tr = minilm.forward(enc.ids)
    assert tr.weights.shape == (6, 12, 512, 512)
    # the tokenizer is left untruncated after a long input
    assert len(minilm.tokenize(" ".join(["word"] * 200))) == 202


def test_pair_segments(minilm):
    enc = minilm.tokenize("A first.", "Then second.")
    assert enc.tokens == ("[CLS]", "a", "first", ".", "[SEP]", "then", "second", ".", "[SEP]")
    assert enc.type_ids.tolist() == [0] * 5 + [1] * 4


def test_counterfactual_window_covering_everything_is_identical(minilm):
    enc = minilm.tokenize(SENTENCES[0])
    n = len(enc)
    base = minilm.forward(enc.ids)
    cf = minilm.forward(enc.ids, attention={l: {"scope": "local", "window": n} for l in range(6)})
    assert torch.equal(cf.weights, base.weights)
    assert torch.equal(cf.sentence_embedding, base.sentence_embedding)
    causal = minilm.forward(enc.ids, attention={0: {"scope": "causal"}})
    assert torch.equal(causal.weights[0].triu(1), torch.zeros_like(causal.weights[0]))
    assert float(causal.sentence_embedding @ base.sentence_embedding) < 0.9999


def test_forward_rejects_bad_input(minilm):
    with pytest.raises(ValueError, match="between 1 and 512"):
        minilm.forward(torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError, match="vocabulary"):
        minilm.forward(torch.tensor([101, 10 ** 6, 102]))
    with pytest.raises(ValueError, match="heads"):
        minilm.forward(torch.tensor([101, 102]), attention={0: {"heads": 2}})


def test_clean_text():
    assert clean_text("a\x00b\x1bc\nd\te") == ("abc\nd\te", ["Removed 2 control character(s) (such as NUL)."])
    t, notes = clean_text("x" * 20, max_chars=5)
    assert t == "xxxxx" and "first 5 of 20" in notes[0]
    assert clean_text("<b>hi</b>") == ("<b>hi</b>", [])


@pytest.mark.parametrize("modules,banned", [
    ("attention, attention.models.minilm, attention.image, attention.metrics", ("streamlit", "plotly")),
    ("figures", ("streamlit",)),
], ids=["core: no streamlit, no plotly", "figures: no streamlit"])
def test_layers_import_only_what_they_may(modules, banned):
    code = (f"import sys, {modules};"
            f"bad = [m for m in sys.modules if m.split('.')[0] in {banned!r}];"
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=str(Path(__file__).resolve().parent.parent))
    assert r.returncode == 0, r.stdout + r.stderr


def test_tokenize_is_safe_from_many_threads_at_once(minilm):
    """The page server tokenizes for 30 sessions at once; truncation is a setting of the shared
    tokenizer, so a long text being cut must never cut (or miscount) another thread's text."""
    from concurrent.futures import ThreadPoolExecutor
    long_text, short_text = "word " * 700, "A short sentence about a cat."
    want_long, want_short = minilm.tokenize(long_text), minilm.tokenize(short_text)

    def one(i):
        e = minilm.tokenize(long_text if i % 2 else short_text)
        return i, len(e), e.n_total
    with ThreadPoolExecutor(8) as pool:
        for i, n, total in pool.map(one, range(400)):
            want = want_long if i % 2 else want_short
            assert (n, total) == (len(want), want.n_total), i
