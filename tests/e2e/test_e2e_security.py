"""Security checks against the running app: no HTML/JS/Markdown injection through tokens
or link parameters, no off-site requests, XSRF protection on, the upload limit enforced."""
from __future__ import annotations

import asyncio
import http.client
import re
import tomllib
import urllib.parse

import pytest

import stbrowser as S
from stclient import Session, run
from stserver import REPO

pytestmark = pytest.mark.e2e

PAYLOAD = ('<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> '
           '<svg onload="window.__pwned=3"> <a href="javascript:window.__pwned=4">a</a> `x` ``y``')


def test_no_injection_through_tokens(tab, base_url, artifacts):
    """Markup in the text reaches tick labels, hover text, the title and the "Query `tok`"
    line: it must show literally there and never become an element."""
    page = tab.page
    S.goto(page, f"{base_url}/sentence?" + urllib.parse.urlencode({"text": PAYLOAD, "row": "1"}))
    S.shot(page, artifacts, "security-01-markup-tokens")
    ticks = S.tick_texts(page, "y")
    assert any(re.fullmatch(r"< \(\d+\)", t) for t in ticks), ticks     # "<" shown as text
    assert "< (#1)" in page.get_by_test_id("stMarkdown").filter(has_text="sum of weights").first.inner_text()
    # hover a cell: hover text is built from the tokens too (test_e2e_sentence checks it shows)
    x, y = S.cell_position(page, 1, 1)
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    S.assert_no_injection(page)
    assert tab.dialogs == [] and tab.offsite == [] and S.problems(page) == []


def test_no_injection_through_typed_text(tab, base_url):
    page = tab.page
    S.goto(page, f"{base_url}/sentence")
    S.set_text_area(page, "Sentence", PAYLOAD)
    S.assert_no_injection(page)
    assert tab.dialogs == [] and tab.offsite == [] and S.problems(page) == []


def test_no_markdown_injection_through_line_breaks_in_links(tab, base_url, artifacts):
    page = tab.page
    query = urllib.parse.urlencode({
        "type": "\r\r![i](http://127.0.0.1:9/pixel.png) **B**",
        "\r\n\r\n# H": "1",
        "window": "\u2028\u2029**C**",
    }, quote_via=urllib.parse.quote)
    S.goto(page, f"{base_url}/sentence?{query}")
    S.shot(page, artifacts, "security-02-markdown-in-link", full_page=False)
    got = S.injection(page)
    assert got["alert_html"] == 0, f"markup rendered inside the notice: {got}"
    assert tab.offsite == [], tab.offsite


def test_no_offsite_requests(tab, base_url):
    page = tab.page
    S.goto(page, f"{base_url}/sentence")
    page.wait_for_timeout(500)
    assert tab.offsite + tab.known_offsite == []


def config() -> dict:
    return tomllib.loads((REPO / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def request(method: str, url: str, headers: dict | None = None, body: bytes | None = None,
         content_length: int | None = None) -> tuple[int, bytes, http.client.HTTPMessage]:
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        c.putrequest(method, u.path + (f"?{u.query}" if u.query else ""))
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        c.putheader("Content-Length", str(content_length if content_length is not None else len(body or b"")))
        c.endheaders()
        if body:
            c.send(body)
        r = c.getresponse()
        return r.status, r.read(), r.headers
    finally:
        c.close()


def test_xsrf_protection_stays_on(app_server, base_url):
    assert config()["server"]["enableXsrfProtection"] is True
    assert config()["server"].get("enableCORS", True) is True     # CORS off would weaken it
    status, _, headers = request("GET", base_url + "/_stcore/health")
    assert status == 200
    assert any(c.startswith("_streamlit_xsrf=") for c in headers.get_all("Set-Cookie") or [])
    # a state-changing request without the token (what a cross-site form would send) is refused
    status, body, _ = request("PUT", base_url + "/_stcore/upload_file/some-session/some-file",
                           {"Content-Type": "multipart/form-data; boundary=b"}, b"--b--\r\n")
    assert status == 403 and b"XSRF" in body
    status, _, _ = request("PUT", base_url + "/_stcore/upload_file/some-session/some-file",
                        {"Content-Type": "multipart/form-data; boundary=b",
                         "Cookie": "_streamlit_xsrf=2|00000000|00000000000000000000000000000000|1",
                         "X-Xsrftoken": "2|11111111|11111111111111111111111111111111|1"}, b"--b--\r\n")
    assert status in (400, 403)                                  # a forged token: refused
    assert "enableXsrfProtection" not in app_server.log_text()   # no "overridden" warning


def test_upload_limit_configured_and_enforced(base_url):
    """maxUploadSize is set, and it is the one number the app checks uploads against
    (``ui.uploads.max_upload_bytes``: decimal MB, as the browser shows and enforces); the running
    server refuses a larger upload with 413 before reading it, and accepts a small one."""
    mb = config()["server"]["maxUploadSize"]
    assert isinstance(mb, int) and 1 <= mb <= 200
    from ui.uploads import max_upload_bytes
    assert max_upload_bytes() == mb * 10**6

    async def session():
        async with Session(base_url, "home") as s:
            await s.open()
            return s.session_id, s.xsrf, await asyncio.to_thread(probe, s.session_id, s.xsrf)

    def probe(sid, xsrf):
        url = f"{base_url}/_stcore/upload_file/{sid}/e2e-probe"
        h = {"Cookie": f"_streamlit_xsrf={xsrf}", "X-Xsrftoken": xsrf,
             "Content-Type": "multipart/form-data; boundary=XyZ"}
        small = (b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
                 b"Content-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n")
        return (request("PUT", url, h, small)[0],
                request("PUT", url, h, None, content_length=(mb + 1) * 2**20)[:2])

    sid, xsrf, (small, (big, body)) = run(session())
    assert sid and xsrf
    assert small in (200, 204)
    assert big == 413 and b"too large" in body.lower()
