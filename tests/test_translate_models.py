"""Date-translation models (issues 12, 21, 24): the typed-date data, the runtime date reader
(screen, calendar validity, CLDR recognizer), the shipped weights on the generator's test split,
on Babel's widths and on the hand-written typed dates, decoding (greedy, beam, constrained),
calibration, replays, training smoke tests."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import attention
from attention.models import dates as R
from attention.models import replay
from attention.models import seq2seq as S2S
from training import dates as D

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = list(S2S.VARIANTS)
SHIPPED = [v for v in VARIANTS if (S2S.WEIGHTS_DIR / f"{v}.safetensors").is_file()]
TYPED = S2S.WEIGHTS_DIR / "typed_eval.json"
# (source, tag): each field order and script, a tag-decided numeric date, ISO.
SAMPLES = [("3. März 2021", "de_DE"), ("March 3, 2021", "en_US"), ("2021年3月3日", "ja_JP"),
           ("Mittwoch, 3. März 2021", "auto"), ("03/04/2021", "en_US"), ("03/04/2021", "en_GB"),
           ("3 марта 2021 г.", "ru_RU"), ("miércoles, 3 de marzo de 2021", "es_ES"),
           ("2021-03-04", "auto"), ("the 29th of march, 1920", "en_GB")]
#: Targets of the issue on the hand-written typed dates.
TYPED_TARGETS = {"bahdanau": 0.97, "luong": 0.97, "hard": 0.95, "local_p": 0.90}
#: What the shipped models must keep: the issue's targets.
TYPED_FLOORS = TYPED_TARGETS
#: Shipped models that do not read the locale tag (the README says so).
NO_TAG = {"local_m": "local-m's window never reaches the tag from the month steps"}


@pytest.fixture(scope="module")
def splits():
    return D.make_splits(0)


@pytest.fixture(scope="module", params=SHIPPED)
def shipped(request):
    model, card = S2S.load(request.param)
    return request.param, model, card


# ------------------------------------------------------------------ data
def test_splits_are_disjoint_by_date(splits):
    train_days = {e.date for e in splits.train}
    for part in (splits.val, splits.test):
        assert not {e.date for e in part} & train_days
    assert not {e.date for e in splits.val} & {e.date for e in splits.test}
    assert len(splits.test) == D.N_TEST and len(splits.val) == D.N_VAL
    assert len(train_days) + D.N_TEST + D.N_VAL == (D.DATE_MAX - D.DATE_MIN).days + 1
    n = D.EXAMPLES_PER_TRAIN_DAY * len(train_days)
    assert n <= len(splits.train) <= 1.1 * n                       # + the ambiguous dates' twins


def test_twins_differ_only_in_the_tag(splits):
    """An ambiguous numeric date appears under both orders' tags, each with its own reading."""
    by = {}
    for e in splits.train:
        by.setdefault(e.source, {})[e.tag] = e.target
    pairs = [(s, t) for s, t in by.items() if re.fullmatch(r"0?[1-9]/0?[1-9]/\d{4}", s)
             and "en_US" in t and set(t) & set(D.DAY_FIRST)]
    assert len(pairs) > 100
    for s, t in pairs[:200]:
        us = t["en_US"]
        gb = next(t[x] for x in D.DAY_FIRST if x in t)
        assert (us[:4], us[5:7], us[8:]) == (gb[:4], gb[8:], gb[5:7]), (s, t)


def test_splits_are_fixed_by_seed():
    a, b, c = D.make_splits(0), D.make_splits.__wrapped__(0), D.make_splits.__wrapped__(1)
    assert a.test == b.test and a.train[:200] == b.train[:200]
    assert a.test != c.test


def test_each_tagged_source_means_one_target(splits):
    seen = {}
    for e in splits.train[:60000] + splits.test:
        assert seen.setdefault((e.tag, e.source), e.target) == e.target, (e.tag, e.source)
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", e.target)


def test_targets_follow_the_locale_order_and_the_century_rule(splits):
    """A numeric date's target is read in the tag's order; two-digit years only in 1950-2049."""
    for e in splits.train[:30000]:
        nums = re.findall(r"\d+", e.source)
        if e.style != "numeric" or len(nums) != 3 or e.tag == "auto" or len(nums[0]) == 4:
            continue
        order = R.ORDER[e.tag]
        y, m, d = (nums[order.index(c)] for c in "ymd")
        year = int(y) if len(y) == 4 else R.century(int(y))
        assert e.target == f"{year:04d}-{int(m):02d}-{int(d):02d}", e
        if len(y) == 2:
            assert 1950 <= year <= 2049


def test_auto_is_used_only_when_a_numeric_date_has_one_reading(splits):
    for e in splits.train[:30000]:
        nums = re.findall(r"\d+", e.source)
        if e.tag == "auto" and e.style == "numeric" and len(nums) == 3 and len(nums[0]) <= 2:
            a, b = int(nums[0]), int(nums[1])
            assert not (a <= 12 and b <= 12 and a != b and a and b), e


def test_generator_covers_how_people_type(splits):
    src = [e.source for e in splits.train]
    joined = "\n".join(src)
    for needle in ("1st ", "2nd ", "3rd ", "th of ", "1er ", "1o ", "-го ", " de ", " года",
                   "on ", "am ", "le ", "el ", "il ", "в ", "号", "(水)", "星期", "sept.", "sep ",
                   "maerz", "fevrier", "miercoles"):
        assert needle in joined, needle
    for rx in (r"^\d{2}\.\d{2}\.\d{2}$", r"^\d{1,2}/\d{1,2}/\d{2}$", r"^\d{4}-\d{2}-\d{2}$",
               r"^\d{1,2}-\d{1,2}-\d{4}$", r"^\d{1,2} \d{1,2} \d{4}$", r"^\d{2}/\d{1,2}/\d{1,2}$",
               r"^\d+[^\d ]"):
        assert any(re.search(rx, s) for s in src[:50000]), rx
    styles = {e.style for e in splits.train}
    assert styles == {"cldr", "named", "numeric", "iso"}
    bad = [e for e in splits.train if not R.check_output(e.target).ok]
    assert 0.02 < len(bad) / len(splits.train) < 0.08          # impossible dates, transcribed


def test_every_training_source_passes_the_screen(splits):
    chars = D.source_chars()
    for e in splits.train[::97]:
        sc = R.screen(e.source, e.tag, chars, D.max_source_len())
        assert sc.ok, (e, sc.message)


def test_training_never_reads_the_typed_dates_file():
    for f in (ROOT / "training").glob("*.py"):
        code = f.read_text(encoding="utf-8")
        assert "load_typed_dates" not in code and not re.search(r"^\s*(from|import) tests", code, re.M), f
        assert not re.search(r"open\([^)]*typed_dates|typed_dates\.tsv\"\)", code), f


def test_babel_widths_use_two_digit_years_only_where_the_rule_names_the_day():
    days = [dt.date(1921, 3, 3), dt.date(1977, 12, 31), dt.date(2021, 3, 4)]
    t = D.babel_widths(days, ("de_DE", "en_US", "en_GB"))
    assert t[("de_DE", "short")] == [("31.12.77", "1977-12-31"), ("04.03.21", "2021-03-04")]
    assert t[("en_US", "short")][-1] == ("3/4/21", "2021-03-04")
    assert len(t[("en_GB", "short")]) == 3                        # dd/MM/y: four digits


# ------------------------------------------------------------------ the runtime reader
def test_normalization_is_what_the_model_reads():
    assert R.normalize_text("  ２０２１年３月３日（水） ") == "2021年3月3日(水)"
    assert R.normalize_text("NOVEMBER\u200b 18,   2025") == "november 18, 2025"
    assert R.normalize_text("1º de mayo") == "1o de mayo"


@pytest.mark.parametrize("out, ok, steps", [
    ("2021-02-28", True, ()), ("2024-02-29", True, ()), ("2021-02-31", False, (5, 6, 8, 9)),
    ("2023-02-29", False, (5, 6, 8, 9)), ("2021-13-01", False, (5, 6)), ("1899-12-31", False, (0, 1, 2, 3)),
    ("10777-07-07", False, (0, 1, 2, 3)), ("202-01-22", False, (0, 1, 2, 3)), ("2021-04-00", False, (5, 6, 8, 9)),
])
def test_check_output(out, ok, steps):
    v = R.check_output(out)
    assert v.ok == ok and v.steps == steps and (v.problem is None) == ok
    assert R.check_output("2021-03-0", finished=False).problem.startswith("no end")


@pytest.mark.parametrize("out, src, ok, steps", [
    ("2021-03-03", "3. märz 2021", True, ()), ("2021-03-04", "03/04/2021", True, ()),
    ("2021-04-03", "03/04/2021", True, ()), ("2021-03-03", "03.03.21", True, ()),
    ("1982-01-22", "22.01.82", True, ()), ("1920-03-29", "the 29th of march, 1920", True, ()),
    ("2021-03-03", "2021年3月3日(水)", True, ()), ("2021-02-03", "3 febuary 2021", True, ()),
    ("2044-03-31", "32 march 2044", False, (8, 9)),          # an impossible input "repaired"
    ("2021-11-01", "2021-13-01", False, (5, 6)),
    ("2021-03-15", "13/25/2021", False, (5, 6, 8, 9)),
    ("2021-03-21", "03/03/21", False, (5, 6, 8, 9)),          # the year's 21 read as the day too
    ("2021-03-03", "03/04/2021", False, (5, 6, 8, 9)),
    ("2020-02-29", "2/29/00", False, (0, 1, 2, 3)),           # 00 is 2000 by the century rule
    ("2021-02-31", "31 february 2021", False, (5, 6, 8, 9)),  # not a date at all: check_output's answer
])
def test_check_agreement(out, src, ok, steps):
    v = R.check_agreement(out, src)
    assert v.ok == ok and v.steps == steps, v
    if not ok and R.check_output(out).ok:
        assert v.kind == "mismatch" and "not the one typed" in v.problem


def test_next_chars_keeps_a_prefix_completable():
    assert R.next_chars("") == ("12", False)
    assert R.next_chars("2021-02-") == ("012", False)
    assert R.next_chars("2021-02-2") == ("012345678", False)
    assert R.next_chars("2024-02-2")[0].endswith("9")
    assert R.next_chars("2021-02-28") == ("", True)
    for s in ("1900-01-01", "2099-12-31", "2000-02-29"):
        for i in range(10):
            assert s[i] in R.next_chars(s[:i])[0]


@pytest.mark.parametrize("text, locale, kind, needle", [
    ("hello", "auto", "not_a_date", "no numbers"),
    ("March 2021", "en_US", "not_a_date", "only one number"),
    ("3 March", "en_GB", "not_a_date", "only one number"),
    ("12:30", "auto", "not_a_date", "time"),
    ("+49 30 1234567", "auto", "not_a_date", "7-digit"),
    ("3 maart 2021", "auto", "unsupported_language", "Dutch"),
    ("3 de março de 2021", "auto", "unsupported_language", "Portuguese"),
    ("2021년 3월 3일", "auto", "unsupported_language", "Hangul"),
    ("3 березня 2021", "auto", "unsupported_language", "Ukrainian"),
    ("12 March 1850", "auto", "out_of_range", "1850"),
    ("2220年9月13日", "ja_JP", "out_of_range", "2220"),
    ("3 March 2021 ☃", "auto", "unknown_characters", "U+2603 SNOWMAN"),
    ("", "auto", "empty", ""),
])
def test_screen_refuses_with_a_reason(text, locale, kind, needle):
    chars = D.source_chars()
    sc = R.screen(text, locale, chars, 48)
    assert sc.kind == kind and needle in sc.message, sc
    assert sc.source == ""


def test_screen_marks_positions_and_removes_invisible_characters():
    chars = D.source_chars()
    sc = R.screen("3 March 2021 ☃", "auto", chars, 48)
    assert [(m.index, m.name) for m in sc.unknown] == [(13, "U+2603 SNOWMAN")]
    sc = R.screen("3\u200b March 2021", "auto", chars, 48)
    assert sc.ok and sc.source == "3 march 2021"
    assert [(m.index, m.name) for m in sc.removed] == [(1, "U+200B ZERO WIDTH SPACE")]


def test_screen_reads_numeric_dates_and_their_ambiguity():
    sc = R.screen("03/04/2021", "auto")
    assert sc.ambiguous and [r.tag for r in sc.readings] == ["en_GB", "en_US"]
    assert [r.order for r in sc.readings] == ["dmy", "mdy"]
    assert not R.screen("25/04/2021", "auto").ambiguous
    assert not R.screen("03/03/2021", "auto").ambiguous
    assert not R.screen("03/04/2021", "en_US").ambiguous
    assert not R.screen("2021-03-04", "auto").ambiguous
    assert R.screen("mar, 5/3/1968", "es_ES").numeric == ("5", "3", "1968")   # "mar" = martes
    assert R.screen("3 Febuary 2021", "en_GB").ok                  # one typo from a month


def test_recognize_depends_on_the_locale():
    assert {m.iso for m in R.recognize("03/04/2021", "en_GB") if m.problem is None} == {"2021-04-03"}
    assert {m.iso for m in R.recognize("3/4/2021", "en_US") if m.problem is None} == {"2021-03-04"}
    assert {m.iso for m in R.recognize("3/4/21", "en_US") if m.problem is None} == {"2021-03-04"}
    assert {m.iso for m in R.recognize("03.03.21", "de_DE") if m.problem is None} == {"2021-03-03"}
    ms = R.recognize("31/02/2021", "en_GB")
    assert ms and all("no day 31" in m.problem for m in ms)


def test_century_rule():
    assert [R.century(y) for y in (0, 21, 49, 50, 82, 99)] == [2000, 2021, 2049, 1950, 1982, 1999]


# ------------------------------------------------------------------ shipped models
def test_every_variant_is_shipped():
    assert SHIPPED == VARIANTS


def test_weights_are_small_and_card_complete(shipped):
    v, model, card = shipped
    assert (S2S.WEIGHTS_DIR / f"{v}.safetensors").stat().st_size <= 2_000_000
    tr = card["training"]
    for k in ("seed", "steps", "batch_size", "wall_time_s", "cpu_time_s", "threads", "parameters"):
        assert k in tr
    assert tr["cpu_time_s"] <= 300 and tr["threads"] == 1          # <= 5 min on one core
    assert tr["parameters"] == sum(p.numel() for p in model.parameters())
    assert card["data"]["locales"] == list(R.LOCALES) and card["config"]["tags"] == list(R.TAGS)
    assert card["config"]["src_chars"] == D.source_chars()
    assert card["test"]["n"] == D.N_TEST and card["why"]
    cal = card["calibration"]
    assert 0.2 < cal["temperature"] < 8 and 0 < cal["unsure_below"] < 1
    assert model.temperature == cal["temperature"]


def test_shipped_model_reaches_card_accuracy(shipped, splits):
    """On the card's fixed check sample (400 test examples, seconds to decode)."""
    from training.translate import evaluate, sample
    v, model, card = shipped
    got = evaluate(model, sample(splits.test))
    assert abs(got["exact_match"] - card["test_sample"]["exact_match"]) <= 0.01
    assert abs(got["per_token"] - card["test_sample"]["per_token"]) <= 0.01
    if v in ("bahdanau", "luong"):
        assert card["test"]["exact_match"] >= 0.99
        assert all(card["babel_widths"][w]["all"] >= 0.99 for w in D.WIDTHS), card["babel_widths"]


def test_local_m_fails_where_p_t_equals_t_cannot_reach():
    card = json.loads((S2S.WEIGHTS_DIR / "local_m.json").read_text())
    assert card["test"]["exact_by_order"]["ymd"] > card["test"]["exact_by_style"]["named"] + 0.3


@pytest.fixture(scope="module")
def typed():
    if not TYPED.is_file():
        pytest.skip("weights/translate/typed_eval.json missing: run python -m tests.translate_typed_eval")
    return json.loads(TYPED.read_text(encoding="utf-8"))


def test_typed_set_accuracy_matches_the_recorded_evaluation(shipped, typed):
    """The page's path on the hand-written typed dates reproduces the recorded numbers (±1%),
    and the recorded numbers meet the issue's targets."""
    from tests.translate_typed_eval import evaluate
    v, model, card = shipped
    got, per = evaluate(model, card)
    rec = typed["after"][v]
    assert abs(got["accuracy"] - rec["accuracy"]) <= 0.01, (got["accuracy"], rec["accuracy"])
    assert got["non_date_presented"] == 0
    if v in TYPED_FLOORS:
        assert rec["accuracy"] >= TYPED_FLOORS[v], (v, rec["accuracy"])


def test_unsure_meets_the_issue_bounds_on_the_typed_dates(typed):
    """Issue 21: "unsure" on >= 80% of the wrong answers and <= 5% of the right ones.  Wrong
    answers the page offers must be flagged; wrong decodings it withholds (not a date, not the
    date typed) count as warned."""
    for v in TYPED_TARGETS:
        rec = typed["after"][v]
        assert rec["unsure"]["flagged_right_share"] <= 0.05, (v, rec["unsure"])
        assert rec["unsure"]["recall"] is None or rec["unsure"]["recall"] >= 0.8, (v, rec["unsure"])
        assert rec["warned"]["recall"] >= 0.8, (v, rec["warned"])


@pytest.mark.parametrize("text, tag, order, iso", [
    ("03/04/2021", "en_US", "mdy", "2021-03-04"), ("03/04/2021", "en_GB", "dmy", "2021-04-03"),
    ("05/11/30", "ja_JP", "ymd", "2005-11-30"), ("7/4/76", "en_US", "mdy", "1976-07-04"),
    ("2021-03-04", "en_US", "ymd", "2021-03-04"), ("31/02/2021", "en_GB", "dmy", None),
    ("25/12/2021", "en_US", "mdy", None), ("3. märz 2021", "de_DE", None, None),
    ("03/04/2021", "auto", None, None)])
def test_locale_reading_by_hand(text, tag, order, iso):
    src = R.normalize(text)
    assert R.locale_order(src, tag) == order
    assert R.locale_reading(src, tag) == iso


def test_a_numeric_date_read_in_another_order_is_unsure(shipped):
    """The page flags an output that reads a numeric date in another field order than its
    locale (whatever the model's probability), and only then."""
    from features.translate.compute import decode
    v, model, card = shipped
    tr = decode(model, card, "05/11/30", "ja_JP")
    assert tr.locale_date == "2005-11-30"
    assert tr.other_order == (tr.valid and tr.output != "2005-11-30")
    assert not tr.other_order or tr.unsure
    named = decode(model, card, R.normalize("3. März 2021"), "de_DE")
    assert named.locale_date is None and not named.other_order


def test_an_impossible_date_is_never_the_answer(shipped):
    from features.translate.compute import read
    v, model, card = shipped
    for text, loc in [("31 February 2021", "en_GB"), ("29/02/2023", "en_GB"), ("2021-13-01", "auto"),
                      ("13/25/2021", "en_US"), ("31.04.2021", "de_DE"), ("0/12/2021", "en_GB")] + SAMPLES:
        ans = read(model, card, text, loc)
        for d in ans.offered:
            assert R.check_output(d).ok, (text, d)
        if ans.main is not None and not ans.main.valid:
            assert ans.presented is None


def test_the_locale_tag_changes_an_ambiguous_reading(shipped):
    v, model, _ = shipped
    if v in NO_TAG:
        pytest.skip(NO_TAG[v])
    us = model.translate("03/04/2021", "en_US")
    gb = model.translate("03/04/2021", "en_GB")
    assert (us.output, gb.output) == ("2021-03-04", "2021-04-03"), (v, us.output, gb.output)
    # ... and the weights show where it came from: some row before the month reads the tag
    assert max(us.weights[:7, 0].max(), gb.weights[:7, 0].max()) > 0.2, v


def test_greedy_batch_equals_single_decoding(shipped, splits):
    _, model, _ = shipped
    ex = [(e.source, e.tag) for e in splits.test[:30]] + SAMPLES
    got, conf = model.greedy_batch([s for s, _ in ex], [t for _, t in ex], with_probs=True)
    single = [model.translate(s, t) for s, t in ex]
    assert got == [d.output for d in single]
    np.testing.assert_allclose(conf, [d.confidence for d in single], rtol=1e-5)


def _recompute(model, d, t):
    kw = dict(d.attend_options)
    if model.cfg.spec.attend["score"] == "additive":
        kw["additive"] = (model.W1, model.W2, model.v_a)
    else:
        kw["W_a"] = model.W_a
    if d.positions is not None:
        kw["positions"] = d.positions[t:t + 1]
    return attention.attend(d.queries[t:t + 1], d.keys, d.keys, **kw)


def test_drawn_weights_are_the_weights_used(shipped):
    """Recompute every step by hand: the query from the recurrence, the row through ``attend``,
    the context as weights @ keys, the output layer (Bahdanau's maxout from s_{t-1}, y_{t-1},
    c_t; Luong's tanh(W_c[c_t; h_t])), the token and its calibrated probability."""
    v, m, _ = shipped
    for text, tag in SAMPLES[:5]:
        d = m.translate(text, tag)
        T, S = d.weights.shape
        assert S == 1 + len(d.source) and T == len(d.tokens)
        s = m.h0.unsqueeze(0)                                      # (1, Hd)
        feed = torch.zeros_like(s)
        y = torch.tensor([S2S.BOS])
        for t in range(T):
            r = _recompute(m, d, t)
            assert torch.allclose(r.weights[0, 0], d.weights[t], atol=1e-6)
            assert torch.allclose(r.scores[0, 0], d.scores[t], atol=1e-5)
            e = m.tgt_emb(y)
            c = (d.weights[t] @ d.keys)[None]                      # (1, dk)
            if m.cfg.spec.get("flow") == "bahdanau":
                assert torch.allclose(s[0], d.queries[t], atol=1e-6)
                tt = m.U_o(s) + m.V_o(e) + m.C_o(c)
                out = tt.view(1, -1, 2).max(-1).values
                s = m.cell(torch.cat([e, c], -1), s)
            else:
                s = m.cell(torch.cat([e, feed], -1), s)
                assert torch.allclose(s[0], d.queries[t], atol=1e-5)
                out = feed = torch.tanh(m.W_c(torch.cat([c, s], -1)))
            logits = m.W_s(out)[0]
            p = torch.softmax(logits, -1)
            tok = int(p.argmax())
            assert m.tgt_vocab[tok] == d.tokens[t]
            assert abs(float(p[tok]) - float(d.token_probs[t])) < 1e-5
            pc = torch.softmax(logits / m.temperature, -1)
            assert abs(float(pc[tok]) - float(d.calibrated[t])) < 1e-5
            y = torch.tensor([tok])
        assert abs(d.confidence - float(d.calibrated.prod())) < 1e-9


def test_rows_follow_their_scope(shipped):
    v, model, _ = shipped
    D_ = model.cfg.window
    for text, tag in SAMPLES:
        d = model.translate(text, tag)
        w = d.weights
        T, S = w.shape
        s = torch.arange(S, dtype=w.dtype)
        if v in ("bahdanau", "luong"):
            assert torch.allclose(w.sum(-1), torch.ones(T), atol=1e-5)
        elif v == "hard":
            assert set(w.unique().tolist()) <= {0.0, 1.0} and (w.sum(-1) == 1).all()
            assert torch.equal(w.argmax(-1), d.probs.argmax(-1))
        elif v == "local_m":
            c = torch.clamp(torch.arange(T, dtype=w.dtype), max=S - 1)
            assert torch.equal(d.positions, c)
            assert (w[(s[None] - c[:, None]).abs() > D_] == 0).all()
            assert (w[:, 15:] == 0).all()                    # p_t = t, 11 steps, D = 4: never past 14
        else:  # local_p: softmax in the window times Luong's Gaussian (sigma = D/2)
            p = d.positions
            assert ((p >= 0) & (p <= S - 1)).all()
            outside = (s[None] - p[:, None]).abs() > D_ + 1e-6
            assert (w[outside] == 0).all()
            g = torch.exp(-(s[None] - p[:, None]) ** 2 / (2 * (D_ / 2) ** 2))
            assert torch.allclose(d.gaussian, g, atol=1e-6)
            sm = torch.softmax(d.scores.masked_fill(outside, -1e30), -1)
            assert torch.allclose(w, sm * g, atol=1e-5)


def test_beam_and_constrained_search(shipped):
    v, model, _ = shipped
    for text, tag in SAMPLES[:3]:
        g = model.translate(text, tag)
        b5 = model.translate(text, tag, beam=5)
        # (float32 sums in a different order: the beam may land 1e-6 below greedy's own path)
        assert b5.log_prob >= g.log_prob - 1e-4 or not g.finished
        assert abs(b5.log_prob - float(b5.token_probs.log().sum())) < 1e-4
    for text, tag in [("31 February 2021", "en_GB"), ("2021-13-01", "auto")] + SAMPLES:
        for beam in (1, 3):
            c = model.translate(text, tag, beam=beam, constrained=True)
            assert R.check_output(c.output).ok and c.finished and c.constrained, (v, text, c.output)
            u = model.translate(text, tag, beam=beam)
            if R.check_output(u.output).ok and beam == 1:
                assert c.output == u.output                    # greedy already valid: unchanged
    for bad in (0, 6, 2.5, True):
        with pytest.raises(ValueError, match="beam"):
            model.translate("3. März 2021", beam=bad)
    with pytest.raises(ValueError, match="locale must be one of"):
        model.translate("3. März 2021", "xx_XX")


def test_hard_sampling_is_seeded():
    if "hard" not in SHIPPED:
        pytest.skip("hard model not shipped")
    model, _ = S2S.load("hard")
    a = model.translate("Mittwoch, 3. März 2021", "de_DE", sample_seed=3)
    b = model.translate("Mittwoch, 3. März 2021", "de_DE", sample_seed=3)
    assert torch.equal(a.weights, b.weights) and a.output == b.output
    with pytest.raises(ValueError, match="hard"):
        S2S.load("luong")[0].translate("3. März 2021", sample_seed=1)


@pytest.mark.parametrize("text, msg", [
    ("", "empty"), ("   \n ", "empty"),
    ("3. März 2021 ☃", "never trained on these characters: '☃' \\(U\\+2603\\)"),
    ("3. März 2021" * 5, "at most"),
    (None, "must be a string"),
])
def test_bad_input_raises_clear_value_error(text, msg):
    model, _ = S2S.load(SHIPPED[0])
    with pytest.raises(ValueError, match=msg):
        model.translate(text)


def test_load_rejects_unknown_variant_and_missing_files(tmp_path):
    with pytest.raises(ValueError, match="variant must be one of"):
        S2S.load("transformer")
    with pytest.raises(ValueError, match="no trained model"):
        S2S.from_files(tmp_path / "nothing")


# ------------------------------------------------------------------ replays (issue 24)
def test_replay_ends_with_the_shipped_model(shipped):
    from training.translate import LESSONS
    v, model, card = shipped
    rp = replay.load(S2S.WEIGHTS_DIR / v)
    assert rp is not None and rp.task == "translate" and rp.variant == v
    assert list(rp.steps) == replay.snapshot_steps(card["training"]["steps"])
    assert [x.name for x in rp.lessons] == [l[0] for l in LESSONS]
    for lesson, (name, tag, text, order, target, _) in zip(rp.lessons, LESSONS):
        d = model.translate(text, tag)
        assert lesson.keys == (S2S.tag_label(tag),) + tuple(d.source)
        T = len(d.tokens)
        np.testing.assert_allclose(lesson.maps[-1][:T], d.weights.numpy(), atol=1e-3)
        assert (lesson.maps[-1][T:] == 0).all()
        assert lesson.outputs[-1] == tuple("end" if t == "</s>" else t for t in d.tokens)
        assert not np.allclose(lesson.maps[0], lesson.maps[-1], atol=1e-2)
        assert lesson.truth.shape == (11, len(lesson.keys)) and lesson.target[:10] == tuple(target)
        assert not lesson.truth[[4, 7, 10]].any() and lesson.truth[[0, 1, 2, 3, 5, 6, 8, 9]].any(1).all()
    assert np.isfinite(rp.loss[1:]).all() and rp.loss[-1] < rp.loss[1]
    assert rp.accuracy[-1] > rp.accuracy[0]
    if v in ("bahdanau", "luong"):
        assert replay.alignment(rp.lessons[0].maps[-1], rp.lessons[0].truth).peak >= 0.5
    assert card["training"]["replay_cpu_s"] < 0.05 * card["training"]["cpu_time_s"]


def test_lesson_truth_points_at_the_fields():
    from training.translate import lesson_truth
    truth, _ = lesson_truth("3. März 2021", "dmy", 13)               # ⟨tag⟩ 3 . ␣ m ä r z ␣ 2 0 2 1
    assert [list(np.flatnonzero(r)) for r in truth] == [
        [9], [10], [11], [12], [], [4, 5, 6, 7], [4, 5, 6, 7], [], [1], [1], []]
    truth, _ = lesson_truth("03/04/2021", "mdy", 11)
    assert list(np.flatnonzero(truth[5])) == [1, 2] and list(np.flatnonzero(truth[8])) == [4, 5]


# ------------------------------------------------------------------ training smoke tests
@pytest.mark.parametrize("variant", ["bahdanau", "local_p", "hard"])
def test_training_smoke_loss_decreases_and_is_deterministic(variant, splits):
    from training.translate import train
    tiny = splits.train[:8]
    a = train(variant, steps=40, seed=0, batch=8, examples=tiny, show=False)   # hard: lr 1e-3
    b = train(variant, steps=40, seed=0, batch=8, examples=tiny, show=False)
    assert sum(a.losses[-5:]) / 5 < 0.8 * sum(a.losses[:5]) / 5
    sa, sb = a.model.state_dict(), b.model.state_dict()
    assert sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)
    c = train(variant, steps=3, seed=1, batch=8, examples=tiny, show=False)
    assert not torch.equal(c.model.state_dict()["W_s.weight"], sa["W_s.weight"])


def test_cli_dispatches_lazily(capsys):
    import sys
    from training.__main__ import main
    sys.modules.pop("training.translate", None)
    assert main(["--help"]) == 0 and "training.translate" not in sys.modules
    assert main(["nope"]) == 2
    with pytest.raises(SystemExit) as e:
        main(["translate", "--help"])
    assert e.value.code == 0 and "--variant" in capsys.readouterr().out
