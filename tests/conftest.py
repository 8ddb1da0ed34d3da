import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")          # nothing is downloaded, ever
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def minilm():
    from attention.text import MiniLM
    return MiniLM.load()


@pytest.fixture(scope="session")
def hf_model():
    """transformers' own BERT with eager attention: the reference for attention weights."""
    from transformers import AutoModel

    from attention.text import model_dir
    return AutoModel.from_pretrained(str(model_dir()), attn_implementation="eager").eval()
