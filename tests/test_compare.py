"""Compare page: metrics against hand-computed values, and the page in AppTest (defaults on a real
sentence, widget changes, the tiny example, share links and old links, issue 15's two bugs)."""
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.plotly_utils import run_page, trace_array

from attention import attend
from attention.tutorial import compare_metrics
from features.compare.view import METRICS, TAB_KEY

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "compare.py")
LN2 = math.log(2)
e = math.e
X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])


# ------------------------------------------------------------------ metrics by hand
def one(p, ref):
    """Metrics of a single-row distribution p against a single-row reference."""
    return compare_metrics([np.array([ref], float), np.array([p], float)])[1]


def test_metrics_by_hand():
    assert one([0.5, 0.5], [0.5, 0.5]).entropy == pytest.approx(LN2)
    assert one([1, 0], [1, 0]).entropy == 0
    assert one([1, 0], [0.5, 0.5]).kl == pytest.approx(LN2)            # KL([1,0] || [.5,.5])
    assert one([1, 0], [0, 1]).js == pytest.approx(LN2)                # disjoint one-hots
    assert one([0.995, 0.005], [0.5, 0.5]).sparsity == 0.5             # 0.005 < 0.01
    assert one([0.99, 0.01], [0.5, 0.5]).sparsity == 1.0               # ">=" 0.01 counts
    m = one([0.5, 0.5], [1, 0])                                        # reference has a zero
    assert math.isinf(m.kl) and m.kl_inf_rows == 1
    # m = [0.75, 0.25]: JS = (KL([.5,.5] || m) + KL([1,0] || m)) / 2, finite
    assert m.js == pytest.approx(0.5 * (0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25))
                                 + 0.5 * math.log(1 / 0.75))
    assert one([0.25, 0.75], [0.5, 0.5]).kl == pytest.approx(0.25 * math.log(0.5) + 0.75 * math.log(1.5))


def test_metrics_are_plain_means_over_query_rows():
    ref = np.array([[0.5, 0.5], [0.5, 0.5]])
    p = np.array([[1.0, 0.0], [0.5, 0.5]])
    ms = compare_metrics([ref, p])
    assert ms[1].entropy == pytest.approx(LN2 / 2)                    # (0 + ln 2) / 2
    assert ms[1].sparsity == pytest.approx(0.75)                      # (1/2 + 2/2) / 2
    assert ms[1].kl == pytest.approx(LN2 / 2)                         # (ln 2 + 0) / 2
    assert ms[0].kl == 0 and ms[0].js == 0
    # local-p rows (sum < 1) are divided by their sum first; empty rows are left out
    lp = np.array([[0.2, 0.2], [0.0, 0.0]])
    ms = compare_metrics([lp, lp])
    assert ms[0].entropy == pytest.approx(LN2) and ms[0].rows_used == 1


# ------------------------------------------------------------------ the page
def page(**query):
    return run_page(PAGE, 90, **query)


def z(at, key) -> np.ndarray:
    return trace_array(at, "z", key=key).astype(float)


def metrics(at) -> np.ndarray:
    """The metrics table ``(variants, 4)``, its tab opened first (the tabs are lazy: only the
    open one's content runs)."""
    at.session_state[TAB_KEY] = METRICS
    at.run()
    assert not at.exception, at.exception
    assert len(at.dataframe) == 1
    return at.dataframe[0].value.to_numpy()


def shown(r) -> np.ndarray:
    """What a heatmap shows: weights, blank (nan) outside the scope."""
    return np.where(r.mask.numpy(), r.weights[0].numpy(), np.nan)


def tiny(**options) -> np.ndarray:
    """The tiny example's weights ``(3, 3)`` under ``options`` (dot score, as the page uses)."""
    q = torch.tensor(X)
    return attend(q, q, q, score="dot", **options).weights[0].numpy()


def url(at) -> dict:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in dict(at.query_params).items()}


@pytest.fixture(scope="module")
def layer1(minilm):
    enc = minilm.tokenize("The animal didn't cross the street because it was too tired.")
    tr = minilm.forward(enc.ids, enc.type_ids)
    return tr.queries[0, 0], tr.keys[0, 0], tr.values[0, 0]          # (n, 32) each


def test_default_sentence_four_variants(layer1):
    at = page()
    assert not at.warning and len(at.get("plotly_chart")) == 5
    assert not at.dataframe                       # the Metrics tab is lazy: nothing built until opened
    q, k, v = layer1
    core = [attend(q, k, v, score="scaled_dot"),
            attend(q, k, v, score="scaled_dot", normalization="hard"),
            attend(q, k, v, score="scaled_dot", scope="local", window=2),
            attend(q, k, v, score="scaled_dot", scope="local_p", window=2)]
    for i, r in enumerate(core, 1):
        np.testing.assert_allclose(z(at, f"heat{i}"), shown(r), atol=1e-5, equal_nan=True)
    W = [r.weights[0].double().numpy() for r in core]
    np.testing.assert_allclose(z(at, "diff"), W[0] - W[1], atol=1e-5)
    got = metrics(at)
    want = compare_metrics(W)
    np.testing.assert_allclose(got, [[m.entropy, m.sparsity, m.kl, m.js] for m in want], atol=1e-5)
    assert got[0, 2] == 0 and got[0, 3] == 0 and np.isfinite(got).all()   # soft global: no zeros
    assert got[1, 0] == 0 and got[1, 1] == pytest.approx(1 / 16)         # hard: one of 16 keys
    assert any("mean over the 16 query rows" in m.value for m in at.markdown)


def test_tiny_example_infinite_kl_explained():
    at = page(input="tiny", normalization1="hard")
    np.testing.assert_array_equal(z(at, "heat1"), np.eye(3))          # ties: first wins
    np.testing.assert_allclose(z(at, "heat3"), [[e / (2 * e + 1), 1 / (2 * e + 1), e / (2 * e + 1)],
                                                [1 / (1 + 2 * e), e / (1 + 2 * e), e / (1 + 2 * e)],
                                                [1 / (2 + e), 1 / (2 + e), e / (2 + e)]], atol=1e-6)
    got = metrics(at)
    assert np.isinf(got[2, 2]) and np.isinf(got[3, 2])                # soft has mass where V1 is 0
    assert np.isfinite(got[:, 3]).all() and (got[:, 3] <= LN2 + 1e-12).all()
    assert got[1, 2] == 0                                             # V2 (hard) equals V1
    # hand: JS(soft row, one-hot row) averaged over the 3 rows
    soft = np.array([[e, 1, e], [1, e, e], [1, 1, e]]) / np.array([[2 * e + 1], [2 * e + 1], [2 + e]])
    js = [0.5 * sum(pi * math.log(pi / mi) for pi, mi in zip(p, (p + r) / 2) if pi > 0)
          + 0.5 * sum(ri * math.log(ri / mi) for ri, mi in zip(r, (p + r) / 2) if ri > 0)
          for p, r in zip(soft, np.eye(3))]
    assert got[2, 3] == pytest.approx(np.mean(js))
    assert any("KL(V3 ‖ V1) = ∞" in i.value and "3 of 3 rows" in i.value for i in at.info)


def test_widgets_variants_and_difference_pair():
    at = page(input="tiny")
    at.selectbox(key="normalization2").set_value("sparsemax").run()
    at.selectbox(key="scope3").set_value("causal").run()
    at.slider(key="temperature1").set_value(0.5).run()
    q = torch.tensor(X)
    v1 = tiny(temperature=0.5)
    v2 = tiny(normalization="sparsemax")
    v3 = attend(q, q, q, score="dot", scope="causal")
    np.testing.assert_allclose(z(at, "heat1"), v1, atol=1e-6)
    np.testing.assert_allclose(z(at, "heat2"), v2, atol=1e-6)
    np.testing.assert_allclose(z(at, "heat3"), shown(v3), atol=1e-6, equal_nan=True)
    # sparsemax of [1, 0, 1]: tau = 1/2 -> [1/2, 0, 1/2]; of [1, 1, 2]: tau = 1 -> [0, 0, 1]
    np.testing.assert_allclose(v2, [[0.5, 0, 0.5], [0, 0.5, 0.5], [0, 0, 1]], atol=1e-12)
    at.selectbox(key="a").set_value(3).run()
    at.selectbox(key="b").set_value(1).run()
    np.testing.assert_allclose(z(at, "diff"), v3.weights[0].numpy() - v1, atol=1e-6)
    at.slider(key="variants").set_value(2).run()                      # A = V3 no longer exists
    assert not at.exception and len(at.get("plotly_chart")) == 3
    assert at.selectbox(key="a").value == 2 and metrics(at).shape == (2, 4)     # not B's V1


def test_share_link_and_hostile_values():
    at = page(input="tiny", normalization2="hard_sampled", seed="7", window3="1", variants="abc",
              scope4="<b>x</b>", a="9", temperature1="1e999")
    notes = " ".join(w.value for w in at.warning)
    for key in ("variants", "scope4", "a", "temperature1"):
        assert f"`{key}`" in notes, key
    assert len(at.get("plotly_chart")) == 5                           # variants fell back to 4
    np.testing.assert_array_equal(z(at, "heat2"), tiny(normalization="hard_sampled", seed=7))
    q = torch.tensor(X)
    local1 = attend(q, q, q, score="dot", scope="local", window=1)
    np.testing.assert_allclose(z(at, "heat3"), shown(local1), atol=1e-6, equal_nan=True)
    # and a sentence that is only whitespace gets a clear message, not an error
    at = page(text="   ")
    assert any("`text`" in w.value and "is empty" in w.value for w in at.warning)
    at.text_area(key="text").set_value(" \n ").run()
    assert not at.exception and any("Type a sentence" in i.value for i in at.info)


def test_old_share_link_keys_and_values_still_work():
    """Links made before the rename (src=, nv=, type2=sampled, w3=, T1=) open the same view, with
    no notice; the address is rewritten with the new names and values."""
    at = page(src="tiny", nv="3", type2="sampled", seed="7", w3="1", T1="0.5")
    assert not at.warning, [w.value for w in at.warning]
    s = at.session_state
    assert (s["input"], s["variants"], s["normalization2"], s["window3"], s["temperature1"]) == \
        ("tiny", 3, "hard_sampled", 1, 0.5)
    assert len(at.get("plotly_chart")) == 4                           # 3 variants + A − B
    np.testing.assert_allclose(z(at, "heat1"), tiny(temperature=0.5), atol=1e-6)
    np.testing.assert_array_equal(z(at, "heat2"), tiny(normalization="hard_sampled", seed=7))
    q = torch.tensor(X)
    np.testing.assert_allclose(z(at, "heat3"), shown(attend(q, q, q, score="dot", scope="local", window=1)),
                               atol=1e-6, equal_nan=True)
    assert url(at) == {"input": "tiny", "variants": "3", "normalization2": "hard_sampled", "seed": "7",
                       "window3": "1", "temperature1": "0.5"}


# ------------------------------------------------------------------ issue 15
def choice_labels(at) -> dict:
    """Every select box's and radio's option labels, by key."""
    return {w.key: list(w.options) for w in list(at.selectbox) + list(at.radio) if w.key}


def test_issue15_1_pair_labels_stay_put_when_a_variant_changes():
    """Issue 15 item 1: V1's type -> Sparsemax, then V2's type -> Soft crashed the difference
    (TypeError): A / B were labelled with the variants' descriptions, and Streamlit 1.67 keeps a
    select box's value as its label, so a changed description made A a stale string.  The
    labels of every choice stay the same now, and A − B is still V1 − V2."""
    at = page(input="tiny")
    before = choice_labels(at)
    assert before["a"] == before["b"] == ["V1", "V2", "V3", "V4"]
    at.selectbox(key="normalization1").set_value("sparsemax").run()
    assert choice_labels(at) == before
    at.selectbox(key="normalization2").set_value("soft").run()
    assert not at.error and choice_labels(at) == before
    assert (at.session_state["a"], at.session_state["b"]) == (1, 2)
    np.testing.assert_allclose(z(at, "diff"), tiny(normalization="sparsemax") - tiny(), atol=1e-6)
    for key, value in (("scope3", "causal"), ("temperature4", 0.5), ("window4", 1)):
        (at.slider if key[0] in "tw" else at.selectbox)(key=key).set_value(value).run()
        assert not at.error and choice_labels(at) == before, key
    assert url(at) == {"input": "tiny", "normalization1": "sparsemax", "normalization2": "soft",
                       "scope3": "causal", "temperature4": "0.5", "window4": "1"}


def test_issue15_2_emptying_the_text_keeps_every_widget_and_value():
    """Issue 15 item 2: after the sentence was emptied, the page stopped before drawing its
    widgets (st.stop), Streamlit dropped their state, and the next sentence came back with
    2 variants, then "A and B are the same variant", then a TypeError.  Now every widget is
    drawn while the text is empty, and keeps its value; the URL keeps describing the view."""
    at = page()
    at.slider(key="variants").set_value(3).run()
    at.selectbox(key="normalization2").set_value("sparsemax").run()
    at.selectbox(key="b").set_value(3).run()
    at.text_area(key="text").set_value("").run()
    assert not at.exception and any("Type a sentence" in i.value for i in at.info)
    assert at.slider(key="variants").value == 3                        # drawn, value kept
    assert at.selectbox(key="normalization2").value == "sparsemax"
    assert (at.selectbox(key="a").value, at.selectbox(key="b").value) == (1, 3)
    assert url(at) == {"text": "", "variants": "3", "normalization2": "sparsemax", "b": "3"}
    for sentence in ("The cat sat on the mat.", "The dog sat on the mat.", "The dog ran on the mat."):
        at.text_area(key="text").set_value(sentence).run()
        assert not at.exception and not at.error, sentence
        assert not any("same variant" in i.value for i in at.info), sentence
        assert len(at.get("plotly_chart")) == 4                        # 3 variants + A − B
        assert url(at) == {"text": sentence, "variants": "3", "normalization2": "sparsemax", "b": "3"}
        assert (at.session_state["a"], at.session_state["b"]) == (1, 3)


def test_issue26_3_a_shrinking_count_keeps_a_and_b_apart():
    """Issue 26 item 3: 3 variants, A = V3, B = V1, then 2 variants: A became V1 (= B), the page
    said "A and B are the same variant", and it still did after going back to 3.  A moves to
    the nearest variant that is not B; no warning; the URL says so."""
    at = page(input="tiny")
    at.slider(key="variants").set_value(3).run()
    at.selectbox(key="a").set_value(3).run()
    at.selectbox(key="b").set_value(1).run()
    at.slider(key="variants").set_value(2).run()
    assert not at.exception
    assert (at.selectbox(key="a").value, at.selectbox(key="b").value) == (2, 1)
    assert not any("same variant" in i.value for i in at.info)
    np.testing.assert_allclose(z(at, "diff"), tiny(normalization="hard") - tiny(), atol=1e-6)
    assert url(at) == {"input": "tiny", "variants": "2", "a": "2", "b": "1"}
    at.slider(key="variants").set_value(3).run()
    assert not any("same variant" in i.value for i in at.info)
    assert (at.session_state["a"], at.session_state["b"]) == (2, 1)
    # B = V4 out of range, A = V2: B moves to V1 (the nearest that is not A)
    at.slider(key="variants").set_value(4).run()
    at.selectbox(key="b").set_value(4).run()
    at.slider(key="variants").set_value(2).run()
    assert (at.session_state["a"], at.session_state["b"]) == (2, 1)
    assert not any("same variant" in i.value for i in at.info)


def test_issue26_3_same_variant_warning_only_while_it_holds():
    at = page(input="tiny")
    at.selectbox(key="b").set_value(1).run()                          # the user picks A = B
    assert any("same variant" in i.value for i in at.info)
    at.selectbox(key="b").set_value(2).run()
    assert not any("same variant" in i.value for i in at.info)


@pytest.mark.parametrize("a, b, count, want", [
    (3, 1, 2, (2, 1)), (3, 2, 2, (1, 2)), (1, 3, 2, (1, 2)), (2, 3, 2, (2, 1)), (4, 3, 2, (1, 2)),
    (4, 4, 2, (1, 2)), (1, 1, 3, (1, 1)), (2, 4, 4, (2, 4)), (4, 1, 3, (3, 1))])
def test_fit_pair(a, b, count, want):
    from features.compare.view import fit_pair
    assert fit_pair(a, b, count) == want
