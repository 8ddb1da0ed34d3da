"""The server's warm-up (ui/warmup.py, run by app.py's lifespan): every module and model loader
app.py lists loads without an error, and the models it loads are the ones the pages then use."""
from __future__ import annotations

import gc
import logging
from pathlib import Path

import app  # noqa: F401 - imported as the server imports it (defines the st.App)
from ui import models, warmup

ROOT = Path(__file__).resolve().parent.parent


def test_every_warm_call_runs_without_an_error(caplog):
    caplog.set_level(logging.WARNING, logger="attention_explorer.warmup")
    try:
        warmup.warm(app.WARM_MODULES, app.WARM_CALLS)
    finally:
        gc.unfreeze()
    assert not caplog.records, [r.getMessage() for r in caplog.records]
    assert set(app.WARM_MODULES) | set(app.WARM_CALLS) <= set(warmup.DONE)
    # the trained models the pages load are now the cached objects (one per server)
    shipped = {(kind, tuple(sorted(opts.items()))): sorted(models.cards(kind, **opts))
               for kind, (_, option_sets) in models.TRAINED.items() for opts in option_sets}
    # every variant each model module lists (its one VARIANTS list) is shipped and loaded
    import importlib
    expected = {(kind, tuple(sorted(opts.items()))): sorted(importlib.import_module(mod).VARIANTS.names())
                for kind, (mod, option_sets) in models.TRAINED.items() for opts in option_sets}
    assert shipped == expected
    assert {"translate", "caption", "listen"} <= {kind for kind, _ in shipped}
    for kind, (_, option_sets) in models.TRAINED.items():
        for opts in option_sets:
            for variant in models.cards(kind, **opts):
                assert models.trained(kind, variant, **opts) is models.trained(kind, variant, **opts)


def test_the_warm_modules_are_the_pages_feature_views():
    """A page added without warming its module would pay its imports on the first visitor."""
    from ui import sitemap
    for p in sitemap.PAGES:
        assert f"features.{p.name}.view" in app.WARM_MODULES, p.name
