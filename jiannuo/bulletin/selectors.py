"""Reads of the public village bulletin board (村务公开栏, seed §三.4: "各项承诺内容要在村务公开栏
公布，让全体村民知晓").

Public, without log-in: only signed letters the signing step published (``published_at`` set)
are shown; drafts and unpublished letters never. No villager's personal data: no opinion, no
opinion giver, no representative's signature — only aggregated hot issues, township tasks and
the public reasons for not adopting them. ``board`` runs a fixed number of queries whatever the
number of pledges.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jiannuo.core import audit
from jiannuo.core.permissions import scope_q
from jiannuo.opinions.models import HotIssue, TaskAssignment
from jiannuo.organisation.models import Unit
from jiannuo.pledges.models import CATEGORY_LABELS, Letter, PledgeItem
from jiannuo.signing import integrity
from jiannuo.signing.models import SignedLetter

from . import sections
from .models import PdfBatch, PosterPosting

IN_PROGRESS, DEADLINE_PASSED, NO_DEADLINE = "in_progress", "deadline_passed", "no_deadline"
STATUS_LABELS = {
    IN_PROGRESS: _("In progress"),
    DEADLINE_PASSED: _("Deadline passed — awaiting the year-end evaluation"),
    NO_DEADLINE: _("No deadline"),
}


def villages():
    """Every village, with its township, for the public index."""
    return list(Unit.objects.filter(kind=Unit.VILLAGE).select_related("parent").order_by("path"))


_STAMP_SQL: dict = {}


def _stamp_sql() -> str:
    """The stamp statement, built once per set of registered sections (it is static)."""
    regs = tuple((s.key, s.stamp_sql) for s in sections.registered() if s.stamp_sql)
    sql = _STAMP_SQL.get(regs)
    if sql is None:
        sql = _STAMP_SQL[regs] = _build_stamp_sql(regs)
    return sql


def _build_stamp_sql(regs) -> str:
    """One SQL statement: the village's id and a set of aggregates that change whenever the
    public board's content does — the signed letters (count, last published, last superseded),
    the hot issues (count, sum of versions — renames, merges —, last not-adopted decision),
    the task assignments (count, last not-adopted) and the postings. Signed versions' content
    is frozen, so these suffice; a renamed person or township task shows once the cache entry
    expires. Plain SQL: building nine ORM subqueries cost more than the page it saves."""
    q = connection.ops.quote_name
    unit = q(Unit._meta.db_table)
    signed, letter = q(SignedLetter._meta.db_table), q(Letter._meta.db_table)
    issue, task = q(HotIssue._meta.db_table), q(TaskAssignment._meta.db_table)
    posting = q(PosterPosting._meta.db_table)
    on_signed = f"FROM {signed} s JOIN {letter} l ON s.letter_id = l.id WHERE l.village_id = u.id"

    # One subquery per table, its aggregates joined into one text ("||" and CAST work on
    # PostgreSQL and SQLite alike): fewer subqueries to plan on every request.
    def t(expr):
        return f"COALESCE(CAST({expr} AS TEXT), '')"

    parts = [
        f"(SELECT {t('COUNT(*)')} || '/' || {t('MAX(s.published_at)')} || '/' || "
        f"{t('MAX(s.superseded_at)')} {on_signed})",
        f"(SELECT {t('COUNT(*)')} || '/' || {t('SUM(h.version)')} || '/' || "  # noqa: S608
        f"{t('MAX(h.not_adopted_at)')} FROM {issue} h WHERE h.village_id = u.id)",
        f"(SELECT {t('COUNT(*)')} || '/' || {t('MAX(t.not_adopted_at)')} "  # noqa: S608
        f"FROM {task} t WHERE t.village_id = u.id)",
        f"(SELECT MAX(p.id) FROM {posting} p WHERE p.village_id = u.id)",  # noqa: S608
    ]
    parts += [f"({stamp_sql()})" for _key, stamp_sql in regs]
    # Table names come from the models, quoted; the values are parameters.
    cols = "u.id, u.kind, u.name, u.code, u.parent_id, u.township_type, u.path, p.name"
    sql = f"SELECT {cols}, {', '.join(parts)} FROM {unit} u LEFT JOIN {unit} p"  # noqa: S608
    return sql + " ON p.id = u.parent_id WHERE u.kind = %s AND u.code = %s"


def village_by_code(code: str, *, with_stamp: bool = False) -> Unit:
    """The village with this code (404 if none). ``with_stamp`` reads it in one query with
    ``board_stamp``, a string that changes whenever the public board's content does (the
    cache key), and ``township_name``."""
    if not with_stamp:
        try:
            return Unit.objects.select_related("parent").get(kind=Unit.VILLAGE, code=code)
        except Unit.DoesNotExist:
            raise Http404 from None
    with connection.cursor() as cursor:
        cursor.execute(_stamp_sql(), [Unit.VILLAGE, code])
        row = cursor.fetchone()
    if row is None:
        raise Http404
    fields = ("id", "kind", "name", "code", "parent_id", "township_type", "path")
    village = Unit(**dict(zip(fields, row[:7], strict=True)))
    village.township_name = row[7] or ""
    stamp = "|".join(str(x) for x in row)
    village.board_stamp = hashlib.sha256(stamp.encode()).hexdigest()[:32]
    return village


def item_status(item, today) -> str:
    if item.deadline is None:
        return NO_DEADLINE
    return DEADLINE_PASSED if item.deadline < today else IN_PROGRESS


@dataclass
class PublishedLetter:
    signed: SignedLetter
    categories: list = field(default_factory=list)
    integrity: integrity.Integrity = integrity.INTACT

    @property
    def letter(self):
        return self.signed.letter


@dataclass
class Board:
    village: Unit
    letters: list
    history: list
    hot_issues_answered: list
    hot_issues_not_adopted: list
    tasks_not_adopted: list
    posting: PosterPosting | None
    sections: list = field(default_factory=list)
    #: The audit chain head as of this board, published where the database cannot reach it.
    audit_head: str = ""

    @property
    def published(self) -> bool:
        return bool(self.letters)


def _group(items, today):
    """Items grouped by category (letter order) then by status."""
    out = []
    for key, label in CATEGORY_LABELS.items():
        in_cat = [i for i in items if i.category == key]
        if not in_cat:
            continue
        by_status: OrderedDict = OrderedDict((s, []) for s in STATUS_LABELS)
        for item in in_cat:
            by_status[item_status(item, today)].append(item)
        out.append(
            {
                "key": key,
                "label": label,
                "statuses": [
                    {"key": s, "label": STATUS_LABELS[s], "items": lst}
                    for s, lst in by_status.items()
                    if lst
                ],
            }
        )
    return out


def board(village: Unit) -> Board:
    """The public board of ``village``: published letters in force, history, issues."""
    today = timezone.localdate()
    signed = list(
        SignedLetter.objects.filter(letter__village=village, published_at__isnull=False)
        .select_related("letter__post__person", "letter__term", "version", "superseded_by__version")
        .order_by("letter__kind", "letter_id", "-version__number")
    )
    in_force = [s for s in signed if s.superseded_at is None]
    items = list(
        PledgeItem.objects.filter(letter_version_id__in=[s.version_id for s in in_force])
        .select_related("responsible_post__person")
        .prefetch_related(
            Prefetch("answers_hot_issues", queryset=HotIssue.objects.only("id", "label")),
            Prefetch(
                "answers_tasks",
                queryset=TaskAssignment.objects.select_related("task").only(
                    "id", "task__id", "task__title"
                ),
            ),
        )
        .order_by("position", "id")
    )
    # Signed is signed: a letter whose rows or snapshot no longer match the signed hash is
    # shown as tampered, without its content (signing.integrity).
    checked = integrity.check(in_force, items=items)
    tampered = {s.version_id for s in in_force if checked[s.pk].tampered}
    items = [i for i in items if i.letter_version_id not in tampered]
    by_version: dict = {}
    for item in items:
        by_version.setdefault(item.letter_version_id, []).append(item)
    letters = [
        PublishedLetter(s, _group(by_version.get(s.version_id, []), today), integrity=checked[s.pk])
        for s in in_force
    ]
    answered = {}
    for item in items:
        for issue in item.answers_hot_issues.all():
            answered[issue.pk] = issue
    not_adopted = list(
        HotIssue.objects.filter(village=village, status=HotIssue.ACCEPTED)
        .exclude(not_adopted_reason="")
        .only("id", "label", "not_adopted_reason", "year")
        .order_by("-year", "id")
    )
    tasks = list(
        TaskAssignment.objects.filter(village=village)
        .exclude(not_adopted_reason="")
        .select_related("task")
        .only("id", "not_adopted_reason", "task__id", "task__title", "task__year")
        .order_by("-task__year", "id")
    )
    posting = PosterPosting.objects.filter(village=village).only("id", "posted_on", "year").first()
    return Board(
        village=village,
        letters=letters,
        history=signed,
        hot_issues_answered=sorted(answered.values(), key=lambda x: x.pk),
        hot_issues_not_adopted=not_adopted,
        tasks_not_adopted=tasks,
        posting=posting,
        sections=sections.load_all(village, items),
        audit_head=audit.published_head(),
    )


def postings(village: Unit):
    return list(PosterPosting.objects.filter(village=village).select_related("recorded_by"))


def batch_townships(user):
    """Townships where ``user`` may start a PDF batch."""
    return list(
        Unit.objects.filter(scope_q(user, "bulletin.batch_pdf", field=""), kind=Unit.TOWNSHIP)
    )


def get_batch(user, pk: int) -> PdfBatch:
    batch = (
        PdfBatch.objects.filter(scope_q(user, "bulletin.batch_pdf", field="township"), pk=pk)
        .select_related("township")
        .first()
    )
    if batch is None:
        raise Http404
    return batch
