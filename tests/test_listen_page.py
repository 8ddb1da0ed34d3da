"""The Listen page in AppTest: a shipped clip, typed digits spoken by eSpeak NG, an upload, a
second model side by side, a chosen digit, and bad audio (silence, noise, a 10-minute file, a
corrupt or renamed file) that keeps the previous result; stereo 48 kHz is resampled.  Every map
drawn is checked against the model's own decoding."""
from __future__ import annotations

import io
import wave as W
from pathlib import Path

import numpy as np
import pytest

from attention.models import audio as A
from attention.models import espeak as E
from attention.models import listener as L
from tests.plotly_utils import chart_spec, decode, run_page

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "listen.py")
SHIPPED = [v for v in L.VARIANTS if (L.WEIGHTS_DIR / f"{v}.safetensors").is_file()]
pytestmark = pytest.mark.skipif(len(SHIPPED) < len(L.VARIANTS), reason="listeners not shipped")


@pytest.fixture(scope="module")
def models():
    return {v: L.load(v)[0] for v in SHIPPED}


def wav_bytes(wave: np.ndarray, rate: int) -> bytes:
    """16-bit PCM WAV of ``wave`` ``(n,)`` or ``(n, channels)``."""
    x = np.asarray(wave, dtype=np.float32)
    x = x[:, None] if x.ndim == 1 else x
    buf = io.BytesIO()
    with W.open(buf, "wb") as f:
        f.setnchannels(x.shape[1])
        f.setsampwidth(2)
        f.setframerate(rate)
        f.writeframes(np.clip(np.round(x * 32767), -32768, 32767).astype("<i2").tobytes())
    return buf.getvalue()


def clip(digits: str):
    return next(c for c in L.clips()[0] if c.digits == digits)


def alignment_z(at, key="picture") -> np.ndarray:
    """The alignment heatmap of a chart (the heatmap whose y axis is the output steps)."""
    spec = chart_spec(at, key=key)
    maps = [t for t in spec["data"] if t.get("type") == "heatmap" and t.get("yaxis", "y") in ("y3", "y")
            and "colorbar" in t]
    return np.nan_to_num(decode(maps[-1]["z"]).astype(float), nan=0.0)


def heard(at) -> str:
    for h in at.get("html"):
        v = h.proto.body if hasattr(h, "proto") else ""
        if "digits heard:" in v:
            return v.split("digits heard: ", 1)[1].split("'", 1)[0].replace(" ", "")
    raise AssertionError("no 'heard' line")


def warnings(at) -> list[str]:
    return [w.value for w in at.warning]


def test_default_view_reads_the_7777_clip_with_the_location_model(models):
    at = run_page(PAGE, 120)
    wave, rate = clip("7777").read()
    tr = models["location"].transcribe(wave, rate)
    assert np.allclose(alignment_z(at), tr.weights, atol=1e-5)       # the weights used to decode
    assert heard(at) == tr.output.replace("", "").strip()
    assert len(at.get("audio")) == 2                                  # the segment and the whole


@pytest.mark.parametrize("variant", ["content", "windowed"])
def test_switching_the_attention_type_switches_the_model(models, variant):
    at = run_page(PAGE, 120, variant=variant, clip="3519")
    wave, rate = clip("3519").read()
    tr = models[variant].transcribe(wave, rate)
    assert np.allclose(alignment_z(at), tr.weights, atol=1e-5)
    assert heard(at) == tr.output


@pytest.mark.skipif(not E.available(), reason="espeakng-loader is not installed")
def test_typed_digits_are_synthesized_and_read(models):
    at = run_page(PAGE, 120, source="type", digits="3 5 1", voice="en+m3", rate="140")
    from features.listen import compute
    audio, problem = compute.synth_audio("3 5 1", "en+m3", 140)
    assert problem is None and audio.digits == "351" and audio.truth.shape == (3, 2)
    tr = models["location"].transcribe(audio.wave, audio.rate)
    assert np.allclose(alignment_z(at), tr.weights, atol=1e-5)
    assert heard(at) == tr.output
    assert not warnings(at)


def test_typed_text_that_is_not_digits_gets_a_message():
    at = run_page(PAGE, 120, source="type", digits="seven")
    assert any("Only the digits" in w for w in warnings(at))
    assert any("Showing a test recording meanwhile" in w for w in warnings(at))
    assert heard(at)                                                  # the page still shows a result


def _upload(at, name: str, data: bytes):
    at.file_uploader(key="upload").set_value((name, data, "application/octet-stream")).run()
    assert not at.exception, at.exception
    return at


def test_upload_then_bad_audio_keeps_the_previous_result(models):
    at = run_page(PAGE, 120, source="upload")
    assert any("Choose a file" in i.value for i in at.info) and heard(at)   # a test clip meanwhile
    wave, rate = clip("3519").read()
    _upload(at, "mine.wav", wav_bytes(wave, rate))
    good = models["location"].transcribe(wave, rate)
    assert np.allclose(alignment_z(at), good.weights, atol=1e-5)
    rng = np.random.default_rng(0)
    bad = {
        "silence.wav": (wav_bytes(np.zeros(16000), 8000), "silent"),
        "noise.wav": (wav_bytes(0.3 * rng.standard_normal(3 * 8000), 8000), "no speech"),
        "long.wav": (wav_bytes(np.zeros(10 * 60 * 8000), 8000), "10.0 minutes"),
        "corrupt.wav": (b"RIFF\x10\x00\x00\x00WAVEfmt " + bytes(rng.integers(0, 256, 300, dtype=np.uint8)),
                        "not audio"),
        "picture.mp3": (b"\x89PNG\r\n\x1a\n" + bytes(200), "not audio"),
        "empty.ogg": (b"", "empty"),
    }
    for name, (data, word) in bad.items():
        _upload(at, name, data)
        msgs = warnings(at)
        assert any(word in m.lower() and "Still showing the previous recording" in m for m in msgs), (name, msgs)
        assert np.allclose(alignment_z(at), good.weights, atol=1e-5), name


def test_the_previous_recording_name_is_echoed_as_code(models):
    """An uploaded file's name is echoed in the bad-audio message as inline code: Markdown in
    it (a link, bold) is shown as typed, not rendered."""
    wave, rate = clip("3519").read()
    at = run_page(PAGE, 120, source="upload")
    name = "**x**[y](http://e.invalid).wav"
    _upload(at, name, wav_bytes(wave, rate))
    _upload(at, "silence.wav", wav_bytes(np.zeros(16000), 8000))
    msgs = [m for m in warnings(at) if "Still showing the previous recording" in m]
    assert msgs and f"(`your file {name}`)" in msgs[0], msgs


def test_stereo_48khz_upload_is_resampled(models):
    wave, rate = clip("20468135").read()
    up = A.resample(wave, rate, 48000)
    at = run_page(PAGE, 120, source="upload")
    _upload(at, "stereo.wav", wav_bytes(np.stack([up, 0.8 * up], axis=1), 48000))
    assert not warnings(at)
    captions = " ".join(c.value for c in at.caption)
    assert "2 channels were averaged" in captions and "48,000 Hz" in captions
    tr = models["location"].transcribe(np.stack([up, 0.8 * up], axis=1), 48000)
    assert heard(at) == tr.output
    assert np.allclose(alignment_z(at), tr.weights, atol=1e-4)


def test_compare_two_models_side_by_side(models):
    at = run_page(PAGE, 120, clip="7777", compare="content")
    wave, rate = clip("7777").read()
    for key, v in (("cmp_a", "location"), ("cmp_b", "content")):
        tr = models[v].transcribe(wave, rate)
        assert np.allclose(alignment_z(at, key), tr.weights, atol=1e-5), v


def test_a_chosen_digit_shows_its_weights_and_segment(models):
    at = run_page(PAGE, 120, clip="3519", row="2")
    wave, rate = clip("3519").read()
    tr = models["location"].transcribe(wave, rate)
    spec = chart_spec(at, key="detail")
    bars = next(t for t in spec["data"] if t["type"] == "bar")
    assert np.allclose(decode(bars["y"]).astype(float), tr.weights[2], atol=1e-5)
    a, b = tr.segment(2)
    shaded = [s for s in spec["layout"]["shapes"] if s.get("fillcolor")]
    assert shaded and abs(shaded[0]["x0"] - a) < 1e-6 and abs(shaded[0]["x1"] - b) < 1e-6
    md = " ".join(m.value for m in at.markdown)
    assert f"{a:.2f}–{b:.2f} s" in md


def test_accuracy_tables_are_the_cards():
    from features.listen import compute
    at = run_page(PAGE)
    rows = compute.accuracy_rows()
    scores, flag = at.dataframe[-2].value, at.dataframe[-1].value      # two tables: no scroll at 1280 px
    assert len(scores) == len(flag) == len(rows) == len(SHIPPED)
    assert list(flag.columns) == ["attention (model)", "unsure: precision", "unsure: recall", "CPU s"]
    for r, (_, s), (_, f) in zip(rows, scores.iterrows(), flag.iterrows()):
        assert s["attention (model)"] == f["attention (model)"] == r["attention (model)"]
        for k in scores.columns[1:]:                                   # shares shown in percent to 0.1
            assert s[k] == pytest.approx(100 * r[k], abs=0.051)
        assert f["unsure: recall"] == pytest.approx(100 * r["unsure: recall"], abs=0.051)
        assert f["CPU s"] == r["CPU s"]
