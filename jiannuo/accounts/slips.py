"""Activation slips as a PDF (one A4 page per person): name, posts, user name, the one-time
activation code, its expiry and where to go. Official paper of the township, in Chinese
whatever the reader's language; rendered with WeasyPrint through ``signing.pdfwrite``."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from jiannuo.organisation.models import Post
from jiannuo.signing import pdfwrite
from jiannuo.signing.pdf import qr_png_uri

from .activation import Issued


def render_slips(issued: list[Issued], activate_url: str) -> bytes:
    today = timezone.localdate()
    labels = dict(Post.KINDS)
    posts: dict[int, list[str]] = {}
    for person_id, kind in (
        Post.objects.filter(person_id__in=[i.person.pk for i in issued])
        .filter(Q(end__isnull=True) | Q(end__gte=today))
        .order_by("kind")
        .values_list("person_id", "kind")
    ):
        posts.setdefault(person_id, []).append(kind)
    qr = qr_png_uri(activate_url)
    with translation.override(settings.LANGUAGE_CODE):
        slips = [
            {
                "name": i.person.name,
                "village": i.person.village.name,
                "township": i.person.village.parent.name if i.person.village.parent_id else "",
                "posts": "、".join(str(labels[k]) for k in posts.get(i.person.pk, [])),
                "username": i.user.username,
                "code": i.code,
                "expires": timezone.localtime(i.expires_at),
                "reset": i.purpose == "reset",
            }
            for i in issued
        ]
        html = render_to_string(
            "accounts/pdf/activation_slips.html",
            {"slips": slips, "url": activate_url, "qr": qr, "issued": timezone.localtime()},
        )
    return pdfwrite.write_pdf(html)
