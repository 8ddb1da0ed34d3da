"""The Translate page in AppTest: type a date, switch the attention type (= the trained model),
compare two models, inspect a step, and hostile input -- every number checked against the core."""
from pathlib import Path

import numpy as np
import pytest

from attention.models import seq2seq as S2S
from tests.plotly_utils import chart_spec, decode, run_page, trace_array

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "translate.py")
SHIPPED = [v for v in S2S.VARIANTS if (S2S.WEIGHTS_DIR / f"{v}.safetensors").is_file()]
pytestmark = pytest.mark.skipif(len(SHIPPED) < len(S2S.VARIANTS), reason="models not shipped")


@pytest.fixture(scope="module")
def models():
    return {v: S2S.load(v)[0] for v in SHIPPED}


def page(**query):
    return run_page(PAGE, 120, **query)


def z(at, key="heatmap"):
    w = trace_array(at, "z", key=key).astype(float)
    return np.nan_to_num(w, nan=0.0)


def texts(at, kind):
    return [x.value for x in getattr(at, kind)]


def test_default_view_decodes_the_german_date_with_the_bahdanau_model(models):
    at = page()
    d = models["bahdanau"].translate("3. März 2021")
    assert d.output == "2021-03-03"
    np.testing.assert_allclose(z(at), d.weights.numpy(), atol=1e-6)
    spec = chart_spec(at, key="heatmap")
    assert spec["layout"]["xaxis"]["ticktext"] == ["3", ".", "␣", "M", "ä", "r", "z", "␣", "2", "0", "2", "1"]
    assert spec["layout"]["yaxis"]["ticktext"] == list("2021-03-03") + ["end"]
    # hover: "output t → source s: α" on the click overlay, one entry per cell
    assert "→ source" in spec["data"][1]["hovertemplate"]
    cd = spec["data"][1]["customdata"]
    assert cd[0][:2] == ["2", "3"] and cd[0][2] == pytest.approx(float(d.weights[0, 0]), abs=1e-6)
    assert any("`2021-03-03`" in t and "✓ correct" in t for t in texts(at, "markdown"))
    assert not at.warning and not at.error and not at.info         # a plain visit: no notice
    # the reordering: the year's rows look at the end of the source, the day's digit at its start
    w = z(at)
    assert w[:4, 8:12].sum(1).min() > 0.5 and w[9, 0] > 0.5


@pytest.mark.parametrize("variant", list(S2S.VARIANTS))
def test_switching_the_type_switches_the_trained_model(models, variant):
    at = page()
    at.radio(key="variant").set_value(variant).run()
    assert not at.exception
    d = models[variant].translate("3. März 2021")
    np.testing.assert_allclose(z(at), d.weights.numpy(), atol=1e-6)
    spec = chart_spec(at, key="heatmap")
    if variant in ("local_m", "local_p"):
        centres = decode(spec["data"][2]["x"])          # the p_t / c_t marks
        np.testing.assert_allclose(centres, d.positions.numpy(), atol=1e-5)
        rects = [s for s in spec["layout"]["shapes"] if s.get("line", {}).get("dash") == "dot"]
        assert len(rects) == len(d.tokens)
        blank = np.isnan(trace_array(at, "z", key="heatmap").astype(float))
        np.testing.assert_array_equal(~blank, d.mask.numpy())      # outside the window: blank
    if variant == "local_m":        # the failure on the reordered input is shown, not hidden
        assert d.output != "2021-03-03"
        assert any("✗ wrong" in t and "2021-03-03" in t for t in texts(at, "markdown"))
    if variant == "hard":
        w = z(at)
        assert set(np.unique(w)) <= {0.0, 1.0} and (w.sum(1) == 1).all()
    assert at.query_params.get("variant", "bahdanau") == variant       # the share link follows


def test_type_a_date_in_another_language_and_beam(models):
    at = page()
    at.text_area(key="text").input("2021年3月3日").run()
    d = models["bahdanau"].translate("2021年3月3日")
    np.testing.assert_allclose(z(at), d.weights.numpy(), atol=1e-6)
    assert any("✓ correct" in t and "ja_JP" in t for t in texts(at, "markdown"))
    at.slider(key="beam").set_value(4).run()
    b = models["bahdanau"].translate("2021年3月3日", beam=4)
    np.testing.assert_allclose(z(at), b.weights.numpy(), atol=1e-6)
    assert at.query_params["beam"] == "4"


def test_compare_two_models_side_by_side(models):
    at = page(text="March 3, 2021", variant="luong", compare="local_m")
    a = models["luong"].translate("March 3, 2021")
    b = models["local_m"].translate("March 3, 2021")
    np.testing.assert_allclose(z(at, "heatmap"), a.weights.numpy(), atol=1e-6)
    np.testing.assert_allclose(z(at, "heatmap_b"), b.weights.numpy(), atol=1e-6)
    md = " ".join(texts(at, "markdown"))
    assert f"`{a.output}`" in md and f"`{b.output}`" in md


def test_inspect_a_step_shows_its_scores_and_window(models):
    at = page(variant="local_p", row="2")
    d = models["local_p"].translate("3. März 2021")
    df = at.dataframe[0].value
    np.testing.assert_allclose(df["weight used"].to_numpy(), d.weights[2].numpy(), atol=1e-6)
    np.testing.assert_allclose(df["score e"].to_numpy(), d.scores[2].numpy(), atol=1e-5)
    np.testing.assert_allclose(df["Gaussian factor"].to_numpy(), d.gaussian[2].numpy(), atol=1e-6)
    line = next(t for t in texts(at, "markdown") if t.startswith("**Step 2"))
    assert f"p_t = {float(d.positions[2]):.3f}" in line
    # the highlighted row follows the inspected step
    spec = chart_spec(at, key="heatmap")
    solid = [s for s in spec["layout"]["shapes"] if s.get("line", {}).get("dash") != "dot"]
    assert [(s["y0"], s["y1"]) for s in solid] == [(1.5, 2.5)]
    at.slider(key="row").set_value(9).run()
    assert at.dataframe[0].value["weight used"].to_numpy() == pytest.approx(d.weights[9].numpy(), abs=1e-6)


def test_hard_model_sampling_is_seeded(models):
    at = page(variant="hard", normalization="hard_sampled", seed="7")
    d = models["hard"].translate("3. März 2021", sample_seed=7)
    np.testing.assert_allclose(z(at), d.weights.numpy(), atol=1e-6)


@pytest.mark.parametrize("text, kind, needle", [
    ("   ", "info", "Type a date"),
    ("3. März 2021 ☃", "warning", "never trained on these characters"),
    ("<script>alert(1)</script>", "warning", "never trained on these characters"),
    ("3. März 2021 " * 5, "warning", "at most"),
    ("31/02/2021", "warning", "no day 31 in month 2"),
    ("Monday, March 3, 2021", "warning", "Wednesday"),
    ("3 maart 2021", "warning", "not a date in any of the supported formats"),
])
def test_hostile_input_gets_a_clear_message(text, kind, needle):
    at = page()
    at.text_area(key="text").input(text).run()
    assert not at.exception
    msgs = texts(at, kind)
    assert any(needle in m for m in msgs), (kind, msgs)
    if needle in ("never trained on these characters", "at most", "Type a date"):
        assert not at.get("plotly_chart")            # nothing decoded
    else:
        # decoded, but never presented as right: the verdict says it is unverified
        assert not any("✓ correct" in t for t in texts(at, "markdown"))


def test_accuracy_table_comes_from_the_cards():
    at = page()
    df = at.dataframe[-1].value
    assert list(df["attention type"]) == list(S2S.VARIANTS)
    import json
    for v, exact in zip(df["attention type"], df["exact match"]):
        card = json.loads((S2S.WEIGHTS_DIR / f"{v}.json").read_text())
        assert exact == card["test"]["exact_match"]


def test_share_link_restores_the_view(models):
    at = page(text="Mittwoch, 3. März 2021", variant="local_m", compare="local_p", beam="2", row="3")
    assert at.text_area(key="text").value == "Mittwoch, 3. März 2021"
    assert at.radio(key="variant").value == "local_m"
    assert at.slider(key="row").value == 3
    d = models["local_m"].translate("Mittwoch, 3. März 2021", beam=2)
    np.testing.assert_allclose(z(at), d.weights.numpy(), atol=1e-6)
