"""``python -m training <task> [options]``: a small dispatcher.

    python -m training translate --variant all|<name> [--steps N] [--seed S]
    python -m training caption ...

Each task's module is imported only when asked for and parses its own options
(``training.<task>.main(argv)``).
"""
from __future__ import annotations

import importlib
import sys

TASKS = {
    "translate": "training.translate",   # date-format translation, one model per attention type
    "caption": "training.caption",       # digit-string captioning (Show, Attend and Tell)
    "listen": "training.listen",         # spoken digit strings (Listen, Attend and Spell)
}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in TASKS:
        print(__doc__.strip())
        if argv and argv[0] not in ("-h", "--help"):
            print(f"\nunknown task {argv[0]!r}; choose one of: {', '.join(TASKS)}", file=sys.stderr)
            return 2
        return 0
    module = importlib.import_module(TASKS[argv[0]])
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
