"""One list per concept: a throwaway page and a throwaway trained variant, registered once, are
picked up by every consumer (navigation, Home, the e2e specs, the benchmark, the warm-up; page
state options, labels, view texts, the model and its training) -- nothing else to edit."""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from attention.models import seq2seq
from attention.models.variants import Variant
from ui import sitemap

ROOT = Path(__file__).resolve().parent.parent
BODY = "THROWAWAY PAGE BODY"


@pytest.fixture
def throwaway_page(tmp_path):
    """A page registered in ``ui.sitemap`` only, with its entry file in a temp folder."""
    entry = tmp_path / "throwaway.py"
    entry.write_text("import streamlit as st\nfrom ui import page\n"
                     "page.setup('throwaway')\n"
                     f"st.markdown({BODY!r})\n", encoding="utf-8")
    p = sitemap.PageEntry("throwaway", "Throwaway", ":material/delete:", "A throwaway page",
                          "Only for this test.", "Throwaway — a page registered once, for a test",
                          aliases={"old_key": sitemap.Alias("new_key")}, entry=str(entry))
    sitemap.PAGES.append(p)
    yield p
    sitemap.PAGES.remove(p)


def test_a_registered_page_is_navigable_and_shows_its_registry_heading(throwaway_page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    assert not at.exception
    at.switch_page(throwaway_page.file)
    at.run()
    assert not at.exception, at.exception
    assert any(BODY in m.value for m in at.markdown)
    assert [t.value for t in at.title] == ["A throwaway page"]        # heading from the registry


def test_home_lists_a_registered_page(throwaway_page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    assert not at.exception
    shown = [m.value for m in at.markdown] + [pl.proto.label for pl in at.get("page_link")]
    assert any(throwaway_page.blurb in s for s in shown), shown


def test_specs_benchmark_warmup_and_aliases_read_the_registry(throwaway_page):
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    try:
        import pagespecs
        assert "throwaway" in [str(s) for s in pagespecs.specs()]
        assert "throwaway" in pagespecs.registered_pages()
        spec = {str(s): s for s in pagespecs.specs()}["throwaway"]
        assert (spec.title, spec.nav) == ("A throwaway page", "Throwaway")
    finally:
        sys.path.remove(str(ROOT / "tests" / "e2e"))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import first_load
        assert "throwaway" in importlib.reload(first_load).PAGES
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    from ui import params
    assert params.translate("throwaway", {"old_key": "1"}) == {"new_key": "1"}


@pytest.fixture
def throwaway_variant():
    """A translation variant registered in ``seq2seq.VARIANTS`` only (never trained)."""
    v = seq2seq.VARIANTS.register(Variant(
        "throwaway_cos", "Throwaway (cosine, local window)",
        attend=dict(score="cosine", scope="local", normalization="soft"),
        description="A variant registered once, for a test.", paper="nobody 2026",
        formula=r"e_{ts} = \cos(h_t, \bar h_s)", caption="Throwaway: window D = {window}.",
        extra=dict(flow="luong")))
    yield v
    seq2seq.VARIANTS.unregister(v.name)
    importlib.reload(importlib.import_module("features.translate.state"))


def test_a_registered_variant_reaches_state_labels_model_and_training(throwaway_variant):
    from features.translate import state
    importlib.reload(state)
    assert "throwaway_cos" in state.BY["variant"].options
    assert "throwaway_cos" in state.BY["compare"].options
    assert state.BY["variant"].label_of("throwaway_cos") == "Throwaway (cosine, local window)"
    # the model and its training are built from the entry: one step decodes through attend with
    # the entry's options (a cosine score needs keys and queries of one size: 2 * d_enc = d_dec)
    from training import translate as T
    model = T.make_model("throwaway_cos", 0)
    assert model.cfg.window == T.WINDOW                      # windowed: the CLI gives it D
    ids, lengths = model.encode_sources(["3. März 2021"])
    logits, steps = model(ids, lengths, model.encode_targets(["2021-03-03"]))
    r = steps[0].attn
    assert r.options.score == "cosine" and r.options.scope == "local"
    assert bool((r.weights[0, 0] > 0).sum() <= 2 * T.WINDOW + 1)
    assert torch.isfinite(logits).all()
    # the page's texts come from the entry
    assert throwaway_variant.caption.format(window=4) == "Throwaway: window D = 4."


def test_variant_names_are_unique_across_tasks():
    """One name, one meaning: no two tasks use a name for different attention."""
    from attention.models import captioner
    names = list(seq2seq.VARIANTS.names()) + list(captioner.VARIANTS.names())
    shared = {n for n in names if names.count(n) > 1}
    for n in shared:           # a shared name must mean the same attention in both tasks
        assert seq2seq.VARIANTS[n].attend["normalization"] == captioner.VARIANTS[n].attend["normalization"]
        assert seq2seq.VARIANTS[n].scope == captioner.VARIANTS[n].scope
    assert "local" not in names                        # was 2-D local-p in one task, local-m in another
