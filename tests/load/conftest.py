"""Load and deployment tests over Streamlit's websocket (the client in tests/e2e/stclient.py,
extended in classroom.py):

* test_classroom.py: a short classroom run against the same live server as tests/e2e (one per
  pytest session, ``load_server``);
* test_replicas.py: scripts/serve.sh with 2 replicas behind nginx (its own processes, started
  and stopped by the module).

Every test here is marked ``e2e``."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

E2E = Path(__file__).resolve().parents[1] / "e2e"
if str(E2E) not in sys.path:
    sys.path.insert(0, str(E2E))

import stserver  # noqa: E402


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def load_server(request):
    server = stserver.acquire()
    yield server
    stserver.release(failed=request.session.testsfailed > 0)
