"""Date-translation models (issue 12): data, shipped weights, decoding, training smoke tests."""
from __future__ import annotations

import datetime as dt
import json

import pytest
import torch

import attention
from attention.models import seq2seq as S2S
from training import dates as D

VARIANTS = list(S2S.VARIANTS)
SHIPPED = [v for v in VARIANTS if (S2S.WEIGHTS_DIR / f"{v}.safetensors").is_file()]
# Sources that cover each field order and script (one per kept-format family).
SAMPLES = ["3. März 2021", "March 3, 2021", "2021年3月3日", "Mittwoch, 3. März 2021",
           "03/04/2021", "3 марта 2021 г.", "miércoles, 3 de marzo de 2021", "2021/3/3(水)"]


@pytest.fixture(scope="module")
def splits():
    return D.make_splits(0)


@pytest.fixture(scope="module", params=SHIPPED)
def shipped(request):
    model, card = S2S.load(request.param)
    return request.param, model, card


# ------------------------------------------------------------------ data
def test_splits_are_disjoint_by_date_and_string(splits):
    train_days = {e.date for e in splits.train}
    for part in (splits.val, splits.test):
        days = {e.date for e in part}
        assert not days & train_days
        assert not {e.source for e in part} & {e.source for e in splits.train}
    assert not {e.date for e in splits.val} & {e.date for e in splits.test}
    assert len(splits.test) == D.N_TEST and len(splits.val) == D.N_VAL
    # every day of the range is in exactly one split
    assert len(train_days) + D.N_TEST + D.N_VAL == (D.DATE_MAX - D.DATE_MIN).days + 1


def test_splits_are_fixed_by_seed():
    a, b, c = D.make_splits(0), D.make_splits.__wrapped__(0), D.make_splits.__wrapped__(1)
    assert a.test == b.test and a.train[:100] == b.train[:100]
    assert a.test != c.test


def test_each_source_string_means_one_date(splits):
    seen = {}
    for e in splits.train + splits.val + splits.test:
        assert seen.setdefault(e.source, e.target) == e.target, e.source
        assert e.target == e.date.isoformat()


def test_data_is_real_cldr_with_reordering():
    fmts = D.formats()
    assert len({f.locale for f in fmts}) >= 3
    # the three field orders: ISO order (ja/zh) and two reorderings
    assert {f.order for f in fmts} == {"ymd", "dmy", "mdy"}
    day = dt.date(2021, 3, 3)
    got = {D.render(day, f) for f in fmts}
    for s in ["3. März 2021", "March 3, 2021", "2021年3月3日", "3 mars 2021",
              "03.03.2021", "3 марта 2021 г."]:      # NFKC: U+202F before "г." is a space
        assert s in got
    # the day/month clash is resolved: no slash format writes month first
    assert all(f.order != "mdy" or "/" not in f.pattern for f in fmts)
    assert any(f.locale == "en_US" and "M/d/y" in f.pattern for f, _ in D.dropped_formats())


def test_vocabulary_covers_every_split(splits):
    chars = set(D.source_chars())
    assert len(chars) == len(D.source_chars())
    for e in splits.train[::7] + splits.test:
        assert set(e.source) <= chars
        assert len(e.source) <= D.max_source_len()


def test_recognize_reads_every_test_string_back(splits):
    for e in splits.test[::5]:
        ms = [m for m in D.recognize(e.source) if m.problem is None]
        assert ms and {m.date for m in ms} == {e.date}, e.source


@pytest.mark.parametrize("text, problem", [
    ("31/02/2021", "no day 31"),
    ("Monday, March 3, 2021", "Wednesday"),
    ("March 3, 1850", "outside"),
])
def test_recognize_explains_near_misses(text, problem):
    ms = D.recognize(text)
    assert ms and all(m.problem and problem in m.problem for m in ms)


def test_recognize_rejects_other_formats():
    for s in ["2021-03-03", "3/4/21", "Wed, 3/3/2021", "march 3, 2021", "hello"]:
        assert [m for m in D.recognize(s) if m.problem is None] == []


# ------------------------------------------------------------------ shipped models
def test_every_variant_is_shipped():
    assert SHIPPED == VARIANTS


def test_weights_are_small_and_card_complete(shipped):
    v, model, card = shipped
    assert (S2S.WEIGHTS_DIR / f"{v}.safetensors").stat().st_size <= 2_000_000
    for k in ("seed", "steps", "batch_size", "wall_time_s", "threads", "parameters"):
        assert k in card["training"]
    assert card["training"]["parameters"] == sum(p.numel() for p in model.parameters())
    assert card["data"]["locales"] == list(D.LOCALES)
    assert card["config"]["src_chars"] == D.source_chars()
    assert card["test"]["n"] == D.N_TEST and card["why"]


def test_shipped_model_reaches_card_accuracy(shipped, splits):
    """On the card's fixed check sample (10 test examples per format, seconds to decode)."""
    from training.translate import evaluate, sample
    v, model, card = shipped
    ex = sample(splits.test)
    assert card["test_sample"]["n"] == len(ex) == 10 * len(D.formats())
    got = evaluate(model, ex)
    assert abs(got["exact_match"] - card["test_sample"]["exact_match"]) <= 0.01
    assert abs(got["per_token"] - card["test_sample"]["per_token"]) <= 0.01
    # the sample tells the same story as the whole test split
    assert abs(got["exact_match"] - card["test"]["exact_match"]) <= 0.05
    if v in ("bahdanau", "luong"):
        assert card["test"]["exact_match"] >= 0.99 and got["exact_match"] >= 0.99


def test_local_m_fails_on_reordered_formats_only():
    card = json.loads((S2S.WEIGHTS_DIR / "local_m.json").read_text())
    by = card["test"]["exact_by_order"]
    assert by["ymd"] >= 0.9 and by["dmy"] < 0.5 and by["mdy"] < 0.5


def test_greedy_batch_equals_single_decoding(shipped, splits):
    _, model, _ = shipped
    ex = [e.source for e in splits.test[:30]] + SAMPLES
    assert model.greedy_batch(ex) == [model.translate(s).output for s in ex]


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
    the context as weights @ keys, and the token from that context."""
    v, model, _ = shipped
    m = model
    for text in SAMPLES[:4]:
        d = m.translate(text)
        T, S = d.weights.shape
        assert S == len(d.source) and T == len(d.tokens)
        s = m.h0.unsqueeze(0)                                      # (1, Hd)
        feed = torch.zeros_like(s)
        y = torch.tensor([S2S.BOS])
        for t in range(T):
            r = _recompute(m, d, t)
            assert torch.allclose(r.weights[0, 0], d.weights[t], atol=1e-6)
            assert torch.allclose(r.scores[0, 0], d.scores[t], atol=1e-5)
            e = m.tgt_emb(y)
            if m.cfg.spec.get("flow") == "bahdanau":
                assert torch.allclose(s[0], d.queries[t], atol=1e-6)
                c = d.weights[t] @ d.keys                           # (dk,)
                s = m.cell(torch.cat([e, c[None]], -1), s)
            else:
                s = m.cell(torch.cat([e, feed], -1), s)
                assert torch.allclose(s[0], d.queries[t], atol=1e-5)
                c = d.weights[t] @ d.keys
            feed = torch.tanh(m.W_c(torch.cat([c[None], s], -1)))
            p = torch.softmax(m.W_s(feed), -1)[0]
            tok = int(p.argmax())
            assert m.tgt_vocab[tok] == d.tokens[t]
            assert abs(float(p[tok]) - float(d.token_probs[t])) < 1e-5
            y = torch.tensor([tok])


def test_rows_follow_their_scope(shipped):
    v, model, _ = shipped
    D_ = model.cfg.window
    for text in SAMPLES:
        d = model.translate(text)
        w = d.weights
        T, S = w.shape
        s = torch.arange(S, dtype=w.dtype)
        if v in ("bahdanau", "luong"):
            assert torch.allclose(w.sum(-1), torch.ones(T), atol=1e-5)
        elif v == "hard":
            assert set(w.unique().tolist()) <= {0.0, 1.0} and (w.sum(-1) == 1).all()
            assert torch.equal(w.argmax(-1), d.probs.argmax(-1))
            assert torch.allclose(d.probs.sum(-1), torch.ones(T), atol=1e-5)
        elif v == "local_m":
            c = torch.clamp(torch.arange(T, dtype=w.dtype), max=S - 1)
            assert torch.equal(d.positions, c)
            outside = (s[None] - c[:, None]).abs() > D_
            assert (w[outside] == 0).all()
            assert torch.allclose(w.sum(-1), torch.ones(T), atol=1e-5)
        else:  # local_p: softmax in the window times Luong's Gaussian (sigma = D/2)
            p = d.positions
            assert ((p >= 0) & (p <= S - 1)).all()
            outside = (s[None] - p[:, None]).abs() > D_ + 1e-6
            assert (w[outside] == 0).all()
            g = torch.exp(-(s[None] - p[:, None]) ** 2 / (2 * (D_ / 2) ** 2))
            assert torch.allclose(d.gaussian, g, atol=1e-6)
            sm = torch.softmax(d.scores.masked_fill(outside, -1e30), -1)
            assert torch.allclose(w, sm * g, atol=1e-5)
            assert (w.sum(-1) <= 1 + 1e-6).all()


def test_beam_search(shipped):
    v, model, _ = shipped
    for text in SAMPLES[:3]:
        g = model.translate(text)
        b1 = model.translate(text, beam=1)
        assert b1.output == g.output and torch.equal(b1.weights, g.weights)
        b5 = model.translate(text, beam=5)
        assert b5.log_prob >= g.log_prob - 1e-6 or not g.finished
        assert b5.weights.shape == (len(b5.tokens), len(b5.source))
        assert abs(b5.log_prob - float(b5.token_probs.log().sum())) < 1e-4
    for bad in (0, 6, 2.5, True):
        with pytest.raises(ValueError, match="beam"):
            model.translate("3. März 2021", beam=bad)


def test_hard_sampling_is_seeded():
    if "hard" not in SHIPPED:
        pytest.skip("hard model not shipped")
    model, _ = S2S.load("hard")
    a = model.translate("Mittwoch, 3. März 2021", sample_seed=3)
    b = model.translate("Mittwoch, 3. März 2021", sample_seed=3)
    assert torch.equal(a.weights, b.weights) and a.output == b.output
    assert set(a.weights.unique().tolist()) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="hard"):
        S2S.load("luong")[0].translate("3. März 2021", sample_seed=1)


@pytest.mark.parametrize("text, msg", [
    ("", "empty"), ("   \n ", "empty"),
    ("3. März 2021 ☃", "never trained on these characters: '☃'"),
    ("3. März 2021" * 4, "at most"),
    (None, "must be a string"),
])
def test_bad_input_raises_clear_value_error(text, msg):
    model, _ = S2S.load(SHIPPED[0]) if SHIPPED else (S2S.Seq2Seq(S2S.Config("luong", D.source_chars(), max_source_len=35)), None)
    with pytest.raises(ValueError, match=msg):
        model.translate(text)


def test_load_rejects_unknown_variant_and_missing_files(tmp_path):
    with pytest.raises(ValueError, match="variant must be one of"):
        S2S.load("transformer")
    with pytest.raises(ValueError, match="no trained model"):
        S2S.from_files(tmp_path / "nothing")


# ------------------------------------------------------------------ training smoke tests
@pytest.mark.parametrize("variant", ["bahdanau", "local_p", "hard"])
def test_training_smoke_loss_decreases_and_is_deterministic(variant, splits):
    from training.translate import train
    tiny = splits.train[:8]
    a = train(variant, steps=25, seed=0, batch=8, examples=tiny, show=False)
    b = train(variant, steps=25, seed=0, batch=8, examples=tiny, show=False)
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
