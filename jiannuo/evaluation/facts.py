"""The confirmed year-end facts, in the shapes of ``jiannuo.accountability.rules``.

The accountability step reads the year through ``year_facts`` only. Only years whose results
the township has confirmed produce facts; an unconfirmed year produces nothing, so it breaks a
"two years running" chain (DOMAIN.md). A fixed number of queries whatever the number of posts.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from jiannuo.accountability.rules import Loss as LossFact
from jiannuo.accountability.rules import PostYear, TeamYear
from jiannuo.organisation.models import Post

from .models import Breach, Loss, PostResult, YearResult


def _ids(villages: Iterable) -> list[int]:
    return [getattr(v, "pk", v) for v in villages]


def _held_in(post: Post, year: int) -> bool:
    return post.start.year <= year and (post.end is None or post.end.year >= year)


def year_facts(villages, years) -> tuple[list[PostYear], list[TeamYear]]:
    """Confirmed year-end facts for the given villages (Unit objects or ids) and years.

    One ``PostYear`` per post (under 一肩挑 a person holding both posts has one per post) and
    one ``TeamYear`` per village and year; ``assessed`` is always true since only confirmed
    years are returned.
    """
    village_ids = _ids(villages)
    years = [int(y) for y in years]
    if not village_ids or not years:
        return [], []
    results = {
        r.pk: r
        for r in YearResult.objects.filter(
            village_id__in=village_ids, year__in=years, state=YearResult.CONFIRMED
        )
    }
    if not results:
        return [], []
    keys = {(r.village_id, r.year) for r in results.values()}
    rows = list(PostResult.objects.filter(result_id__in=results).select_related("post"))

    post_losses: dict[tuple, list[LossFact]] = defaultdict(list)
    team_losses: dict[tuple, list[LossFact]] = defaultdict(list)
    losses = (
        Loss.objects.filter(village_id__in=village_ids, year__in=years)
        .select_related("clause")
        .prefetch_related("posts")
    )
    for loss in losses:
        if (loss.village_id, loss.year) not in keys:
            continue
        fact = LossFact(
            amount=loss.amount,
            cause=loss.cause,
            breach_clause=loss.breach_clause,
            description=loss.description,
            loss_id=loss.pk,
            clause_share=loss.clause.share_percent if loss.clause else None,
            clause_amount=loss.clause.amount if loss.clause else None,
            clause_measure=loss.clause.measure if loss.clause else "",
        )
        for post in loss.posts.all():
            post_losses[(post.pk, loss.year)].append(fact)
        if loss.team:
            team_losses[(loss.village_id, loss.year)].append(fact)

    integrity: dict[tuple, list[str]] = defaultdict(list)
    discipline: dict[tuple, list[str]] = defaultdict(list)
    team_integrity: dict[tuple, list[str]] = defaultdict(list)
    for b in Breach.objects.filter(village_id__in=village_ids, year__in=years).order_by("id"):
        if (b.village_id, b.year) not in keys:
            continue
        if b.kind == Breach.INTEGRITY:
            if b.post_id is None:
                team_integrity[(b.village_id, b.year)].append(b.description)
            else:
                integrity[(b.post_id, b.year)].append(b.description)
        elif b.post_id is not None:
            discipline[(b.post_id, b.year)].append(b.description)

    # 一肩挑: the posts a person holds in the year that have no result of their own (the
    # secretary's letter covers the director's post), so the rules know who answers for them.
    with_results = {(row.post_id, results[row.result_id].year) for row in rows if row.post_id}
    people = {row.post.person_id for row in rows if row.post_id}
    also: dict[tuple, list[str]] = defaultdict(list)
    others = Post.objects.filter(
        person_id__in=people,
        village_id__in=village_ids,
        kind__in=sorted(Post.TEAM),
        start__year__lte=max(years),
    ).exclude(end__year__lt=min(years))
    for other in others.order_by("kind", "id"):
        for year in years:
            if (other.pk, year) in with_results or not _held_in(other, year):
                continue
            also[(other.person_id, other.village_id, year)].append(other.kind)

    post_years: list[PostYear] = []
    team_years: list[TeamYear] = []
    for row in rows:
        result = results[row.result_id]
        if row.post_id is None:
            team_years.append(
                TeamYear(
                    village_id=result.village_id,
                    term_id=result.term_id,
                    year=result.year,
                    assessed=True,
                    pledges_met=row.pledges_met,
                    satisfaction=row.satisfaction,
                    goals_met=row.goals_met,
                    losses=tuple(team_losses[(result.village_id, result.year)]),
                    integrity_breaches=tuple(team_integrity[(result.village_id, result.year)]),
                )
            )
            continue
        key = (row.post_id, result.year)
        post_years.append(
            PostYear(
                person_id=row.person_id if row.person_id is not None else row.post.person_id,
                post_id=row.post_id,
                post_kind=row.post.kind,
                village_id=result.village_id,
                term_id=result.term_id,
                year=result.year,
                assessed=True,
                graded=row.graded,
                goals_met=row.goals_met,
                pledges_met=row.pledges_met,
                satisfaction=row.satisfaction,
                losses=tuple(post_losses[key]),
                integrity_breaches=tuple(integrity[key]),
                discipline_violations=tuple(discipline[key]),
                also_holds=tuple(
                    k
                    for k in also[(row.post.person_id, result.village_id, result.year)]
                    if k != row.post.kind
                ),
            )
        )
    post_years.sort(key=lambda p: (p.village_id, p.year, p.post_id))
    team_years.sort(key=lambda t: (t.village_id, t.year))
    return post_years, team_years
