"""Two-factor log-in for decision roles.

When ``settings.JIANNUO_TWO_FACTOR_REQUIRED`` is on (the default in production), an account
holding a decision role (``roles.DECISION_ROLES``: district administrator, township secretary
and deputy, assessment group) works only in a session verified with a TOTP code. Without a
confirmed device it is sent to the security page to enrol and may do nothing else; with one,
the log-in form asks for the code. Public pages (the bulletin board, verification) stay open.

The switch is a deployment setting, not a district policy setting: it guards the district
administrator's own account, so that account must not be able to turn it off.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from jiannuo.core.permissions import grants
from jiannuo.core.roles import DECISION_ROLES


def enabled() -> bool:
    return bool(getattr(settings, "JIANNUO_TWO_FACTOR_REQUIRED", False))


def required_for(user) -> bool:
    """Whether ``user`` must log in with a second factor."""
    if not enabled() or user is None or not user.is_authenticated:
        return False
    return user.is_superuser or any(g.role in DECISION_ROLES for g in grants(user))


def verified(user) -> bool:
    check = getattr(user, "is_verified", None)
    return bool(check and check())


def _open_paths() -> tuple[str, ...]:
    return (
        reverse("accounts:security"),
        reverse("accounts:totp_start"),
        reverse("accounts:login"),
        reverse("accounts:logout"),
        reverse("accounts:password"),
        reverse("set_language"),
    )


class TwoFactorMiddleware:
    """After ``django_otp``'s middleware: refuse a decision role's unverified session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and required_for(user) and not verified(user):
            path = request.path_info
            static = (settings.STATIC_URL or "/static/").rstrip("/") + "/"
            if path not in _open_paths() and not path.startswith(static):
                if path.startswith("/api/"):
                    return JsonResponse(
                        {"detail": _("Your role needs two-factor log-in: log in with your code.")},
                        status=403,
                    )
                target = reverse("accounts:security")
                if request.method == "GET":
                    target += "?" + urlencode({"next": request.get_full_path()})
                return redirect(target)
        return self.get_response(request)
