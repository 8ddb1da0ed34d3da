"""The Read digits page (AppTest): with a generated test image and with a (simulated) drawing,
the caption and every map drawn are the model's own decode; bad input keeps the previous result.

The canvas cannot be driven in AppTest, so ``streamlit_drawable_canvas.st_canvas`` is replaced
by a stand-in returning a picture drawn with the test stroke font (the real canvas is driven
with the mouse in ``tests/e2e/test_e2e_digits.py``).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from attention.models.captioner import load
from tests.digit_strokes import render, string_strokes
from tests.plotly_utils import chart_spec, decode, run_page
from attention.models import digits as DR
from training import digits as D

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
    ref = dec.attn_probs if variant == "hard" else dec.weights            # what the panels colour
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


def test_accuracy_table_is_the_cards():
    from features.digits import compute
    at = run_page(PAGE, source="test")
    df = at.dataframe[-1].value
    assert len(df) == 6                                   # 2 caption orders x 3 attention types
    for order, label in compute.ORDER_LABELS.items():
        for v, card in compute.cards(order).items():
            row = df[(df["attention"] == v) & (df["captions"] == label.lower())].iloc[0]
            assert row["exact, 4-digit strings"] == pytest.approx(card["test"]["exact_4_digits"])
            assert row["per digit"] == pytest.approx(card["test"]["per_digit"])


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
    notes = " ".join(c.value for c in at.caption) + " ".join(w.value for w in at.warning)
    assert f"True string: `{want}`" in notes
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


def _rgba(text, size=(440, 150), height=90):
    g = render(string_strokes(text, 20, 30, height), size, width=9)
    out = np.zeros(g.shape + (4,), np.uint8)
    out[..., :3] = g[..., None]
    out[..., 3] = 255
    return out


def test_drawing_is_read_and_bad_drawings_keep_the_previous_result(monkeypatch):
    from streamlit.testing.v1 import AppTest
    holder = {"img": None}
    at = AppTest.from_file(str(PAGE), default_timeout=90)
    at.query_params["source"] = "draw"
    at.run()
    assert not at.exception
    assert any("example" in c.value for c in at.caption)           # nothing drawn yet: an example
    _fake_canvas(monkeypatch, holder)
    holder["img"] = _rgba("2026")
    at.run()
    assert "`2 0 2 6`" in _caption(at)
    prep = DR.preprocess(holder["img"])
    dec = _decode("soft", prep.image)
    z, _ = _panels(at)
    assert dec.caption(0) == "2 0 2 6"
    assert all(np.allclose(z[t].reshape(-1), dec.weights[0, t].numpy(), atol=1e-6) for t in range(4))
    for bad, words in ((np.full((150, 440, 4), 255, np.uint8), "canvas is empty"),
                       (_rgba("31415926", size=(900, 150), height=70), "more digits"),
                       (np.random.default_rng(1).integers(0, 256, (150, 440, 4)).astype(np.uint8),
                        "not look like digits")):
        bad = bad.copy()
        bad[..., 3] = 255
        holder["img"] = bad
        at.run()
        assert not at.exception
        assert any(words in w.value for w in at.warning), [w.value for w in at.warning]
        assert "`2 0 2 6`" in _caption(at)                           # the previous result stays


@pytest.mark.parametrize("key", ["model", "variant"])
def test_old_model_key_still_opens_the_same_view(key):
    """The attention type was ``model=`` before it got Translate's name, ``variant=``; the 2-D
    local-p model was ``local`` before names became unique across tasks (``local_p_2d``)."""
    at = run_page(PAGE, source="test", test_image="1", **{key: "local"})
    assert not at.warning, [w.value for w in at.warning]
    assert at.session_state["variant"] == "local_p_2d"
    assert dict(at.query_params).get("variant") in ("local_p_2d", ["local_p_2d"])
