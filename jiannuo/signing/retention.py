"""Kept records cannot be deleted before their time (issue #18, DOMAIN.md: 30 years).

Signed letters (with their signatures and custody), signing ceremonies (attendance, votes),
evaluation rounds (targets, voters, ballots, tallies) and accountability cases (decision
notices) are kept until the end of the year of the record plus the district's
``retention_years`` for that year (``organisation.policy``; 30 by default). Every ORM path to
delete one — ``instance.delete()``, ``QuerySet.delete()``, a cascade from a parent — sends
``pre_delete`` for each row, and the receiver here refuses it; the transaction rolls back with
nothing deleted. The scan of a signed original cannot be replaced or its file deleted
(``scan_attach`` and ``KeptFileStorage``).
"""

from __future__ import annotations

import contextlib
import contextvars

from django.db.models.signals import pre_delete
from django.utils import timezone
from django.utils.translation import gettext as _


class KeptRecordError(Exception):
    """Deleting a record the retention rule still keeps."""


def _year(value) -> int:
    return timezone.localtime(value).year if hasattr(value, "tzinfo") else int(value)


def kept_until(village, year: int) -> int:
    """The last year a record of ``village`` made in ``year`` is kept (§三.5, DOMAIN.md)."""
    from jiannuo.organisation.policy import policy_for

    return year + policy_for(village, year).retention_years


def _signed_letter(s):
    return s.letter.village, _year(s.signed_at or s.created_at)


def _ceremony(c):
    return c.village, c.year or _year(c.scheduled_at)


def _round(r):
    return r.village, r.year


#: model label → how to find (village, year) of one of its rows.
SUBJECTS = {
    "signing.signedletter": _signed_letter,
    "signing.scan": lambda s: _signed_letter(s.signed_letter),
    "signing.signature": lambda g: _signed_letter(g.signed_letter),
    "signing.custody": lambda c: _signed_letter(c.signed_letter),
    "signing.ceremony": _ceremony,
    "signing.attendance": lambda a: _ceremony(a.ceremony),
    "signing.lettervote": lambda v: _ceremony(v.ceremony),
    "evaluation.round": _round,
    "evaluation.target": lambda t: _round(t.round),
    "evaluation.voter": lambda v: _round(v.round),
    "evaluation.ballot": lambda b: _round(b.round),
    "evaluation.tally": lambda t: _round(t.round),
    "accountability.case": lambda c: (c.village, c.year),
}


def check_deletable(instance) -> None:
    """Raise ``KeptRecordError`` when ``instance`` is still kept."""
    subject = SUBJECTS.get(instance._meta.label_lower)
    if subject is None:
        return
    village, year = subject(instance)
    until = kept_until(village, year)
    if timezone.localdate().year <= until:
        raise KeptRecordError(
            _("This record is kept until the end of %(year)s and cannot be deleted.")
            % {"year": until}
        )


#: Model labels whose rows the current code rewrites in place (deleted and written again with
#: the same content in the same transaction), so deleting them loses nothing.
_rewriting: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "retention_rewriting", default=frozenset()
)


@contextlib.contextmanager
def rewriting(*labels: str):
    """Allow deleting rows of ``labels`` that the caller writes again at once, in the same
    transaction: the closing shuffle of a phone round's ballots (ballot secrecy, issue #12)
    rewrites every ballot in a random order. Nothing else may use it."""
    token = _rewriting.set(_rewriting.get() | frozenset(labels))
    try:
        yield
    finally:
        _rewriting.reset(token)


def _refuse(sender, instance, **kwargs):
    if instance._meta.label_lower in _rewriting.get():
        return
    check_deletable(instance)


def connect() -> None:
    from django.apps import apps

    for label in SUBJECTS:
        pre_delete.connect(_refuse, sender=apps.get_model(label), dispatch_uid=f"retention:{label}")


def _storage_class():
    from django.core.files.storage import FileSystemStorage

    class KeptFileStorage(FileSystemStorage):
        """The media storage of scans of signed originals: a kept scan's file is not deleted
        (``signed.scan.delete()``, a storage clean-up) before its signed letter's time."""

        def delete(self, name):
            from django.db.models import Q

            from .models import SignedLetter

            # The current scan, or a predecessor kept as a ``Scan`` row after a replacement.
            holders = SignedLetter.objects.filter(Q(scan=name) | Q(scans__file=name))
            for signed in holders.distinct().select_related("letter__village"):
                check_deletable(signed)
            super().delete(name)

    return KeptFileStorage


def scan_storage():
    """The storage of ``SignedLetter.scan`` (a callable, so migrations name it, not a path)."""
    return _storage_class()()
