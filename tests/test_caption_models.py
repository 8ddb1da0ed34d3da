"""The digit-string captioners (Show, Attend and Tell): data, shipped models, maps, training.

References: the JSON cards (accuracy on the independent evaluation sets of
``tests/digit_eval.py``, written by ``benchmarks/digits_eval.py``), a step-by-step
recomputation through ``attention.attend`` with the model's own parameters (maps, gate,
calibrated probabilities), hand-built window / Gaussian formulas (local), the replays, and
constructed images (preprocessing, bad input).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from attention import attend
from attention.models import digits as DR
from attention.models import replay as RP
from attention.models.captioner import (END, ORDERS, START, VARIANTS, Captioner, CaptionConfig, card_path,
                                        load, weights_dir)
from attention.models.captioner import test_images as shipped_test_images  # not a test
from tests import caption_eval as CE
from tests import digit_eval as E
from training import digits as D

needs_mnist = pytest.mark.skipif(not E.mnist_available(), reason=E.MNIST_SKIP_REASON)


class _Loaded(dict):
    """variant (left to right) or (variant, order) -> (model, card), loaded on first use."""
    def __missing__(self, key):
        variant, order = (key, "left_to_right") if isinstance(key, str) else key
        self[key] = load(variant, order=order)
        return self[key]


@pytest.fixture(scope="module")
def models():
    return _Loaded()


@pytest.fixture(scope="module")
def sample():
    """The shipped test images (model inputs), 3..6 digits."""
    imgs, truths = shipped_test_images()
    return torch.from_numpy(np.array(imgs[:48]))[:, None], truths[:48]


# ------------------------------------------------------------------ data
@needs_mnist
def test_training_reads_only_the_first_mnist_writer_group_and_validation_is_apart():
    """Writer-disjoint: training's MNIST is test images 0-4999 (NIST SD-3) byte for byte; the
    evaluation set's writers (5000-9999, SD-1) never appear; validation images (every 10th) never
    appear in training strings and vice versa."""
    imgs, labels = D.mnist_train_group()
    all_imgs, all_labels = E.load_mnist()
    assert imgs.shape == (5000, 28, 28) and list(D.MNIST_TRAIN_GROUP) == list(range(5000))
    assert np.array_equal(imgs, all_imgs[:5000]) and np.array_equal(labels, all_labels[:5000])
    tr = D.pool(30, 3, "train", D.Recipe(source=(("mnist", 1.0),)), cache=None, progress=False)
    va = D.pool(30, 3, "val", D.Recipe(source=(("mnist", 1.0),)), cache=None, progress=False)
    t, v = tr["mnist"][tr["mnist"] >= 0], va["mnist"][va["mnist"] >= 0]
    assert len(t) > 60 and len(v) > 60
    assert (t < 5000).all() and (v < 5000).all()                       # never the held-out group
    assert (t % 10 != 0).all() and (v % 10 == 0).all()                 # train / validation apart
    # the digit under each recorded index is the digit in the caption
    for pool in (tr, va):
        m = pool["mnist"] >= 0
        assert np.array_equal(labels[pool["mnist"][m]], pool["digits"][m])
    # the evaluation set draws from the other group only
    _, _, idx = E.mnist_strings(1, seed=1, half="second", return_indices=True)[0]
    assert min(idx) >= 5000


def test_missing_mnist_says_where_to_put_it_and_fails(tmp_path, monkeypatch, capsys):
    from training import caption as C
    monkeypatch.setattr(D, "MNIST_DIR", tmp_path / "nowhere")
    D.mnist_train_group.cache_clear()
    try:
        assert C.main(["--variant", "soft", "--no-save"]) == 1
    finally:
        D.mnist_train_group.cache_clear()
    err = capsys.readouterr().err
    assert str(tmp_path / "nowhere") in err and "t10k-images-idx3-ubyte.gz" in err
    assert "CC BY-SA 3.0" in err and "../shared/data/mnist" in err


def test_every_training_string_is_what_the_page_makes_of_its_picture():
    """Preprocessing is part of the model: the training input is preprocess(picture), for a
    canvas, a photo and a scan; the digit spans are in order and on the model input."""
    for k, surface in enumerate(("canvas", "photo", "scan")):
        ex = D.example(np.random.default_rng([77, k]), surface=surface, source="pen", keep_raw=True)
        assert ex is not None
        p = DR.preprocess(ex.raw)
        assert DR.check_input(p) is None
        assert np.array_equal(p.image, ex.image)
        assert ex.image.shape == (DR.IMG_H, DR.IMG_W)
        mid = ex.spans.mean(1)
        assert np.all(np.diff(mid) > 0), ex.spans                       # left to right
        assert mid.min() > -2 and mid.max() < DR.IMG_W + 2
    c, _, _ = D.render_canvas("2026", np.random.default_rng(0))
    assert c.shape == (150, 440, 4) and c.dtype == np.uint8 and (c[..., 3] == 255).all()


def test_pools_are_deterministic_and_batches_follow_the_caption_order():
    a = D.pool(12, 5, "val", D.Recipe(source=(("pen", 1.0),)), cache=None, progress=False)
    b = D.pool(12, 5, "val", D.Recipe(source=(("pen", 1.0),)), cache=None, progress=False)
    for k in ("images", "digits", "spans", "lengths"):
        assert np.array_equal(a[k], b[k]), k
    x1, d1, l1 = D.batch(a, np.arange(12))
    x2, d2, l2 = D.batch(a, np.arange(12), "largest_first")
    assert torch.equal(x1, x2) and torch.equal(l1, l2)
    assert x1.shape == (12, 1, DR.IMG_H, DR.IMG_W) and float(x1.max()) == pytest.approx(1.0)
    for p, q, n in zip(d1.tolist(), d2.tolist(), l1.tolist()):
        assert q[:n] == sorted(p[:n], reverse=True) and q[n:] == p[n:] == [-1] * (len(p) - n)
    with pytest.raises(ValueError, match="order"):
        D.in_order(d1, "smallest_first")


def test_a_larger_pool_builds_only_the_strings_after_a_cached_smaller_one(tmp_path, monkeypatch):
    """String i is drawn from default_rng([seed, i]) whatever the pool's size, so a cached pool of
    8 is the first 8 strings of a pool of 12: only 4 are built, and the result equals a pool of
    12 built from nothing (a pool of another seed or recipe is not reused)."""
    r = D.Recipe(source=(("pen", 1.0),))
    whole = D.pool(12, 5, "val", r, cache=None, progress=False)
    D.pool(8, 5, "val", r, cache=tmp_path, progress=False)
    D.pool(10, 6, "val", r, cache=tmp_path, progress=False)                   # another seed
    D.pool(10, 5, "val", D.Recipe(source=(("pen", 1.0),), pen_px=(8.0, 20.0)), cache=tmp_path, progress=False)
    built, real = [], D.build_pool
    monkeypatch.setattr(D, "build_pool", lambda n, seed, split, r, start=0, progress=None:
                        built.append((n, start)) or real(n, seed, split, r, start, progress))
    grown = D.pool(12, 5, "val", r, cache=tmp_path, progress=False)
    assert built == [(4, 8)]
    for k in D.POOL_ARRAYS:
        assert np.array_equal(grown[k], whole[k]), k
    assert int(grown["refused"]) == int(whole["refused"])
    assert (tmp_path / D._pool_key(12, 5, "val", r)).is_file()


def test_pen_font_has_the_styles_the_issue_asks_for():
    from training import pen
    assert pen.STYLES["4"][0] >= 2 and pen.STYLES["7"][0] >= 2 and pen.STYLES["1"][0] >= 2
    assert pen.STYLES["9"][0] >= 2
    rng = np.random.default_rng(0)
    seven = [len(pen.digit_strokes("7", rng, style=s)) for s in range(3)]
    assert seven[0] == 1 and seven[1] == 2                           # without and with a bar
    one = [pen.digit_strokes("1", rng, style=s) for s in range(2)]
    assert len(one[0][0]) < len(one[1][0])                           # the flag adds a segment


# ------------------------------------------------------------------ shipped models
@pytest.fixture(scope="module")
def eval_inputs():
    """The independent evaluation sets, preprocessed once (set -> (truths, prepared inputs))."""
    return {s: ([t for t, _ in CE.eval_set(s)], CE.prepare([img for _, img in CE.eval_set(s)]))
            for s in CE.available_sets()}


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_shipped_model_reaches_its_card_accuracy_on_each_evaluation_set(models, eval_inputs, variant, order):
    model, card = models[variant, order]
    wpath, _ = card_path(variant, weights_dir(order))
    assert wpath.stat().st_size <= 2 * 1024 * 1024
    assert card["doubly_stochastic_regularizer"] is False
    assert card.get("order", "left_to_right") == order
    ev = card["eval"]["results"]
    for s, (truths, inputs) in eval_inputs.items():
        got = CE.score(truths, CE.read_all(model, None, inputs=inputs), order)
        assert abs(got["exact"] - ev[s]["exact"]) <= 0.01, (s, got["exact"], ev[s]["exact"])
        assert abs(got["per_digit"] - ev[s]["per_digit"]) <= 0.01, s
        if got["exact_4_digits"] is not None:
            assert abs(got["exact_4_digits"] - ev[s]["exact_4_digits"]) <= 0.01, s
    assert set(ev) == {"mnist", "strokes", "photos"}                 # the card holds every set


#: Issue 22's targets: exact match on 4-digit strings of every evaluation set (left to right).
TARGETS = {"soft": 0.95, "hard": 0.90, "local_p_2d": 0.90}


@pytest.mark.parametrize("variant", VARIANTS)
def test_issue_targets_on_four_digit_strings(models, variant):
    """The card's numbers against the issue's targets. A model below its target is an expected
    failure that names the sets and numbers (the README says what was reached), so the gap stays
    visible in every test run instead of being hidden by a lowered bar.  The larger photo draw
    (``eval.more_photos``, 553 four-digit strings against the photo set's 115) counts too: a
    target met only within the small set's noise is not met."""
    _, card = models[variant, "left_to_right"]
    ev = dict(card["eval"]["results"])
    if "more_photos" in card["eval"]:
        ev["more_photos"] = card["eval"]["more_photos"]["results"]
    need = TARGETS[variant]
    below = {s: round(ev[s]["exact_4_digits"], 3) for s in ev if ev[s]["exact_4_digits"] < need - 1e-9}
    if below:
        pytest.xfail(f"{variant}: below the issue's target of {need:.0%} on 4-digit strings: {below}")


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_map_points_at_the_digit_being_read(models, variant):
    """Teaching quality: the page says "each emitted digit comes with the attention map it was
    read with", so the map must show where the digit is. On 200 validation strings of 4 pen-stroke
    digits, for the strings read right, the cell with the largest weight lies in the columns of the
    digit being emitted in at least 85% of the strings at every step (a model that reads a digit
    from its position embedding and decoder state while the map points elsewhere fails: a
    6,000-step local 2-D model did, 0% at the first digit)."""
    from features.digits.compute import POINTS_BAR                  # the page's bar (0.85)
    model, _ = models[variant, "left_to_right"]
    got = CE.points_at_digit(model)
    assert got["read"] >= 150, got
    assert (got["argmax"] >= POINTS_BAR).all(), \
        f"{variant}: arg-max cell on the digit read, per step: {got['argmax'].round(3)}"


def _recompute(model: Captioner, images: torch.Tensor, dec):
    """Recompute greedy decoding step by step with ``attend`` and the model's parameters,
    feeding the decoded tokens; return the weights ``(B, T, N)``, tokens ``(B, T)``, the gate
    ``(B, T)`` (or None) and the calibrated probabilities ``(B, T, 11)``."""
    cfg = model.cfg
    with torch.no_grad():
        a = model.cnn(images).flatten(2).transpose(1, 2) + model.pos      # (B, N, D) + position
        h = torch.tanh(model.init_h(a.mean(1)))
        prev = torch.full((images.shape[0],), START, dtype=torch.long)
        ws, toks, betas, probs = [], [], [], []
        for t in range(dec.tokens.shape[1]):
            kw = dict(score="additive", additive=(model.W1, model.W2, model.v))
            if cfg.variant == "soft":
                r = attend(h[:, None], a, a, **kw)
            elif cfg.variant == "hard":
                r = attend(h[:, None], a, a, normalization="hard", **kw)
            else:
                gh, gw = cfg.grid
                p = torch.tensor([gh - 1, gw - 1.0]) * torch.sigmoid(model.v_p(torch.tanh(model.W_p(h))))
                r = attend(h[:, None], a, a, scope="local_p", grid=cfg.grid, window=cfg.window,
                           positions=p[:, None], **kw)
            z = r.output[:, 0]
            if cfg.gate:
                beta = torch.sigmoid(model.f_beta(h))                       # (B, 1)
                z = beta * z
                betas.append(beta[:, 0])
            e = model.emb(prev)
            h = model.gru(torch.cat([e, z], -1), h)
            logits = model.L_o(torch.tanh(model.L_h(h) + model.L_z(z) + e))
            probs.append(torch.softmax(logits / model.temperature, -1))
            tok = logits.argmax(-1)
            ws.append(r.weights[:, 0])
            toks.append(tok)
            prev = tok
    return (torch.stack(ws, 1), torch.stack(toks, 1), torch.stack(betas, 1) if betas else None,
            torch.stack(probs, 1))


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_maps_returned_are_the_weights_used_to_decode(models, sample, variant, order):
    model, card = models[variant, order]
    x = sample[0][:16]
    dec = model.decode(x)
    w, toks, beta, probs = _recompute(model, x, dec)
    assert torch.allclose(dec.weights, w, atol=1e-6)
    alive = dec.tokens >= 0
    assert torch.equal(dec.tokens[alive], toks[alive])
    assert torch.allclose(dec.probs, probs, atol=1e-6)                   # calibrated: softmax(logits / T)
    # the card stores T rounded to 4 decimals
    assert float(model.temperature) == pytest.approx(card["calibration"]["temperature"], abs=5e-5)
    assert (beta is None) == (dec.beta is None) == (not VARIANTS[variant].get("gate"))
    if beta is not None:
        assert torch.allclose(dec.beta, beta, atol=1e-6)
        assert ((dec.beta > 0) & (dec.beta < 1)).all()
    for b in range(len(x)):
        n = int(dec.lengths[b])
        assert dec.caption(b) == " ".join(str(int(t)) for t in toks[b, :n])
        if dec.finished[b]:
            assert int(toks[b, n]) == END


def test_soft_rows_sum_to_one(models, sample):
    dec = models["soft"][0].decode(sample[0])
    assert torch.allclose(dec.weights.sum(-1), torch.ones(dec.weights.shape[:2]), atol=1e-5)
    assert (dec.weights >= 0).all()


def test_hard_rows_are_one_hot_at_the_argmax_of_alpha(models, sample):
    dec = models["hard"][0].decode(sample[0])
    w = dec.weights
    assert set(torch.unique(w).tolist()) <= {0.0, 1.0}
    assert torch.equal(w.sum(-1), torch.ones(w.shape[:2]))
    assert torch.equal(dec.cells, dec.attn_probs.argmax(-1))
    assert torch.allclose(dec.attn_probs.sum(-1), torch.ones(w.shape[:2]), atol=1e-5)
    s1 = models["hard"][0].decode(sample[0], sample=True, seed=3)
    s2 = models["hard"][0].decode(sample[0], sample=True, seed=3)
    assert torch.equal(s1.weights, s2.weights)
    assert set(torch.unique(s1.weights).tolist()) <= {0.0, 1.0}


def test_local_rows_are_zero_outside_the_window_and_match_the_formula(models, sample):
    model = models["local_p_2d"][0]
    dec = model.decode(sample[0])
    gh, gw = model.cfg.grid
    Dw = model.cfg.window
    cells = torch.stack(torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing="ij"), -1)
    cells = cells.reshape(-1, 2).float()                              # (N, 2) (row, col)
    c = dec.centres                                                   # (B, T, 2)
    off = (cells[None, None] - c[:, :, None]).abs()                   # (B, T, N, 2)
    inside = (off <= Dw + 1e-6).all(-1)                               # Chebyshev window
    assert (dec.weights[~inside] == 0).all()
    assert (dec.weights.sum(-1) <= 1 + 1e-5).all()
    e = dec.scores.masked_fill(~inside, -1e30)
    soft = torch.softmax(e, -1) * inside
    gauss = torch.exp(-(off ** 2).sum(-1) / (2 * (Dw / 2) ** 2))
    assert torch.allclose(dec.weights, soft * gauss, atol=1e-5)


# ------------------------------------------------------------------ replays
@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_replay_ends_with_the_shipped_models_maps(models, variant, order):
    from training import caption as C
    r = RP.load(weights_dir(order) / variant)
    assert r is not None and r.task == "caption" and r.variant == variant
    assert list(r.steps) == RP.snapshot_steps(int(r.steps[-1]))
    model, card = models[variant, order]
    assert int(r.steps[-1]) == card["training"]["steps"]
    # the inputs the replay decoded: the lesson strings through the preprocessing of its training
    # run (today's for a model trained on today's pictures; see the README for the others)
    x = torch.from_numpy(np.stack([l.image for l in r.lessons]))[:, None]
    if not card["data"].get("pictures"):                     # the card's flag, as the page reads it
        assert torch.equal(x[:, 0], torch.from_numpy(C.lesson_images().astype(np.float32)))
    model.temperature.fill_(1.0)                                       # the replay is recorded before calibration
    try:
        dec = model.decode(x)
    finally:
        model.temperature.fill_(card["calibration"]["temperature"])
    assert [l.name for l in r.lessons] == ["repeated", "long", "touching"]
    for b, lesson in enumerate(r.lessons):
        n = min(model.cfg.max_steps, int(dec.lengths[b]) + int(bool(dec.finished[b])))
        assert lesson.grid == tuple(model.cfg.grid)
        assert np.allclose(lesson.maps[-1][:n], dec.weights[b, :n].numpy(), atol=1e-3)
        assert not np.allclose(lesson.maps[0], lesson.maps[-1], atol=1e-3)
        assert tuple(lesson.outputs[-1]) == tuple(dec.caption(b).split())
        assert lesson.truth.shape == (len(lesson.target), model.cfg.grid[0] * model.cfg.grid[1])
        assert lesson.truth.any(1).all()
    assert card["training"]["replay_cpu_seconds"] <= 0.05 * card["training"]["cpu_seconds"]


def test_lesson_truth_marks_the_columns_of_the_emitted_digit():
    from training import caption as C
    digits, spans = np.array([7, 7, 1, 7]), np.array([[2, 20], [24, 40], [44, 52], [60, 90]], float)
    target, truth = C.lesson_truth(digits, spans, "left_to_right")
    assert target == ("7", "7", "1", "7")
    t = truth.reshape(4, 4, 12)
    assert (t[:, 0] == t[:, 3]).all()                                  # every row of a column
    assert np.flatnonzero(t[2, 0]).tolist() == [5, 6]                  # columns 40-56 hold 44-52
    target, truth = C.lesson_truth(digits, spans, "largest_first")
    assert target == ("7", "7", "7", "1")
    assert (truth[0] == truth[1]).all() and truth[0].reshape(4, 12)[0, 0]   # any 7
    assert np.flatnonzero(truth[3].reshape(4, 12)[0]).tolist() == [5, 6]


# ------------------------------------------------------------------ training
def test_reward_to_go_sums_the_rewards_of_this_and_later_steps():
    from training.caption import reward_to_go
    r = torch.tensor([[1.0, 2.0, 3.0, 0.0], [-1.0, 0.0, -2.0, 0.0]])
    assert torch.equal(reward_to_go(r), torch.tensor([[6.0, 5.0, 3.0, 0.0], [-3.0, -2.0, -2.0, 0.0]]))


@pytest.fixture(scope="module")
def tiny_pools():
    r = D.Recipe(source=(("pen", 1.0),), surface=(("canvas", 1.0),))
    return (D.pool(48, 21, "train", r, cache=None, progress=False),
            D.pool(24, 22, "val", r, cache=None, progress=False))


def _fixed_loss(model, batch):
    from training.caption import TrainConfig, loss_on
    with torch.no_grad():
        model.eval()
        loss, _ = loss_on(model, *batch, 0, TrainConfig(), None)
    return float(loss)


def test_training_smoke_loss_decreases_and_is_deterministic(tiny_pools, tmp_path):
    from training.caption import TrainConfig, train
    tc = TrainConfig(steps=25, batch=16, warmup=5, seed=3, replay_val=8)
    torch.manual_seed(3)
    init = Captioner(CaptionConfig(variant="soft", gate=True))
    batch = D.batch(tiny_pools[1], np.arange(24))
    m1, card = train("soft", tc, progress=False, save=True, out_dir=tmp_path, pools=tiny_pools)
    m2, _ = train("soft", tc, progress=False, do_eval=False, save=False, pools=tiny_pools)
    for (k, a), (_, b) in zip(m1.state_dict().items(), m2.state_dict().items()):
        if k != "temperature":                                         # m2 was not calibrated
            assert torch.equal(a, b), k
    assert _fixed_loss(m2, batch) < _fixed_loss(init, batch) - 0.1
    assert card["training"]["steps"] == 25 and card["doubly_stochastic_regularizer"] is False
    assert card["gate_beta"] is True and "calibration" in card and card["calibration"]["temperature"] > 0
    rep = RP.load(tmp_path / "soft")
    assert list(rep.steps) == RP.snapshot_steps(25) and len(rep.lessons) == 3


def test_hard_training_smoke_reinforce_updates_the_attention(tiny_pools):
    from training.caption import TrainConfig, train
    tc = TrainConfig(steps=6, batch=8, warmup=2, seed=4)
    torch.manual_seed(4)
    init = Captioner(CaptionConfig(variant="hard"))
    m1, _ = train("hard", tc, progress=False, do_eval=False, save=False, pools=tiny_pools, record=False)
    m2, _ = train("hard", tc, progress=False, do_eval=False, save=False, pools=tiny_pools, record=False)
    assert torch.equal(m1.v, m2.v)                       # deterministic, sampling included
    assert not torch.allclose(m1.v, init.v)              # v gets no gradient from the one-hot context: only REINFORCE + entropy


def test_weight_average_is_the_exponential_average_and_refits_batch_norm(tiny_pools):
    from training.caption import WeightAverage
    torch.manual_seed(0)
    model = Captioner(CaptionConfig(variant="soft", gate=True))
    avg = WeightAverage(model, 0.5)
    seen = []
    for k in range(3):                                   # three "optimizer steps"
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p))
        seen.append([p.detach().clone() for p in model.parameters()])
        avg.update()
    # s = p1, then 0.5 s + 0.5 p2, then 0.5 s + 0.5 p3  ->  0.25 p1 + 0.25 p2 + 0.5 p3
    bn = next(m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d))
    means = []
    hook = bn.register_forward_hook(lambda m, i, o: means.append(i[0].mean((0, 2, 3))))
    avg.apply(tiny_pools[0], seed=5, batch=8, batches=4)
    hook.remove()
    for p, a, b, c in zip(model.parameters(), *seen):
        assert torch.allclose(p, 0.25 * a + 0.25 * b + 0.5 * c, atol=1e-6)
    # BatchNorm: the plain mean of the 4 batches' means, computed with the averaged weights
    assert len(means) == 4 and int(bn.num_batches_tracked) == 4
    assert torch.allclose(bn.running_mean, torch.stack(means).mean(0), atol=1e-5)
    assert bn.momentum == 0.1 and not model.training
    with pytest.raises(ValueError, match="ema"):
        WeightAverage(model, 1.0)


def test_training_with_a_weight_average_ships_it_and_replays_it_last(tiny_pools, tmp_path):
    from training import caption as C
    tc = C.TrainConfig(steps=10, batch=8, warmup=2, seed=2, replay_val=8, ema=0.8)
    model, card = C.train("soft", tc, progress=False, out_dir=tmp_path, pools=tiny_pools)
    last, _ = C.train("soft", C.TrainConfig(**{**tc.__dict__, "ema": None}), progress=False, do_eval=False,
                      save=False, pools=tiny_pools, record=False)
    assert card["training"]["ema"] == 0.8 and "validation_last_step_weights" in card
    assert not torch.allclose(model.v, last.v)           # the average, not the last step, ships
    rep = RP.load(tmp_path / "soft")
    assert "moving average of the weights (decay 0.8, about the last 5 steps)" in rep.meta["last_frame"]
    x = torch.from_numpy(C.lesson_images().astype(np.float32))[:, None]
    assert torch.equal(torch.from_numpy(np.stack([l.image for l in rep.lessons]))[:, None], x)
    model.temperature.fill_(1.0)
    dec, other = model.decode(x), last.decode(x)
    for b, lesson in enumerate(rep.lessons):
        n = min(model.cfg.max_steps, int(dec.lengths[b]) + int(bool(dec.finished[b])))
        assert np.abs(lesson.maps[-1][:n] - dec.weights[b, :n].numpy()).max() < 1e-3
    assert max(np.abs(lesson.maps[-1][:1] - other.weights[b, :1].numpy()).max()   # not the last step's
               for b, lesson in enumerate(rep.lessons)) > 1e-2


# ------------------------------------------------------------------ user images
def _canvas(k: int = 0):
    return E.stroke_set(k + 1, seed=7, lengths=(4,))[k]


def test_preprocess_stages_inversion_and_aspect():
    text, img, _ = _canvas()
    p = DR.preprocess(img)
    assert list(p.stages) == ["grayscale", "ink", "crop", "model input"]
    assert p.image.shape == (DR.IMG_H, DR.IMG_W) and p.image.max() == pytest.approx(1.0)
    assert p.info["inverted"] is True and DR.check_input(p) is None
    gray = DR.to_gray(img)
    q = DR.preprocess(1.0 - gray)                      # white ink on black, as floats
    assert q.info["inverted"] is False and np.allclose(p.image, q.image, atol=1e-5)
    rgba = np.zeros(img.shape, np.uint8)
    rgba[..., 3] = np.round(255 * (1 - gray)).astype(np.uint8)       # black strokes, transparent
    assert np.allclose(p.image, DR.preprocess(rgba).image, atol=2e-2)
    # no squeezing: the model input's ink has the crop's aspect ratio, and is 24 px tall (or
    # fills the width)
    ys, xs = np.nonzero(p.image > 0.2)
    ih, iw = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    _, _, ch, cw = p.info["bbox"]
    assert iw / ih == pytest.approx(cw / ch, rel=0.2)
    assert ih >= DR.INK_HEIGHT - 3 or iw >= DR.IMG_W - 2 * DR.MARGIN - 3
    # the map from picture x to model columns
    s, ox, _ = p.info["to_model"]
    x0 = p.info["bbox"][1]
    assert DR.to_model_x(p, x0) == pytest.approx((DR.IMG_W - round(cw * s)) // 2, abs=1.0)


def test_ruled_lines_and_a_table_edge_are_removed():
    """A drawing pasted on ruled paper with a dark table edge gives about the same model input."""
    text, img, _ = _canvas(1)
    gray = DR.to_gray(img)                                            # (150, 440), ink dark
    H, W = 300, 640
    page = np.full((H, W, 3), 245, np.float32)
    for y in range(12, H, 24):
        page[y:y + 2] = (150, 185, 225)                               # pale blue rules
    page[:, 60:62] = (225, 120, 130)                                  # a margin line
    page[:, W - 40:] = (40, 35, 30)                                   # the table
    ink = (1 - gray)[..., None]
    page[80:230, 120:560] = page[80:230, 120:560] * (1 - ink) + 20 * ink
    p, q = DR.preprocess(img), DR.preprocess(page.astype(np.uint8))
    assert DR.check_input(q) is None
    assert q.info["table"] > 0 and q.info["rules"] > 0
    assert np.corrcoef(p.image.ravel(), q.image.ravel())[0, 1] > 0.8


def test_a_fading_table_edge_and_a_far_speck_are_removed():
    """The light falls off across the sheet, so the table above it is much darker than the paper
    on one side (by 0.45) and only a little on the other (by 0.25); a short piece of a rule lies
    level with the digits, far to their left.  Before: the faint end of the table stayed as ink
    and the picture was refused, and the speck was read as part of the line."""
    text, img, _ = _canvas(1)
    gray = DR.to_gray(img)                                            # (150, 440), ink dark
    H, W = 320, 640
    light = np.linspace(235, 150, W)[None, :, None]                   # paper 235 -> 150 (grey)
    page = np.ones((H, W, 3), np.float32) * light
    page[:30] = light - np.linspace(120, 60, W)[None, :, None]         # the table, fading
    ink = (1 - gray)[..., None]
    page[100:250, 120:560] = page[100:250, 120:560] * (1 - ink) + 20 * ink
    page[176:179, 8:20] = 40                                          # a 3 x 12 px speck
    q = DR.preprocess(page.astype(np.uint8))
    assert DR.check_input(q) is None
    assert q.info["table"] > 0.08                                     # the whole band: 30 / 320 rows
    y0, x0, ch, cw = q.info["bbox"]
    assert x0 > 100 and y0 >= 100                                     # the speck and the table left out
    p = DR.preprocess(img)
    assert np.corrcoef(p.image.ravel(), q.image.ravel())[0, 1] > 0.8


def test_faint_pencil_on_a_sheet_whose_light_falls_off_at_the_bottom_edge():
    """Faint pencil (50 grey levels under the paper) in the middle of a sheet whose light falls off
    over its bottom quarter (235 -> 150), as in photo 172 of the photo set.  Before: the paper's
    estimate (a grey opening) stopped following the fall-off within half its size of the border,
    the bottom rows were left as ink stronger than the pencil, the pencil fell under KEEP and the
    picture was refused; the paper is now continued past the border by odd reflection."""
    text, img, _ = _canvas(1)
    gray = DR.to_gray(img)                                            # (150, 440), ink dark
    H, W = 480, 640
    rows = np.clip((np.arange(H) - 360) / (H - 1 - 360), 0, 1) ** 2
    page = np.ones((H, W, 3), np.float32) * (235 - 85 * rows)[:, None, None]
    ink = (1 - gray)[..., None]
    page[165:315, 100:540] -= 50 * ink
    q = DR.preprocess(page.astype(np.uint8))
    assert DR.check_input(q) is None
    y0, x0, ch, cw = q.info["bbox"]
    assert 165 <= y0 and y0 + ch <= 315 and 100 <= x0 and x0 + cw <= 540   # the digits, not the edge
    assert q.stages["ink"][360:].max() == 0                           # nothing left of the fall-off
    assert np.corrcoef(DR.preprocess(img).image.ravel(), q.image.ravel())[0, 1] > 0.8
    # the paper's estimate itself follows a ramp to the border (odd reflection continues it)
    ramp = np.add.outer(np.linspace(0, 0.5, 200), np.zeros(160)).astype(np.float32)
    assert np.abs(DR._background(ramp, 61) - ramp).max() < 0.02


def test_a_few_specks_together_and_a_speck_on_the_edge_are_left_out_of_the_line():
    """Pieces of a rule often survive as two or three specks next to each other (photos 77 and
    164 of the photo set), and a speck of the page edge can sit on the picture's border, closer
    to the first digit than the line is tall (photo 51).  Before: only one lone speck at a time,
    further away than the line is tall, was dropped, so these stayed in the line, the crop reached
    the border and the pictures counted 7 marks (refused)."""
    text, img, _ = _canvas(1)
    ink = (1 - DR.to_gray(img))[..., None]                            # (150, 440, 1)

    def page(left: int) -> np.ndarray:
        out = np.full((300, 760, 3), 240, np.float32)
        out[80:230, left:left + 440] = out[80:230, left:left + 440] * (1 - ink) + 20 * ink
        return out

    specks = page(170)
    for x in (6, 22, 38):                                             # three pieces of a rule, far left
        specks[150:156, x:x + 12] = 30
    specks[160:168, 706:716] = 30                                     # two specks, far right
    specks[170:178, 730:740] = 30
    edge = page(40)
    edge[150:160, 0:10] = 30                                          # a speck on the left border
    for pic, left in ((specks, 170), (edge, 40)):
        clean = DR.preprocess(page(left).astype(np.uint8))
        q = DR.preprocess(pic.astype(np.uint8))
        assert DR.check_input(q) is None
        assert q.info["bbox"] == clean.info["bbox"]                   # the same line, specks left out
        assert q.info["blobs"] == clean.info["blobs"] == len(text)
        assert np.array_equal(q.image, clean.image)
    _, x0, h, _ = clean.info["bbox"]                                  # (work pixels)
    assert x0 - 10 / clean.info["work_factor"] < h                    # the edge speck is not "far"


@pytest.mark.parametrize("make, words", [
    (lambda: np.full((200, 500), 255, np.uint8), "blank"),
    (lambda: np.zeros((200, 500, 4), np.uint8), "blank"),                       # empty canvas
    (lambda: np.full((200, 500, 3), 90, np.uint8), "blank"),                     # grey photo
    (lambda: np.random.default_rng(0).integers(0, 256, (200, 500)).astype(np.uint8), "not look like digits"),
    (lambda: E.render_canvas(E.strokes_for("31415926", np.random.default_rng(1), canvas=(1100, 150), pen=8),
                             canvas=(1100, 150), pen=8), "more digits"),
    (lambda: np.pad(np.zeros((120, 300), np.uint8), 40, constant_values=255), "not strokes"),  # filled
    (lambda: np.pad(np.zeros((3, 3), np.uint8), 100, constant_values=255), "too little ink"),
])
def test_bad_input_gets_a_clear_reason(make, words):
    reason = DR.check_input(DR.preprocess(make()))
    assert reason is not None and words in reason


def test_good_input_of_every_length_is_accepted():
    for k, text in enumerate(("305", "4172", "86420", "918273")):
        lines = E.strokes_for(text, np.random.default_rng(k), pen=10)
        p = DR.preprocess(E.render_canvas(lines, pen=10))
        assert DR.check_input(p) is None, text


def test_thin_strokes_are_thickened_and_thick_ones_kept():
    rng = np.random.default_rng(3)
    lines = E.strokes_for("4179", rng, pen=6)
    thin, thick = DR.preprocess(E.render_canvas(lines, pen=3)), DR.preprocess(E.render_canvas(lines, pen=20))
    assert thin.info["thickened_by"] >= 1 and thick.info["thickened_by"] == 0
    w_thin = DR.stroke_width(thin.image > 0.35) / DR.INK_HEIGHT
    assert w_thin >= 0.6 * DR.STROKE


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("variant", VARIANTS)
def test_each_cards_command_retrains_it_with_its_seed_steps_weight_average_and_pool(models, variant, order):
    """The card's command, read by the CLI's own parser, gives the card's settings (and the
    command written for a setting other than the default names it: ``--ema 0`` for none)."""
    from dataclasses import replace
    from training import caption as C
    _, card = models[variant, order]
    words = card["command"].split()
    assert words[:4] == ["python", "-m", "training", "caption"]
    tc = C.config_from(C.parser().parse_args(words[4:]), variant, order)
    for k in ("steps", "seed", "order", "ema", "pool"):
        assert getattr(tc, k) == card["training"].get(k), k
    for other in (replace(tc, ema=None if tc.ema else 0.99), replace(tc, pool=tc.pool + 1000)):
        assert C.config_from(C.parser().parse_args(C.command(variant, other).split()[4:]), variant, order) == other
