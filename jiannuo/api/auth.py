"""How /api/v1 knows who is calling: a bearer token first, then the browser's session.

The order matters. A token is sent in the ``Authorization`` header, which a browser never adds
to a cross-site request, so a token write needs no CSRF check. A session is a cookie, which a
browser does send cross-site, so every session write must pass Django's CSRF check — but only
once we know a session is really there: a request with neither answers 401, not "CSRF".
"""

from django.conf import settings
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from jiannuo.accounts.models import ApiToken

from .errors import CsrfFailed


class TokenAuth(HttpBearer):
    """``Authorization: Bearer jn_…`` — a token created on the account's security page."""

    def authenticate(self, request, token):
        row = ApiToken.usable(token)  # neither revoked nor expired
        if row is None or not row.user.is_active:
            return None
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        request.user = row.user
        return row.user


class SessionAuth(APIKeyCookie):
    """The logged-in browser session; unsafe methods must carry the CSRF token (header
    ``X-CSRFToken`` with the value of the ``csrftoken`` cookie)."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request):
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):
        if key is None or not request.user.is_authenticated:
            return None
        if getattr(request, "_ninja_csrf_exempt", False):
            return request.user
        if check_csrf(request) is not None:  # None for GET/HEAD/OPTIONS and a valid token
            raise CsrfFailed
        return request.user


AUTH = [TokenAuth(), SessionAuth()]
