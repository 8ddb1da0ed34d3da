"""Issue 25, a clean log: the e2e server's log holds no WARNING, ERROR or CRITICAL line and no
stray unformatted line (an app logger without a handler prints through Python's last-resort
handler: a bare message, no time, no level), at start and when the e2e session ends -- except
the lines in :data:`ALLOWED`, each with the test that causes it and why it is right.

``.streamlit/config.toml`` gives every Streamlit log line its level and logger
(``logger.messageFormat``), which is what this reads.  The session-end check runs in the
teardown of a session fixture: a line a later test caused is reported as an error there.
"""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

RECORD = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:[.,]\d+)? "
                    r"(DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+): (.*)$")
#: The lines a traceback goes on with (under a record or a bare message): indented frames, the
#: "Traceback"/"During handling" headers, the exception line (``pkg.SomeError: message``).
CONTINUATION = re.compile(r"^(\s|Traceback \(|During handling of|The above exception|[A-Za-z_][\w.]*(: |$))")
#: Streamlit's start-up banner (plain print, not logging).
BANNER = re.compile(r"^\s*(You can now view your Streamlit app in your browser\.|(Local |Network )?URL: \S+)\s*$")

#: (logger, message) regexes of lines the suite causes on purpose, with the reason.  A matching
#: record's traceback (the lines under it) is allowed with it.
ALLOWED: list[tuple[str, str, str]] = [
    (r"streamlit\..*", r"Error deserializing back message",
     "test_e2e_url_state / test_e2e_text_corpus paste a lone surrogate: the browser sends invalid "
     "UTF-8 and Streamlit refuses the websocket message before any app code runs (an upstream "
     "limit; the page keeps and names the text it shows, ui.page.showing)"),
]


def problems(log: str) -> list[str]:
    """Unexpected lines of a server log (see the module doc), each with its line number."""
    out, block, more = [], "ok", 0          # block: what the lines under a record belong to

    def close() -> None:
        nonlocal more
        if more and out:
            out[-1] += f" (+{more} more lines)"
        more = 0
    for k, line in enumerate(log.splitlines(), 1):
        m = RECORD.match(line)
        if m:
            close()
            level, name, msg = m.groups()
            block = "ok"
            if level in ("WARNING", "ERROR", "CRITICAL"):
                if any(re.fullmatch(a, name) and re.search(b, msg) for a, b, _ in ALLOWED):
                    block = "allowed"
                else:
                    out.append(f"{k}: {line[:300]}")
                    block = "bad"
            continue
        if not line.strip() or BANNER.match(line) or block == "allowed":
            continue
        if block == "bad" and CONTINUATION.match(line):
            more += 1
            continue
        close()
        out.append(f"{k}: (no level) {line[:300]}")
        block = "bad"
    close()
    return out


def test_problems_reads_levels_tracebacks_and_bare_lines():
    start = ("\n  You can now view your Streamlit app in your browser.\n\n  URL: http://127.0.0.1:8610\n\n"
             "2026-12-05 09:05:14.139 INFO streamlit.x: fine\n"
             "2026-12-05 09:05:14.140 ERROR streamlit.web.server.starlette.starlette_websocket: "
             "Error deserializing back message\nTraceback (most recent call last):\n  File ...\n")
    assert problems(start) == []
    warned = start + ("2026-12-05 09:05:14.187 WARNING streamlit.runtime.scriptrunner_utils."
                      "script_run_context: Thread 'warmup': missing ScriptRunContext!\n")
    assert len(problems(warned)) == 1 and "missing ScriptRunContext" in problems(warned)[0]
    bare = start + ("2026-12-05 09:05:15.000 INFO streamlit.y: fine\n"
                    "warm-up: ui.models:warm_trained failed\nTraceback (most recent call last):\n  File x\n")
    assert problems(bare) == ["11: (no level) warm-up: ui.models:warm_trained failed (+2 more lines)"]
    two = bare + "RuntimeError: boom\nerror while trying to read the digits\nTraceback (most recent call last):\n"
    assert problems(two) == ["11: (no level) warm-up: ui.models:warm_trained failed (+3 more lines)",
                             "15: (no level) error while trying to read the digits (+1 more lines)"]


@pytest.fixture(scope="session")
def log_at_session_end(app_server):
    """Checks the server's whole log once every e2e test has run (session teardown)."""
    yield app_server
    if app_server.proc is not None:
        bad = problems(app_server.log_text())
        assert not bad, "unexpected lines in the server log by the end of the e2e session:\n" + "\n".join(bad[:20])


def test_server_log_is_clean(log_at_session_end):
    server = log_at_session_end
    if server.proc is None:
        pytest.skip("E2E_BASE_URL: an external server, its log is not ours to read")
    log = server.log_text()
    assert BANNER.search(log) or "URL:" in log, "the server log is not being captured"
    bad = problems(log)
    assert not bad, "unexpected lines in the server log:\n" + "\n".join(bad[:20])
