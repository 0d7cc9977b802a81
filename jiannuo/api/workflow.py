"""Workflows in the OpenAPI document: each action an enum with its meaning, each state listed.

A client learns the process from the document: ``action`` path parameters are enums whose
description says what each action does and from which state to which; ``state`` fields are
enums of the states the object can be in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum

from ninja import Path


def states_enum(name: str, states: Iterable[str], doc: str = "") -> type[Enum]:
    """A string enum of ``states`` (its component in the document is ``name``)."""
    enum = Enum(name, [(s, s) for s in states], type=str)
    enum.__doc__ = doc or f"The states: {', '.join(f'`{s}`' for s in states)}."
    return enum


def _transitions_text(transitions: Mapping[tuple[str, str], str], action: str) -> str:
    moves = [f"`{a}` → `{b}`" for (a, act), b in transitions.items() if act == action]
    return "; ".join(moves)


def action_param(
    name: str, meanings: Mapping[str, str], transitions: Mapping[tuple[str, str], str] | None = None
):
    """An ``action`` path parameter: an enum ``name`` of ``meanings``' keys and its ``Path``
    default, described one line per action (its meaning and, when ``transitions`` is given,
    its moves between states). Use as ``action: Enum = PATH``."""
    enum = Enum(name, [(a, a) for a in meanings], type=str)
    lines = []
    for action, meaning in meanings.items():
        moves = _transitions_text(transitions or {}, action)
        lines.append(f"- `{action}`: {meaning}" + (f" ({moves})" if moves else ""))
    # The enum's docstring is its description in the document (a ``Path`` description is lost
    # when ninja inlines the enum's definition).
    enum.__doc__ = "\n".join(lines)
    return enum, Path(..., description=enum.__doc__)
