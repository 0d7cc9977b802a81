"""Shared shapes for the policy's rules.

Rule modules (``<app>/rules.py``) are plain Python: no ORM, no settings. They take plain
values and return findings or decisions that carry the rule that fired, the seed clause it
applies and the facts that made it fire, so that a person can read why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

BLOCK = "block"
WARN = "warn"
INFO = "info"


@dataclass(frozen=True)
class Finding:
    """One rule that fired.

    ``message`` is a translatable template (``gettext_lazy``/``gettext_noop`` string) with
    named ``%(name)s`` placeholders filled from ``facts``.
    """

    rule: str
    clause: str
    message: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    severity: str = BLOCK

    @property
    def blocking(self) -> bool:
        return self.severity == BLOCK

    def explain(self) -> str:
        from django.utils.translation import gettext

        return gettext(str(self.message)) % dict(self.facts)
