"""Sections that later steps add to the public bulletin board and poster (seed §三.4, §五.3).

The board shows the signed pledges; supervision adds progress and public evidence, evaluation
the confirmed year-end results, accountability the measures the settings make public. Each step
registers a ``Section`` in its ``AppConfig.ready()``; the bulletin app knows none of them.

A section must show only what its step has published — never drafts, never villagers'
personal details — and load it in a fixed number of queries whatever the number of pledges
(the board's query count is pinned by a test).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Section:
    """One block of the public board.

    ``load(village, items)`` returns the section's data (``None`` or empty: not shown);
    ``items`` are the pledge items in force on the board, so a section can annotate them.
    ``template`` renders the block with ``data`` and ``village`` in its context, after the
    letters; ``item_template`` (optional) renders inside each pledge item's entry with
    ``item`` and ``data``. On the printed poster both are rendered with ``poster`` true.
    ``stamp_sql`` is a SQL scalar subquery correlated on ``u.id`` (the village's id) whose
    value changes whenever the section's public content does: the board's cache key.
    """

    key: str
    order: int
    load: Callable[[Any, list], Any]
    template: str = ""
    item_template: str = ""
    stamp_sql: Callable[[], str] | None = None


_SECTIONS: dict[str, Section] = {}


def register(section: Section) -> None:
    _SECTIONS[section.key] = section


def registered() -> list[Section]:
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))


@dataclass
class Loaded:
    section: Section
    data: Any

    @property
    def key(self):
        return self.section.key

    @property
    def template(self):
        return self.section.template

    @property
    def item_template(self):
        return self.section.item_template


def load_all(village, items) -> list[Loaded]:
    out = []
    for section in registered():
        data = section.load(village, items)
        if data:
            out.append(Loaded(section, data))
    return out
