"""One list per trained task: the attention variants a task ships, each named once.

A :class:`Variant` is everything the app, the tests and training need to know about one model
of a task *except* its weights: its name (unique across tasks, so ``local_p`` never means two
things), a label for people, the options it passes to :func:`attention.attend`, one line saying
what it does, and the paper it follows.  A task keeps its variants in a :class:`Variants`
registry; page state (options and labels), view texts, cards, tests and the training CLI all
derive from that one list, so adding a variant is one entry (plus training it).

    >>> from attention.models.seq2seq import VARIANTS
    >>> VARIANTS.names()                       # ('bahdanau', 'luong', 'local_m', 'local_p', 'hard')
    >>> VARIANTS["local_p"].attend             # {'score': 'general', 'scope': 'local_p', ...}
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Mapping


@dataclass(frozen=True)
class Variant:
    """One trained attention variant of a task.

    name:        unique across every task (``bahdanau``, ``local_m``, ``local_p_2d``, ``location``).
    label:       how a page names it ("Local-p (predicted window)").
    attend:      the :func:`attention.attend` options the model passes at test time (score, scope,
                 normalization, window, grid ...); learned parameters are added by the model.
    description: one line: what this attention does in this task.
    paper:       the reference it follows ("Luong et al. 2015, eq. 9-10").
    formula:     LaTeX of its attention step, as the page shows it ("" = none).
    caption:     what one row of its map shows (the page's chart caption; ``{window}`` is filled
                 in with the model's window) ("" = the description).
    extra:       task-specific architecture switches (e.g. ``flow="luong"``, ``train_normalization``).
    """
    name: str
    label: str
    attend: Mapping = field(default_factory=dict)
    description: str = ""
    paper: str = ""
    formula: str = ""
    caption: str = ""
    extra: Mapping = field(default_factory=dict)

    @property
    def scope(self) -> str:
        return self.attend.get("scope", "global")

    @property
    def windowed(self) -> bool:
        """Whether this variant's scope needs a window (the core decides which scopes do)."""
        from ..masks import WINDOWED
        return self.scope in WINDOWED

    @property
    def hard(self) -> bool:
        return self.attend.get("normalization", "soft") in ("hard", "hard_sampled")

    def get(self, key: str, default=None):
        """An architecture switch from :attr:`extra`."""
        return self.extra.get(key, default)


class Variants:
    """An ordered registry ``name -> Variant`` of one task (iteration yields the names)."""

    def __init__(self, task: str, variants):
        self.task = task
        self._by: dict[str, Variant] = {}
        for v in variants:
            self.register(v)

    def register(self, v: Variant) -> Variant:
        """Add ``v`` (ValueError if the name is taken).  Tests use it for a throwaway variant."""
        if v.name in self._by:
            raise ValueError(f"variant {v.name!r} is already registered for {self.task}")
        self._by[v.name] = v
        return v

    def unregister(self, name: str) -> None:
        self._by.pop(name, None)

    def names(self) -> tuple[str, ...]:
        return tuple(self._by)

    def labels(self) -> dict[str, str]:
        return {n: v.label for n, v in self._by.items()}

    def __getitem__(self, name: str) -> Variant:
        if name not in self._by:
            raise ValueError(f"variant must be one of {', '.join(map(repr, self._by))}; got {name!r}")
        return self._by[name]

    def __contains__(self, name) -> bool:
        return name in self._by

    def __iter__(self) -> Iterator[str]:
        return iter(tuple(self._by))

    def __len__(self) -> int:
        return len(self._by)

    def values(self) -> tuple[Variant, ...]:
        return tuple(self._by.values())

    def __repr__(self) -> str:
        return f"Variants({self.task!r}, {list(self._by)})"
