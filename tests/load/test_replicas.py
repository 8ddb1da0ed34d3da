"""Two replicas behind a real nginx, on loopback: ``scripts/serve.sh --replicas 2`` (Debian's
nginx, generated config in a temp run dir), driven by the websocket client with browser-like
cookies (tests/load/classroom.py).

* frame protection and the other response headers, the upload limit at exactly Streamlit's
  ``server.maxUploadSize``;
* 20 sessions with next to no think time: 0 errors, each browser (its affinity cookie) always on
  one replica -- its websocket, its HTTP requests and a reload -- and both replicas serve;
* one replica killed (SIGKILL) mid-run: its sessions' websockets drop, they reconnect with their
  cookie and last URL, land on the survivor, and the chart they had is restored exactly from the
  URL; the other sessions never notice.

The module's fixture stops serve.sh and checks that every process it started is gone.  Run
order matters (the kill test is last): pytest runs a module's tests in file order.
"""
from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import time
import urllib.error
import urllib.request
from collections import defaultdict

import pytest

import classroom as C
import stserve

pytestmark = pytest.mark.e2e

if not os.path.exists(stserve.NGINX):
    pytest.skip(f"{stserve.NGINX} missing: install Debian's nginx (./scripts/test.sh does)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def served(request):
    s = stserve.start(replicas=2)
    # each replica warmed by its first visitor (the model load is not what these tests time out on)
    for r in s.replicas:
        C.run_class(f"http://{r.address}", C.Config(sessions=1, duration=0.1, think=(0, 0), open_spread=0))
    yield s
    nginx = s.nginx_pid()
    stserve.stop(s, keep=request.session.testsfailed > 0)
    left = [p for p in s.pids + [nginx] if p and stserve._ours(p, s.proc.pid)]
    assert left == [], f"processes left running after serve.sh stopped: {left}"
    assert not s.run_dir.exists()


def get(url: str, cookie: str = ""):
    req = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def frame_protected(h, framed_by_self: bool = False) -> None:
    if framed_by_self:
        assert h["X-Frame-Options"] == "SAMEORIGIN" and h["Content-Security-Policy"] == "frame-ancestors 'self'"
    else:
        assert h["X-Frame-Options"] == "DENY" and h["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert h["X-Content-Type-Options"] == "nosniff"


def test_frame_protection_and_affinity_cookie_on_every_response(served):
    base = served.base_url
    for path in ("/", "/sentence?layer=3", "/_stcore/health", "/_stcore/host-config", "/no-such-page",
                 "/static/no-such-file.js"):
        status, h, _ = get(base + path)
        assert status < 500, (path, status)
        frame_protected(h)
        cookie = [c for c in h.get_all("Set-Cookie") or [] if c.startswith("ae_route=")]
        assert len(cookie) == 1 and "HttpOnly" in cookie[0] and "SameSite=Lax" in cookie[0], (path, cookie)
    # custom components are iframes of the app itself: framed by the same origin only
    status, h, _ = get(base + "/component/anything/index.html")
    frame_protected(h, framed_by_self=True)
    # the cookie is handed out once: a browser that has it is not given another
    status, h, _ = get(base + "/_stcore/health", cookie="ae_route=abc")
    assert not [c for c in h.get_all("Set-Cookie") or [] if c.startswith("ae_route=")]
    assert C.served_by(h["X-Upstream"]) in served.by_address()
    # the websocket handshake carries them too
    async def handshake():
        async with C.ProxySession(base, "sentence") as s:
            return s.frame_headers
    assert C.run_async(handshake) == {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}


def raw_request(port: int, head: str, body_bytes: int) -> tuple[int, bytes]:
    """Send ``head`` and ``body_bytes`` zero bytes; return the status and the response start."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(head.encode())
        chunk = b"\0" * 2**20
        sent = 0
        try:
            while sent < body_bytes:
                n = min(len(chunk), body_bytes - sent)
                s.sendall(chunk[:n])
                sent += n
        except (BrokenPipeError, ConnectionResetError):
            pass                                  # nginx answered 413 and closed early
        data = s.recv(4096)
    return int(data.split(b" ", 2)[1]), data


def test_upload_limit_is_streamlits_max_upload_size(served):
    """A body of exactly maxUploadSize MiB passes nginx (Streamlit answers it: 403, no XSRF
    token); one byte more is refused by nginx itself with 413."""
    import tomllib
    with open(stserve.REPO / ".streamlit" / "config.toml", "rb") as f:
        limit = tomllib.load(f)["server"]["maxUploadSize"] * 2**20
    def head(n):
        return (f"PUT /_stcore/upload_file/x/y HTTP/1.1\r\nHost: 127.0.0.1:{served.port}\r\n"
                f"Content-Type: application/octet-stream\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n")
    status, data = raw_request(served.port, head(limit + 1), 0)
    assert status == 413 and b"Server: nginx" in data and b"X-Upstream" not in data, data[:300]
    status, data = raw_request(served.port, head(limit), limit)
    assert status != 413 and b"X-Upstream: 127.0.0.1:" in data, data[:300]     # reached a replica


def sessions_by_route(access_log: str) -> dict[str, set]:
    """affinity cookie -> the replicas nginx sent its requests to (from nginx's access log)."""
    out = defaultdict(set)
    for m in re.finditer(r"upstream=(\S+) route=(\S+)", access_log):
        up, route = m.groups()
        if up != "-":
            out[route].add(up)
    return out


def test_twenty_sessions_on_two_replicas_stay_on_their_replica(served):
    cfg = C.Config(sessions=20, duration=15.0, think=(0.0, 0.5), open_spread=2.0, min_interactions=5, seed=3)
    rep = C.run_class(served.base_url, cfg, served.pids)
    stats = rep.pop("_stats")
    print("\nREPLICAS " + str({k: v for k, v in rep.items() if k != "first_errors"}))
    assert stats.errors == [], "\n".join(stats.errors[:20])
    assert stats.opened == 20 and stats.completed == 20 and rep["interactions"] >= 100
    addresses = set(served.by_address())
    first = {k: ups[0] for k, ups in stats.upstreams.items()}
    assert all(len(ups) == 1 for ups in stats.upstreams.values())          # one websocket each, no reconnect
    assert set(first.values()) == addresses, f"not both replicas served: {first}"   # both serve sessions

    # a reload (a new websocket with the same cookie) lands on the same replica, for every session
    async def reload(k, cookies):
        async with C.ProxySession(served.base_url, "sentence", cookies=cookies) as s:
            return k, s.upstream
    cookies = {k: v for k, v in stats.cookies.items()}
    again = C.run_async(lambda: asyncio.gather(*(reload(k, c) for k, c in cookies.items())))
    assert {k: up for k, up in again} == first

    # nginx's own log: every request of a browser (its cookie) went to one replica
    time.sleep(0.5)
    routes = sessions_by_route(served.access_log())
    ours = {c["ae_route"] for c in cookies.values()}
    assert ours <= set(routes)
    assert all(len(routes[r]) == 1 for r in ours), {r: routes[r] for r in ours if len(routes[r]) > 1}


def test_in_chromium_the_app_works_through_nginx_and_no_other_site_can_frame_it(served, browser):
    """A real browser through the proxy: the Sentence page draws its chart (websocket through
    nginx), the Read digits drawing canvas (a custom component: streamlit-drawable-canvas 0.13
    is a v2 component, drawn in the page, not in an iframe) still works under the frame
    protection, and a page of another origin that frames the app gets Chromium's error page
    instead.  Control: the same frame pointed at a replica directly (no
    proxy, no headers) does show the app, so the last check can fail."""
    import stbrowser as S

    def framed(page, url: str) -> str:
        page.set_content(f'<iframe src="{url}" width="800" height="600"></iframe>')
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            kids = [f for f in page.frames if f != page.main_frame]
            if kids and kids[0].url not in ("", "about:blank"):
                try:
                    kids[0].wait_for_load_state("domcontentloaded", timeout=5_000)
                except Exception:  # noqa: BLE001 - an error page may never report it
                    pass
                return kids[0].url
            time.sleep(0.2)
        return ""

    base = served.base_url
    ctx = browser.new_context(viewport=S.VIEWPORT)
    try:
        ctx.set_default_timeout(S.TIMEOUT_MS)
        page = ctx.new_page()
        page.goto(base + "/sentence?layer=3")
        page.locator(".js-plotly-plot").first.wait_for()
        page.goto(base + "/digits")
        page.locator(".canvas-root canvas").first.wait_for()

        other = ctx.new_page()                     # about:blank: not the app's origin
        replica = served.replicas[0].address
        assert framed(other, f"http://{replica}/").startswith(f"http://{replica}/")   # control
        assert framed(other, base + "/").startswith("chrome-error://")
    finally:
        ctx.close()


def test_killing_a_replica_moves_its_sessions_to_the_survivor_with_their_view(served):
    n = 12
    killed: dict = {}

    async def kill_the_busier_replica(stats: C.Stats):
        while stats.opened + len(stats.errors) < n:
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.0)
        on = defaultdict(list)
        for k, ups in stats.upstreams.items():
            on[ups[-1]].append(k)
        address = max(on, key=lambda a: len(on[a]))
        victim = served.by_address()[address]
        os.kill(victim.pid, signal.SIGKILL)          # a replica we started (serve.sh), by its pid
        killed.update(address=address, pid=victim.pid, students=sorted(on[address]),
                      others=sorted(k for a, ks in on.items() if a != address for k in ks))

    cfg = C.Config(sessions=n, duration=20.0, think=(1.0, 2.5), open_spread=2.0, min_interactions=4,
                   seed=4, reconnect=True)
    rep = C.run_class(served.base_url, cfg, served.pids, chaos=kill_the_busier_replica)
    stats = rep.pop("_stats")
    print("\nKILL " + str(killed) + "\nRECONNECTS " + str(stats.reconnects))
    assert stats.errors == [], "\n".join(stats.errors[:20])
    assert stats.completed == n
    assert killed["students"], "no session was on the killed replica"
    survivor = next(a for a in served.by_address() if a != killed["address"])
    assert not served.by_address()[killed["address"]].alive()
    moved = {e["student"]: e for e in stats.reconnects}
    # every session of the killed replica reconnected, landed on the survivor, its view restored
    assert sorted(moved) == killed["students"], (sorted(moved), killed)
    for e in moved.values():
        assert e["from"] == killed["address"] and e["to"] == survivor and e["ok"] and e["restored"], e
    # the survivor's own sessions kept their websocket
    assert all(stats.upstreams[k] == [survivor] for k in killed["others"])
    # and the proxy keeps serving new visitors, on the survivor
    status, h, body = get(served.base_url + "/_stcore/health")
    assert status == 200 and body.strip() == b"ok" and C.served_by(h["X-Upstream"]) == survivor
    assert served.proc.poll() is None                # serve.sh and nginx keep running
