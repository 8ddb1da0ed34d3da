"""Issue 24, "How it learned": the replay maths against hand computations, the Plotly frames, and
the shared section in AppTest with synthetic replays written to a temporary folder (the slider
moves the map; an absent replay gets a clear message).  The shipped replays, when present, are
checked for size and for a first snapshot clearly different from the last."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import replays as X
from attention.models import replay as R
from figures import replay as F
from plotly_utils import decode

ROOT = Path(__file__).resolve().parent.parent


# ----------------------------------------------------------------------------- the maths
def test_alignment_against_a_hand_computation():
    maps = np.array([[0.1, 0.6, 0.3],      # truth {1}: share .6, peak at 1 (in)
                     [0.5, 0.2, 0.3],      # truth {1, 2}: share .5, peak at 0 (out)
                     [0.2, 0.3, 0.5],      # no truth: not scored
                     [0.0, 0.0, 0.0]])     # truth {0} but never written: share 0, peak out
    truth = np.array([[0, 1, 0], [0, 1, 1], [0, 0, 0], [1, 0, 0]], dtype=bool)
    a = R.alignment(maps, truth)
    assert a.rows == 3
    assert a.share == pytest.approx((0.6 + 0.5 + 0.0) / 3)
    assert a.peak == pytest.approx(1 / 3)
    # rows past the truth's length are ignored; no scored row -> NaN, 0 rows
    assert R.alignment(maps, truth[:1]).share == pytest.approx(0.6)
    empty = R.alignment(maps, np.zeros((4, 3), dtype=bool))
    assert empty.rows == 0 and np.isnan(empty.share)


def _replay(shares_rows, steps):
    """A one-lesson replay whose row 0 puts ``share`` on key 0 (the truth) at each snapshot."""
    maps = np.array([[[s, 1 - s]] for s in shares_rows], dtype=np.float32)        # (K, 1, 2)
    x = R.Lesson("l", "text", ("a", "b"), ("y",), np.array([[True, False]]), maps, (("y",),) * len(steps))
    return R.Replay("t", "v", np.array(steps), np.zeros(len(steps)), np.zeros(len(steps)), (x,))


def test_aligned_at_is_the_first_step_it_stays_above_the_threshold():
    r = _replay([0.1, 0.6, 0.4, 0.55, 0.7, 0.9], [0, 10, 20, 30, 40, 50])
    assert R.aligned_at(r, "l", 0.5) == 30             # 0.6 at 10 does not count: it fell back
    assert R.aligned_at(r, "l", 0.8) == 50
    assert R.aligned_at(r, "l", 0.95) is None
    assert R.aligned_at(_replay([0.9, 0.9], [0, 5]), "l") == 0
    with pytest.raises(ValueError, match="lesson must be one of"):
        R.aligned_at(r, "nope")


def test_fields_group_the_rows_that_read_the_same_evidence():
    x = X.lesson()
    fs = R.fields(x)
    assert [(f.rows, f.label) for f in fs] == [((0, 1, 2, 3), "2021"), ((5, 6), "03"), ((8, 9), "03")]
    # each year digit pointing at its own source digit (what training/translate.py records): one field
    tr = x.truth.copy()
    tr[:4] = False
    for i in range(4):
        tr[i, 8 + i] = True
    per_digit = R.Lesson(**{**x.__dict__, "truth": tr})
    assert [f.rows for f in R.fields(per_digit)] == [(0, 1, 2, 3), (5, 6), (8, 9)]
    # on a grid, touching cells are not one field: each digit has its own
    g = np.zeros((2, 4), dtype=bool)
    g[0, 0] = g[1, 1] = True
    grid = R.Lesson("g", "t", tuple("abcd"), ("1", "2"), g, np.zeros((1, 2, 4)), (("1", "2"),), grid=(2, 2))
    assert [f.rows for f in R.fields(grid)] == [(0,), (1,)]


def test_synthetic_replay_numbers_follow_from_its_construction(tmp_path):
    """Row t at snapshot k is (1 - a) uniform over 12 keys + a on its true span, a = k / 7:
    share_k = (1 - a) |span| / 12 + a.  Year / month spans have 4 keys, the day 1."""
    X.write(tmp_path, "good")
    X.write(tmp_path, "bad", aligns=False)
    good, bad = R.load(tmp_path / "good"), R.load(tmp_path / "bad")
    a = np.linspace(0, 1, len(X.STEPS))
    base = (6 * 4 / 12 + 2 * 1 / 12) / 8                        # the 8 scored rows at step 0
    np.testing.assert_allclose(R.curve(good, "reordered").share, base * (1 - a) + a, atol=2e-3)
    # mean share >= 0.5  <=>  a >= (0.5 - base) / (1 - base) = 0.314  ->  k = 3 (step 90)
    assert R.aligned_at(good, "reordered") == X.STEPS[3]
    year, month, day = R.fields(good.lesson("reordered"))
    # 4-key spans: a >= 0.25 -> k = 2; the 1-key day: a >= 5/11 -> k = 4
    assert [R.field_aligned_at(good, "reordered", f) for f in (year, month, day)] == [40, 40, 160]
    assert R.settled_at(good, "reordered") is not None
    # the bad one moves every row onto the day's character: never aligned, but it settled
    assert R.aligned_at(bad, "reordered") is None
    assert R.settled_at(bad, "reordered") is not None
    assert R.mean_curve(good).share[-1] == pytest.approx(1.0, abs=2e-3)
    assert R.nearest(good, 95) == 3 and R.nearest(good, 0) == 0 and R.nearest(good, 10**6) == 7


def test_final_span_and_change_against_hand_computations():
    m = np.array([[0.5, 0.3, 0.15, 0.05], [0, 0, 0, 0]])
    span = R.final_span(m, cover=0.9)
    assert span.tolist() == [[True, True, True, False], [False] * 4]
    a = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    b = np.array([[0.5, 0.0, 0.5], [0.0, 0.0, 1.0]])
    assert R.change(a, a) == 0.0
    assert R.change(a, b) == pytest.approx((0.5 + 1.0) / 2)
    assert np.isnan(R.change(a, np.zeros((2, 3))))
    with pytest.raises(ValueError, match="same S"):
        R.change(a, np.zeros((2, 4)))


def test_a_replay_round_trips_through_its_file_in_float16(tmp_path):
    p = X.write(tmp_path, "v")
    assert p.name == "v.replay.safetensors" and R.size_bytes(tmp_path / "v") == p.stat().st_size
    r = R.load(tmp_path / "v")
    x = X.lesson()
    np.testing.assert_allclose(r.lesson("reordered").maps, x.maps, atol=1e-3)
    assert r.lesson("reordered").truth.tolist() == x.truth.tolist()
    assert r.steps.tolist() == list(X.STEPS) and np.isnan(r.accuracy[1])
    assert R.load(tmp_path / "absent") is None and R.size_bytes(tmp_path / "absent") is None


# ----------------------------------------------------------------------------- figures
def test_alignment_frames_one_frame_per_snapshot_and_the_slider_starts_where_asked():
    x = X.lesson()
    K = len(X.STEPS)
    rows = [list(o) + ["·"] * (11 - len(o)) for o in x.outputs]
    fig = F.alignment_frames(x.maps, X.STEPS, x.keys, rows, x.truth, start=3)
    spec = json.loads(fig.to_json())
    assert len(spec["frames"]) == K
    np.testing.assert_allclose(decode(spec["data"][0]["z"]), x.maps[3])
    for k, fr in enumerate(spec["frames"]):
        np.testing.assert_allclose(decode(fr["data"][0]["z"]), x.maps[k])
        assert fr["traces"] == [0]
    slider = spec["layout"]["sliders"][0]
    assert slider["active"] == 3 and len(slider["steps"]) == K
    assert slider["steps"][-1]["label"] == str(X.STEPS[-1])
    assert [b["label"] for b in spec["layout"]["updatemenus"][0]["buttons"]] == ["▶ Play", "❚❚ Pause"]
    # the truth: one open square per true cell (column = key, row = output step)
    tx, ty = decode(spec["data"][1]["x"]), decode(spec["data"][1]["y"])
    assert sorted(zip(ty.tolist(), tx.tolist())) == sorted(zip(*np.nonzero(x.truth)))
    one = F.alignment_frames(x.maps[-1:], X.STEPS[-1:], x.keys, rows[-1:], None)
    assert not one.frames and "sliders" not in json.loads(one.to_json())["layout"]


def test_alignment_frames_tiles_grid_maps_and_rejects_bad_shapes():
    maps = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4) / 24      # K=2, T=3, S=2x2
    fig = F.alignment_frames(maps, [0, 9], list("abcd"), [["1", "2", "3"]] * 2, grid=(2, 2), start=1)
    spec = json.loads(fig.to_json())
    z = decode(spec["data"][0]["z"])
    assert z.shape == (1 + 2, 3 * 3 - 1)                                     # a label row + 2x2 panels
    np.testing.assert_allclose(z[1:, 3:5], maps[1, 1].reshape(2, 2))         # digit 1, columns 3-4
    assert np.isnan(z[:, 2]).all() and np.isnan(z[0]).all()                  # the gaps
    assert [a["text"] for a in spec["layout"]["annotations"]] == ["0: 1", "1: 2", "2: 3"]
    five = F.alignment_frames(np.zeros((1, 5, 4)), [0], list("abcd"), [list("12345")], grid=(2, 2))
    assert decode(json.loads(five.to_json())["data"][0]["z"]).shape == (2 * 3, 4 * 3 - 1)   # wraps
    with pytest.raises(ValueError, match="grid"):
        F.alignment_frames(maps, [0, 9], list("abcd"), [["1"] * 3] * 2, grid=(3, 2))
    with pytest.raises(ValueError, match="need 2 steps"):
        F.alignment_frames(maps, [0], list("abcd"), [["1"] * 3] * 2)
    with pytest.raises(ValueError, match="start"):
        F.alignment_frames(maps, [0, 9], list("abcd"), [["1"] * 3] * 2, start=2)


def test_curves_mark_the_current_step_and_skip_unmeasured_points():
    s = {"a": {"steps": np.array([0, 10, 20]), "loss": np.array([2.0, 1.0, 0.5]),
               "accuracy": np.array([0.0, np.nan, 0.9])},
         "b": {"steps": np.array([0, 20]), "loss": np.array([2.0, 1.5]), "accuracy": np.array([0.1, 0.2])}}
    spec = json.loads(F.training_curves(s, {"a": "A"}, current=10, chosen="a").to_json())
    assert [sh["x0"] for sh in spec["layout"]["shapes"]] == [10, 10]
    acc_a = [t for t in spec["data"] if t.get("name") == "A" and t["yaxis"] == "y2"][0]
    assert decode(acc_a["x"]).tolist() == [0, 20]                             # NaN skipped
    t = json.loads(F.truth_curves({"a": {"steps": [0, 10], "share": [0.2, 0.8], "peak": [0, 1]}},
                                  {}, current=10, threshold=0.5).to_json())
    assert decode(t["data"][0]["y"]).tolist() == [0.2, 0.8]
    assert {sh.get("y0") for sh in t["layout"]["shapes"]} >= {0.5}


# ----------------------------------------------------------------------------- sentences
def test_sentences_and_the_text_alternative_carry_the_measured_numbers(tmp_path):
    from ui import learning as Lr
    X.write(tmp_path, "good")
    X.write(tmp_path, "bad", aligns=False)
    good, bad = R.load(tmp_path / "good"), R.load(tmp_path / "bad")
    m = Lr.measure(good, "reordered")
    assert (m.aligned_at, m.total) == (90, 500) and m.slowest[0].label == "03" and m.slowest[1] == 160
    text = Lr.sentence(m, "Good", X.SOURCE)
    assert "from step **90** on" in text and "from step 160" in text and f"{m.first.share:.2f}" in text
    mb = Lr.measure(bad, "reordered")
    tb = Lr.sentence(mb, "Bad", X.SOURCE)
    assert mb.aligned_at is None and "never kept 0.5" in tb and f"settled at step {mb.settled_at}" in tb
    line = Lr.summary_line("Good", X.SOURCE, 90, 500, R.alignment(good.lessons[0].maps[3], X.truth()),
                           0.3, 0.25, "2021")
    assert line.startswith("Step 90 of 500") and "training loss 0.3" in line and "25%" in line
    # step 0 (the untrained model) has no loss: the replays record NaN, which must not reach the page
    first = Lr.summary_line("Good", X.SOURCE, 0, 500, R.alignment(good.lessons[0].maps[0], X.truth()),
                            float("nan"), 0.0, "")
    assert "nan" not in first.lower() and "no training step yet" in first and "0%" in first
    later = Lr.summary_line("Good", X.SOURCE, 90, 500, R.alignment(good.lessons[0].maps[3], X.truth()),
                            float("nan"), 0.25, "2021")
    assert "nan" not in later.lower() and "no training loss recorded" in later and "no training step" not in later


def test_alignment_scores_for_a_model_card(tmp_path):
    from ui import learning as Lr
    X.write(tmp_path, "bahdanau")
    got = Lr.alignment_scores("translate", ["bahdanau", "luong"], where=tmp_path)
    assert list(got) == ["bahdanau"]                                    # no replay: left out
    assert got["bahdanau"]["weight on the true span"] == pytest.approx(1.0, abs=2e-3)
    assert got["bahdanau"]["peak in the span"] == 1.0


# ----------------------------------------------------------------------------- the section
SCRIPT = """
import sys
sys.path.insert(0, {root!r})
import streamlit as st
from pathlib import Path
from attention.models.seq2seq import VARIANTS
from ui import learning, params as P
P.load("t", learning.params())
learning.how_it_learned("translate", VARIANTS, variant={variant!r}, where=Path({where!r}))
P.publish("t", learning.params())
"""


def _section(tmp_path, variant="bahdanau", **query):
    from streamlit.testing.v1 import AppTest
    script = tmp_path / f"section_{variant}.py"
    script.write_text(SCRIPT.format(root=str(ROOT), variant=variant, where=str(tmp_path)), encoding="utf-8")
    at = AppTest.from_file(str(script), default_timeout=60)
    for k, v in {"learn": "1", **query}.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def _map(at):
    from plotly_utils import chart_spec
    return decode(chart_spec(at, key="learn_map")["data"][0]["z"])


def test_section_the_step_slider_moves_the_map(tmp_path):
    X.write(tmp_path, "bahdanau")
    X.write(tmp_path, "local_m", aligns=False)
    x = X.lesson()
    at = _section(tmp_path)
    np.testing.assert_allclose(_map(at), x.maps[0], atol=1e-3)           # the first step by default
    at.select_slider(key="learn_step").set_value(X.STEPS[-1]).run()
    assert not at.exception
    np.testing.assert_allclose(_map(at), x.maps[-1], atol=1e-3)
    assert "learn_step" in at.query_params and at.query_params["learn_step"] in (str(X.STEPS[-1]), [str(X.STEPS[-1])])
    text = " ".join(m.value for m in at.markdown)
    assert "Step 500 of 500" in text and "from step **90** on" in text and "never kept 0.5" in text
    assert "No replay for **Global, general (Luong)**" in text                # absent ones named
    # the curves: every variant that has a replay, the current step marked
    from plotly_utils import chart_spec
    curves = chart_spec(at, key="learn_curves")
    assert {t["name"] for t in curves["data"] if t.get("showlegend", True)} >= {
        "Global, additive (Bahdanau)", "Local-m (monotonic window)"}
    assert curves["layout"]["shapes"][0]["x0"] == X.STEPS[-1]


def test_section_share_link_step_snaps_to_a_recorded_step(tmp_path):
    X.write(tmp_path, "bahdanau")
    at = _section(tmp_path, learn_step="95", learn_input="1")
    assert at.select_slider(key="learn_step").value == 90
    assert at.radio(key="learn_input").value == 1
    np.testing.assert_allclose(_map(at), X.lesson().maps[3], atol=1e-3)


def test_section_an_absent_replay_gets_a_clear_message(tmp_path):
    X.write(tmp_path, "bahdanau")
    at = _section(tmp_path, variant="luong")
    infos = " ".join(i.value for i in at.info)
    assert "No replay for **Global, general (Luong)**" in infos and "--variant luong" in infos
    assert not [c for c in at.get("plotly_chart") if c.proto.id.endswith("-learn_map")]
    empty = tmp_path / "empty"
    empty.mkdir()
    at = _section(empty)
    assert "No training replays are here" in " ".join(i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_section_closed_costs_nothing(tmp_path):
    X.write(tmp_path, "bahdanau")
    at = _section(tmp_path, learn="0")
    assert not at.get("plotly_chart") and not at.select_slider


# ----------------------------------------------------------------------------- shipped replays
SHIPPED = [(task, order, v) for task, order in (("translate", None), ("caption", None),
                                                 ("caption", "largest_first"), ("listen", None))
           for v in ("bahdanau", "luong", "local_m", "local_p", "hard", "soft", "local_p_2d",
                     "content", "location", "windowed")]


def _shipped():
    from ui.learning import folder
    out = []
    for task, order, v in SHIPPED:
        try:
            stem = folder(task, order) / v
        except (ValueError, ModuleNotFoundError):
            continue
        if R.replay_path(stem).is_file():
            out.append(stem)
    return out


@pytest.mark.parametrize("stem", _shipped() or [None], ids=lambda s: "none" if s is None else f"{s.parent.name}/{s.name}")
def test_shipped_replays_are_small_and_their_first_snapshot_differs_from_the_last(stem):
    """Each shipped replay: <= 300 kB; every lesson's first map differs from its last by a mean
    total-variation distance of at least 0.2 (training moved the attention)."""
    if stem is None:
        pytest.skip("no replays are shipped yet (weights/<task>/<variant>.replay.safetensors)")
    assert R.size_bytes(stem) <= 300_000
    r = R.load(stem)
    assert len(r.steps) >= 2 and r.steps[0] == 0 and np.all(np.diff(r.steps) > 0)
    for x in r.lessons:
        assert x.maps.shape[0] == len(r.steps) and x.truth.shape[1] == x.maps.shape[2]
        assert R.change(x.maps[0], x.maps[-1]) >= 0.2, (stem.name, x.name)


def test_translate_page_opens_how_it_learned_from_its_share_link():
    """The Home lesson's link: Translate with ``learn=1`` opens the section (a map when replays are
    shipped, the clear message otherwise); "Train a small model now" stays closed (no job)."""
    from plotly_utils import run_page
    at = run_page(ROOT / "pages" / "translate.py", learn="1", learn_step="40")
    assert at.session_state["learn"] is True
    maps = [c for c in at.get("plotly_chart") if c.proto.id.endswith("-learn_map")]
    infos = " ".join(i.value for i in at.info)
    assert maps or "No training replays are here" in infos or "No replay for" in infos
    assert not [b for b in at.button if b.key == "live_start"]
    closed = run_page(ROOT / "pages" / "translate.py")
    assert not [c for c in closed.get("plotly_chart") if c.proto.id.endswith("-learn_map")]
