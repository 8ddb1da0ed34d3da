"""Translate page: cross-attention alignment (core, figure, real model, page).

References are hand computations (softmax within a window times Luong's Gaussian),
a constructed case with a known answer (a sentence aligned with itself, and a
paraphrase whose content words move), and the drawn window read back from the figure.
"""
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from attention.applications import ALIGN_SCOPES, align, monotonic_positions, row_breakdown, window_bounds
from figures.alignment import alignment_heatmap, window_marks

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "translate.py")


def _vectors(T=7, S=11, d=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(T, d, generator=g), torch.randn(S, d, generator=g)


def _cos(q, k):
    return (q / q.norm(dim=-1, keepdim=True)) @ (k / k.norm(dim=-1, keepdim=True)).T


# ------------------------------------------------------------------ core: shapes and windows
@pytest.mark.parametrize("scope", ALIGN_SCOPES)
@pytest.mark.parametrize("T,S", [(7, 11), (11, 7), (1, 5), (5, 1)])
def test_shapes_and_zero_outside_window(scope, T, S):
    q, k = _vectors(T, S)
    al = align(q, k, score="cosine", scope=scope, window=1, temperature=0.2)
    assert al.weights.shape == al.mask.shape == al.within.shape == (T, S)
    assert (al.weights[~al.mask] == 0).all()                      # exactly 0, not tiny
    if scope == "global":
        assert al.positions is None and al.mask.all()
        return
    p = al.positions
    assert p.shape == (T,)
    s = torch.arange(S, dtype=p.dtype)
    assert torch.equal(al.mask, (s[None, :] - p[:, None]).abs() <= 1 + 1e-6)
    assert (al.weights[al.mask] > 0).all()


@pytest.mark.parametrize("scope", ["global", "local_m", "local_m_scaled"])
def test_soft_rows_sum_to_one(scope):
    q, k = _vectors(9, 6)
    al = align(q, k, score="scaled_dot", scope=scope, window=2, temperature=0.7)
    sums = al.weights.sum(-1)
    nonempty = al.mask.any(-1)
    assert torch.allclose(sums[nonempty], torch.ones(int(nonempty.sum())), atol=1e-6)
    assert (sums[~nonempty] == 0).all()      # local-m with p_t = t past the source's end: empty window
    if scope == "local_m":
        assert (~nonempty).sum() == 9 - (6 + 2)                   # rows t = 8: |8 - s| > 2 for s <= 5


def test_local_m_is_luong_p_t_equals_t_and_scaled_walks_the_diagonal():
    assert torch.equal(monotonic_positions(4, 9), torch.tensor([0., 1., 2., 3.]))
    assert torch.allclose(monotonic_positions(4, 10, scaled=True), torch.tensor([0., 3., 6., 9.]))
    assert torch.equal(monotonic_positions(1, 10, scaled=True), torch.tensor([0.]))
    q, k = _vectors(4, 10)
    al = align(q, k, scope="local_m", window=1)
    assert torch.equal(al.mask, torch.tensor([[abs(t - s) <= 1 for s in range(10)] for t in range(4)]))
    al = align(q, k, scope="local_m_scaled", window=1)
    assert al.mask[3, 9] and al.mask[3, 8] and not al.mask[3, 7]  # p_3 = 9: corner to corner


def test_local_p_equals_softmax_within_window_times_gaussian_by_hand():
    q, k = _vectors(6, 12, d=8, seed=3)
    D, temp = 2, 0.3
    al = align(q, k, score="cosine", scope="local_p", window=D, temperature=temp, seed=5)
    p = al.positions
    assert p.shape == (6,) and (p >= 0).all() and (p <= 11).all()
    e = _cos(q, k)                                                 # (T, S) by hand
    for t in range(6):
        inside = [s for s in range(12) if abs(s - float(p[t])) <= D + 1e-6]
        z = [math.exp(float(e[t, s]) / temp) for s in inside]
        expect = torch.zeros(12, dtype=torch.float64)
        for s, zs in zip(inside, z):
            gauss = math.exp(-(s - float(p[t])) ** 2 / (2 * (D / 2) ** 2))
            expect[s] = zs / sum(z) * gauss
        assert torch.allclose(al.weights[t].double(), expect, atol=1e-6), t
        nz = torch.nonzero(al.weights[t]).reshape(-1).tolist()
        assert all(abs(s - float(p[t])) <= D + 1e-6 for s in nz)
        assert al.weights[t].sum() <= 1 + 1e-6
    # the table's columns recompute the same row
    tab = row_breakdown(al, 2)
    assert np.allclose(tab["softmax in window"] * tab["Gaussian factor"], tab["weight α"], atol=1e-7)
    assert np.allclose(tab["e / T"], tab["score e"] / temp)
    assert np.isclose(tab["softmax in window"][tab["in window"]].sum(), 1.0)
    # other seed, other (untrained) W_p, v_p
    assert not torch.equal(align(q, k, scope="local_p", window=D, seed=6).positions, p)


def test_hard_alignment_is_one_hot_inside_window():
    q, k = _vectors(8, 8, seed=1)
    al = align(q, k, score="dot", scope="local_m", window=1, normalization="hard")
    assert torch.equal(al.weights.sum(-1), torch.ones(8))
    am = al.weights.argmax(-1)
    assert all(abs(int(am[t]) - t) <= 1 for t in range(8))
    e = q @ k.T
    for t in range(8):
        lo, hi = max(0, t - 1), min(8, t + 2)
        assert int(am[t]) == lo + int(e[t, lo:hi].argmax())


def test_align_rejects_unknown_options():
    q, k = _vectors()
    for kw in ({"scope": "local"}, {"score": "additive"}, {"normalization": "sparsemax"}):
        with pytest.raises(ValueError):
            align(q, k, **kw)


# ------------------------------------------------------------------ figure
@pytest.mark.parametrize("scope", ["local_m", "local_m_scaled", "local_p"])
def test_drawn_window_matches_positions(scope):
    q, k = _vectors(7, 10, seed=2)
    al = align(q, k, scope=scope, window=3)
    xs, ys = [f"<b>s{i}</b>" for i in range(10)], [f"t{i}" for i in range(7)]
    fig = alignment_heatmap(al.weights.numpy(), xs, ys, positions=al.positions.numpy(), window=al.window,
                            scope_mask=al.mask.numpy(), highlight_row=2)
    p, D = window_marks(fig)
    assert np.allclose(p, al.positions.numpy(), atol=1e-6) and D == 3
    assert np.allclose(window_bounds(al.positions, 3), np.stack([p - D, p + D], 1), atol=1e-6)
    marks = next(tr for tr in fig.data if tr.name == "p_t")
    assert np.allclose(np.asarray(marks.y) - 0.3, np.arange(7))  # one marker per target row
    z = np.asarray(fig.data[0].z, dtype=float)
    assert np.isnan(z[~al.mask.numpy()]).all()                     # outside the window: blank
    assert np.allclose(z[al.mask.numpy()], al.weights.numpy()[al.mask.numpy()])
    assert "&lt;b&gt;s0&lt;/b&gt;" in fig.layout.xaxis.ticktext     # user text shown literally
    assert fig.layout.yaxis.ticktext[2].startswith("<b>▶")         # the inspected row


def test_global_figure_has_no_window():
    q, k = _vectors(3, 4)
    al = align(q, k)
    fig = alignment_heatmap(al.weights.numpy(), list("abcd"), list("xyz"))
    assert window_marks(fig)[1] is None and not any(tr.name == "p_t" for tr in fig.data)


# ------------------------------------------------------------------ the real model
@pytest.fixture(scope="module")
def encode():
    from dashboard import cache
    return cache.encode


@pytest.mark.parametrize("hide", [True, False])
def test_identical_sentences_align_on_the_diagonal(encode, hide):
    from dashboard.applications import pair_vectors
    enc = encode("The keys to the cabinet are on the table, and the cabinet is by the door.")
    for layer in range(7):
        q, k, tt, st_ = pair_vectors(enc, enc, "hidden", layer, 1, hide)
        al = align(q, k, score="cosine", temperature=0.1)
        assert al.weights.shape == (len(tt), len(st_)) == ((18, 18) if hide else (20, 20))
        assert torch.equal(al.weights.argmax(-1), torch.arange(len(tt))), layer


def test_paraphrase_content_words_find_their_source_word(encode):
    """Known answer: each content word of the target occurs once in the source.
    A transposed matrix (source x target) would send "cat" (target 5) to source 5 ("mat")."""
    from dashboard.applications import DEFAULT_PAIR, pair_vectors
    src, tgt = DEFAULT_PAIR
    q, k, tt, st_ = pair_vectors(encode(tgt), encode(src), "hidden", 3, 1, True)
    assert tt == ["on", "the", "mat", "sat", "the", "cat", "."]
    assert st_ == ["the", "cat", "sat", "on", "the", "mat", "."]
    al = align(q, k, score="cosine", temperature=0.1)
    am = al.weights.argmax(-1).tolist()
    for t, word in enumerate(tt):
        if word in ("on", "mat", "sat", "cat", "."):
            assert st_[am[t]] == word, (word, am)
    # the model's learned projections: W_Q of the target, W_K of the source, d = 32
    q2, k2, _, _ = pair_vectors(encode(tgt), encode(src), "qk", 3, 10, True)
    assert q2.shape == (7, 32) and k2.shape == (7, 32)
    ref = encode(tgt)["queries"][2, 9][1:-1]
    assert np.allclose(q2.numpy(), ref)


# ------------------------------------------------------------------ the page
def _app():
    from streamlit.testing.v1 import AppTest
    return AppTest.from_file(PAGE, default_timeout=60)


def _heatmap(at):
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return spec, next(t for t in spec["data"] if t["type"] == "heatmap")


def test_page_default_and_widget_changes():
    at = _app().run()
    assert not at.exception and not at.error
    assert "English-only" in at.info[0].value
    spec, hm = _heatmap(at)
    assert len(hm["y"]["bdata"] if isinstance(hm["y"], dict) else hm["y"]) > 0
    assert len(at.get("plotly_chart")) == 1 and len(at.get("download_button")) == 2
    at.radio(key="tr_scope").set_value("local_p").run()
    at.slider(key="tr_window").set_value(1).run()
    assert not at.exception and not at.error
    spec, _ = _heatmap(at)
    assert any(t.get("name") == "p_t" for t in spec["data"])
    assert any("p_t =" in t.value for t in at.text)
    at.radio(key="tr_rep").set_value("qk").run()
    at.radio(key="tr_type").set_value("hard").run()
    at.toggle(key="tr_hide").set_value(False).run()
    at.slider(key="tr_row").set_value(3).run()
    assert not at.exception and not at.error
    assert "layer 3, head 10" in _heatmap(at)[0]["layout"]["title"]["text"]
    assert "[CLS] (0)" in _heatmap(at)[0]["layout"]["yaxis"]["ticktext"]
    at.text_area(key="tr_tgt").set_value("   ").run()
    assert not at.exception and any("Type a source" in i.value for i in at.info)


def test_share_link_with_hostile_values_shows_notices():
    at = _app()
    at.query_params.update({"tr_temp": "<script>alert(1)</script>", "tr_window": "1e9", "tr_scope": "local_m",
                            "tr_src": "**bold** $x$ <b>tag</b> [link](http://x)", "nope": "1"})
    at.run()
    assert not at.exception and not at.error
    notes = " ".join(w.value for w in at.warning)
    assert "temp" in notes and "window" in notes and "nope" in notes
    assert at.session_state["tr_scope"] == "local_m" and at.session_state["tr_temp"] == 0.1
    spec, _ = _heatmap(at)
    ticks = " ".join(spec["layout"]["xaxis"]["ticktext"])
    assert "&lt;" in ticks and "<b>" not in ticks                 # tokens escaped on the chart
