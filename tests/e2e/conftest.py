"""Fixtures for the real-browser tests: a live app server and headless Chromium.

* ``app_server`` (session): ``python -m streamlit run app.py`` on a free loopback port
  (8610-8630), healthy within 60 s, shared with ``tests/load``; stopped at the end, its
  log kept in ``test-artifacts/e2e/server.log`` if a test failed.
* ``browser`` (session, in ``tests/conftest.py``: shared with ``tests/load``): Debian's
  ``/usr/bin/chromium`` driven by Playwright (never a downloaded browser); the tests are skipped,
  with the reason, only if it is missing.
* ``page`` (function): a fresh browser context (= a fresh Streamlit session) with the
  run-counting init script, a record of dialogs / page errors / off-site requests, and a
  screenshot in ``test-artifacts/e2e/FAILED-<test>.png`` when the test fails.
* ``new_page`` (function): a factory for more pages/contexts in the same test.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import stbrowser as S
import stserver

ARTIFACTS = stserver.ARTIFACTS


def pytest_collection_modifyitems(config, items):
    """Every test here is ``e2e``; a test marked ``first_request`` runs before the other
    e2e tests so that it really is the first page a fresh server sees."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)
    first = [i for i in items if i.get_closest_marker("first_request")]
    if first:
        rest = [i for i in items if not i.get_closest_marker("first_request")]
        at = next((k for k, i in enumerate(rest) if i.get_closest_marker("e2e")), len(rest))
        items[:] = rest[:at] + first + rest[at:]


def pytest_configure(config):
    config.addinivalue_line("markers", "first_request: run before the other e2e tests "
                                       "(it must be the first page the server serves)")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    setattr(item, f"rep_{rep.when}", rep)
    return rep


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def app_server(request):
    server = stserver.acquire()
    yield server
    stserver.release(failed=request.session.testsfailed > 0)


@pytest.fixture(scope="session")
def base_url(app_server) -> str:
    return app_server.base_url


@pytest.fixture
def new_page(browser, base_url, request, artifacts):
    """``tab = new_page()``: a fresh context + page (a new Streamlit session)."""
    tabs: list[S.Tab] = []

    def make() -> S.Tab:
        tab = S.open_tab(browser, base_url)
        tabs.append(tab)
        return tab

    yield make
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for k, tab in enumerate(tabs):
        if failed:
            try:
                S.shot(tab.page, artifacts, f"FAILED-{re.sub(r'[^A-Za-z0-9]+', '_', request.node.name)}-{k}")
            except Exception:
                pass
        tab.context.close()


@pytest.fixture
def tab(new_page) -> S.Tab:
    return new_page()


@pytest.fixture
def page(tab):
    return tab.page
