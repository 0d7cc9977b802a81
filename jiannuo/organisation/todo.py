"""Organisation items on the to-do list."""

from django.urls import reverse
from django.utils.translation import gettext as _

from jiannuo.core.permissions import grants, scope_q
from jiannuo.core.roles import TWO_FACTOR_ROLES
from jiannuo.core.todo import TodoItem, provider

from .models import Post, Unit
from .selectors import active_posts_q


@provider
def villages_without_supervision_committee(user):
    """Township and district: villages without a 村务监督委员会 (required by the Organic Law)."""
    q = scope_q(user, "org.manage", field="")
    villages = Unit.objects.filter(q, kind=Unit.VILLAGE).exclude(
        pk__in=Post.objects.filter(
            active_posts_q(), kind__in=[Post.SUPERVISION_CHAIR, Post.SUPERVISION_MEMBER]
        ).values("village_id")
    )
    manages_township = any(g.role in TWO_FACTOR_ROLES for g in grants(user)) or user.is_superuser
    if not manages_township:
        return []
    return [
        TodoItem(
            step="organisation",
            title=_("%(village)s has no village affairs supervision committee")
            % {"village": v.name},
            url=reverse("organisation:unit", args=[v.pk]),
            detail=_(
                "The Organic Law of Village Committees requires one; until it is formed, "
                "consult the villager representatives' meeting."
            ),
        )
        for v in villages.order_by("path")[:50]
    ]


@provider
def two_factor_missing(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    if not any(g.role in TWO_FACTOR_ROLES for g in grants(user)):
        return []
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return []
    return [
        TodoItem(
            step="account",
            title=_("Turn on two-factor log-in"),
            url=reverse("accounts:security"),
            detail=_("Your role takes township or district decisions."),
        )
    ]
