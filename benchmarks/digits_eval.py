"""The digit captioners on the independent evaluation sets (tests/digit_eval.py), through the
page's whole path (picture -> preprocess -> check_input -> greedy decode).

    python benchmarks/digits_eval.py                          # print the table (both orders)
    python benchmarks/digits_eval.py --write-cards            # also store it in each card's "eval"
    python benchmarks/digits_eval.py --write-cards --photos 1000 --out benchmarks/results/digits_eval.json
                                       # + 1,000 more photos (seed 12), the cards' "more_photos"
    python benchmarks/digits_eval.py --variant soft --order left_to_right --photos 1000 --misses /tmp/misses
                                       # pictures of the strings read wrong, per set

Sets (fixed seeds, see ``tests/caption_eval.SET_ARGS``): ``mnist`` = 300 four-digit strings of
real MNIST digits from the writer group held out of training (skipped when ../shared/data/mnist
is missing), ``strokes`` = 300 four-digit canvas drawings in a stroke font kept only in tests,
``photos`` = 200 simulated phone photos (3-6 digits).  Training never imports any of this; the
numbers reach the cards only through this script.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from attention.models import captioner  # noqa: E402
from tests import caption_eval as CE  # noqa: E402


def evaluate(model, card: dict, order: str, sets, inputs, threshold=None, misses: Path = None) -> dict:
    """Scores of one shipped model (and its card) on every set (``inputs``: set -> prepared model
    inputs); with ``misses`` (a path prefix), a picture of each set's misreadings in
    ``<misses>_<set>.png`` (``CE.miss_sheet``)."""
    thr = threshold if threshold is not None else card.get("calibration", {}).get("threshold")
    out = {}
    for name, items in sets.items():
        truths = [t for t, _ in items]
        reads = CE.read_all(model, None, inputs=inputs[name])
        s = CE.score(truths, reads, order)
        if misses is not None:
            misses.parent.mkdir(parents=True, exist_ok=True)
            CE.miss_sheet(truths, reads, inputs[name], f"{misses}_{name}.png", order)
        if thr is not None:
            s["unsure"] = CE.unsure_quality(truths, reads, thr, order)
        out[name] = s
    return out


def points(model, order: str) -> dict:
    """Does the model's map point at the digit it reads (``CE.points_at_digit``)?"""
    got = CE.points_at_digit(model, order)
    return {"argmax": [round(float(x), 4) for x in got["argmax"]],
            "mass": [round(float(x), 4) for x in got["mass"]], "read": int(got["read"]),
            "n": CE.POINTS_ARGS["n"], "length": CE.POINTS_ARGS["length"], "what": CE.POINTS_WHAT}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--order", default="all", choices=("all",) + captioner.ORDERS)
    ap.add_argument("--variant", default="all", choices=("all",) + captioner.VARIANTS.names())
    ap.add_argument("--write-cards", action="store_true", help="store the results in each card's 'eval'")
    ap.add_argument("--out", type=Path, default=None, help="also write all results to this JSON file")
    ap.add_argument("--threshold", type=float, default=None,
                    help="'unsure' threshold (default: the card's calibrated one)")
    ap.add_argument("--photos", type=int, default=None, metavar="N",
                    help="also read N more simulated photos ('more_photos'; about 0.3 s each to make), "
                         "stored in each card's eval as 'more_photos' with --write-cards: the 115 four-digit "
                         "strings of the 200-photo set measure a 95%% target to about ±2 points (one standard "
                         "error), 1,000 photos (553 four-digit) to about ±1")
    ap.add_argument("--photos-seed", type=int, default=12, help="seed of the --photos set (the cards' set is 11)")
    ap.add_argument("--misses", type=Path, default=None, metavar="DIR",
                    help="also write, per model and set, a PNG of the strings read wrong (truth -> reading, "
                         "the model input at 3x): DIR/<order>_<variant>_<set>.png")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    t0 = time.perf_counter()
    sets = {s: CE.eval_set(s) for s in CE.available_sets()}
    set_args = {s: dict(CE.SET_ARGS[s]) for s in sets}
    if a.photos:
        sets["more_photos"] = tuple(CE.E.photo_set(n=a.photos, seed=a.photos_seed))
        set_args["more_photos"] = {"n": a.photos, "seed": a.photos_seed}
    if "mnist" not in sets:
        print(f"skipping the MNIST set: {CE.E.MNIST_SKIP_REASON}")
    inputs = {s: CE.prepare([img for _, img in items]) for s, items in sets.items()}
    print(f"sets built and preprocessed in {time.perf_counter() - t0:.0f} s")
    results = {}
    for order in captioner.ORDERS if a.order == "all" else (a.order,):
        for v in captioner.VARIANTS.names() if a.variant == "all" else (a.variant,):
            model, card = captioner.load(v, order=order)
            r = evaluate(model, card, order, sets, inputs, a.threshold,
                         misses=a.misses / f"{order}_{v}" if a.misses else None)
            line = "  ".join(f"{s}: exact {x['exact']:.3f} (4-digit {x['exact_4_digits'] or 0:.3f}, "
                             f"n={x['n_4_digits']}) per digit {x['per_digit']:.3f} refused {x['refused']:.3f}"
                             for s, x in r.items())
            print(f"{order}/{v}: {line}", flush=True)
            pad = points(model, order)
            results[f"{order}/{v}"] = {**r, "points_at_digit": pad}
            print(f"{order}/{v}: the map's brightest cell on the digit read, steps 1-4: "
                  + " / ".join(f"{x:.3f}" for x in pad["argmax"]), flush=True)
            if a.write_cards:
                _, cpath = captioner.card_path(v, captioner.weights_dir(order))
                card = json.loads(cpath.read_text())
                more = card.get("eval", {}).get("more_photos")          # kept when not measured again
                if "more_photos" in r:
                    more = {**set_args["more_photos"], "what": CE.SET_NAMES["more_photos"],
                            "results": r.pop("more_photos")}
                card["eval"] = {"sets": {s: {**set_args[s], "what": CE.SET_NAMES[s]} for s in r},
                                "results": r, **({"more_photos": more} if more else {}),
                                "points_at_digit": pad,
                                "how": "benchmarks/digits_eval.py: picture -> attention.models.digits."
                                       "preprocess -> check_input (refused = wrong) -> greedy decode"}
                cpath.write_text(json.dumps(card, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(json.dumps({"sets": set_args, "results": results},
                                    indent=1, default=list) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
