"""The to-do list (待办): each step registers a provider of items for a user.

A provider is ``fn(user) -> iterable[TodoItem]``; it must use a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

PROVIDERS: list[Callable] = []


@dataclass(frozen=True)
class TodoItem:
    step: str  # the process step (nav key) the item belongs to
    title: str
    url: str
    detail: str = ""
    urgent: bool = False


def provider(fn: Callable[[object], Iterable[TodoItem]]):
    PROVIDERS.append(fn)
    return fn


def items_for(user) -> list[TodoItem]:
    out: list[TodoItem] = []
    for fn in PROVIDERS:
        out.extend(fn(user))
    return sorted(out, key=lambda i: (not i.urgent, i.step))
