import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")          # nothing is downloaded, ever
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Property tests draw the same examples on every run (CI included): a failure reproduces, and a
# green suite does not turn red on a lucky draw.  HYPOTHESIS_PROFILE=explore draws new ones.
from hypothesis import settings as _hyp  # noqa: E402

_hyp.register_profile("ci", derandomize=True, database=None, print_blob=True)
_hyp.register_profile("explore", derandomize=False)
_hyp.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def minilm():
    from attention.models.minilm import MiniLM
    return MiniLM.load()


@pytest.fixture(scope="session")
def hf_model():
    """transformers' own BERT with eager attention: the reference for attention weights."""
    from transformers import AutoModel

    from attention.models.minilm import model_dir
    return AutoModel.from_pretrained(str(model_dir()), attn_implementation="eager").eval()


@pytest.fixture(scope="session")
def browser():
    """Debian's /usr/bin/chromium driven by Playwright (never a downloaded browser), one per
    pytest session, shared by tests/e2e and tests/load (two sync Playwrights in one process
    clash).  Skipped, with the reason, only if chromium is missing."""
    e2e = str(ROOT / "tests" / "e2e")
    if e2e not in sys.path:
        sys.path.insert(0, e2e)
    import stbrowser as S
    if not os.path.exists(S.CHROMIUM):
        pytest.skip(f"{S.CHROMIUM} is missing: install Debian's chromium (./scripts/test.sh does)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=S.CHROMIUM, args=S.CHROMIUM_ARGS)
        yield b
        b.close()
