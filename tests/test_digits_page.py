"""The Read digits page (AppTest): with a test image and with a (simulated) drawing, the
caption and every map drawn are the model's own decode; the hard map colours the cell used
(alpha as a second view); the accuracy table and the model card are the cards'; bad input keeps
the previous result; MNIST is credited where MNIST digits are shown.

The canvas cannot be driven in AppTest, so ``streamlit_drawable_canvas.st_canvas`` is replaced
by a stand-in returning a canvas image of the independent stroke set (``tests/digit_eval.py``;
the real canvas is driven with the mouse in ``tests/e2e/test_e2e_digits.py``).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from attention.models.captioner import load
from attention.models import digits as DR
from attention.models.captioner import MNIST_CREDIT, VARIANTS
from attention.models.captioner import test_image_info as shipped_image_info  # not a test
from tests import digit_eval as E
from tests.plotly_utils import chart_spec, decode, run_page

D = DR

PAGE = __import__("pathlib").Path(__file__).resolve().parent.parent / "pages" / "digits.py"


def _pick(k):
    from features.digits import compute
    imgs, truths = compute.test_images()
    return imgs[k], truths[k]


def _decode(variant, image):
    m, _ = load(variant)
    return m.decode(torch.tensor(np.array(image, np.float32)).reshape(1, 1, D.IMG_H, D.IMG_W))


def _panels(at, key="maps"):
    """The small multiples: the overlay heatmaps' z (one (4, 12) per digit), in order."""
    spec = chart_spec(at, key=key)
    return [decode(t["z"]) for t in spec["data"] if t["type"] == "heatmap" and t.get("name") != "image"], spec


def _caption(at):
    return next(m.value for m in at.markdown if "model reads" in m.value)


@pytest.mark.parametrize("variant", ["soft", "hard", "local_p_2d"])
def test_test_image_caption_and_maps_are_the_models_decode(variant):
    k = 3
    image, truth = _pick(k)
    at = run_page(PAGE, source="test", test_image=str(k), variant=variant)
    dec = _decode(variant, image)
    n = int(dec.lengths[0])
    assert f"`{dec.caption(0)}`" in _caption(at).replace("?", "")
    z, spec = _panels(at)
    assert len(z) == n
    ref = dec.weights                                                     # what the panels colour
    for t in range(n):
        assert np.allclose(z[t].reshape(-1), ref[0, t].numpy(), atol=1e-6)
    if variant == "hard":       # the star sits on the arg-max cell that was used
        stars = [tr for tr in spec["data"] if tr.get("name") == "arg-max"]
        cells = [int(tr["y"][0]) * 12 + int(tr["x"][0]) for tr in stars]
        assert cells == dec.cells[0, :n].tolist()
        assert torch.equal(dec.weights[0, :n].argmax(-1), dec.cells[0, :n])
    if variant == "local_p_2d":      # the cross sits on the window centre
        centres = [(tr["y"][0], tr["x"][0]) for tr in spec["data"] if tr.get("name") == "centre"]
        assert np.allclose(centres, dec.centres[0, :n].numpy(), atol=1e-5)
    # the large view of digit 2: title, and its table's weights are the map
    at.segmented_control(key="step").set_value(2).run()
    assert not at.exception
    big = chart_spec(at, key="large")
    assert big["layout"]["title"]["text"].startswith(f"2nd digit: {int(dec.tokens[0, 1])}")
    table = at.dataframe[0].value
    wcol = [c for c in table.columns if c.startswith("weight")][0]
    cells = [tuple(int(v) for v in c.strip("()").split(",")) for c in table["cell (row, col)"]]
    got = np.zeros(48)
    got[[r * 12 + c for r, c in cells]] = table[wcol].to_numpy()
    assert np.allclose(got, dec.weights[0, 1].numpy(), atol=1e-6)
    assert np.all(np.diff(table[wcol].to_numpy()) <= 0)                 # largest weight first


def test_hard_map_shows_the_cell_used_and_alpha_as_a_second_view():
    k = 7
    image, _ = _pick(k)
    dec = _decode("hard", image)
    n = int(dec.lengths[0])
    at = run_page(PAGE, source="test", test_image=str(k), variant="hard", hard_view="alpha")
    z, _ = _panels(at)
    for t in range(n):
        assert np.allclose(z[t].reshape(-1), dec.attn_probs[0, t].numpy(), atol=1e-6)
    at = run_page(PAGE, source="test", test_image=str(k), variant="hard")
    z, _ = _panels(at)
    for t in range(n):                                   # one-hot: the cell used, weight 1
        assert np.allclose(z[t].reshape(-1), dec.weights[0, t].numpy(), atol=1e-6)
        assert z[t].max() == 1.0 and (z[t] > 0).sum() == 1


def test_accuracy_table_is_the_cards():
    from features.digits import compute
    at = run_page(PAGE, source="test")
    reading, trained = at.dataframe[-2].value, at.dataframe[-1].value     # two tables: no scroll at 1280 px
    assert len(reading) == len(trained) == 6                # 2 caption orders x 3 attention types
    assert not set(compute.TRAINING_COLUMNS) & set(reading.columns)
    assert list(trained.columns) == ["captions", "attention", *compute.TRAINING_COLUMNS]
    pct = lambda x: pytest.approx(100 * x, abs=0.051)           # shown in percent to 0.1 (ui.page.model_tables)
    for order, label in compute.ORDER_LABELS.items():
        for v, card in compute.cards(order).items():
            pick = lambda df: df[(df["attention"] == VARIANTS[v].label) & (df["captions"] == label.lower())].iloc[0]
            row, tr = pick(reading), pick(trained)
            for key, name in compute.EVAL_SETS.items():
                assert row[name] == pct(card["eval"]["results"][key]["exact_4_digits"])
            more = card["eval"]["more_photos"]                  # the larger photo draw (benchmark only)
            assert more["n"] == 1000 and more["results"]["n_4_digits"] == 553
            assert row[compute.MORE_PHOTOS] == pct(more["results"]["exact_4_digits"])
            assert row["validation (same generator)"] == pct(card["validation"]["exact_4_digits"])
            assert row["map on the digit read (worst step)"] == pct(min(card["eval"]["points_at_digit"]["argmax"]))
            earlier = bool(card["data"].get("pictures"))      # the card says: trained before the border fix
            assert tr["trained on"] == (compute.EARLIER_PICTURES if earlier else compute.TODAYS_PICTURES)
            assert tr["steps"] == card["training"]["steps"]
    assert (trained["trained on"] == compute.TODAYS_PICTURES).sum() == 1   # left-to-right soft only
    assert "measured through today's preprocessing" in " ".join(c.value for c in at.caption)


def test_model_card_shows_the_cards_confusion_and_unsure_quality():
    from features.digits import compute
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(PAGE), default_timeout=90)
    at.query_params["source"] = "test"
    at.session_state["_digits_card"] = True
    at.run()
    assert not at.exception
    spec = chart_spec(at, key="confusion")
    heat = [t for t in spec["data"] if t["type"] == "heatmap"][0]
    text = np.array(heat["text"], dtype=int)
    assert np.array_equal(text, compute.confusion("soft", "left_to_right"))
    card = compute.cards("left_to_right")["soft"]
    q = card["eval"]["results"]["strokes"]["unsure"]
    md = " ".join(m.value for m in at.markdown)
    assert f"{q['precision']:.3f}" in md and f"{q['recall']:.3f}" in md
    pad = card["eval"]["points_at_digit"]
    assert all(f"{x:.3f}" in md for x in pad["argmax"] + pad["mass"])


def test_cards_say_how_often_the_map_points_at_the_digit_read():
    """Each card's figure is the measurement (recomputed, within 1 point), and the page warns on the
    maps exactly for the models whose worst step is below the bar, with the card's numbers."""
    from features.digits import compute
    from tests import caption_eval as CE
    for order in compute.ORDER_LABELS:
        for v in compute.cards(order):
            pad = compute.points_at_digit(v, order)
            got = CE.points_at_digit(load(v, order=order)[0], order)
            assert np.allclose(pad["argmax"], got["argmax"], atol=0.01), (order, v)
            assert pad["read"] == got["read"]
            at = run_page(PAGE, source="test", test_image="1", variant=v, order=order)
            notes = [w.value for w in [*at.warning, *at.info] if "not always where the digit is" in w.value]
            warned = [w.value for w in at.warning if "not always where the digit is" in w.value]
            assert bool(notes) == (min(pad["argmax"]) < compute.POINTS_BAR), (order, v, pad["argmax"])
            assert bool(warned) == (min(pad["argmax"]) < compute.POINTS_WARN), (order, v, pad["argmax"])
            if notes:
                assert f"{min(pad['argmax']):.0%}" in notes[0]


def test_test_images_holding_mnist_digits_credit_mnist():
    kinds, mnist = shipped_image_info()
    k = int(np.flatnonzero(mnist)[0])
    at = run_page(PAGE, source="test", test_image=str(k))
    assert any(MNIST_CREDIT in c.value for c in at.caption)
    assert "MNIST" in kinds[k]
    k = int(np.flatnonzero(~mnist)[0])
    at = run_page(PAGE, source="test", test_image=str(k))
    assert not any(MNIST_CREDIT in c.value for c in at.caption)


@pytest.mark.parametrize("variant", ["soft", "local_p_2d"])
def test_largest_first_is_read_by_its_own_models_and_checked_against_the_sorted_truth(variant):
    k = 5
    image, truth = _pick(k)
    at = run_page(PAGE, source="test", test_image=str(k), variant=variant, order="largest_first")
    assert not at.exception
    m, _ = load(variant, order="largest_first")
    dec = m.decode(torch.tensor(np.array(image, np.float32)).reshape(1, 1, D.IMG_H, D.IMG_W))
    heading = next(x.value for x in at.markdown if "largest digit first" in x.value)
    assert f"`{dec.caption(0)}`" in heading.replace("?", "")
    want = " ".join(sorted(truth.split(), reverse=True))
    assert f"True string: `{want}`" in heading
    z, _ = _panels(at)
    n = int(dec.lengths[0])
    assert len(z) == n
    for t in range(n):              # this model's weights, not the left-to-right model's
        assert np.allclose(z[t].reshape(-1), dec.weights[0, t].numpy(), atol=1e-6)
    assert dict(at.query_params).get("order") in ("largest_first", ["largest_first"])


def _fake_canvas(monkeypatch, holder):
    """Replace the canvas (imported by the page's first run: importing it outside a Streamlit
    run fails, the component registry is not set up yet)."""
    import sys
    sdc = sys.modules["streamlit_drawable_canvas"]

    class Res:
        @property
        def image_data(self):
            return holder["img"]

    monkeypatch.setattr(sdc, "st_canvas", lambda **kw: Res())


def _drawing(k: int):
    """A canvas image of the independent stroke set, drawn with the page's 12 px pen."""
    text, _, lines = E.stroke_set(k + 1, seed=7, lengths=(4,))[k]
    return text, E.render_canvas(lines, pen=12)


def test_drawing_is_read_and_bad_drawings_keep_the_previous_result(monkeypatch):
    from streamlit.testing.v1 import AppTest
    holder = {"img": None}
    at = AppTest.from_file(str(PAGE), default_timeout=90)
    at.query_params["source"] = "draw"
    at.run()
    assert not at.exception
    assert any("example" in c.value for c in at.caption)           # nothing drawn yet: an example
    _fake_canvas(monkeypatch, holder)
    text, holder["img"] = _drawing(0)
    at.run()
    want = " ".join(text)
    assert f"`{want}`" in _caption(at).replace("?", "")
    prep = DR.preprocess(holder["img"])
    dec = _decode("soft", prep.image)
    z, _ = _panels(at)
    assert dec.caption(0) == want
    assert all(np.allclose(z[t].reshape(-1), dec.weights[0, t].numpy(), atol=1e-6) for t in range(4))
    many = E.render_canvas(E.strokes_for("31415926", np.random.default_rng(1), pen=6), pen=6)
    for bad, words in ((np.full((150, 440, 4), 255, np.uint8), "canvas is empty"),
                       (many, "more digits"),
                       (np.random.default_rng(1).integers(0, 256, (150, 440, 4)).astype(np.uint8),
                        "not look like digits")):
        bad = bad.copy()
        bad[..., 3] = 255
        holder["img"] = bad
        at.run()
        assert not at.exception
        assert any(words in w.value for w in at.warning), [w.value for w in at.warning]
        assert f"`{want}`" in _caption(at).replace("?", "")          # the previous result stays


@pytest.mark.parametrize("key", ["model", "variant"])
def test_old_model_key_still_opens_the_same_view(key):
    """The attention type was ``model=`` before it got Translate's name, ``variant=``; the 2-D
    local-p model was ``local`` before names became unique across tasks (``local_p_2d``)."""
    at = run_page(PAGE, source="test", test_image="1", **{key: "local"})
    link = [w.value for w in at.warning if not w.value.startswith("**Unsure**")]   # the reading's
    assert not link, link                                                   # own flag may show
    assert at.session_state["variant"] == "local_p_2d"
    assert dict(at.query_params).get("variant") in ("local_p_2d", ["local_p_2d"])


def test_averaged_weights_sentence_states_the_cards_decay_and_both_validation_scores(monkeypatch):
    """The sentence for a model whose card has a weight average (no shipped model has one now:
    the page test below then checks only that none claims it)."""
    from features.digits import compute
    fake = {"soft": {"training": {"ema": 0.999}, "validation": {"exact": 0.8627},
                     "validation_last_step_weights": {"exact": 0.86}},
            "hard": {"training": {}}, "local_p_2d": {"training": {"ema": None}}}
    monkeypatch.setattr(compute, "cards", lambda order="left_to_right": fake)
    text = compute.averaged_weights("soft", "left_to_right")
    assert "over about the last 1,000 training steps (s ← 0.999·s + 0.001·w" in text
    assert "it reads 86.27% exact, the last step's weights 86.00%" in text
    assert text.endswith(f"{compute.VARIANTS['hard'].label} and {compute.VARIANTS['local_p_2d'].label} "
                         "ship the weights of the last step.")
    assert compute.averaged_weights("hard", "left_to_right") is None


def test_how_it_works_says_which_models_ship_averaged_weights_with_the_cards_numbers():
    """A model trained with a moving average of its weights (card ``training.ema``) says so in
    "How it works", with both validation scores from its card; the others do not."""
    from features.digits import compute
    for order in compute.ORDER_LABELS:
        for v, card in compute.cards(order).items():
            at = run_page(PAGE, source="test", test_image="1", variant=v, order=order)
            md = " ".join(m.value for m in at.markdown)
            decay = card["training"].get("ema")
            assert ("moving average of its weights" in md) == bool(decay), (order, v)
            if decay:
                assert f"about the last {round(1 / (1 - decay)):,} training steps" in md
                assert f"{card['validation']['exact']:.2%}" in md
                assert f"{card['validation_last_step_weights']['exact']:.2%}" in md


def test_accuracy_tables_with_large_text_hold_five_columns_each():
    """The projector preference makes the text 21 px: the tables are cut further so that
    none scrolls sideways at 1280 px, and every column is still shown once."""
    from features.digits import compute
    from ui.page import LARGE_TEXT_COLUMNS
    at = run_page(PAGE, source="test", large_text="1")
    assert at.toggle(key="large_text").value is True
    tables = [d.value for d in at.dataframe if "captions" in d.value.columns]
    assert all(len(t.columns) <= LARGE_TEXT_COLUMNS for t in tables)
    shown = [c for t in tables for c in t.columns if c not in ("captions", "attention")]
    assert sorted(shown) == sorted(c for c in compute.accuracy_rows()[0] if c not in ("captions", "attention"))
