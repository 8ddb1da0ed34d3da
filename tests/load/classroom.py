"""A class on one link: N websocket sessions that open a lesson preset and then, with think
time, change a widget now and then -- what a class does during a lesson.

Used by ``benchmarks/classroom.py`` (the 30-session x 3-minute run, printed as a table) and by
the tests in ``tests/load/`` (short runs, asserting 0 errors, never a time).

Each student ``k`` (seeded: ``random.Random(seed * 1000 + k)``):

* opens lesson ``LESSONS[k % len(LESSONS)]``: the Sentence-page lesson presets of
  ``features.home.presets`` (the widgets this client knows how to drive and check; the Translate
  and Read digits presets have their own e2e tests) -- its page and URL parameters, as the
  preset's link does (opening times spread over ``open_spread`` seconds);
* then, until ``duration`` has passed (and at least ``min_interactions`` times), thinks for
  ``think`` seconds (uniform) and changes one widget: attention type, scope, window (when the
  scope has one), layer, head, temperature (when it is used) or the inspected row; a quarter of
  the students (``k % 4 == 0``) also type new sentences (their first change, then one change in
  three), which runs the model on text no cache has seen.

Every response is checked the way a user would: the run finished, no exception or error box,
exactly one chart, the numbers obey the chosen mechanism (rows sum to 1, hard rows are one-hot,
a local scope is a band of width w, causal is lower-triangular), and the URL now holds the value
just set.  Any failure, timeout or dropped connection is an error, unless ``reconnect`` is on:
then a dropped websocket is what a browser sees when its replica dies -- the student reconnects
with the same cookies and the last URL, the restored chart must equal the last chart it saw,
and the interaction that was in flight is made again.

Through nginx (``scripts/serve.sh --expose-upstream``) the ``X-Upstream`` header of every
websocket handshake says which replica served the session (:attr:`Stats.upstreams`).
"""
from __future__ import annotations

import asyncio
import http.cookies
import os
import random
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Optional

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
for p in (REPO, REPO / "tests" / "e2e"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from websockets.asyncio.client import connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidStatus  # noqa: E402

from stclient import Session, plotly_array  # noqa: E402

from attention.masks import windowed as is_windowed  # noqa: E402
from features.home.presets import LESSONS as ALL_LESSONS  # noqa: E402
from features.sentence.state import BY as SENTENCE  # noqa: E402

NORMALIZATIONS = SENTENCE["normalization"].options
SCOPES = SENTENCE["scope"].options
DROPPED = (ConnectionClosed, ConnectionError, InvalidStatus, OSError, EOFError)


# ----------------------------------------------------------------------------- the client
class ProxySession(Session):
    """A :class:`stclient.Session` that behaves more like a browser tab:

    * it keeps cookies (the affinity cookie nginx sets, Streamlit's XSRF cookie) and records the
      replica that answered its websocket handshake (``X-Upstream``, when nginx exposes it);
    * a widget whose id changes between runs (a slider whose range depends on the sentence, like
      "Inspect query token #") is addressed by its id in the LATEST run, and values of widgets
      the last run did not draw are no longer sent -- what the browser's widget manager does.
    """

    def __init__(self, base_url: str, page: str, query: str = "", timeout: float = 60.0,
                 cookies: Optional[dict] = None):
        super().__init__(base_url, page, query, timeout)
        self.cookies: dict[str, str] = dict(cookies or {})
        self.upstream: Optional[str] = None
        self.frame_headers: dict[str, str] = {}
        self.latest: dict[str, str] = {}        # widget key -> its id in the latest run
        self._seen: set[str] = set()

    async def _rerun(self):
        self._seen = set()
        res = await super()._rerun()
        if res.ok:
            self.widgets = {w: v for w, v in self.widgets.items() if w in self._seen}
        return res

    def _remember(self, kind: str, proto) -> None:
        super()._remember(kind, proto)
        wid = getattr(proto, "id", "")
        if wid.startswith("$$ID-"):
            self._seen.add(wid)
            self.latest[wid.split("-", 2)[2]] = wid

    def widget_id(self, key: str) -> str:
        return self.latest.get(key) or super().widget_id(key)

    def _xsrf_cookie(self) -> Optional[str]:
        req = urllib.request.Request(self.base + "/_stcore/health")
        if self.cookies:
            req.add_header("Cookie", self._cookie_header())
        with urllib.request.urlopen(req, timeout=self.timeout) as r:
            for h in r.headers.get_all("Set-Cookie") or []:
                for name, morsel in http.cookies.SimpleCookie(h).items():
                    self.cookies[name] = morsel.value
        return self.cookies.get("_streamlit_xsrf")

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def __aenter__(self) -> "ProxySession":
        self.xsrf = xsrf = await asyncio.to_thread(self._xsrf_cookie)
        host = self.base.split("://", 1)[1]
        headers = {"Origin": self.base}
        if self.cookies:
            headers["Cookie"] = self._cookie_header()
        self._ws = await connect(f"ws://{host}/_stcore/stream", additional_headers=headers,
                                 subprotocols=["streamlit", xsrf] if xsrf else ["streamlit"],
                                 max_size=64 * 2**20, open_timeout=self.timeout, ping_interval=None)
        h = self._ws.response.headers
        self.upstream = served_by(h.get("X-Upstream"))
        self.frame_headers = {k: h.get(k) for k in ("X-Frame-Options", "Content-Security-Policy") if h.get(k)}
        return self


def served_by(x_upstream: Optional[str]) -> Optional[str]:
    """The replica that answered, from nginx's ``$upstream_addr`` ("a, b" when a first try failed
    and the request went on to the next replica: the last one answered)."""
    return x_upstream.split(",")[-1].strip() if x_upstream else None


# ----------------------------------------------------------------------------- checks
def chart_values(res) -> np.ndarray:
    """The one chart's numbers: the heatmap ``(n, n)`` or the pooling bars ``(1, n)``."""
    if len(res.charts) != 1:
        raise AssertionError(f"{len(res.charts)} charts")
    trace = res.charts[0]["data"][0]
    if trace.get("type") == "bar":
        return plotly_array(trace["y"]).astype(float).reshape(1, -1)
    return plotly_array(trace["z"]).astype(float)


def check_mechanism(z: np.ndarray, state: dict) -> None:
    """The numbers obey the state's mechanism (see the module docstring)."""
    ok = ~np.isnan(z)
    vals = z[ok]
    if vals.size == 0 or np.any(vals < -1e-6) or np.any(vals > 1 + 1e-6):
        raise AssertionError("weights outside [0, 1] or none")
    if state["scope"] == "local_p":
        return                          # weights times a Gaussian: rows need not sum to 1
    if not np.allclose(np.nansum(z, 1), 1, atol=2e-3):
        raise AssertionError(f"rows do not sum to 1 ({state['normalization']})")
    if state["normalization"] in ("hard", "hard_sampled") and not np.all(np.isin(vals, (0.0, 1.0))):
        raise AssertionError("hard rows are not one-hot")
    if state["form"] != "self":
        return
    i, j = np.indices(z.shape)
    if state["scope"] == "local":
        w = int(state["window"])
        if np.any(ok[np.abs(i - j) > w]) or not np.all(ok[np.abs(i - j) <= w]):
            raise AssertionError(f"not a local band of width {w}")
    elif state["scope"] == "causal":
        if np.any(ok[j > i]) or not np.all(ok[j <= i]):
            raise AssertionError("not causal")
    elif not np.all(ok):
        raise AssertionError("global scope with blank cells")


def url_state(query: str) -> dict:
    """The Sentence page's state as its URL holds it (defaults for what is absent)."""
    url = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    out = {}
    for key, p in SENTENCE.items():
        out[key] = p.parse(url[key]) if key in url else p.default
    return out


def check_url(query: str, key: str, value) -> None:
    got = url_state(query)[key]
    same = abs(float(got) - float(value)) < 1e-9 if isinstance(value, (int, float)) else got == value
    if not same:
        raise AssertionError(f"URL has {key}={got!r} after setting {value!r}")


# ----------------------------------------------------------------------------- students
WORDS = {
    "det": ["The", "A", "Every", "That", "One"],
    "adj": ["tired", "curious", "old", "young", "clever", "quiet", "happy", "small", "brave"],
    "noun": ["student", "teacher", "robot", "cat", "farmer", "pilot", "doctor", "painter", "child"],
    "verb": ["watched", "helped", "followed", "called", "found", "thanked", "visited", "taught"],
    "obj": ["dog", "neighbour", "friend", "class", "river", "machine", "garden", "city", "letter"],
    "tail": ["because it was late", "after the long lesson", "near the old bridge",
             "before the bell rang", "while the sun was setting", "although nobody asked"],
}


#: The lessons a student of this run opens: the Sentence page's presets.
LESSONS = [lesson for lesson in ALL_LESSONS if lesson[1] == "pages/sentence.py"]


def new_sentence(rng: random.Random) -> str:
    """A fresh sentence of 9-16 words (seeded; almost never seen before by any cache)."""
    w = lambda k: rng.choice(WORDS[k])  # noqa: E731
    return (f"{w('det')} {w('adj')} {w('noun')} {w('verb')} the {w('adj')} {w('obj')} "
            f"{w('tail')}, and the {w('obj')} was {w('adj')} {rng.randint(2, 99)} times.")


def lesson_link(k: int) -> tuple[str, str, str]:
    """(title, url_path, query string) of the lesson preset student ``k`` opens."""
    title, page_file, _blurb, params = LESSONS[k % len(LESSONS)]
    return title, Path(page_file).stem, urllib.parse.urlencode(params)


def next_action(rng: random.Random, state: dict, n_tokens: int, typist: bool,
                first: bool = False) -> tuple[str, object]:
    """What the student changes next: (widget key, new value).  A typist's first change is a new
    sentence, then one change in three."""
    if typist and (first or rng.random() < 1 / 3):
        return "text", new_sentence(rng)
    keys = ["normalization", "scope", "layer", "head", "row"]
    if is_windowed(state["scope"]):
        keys.append("window")
    if state["normalization"] != "hard":
        keys.append("temperature")
    key = rng.choice(keys)
    cur = state[key]
    if key == "normalization":
        return key, rng.choice([v for v in NORMALIZATIONS if v != cur])
    if key == "scope":
        return key, rng.choice([v for v in SCOPES if v != cur])
    if key == "window":
        return key, rng.choice([v for v in range(1, 7) if v != cur])
    if key == "layer":
        return key, rng.choice([v for v in range(1, 7) if v != cur])
    if key == "head":
        return key, rng.choice([v for v in range(1, 13) if v != cur])
    if key == "temperature":
        return key, rng.choice([v / 20 for v in range(6, 41) if v / 20 != cur])   # 0.30 .. 2.00
    return key, rng.choice([v for v in range(max(n_tokens, 2)) if v != cur] or [0])


@dataclass
class Stats:
    open_s: list = field(default_factory=list)              # seconds to the first chart
    latency: list = field(default_factory=list)             # (widget key, seconds) per interaction
    errors: list = field(default_factory=list)
    opened: int = 0
    completed: int = 0
    bytes: int = 0
    upstreams: dict = field(default_factory=dict)           # student -> [replica of each websocket]
    frame_headers: dict = field(default_factory=dict)       # student -> headers of the handshake
    reconnects: list = field(default_factory=list)          # dicts: student, from, to, restored, url
    cookies: dict = field(default_factory=dict)             # student -> its browser cookies


@dataclass
class Config:
    sessions: int = 30
    duration: float = 180.0
    think: tuple = (5.0, 10.0)
    open_spread: float = 10.0
    seed: int = 0
    min_interactions: int = 1
    max_interactions: int = 10_000
    typist_every: int = 4                 # students k % typist_every == 0 type new sentences
    reconnect: bool = False
    timeout: float = 60.0


async def _act(s: ProxySession, key: str, value) -> object:
    if key in ("normalization", "scope"):
        return await s.choose(key, SENTENCE[key].label_of(value))
    return await s.set(key, value)


async def _open(base: str, page: str, query: str, cfg: Config, stats: Stats, k: int,
                cookies: Optional[dict] = None) -> tuple[ProxySession, object]:
    s = ProxySession(base, page, query, timeout=cfg.timeout, cookies=cookies)
    await s.__aenter__()
    stats.upstreams.setdefault(k, []).append(s.upstream)
    stats.frame_headers[k] = s.frame_headers
    stats.cookies[k] = dict(s.cookies)
    return s, await s.open()


async def student(base: str, k: int, cfg: Config, stats: Stats, t_end: float) -> None:
    rng = random.Random(cfg.seed * 1000 + k)
    _title, page, query = lesson_link(k)
    typist = k % cfg.typist_every == 0
    await asyncio.sleep(rng.uniform(0, cfg.open_spread))
    s = None
    try:
        try:
            s, res = await _open(base, page, query, cfg, stats, k)
            if not res.ok:
                raise AssertionError(f"status={res.status} exceptions={res.exceptions}")
            state = url_state(s.query)
            last = chart_values(res)
            check_mechanism(last, state)
        except Exception as e:  # noqa: BLE001 - every failure is counted and reported
            stats.errors.append(f"s{k} open {page}?{query[:60]}: {type(e).__name__}: {e}")
            return
        stats.opened += 1
        stats.open_s.append(res.seconds)
        done = 0
        while done < cfg.max_interactions and (time.monotonic() < t_end or done < cfg.min_interactions):
            await asyncio.sleep(rng.uniform(*cfg.think))
            key, value = next_action(rng, state, last.shape[1], typist, first=done == 0)
            for attempt in (1, 2):
                try:
                    res = await _act(s, key, value)
                    break
                except DROPPED as e:
                    if not cfg.reconnect or attempt == 2:
                        raise AssertionError(f"connection lost: {type(e).__name__}: {e}") from e
                    s, last = await _reconnect(base, page, s, last, k, cfg, stats)
            try:
                stats.latency.append((key, res.seconds))
                stats.bytes += res.n_bytes
                if not res.ok:
                    raise AssertionError(f"status={res.status} exceptions={res.exceptions}")
                check_url(s.query, key, value)
                state = url_state(s.query)
                last = chart_values(res)
                check_mechanism(last, state)
            except Exception as e:  # noqa: BLE001
                stats.errors.append(f"s{k} {key}={str(value)[:40]!r}: {type(e).__name__}: {e}")
            done += 1
        stats.completed += 1
    except Exception as e:  # noqa: BLE001
        stats.errors.append(f"s{k}: {type(e).__name__}: {e}")
    finally:
        if s is not None:
            try:
                await s.__aexit__(None, None, None)
            except Exception:  # noqa: BLE001 - already closed by a dead replica
                pass


async def _reconnect(base, page, old: ProxySession, last: np.ndarray, k: int, cfg: Config,
                     stats: Stats) -> tuple[ProxySession, np.ndarray]:
    """The browser's reconnect after its replica died: same cookies, the last URL; the restored
    chart must equal the last one shown."""
    try:
        await old.__aexit__(None, None, None)
    except Exception:  # noqa: BLE001
        pass
    event = {"student": k, "from": old.upstream, "url": old.query}
    for wait in (0.5, 1, 2, 4, 8):               # the browser retries with a back-off too
        try:
            s, res = await _open(base, page, old.query, cfg, stats, k, cookies=old.cookies)
            break
        except DROPPED:
            await asyncio.sleep(wait)
    else:
        raise AssertionError("could not reconnect")
    z = chart_values(res) if res.ok else None
    event.update(to=s.upstream, ok=res.ok, seconds=round(res.seconds, 3),
                 restored=z is not None and z.shape == last.shape and np.allclose(z, last, equal_nan=True))
    stats.reconnects.append(event)
    if not event["restored"]:
        raise AssertionError(f"after reconnecting, the view is not the one the URL held: {event}")
    return s, z


def run_async(make_coro: Callable[[], Awaitable]):
    """Run the coroutine ``make_coro()`` to completion in a worker thread (see stclient.run)."""
    from stclient import run

    async def main():
        return await make_coro()
    return run(main())


# ----------------------------------------------------------------------------- server metrics
def rss_kb(pid: int, field_name: str = "VmRSS") -> Optional[int]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> Optional[float]:
    try:
        parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


class Sampler:
    """Peak RSS (sampled every 0.25 s) and CPU seconds of the server processes ``pids``."""

    def __init__(self, pids):
        self.pids = list(pids)
        self.peak = {p: rss_kb(p) or 0 for p in self.pids}
        self.cpu0 = {p: cpu_seconds(p) for p in self.pids}
        self.cpu_last = dict(self.cpu0)
        self._done = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._done.wait(0.25):
            for p in self.pids:
                self.peak[p] = max(self.peak[p], rss_kb(p) or 0)
                c = cpu_seconds(p)
                if c is not None:
                    self.cpu_last[p] = c

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._done.set()
        self._t.join()

    def cpu(self) -> Optional[float]:
        vals = [self.cpu_last[p] - self.cpu0[p] for p in self.pids if self.cpu0[p] is not None
                and self.cpu_last[p] is not None]
        return sum(vals) if vals else None


# ----------------------------------------------------------------------------- the run
def quantile(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def run_class(base_url: str, cfg: Config, pids=(),
              chaos: Optional[Callable[[Stats], Awaitable]] = None) -> dict:
    """Run the class against ``base_url``; returns the report (see :func:`report`).  ``pids``: the
    server processes to measure (RSS, CPU).  ``chaos``: a coroutine run alongside the students
    (e.g. killing a replica once every session is open)."""
    stats = Stats()

    async def everyone():
        t_end = time.monotonic() + cfg.duration          # the opens are part of the duration
        jobs = [student(base_url, k, cfg, stats, t_end) for k in range(cfg.sessions)]
        if chaos is not None:
            jobs.append(chaos(stats))
        await asyncio.gather(*jobs)

    from stclient import run
    with Sampler(pids) as sampler:
        t0 = time.perf_counter()
        run(everyone())
        wall = time.perf_counter() - t0
    return report(stats, cfg, wall, sampler)


def report(stats: Stats, cfg: Config, wall: float, sampler: Sampler) -> dict:
    lat = [s for _k, s in stats.latency]
    n = len(lat)
    cpu = sampler.cpu()
    peak = {p: round(kb / 1024) for p, kb in sampler.peak.items()}
    hwm = {p: (rss_kb(p, "VmHWM") or 0) // 1024 for p in sampler.pids}
    by_key: dict[str, list] = {}
    for k, s in stats.latency:
        by_key.setdefault(k, []).append(s)
    r3 = lambda x: None if x is None or x != x else round(x, 3)  # noqa: E731
    return {
        "sessions": cfg.sessions, "duration_s": cfg.duration, "think_s": list(cfg.think), "seed": cfg.seed,
        "wall_s": round(wall, 1), "opened": stats.opened, "completed": stats.completed,
        "interactions": n, "interactions_per_s": round(n / wall, 2) if wall else None,
        "errors": len(stats.errors), "first_errors": stats.errors[:10],
        "latency_s": {"p50": r3(quantile(lat, .5)), "p95": r3(quantile(lat, .95)),
                      "p99": r3(quantile(lat, .99)), "max": r3(max(lat) if lat else None),
                      "mean": r3(statistics.fmean(lat) if lat else None)},
        "latency_by_widget_p50_s": {k: r3(statistics.median(v)) for k, v in sorted(by_key.items())},
        "open_s": {"p50": r3(quantile(stats.open_s, .5)), "p95": r3(quantile(stats.open_s, .95)),
                   "max": r3(max(stats.open_s) if stats.open_s else None)},
        "server_peak_rss_mb": peak, "server_rss_hwm_mb": hwm,
        "server_cpu_s": round(cpu, 1) if cpu is not None else None,
        "server_cpu_ms_per_interaction": round(1000 * cpu / (n + stats.opened)) if cpu and n else None,
        "received_mb": round(stats.bytes / 2**20, 1),
        "replicas_seen": sorted({u for us in stats.upstreams.values() for u in us if u}),
        "reconnects": len(stats.reconnects), "cores": os.cpu_count(),
        "_stats": stats,
    }
