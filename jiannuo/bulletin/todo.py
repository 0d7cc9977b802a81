"""To-do items of the bulletin step (§三.4: the pledges are posted on the village board).

The branch secretary records the poster going up after every publication: a village whose
latest published signed letter is newer than its latest recorded posting has an entry. One
query whatever the number of villages.
"""

from __future__ import annotations

from django.db.models import DateTimeField, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from jiannuo.core.permissions import scope_paths, scope_q
from jiannuo.core.todo import TodoItem, provider
from jiannuo.organisation.models import Unit
from jiannuo.signing.models import SignedLetter

from .models import PosterPosting


@provider
def bulletin_todo(user):
    if user is None or not user.is_authenticated or user.is_superuser:
        return []
    if not scope_paths(user, "bulletin.record_posting"):
        return []
    last_published = (
        SignedLetter.objects.filter(letter__village=OuterRef("pk"), published_at__isnull=False)
        .order_by("-published_at")
        .values("published_at")[:1]
    )
    last_posting = (
        PosterPosting.objects.filter(village=OuterRef("pk"))
        .order_by("-recorded_at")
        .values("recorded_at")[:1]
    )
    villages = (
        Unit.objects.filter(scope_q(user, "bulletin.record_posting", field=""), kind=Unit.VILLAGE)
        .annotate(
            last_published=Subquery(last_published, output_field=DateTimeField()),
            last_posting=Subquery(last_posting, output_field=DateTimeField()),
        )
        .filter(last_published__isnull=False)
        .filter(Q(last_posting__isnull=True) | Q(last_posting__lt=F("last_published")))
        .order_by("path")
    )
    return [
        TodoItem(
            step="bulletin",
            title=_("Post the signed pledges of %(village)s on the village board and record it")
            % {"village": v.name},
            url=reverse("bulletin:posting", args=[v.code]),
            detail=_("Published on %(date)s")
            % {"date": f"{timezone.localdate(v.last_published):%Y-%m-%d}"},
            urgent=False,
        )
        for v in villages
    ]
