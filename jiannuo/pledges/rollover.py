"""A new year's annual letters started from the previous year's (issue #14).

``letters_start_from_previous`` prepares the year's letters from the roster as
``services.letters_prepare`` does, then copies into each new (empty, draft) letter the items
and breach clauses of the matching letter of the year before, through the same write path
(``services.letter_content_add``). The copies are drafts of the new year: they go through the
joint meeting, consultation, township approval and the ceremony again; nothing is carried as
pledged. Deadlines move on by one year; links to last year's hot issues, township tasks and
team items are dropped (they belong to last year) and must be set again.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from jiannuo.core import audit
from jiannuo.core.errors import ServiceError
from jiannuo.core.permissions import require
from jiannuo.organisation.models import Term, Unit

from . import rules, selectors, services
from .models import Letter


def _next_year(day: date | None, year: int) -> date | None:
    if day is None:
        return None
    try:
        return day.replace(year=day.year + 1) if day.year == year - 1 else day
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _previous(village: Unit, year: int) -> dict:
    """Last year's annual letters of the village by (kind, post) and by kind alone."""
    by_post, by_kind = {}, {}
    for letter in Letter.objects.filter(village=village, year=year - 1).order_by("id"):
        by_post[(letter.kind, letter.post_id)] = letter
        by_kind.setdefault(letter.kind, letter)
    return {"post": by_post, "kind": by_kind}


def _source_for(letter: Letter, previous: dict) -> Letter | None:
    """The same post's letter; else, for the team letter and the secretary's own letter (one
    per village), last year's letter of that kind."""
    found = previous["post"].get((letter.kind, letter.post_id))
    if found is None and letter.kind in (Letter.TEAM, Letter.SECRETARY):
        found = previous["kind"].get(letter.kind)
    return found


def letters_start_from_previous(*, actor, village: Unit, term: Term, year: int) -> list[Letter]:
    """Prepare ``year``'s letters and start each new one from last year's (as drafts)."""
    require(actor, "pledges.prepare", village)
    if year is None:
        raise ServiceError(_("Only annual letters start from the previous year's."), code="year")
    previous = _previous(village, year)
    if not previous["post"]:
        raise ServiceError(
            _("%(village)s has no letters of %(year)s to start from.")
            % {"village": village.name, "year": year - 1},
            code="no_previous",
        )
    with transaction.atomic():
        services.letters_prepare(actor=actor, village=village, term=term, year=year)
        started = []
        for letter in selectors.period_letters(village, term, year):
            current = selectors.current_version(letter)
            if current.state != rules.DRAFT or current.items.exists() or current.clauses.exists():
                continue  # only empty drafts are filled; work already done is never replaced
            source = _source_for(letter, previous)
            if source is None:
                continue
            version = selectors.current_version(source)
            team_posts = {p.pk for p in services.team_posts(village, term, year)}
            items = [
                {
                    "category": i.category,
                    "text": i.text,
                    "target": i.target,
                    "deadline": _next_year(i.deadline, year),
                    "responsible_post_id": (
                        i.responsible_post_id if i.responsible_post_id in team_posts else None
                    ),
                }
                for i in version.items.order_by("position", "id")
            ]
            clauses = [
                {
                    "category": c.category,
                    "trigger": c.trigger,
                    "measure": c.measure,
                    "amount": c.amount,
                }
                for c in version.clauses.order_by("position", "id")
            ]
            if not (items or clauses):
                continue
            letter = services.letter_content_add(
                actor=actor, letter=letter, version=letter.version, items=items, clauses=clauses
            )
            audit.record(
                actor,
                "letter.start_from_previous",
                letter,
                changes={
                    "from_letter": source.pk,
                    "from_version": version.number,
                    "items": len(items),
                    "clauses": len(clauses),
                },
            )
            started.append(letter)
    return started
