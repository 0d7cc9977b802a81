"""Closed years (issue #14): once the township confirms a village's year-end results, the year
is closed and stops nagging — its pledge items and letters leave every to-do list and
reminder. The to-do providers of earlier steps filter with ``open_year_q``."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from .models import YearResult


def open_year_q(village_field: str = "letter__village", year_field: str = "letter__year") -> Q:
    """Rows whose (village, year) has no confirmed results. Term letters (no year) stay open."""
    closed = YearResult.objects.filter(
        village=OuterRef(village_field), year=OuterRef(year_field), state=YearResult.CONFIRMED
    )
    return ~Q(Exists(closed))
