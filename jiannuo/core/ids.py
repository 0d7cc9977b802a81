"""Primary keys from forms and query strings: a decimal number within the database's 64-bit
integers, or nothing. Views look objects up by these, so a forged field (``abc``, ``-1``, a
40-digit number) finds nothing instead of failing in the database driver."""

from __future__ import annotations


def pk(raw) -> int | None:
    """``raw`` as a primary key, or ``None`` when it is not one."""
    raw = str(raw if raw is not None else "").strip()
    return int(raw) if raw.isdigit() and raw.isascii() and len(raw) <= 18 else None


def pks(values) -> list[int] | None:
    """Every value as a primary key, or ``None`` when any is not one."""
    out = [pk(v) for v in values]
    return None if any(v is None for v in out) else out
