"""The date translators on the hand-written typed dates (tests/data/typed_dates.tsv), through the
Translate page's own path (:func:`features.translate.compute.read`): screen -> decode under the
locale tag -> calendar check -> calibrated unsure flag.

    python -m tests.translate_typed_eval            # all shipped variants -> weights/translate/typed_eval.json

A row counts as right when
* its answer is a date: the page presents exactly that date as the translation;
* its answer is two dates (``a|b``, locale auto): the page offers both readings;
* its answer is ``invalid`` / ``out_of_range`` / ``not_a_date`` / ``unsupported_language``: the
  page presents no date (it refuses with a message, or shows that the model's output is not a
  date).
The unsure flag is scored on the answers the page offers (a date, or two readings): precision =
wrong among flagged, recall = flagged among wrong.  ``warned`` scores the page as a whole on the
rows that name a date and were decoded: of the model's wrong decodings, the share the page did
not present as a plain answer (withheld as "not a date" / "not the date you typed", or offered
with the unsure flag), and of the right ones, the share flagged.  Test data only: nothing on the
training side reads this file or these results.
"""
from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

TOKENS = ("invalid", "out_of_range", "not_a_date", "unsupported_language")
ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "weights" / "translate" / "typed_eval.json"


def score_row(row: dict, ans) -> dict:
    """One row's outcome for an :class:`features.translate.compute.Answer`."""
    exp = row["expected"]
    offered = ans.offered
    if exp in TOKENS:
        ok = not offered
    elif "|" in exp:
        ok = tuple(sorted(offered)) == tuple(exp.split("|"))
    else:
        ok = ans.presented == exp
    return {"line": row["line"], "kind": row["kind"], "locale": row["locale"], "text": row["text"],
            "expected": exp, "offered": list(offered), "ok": bool(ok),
            "refused": ans.screen.kind, "invalid_output": ans.invalid,
            "flagged": bool(offered) and ans.unsure,
            "output": None if ans.main is None else ans.main.output,
            "decoded_wrong": _decoded_wrong(row, ans)}


def _decoded_wrong(row: dict, ans) -> "bool | None":
    """For a row that names a date and was decoded: did the model write something else (under
    ``auto`` on an ambiguous date: not both readings)?  None for the other rows."""
    exp = row["expected"]
    if exp in TOKENS or ans.main is None:
        return None
    trs = [t for _, t in ans.readings] if ans.readings else [ans.main]
    return sorted(t.output for t in trs) != sorted(exp.split("|"))


def summarize(per: list) -> dict:
    """Accuracy overall and by kind; the unsure flag's precision and recall."""
    by = defaultdict(lambda: [0, 0])
    for p in per:
        by[p["kind"]][0] += p["ok"]
        by[p["kind"]][1] += 1
    offered = [p for p in per if p["offered"]]
    wrong = [p for p in offered if not p["ok"]]
    right = [p for p in offered if p["ok"]]
    flagged = [p for p in offered if p["flagged"]]
    tp = sum(p["flagged"] for p in wrong)
    dec = [p for p in per if p["decoded_wrong"] is not None]
    dw = [p for p in dec if p["decoded_wrong"]]
    dr = [p for p in dec if not p["decoded_wrong"]]
    warned = [p for p in dw if not p["offered"] or p["flagged"]]
    return {
        "accuracy": round(sum(p["ok"] for p in per) / len(per), 4), "n": len(per),
        "right": sum(p["ok"] for p in per),
        "by_kind": {k: [a, n] for k, (a, n) in sorted(by.items())},
        "offered": len(offered), "offered_wrong": len(wrong),
        "non_date_presented": sum(1 for p in per if p["expected"] in TOKENS and p["offered"]),
        "unsure": {"flagged": len(flagged), "flagged_wrong": tp,
                   "recall": round(tp / len(wrong), 4) if wrong else None,
                   "precision": round(tp / len(flagged), 4) if flagged else None,
                   "flagged_right_share": round(sum(p["flagged"] for p in right) / len(right), 4)
                   if right else None},
        "warned": {"decoded": len(dec), "wrong_decodings": len(dw),
                   "withheld": sum(1 for p in dw if not p["offered"]),
                   "flagged": sum(1 for p in dw if p["offered"] and p["flagged"]),
                   "recall": round(len(warned) / len(dw), 4) if dw else None,
                   "right_flagged_share": round(sum(p["flagged"] for p in dr) / len(dr), 4) if dr else None},
    }


def evaluate(m, card, rows=None) -> tuple[dict, list]:
    """(summary, per-row outcomes) of model ``m`` (with its ``card``) on the typed rows."""
    from features.translate.compute import read
    from tests.test_typed_dates_file import load_typed_dates
    rows = load_typed_dates() if rows is None else rows
    per = [score_row(r, read(m, card, r["text"], r["locale"])) for r in rows]
    return summarize(per), per


def main(argv=None) -> int:
    import torch
    torch.set_num_threads(1)
    from attention.models import seq2seq
    names = list(argv if argv else seq2seq.VARIANTS.names())
    data = json.loads(OUT.read_text(encoding="utf-8")) if OUT.is_file() else {}
    after = data.setdefault("after", {})
    for v in names:
        m, card = seq2seq.load(v)
        summary, per = evaluate(m, card)
        summary["wrong_rows"] = [{k: p[k] for k in ("line", "text", "locale", "expected", "offered",
                                                     "output", "refused")}
                                 for p in per if not p["ok"]]
        summary["babel_widths"] = {w: x["all"] for w, x in card.get("babel_widths", {}).items()}
        after[v] = summary
        print(v, summary["accuracy"], summary["unsure"], flush=True)
    data["rules"] = __doc__.split("A row counts")[1].split("Test data only")[0].strip()
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
