"""The Translate page in AppTest: type a date, pick the locale (the tag the model reads first),
switch the attention type (= the trained model), an ambiguous date under auto, an impossible
output, constrained decoding, compare two models, inspect a step, out-of-scope input (the
previous result stays) -- every number checked against the core."""
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


def md(at):
    return " ".join(texts(at, "markdown") + texts(at, "caption"))


def test_default_view_decodes_the_german_date_with_the_bahdanau_model(models):
    at = page()
    d = models["bahdanau"].translate("3. März 2021", "auto")
    assert d.output == "2021-03-03"
    np.testing.assert_allclose(z(at), d.weights.numpy(), atol=1e-6)
    spec = chart_spec(at, key="heatmap")
    # what the model reads: the tag, then the normalized (lower-case) characters
    assert spec["layout"]["xaxis"]["ticktext"] == ["⟨auto⟩", "3", ".", "␣", "m", "ä", "r", "z", "␣",
                                                   "2", "0", "2", "1"]
    assert spec["layout"]["yaxis"]["ticktext"] == list("2021-03-03") + ["end"]
    assert "→ source" in spec["data"][1]["hovertemplate"]
    assert "`2021-03-03`" in md(at) and "The model reads ⟨auto⟩ then `3. märz 2021`" in md(at)
    assert f"calibrated p(output) = {d.confidence:.2f}" in md(at)
    assert not at.warning and not at.error and not at.info         # a plain visit: no notice
    w = z(at)
    assert w[:4, 9:13].sum(1).min() > 0.5                         # the year's rows: the end


@pytest.mark.parametrize("variant", list(S2S.VARIANTS))
def test_switching_the_type_switches_the_trained_model(models, variant):
    at = page()
    at.radio(key="variant").set_value(variant).run()
    assert not at.exception
    d = models[variant].translate("3. März 2021", "auto")
    np.testing.assert_allclose(z(at), d.weights.numpy(), atol=1e-6)
    spec = chart_spec(at, key="heatmap")
    if variant in ("local_m", "local_p"):
        centres = decode(spec["data"][2]["x"])          # the p_t / c_t marks
        np.testing.assert_allclose(centres, d.positions.numpy(), atol=1e-5)
        rects = [s for s in spec["layout"]["shapes"] if s.get("line", {}).get("dash") == "dot"]
        assert len(rects) == len(d.tokens)
        blank = np.isnan(trace_array(at, "z", key="heatmap").astype(float))
        np.testing.assert_array_equal(~blank, d.mask.numpy())      # outside the window: blank
    if variant == "hard":
        w = z(at)
        assert set(np.unique(w)) <= {0.0, 1.0} and (w.sum(1) == 1).all()
    assert at.query_params.get("variant", "bahdanau") == variant       # the share link follows


@pytest.mark.parametrize("locale, want", [("en_US", "2021-03-04"), ("en_GB", "2021-04-03")])
def test_the_locale_decides_a_numeric_date(models, locale, want):
    at = page(text="03/04/2021")
    at.selectbox(key="locale").set_value(locale).run()
    d = models["bahdanau"].translate("03/04/2021", locale)
    assert d.output == want
    np.testing.assert_allclose(z(at), d.weights.numpy(), atol=1e-6)
    assert chart_spec(at, key="heatmap")["layout"]["xaxis"]["ticktext"][0] == f"⟨{locale}⟩"
    assert f"`{want}`" in md(at) and at.query_params["locale"] == locale
    assert not at.get("plotly_chart") or len(at.get("plotly_chart")) == 1


def test_a_numeric_date_read_in_another_order_is_flagged_unsure(models):
    """ja_JP writes 05/11/30 year first (2005-11-30); a model that wrote another date gets the
    order flag with the reading spelled out, one that wrote it does not."""
    at = page(text="05/11/30", locale="ja_JP", variant="luong")
    d = models["luong"].translate("05/11/30", "ja_JP")
    np.testing.assert_allclose(z(at), d.weights.numpy(), atol=1e-6)
    flagged = "read in the order Japanese (ja_JP) writes it, year/month/day, this is `2005-11-30`"
    if d.output == "2005-11-30":
        assert flagged not in md(at)
    else:
        assert flagged in md(at) and f"the model wrote `{d.output}`" in md(at)
    at = page(text="03/04/2021", locale="en_US", variant="bahdanau")
    assert models["bahdanau"].translate("03/04/2021", "en_US").output == "2021-03-04"
    assert "read in the order" not in md(at)
    # side by side (a narrow column): the short form of the same flag
    at = page(text="05/11/30", locale="ja_JP", variant="bahdanau", compare="luong")
    short = "in ja_JP's order this is `2005-11-30`"
    assert (short in md(at)) == (d.output != "2005-11-30"), md(at)


def test_auto_on_an_ambiguous_date_offers_both_readings(models):
    at = page(text="03/04/2021")
    assert at.selectbox(key="locale").value == "auto"
    info = " ".join(texts(at, "info"))
    assert "Ambiguous" in info and "2021-04-03" in info and "2021-03-04" in info
    gb = models["bahdanau"].translate("03/04/2021", "en_GB")
    us = models["bahdanau"].translate("03/04/2021", "en_US")
    np.testing.assert_allclose(z(at, "heatmap"), gb.weights.numpy(), atol=1e-6)
    np.testing.assert_allclose(z(at, "heatmap_b"), us.weights.numpy(), atol=1e-6)
    assert chart_spec(at, key="heatmap_b")["layout"]["xaxis"]["ticktext"][0] == "⟨en_US⟩"
    assert "✓ correct" not in md(at)


def test_an_impossible_output_is_not_presented(models):
    at = page(text="31 February 2021", locale="en_GB")
    d = models["bahdanau"].translate("31 February 2021", "en_GB")
    assert d.output == "2021-02-31"                      # the model transcribes the fields
    text = md(at)
    assert "the model wrote `2021-02-31`" in text and "which is not a date" in text
    assert "February 2021 has no day 31" in text
    ticks = chart_spec(at, key="heatmap")["layout"]["yaxis"]["ticktext"]
    assert [t for t in ticks if t.endswith("✗")] == ["0 ✗", "2 ✗", "3 ✗", "1 ✗"]   # month + day
    assert "→ `2021-02-31`" not in text


def test_constrained_decoding_shows_both_maps(models):
    at = page(text="31 February 2021", locale="en_GB", constrained="1")
    m = models["bahdanau"]
    u = m.translate("31 February 2021", "en_GB")
    c = m.translate("31 February 2021", "en_GB", constrained=True)
    np.testing.assert_allclose(z(at, "heatmap"), u.weights.numpy(), atol=1e-6)
    np.testing.assert_allclose(z(at, "heatmap_b"), c.weights.numpy(), atol=1e-6)
    assert c.output != u.output and "not shown as the translation" in " ".join(texts(at, "info"))
    assert at.toggle(key="constrained").value is True


def test_compare_two_models_side_by_side(models):
    at = page(text="March 3, 2021", variant="luong", compare="local_m")
    a = models["luong"].translate("March 3, 2021", "auto")
    b = models["local_m"].translate("March 3, 2021", "auto")
    np.testing.assert_allclose(z(at, "heatmap"), a.weights.numpy(), atol=1e-6)
    np.testing.assert_allclose(z(at, "heatmap_b"), b.weights.numpy(), atol=1e-6)
    assert f"`{a.output}`" in md(at)


def test_inspect_a_step_shows_its_scores_and_window(models):
    at = page(variant="local_p", row="2")
    d = models["local_p"].translate("3. März 2021", "auto")
    df = at.dataframe[0].value
    np.testing.assert_allclose(df["weight used"].to_numpy(), d.weights[2].numpy(), atol=1e-6)
    np.testing.assert_allclose(df["score e"].to_numpy(), d.scores[2].numpy(), atol=1e-5)
    np.testing.assert_allclose(df["Gaussian factor"].to_numpy(), d.gaussian[2].numpy(), atol=1e-6)
    assert list(df["source"])[0] == "⟨auto⟩"
    line = next(t for t in texts(at, "markdown") if t.startswith("**Step 2"))
    assert f"p_t = {float(d.positions[2]):.3f}" in line
    spec = chart_spec(at, key="heatmap")
    hl = [s for s in spec["layout"]["shapes"] if s.get("name") == "highlight_row"]
    assert [(s["y0"], s["y1"]) for s in hl] == [(1.5, 2.5)]
    at.slider(key="row").set_value(9).run()
    assert at.dataframe[0].value["weight used"].to_numpy() == pytest.approx(d.weights[9].numpy(), abs=1e-6)


def test_hard_model_sampling_is_seeded(models):
    at = page(variant="hard", normalization="hard_sampled", seed="7")
    d = models["hard"].translate("3. März 2021", "auto", sample_seed=7)
    np.testing.assert_allclose(z(at), d.weights.numpy(), atol=1e-6)


@pytest.mark.parametrize("text, needle", [
    ("3. März 2021 ☃", "U+2603 SNOWMAN"),
    ("<script>alert(1)</script>", "1 number and no month name"),
    ("3. März 2021 " * 5, "a month name and 10 numbers"),
    ("Mittwoch, " * 5 + "3. März 2021", "at most"),
    ("March 2021", "only one number"),
    ("3 maart 2021", "Dutch"),
    ("12 March 1850", "outside 1900-2099"),
    ("2021년 3월 3일", "Hangul"),
])
def test_out_of_scope_input_gets_a_message_and_the_previous_result_stays(models, text, needle):
    at = page()
    before = z(at)
    at.text_area(key="text").input(text).run()
    assert not at.exception
    warn = " ".join(texts(at, "warning"))
    assert needle in warn + md(at), warn
    assert "No date is shown as a translation" in warn
    np.testing.assert_allclose(z(at), before, atol=1e-9)           # the previous result stays
    assert "Still showing the previous date: `3. März 2021`" in md(at)


def test_an_unknown_character_is_marked_where_it_is():
    at = page(text="3. März ☃ 2021")
    where = next(t for t in texts(at, "markdown") if t.startswith("Where:"))
    assert ":red[**`☃`**]" in where and "position 8: U+2603 SNOWMAN" in where


def test_an_invisible_character_is_removed_and_shown():
    at = page(text="3.\u200b März 2021")
    text = md(at)
    assert "removed 1 invisible character" in text and "U+200B ZERO WIDTH SPACE" in text
    assert ":red[**`⍰`**]" in text and "`2021-03-03`" in text


def test_empty_text_asks_for_a_date():
    at = page()
    at.text_area(key="text").input("   ").run()
    assert any("Type a date" in t for t in texts(at, "info"))


def test_accuracy_table_comes_from_the_cards():
    import json
    at = page()
    df, trained = at.dataframe[-2].value, at.dataframe[-1].value     # two tables: no scroll at 1280 px
    labels = [S2S.VARIANTS[v].label for v in S2S.VARIANTS]
    assert list(df["attention type"]) == list(trained["attention type"]) == labels
    typed = json.loads((S2S.WEIGHTS_DIR / "typed_eval.json").read_text())["after"]
    for v, exact, t, steps in zip(S2S.VARIANTS, df["generator test"], df["typed dates (hand-written)"],
                                  trained["steps"]):
        card = json.loads((S2S.WEIGHTS_DIR / f"{v}.json").read_text())
        assert exact == pytest.approx(100 * card["test"]["exact_match"], abs=0.051)      # percent to 0.1
        assert t == pytest.approx(100 * typed[v]["accuracy"], abs=0.051)
        assert steps == card["training"]["steps"]
        assert card["why"] in " ".join(m.value for m in at.markdown)   # each model's "why" is shown


def test_share_link_restores_the_view(models):
    at = page(text="Mittwoch, 3. März 2021", variant="local_m", locale="de_DE", beam="2", row="3")
    assert at.text_area(key="text").value == "Mittwoch, 3. März 2021"
    assert at.radio(key="variant").value == "local_m"
    assert at.selectbox(key="locale").value == "de_DE"
    assert at.slider(key="row").value == 3
    d = models["local_m"].translate("Mittwoch, 3. März 2021", "de_DE", beam=2)
    np.testing.assert_allclose(z(at), d.weights.numpy(), atol=1e-6)


def test_a_bad_locale_in_a_link_falls_back_with_a_notice():
    at = page(text="03/04/2021", locale="xx_XX", constrained="maybe")
    assert at.selectbox(key="locale").value == "auto" and at.toggle(key="constrained").value is False
    notes = " ".join(texts(at, "warning"))
    assert "locale" in notes and "constrained" in notes
