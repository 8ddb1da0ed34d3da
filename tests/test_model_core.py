"""Model explorer: the core it uses (attention.explore, attention.metrics), the page's glue
(features.model.compute) and figure builders (features.model.figures), against hand
computations, transformers' eager attention and the model's own forward pass."""
import math

import numpy as np
import pytest
import torch

from attention import attend
from attention import explore as X
from attention.metrics import head_stats, rollout
from features.model import compute as C
from features.model import figures as FM

PAIR = ("The cat sat on the mat.", "Where did the cat sit?")


@pytest.fixture(scope="module")
def pair_run(minilm):
    enc = minilm.tokenize(*PAIR)
    return enc, minilm.forward(enc.ids, enc.type_ids)


# ------------------------------------------------------------------ statistics by hand
# one head, 3 tokens; [CLS] = token 0 and [SEP] = token 2 are "special"
A3 = torch.tensor([[[[1.0, 0.0, 0.0],
                     [0.5, 0.5, 0.0],
                     [0.25, 0.25, 0.5]]]], dtype=torch.float64)          # (L=1, H=1, 3, 3)
SPECIAL3 = torch.tensor([True, False, True])


def test_head_stats_by_hand():
    S = head_stats(A3, SPECIAL3, k=2)
    # entropy per row: 0, ln 2, -(2 * .25 ln .25 + .5 ln .5) = 1.5 ln 2  -> mean 2.5 ln 2 / 3
    assert S["entropy"].item() == pytest.approx(2.5 * math.log(2) / 3, abs=1e-12)
    assert S["entropy"].item() == pytest.approx(0.5776226504666211, abs=1e-12)
    # distance per row: 0, .5*1, .25*2 + .25*1 = .75  -> mean 1.25 / 3
    assert S["mean_distance"].item() == pytest.approx(0.4166666666666667, abs=1e-12)
    # on [CLS]/[SEP]: 1, .5, .25 + .5  -> 2.25 / 3
    assert S["special_share"].item() == pytest.approx(0.75, abs=1e-12)
    # two largest: 1, 1, .5 + .25  -> 2.75 / 3
    assert S["top2_mass"].item() == pytest.approx(0.9166666666666666, abs=1e-12)
    # row max: 1, .5, .5 -> 2 / 3
    assert S["max_weight"].item() == pytest.approx(0.6666666666666666, abs=1e-12)


def test_head_stats_shapes_on_the_model(pair_run):
    enc, tr = pair_run
    S = head_stats(tr.weights, torch.tensor(enc.special), k=3)
    assert {k: tuple(v.shape) for k, v in S.items()} == {
        "entropy": (6, 12), "mean_distance": (6, 12), "top3_mass": (6, 12),
        "max_weight": (6, 12), "special_share": (6, 12)}
    n = len(enc)
    assert (S["entropy"] >= 0).all() and (S["entropy"] <= math.log(n) + 1e-6).all()
    assert (S["top3_mass"] <= 1 + 1e-6).all() and (S["top3_mass"] >= S["max_weight"] - 1e-9).all()


# ------------------------------------------------------------------ rollout by hand
def test_rollout_by_hand_renormalises_rows_with_keepdim():
    # rows that do NOT sum to 1 (0.4 and 0.8): the row renormalisation matters
    A1 = torch.tensor([[0.2, 0.2], [0.6, 0.2]], dtype=torch.float64)
    A2 = torch.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=torch.float64)
    W = torch.stack([A1, A2])                                             # (L=2, 2, 2)
    # Â1 = rownorm(.5 A1 + .5 I) = rownorm([[.6, .1], [.3, .6]]) = [[6/7, 1/7], [1/3, 2/3]]
    np.testing.assert_allclose(rollout(W, 0, 0).numpy(), [[6 / 7, 1 / 7], [1 / 3, 2 / 3]], atol=1e-12)
    # Â2 = [[.5, .5], [.5, .5]];  R = Â2 @ Â1 = [[25/42, 17/42], [25/42, 17/42]]
    np.testing.assert_allclose(rollout(W).numpy(), [[25 / 42, 17 / 42]] * 2, atol=1e-12)
    np.testing.assert_allclose(rollout(W, 1, 1).numpy(), [[0.5, 0.5]] * 2, atol=1e-12)
    # the widely copied bug (A / A.sum(-1), no keepdim) divides columns instead: rows != 1
    bad = (0.5 * A1 + 0.5 * torch.eye(2)) / (0.5 * A1 + 0.5 * torch.eye(2)).sum(-1)
    assert not torch.allclose(bad.sum(-1), torch.ones(2, dtype=torch.float64))
    assert torch.allclose(rollout(W).sum(-1), torch.ones(2, dtype=torch.float64), atol=1e-12)


def test_rollout_averages_heads_first():
    heads = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]]])  # (1, 2, 2, 2)
    # mean over heads = .5 everywhere; Â = .5 * .5 + .5 I = [[.75, .25], [.25, .75]]
    np.testing.assert_allclose(rollout(heads).numpy(), [[0.75, 0.25], [0.25, 0.75]], atol=1e-7)


def test_rollout_of_the_model_rows_sum_to_one(pair_run):
    _, tr = pair_run
    for start, end in ((0, 5), (2, 4), (3, 3)):
        R = rollout(tr.weights, start, end)
        assert torch.allclose(R.sum(-1), torch.ones(R.shape[0]), atol=1e-5)
    with pytest.raises(ValueError):
        rollout(tr.weights, 4, 2)


# ------------------------------------------------------------------ filters, pooling, pairs
def test_segment_index_blocks_of_a_pair(pair_run):
    enc, _ = pair_run
    t, sp = enc.type_ids.numpy(), enc.special
    n_a = int((t == 0).sum())
    assert enc.tokens[0] == "[CLS]" and enc.tokens[n_a - 1] == "[SEP]" and enc.tokens[-1] == "[SEP]"
    rows, cols = X.segment_index(t, sp, 0, 1)                              # queries in A, keys in B
    assert list(rows) == list(range(n_a)) and list(cols) == list(range(n_a, len(enc)))
    rows, cols = X.segment_index(t, sp, 1, 0, hide_special=True)
    assert list(rows) == list(range(n_a, len(enc) - 1)) and list(cols) == list(range(1, n_a - 1))
    rows, cols = X.segment_index(t, sp, hide_special=True)                 # every segment
    assert list(rows) == list(cols) == [i for i in range(len(enc)) if not sp[i]]
    with pytest.raises(ValueError):
        X.segment_index(t, sp, "A")
    # the page's pair blocks name the same rows and columns
    cached = {"type_ids": t, "special": np.array(sp)}
    for block, segs in (("AB", (0, 1)), ("BA", (1, 0)), ("all", (None, None))):
        for hide in (False, True):
            got, want = C.block_index(cached, block, hide), X.segment_index(t, sp, *segs, hide_special=hide)
            assert all(np.array_equal(g, w) for g, w in zip(got, want)), (block, hide)
    with pytest.raises(ValueError, match="block must be one of"):
        C.block_index(cached, "AC", False)


def test_segment_mass_by_hand():
    W = np.array([[0.5, 0.2, 0.2, 0.1],
                  [0.1, 0.1, 0.4, 0.4],
                  [0.3, 0.3, 0.3, 0.1],
                  [0.0, 0.0, 0.0, 1.0]])
    M = X.segment_mass(W, [0, 0, 1, 1])
    assert M["AB"] == pytest.approx((0.3 + 0.8) / 2)
    assert M["AA"] == pytest.approx((0.7 + 0.2) / 2)
    assert M["BA"] == pytest.approx((0.6 + 0.0) / 2)
    assert M["BB"] == pytest.approx((0.4 + 1.0) / 2)
    assert np.isnan(X.segment_mass(W, [0, 0, 0, 0])["BA"])


def test_topk_keep_by_hand():
    w = np.array([[0.1, 0.5, 0.3, 0.1], [0.7, 0.1, 0.1, 0.1]])
    k = X.topk_keep(w, 2)
    assert k[0].tolist() == [False, True, True, False]
    assert k[1, 0] and k[1].sum() == 2                   # 0.7 + one of the tied 0.1s
    assert X.topk_keep(w, 0).all() and X.topk_keep(w, 9).all()


def test_pool_max_and_percent_by_hand():
    w = np.zeros((1, 1, 5, 5), dtype=np.float32)
    w[0, 0, 4, 4] = 0.424
    w[0, 0, 1, 3] = 0.9
    p, blocks = X.pool_max(w, max_side=2)               # blocks of 3: cells 0-2 and 3-4
    assert blocks == (3, 3) and p.shape == (1, 1, 2, 2)
    np.testing.assert_allclose(p[0, 0], [[0.0, 0.9], [0.0, 0.424]], atol=1e-7)
    t, blocks = X.thumbnails(w, max_side=8)              # no pooling: exact cells, percent
    assert blocks == (1, 1) and t.dtype == np.uint8 and t[0, 0, 4, 4] == 42 and t[0, 0, 1, 3] == 90
    assert X.to_percent(np.array([np.nan, 1.0, 0.005, 0.0149])).tolist() == [0, 100, 0, 1]


# ------------------------------------------------------------------ the model
def test_weights_equal_transformers_eager_for_a_pair(pair_run, hf_model):
    enc, tr = pair_run
    assert set(enc.type_ids.tolist()) == {0, 1}
    with torch.no_grad():
        out = hf_model(enc.ids[None], token_type_ids=enc.type_ids[None], output_attentions=True)
    ref = torch.stack([a[0] for a in out.attentions])                    # (L, H, n, n)
    W = X.all_weights(tr.queries, tr.keys, tr.values)                    # what the page draws
    assert W.shape == ref.shape == (6, 12, len(enc), len(enc))
    assert torch.allclose(W, ref, atol=1e-5)
    assert torch.equal(W, tr.weights)


def test_counterfactual_window_at_least_n_is_the_model_exactly(minilm, pair_run):
    enc, tr = pair_run
    n = len(enc)
    for w in (n, n + 7):
        cf = X.counterfactual(minilm, enc.ids, enc.type_ids, C.variant_options("local", w, "soft"), range(6))
        assert torch.equal(cf.weights, tr.weights)
        assert torch.equal(cf.sentence_embedding, tr.sentence_embedding)
    assert X.cosine(cf.sentence_embedding, tr.sentence_embedding) == pytest.approx(1.0, abs=1e-12)


def test_causal_counterfactual_moves_the_embedding(minilm, pair_run):
    enc, tr = pair_run
    cf = X.counterfactual(minilm, enc.ids, enc.type_ids, C.variant_options("causal", 2, "soft"), [1, 3])
    for l in (1, 3):
        assert torch.equal(cf.weights[l], cf.weights[l].tril())          # lower-triangular
        assert torch.allclose(cf.weights[l].sum(-1), torch.ones(12, len(enc)), atol=1e-5)
    assert not torch.equal(cf.weights[2], cf.weights[2].tril())          # layer 2 kept global soft
    assert torch.equal(cf.weights[0], tr.weights[0])                     # before the change: same
    cos = X.cosine(cf.sentence_embedding, tr.sentence_embedding)
    assert cos < 1 - 1e-4
    js = X.js_per_head(tr.weights, cf.weights)
    assert js.shape == (6, 12) and np.all(js[0] == 0) and np.all(js[1] > 0)
    assert np.all(js <= math.log(2) + 1e-6)


def test_variant_options_are_plain_attend_options_validated_up_front():
    """The page's scope / window / normalization become attend's own options (window only
    where the scope has one), checked by resolve_options."""
    assert C.variant_options("global", 2, "soft") == C.MODEL_OWN == {"scope": "global", "normalization": "soft"}
    assert C.variant_options("causal", 5, "hard") == {"scope": "causal", "normalization": "hard"}
    opts = C.variant_options("local", 1, "sparsemax")
    assert opts == {"scope": "local", "window": 1, "normalization": "sparsemax"}
    # attend takes them as they are: a band |i - j| <= 1, sparsemax inside it
    g = torch.Generator().manual_seed(0)
    q, k = torch.randn(5, 4, generator=g), torch.randn(5, 4, generator=g)
    r = attend(q, k, k, **opts)
    i, j = np.indices((5, 5))
    np.testing.assert_array_equal(r.mask.numpy(), np.abs(i - j) <= 1)
    assert (r.weights[0].numpy()[np.abs(i - j) > 1] == 0).all()
    np.testing.assert_allclose(r.weights[0].sum(-1).numpy(), 1, atol=1e-6)
    for bad in (("local", None, "soft"), ("local", -1, "soft"), ("grid", 1, "soft"), ("global", 0, "softmax")):
        with pytest.raises(ValueError):
            C.variant_options(*bad)


def test_js_per_head_matches_metrics_js():
    from attention.metrics import js
    g = torch.Generator().manual_seed(0)
    p = torch.softmax(torch.randn(2, 3, 5, 7, generator=g) * 2, -1)
    q = torch.softmax(torch.randn(2, 3, 5, 7, generator=g) * 2, -1)
    np.testing.assert_allclose(X.js_per_head(p, q), js(p, q).mean(-1).numpy(), atol=1e-6)
    assert np.all(X.js_per_head(p, p) == 0)


# ------------------------------------------------------------------ neuron view
def test_neuron_steps_by_hand():
    q = np.array([[1.0, 1.0]])
    k = np.array([[1.0, 0.0], [0.0, 2.0]])
    v = np.array([[10.0, 0.0], [0.0, 10.0]])
    N = X.neuron_steps(q, k, v, 0)
    np.testing.assert_allclose(N["qk"], [[1, 0], [0, 2]])
    np.testing.assert_allclose(N["dot"], [1, 2])
    np.testing.assert_allclose(N["score"], [1 / math.sqrt(2), 2 / math.sqrt(2)])
    a = 1 / (1 + math.exp(1 / math.sqrt(2)))                             # softmax of 2 scores
    np.testing.assert_allclose(N["weight"], [a, 1 - a])
    np.testing.assert_allclose(N["output"], [10 * a, 10 * (1 - a)])


def test_neuron_view_numbers_equal_the_heatmap(pair_run):
    """Computed the way the page does: the heatmap is attend() of the layer (features.model
    .compute.layer_attention), the table is explore.neuron_steps of the same q, k, v."""
    from features.model.compute import layer_attention
    enc, tr = pair_run
    cached = {"queries": tr.queries.numpy(), "keys": tr.keys.numpy(), "values": tr.values.numpy()}
    for l, h, i in ((0, 0, 0), (2, 4, 5), (5, 11, len(enc) - 1)):
        r = layer_attention(cached, l)
        heat = FM_heatmap_z(r.weights[h].numpy())
        N = X.neuron_steps(cached["queries"][l, h], cached["keys"][l, h], cached["values"][l, h], i)
        np.testing.assert_allclose(N["weight"], heat[i], atol=1e-6)   # float64 table vs float32 map
        np.testing.assert_allclose(N["weight"], tr.weights[l, h, i].numpy(), atol=1e-6)
        np.testing.assert_allclose(N["output"], r.output[h, i].numpy(), atol=1e-5)
        np.testing.assert_allclose(N["qk"].sum(-1), N["dot"], atol=1e-9)
        assert N["weight"].sum() == pytest.approx(1.0, abs=1e-12)


def FM_heatmap_z(w):
    """The z the page's heatmap draws (figures.heatmap keeps the float32 array)."""
    import figures
    lab = [str(i) for i in range(w.shape[0])]
    return np.asarray(figures.heatmap(w, lab, lab).data[0].z)


# ------------------------------------------------------------------ figures
def test_model_grid_tiles_and_clicks_map_back():
    rng = np.random.default_rng(1)
    thumbs = rng.integers(0, 101, size=(6, 12, 9, 7)).astype(np.uint8)
    fig = FM.model_grid(thumbs, selected=(2, 4))
    heat = [t for t in fig.data if t.type == "heatmap"]
    assert len(heat) == 72
    np.testing.assert_array_equal(np.asarray(heat[3 * 12 + 5].z), thumbs[3, 5])
    overlay = fig.data[-1]
    assert overlay.type == "scatter" and overlay.marker.opacity == 0 and len(overlay.x) == 72 * 9
    # every overlay marker maps back to its own tile; gaps map to nothing
    cells = [FM.grid_cell(x, y, 6, 12) for x, y in zip(overlay.x, overlay.y)]
    assert all(c is not None for c in cells) and len(set(cells)) == 72
    assert FM.grid_cell(5 * (1 + FM.GAP) + 0.5, 3 * (1 + FM.GAP) + 0.5, 6, 12) == (3, 5)
    assert FM.grid_cell(1.04, 0.5, 6, 12) is None and FM.grid_cell(50, 0.5, 6, 12) is None


def model_view_payload_bytes(n_tokens: int, max_side: int = 64) -> int:
    """Bytes of the page's 72-head grid figure (what Streamlit sends) for n_tokens of seeded
    random softmax rows (the typed-array payload does not depend on the values)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 12, n_tokens, n_tokens)).astype(np.float32) * 3
    w = np.exp(x - x.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)                                        # (L, H, n, n) rows sum to 1
    thumbs, _ = X.thumbnails(w, max_side)
    hover = np.array([[f"layer {l + 1} · head {h + 1}<br>entropy 1.234 nats · distance 12.3"
                       for h in range(12)] for l in range(6)], dtype=object)
    return len(FM.model_grid(thumbs, selected=(0, 0), hover=hover, title="all 72 heads").to_json().encode())


def test_model_view_payload_at_128_tokens_is_small():
    b = model_view_payload_bytes(128)
    assert b <= 2_000_000                     # BertViz: 53 MB
    assert model_view_payload_bytes(32) < b


def test_head_lines_one_segment_per_weight_above_threshold():
    w = np.array([[[0.6, 0.3, 0.1], [0.02, 0.9, 0.08], [0.5, 0.25, 0.25]],
                  [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]], dtype=np.float32)
    lab = ["a", "b", "<c>"]
    fig = FM.head_lines(w, lab, lab, heads=[0, 1], threshold=0.1)
    lines = [t for t in fig.data if t.mode == "lines" and t.x is not None and len(t.x) > 1]
    per_head = {0: 0, 1: 0}
    for t in lines:
        per_head[int(t.legendgroup[1:])] += len(t.x) // 3
        lv = round(t.opacity * 8)
        ys = np.asarray(t.y).reshape(-1, 3)
        for i, j, _ in ys:
            weight = w[int(t.legendgroup[1:]), int(i), int(j)]
            assert math.ceil(weight * 8) == lv                           # opacity level = ceil(8 w) / 8
    assert per_head == {0: 7, 1: 3}                                      # weights >= 0.1
    # isolation keeps one query's lines; labels are escaped
    fig = FM.head_lines(w, lab, lab, heads=[0], threshold=0.1, isolate=("q", 2))
    segs = sum(len(t.x) // 3 for t in fig.data if t.mode == "lines")
    assert segs == 3
    assert "&lt;c&gt;" in " ".join(fig.data[-1].text) and "<c>" not in " ".join(fig.data[-1].text)
