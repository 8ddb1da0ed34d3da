"""The model explorer page in AppTest: every view renders, clicks move the page, and the
numbers on screen equal the core's."""
from pathlib import Path

import numpy as np
import pytest
import torch

from attention import explore as X
from attention.metrics import head_stats, rollout
from features.model.figures import GAP
from tests.plotly_utils import chart_spec, decode, trace_array, run_page

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "model.py")
DEFAULT = "The animal didn't cross the street because it was too tired."
B_TEXT = "Where did the animal not go?"
VIEWS = ("model", "head", "neuron", "stats", "agg", "cf", "pair")


def page(**query):
    return run_page(PAGE, 120, **query)


def errors(at):
    return [e.value for e in at.error]


def click(at, key, **point):
    """What the browser sends when a point of chart ``key`` is clicked."""
    at.session_state[key] = {"selection": {"points": [point], "point_indices": [0], "box": [], "lasso": []}}
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def trace(minilm):
    enc = minilm.tokenize(DEFAULT)
    return enc, minilm.forward(enc.ids, enc.type_ids)


@pytest.fixture(scope="module")
def pair_trace(minilm):
    enc = minilm.tokenize(DEFAULT, B_TEXT)
    return enc, minilm.forward(enc.ids, enc.type_ids)


@pytest.mark.parametrize("case", ["sentence", "pair", "600 tokens"])
def test_every_view_renders(case):
    query = {"sentence": {}, "pair": {"pair": B_TEXT}, "600 tokens": {"text": "word " * 600}}[case]
    at = page(**query)
    for view in VIEWS:
        at.radio(key="view").set_value(view).run()
        assert not at.exception, (view, at.exception)
        assert not errors(at), (view, errors(at))
        if case == "600 tokens":
            assert any("90 of 602 tokens were dropped" in w.value for w in at.warning), view
        if view == "pair" and case != "pair":
            assert any("second segment" in i.value for i in at.info)
        else:
            assert at.get("plotly_chart"), view
    if case == "600 tokens":
        at.radio(key="view").set_value("model").run()
        spec = chart_spec(at, key="grid")
        tiles = [t for t in spec["data"] if t["type"] == "heatmap"]
        assert len(tiles) == 72 and decode(tiles[0]["z"]).shape == (64, 64)   # 512 max-pooled by 8
        assert trace_array(at, "z", key="head_map").shape == (512, 512)


def test_grid_click_opens_that_head_large(trace):
    enc, tr = trace
    at = page()
    assert (at.slider(key="layer").value, at.slider(key="head").value) == (1, 1)
    np.testing.assert_allclose(trace_array(at, "z", key="head_map"), tr.weights[0, 0].numpy(), atol=1e-6)
    # a click anywhere inside tile (layer 4, head 7): x = head * (1 + GAP) + offset, y likewise
    click(at, "grid", x=6 * (1 + GAP) + 0.83, y=3 * (1 + GAP) + 0.17, curve_number=72, point_number=5)
    assert (at.slider(key="layer").value, at.slider(key="head").value) == (4, 7)
    np.testing.assert_allclose(trace_array(at, "z", key="head_map"), tr.weights[3, 6].numpy(), atol=1e-6)
    frame = chart_spec(at, key="grid")["layout"]["shapes"][0]                 # orange frame moved
    assert frame["x0"] < 6 * (1 + GAP) < frame["x1"] and frame["y0"] < 3 * (1 + GAP) < frame["y1"]
    # the grid tiles are the weights in percent: layer 4, head 7 rounded
    tile = decode([t for t in chart_spec(at, key="grid")["data"] if t["type"] == "heatmap"][3 * 12 + 6]["z"])
    np.testing.assert_array_equal(tile, np.rint(tr.weights[3, 6].numpy() * 100).astype(np.uint8))
    assert at.query_params["layer"] in ("4", ["4"]) and at.query_params["head"] in ("7", ["7"])


def test_head_view_click_isolates_a_token_and_again_shows_all(trace):
    enc, tr = trace
    at = page(view="head", layer="2", threshold="0.1")
    click(at, "headview", x=0, y=3)
    assert (at.session_state["isolate"], at.session_state["isolate_side"]) == (3, "q")
    assert at.selectbox(key="isolate").value == 3
    spec = chart_spec(at, key="headview")
    ys = np.concatenate([decode(t["y"]) for t in spec["data"] if t["mode"] == "lines"])
    starts = ys[0::3][~np.isnan(ys[0::3])]
    assert starts.size and np.all(starts == 3)                              # only token 3's lines
    expect = int((tr.weights[1, :, 3] >= 0.1).sum())                        # 12 heads, row 3
    assert starts.size == expect
    click(at, "headview", x=0, y=3)                                         # same token: show all
    assert at.session_state["isolate"] == -1


def test_stats_table_and_click(trace):
    enc, tr = trace
    at = page(view="stats", mass_k="2")
    S = head_stats(tr.weights, torch.tensor(enc.special), k=2)
    np.testing.assert_allclose(trace_array(at, "z", key="stat_map"), S["entropy"].numpy(), atol=1e-5)
    df = at.dataframe[0].value
    assert len(df) == 72 and list(df["layer"][:2]) == [1, 1] and list(df["head"][:2]) == [1, 2]
    np.testing.assert_allclose(df["top-2 mass"].to_numpy(), S["top2_mass"].reshape(-1).numpy(), atol=1e-6)
    np.testing.assert_allclose(df["share on [CLS]/[SEP]"].to_numpy(),
                               S["special_share"].reshape(-1).numpy(), atol=1e-6)
    click(at, "stat_map", x=6, y=2)                                         # opens layer 3, head 7
    assert at.radio(key="view").value == "model"
    assert (at.slider(key="layer").value, at.slider(key="head").value) == (3, 7)


def test_neuron_view_table_equals_heatmap_row_and_row_click(trace):
    enc, tr = trace
    at = page(view="neuron", layer="3", head="5", row="4")
    heat = trace_array(at, "z", key="neuron_map")
    df = at.dataframe[0].value
    np.testing.assert_allclose(df["α = exp / Σ exp"].to_numpy(), heat[4], atol=1e-6)
    q, k = tr.queries[2, 4].double(), tr.keys[2, 4].double()
    np.testing.assert_allclose(df["e = q·k / √32"].to_numpy(), (k @ q[4] / np.sqrt(32)).numpy(), atol=1e-5)
    click(at, "neuron_map", x=2, y=9)
    assert at.slider(key="row").value == 9
    np.testing.assert_allclose(at.dataframe[0].value["α = exp / Σ exp"].to_numpy(), heat[9], atol=1e-6)


def test_filters_hide_special_topk_and_pair_blocks(pair_trace):
    enc, tr = pair_trace
    n, n_a = len(enc), int((enc.type_ids == 0).sum())
    at = page(pair=B_TEXT, hide="1", topk="2", layer="2", head="3")
    z = trace_array(at, "z", key="head_map")
    assert z.shape == (n - 3, n - 3)                                         # [CLS], [SEP], [SEP] gone
    assert (np.isfinite(z).sum(1) == 2).all()                                # top-2 per row
    keep = [i for i in range(n) if not enc.special[i]]
    full = tr.weights[1, 2].numpy()[np.ix_(keep, keep)]
    np.testing.assert_allclose(np.nanmax(z, 1), full.max(1), atol=1e-6)
    # colour-scale top: heatmap and thumbnails saturate at the same weight
    at = page(zmax="0.2")
    assert chart_spec(at, key="head_map")["data"][0]["zmax"] == pytest.approx(0.2)
    cax = chart_spec(at, key="grid")["layout"]["coloraxis"]
    assert cax["cmax"] == pytest.approx(20) and cax["colorbar"]["ticktext"][-1] == "≥ 0.2"
    at = page(pair=B_TEXT, block="AB", layer="2", head="3")
    np.testing.assert_allclose(trace_array(at, "z", key="head_map"),
                               tr.weights[1, 2, :n_a, n_a:].numpy(), atol=1e-6)
    at.radio(key="view").set_value("pair").run()
    M = X.segment_mass(tr.weights, enc.type_ids)
    np.testing.assert_allclose(trace_array(at, "z", key="pair_ab"), M["AB"], atol=1e-6)


def test_counterfactual_view(minilm, trace):
    enc, tr = trace
    at = page(view="cf", scope="causal", layers="2,3", layer="3", head="1")
    cf = X.counterfactual(minilm, enc.ids, enc.type_ids, {"scope": "causal"}, [1, 2])
    cos = X.cosine(tr.sentence_embedding, cf.sentence_embedding)
    assert at.metric[0].value == f"{cos:.6f}" and cos < 1
    new = trace_array(at, "z", key="cf_new")
    n = len(enc)
    upper = np.triu(np.ones((n, n), bool), 1)
    assert np.isnan(new[upper]).all()                                        # outside the causal scope
    np.testing.assert_allclose(new[~upper], cf.weights[2, 0].numpy()[~upper], atol=1e-6)
    np.testing.assert_allclose(trace_array(at, "z", key="cf_orig"), tr.weights[2, 0].numpy(), atol=1e-6)
    np.testing.assert_allclose(trace_array(at, "z", key="cf_js"), X.js_per_head(tr.weights, cf.weights),
                               atol=1e-5)
    # a window that covers everything is the model itself
    at.radio(key="scope").set_value("local").run()
    at.slider(key="window").set_value(n).run()
    assert at.metric[0].value == "1.000000"


def test_aggregation_rollout(trace):
    enc, tr = trace
    at = page(view="agg", rollout_from="2", rollout_to="5", layer="4")
    R = trace_array(at, "z", key="rollout_map")
    np.testing.assert_allclose(R, rollout(tr.weights, 1, 4).numpy(), atol=1e-5)
    np.testing.assert_allclose(R.sum(1), 1, atol=1e-5)
    np.testing.assert_allclose(trace_array(at, "z", key="mean_map"), tr.weights[3].mean(0).numpy(), atol=1e-6)


def test_share_link_round_trip_and_hostile_values():
    at = page(view="head", heads="1,3,12", layer="4", threshold="0.2", text="A shared text.")
    assert at.session_state["heads"] == [1, 3, 12]
    assert at.slider(key="layer").value == 4 and at.slider(key="threshold").value == pytest.approx(0.2)
    assert not at.warning
    qp = dict(at.query_params)
    for k, v in dict(view="head", heads="1,3,12", layer="4", threshold="0.2").items():
        assert qp[k] in (v, [v])
    at = page(heads="1,x", layers="9", view="<script>alert(1)</script>", topk="-3")
    warn = " ".join(w.value for w in at.warning)
    for key in ("heads", "layers", "view", "topk"):
        assert f"`{key}`" in warn
    assert at.get("plotly_chart")                                            # the page still works


def test_empty_text_gives_a_message_and_no_chart():
    at = page()
    at.text_area(key="text").set_value("  \n ").run()
    assert not at.exception and not at.get("plotly_chart")
    assert any("Type a text" in i.value for i in at.info)


def test_old_share_link_keys_and_values_still_work(minilm, trace):
    """Links made before the rename (cfs=, cfw=, cfn=, cfl=, thr=, iso=, isodir=, sk=, r0=, r1=)
    open the same view, with no notice, and the URL is rewritten with the new names."""
    enc, tr = trace
    old = dict(view="cf", cfs="causal", cfw="3", cfn="sparsemax", cfl="2,3", thr="0.2", iso="4",
               isodir="k", sk="2", r0="2", r1="5")
    at = page(**old)
    assert not at.warning, [w.value for w in at.warning]
    s = at.session_state
    assert (s["scope"], s["window"], s["normalization"], s["layers"]) == ("causal", 3, "sparsemax", [2, 3])
    assert (s["threshold"], s["isolate"], s["isolate_side"], s["mass_k"]) == (0.2, 4, "k", 2)
    assert (s["rollout_from"], s["rollout_to"]) == (2, 5)
    cf = X.counterfactual(minilm, enc.ids, enc.type_ids, {"scope": "causal", "normalization": "sparsemax"}, [1, 2])
    assert at.metric[0].value == f"{X.cosine(tr.sentence_embedding, cf.sentence_embedding):.6f}"
    qp = dict(at.query_params)
    assert not set(old) - {"view"} & set(qp), qp
    for k, v in dict(scope="causal", window="3", normalization="sparsemax", layers="2,3", threshold="0.2",
                     isolate="4", isolate_side="k", mass_k="2", rollout_from="2").items():
        assert qp[k] in (v, [v]), (k, qp.get(k))


def test_switching_views_keeps_every_views_parameters(trace):
    """A view's widgets are not drawn in another view; their values survive the switch (and stay
    in the URL), and the 72-head grid click still works after a round trip."""
    enc, tr = trace
    at = page(view="head")
    at.slider(key="threshold").set_value(0.3).run()
    at.radio(key="isolate_side").set_value("k").run()
    at.radio(key="view").set_value("stats").run()
    at.slider(key="mass_k").set_value(5).run()
    at.radio(key="view").set_value("cf").run()
    at.radio(key="scope").set_value("causal").run()
    at.radio(key="view").set_value("head").run()
    assert at.slider(key="threshold").value == pytest.approx(0.3)
    assert at.radio(key="isolate_side").value == "k"
    assert (at.session_state["mass_k"], at.session_state["scope"]) == (5, "causal")
    qp = dict(at.query_params)
    for k, v in dict(threshold="0.3", isolate_side="k", mass_k="5", scope="causal", view="head").items():
        assert qp[k] in (v, [v]), (k, qp.get(k))
    at.radio(key="view").set_value("model").run()
    click(at, "grid", x=2 * (1 + GAP) + 0.5, y=5 * (1 + GAP) + 0.5)
    assert (at.slider(key="layer").value, at.slider(key="head").value) == (6, 3)
    np.testing.assert_allclose(trace_array(at, "z", key="head_map"), tr.weights[5, 2].numpy(), atol=1e-6)
    assert at.session_state["threshold"] == pytest.approx(0.3)
