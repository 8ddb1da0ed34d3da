"""Every page: hostile link parameters fall back with a notice; valid ones round-trip.

Pages declare their URL state with ui.params; running a page once fills
``params.REGISTRY`` so this test can generate values for each declared parameter.
"""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import params as P

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(p.stem for p in (ROOT / "pages").glob("*.py") if p.stem != "home")

HOSTILE = {
    P.Int: ["abc", "99999999999999", "-1e9", "1.5", ""],
    P.Float: ["nan", "inf", "-1e308", "x" * 50, ""],
    P.Choice: ["<script>alert(1)</script>", "' OR 1=1 --", "\u202e", ""],
    P.Flag: ["maybe", "2", "<b>"],
    P.Text: ["bad\x00nul", "x" * 13_000],
}


def _hostile(p: P.Param):
    for kind, values in HOSTILE.items():
        if isinstance(p, kind):
            return values
    return ["\x00" + "x" * 13_000]


def _declared(page: str):
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return P.REGISTRY[page]


@pytest.mark.parametrize("page", PAGES)
def test_hostile_values_for_every_parameter_fall_back_with_a_notice(page):
    declared = _declared(page)
    assert declared, f"{page} declares no share-link parameters"
    for i in range(max(len(v) for v in HOSTILE.values())):
        at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=120)
        bad = {}
        for p in declared:
            values = _hostile(p)
            bad[p.key] = values[i % len(values)]
            at.query_params[p.key] = bad[p.key]
        at.query_params["no_such_param"] = "<img src=x onerror=alert(1)>"
        at.run()
        assert not at.exception, (page, at.exception)
        warning = " ".join(w.value for w in at.warning)
        assert "no_such_param" in warning
        for p in declared:
            # every hostile value is refused: state holds the default, not the raw value
            assert at.session_state[p.key] != bad[p.key] or bad[p.key] == "", (page, p.key)
        assert at.get("plotly_chart") or page == "learn" or at.markdown, page


def _example(p: P.Param):
    """A valid, non-default URL value for a parameter, or None if we can't make one."""
    if isinstance(p, P.Choice):
        others = [o for o in p.options if o != p.default]
        return others[-1] if others else None
    if isinstance(p, P.Int):
        v = p.lo + 1 if p.lo + 1 <= p.hi and p.default != p.lo + 1 else p.lo
        return str(v) if v != p.default else None
    if isinstance(p, P.Float):
        return p.dump(p.lo if p.default != p.lo else p.hi)
    if isinstance(p, P.Flag):
        return p.dump(not p.default)
    if type(p) is P.Text:
        return "A shared sentence about attention."
    return None


@pytest.mark.parametrize("page", PAGES)
def test_each_parameter_round_trips_through_the_url(page):
    declared = _declared(page)
    tried = 0
    for p in declared:
        raw = _example(p)
        if raw is None:
            continue
        at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=120)
        at.query_params[p.key] = raw
        at.run()
        assert not at.exception, (page, p.key, at.exception)
        tried += 1
        warning = " ".join(w.value for w in at.warning)
        if f"`{p.key}`" in warning:       # refused on purpose by the page (e.g. out of the image grid)
            continue
        assert P.Param.dump(p, at.session_state[p.key]) == raw or p.dump(at.session_state[p.key]) == raw, \
            (page, p.key, raw, at.session_state[p.key])
        published = at.query_params.get(p.key)
        published = published[-1] if isinstance(published, list) else published
        assert published == raw, (page, p.key, raw, published)
    assert tried >= 2
