"""A minimal Streamlit websocket client: what a browser tab does, without the browser.

Streamlit (1.67) talks protobuf over one websocket, ``/_stcore/stream``:

* the client sends ``BackMsg.rerun_script`` (a ``ClientState``: page name, query string
  and the value of every widget), exactly what the browser's widget manager sends
  after each interaction;
* the server answers with a stream of ``ForwardMsg``: ``new_session``, ``delta``
  (one element or block each), ... and finally ``script_finished``.

One :class:`Session` = one browser tab (one server-side session).  It learns the
widget ids from the deltas (``$$ID-<hash>-<key>`` for keyed widgets); an interaction
is "set one widget's value, send every value this client has set, wait for
``script_finished``" (widgets the client never touched keep their server-side value,
as they would in the browser), and it records what a user would have seen: alerts,
exception boxes, Plotly charts.  Only loopback servers are meant here.
"""
from __future__ import annotations

import asyncio
import base64
import http.cookies
import json
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Optional

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import connect

FINISHED_OK = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)
WIDGET_KINDS = ("text_area", "text_input", "radio", "selectbox", "slider", "checkbox", "toggle",
                "number_input", "multiselect", "button", "plotly_chart", "download_button")


@dataclass
class RunResult:
    """What one script run showed (the "screen" after an interaction)."""
    status: Optional[int] = None                 # ForwardMsg.ScriptFinishedStatus
    seconds: float = 0.0
    alerts: list[tuple[str, str]] = field(default_factory=list)     # (format, markdown body)
    exceptions: list[str] = field(default_factory=list)             # st.exception / error boxes
    charts: list[dict] = field(default_factory=list)                # Plotly figure specs (parsed)
    n_messages: int = 0
    n_bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.status in FINISHED_OK and not self.exceptions


class Session:
    """One browser-like session.  ``async with Session(base, "sentence") as s: await s.open()``."""

    def __init__(self, base_url: str, page: str, query: str = "", timeout: float = 120.0):
        self.base = base_url.rstrip("/")
        self.page, self.query, self.timeout = page, query, timeout
        self.widgets: dict[str, WidgetState] = {}      # id -> value this client set
        self.kinds: dict[str, str] = {}                # id -> element kind ("slider", ...)
        self.options: dict[str, list[str]] = {}        # id -> displayed options (radio, selectbox)
        self.session_id: Optional[str] = None          # the server's id for this session
        self.xsrf: Optional[str] = None                # the _streamlit_xsrf cookie value
        self._ws = None

    # -- connection ------------------------------------------------------------
    async def __aenter__(self) -> "Session":
        self.xsrf = xsrf = await asyncio.to_thread(self._xsrf_cookie)
        host = self.base.split("://", 1)[1]
        headers = {"Origin": self.base}
        if xsrf:
            headers["Cookie"] = f"_streamlit_xsrf={xsrf}"
        self._ws = await connect(f"ws://{host}/_stcore/stream", additional_headers=headers,
                                 subprotocols=["streamlit", xsrf] if xsrf else ["streamlit"],
                                 max_size=64 * 2**20, open_timeout=self.timeout, ping_interval=None)
        return self

    async def __aexit__(self, *exc) -> None:
        if self._ws is not None:
            await self._ws.close()

    def _xsrf_cookie(self) -> Optional[str]:
        """GET /_stcore/health as the browser does: it sets the ``_streamlit_xsrf`` cookie."""
        with urllib.request.urlopen(self.base + "/_stcore/health", timeout=self.timeout) as r:
            for h in r.headers.get_all("Set-Cookie") or []:
                c = http.cookies.SimpleCookie(h)
                if "_streamlit_xsrf" in c:
                    return c["_streamlit_xsrf"].value
        return None

    # -- protocol -----------------------------------------------------------------
    async def _rerun(self) -> RunResult:
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_name = self.page
        cs.context_info.url = f"{self.base}/{self.page}" + (f"?{self.query}" if self.query else "")
        cs.context_info.timezone = "UTC"
        cs.context_info.locale = "en-US"
        for w in self.widgets.values():
            if w.WhichOneof("value") in (None, "trigger_value", "json_trigger_value", "string_trigger_value"):
                continue                       # triggers fire once; never resend them
            cs.widget_states.widgets.append(w)
        t0 = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        res = RunResult()
        while True:
            data = await asyncio.wait_for(self._ws.recv(), timeout=self.timeout)
            fm = ForwardMsg()
            fm.ParseFromString(data)
            res.n_messages += 1
            res.n_bytes += len(data)
            kind = fm.WhichOneof("type")
            if kind == "new_session":
                self.session_id = fm.new_session.initialize.session_id or self.session_id
            elif kind == "delta":
                self._read_delta(fm.delta, res)
            elif kind == "page_info_changed":
                self.query = fm.page_info_changed.query_string     # the page rewrote its URL
            elif kind == "script_finished":
                if fm.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    # the page called st.rerun(): what it drew is replaced by the next run
                    res.alerts, res.exceptions, res.charts = [], [], []
                    continue
                res.status = fm.script_finished
                res.seconds = time.perf_counter() - t0
                return res

    def _read_delta(self, delta, res: RunResult) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        kind = el.WhichOneof("type")
        if kind == "alert":
            res.alerts.append((str(el.alert.format), el.alert.body))
            if "something went wrong" in el.alert.body.lower():
                res.exceptions.append(el.alert.body)
        elif kind == "exception":
            res.exceptions.append(f"{el.exception.type}: {el.exception.message}")
        elif kind == "plotly_chart":
            spec = el.plotly_chart.spec
            res.charts.append(json.loads(spec) if spec else {})
            self._remember(kind, el.plotly_chart)
        elif kind in WIDGET_KINDS:
            self._remember(kind, getattr(el, kind))

    def _remember(self, kind: str, proto: Any) -> None:
        wid = getattr(proto, "id", "")
        if wid:
            self.kinds[wid] = kind
            if kind in ("radio", "selectbox"):
                self.options[wid] = list(proto.options)

    # -- user actions ------------------------------------------------------------------
    def widget_id(self, key: str) -> str:
        """The id of the widget created with ``key=key``."""
        for wid in self.kinds:
            if wid.endswith(f"-{key}"):
                return wid
        raise KeyError(f"no widget with key {key!r} on page {self.page!r} (have {sorted(self.kinds)})")

    async def open(self) -> RunResult:
        """The first page load."""
        return await self._rerun()

    async def choose(self, key: str, label_start: str) -> RunResult:
        """Pick the option of radio/selectbox ``key`` whose displayed label starts with ``label_start``."""
        opts = self.options.get(self.widget_id(key), [])
        match = [o for o in opts if o.startswith(label_start)]
        if len(match) != 1:
            raise KeyError(f"{key}: no single option starting with {label_start!r} in {opts}")
        return await self.set(key, match[0])

    async def set(self, key: str, value: Any) -> RunResult:
        """Set the widget ``key`` (text: str, radio/selectbox: the displayed label,
        slider: a number) and rerun, as a user's interaction does."""
        wid = self.widget_id(key)
        w = WidgetState(id=wid)
        if isinstance(value, str):
            w.string_value = value
        elif isinstance(value, bool):
            w.bool_value = value
        elif isinstance(value, (int, float)):
            w.double_array_value.data.append(float(value))
        else:
            raise TypeError(f"unsupported value {value!r}")
        self.widgets[wid] = w
        return await self._rerun()


def run(coro):
    """``asyncio.run(coro)`` in a worker thread: Playwright's sync API (the ``browser``
    fixture) keeps an event loop running in the main thread, where asyncio.run refuses."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def plotly_array(spec: Any):
    """A Plotly array as numpy: Plotly 7 sends numpy arrays as ``{"dtype", "bdata", "shape"}``."""
    import numpy as np
    if isinstance(spec, dict) and "bdata" in spec:
        a = np.frombuffer(base64.b64decode(spec["bdata"]), dtype=np.dtype(spec["dtype"]))
        shape = spec.get("shape")
        if shape:
            a = a.reshape([int(v) for v in str(shape).split(",")])
        return a
    return np.asarray(spec, dtype=float)
