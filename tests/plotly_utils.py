"""AppTest helpers: run a page with URL parameters; read Plotly figure data back out of a chart."""
import base64
import json

import numpy as np

_DT = {"f4": np.float32, "f8": np.float64, "i1": np.int8, "u1": np.uint8, "i2": np.int16,
       "u2": np.uint16, "i4": np.int32, "u4": np.uint32, "u1c": np.uint8}


def decode(obj):
    """Plotly 7 typed array ``{"dtype", "bdata", "shape"}`` (or a plain list) -> numpy."""
    if isinstance(obj, dict) and "bdata" in obj:
        a = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=_DT[obj["dtype"]])
        if "shape" in obj:
            a = a.reshape([int(s) for s in str(obj["shape"]).split(",")])
        return a
    return np.array(obj, dtype=float if obj and not isinstance(obj[0], str) else object)


def chart_spec(at, index=0, key=None):
    """The Plotly JSON of the index-th chart (or the one whose element id ends with ``key``)."""
    charts = at.get("plotly_chart")
    if key is not None:
        charts = [c for c in charts if c.proto.id.endswith(f"-{key}")]
    return json.loads(charts[index].proto.spec)


def trace_array(at, attr="z", trace=0, index=0, key=None):
    spec = chart_spec(at, index, key)
    return decode(spec["data"][trace][attr])


def run_page(path, timeout: int = 90, **query):
    """``AppTest`` of the page file ``path`` opened with ``query`` as its URL parameters,
    run once and checked to have raised nothing."""
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(path), default_timeout=timeout)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def markdown_table(at, header: str) -> dict:
    """The Markdown table (``ui.charts.number_table``) whose header row names ``header``:
    column name -> list of cells (floats where they parse)."""
    for m in at.markdown:
        lines = [l for l in m.value.splitlines() if l.startswith("|")]
        if len(lines) >= 2 and header in lines[0]:
            names = [c.strip() for c in lines[0].strip("|").split(" | ")]
            rows = [[c.strip() for c in l.strip("|").split(" | ")] for l in lines[2:]]

            def num(c):
                try:
                    return float(c)
                except ValueError:
                    return c
            return {n: [num(r[i]) for r in rows] for i, n in enumerate(names)}
    raise AssertionError(f"no table with {header!r}")
